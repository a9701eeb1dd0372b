#!/usr/bin/env python3
"""PyTorch anchors for the glint benchmark, on the same card, model and weights.

    python3 bench/anchors/torch_anchor.py --out torch.json [--pt models/glyph_model.pt]
        [--iters 200] [--warmup 20] [--size 64] [--batches 1,8,32] [--budget-s 90]
        [--max-autotune]

Loads models/glyph_model.pt (state dict + config) into GlyphModel from
models/glyph_model.py (or training/model.py) and times its generator
(content [N,1,H,W], style [N,S] -> glyph) in several modes:

  eager_fp32, eager_fp16, fp16_channels_last, compile_reduce_overhead,
  compile_default, and compile_max_autotune with --max-autotune (minutes).

Each call is timed end to end like glint_run: inputs copied from pinned host
memory, the model, the output copied back to pinned host memory, then a
stream sync (host wall clock). The GPU-only time of the same calls is taken
with CUDA events. Every mode is optional: a failure is recorded in "errors"
and the next mode runs; modes are skipped once --budget-s is spent.
"""
import argparse
import importlib.util
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stats(xs):
    xs = sorted(xs)
    n = len(xs)

    def pct(p):
        import math
        return xs[max(1, math.ceil(p * n)) - 1]
    return {"n": n, "p50_us": pct(0.5), "p95_us": pct(0.95), "p99_us": pct(0.99),
            "max_us": xs[-1], "mean_us": sum(xs) / n, "min_us": xs[0]}


def load_module(pt_path):
    import torch
    for cand in (os.path.join(ROOT, "models", "glyph_model.py"), os.path.join(ROOT, "training", "model.py")):
        if os.path.exists(cand):
            sys.path.insert(0, os.path.dirname(cand))
            spec = importlib.util.spec_from_file_location("glyph_model_anchor", cand)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            break
    else:
        raise RuntimeError("no models/glyph_model.py or training/model.py")
    ck = torch.load(pt_path, map_location="cpu")
    model = mod.GlyphModel(ck.get("config"))
    model.load_state_dict(ck["model"])
    model.eval()
    return model.generator, model.config["style_dim"]


def time_mode(fn, dtype, channels_last, batch, size, style_dim, iters, warmup):
    import torch
    dev = torch.device("cuda")
    gen = torch.Generator().manual_seed(batch * 1000 + size)
    content_h = torch.rand(batch, 1, size, size, generator=gen).pin_memory()
    style_h = torch.rand(batch, style_dim, generator=gen).pin_memory()
    out_h = torch.empty(batch, 1, size, size).pin_memory()
    stream = torch.cuda.current_stream()
    host, gpu = [], []
    with torch.inference_mode():
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            c = content_h.to(dev, non_blocking=True)
            s = style_h.to(dev, non_blocking=True)
            if dtype is not None:
                c, s = c.to(dtype), s.to(dtype)
            if channels_last:
                c = c.contiguous(memory_format=torch.channels_last)
            e0.record(stream)
            y = fn(c, s)
            e1.record(stream)
            out_h.copy_(y.float(), non_blocking=True)
            stream.synchronize()
            t1 = time.perf_counter()
            if i >= warmup:
                host.append((t1 - t0) * 1e6)
                gpu.append(e0.elapsed_time(e1) * 1e3)
    r = stats(host)
    r["gpu_only"] = stats(gpu)
    r["per_glyph_us"] = r["mean_us"] / batch
    r["glyphs_per_s"] = batch / (r["mean_us"] * 1e-6)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--pt", default=os.path.join(ROOT, "models", "glyph_model.pt"))
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--budget-s", type=float, default=90)
    ap.add_argument("--max-autotune", action="store_true")
    a = ap.parse_args()
    t_start = time.time()
    res = {"anchor": "torch", "size": a.size, "iters": a.iters, "modes": {}, "errors": {}}

    def save():
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, indent=1)
        os.replace(tmp, a.out)

    try:
        import torch
        res["torch_version"] = torch.__version__
        res["cuda_version"] = torch.version.cuda
        if not torch.cuda.is_available():
            raise RuntimeError("no CUDA device visible to PyTorch")
        res["device"] = torch.cuda.get_device_name(0)
        gen, style_dim = load_module(a.pt)
        gen = gen.cuda()
    except Exception as e:  # recorded, not fatal: the glint figures stand alone
        res["errors"]["setup"] = f"{type(e).__name__}: {e}"
        save()
        return 0
    import copy
    batches = [int(b) for b in a.batches.split(",")]
    modes = [("eager_fp32", None, False, None), ("eager_fp16", torch.float16, False, None),
             ("fp16_channels_last", torch.float16, True, None),
             ("compile_reduce_overhead", None, False, "reduce-overhead"),
             ("compile_default", None, False, "default")]
    if a.max_autotune:
        modes.append(("compile_max_autotune", None, False, "max-autotune"))
    for name, dtype, cl, compile_mode in modes:
        if time.time() - t_start > a.budget_s:
            res["errors"][name] = "skipped: time budget spent"
            continue
        try:
            m = copy.deepcopy(gen)
            if dtype is not None:
                m = m.to(dtype)
            if cl:
                m = m.to(memory_format=torch.channels_last)
            fn = m
            t0 = time.time()
            if compile_mode:
                fn = torch.compile(m, mode=compile_mode, dynamic=False)
            res["modes"][name] = {}
            for b in batches:
                r = time_mode(fn, dtype, cl, b, a.size, style_dim, a.iters, a.warmup)
                res["modes"][name][f"b{b}"] = r
            if compile_mode:
                res["modes"][name]["compile_and_run_s"] = time.time() - t0
        except Exception as e:
            res["errors"][name] = f"{type(e).__name__}: {str(e)[:500]}"
        save()
    res["total_s"] = time.time() - t_start
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
