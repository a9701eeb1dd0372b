#!/usr/bin/env python3
"""Builds run.json and summary.json from one benchmark run directory.

    python3 bench/summarize.py OUTDIR

Reads OUTDIR/glint_suite.json (glint bench --suite) and, when present,
OUTDIR/torch.json, OUTDIR/ort_cpu.json, OUTDIR/multiproc.json,
OUTDIR/pressure.json and OUTDIR/steps.json. Writes OUTDIR/run.json (all of
them plus the ratios to the anchors) and OUTDIR/summary.json: the flat
object of issue 6 with "spec_pass" true only when every specification metric
was measured and passes. Missing figures are null, never invented.
"""
import datetime
import json
import os
import sys

MB = 1e6
SPEC = [
    # key, item, threshold text, test
    ("spec_single_mean", "single glyph mean latency", "< 5 ms", lambda s: s["glint_b1_mean_us"] < 5000),
    ("spec_single_p99", "single glyph p99 latency", "< 6 ms", lambda s: s["glint_b1_p99_us"] < 6000),
    ("spec_batch_per_glyph", "per-glyph latency at batch >= 8 vs single", "<= 60%",
     lambda s: s["glint_batch_ge8_worst_ratio"] <= 0.60),
    ("spec_throughput", "sustained throughput (batch 1, sequential)", ">= 200 glyphs/s",
     lambda s: s["glint_b1_glyphs_per_s"] >= 200),
    ("spec_memory_b1", "GPU memory, single glyph (process)", "< 500 MB",
     lambda s: s["memory_b1_bytes"] < 500 * MB),
    ("spec_memory_b8", "GPU memory, batch of 8 (process)", "< 2 GB", lambda s: s["memory_b8_bytes"] < 2000 * MB),
    ("spec_drift", "no degradation over 10,000 runs (p50 last vs first 1,000)", "<= +10%",
     lambda s: s["drift_10k_pct"] <= 10.0),
]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def close_truncated(text):
    """The longest prefix of a JSON document cut short (a run killed by its
    time limit) that ends after a complete object or array, closed, or None."""
    stack, cuts, in_str, esc = [], [], False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
            cuts.append((i + 1, "".join(reversed(stack))))
    for end, closers in reversed(cuts):
        try:
            return json.loads(text[:end] + closers)
        except ValueError:
            continue
    return None


def load_suite(d):
    """glint_suite.json, or what a killed suite left in glint_suite.json.tmp."""
    g = load(os.path.join(d, "glint_suite.json"))
    if g is not None:
        return g
    try:
        with open(os.path.join(d, "glint_suite.json.tmp")) as f:
            g = close_truncated(f.read())
    except OSError:
        return None
    if isinstance(g, dict):
        g["partial"] = True
    return g if isinstance(g, dict) else None


def find(lst, key, val):
    for x in lst or []:
        if isinstance(x, dict) and x.get(key) == val:
            return x
    return {}


def anchor(torch, mode, b, field):
    try:
        return torch["modes"][mode][f"b{b}"][field]
    except (KeyError, TypeError):
        return None


