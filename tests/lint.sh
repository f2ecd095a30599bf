#!/usr/bin/env bash
# lint.sh: static analysis of core/, run by `npm test`. Fails on any finding.
#   cppcheck: warning, performance and portability checks.
#   clang-tidy: bugprone-*, cert-* and the clang static analyzer, less:
#     bugprone-easily-swappable-parameters  (style: many (ptr, len) pairs by design)
#     bugprone-reserved-identifier, cert-dcl37-c, cert-dcl51-cpp  (header guards like XW_H)
#     cert-err33-c  (ignored results are explicit where harmless)
#     bugprone-assignment-in-if-condition  (style)
#     clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
#       (asks for C11 Annex K memcpy_s, which glibc and musl do not have)
#     clang-analyzer-valist.Uninitialized  (false positive: a va_list handed
#       to a static helper after va_start)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cppcheck --enable=warning,performance,portability --std=c11 --error-exitcode=1 --inline-suppr \
  -Icore/include -Icore/src --suppress=missingIncludeSystem --quiet core/src
cmake -S . -B build/native -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
checks='-*,bugprone-*,cert-*,clang-analyzer-*'
checks+=',-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp'
checks+=',-cert-err33-c,-bugprone-assignment-in-if-condition'
checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-valist.Uninitialized'
clang-tidy -p build/native --quiet --warnings-as-errors='*' --checks="$checks" core/src/*.c
echo "lint: cppcheck and clang-tidy clean"
