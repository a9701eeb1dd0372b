#!/usr/bin/env bash
# One-shot GPU check: builds glint with the CUDA backend for sm_90, runs the
# GPU tests (ctest label "gpu") and writes OUTDIR/gpu_check.json (device,
# driver, date, per-test pass/fail counts) plus the logs. Meant to finish in
# under 3 minutes on a 16-core machine; every step is bounded by a timeout
# and the JSON is written whatever happens.
#
#   scripts/gpu_check.sh OUTDIR
set -u
OUT=${1:?usage: scripts/gpu_check.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${GLINT_GPU_BUILD:-$ROOT/build-gpu-check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T0=$(date +%s)

log() { echo "[gpu_check $(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/gpu_check.log"; }
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r\t'; }

DEVICE=unknown DRIVER=unknown CUDA_VER=unknown
if command -v nvidia-smi >/dev/null; then
  nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
  DEVICE=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
fi
command -v nvcc >/dev/null && CUDA_VER=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
log "device '$DEVICE', driver $DRIVER, nvcc $CUDA_VER"

CONFIG_RC=0 BUILD_RC=0 TEST_RC=0
log "configure"
timeout 120 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGLINT_CUDA=ON \
  -DGLINT_CUDA_ARCHITECTURES=90 -DGLINT_GLYPH=OFF > "$OUT/configure.log" 2>&1 || CONFIG_RC=$?
GPU_TESTS=$(cd "$ROOT/tests/gpu" && ls test_gpu_*.c 2>/dev/null | sed 's/\.c$//' | tr '\n' ' ')
if [ "$CONFIG_RC" = 0 ]; then
  # The library first, then each GPU test on its own, so that one test that
  # fails to build does not keep the others from running.
  log "build: glint_static $GPU_TESTS"
  timeout 150 cmake --build "$BUILD" -j"${GLINT_GPU_JOBS:-16}" --target glint_static \
    > "$OUT/build.log" 2>&1 || BUILD_RC=$?
  for t in $GPU_TESTS; do
    [ "$BUILD_RC" = 0 ] || break
    timeout 100 cmake --build "$BUILD" -j"${GLINT_GPU_JOBS:-16}" --target "$t" >> "$OUT/build.log" 2>&1 ||
      { log "build of $t failed; see build.log"; BUILD_FAILED="${BUILD_FAILED:-} $t"; }
  done
  [ "$BUILD_RC" = 0 ] || log "library build failed ($BUILD_RC); see build.log"
else
  log "configure failed ($CONFIG_RC); see configure.log"
fi
if [ "$CONFIG_RC" = 0 ] && [ "$BUILD_RC" = 0 ]; then
  log "ctest -L gpu"
  # The budget left (3 minutes in all), at least 60 s.
  LEFT=$(( 175 - ($(date +%s) - T0) )); [ $LEFT -lt 60 ] && LEFT=60
  # The per-op test first (the most telling), then the long model tests.
  (cd "$BUILD" && timeout $LEFT ctest -L gpu -R test_gpu_ops -V --output-on-failure --timeout 170) \
    > "$OUT/ctest.log" 2>&1 || TEST_RC=$?
  LEFT=$(( 178 - ($(date +%s) - T0) )); [ $LEFT -lt 60 ] && LEFT=60
  (cd "$BUILD" && timeout $LEFT ctest -L gpu -E test_gpu_ops -V --output-on-failure --timeout 170) \
    >> "$OUT/ctest.log" 2>&1 || TEST_RC=$(( TEST_RC | $? ))
  log "ctest exit $TEST_RC"
fi

# Per test: ctest's verdict and the "N passed, N failed" line of the binary.
{
  echo "{"
  echo "  \"device\": \"$(json_str "$DEVICE")\","
  echo "  \"driver\": \"$(json_str "$DRIVER")\","
  echo "  \"cuda\": \"$(json_str "$CUDA_VER")\","
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"commit\": \"$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
  echo "  \"configure_rc\": $CONFIG_RC, \"build_rc\": $BUILD_RC, \"ctest_rc\": $TEST_RC,"
  echo "  \"build_failed\": \"$(json_str "${BUILD_FAILED:-}")\","
  echo "  \"seconds\": $(( $(date +%s) - T0 )),"
  echo "  \"tests\": ["
  first=1
  for t in $GPU_TESTS; do
    num=$(sed -n "s/^ *Start *\([0-9]*\): $t\$/\1/p" "$OUT/ctest.log" 2>/dev/null | head -1)
    verdict=$(grep -E "Test *#[0-9]+: $t " "$OUT/ctest.log" 2>/dev/null | head -1 |
              sed -E 's/.*\.\.\. *//; s/ +[0-9.]+ sec.*//' | sed 's/\*//g; s/^ *//; s/ *$//')
    counts=""
    [ -n "$num" ] && counts=$(grep -E "^$num: .*: [0-9]+ passed, [0-9]+ failed" "$OUT/ctest.log" | tail -1)
    passed=$(echo "$counts" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
    failed=$(echo "$counts" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
    [ -n "$num" ] && grep -E "^$num: " "$OUT/ctest.log" | sed "s/^$num: //" > "$OUT/$t.log"
    [ $first = 1 ] || echo ","
    first=0
    printf '    {"name": "%s", "ctest": "%s", "passed": %s, "failed": %s}' "$t" \
      "$(json_str "${verdict:-not run}")" "${passed:-null}" "${failed:-null}"
  done
  echo
  echo "  ]"
  echo "}"
} > "$OUT/gpu_check.json"
log "wrote $OUT/gpu_check.json"
cat "$OUT/gpu_check.json"
[ "$CONFIG_RC" = 0 ] && [ "$BUILD_RC" = 0 ] && [ -z "${BUILD_FAILED:-}" ] && [ "$TEST_RC" = 0 ]
