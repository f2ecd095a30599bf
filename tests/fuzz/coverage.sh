#!/usr/bin/env bash
# coverage.sh: how much of core/ the fuzz corpora reach. Builds the fuzz
# targets with clang's source-based coverage, replays the seed corpora and
# whatever run.sh has found in build/fuzz/corpus/, and prints llvm-cov's
# per-file report for core/src.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out=build/fuzz-cov
CC=clang cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXW_FUZZ=ON \
  -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >/dev/null
cmake --build "$out" -j2 >/dev/null
rm -f "$out"/*.profraw
objects=()
for t in fuzz_body fuzz_jid fuzz_scram fuzz_client; do
  dirs=("tests/fuzz/corpus/$t")
  [ -d "build/fuzz/corpus/$t" ] && dirs+=("build/fuzz/corpus/$t")
  LLVM_PROFILE_FILE="$out/$t.profraw" "$out/$t" -runs=0 "${dirs[@]}" >/dev/null 2>&1
  objects+=(-object "$out/$t")
done
llvm-profdata-14 merge -o "$out/all.profdata" "$out"/*.profraw
llvm-cov-14 report --instr-profile "$out/all.profdata" "${objects[@]:1}" core/src/*.c
