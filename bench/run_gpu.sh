#!/bin/bash
# One command for the GPU machine: build glint with CUDA (sm_90), run the
# glint suite and the anchors on the same card, and write run.json,
# summary.json and report.md (+ plots) into OUTDIR, copied to
# bench/results/<device>/.
#
#   bench/run_gpu.sh OUTDIR
#
# The whole run is held under BUDGET_S seconds (default 230, i.e. < 4 min):
# every step gets a timeout from what is left, and a step that does not fit
# is skipped and recorded in steps.json, never fatal. Order, most valuable
# first: build (a no-op after scripts/gpu_check.sh), glint's suite, the
# PyTorch anchors, several processes, memory pressure, ONNX Runtime CPU. Iteration counts are
# deliberately small for this one-shot run (override through the
# environment): ITERS=300 per latency figure, DRIFT_ITERS=3000 (the spec asks
# 10,000: set DRIFT_ITERS=10000 when time allows), THROUGHPUT_ITERS=3000,
# IDLE_S=3 (spec: 10), ANCHOR_ITERS=100. SUITE_S (default 60) and ANCHOR_S
# (default 75) cap the two long steps; scripts/device_run.sh raises all of
# these for a long budget (bench/README.md, "A full GPU session"). MODEL
# defaults to models/glyph_generator.onnx, else the golden test model.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: bench/run_gpu.sh OUTDIR}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
BUDGET_S=${BUDGET_S:-230}
ITERS=${ITERS:-300}
DRIFT_ITERS=${DRIFT_ITERS:-3000}
THROUGHPUT_ITERS=${THROUGHPUT_ITERS:-3000}
IDLE_S=${IDLE_S:-3}
ANCHOR_ITERS=${ANCHOR_ITERS:-100}
SUITE_S=${SUITE_S:-60}
ANCHOR_S=${ANCHOR_S:-75}
PY=${PYTHON:-python3}
MODEL=${MODEL:-$ROOT/models/glyph_generator.onnx}
[ -f "$MODEL" ] || MODEL=$ROOT/tests/models/unet_opset17.onnx
BUILD=${BUILD_DIR:-$ROOT/build-gpu}
T0=$(date +%s)
STEPS="$OUT/steps.json"
echo "[" > "$STEPS"
first=1

left() { echo $(( BUDGET_S - ($(date +%s) - T0) )); }

# step NAME WANT_S RESERVE_S CMD...: runs CMD with timeout min(WANT_S, left - RESERVE_S)
step() {
    local name=$1 want=$2 reserve=$3; shift 3
    local avail=$(( $(left) - reserve )) t rc s0
    t=$(( want < avail ? want : avail ))
    s0=$(date +%s)
    if [ "$t" -lt 5 ]; then
        rc=skipped
        echo "run_gpu: skip $name (no time left)"
    else
        echo "run_gpu: $name (up to ${t}s, $(left)s left)"
        timeout -k 5 "$t" "$@" > "$OUT/$name.log" 2>&1
        rc=$?
        [ "$rc" = 0 ] || echo "run_gpu: $name exited $rc (see $OUT/$name.log)"
    fi
    [ $first = 1 ] || echo "," >> "$STEPS"
    first=0
    printf '{"step":"%s","rc":"%s","seconds":%d,"timeout_s":%d}' "$name" "$rc" $(( $(date +%s) - s0 )) "$t" >> "$STEPS"
}

# scripts/gpu_check.sh (scripts/device_run.sh) has usually configured and
# built this tree already, glint included: then only a no-op build is left.
# A fresh tree is configured without the tests.
if [ -f "$BUILD/CMakeCache.txt" ] && grep -q '^GLINT_CUDA:STRING=ON' "$BUILD/CMakeCache.txt"; then
    step build 90 60 cmake --build "$BUILD" -j"$(nproc)" --target glint_cli
else
    step build 90 60 bash -c "cmake -S '$ROOT' -B '$BUILD' -DCMAKE_BUILD_TYPE=Release -DGLINT_CUDA=ON \
        -DGLINT_CUDA_ARCHITECTURES=90 -DGLINT_GLYPH=OFF -DGLINT_BUILD_TESTS=OFF && \
        cmake --build '$BUILD' -j\$(nproc) --target glint_cli"
fi
GLINT=$BUILD/glint

step glint_suite "$SUITE_S" 50 "$GLINT" bench --suite "$MODEL" --device cuda --out "$OUT/glint_suite.json" \
    --iters "$ITERS" --warmup 20 --drift-iters "$DRIFT_ITERS" \
    --throughput-iters "$THROUGHPUT_ITERS" --idle-s "$IDLE_S" --contexts 2

