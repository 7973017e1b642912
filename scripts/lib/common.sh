# shellcheck shell=bash
# Shared helpers of scripts/setup, scripts/run and scripts/test. Source it; it defines functions
# and a few variables and changes nothing else:
#
#   OPENECI_ROOT        the repository root
#   OPENECI_IMAGES_DIR  where build_images puts pause.tar and busybox.tar (build/images)
#   log MSG / die MSG   timestamped messages on stderr
#   ensure_deps         installs the Debian packages the project needs; no-op when all present
#   ensure_node_modules [DIR]  `npm ci` in DIR (default tests/integration) unless its
#                       package-lock.json is unchanged since the last one
#   build_console PRESET  the web console (web/console, pinned npm packages) into
#                       build/PRESET/console, where `openeci serve` finds it by default
#   build PRESET        cmake configure + build of a CMakePresets.json preset
#   build_images        scripts/images/build.sh into OPENECI_IMAGES_DIR (itself incremental)
#   bg_start NAME LOG CMD...   starts CMD in the background in its own process group;
#                              sets BG_PID; remembered for bg_stop_all
#   bg_stop PID [GRACE]        SIGTERM to the process group, SIGKILL after GRACE seconds (10)
#   bg_stop_all                stops every process bg_start started, newest first
#   on_exit CMD                adds CMD to what runs on EXIT (and on INT/TERM, which then exit)

OPENECI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OPENECI_IMAGES_DIR="${OPENECI_IMAGES_DIR:-${OPENECI_ROOT}/build/images}"
export OPENECI_ROOT OPENECI_IMAGES_DIR

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian package names. nodejs/npm are added only when there is no `node` at all (a newer Node
# from elsewhere is fine and must not be shadowed).
OPENECI_DEPS=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev
  containerd runc containernetworking-plugins
  docker-registry skopeo umoci busybox-static apache2-utils jq
  iptables iproute2
  nftables
  chromium
  gnuplot-nox
)

# Prints the packages of "$@" that are not installed, one per line (one dpkg-query call).
missing_packages() {
  local installed
  installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null |
    awk '$2 == "ii" { print $1 }')"
  local p
  for p in "$@"; do
    grep -qxF "${p}" <<<"${installed}" || printf '%s\n' "${p}"
  done
}

ensure_deps() {
  local want=("${OPENECI_DEPS[@]}")
  command -v node >/dev/null 2>&1 || want+=(nodejs npm)
  local missing
  mapfile -t missing < <(missing_packages "${want[@]}")
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  [[ ${EUID} -eq 0 ]] || die "missing packages (${missing[*]}) and not root: install them first"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  mapfile -t missing < <(missing_packages "${want[@]}")
  ((${#missing[@]} == 0)) || die "still missing after apt-get install: ${missing[*]}"
}

ensure_node_modules() {
  local dir="${1:-${OPENECI_ROOT}/tests/integration}"
  local stamp="${dir}/node_modules/.openeci-lock.sha256"
  local want
  want="$(sha256sum "${dir}/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    return 0
  fi
  log "npm ci in ${dir#"${OPENECI_ROOT}/"}"
  (cd "${dir}" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  printf '%s\n' "${want}" >"${stamp}"
}

# build PRESET [extra args for the build tool...]
build() {
  local preset="$1"; shift
  log "cmake --preset ${preset}"
  (cd "${OPENECI_ROOT}" && cmake --preset "${preset}" >/dev/null) || return 1
  log "cmake --build --preset ${preset}"
  (cd "${OPENECI_ROOT}" && cmake --build --preset "${preset}" ${1:+--} "$@")
}

build_console() {
  local preset="$1"
  ensure_node_modules "${OPENECI_ROOT}/web/console" || return 1
  node "${OPENECI_ROOT}/web/console/build.mjs" "${OPENECI_ROOT}/build/${preset}/console"
}

build_images() {
  log "building images into ${OPENECI_IMAGES_DIR}"
  "${OPENECI_ROOT}/scripts/images/build.sh" "${OPENECI_IMAGES_DIR}"
}

# ---- background processes -------------------------------------------------------------------

OPENECI_BG_PIDS=()
OPENECI_EXIT_HOOKS=()

bg_start() {
  local name="$1" logfile="$2"; shift 2
  # setsid: the process leads its own group, so bg_stop reaches its children too and a Ctrl-C
  # on the terminal does not hit it before our trap decides the order.
  setsid "$@" >"${logfile}" 2>&1 </dev/null &
  BG_PID=$!
  OPENECI_BG_PIDS+=("${BG_PID}")
  log "started ${name} (pid ${BG_PID}, log ${logfile})"
}

bg_stop() {
  local pid="$1" grace="${2:-10}"
  kill -0 "${pid}" 2>/dev/null || return 0
  kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
  local waited=0
  while kill -0 "${pid}" 2>/dev/null && ((waited < grace * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "${pid}" 2>/dev/null; then
    log "pid ${pid} ignored SIGTERM for ${grace}s: SIGKILL"
    kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
  fi
  wait "${pid}" 2>/dev/null || true
}

bg_stop_all() {
  local i
  for ((i = ${#OPENECI_BG_PIDS[@]} - 1; i >= 0; i--)); do
    bg_stop "${OPENECI_BG_PIDS[i]}"
  done
  OPENECI_BG_PIDS=()
}

_openeci_run_exit_hooks() {
  local rc=$?
  trap - EXIT INT TERM
  local i
  for ((i = ${#OPENECI_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
    eval "${OPENECI_EXIT_HOOKS[i]}" || true
  done
  exit "${rc}"
}

on_exit() {
  OPENECI_EXIT_HOOKS+=("$1")
  trap _openeci_run_exit_hooks EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
