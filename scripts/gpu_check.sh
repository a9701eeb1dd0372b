#!/usr/bin/env bash
# One-shot GPU check: builds glint with the CUDA backend for sm_90 only (the
# library and the GPU test binaries, nothing else), then runs each GPU test
# binary on its own, so that a crash in one (an illegal address) does not
# keep the others from running:
#
#   test_gpu_smoke    driver/runtime, device, a trivial kernel, copies, a graph
#   test_gpu_ops      every lowered op vs the reference, fp32/fp16/bf16, fast/simple
#   test_gpu_context  two buckets + device-loss recovery, graph vs direct, threads
#   test_gpu_model    whole models through the public API (parity, threads...)
#   test_gpu_int8     int8 convolutions (SIMT and tensor cores) vs the quantised reference
#   test_gpu_pressure the model while another process holds all but 2 GiB
#   compute-sanitizer memcheck (and racecheck) on a few ops cases, if time is left
#
# Everything is written into OUTDIR as it happens (one log per step, and
# gpu_check.json rewritten after every step), so a timeout keeps what ran.
# Meant to finish in under 3.5 minutes on a 16-core H200 machine (a fresh
# build of the tensor-core kernels' instances alone takes 100-130 s there):
# each step is bounded by a timeout and by the deadline GLINT_GPU_DEADLINE_S
# (default 200 s from the start, leaving room for the last step's minimum). The
# script never stops at a failure; its exit code says whether everything
# passed.
#
#   scripts/gpu_check.sh OUTDIR
set -u
OUT=${1:?usage: scripts/gpu_check.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${GLINT_GPU_BUILD:-$ROOT/build-gpu-check}
JOBS=${GLINT_GPU_JOBS:-16}
DEADLINE=${GLINT_GPU_DEADLINE_S:-200}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T0=$(date +%s)
: > "$OUT/gpu_check.log"

now() { echo $(( $(date +%s) - T0 )); }
log() { echo "[gpu_check $(now)s] $*" | tee -a "$OUT/gpu_check.log"; }
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r\t'; }
# Seconds a step may take: its own cap, but never past the deadline (at least 5).
budget() { local left=$(( DEADLINE - $(now) )); [ "$left" -gt "$1" ] && left=$1; [ "$left" -lt 5 ] && left=5; echo "$left"; }

DEVICE=unknown DRIVER=unknown CUDA_VER=unknown
if command -v nvidia-smi >/dev/null 2>&1; then
  timeout 20 nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
  DEVICE=$(timeout 10 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  DRIVER=$(timeout 10 nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
fi
NVCC=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
[ -n "$NVCC" ] && CUDA_VER=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
# GLINT_COMMIT names what runs where the tree's git metadata is not the
# checkout's (the device machine's copy keeps the session's first commit).
COMMIT=${GLINT_COMMIT:-$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)}
log "device '$DEVICE', driver $DRIVER, nvcc ${NVCC:-none} $CUDA_VER, commit $COMMIT, $(nproc) cores"

CONFIG_RC=-1 BUILD_RC=-1
STEPS=()          # names in run order
declare -A RC SECS PASSED FAILED

write_json() {
  {
    echo "{"
    echo "  \"device\": \"$(json_str "$DEVICE")\","
    echo "  \"driver\": \"$(json_str "$DRIVER")\","
    echo "  \"cuda\": \"$(json_str "$CUDA_VER")\","
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"commit\": \"$(json_str "$COMMIT")\","
    echo "  \"configure_rc\": $CONFIG_RC, \"build_rc\": $BUILD_RC,"
    echo "  \"seconds\": $(now),"
    echo "  \"steps\": ["
    local first=1 s
    for s in ${STEPS[@]+"${STEPS[@]}"}; do
      [ $first = 1 ] || echo ","
      first=0
      printf '    {"name": "%s", "rc": %s, "seconds": %s, "passed": %s, "failed": %s}' \
        "$(json_str "$s")" "${RC[$s]}" "${SECS[$s]}" "${PASSED[$s]:-null}" "${FAILED[$s]:-null}"
    done
    echo
    echo "  ]"
    echo "}"
  } > "$OUT/gpu_check.json.tmp" && mv "$OUT/gpu_check.json.tmp" "$OUT/gpu_check.json"
}

# run_step NAME CAP_SECONDS COMMAND...: runs with its output in OUT/NAME.log,
# records rc (124 = timed out), seconds and the "N passed, N failed" counts.
run_step() {
  local name=$1 cap=$2; shift 2
  local t=$(budget "$cap") s0=$(date +%s)
  log "$name (up to ${t}s): $*"
  timeout -k 5 "$t" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  # compute-sanitizer refuses some virtualised GPUs ("Device not supported",
  # seen under gVisor): that is the tool missing, not a memory error.
  if [ "$rc" != 0 ] && [ "${name#sanitizer_}" != "$name" ] &&
     grep -q -E 'Device not supported|Unable to find injection library' "$OUT/$name.log"; then
    rc=77
  fi
  STEPS+=("$name")
  RC[$name]=$rc
  SECS[$name]=$(( $(date +%s) - s0 ))
  local counts
  counts=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$OUT/$name.log" | tail -1)
  PASSED[$name]=$(echo "$counts" | sed -n 's/.* \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
  FAILED[$name]=$(echo "$counts" | sed -n 's/.* \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
  local what="rc $rc"
  [ "$rc" = 124 ] && what="TIMED OUT after ${t}s"
  [ "$rc" = 77 ] && what="skipped"
  [ "$rc" -gt 128 ] && what="rc $rc (killed by signal $(( rc - 128 )))"
  log "$name: $what, ${counts:-no totals line} ($(grep -c '^FAIL' "$OUT/$name.log") FAIL lines)"
  grep '^FAIL' "$OUT/$name.log" | head -20 | sed 's/^/    /' | tee -a "$OUT/gpu_check.log" >/dev/null
  write_json
}
write_json

log "configure (sm_90 only, Release, no glyph layer)"
timeout 60 cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGLINT_CUDA=ON \
  -DGLINT_CUDA_ARCHITECTURES=90 -DGLINT_GLYPH=OFF ${NVCC:+-DCMAKE_CUDA_COMPILER=$NVCC} \
  > "$OUT/configure.log" 2>&1
CONFIG_RC=$?
log "configure rc $CONFIG_RC"
write_json

TESTS="test_gpu_smoke test_gpu_ops test_gpu_context test_gpu_model test_gpu_int8 test_gpu_pressure"
if [ "$CONFIG_RC" = 0 ]; then
  # One build of the library and every GPU test; keep going past a test that
  # fails to compile so that the others still get built.
  KEEP="-k"
  [ -f "$BUILD/build.ninja" ] && KEEP="-k0"
  # glint itself too: bench/run_gpu.sh reuses this build dir right after.
  log "build: $TESTS glint_cli"
  timeout "$(budget 170)" cmake --build "$BUILD" -j"$JOBS" --target $TESTS glint_cli -- $KEEP \
    > "$OUT/build.log" 2>&1
  BUILD_RC=$?
  log "build rc $BUILD_RC; $(grep -c -E 'error:|Error [0-9]' "$OUT/build.log") error lines"
  [ "$BUILD_RC" = 0 ] || grep -E 'error:|Error [0-9]' "$OUT/build.log" | head -20 | sed 's/^/    /' >> "$OUT/gpu_check.log"
else
  log "configure failed; see configure.log"
fi
write_json

bin() { find "$BUILD" -name "$1" -type f -perm -u+x 2>/dev/null | head -1; }
missing() { STEPS+=("$1"); RC[$1]=-1; SECS[$1]=0; log "$1: not built"; write_json; }

export GLINT_SOURCE_DIR="$ROOT"
for t in test_gpu_smoke test_gpu_ops test_gpu_context test_gpu_model test_gpu_int8; do
  b=$(bin "$t")
  case $t in
    test_gpu_smoke) cap=20 ;; test_gpu_ops) cap=40 ;; test_gpu_context) cap=25 ;;
    test_gpu_int8) cap=30 ;; *) cap=45 ;;
  esac
  if [ -n "$b" ]; then run_step "$t" "$cap" "$b"; else missing "$t"; fi