# The anchor the targets are stated against: torch.compile reduce-overhead
# (FP16, channels_last), the first mode torch_anchor.py runs. Its compile
# time is not known in advance, so it comes right after glint's own
# figures, keeps its own budget (a little under the step's timeout) and
# writes torch.json after every batch.
ANCHOR_T=$(( $(left) - 22 < ANCHOR_S ? $(left) - 22 : ANCHOR_S ))
step torch_anchor "$ANCHOR_S" 22 "$PY" "$ROOT/bench/anchors/torch_anchor.py" --out "$OUT/torch.json" \
    --iters "$ANCHOR_ITERS" --warmup 10 --budget-s $(( ANCHOR_T > 10 ? ANCHOR_T - 6 : 5 ))

# several processes on one GPU: 2 and 4 concurrent `glint bench` processes
step multiproc 15 8 bash -c "
  for P in 2 4; do
    for i in \$(seq \$P); do '$GLINT' bench '$MODEL' --device cuda --batch 1 --iters $ITERS --json > \"$OUT/mp_\${P}_\${i}.json\" 2>&1 & done
    wait
  done
  $PY - '$OUT' <<'PYEOF'
import glob, json, os, sys
d = sys.argv[1]; res = {}
for P in (2, 4):
    runs = []
    for f in sorted(glob.glob(os.path.join(d, f'mp_{P}_*.json'))):
        try: runs.append(json.loads(open(f).read().strip().splitlines()[-1]))
        except Exception as e: runs.append({'error': str(e)})
    ok = [r for r in runs if 'glyphs_per_s' in r]
    res[f'{P}_processes'] = {'runs': runs, 'total_glyphs_per_s': sum(r['glyphs_per_s'] for r in ok),
                             'worst_p99_us': max((r['p99_us'] for r in ok), default=None)}
json.dump(res, open(os.path.join(d, 'multiproc.json'), 'w'), indent=1)
PYEOF"

# memory pressure: another process holds all but 2 GB of the card
step pressure 20 8 bash -c "
  $PY - <<'PYEOF' > '$OUT/hog.log' 2>&1 &
import time, torch
free, total = torch.cuda.mem_get_info()
hold = max(0, free - 2 * 1024**3)
x = torch.empty(hold, dtype=torch.uint8, device='cuda')
print('holding', hold, flush=True); time.sleep(25)
PYEOF
  HOG=\$!
  for i in \$(seq 40); do grep -q holding '$OUT/hog.log' 2>/dev/null && break; sleep 0.25; done
  '$GLINT' bench '$MODEL' --device cuda --batch 8 --iters $ITERS --json > '$OUT/pressure.json.tmp'
  rc=\$?; kill \$HOG 2>/dev/null; wait \$HOG 2>/dev/null
  if [ \$rc = 0 ]; then mv '$OUT/pressure.json.tmp' '$OUT/pressure.json'
  else echo '{\"error\":\"glint bench exited '\$rc' under memory pressure\"}' > '$OUT/pressure.json'; fi"

step ort_cpu 15 6 "$PY" "$ROOT/bench/anchors/ort_cpu.py" "$MODEL" --out "$OUT/ort_cpu.json" --iters 50 --batches 1,8
echo "]" >> "$STEPS"

"$PY" "$ROOT/bench/summarize.py" "$OUT" > "$OUT/summarize.log" 2>&1 || echo "run_gpu: summarize failed (see summarize.log)"
"$PY" "$ROOT/bench/report.py" "$OUT" || echo "run_gpu: report failed"
DEV=$("$PY" -c "import json,re,sys; d=json.load(open('$OUT/summary.json'))['device']; print(re.sub('[^A-Za-z0-9]+','_',d).strip('_').lower())" 2>/dev/null || echo unknown)
DEST="$ROOT/bench/results/$DEV"
if ! "$PY" -c "import json,sys; sys.exit(json.load(open('$OUT/summary.json')).get('glint_b1_p50_us') is None)" 2>/dev/null; then
    echo "run_gpu: no glint figures; bench/results is left alone"
    DEST="(not copied)"
else
mkdir -p "$DEST" && cp "$OUT"/summary.json "$OUT"/report.md "$OUT"/run.json "$DEST"/ 2>/dev/null
cp "$OUT"/*.png "$DEST"/ 2>/dev/null
fi
echo "run_gpu: done in $(( $(date +%s) - T0 ))s; results in $OUT and $DEST"
