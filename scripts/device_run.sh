#!/usr/bin/env bash
# The GPU run of a session, in one call of the device machine: the GPU tests
# (scripts/gpu_check.sh), then the benchmark suite with its PyTorch anchors
# (bench/run_gpu.sh), sharing one CUDA build, under one time budget.
#
#   scripts/device_run.sh OUTDIR [BUDGET_S]      (default 240 s)
#
# The device machine returns at most 8 files from OUTDIR, so each stage's
# folder is packed into one archive as soon as the stage ends; a timeout
# later still returns what finished.
set -u
OUT=${1:?usage: scripts/device_run.sh OUTDIR [BUDGET_S]}
BUDGET=${2:-240}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
T0=$(date +%s)
mkdir -p "$OUT"
elapsed() { echo $(( $(date +%s) - T0 )); }

export GLINT_GPU_BUILD="$ROOT/build-gpu"
# torch.compile's first compile of the anchor can take longer than the
# benchmark stage can give it. Compile the same functions once now, at the
# lowest CPU priority and with a hard limit, while the GPU tests build and
# run: the benchmark's anchor then finds them in PyTorch's on-disk caches
# (Inductor's FX graph and Triton caches in /tmp). Timing is not taken here.
mkdir -p "$WORK/gpu"
PRE_PID=
if command -v "${PYTHON:-python3}" >/dev/null 2>&1; then
  nice -n 19 timeout -k 5 55 "${PYTHON:-python3}" "$ROOT/bench/anchors/torch_anchor.py" \
    --out "$WORK/gpu/torch_precompile.json" --modes compile_reduce_overhead --batches 1,32,8 \
    --iters 1 --warmup 3 --budget-s 45 --min-compile-s 5 > "$WORK/gpu/torch_precompile.log" 2>&1 &
  PRE_PID=$!
fi
echo "[device_run] gpu tests (deadline $(( BUDGET * 45 / 100 ))s)"
GLINT_GPU_DEADLINE_S=$(( BUDGET * 45 / 100 )) "$ROOT/scripts/gpu_check.sh" "$WORK/gpu"
echo "[device_run] gpu tests rc=$? after $(elapsed)s"
if [ -n "$PRE_PID" ]; then kill "$PRE_PID" 2>/dev/null; wait "$PRE_PID" 2>/dev/null; fi
cp "$WORK/gpu/gpu_check.json" "$OUT/" 2>/dev/null
tar czf "$OUT/gpu_results.tar.gz" -C "$WORK" gpu

left=$(( BUDGET - $(elapsed) - 8 ))
echo "[device_run] benchmark (budget ${left}s)"
BUILD_DIR="$ROOT/build-gpu" BUDGET_S=$left "$ROOT/bench/run_gpu.sh" "$WORK/bench"
echo "[device_run] benchmark rc=$? after $(elapsed)s"
for f in summary.json report.md; do cp "$WORK/bench/$f" "$OUT/" 2>/dev/null; done
tar czf "$OUT/bench_results.tar.gz" -C "$WORK" bench
rm -rf "$WORK"
echo "[device_run] done in $(elapsed)s"
