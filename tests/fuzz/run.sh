#!/usr/bin/env bash
# run.sh SECONDS [TARGET...]: runs each libFuzzer target for SECONDS (default
# 60) from the seed corpus, with the XMPP dictionary, under ASan + UBSan.
# New inputs go to build/fuzz/corpus/ (not committed); a crash input is
# written to build/fuzz/artifacts/ and the script fails: copy it into
# tests/fuzz/corpus/TARGET/ once fixed, so `npm test` replays it forever.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
secs="${1:-60}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(fuzz_body fuzz_jid fuzz_scram fuzz_client)

CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXW_FUZZ=ON >/dev/null
cmake --build build/fuzz -j2 >/dev/null
mkdir -p build/fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  work="build/fuzz/corpus/$t"
  mkdir -p "$work"
  echo "== $t for ${secs}s"
  if ! build/fuzz/"$t" "$work" "tests/fuzz/corpus/$t" -dict=tests/fuzz/xmpp.dict \
      -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="build/fuzz/artifacts/$t-" -print_final_stats=1 2>build/fuzz/"$t".log; then
    status=1
    echo "$t: FAILED, see build/fuzz/$t.log and build/fuzz/artifacts/"
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" build/fuzz/"$t".log | tail -3 || true
done
exit "$status"
