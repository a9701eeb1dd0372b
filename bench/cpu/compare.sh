#!/bin/sh
# glint's CPU backend against ONNX Runtime's CPU session on the same machine,
# model, batch and thread count. Alternates the two runtimes round by round
# (the machine may be shared) and reports the median of each one's per-round
# p50, with the load average before and after.
#
#   bench/cpu/compare.sh [MODEL] [ROUNDS]
#
# MODEL defaults to models/glyph_generator.onnx, or, when that is absent, a
# stand-in of the reference shape generated into /tmp by make_standin.py.
# Environment: GLINT_BUILD (build dir, default build), SIZES ("64"),
# BATCHES ("1 32"), THREADS ("1 2"), OUT (JSON lines file, default
# /tmp/glint_cpu_compare.jsonl).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${GLINT_BUILD:-$root/build}
rounds=${2:-3}
sizes=${SIZES:-64}
batches=${BATCHES:-"1 32"}
threads_list=${THREADS:-"1 2"}
out=${OUT:-/tmp/glint_cpu_compare.jsonl}

model=${1:-$root/models/glyph_generator.onnx}
if [ ! -f "$model" ]; then
    model=/tmp/glyph_generator_ref.onnx
    if [ ! -f "$model" ]; then
        echo "compare.sh: no models/glyph_generator.onnx; writing a stand-in to $model"
        /usr/bin/python3 "$here/make_standin.py" "$model" 24,48,80,112 2>/dev/null
    fi
fi
if [ ! -x "$build/glint" ]; then
    echo "compare.sh: building glint in $build"
    cmake -S "$root" -B "$build" -DGLINT_CUDA=OFF >/dev/null
    make -C "$build" -j2 glint_cli >/dev/null
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
    echo "compare.sh: installing onnxruntime-node into $here/node_modules"
    npm install --prefix "$here" --ignore-scripts --no-save --no-package-lock onnxruntime-node >/dev/null
fi

echo "model   $model"
echo "machine $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$out"
r=1
while [ "$r" -le "$rounds" ]; do
    for size in $sizes; do
        for b in $batches; do
            if [ "$b" -ge 8 ]; then it=5; wu=2; else it=100; wu=10; fi
            for t in $threads_list; do
                ort="node $here/ort_time.js $model --batch $b --size $size --threads $t --iters $it --warmup $wu"
                gl="$build/glint bench $model --device cpu --batch $b --size $size --threads $t --iters $it --warmup $wu --json"
                # alternate which runtime goes first
                if [ $((r % 2)) -eq 1 ]; then first=ort; else first=glint; fi
                for which in $first $( [ $first = ort ] && echo glint || echo ort ); do
                    if [ $which = ort ]; then line=$($ort); else line=$($gl); fi
                    echo "{\"round\":$r,\"runtime\":\"$which\",\"batch\":$b,\"size\":$size,\"threads\":$t,\"result\":$line}" >> "$out"
                done
            done
        done
    done
    r=$((r + 1))
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted({(r["size"], r["batch"], r["threads"]) for r in rows})
print("%-6s %-6s %-8s %14s %14s %8s" % ("size", "batch", "threads", "ORT p50 ms", "glint p50 ms", "ratio"))
for k in keys:
    med = {}
    for rt in ("ort", "glint"):
        v = [r["result"]["p50_us"] for r in rows if (r["size"], r["batch"], r["threads"]) == k and r["runtime"] == rt]
        med[rt] = statistics.median(v) / 1000.0
    print("%-6d %-6d %-8d %14.2f %14.2f %8.2f" % (k[0], k[1], k[2], med["ort"], med["glint"], med["ort"] / med["glint"]))
print("(median over rounds of each round's p50; ratio > 1: glint faster)")
PY