def summarize(g, torch, ort):
    s = {}
    gpu = g.get("gpu_before") or {}
    if g.get("device") == "cuda":
        # NVML's name; without NVML, PyTorch's name of the same card
        s["device"] = gpu.get("name") or (torch or {}).get("device") or "cuda (GPU name unknown)"
    else:
        s["device"] = "cpu: " + (g.get("cpu") or "unknown")
    s["date"] = g.get("date") or datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    s["glint_device"] = g.get("device")
    s["glint_precision"] = g.get("precision")
    s["glint_suite_partial"] = bool(g.get("partial"))
    sweep = g.get("batch_sweep")
    b1 = find(sweep, "batch", 1)
    s["glint_b1_p50_us"] = b1.get("p50_us")
    s["glint_b1_p99_us"] = b1.get("p99_us")
    s["glint_b1_mean_us"] = b1.get("mean_us")
    s["glint_b8_per_glyph_us"] = find(sweep, "batch", 8).get("per_glyph_us")
    ratios = [find(sweep, "batch", b).get("per_glyph_ratio_to_b1") for b in (8, 16, 32)]
    s["glint_batch_ge8_worst_ratio"] = max(ratios) if all(r is not None for r in ratios) else None
    tp = g.get("throughput")
    s["glint_b1_glyphs_per_s"] = find(tp, "batch", 1).get("glyphs_per_s")
    s["glint_b32_glyphs_per_s"] = find(tp, "batch", 32).get("glyphs_per_s")
    mem = g.get("memory")
    m1, m8 = find(mem, "batch", 1), find(mem, "batch", 8)
    s["glint_device_bytes_b1"] = m1.get("device_total_bytes")
    s["glint_device_bytes_b8"] = m8.get("device_total_bytes")
    s["process_device_bytes_b1"] = m1.get("process_device_bytes")
    s["process_device_bytes_b8"] = m8.get("process_device_bytes")
    # the spec's memory figure is the process's; without NVML per-process
    # figures the device-used delta (first engine: includes the CUDA context)
    s["memory_b1_bytes"] = s["process_device_bytes_b1"] or m1.get("device_used_delta_bytes")
    s["memory_b8_bytes"] = s["process_device_bytes_b8"] or m8.get("device_used_delta_bytes")
    # issue 3: the CUDA context reported apart from glint's own bytes (the
    # process's device memory less glint's; bench/NOTES.md, "CUDA memory")
    s["cuda_context_bytes_b1"] = m1.get("cuda_context_bytes_est")
    if g.get("device") != "cuda":
        s["memory_b1_bytes"] = s["memory_b8_bytes"] = None
    s["ready_ms"] = ((g.get("ready") or {}).get("with_warmup") or {}).get("ready_ms")
    # issue 3: the 18 standard buckets built and warmed (target <= 100 ms)
    s["ready_standard_ms"] = ((g.get("ready") or {}).get("standard_buckets") or {}).get("ready_ms")
    drift = g.get("drift") or {}
    s["drift_10k_pct"] = drift.get("drift_pct")
    s["drift_runs"] = drift.get("runs")
    s["torch_ro_b1_p50_us"] = anchor(torch, "compile_reduce_overhead", 1, "p50_us")
    s["torch_ro_b32_glyphs_per_s"] = anchor(torch, "compile_reduce_overhead", 32, "glyphs_per_s")
    s["torch_eager_b1_p50_us"] = anchor(torch, "eager_fp32", 1, "p50_us")
    s["torch_eager_b32_glyphs_per_s"] = anchor(torch, "eager_fp32", 32, "glyphs_per_s")
    s["torch_ro_b8_per_glyph_us"] = anchor(torch, "compile_reduce_overhead", 8, "per_glyph_us")
    s["torch_fp16_cl_eager_b1_p50_us"] = anchor(torch, "fp16_channels_last", 1, "p50_us")
    # the other glint precisions measured by the suite (the headline figures
    # above are the suite's own precision)
    for prec in g.get("precisions") or []:
        name = prec.get("precision")
        if name in ("fp32", "fp16", "bf16") and name != g.get("precision"):
            s[f"glint_{name}_b1_p50_us"] = (prec.get("b1") or {}).get("p50_us")
            s[f"glint_{name}_b32_glyphs_per_s"] = (prec.get("b32") or {}).get("glyphs_per_s")
    # issue 3's targets against torch.compile reduce-overhead (FP16, channels_last)
    ro1, ro32 = s["torch_ro_b1_p50_us"], s["torch_ro_b32_glyphs_per_s"]
    for name, b1, tp in (("", s["glint_b1_p50_us"], s["glint_b32_glyphs_per_s"]),
                         ("fp16_", s.get("glint_fp16_b1_p50_us"), s.get("glint_fp16_b32_glyphs_per_s")),
                         ("bf16_", s.get("glint_bf16_b1_p50_us"), s.get("glint_bf16_b32_glyphs_per_s"))):
        s[f"glint_{name}b1_p50_over_torch_ro"] = b1 / ro1 if b1 and ro1 else None
        s[f"glint_{name}b32_throughput_over_torch_ro"] = tp / ro32 if tp and ro32 else None
    path = g.get("cuda_path") or {}
    s["cuda_path"] = {k: path.get(k) for k in ("GLINT_CUDA_SIMPLE", "GLINT_CUDA_NO_GRAPH")}
    for prec in ("fp32", "fp16", "bf16"):
        p = path.get(prec) or {}
        s["cuda_path"][prec] = {"kernels_b1": p.get("kernels_b1"),
                                "tensor_core_convs_b1": p.get("tensor_core_convs_b1")}
    # the device limits the CUDA context is sized by (set at engine creation)
    for k in ("stack_limit_bytes", "printf_fifo_bytes", "malloc_heap_bytes"):
        s["cuda_path"][k] = (path.get("fp32") or {}).get(k)
    # recovery after an injected device loss: the run that meets it fails,
    # the next one rebuilds and succeeds (include/glint.h)
    loss = g.get("device_loss") or {}
    s["device_loss_recovered"] = loss.get("recovered") if loss.get("applies") else None
    s["device_loss_recovery_run_us"] = loss.get("recovery_run_us")
    s["device_loss_rebuild_us"] = loss.get("rebuild_us")
    if ort:
        s["ort_cpu_b1_p50_us"] = ((ort.get("results") or {}).get("b1") or {}).get("p50_us")
    items = []
    passed = True
    for key, item, thr, test in SPEC:
        try:
            ok = bool(test(s))
        except (TypeError, KeyError):
            ok = None  # not measured
        s[key + "_pass"] = ok
        items.append({"key": key, "item": item, "threshold": thr, "pass": ok})
        passed = passed and ok is True
    if g.get("device") != "cuda":
        passed = False  # the specification is a GPU specification
    s["spec_pass"] = passed
    return s, items


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = argv[1]
    g = load_suite(d) or {}
    torch = load(os.path.join(d, "torch.json"))
    ort = load(os.path.join(d, "ort_cpu.json"))
    s, items = summarize(g, torch, ort)
    ratios = {}
    for mode in ("eager_fp32", "eager_fp16", "fp16_channels_last", "compile_default",
                 "compile_reduce_overhead"):
        for b in (1, 8, 32):
            t = anchor(torch, mode, b, "mean_us")
            gl = find(g.get("batch_sweep"), "batch", b).get("mean_us")
            if t and gl:
                ratios[f"{mode}_b{b}_mean_speedup"] = t / gl  # > 1: glint faster
    run = {"summary": s, "spec": items, "ratios_to_anchors": ratios, "glint": g, "torch": torch,
           "ort_cpu": ort, "multiproc": load(os.path.join(d, "multiproc.json")),
           "pressure": load(os.path.join(d, "pressure.json")),
           "steps": load(os.path.join(d, "steps.json"))}
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump(run, f, indent=1)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(s, f, indent=1)
    print(json.dumps(s, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
