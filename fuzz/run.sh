#!/usr/bin/env bash
# Runs one fuzzer of the `fuzz` preset on a scratch copy of its seed corpus.
#
#   fuzz/run.sh TARGET SECONDS [WORKDIR] [libFuzzer flags...]
#
# WORKDIR (default /tmp/openeci-fuzz/TARGET) gets corpus/ (the seeds plus everything new the
# fuzzer keeps), artifacts/ (crash-*, leak-*, timeout-* inputs) and fuzz.log. Runs at nice 19.
# Afterwards, merge new coverage back into the seeds, minimised:
#   build/fuzz/fuzz/TARGET_fuzzer -merge=1 fuzz/corpus/TARGET WORKDIR/corpus
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?usage: fuzz/run.sh TARGET SECONDS [WORKDIR] [flags...]}"
seconds="${2:?usage: fuzz/run.sh TARGET SECONDS [WORKDIR] [flags...]}"
work="${3:-/tmp/openeci-fuzz/${target}}"
shift $(( $# < 3 ? $# : 3 ))
binary="${root}/build/fuzz/fuzz/${target}_fuzzer"
[[ -x "${binary}" ]] || { echo "no ${binary}: cmake --preset fuzz && cmake --build --preset fuzz" >&2; exit 1; }
mkdir -p "${work}/corpus" "${work}/artifacts"
cp -n "${root}/fuzz/corpus/${target}/"* "${work}/corpus/" 2>/dev/null || true
exec nice -n 19 "${binary}" -max_total_time="${seconds}" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="${work}/artifacts/" "$@" "${work}/corpus" \
  > "${work}/fuzz.log" 2>&1
