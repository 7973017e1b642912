#!/usr/bin/env bash
# Installs OpenECI as a systemd service: the server binary (and the `eci` command-line client
# when it was built), the unit, an environment file template and the pod sandbox (pause) image
# archive. Idempotent: running it again installs the same tree and
# never overwrites an environment file that is already there.
#
#   packaging/install.sh                       build the release preset, install under /usr/local
#   packaging/install.sh --binary PATH         install a binary built elsewhere
#   DESTDIR=/tmp/root PREFIX=/opt/openeci packaging/install.sh --binary build/dev/src/server/openeci
#
# Options:
#   --binary PATH          the openeci binary to install (default: build the release preset)
#   --cli PATH             the eci client to install (default: src/cli/eci of the same build
#                          tree as the binary, when it is there; none: skip it)
#   --pause-archive PATH   the pause image OCI archive (default: build/images/pause.tar, built
#                          with scripts/images/build.sh when missing)
# Environment:
#   DESTDIR      staging root, prefixed to every path written (packages, tests); default none
#   PREFIX       /usr/local: binary in PREFIX/bin, pause archive in PREFIX/share/openeci/images
#   SYSCONFDIR   /etc: SYSCONFDIR/openeci/openeci.env
#   UNITDIR      /etc/systemd/system: openeci.service
#   STATEDIR     /var/lib/openeci: created 0700 (the unit's StateDirectory= creates it too)
#
# Without DESTDIR, as root, on a running systemd, it also runs `systemctl daemon-reload`; it
# never enables or starts the service (see the last lines it prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
SYSCONFDIR="${SYSCONFDIR:-/etc}"
UNITDIR="${UNITDIR:-/etc/systemd/system}"
STATEDIR="${STATEDIR:-/var/lib/openeci}"
bindir="${PREFIX}/bin"
datadir="${PREFIX}/share/openeci"

binary=""
cli=""
pause_archive=""

say() { printf 'install: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

while (($#)); do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --cli) cli="${2:?--cli needs a path}"; shift 2 ;;
    --pause-archive) pause_archive="${2:?--pause-archive needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

for dir in PREFIX SYSCONFDIR UNITDIR STATEDIR; do
  [[ "${!dir}" == /* ]] || die "${dir} must be an absolute path, got '${!dir}'"
done

build_binary() {
  say "building the release preset"
  (cd "${root}" && cmake --preset release >/dev/null &&
    cmake --build --preset release --target openeci eci) >&2
  printf '%s\n' "${root}/build/release/src/server/openeci"
}

build_pause_archive() {
  local dir="${root}/build/images"
  if [[ ! -f "${dir}/pause.tar" ]]; then
    say "building the pause image into ${dir}"
    "${root}/scripts/images/build.sh" "${dir}" >&2
  fi
  printf '%s\n' "${dir}/pause.tar"
}

# render TEMPLATE: the file with @BINDIR@, @SYSCONFDIR@ and @DATADIR@ replaced.
render() {
  sed -e "s|@BINDIR@|${bindir}|g" -e "s|@SYSCONFDIR@|${SYSCONFDIR}|g" \
      -e "s|@DATADIR@|${datadir}|g" "$1"
}

[[ -n "${binary}" ]] || binary="$(build_binary)"
[[ -x "${binary}" ]] || die "not an executable file: ${binary}"
if [[ -z "${cli}" ]]; then
  cli="$(dirname "${binary}")/../cli/eci"
  [[ -x "${cli}" ]] || cli=none
fi
[[ "${cli}" == none || -x "${cli}" ]] || die "not an executable file: ${cli}"
[[ -n "${pause_archive}" ]] || pause_archive="$(build_pause_archive)"
[[ -f "${pause_archive}" ]] || die "no pause image archive at ${pause_archive}"

say "binary        ${DESTDIR}${bindir}/openeci"
install -D -m 0755 "${binary}" "${DESTDIR}${bindir}/openeci"
if [[ "${cli}" != none ]]; then
  say "client        ${DESTDIR}${bindir}/eci"
  install -D -m 0755 "${cli}" "${DESTDIR}${bindir}/eci"
fi

say "pause image   ${DESTDIR}${datadir}/images/pause.tar"
install -D -m 0644 "${pause_archive}" "${DESTDIR}${datadir}/images/pause.tar"

say "unit          ${DESTDIR}${UNITDIR}/openeci.service"
tmp="$(mktemp)"
trap 'rm -f "${tmp}"' EXIT
render "${here}/openeci.service" >"${tmp}"
install -D -m 0644 "${tmp}" "${DESTDIR}${UNITDIR}/openeci.service"

env_file="${DESTDIR}${SYSCONFDIR}/openeci/openeci.env"
if [[ -e "${env_file}" ]]; then
  say "settings      ${env_file} exists: kept as it is"
else
  say "settings      ${env_file}"
  render "${here}/openeci.env" >"${tmp}"
  # 0600: it may hold the AccessKey secret.
  install -D -m 0600 "${tmp}" "${env_file}"
fi

install -d -m 0700 "${DESTDIR}${STATEDIR}"

if [[ -z "${DESTDIR}" && ${EUID} -eq 0 && -d /run/systemd/system ]]; then
  systemctl daemon-reload
fi

cat >&2 <<NEXT
install: done. Next steps:
  edit    ${SYSCONFDIR}/openeci/openeci.env
  start   systemctl enable --now openeci
  keys    journalctl -u openeci | grep AccessKey   (or ${STATEDIR}/credentials)
  check   curl -s http://127.0.0.1:18080/readyz
NEXT
