#!/usr/bin/env bash
# Tests packaging/install.sh: installs a built binary into a temporary DESTDIR and checks the
# tree (paths, modes, substituted paths in the unit and the env file), that a second run is
# idempotent and keeps an edited env file, that PREFIX moves everything, and — when
# systemd-analyze is installed — that `systemd-analyze verify` accepts the unit.
#
#   packaging/install_test.sh BINARY [CLI]  (ctest runs it as packaging_install)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="$(realpath "${1:?usage: install_test.sh BINARY [CLI]}")"
cli="${2:-none}"
work="$(mktemp -d /tmp/openeci-install-test.XXXXXX)"
trap 'rm -rf "${work}"' EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then
    printf 'ok    %s\n' "${what}"
  else
    printf 'FAIL  %s\n' "${what}"
    failures=$((failures + 1))
  fi
}
mode_of() { stat -c '%a' "$1"; }
has_line() { grep -qxF -- "$2" "$1"; }
# Every file and directory below $1 with its mode and checksum: what "the same tree" means.
tree_of() {
  (cd "$1" && find . -printf '%p %M\n' | sort && find . -type f -print0 | sort -z |
    xargs -0 sha256sum)
}

# A stand-in pause archive: the script copies it, it does not look inside.
printf 'pause image archive\n' >"${work}/pause.tar"

dest="${work}/root"
DESTDIR="${dest}" "${here}/install.sh" --binary "${binary}" --cli "${cli}" \
  --pause-archive "${work}/pause.tar" 2>"${work}/install.log"

unit="${dest}/etc/systemd/system/openeci.service"
env_file="${dest}/etc/openeci/openeci.env"
check "binary installed 0755 and identical" \
  bash -c "[[ \$(stat -c %a '${dest}/usr/local/bin/openeci') == 755 ]] && cmp -s '${binary}' '${dest}/usr/local/bin/openeci'"
check "installed binary runs" "${dest}/usr/local/bin/openeci" --help
check "pause archive in share/openeci/images" cmp -s "${work}/pause.tar" \
  "${dest}/usr/local/share/openeci/images/pause.tar"
check "unit is 0644" test "$(mode_of "${unit}")" = 644
check "unit: ExecStart" has_line "${unit}" "ExecStart=/usr/local/bin/openeci serve"
check "unit: EnvironmentFile" has_line "${unit}" "EnvironmentFile=-/etc/openeci/openeci.env"
check "unit: Restart=on-failure" has_line "${unit}" "Restart=on-failure"
check "unit: KillMode=process (SIGTERM to openeci only)" has_line "${unit}" "KillMode=process"
check "unit: StateDirectory=openeci" has_line "${unit}" "StateDirectory=openeci"
check "unit: no placeholder left" bash -c "! grep -q @ '${unit}'"
check "env file is 0600" test "$(mode_of "${env_file}")" = 600
check "env file: pause archive path" has_line "${env_file}" \
  "OPENECI_SANDBOX_IMAGE_ARCHIVE=/usr/local/share/openeci/images/pause.tar"
check "env file: state dir" has_line "${env_file}" "OPENECI_STATE_DIR=/var/lib/openeci"
check "env file: only comments and KEY=value lines" \
  bash -c "! grep -vE '^(#.*|[A-Z_]+=[^ ]*|)$' '${env_file}'"
check "state dir is 0700" test "$(mode_of "${dest}/var/lib/openeci")" = 700
expected_files='./etc/openeci/openeci.env ./etc/systemd/system/openeci.service '
if [[ "${cli}" != none ]]; then
  check "eci client installed 0755 and identical" \
    bash -c "[[ \$(stat -c %a '${dest}/usr/local/bin/eci') == 755 ]] && cmp -s '${cli}' '${dest}/usr/local/bin/eci'"
  expected_files+='./usr/local/bin/eci '
fi
expected_files+='./usr/local/bin/openeci ./usr/local/share/openeci/images/pause.tar '
check "nothing written outside DESTDIR's expected paths" bash -c "
  [[ \"\$(cd '${dest}' && find . -type f | sort | tr '\n' ' ')\" == '${expected_files}' ]]"

# Idempotent: the same tree again; an edited env file survives.
tree_of "${dest}" >"${work}/tree1"
DESTDIR="${dest}" "${here}/install.sh" --binary "${binary}" --cli "${cli}" --pause-archive "${work}/pause.tar" \
  2>>"${work}/install.log"
tree_of "${dest}" >"${work}/tree2"
check "second run installs the same tree" cmp -s "${work}/tree1" "${work}/tree2"
printf 'OPENECI_LISTEN=0.0.0.0:18080\n' >>"${env_file}"
DESTDIR="${dest}" "${here}/install.sh" --binary "${binary}" --cli "${cli}" --pause-archive "${work}/pause.tar" \
  2>>"${work}/install.log"
check "an edited env file is kept" has_line "${env_file}" "OPENECI_LISTEN=0.0.0.0:18080"

# PREFIX and SYSCONFDIR move the paths inside the unit and the env file too.
dest2="${work}/root2"
DESTDIR="${dest2}" PREFIX=/opt/openeci SYSCONFDIR=/etc/opt \
  "${here}/install.sh" --binary "${binary}" --cli "${cli}" --pause-archive "${work}/pause.tar" 2>>"${work}/install.log"
check "PREFIX: binary" test -x "${dest2}/opt/openeci/bin/openeci"
check "PREFIX: ExecStart" has_line "${dest2}/etc/systemd/system/openeci.service" \
  "ExecStart=/opt/openeci/bin/openeci serve"
check "SYSCONFDIR: EnvironmentFile" has_line "${dest2}/etc/systemd/system/openeci.service" \
  "EnvironmentFile=-/etc/opt/openeci/openeci.env"
check "PREFIX: pause archive path" has_line "${dest2}/etc/opt/openeci/openeci.env" \
  "OPENECI_SANDBOX_IMAGE_ARCHIVE=/opt/openeci/share/openeci/images/pause.tar"
check "a relative PREFIX is refused" bash -c "! PREFIX=usr DESTDIR='${work}/x' '${here}/install.sh' \
  --binary '${binary}' --pause-archive '${work}/pause.tar' 2>/dev/null"

# systemd's own check of the unit. Installed without DESTDIR under a temporary PREFIX so that
# ExecStart names a file that exists.
if command -v systemd-analyze >/dev/null 2>&1; then
  units="${work}/units"
  PREFIX="${work}/prefix" SYSCONFDIR="${work}/etc" UNITDIR="${units}" STATEDIR="${work}/state" \
    "${here}/install.sh" --binary "${binary}" --cli "${cli}" --pause-archive "${work}/pause.tar" 2>>"${work}/install.log"
  if systemd-analyze verify "${units}/openeci.service" >"${work}/verify.log" 2>&1 &&
    ! grep -q 'openeci.service' "${work}/verify.log"; then
    printf 'ok    systemd-analyze verify\n'
  else
    printf 'FAIL  systemd-analyze verify:\n'
    sed 's/^/      /' "${work}/verify.log"
    failures=$((failures + 1))
  fi
else
  printf 'skip  systemd-analyze verify (systemd-analyze not installed)\n'
fi

if ((failures)); then
  printf '\n%d check(s) failed; install.sh said:\n' "${failures}"
  cat "${work}/install.log"
  exit 1
fi
printf '\nall install checks passed\n'
