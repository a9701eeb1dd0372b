#!/bin/sh
# Builds glint with ThreadSanitizer in build-tsan/ and runs the concurrency
# tests (batcher, telemetry, and the engine-backed batcher when present).
# Usage: scripts/tsan.sh [build-dir]   (JOBS=N to change the -j, default 2)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-tsan"}
jobs=${JOBS:-2}
cmake -S "$root" -B "$build" -DGLINT_CUDA=OFF -DGLINT_GLYPH=OFF \
      -DGLINT_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets="test_batcher test_telemetry"
[ -f "$root/tests/unit/test_batcher_engine.c" ] && targets="$targets test_batcher_engine"
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets
# halt_on_error: any race fails the run, not just a printed warning
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
regex=$(echo "$targets" | sed 's/ /$|^/g')
ctest --test-dir "$build" --output-on-failure -R "^${regex}\$"