done

# The spec's memory-pressure case before the optional sanitizer runs.
b=$(bin test_gpu_pressure)
if [ -n "$b" ]; then run_step test_gpu_pressure 30 "$b"; else missing test_gpu_pressure; fi

# Memory errors the tests cannot see (out-of-bounds reads that land in other
# valid memory, shared-memory races in the tensor-core and reduction kernels).
SAN=$(command -v compute-sanitizer || true)
for c in ${NVCC:+"$(dirname "$NVCC")/compute-sanitizer" "$(dirname "$NVCC")/../compute-sanitizer/compute-sanitizer"} \
         /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$SAN" ] && [ -x "$c" ] && SAN=$c
done
OPS=$(bin test_gpu_ops)
if [ -n "$SAN" ] && [ -n "$OPS" ] && [ $(( DEADLINE - $(now) )) -gt 25 ]; then
  run_step sanitizer_memcheck 40 env GLINT_GPU_OPS_ONLY=conv3x3,upsample_conv,concat_conv,conv_wmma_tails,conv_film_sample,resize_nn_half,slice_neg,slice_view,pad_reflect,gemm,instance_norm,transpose \
    "$SAN" --tool memcheck --error-exitcode 86 --print-limit 30 "$OPS"
  INT8=$(bin test_gpu_int8)
  if [ -n "$INT8" ] && [ $(( DEADLINE - $(now) )) -gt 25 ]; then
    run_step sanitizer_memcheck_int8 30 env GLINT_GPU_INT8_ONLY=conv3x3_relu,unet_decoder_b1,conv_big,qdq \
      "$SAN" --tool memcheck --error-exitcode 86 --print-limit 30 "$INT8"
  fi
  if [ $(( DEADLINE - $(now) )) -gt 20 ]; then
    run_step sanitizer_racecheck 25 env GLINT_GPU_OPS_ONLY=conv_wmma_tails,instance_norm,global_avg_pool \
      "$SAN" --tool racecheck --error-exitcode 86 --print-limit 30 "$OPS"
  fi
else
  log "compute-sanitizer skipped (${SAN:-not found}; $(( DEADLINE - $(now) ))s left)"
fi


ALL_OK=1
[ "$CONFIG_RC" = 0 ] && [ "$BUILD_RC" = 0 ] || ALL_OK=0
for s in ${STEPS[@]+"${STEPS[@]}"}; do
  [ "${RC[$s]}" = 0 ] || { [ "${s#sanitizer_}" != "$s" ] && [ "${RC[$s]}" = 77 ]; } || ALL_OK=0
done
log "done in $(now)s; everything passed: $([ $ALL_OK = 1 ] && echo yes || echo NO)"
write_json
cat "$OUT/gpu_check.json"
[ $ALL_OK = 1 ]
