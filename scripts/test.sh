#!/usr/bin/env bash
# Builds glint and runs every test: once in a release build with warnings as
# errors, once more under AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [--quick]   (--quick: skip the sanitizer pass)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test
jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DGLINT_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 900)
}
echo "== release build, warnings as errors =="
run_suite build-test -DCMAKE_BUILD_TYPE=Release
if [ "${1:-}" != "--quick" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
  # The CUDA backend is left out here: the sanitizers cannot see into it and
  # the release pass already compiles it.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DGLINT_SANITIZE=address,undefined -DGLINT_CUDA=OFF
fi
echo "glint: all tests passed"
