#!/usr/bin/env python3
"""ONNX Runtime CPU anchor for glint's CPU figures.

    python3 bench/anchors/ort_cpu.py MODEL.onnx --out ort.json [--iters 100]
        [--size 64] [--batches 1,8] [--threads 0]

Times the same ONNX model with the same input rule as `glint bench` (float
inputs random in [0,1), integer inputs 0, N = batch, dynamic H and W = size,
a dynamic [N,S] second dim from metadata glint.style_dim). Failures are
recorded in "errors", never fatal.
"""
import argparse
import json
import math
import os
import sys
import time


def stats(xs):
    xs = sorted(xs)
    n = len(xs)
    pct = lambda p: xs[max(1, math.ceil(p * n)) - 1]
    return {"n": n, "p50_us": pct(0.5), "p95_us": pct(0.95), "p99_us": pct(0.99),
            "max_us": xs[-1], "mean_us": sum(xs) / n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    res = {"anchor": "onnxruntime_cpu", "size": a.size, "results": {}, "errors": {}}
    try:
        import numpy as np
        import onnxruntime as ort
        res["onnxruntime_version"] = ort.__version__
        so = ort.SessionOptions()
        if a.threads:
            so.intra_op_num_threads = a.threads
        sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
        meta = sess.get_modelmeta().custom_metadata_map
        sdim = int(meta.get("glint.style_dim", "1") or 1)
        rng = np.random.default_rng(0)
        for b in [int(x) for x in a.batches.split(",")]:
            feeds = {}
            for inp in sess.get_inputs():
                dims = []
                for d, v in enumerate(inp.shape):
                    r = len(inp.shape)
                    if d == 0:
                        v = b
                    elif not isinstance(v, int):
                        v = a.size if (r >= 3 and d >= r - 2) else (sdim if r == 2 else 1)
                    dims.append(v)
                if "float" in inp.type:
                    feeds[inp.name] = rng.random(dims, dtype=np.float32)
                else:
                    feeds[inp.name] = np.zeros(dims, dtype=np.int64)
            lat = []
            for i in range(a.warmup + a.iters):
                t0 = time.perf_counter()
                sess.run(None, feeds)
                if i >= a.warmup:
                    lat.append((time.perf_counter() - t0) * 1e6)
            s = stats(lat)
            s["per_glyph_us"] = s["mean_us"] / b
            s["glyphs_per_s"] = b / (s["mean_us"] * 1e-6)
            res["results"][f"b{b}"] = s
    except Exception as e:
        res["errors"]["run"] = f"{type(e).__name__}: {str(e)[:500]}"
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
