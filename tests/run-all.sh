#!/usr/bin/env bash
# run-all.sh: everything `npm test` runs, in order — native unit tests
# (plain and under AddressSanitizer + UndefinedBehaviorSanitizer), the wasm
# build, then integration tests against a real ejabberd in Node and in
# headless Chromium. Installs what is missing first. Fails on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash tests/support/ensure-system.sh
# Any dev dependency missing (a checkout from before one was added): install them all.
[ -d node_modules/playwright-core ] && [ -d node_modules/typedoc ] || npm ci --no-audit --no-fund

echo "== native unit tests"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/native -j2 >/dev/null
ctest --test-dir build/native --output-on-failure

echo "== native unit tests under ASan + UBSan"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DXW_SANITIZE=ON >/dev/null
cmake --build build/asan -j2 >/dev/null
ctest --test-dir build/asan --output-on-failure

echo "== native unit tests under valgrind (no leaks, no invalid accesses)"
for t in test_xml test_jid test_sasl test_bosh test_session test_im; do
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=1 "build/native/$t" >/dev/null
done
echo "valgrind: clean"

echo "== static analysis"
bash tests/lint.sh

echo "== fuzz corpora replayed (every seed and past crash input, under ASan + UBSan)"
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXW_FUZZ=ON >/dev/null
cmake --build build/fuzz -j2 >/dev/null
ctest --test-dir build/fuzz --output-on-failure -R _corpus

echo "== wasm build"
bash wasm-build/build.sh

echo "== integration tests (real ejabberd, Node and Chromium)"
# A test that hangs fails after 5 minutes (the longest take half a minute),
# naming itself, instead of holding the run until CI's limit.
node --test --test-concurrency=1 --test-timeout=300000 tests/integration/
