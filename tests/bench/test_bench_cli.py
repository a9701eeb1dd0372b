"""`glint bench` end to end on the CPU: one configuration with --json, bad
arguments, and a miniature --suite run through summarize.py and report.py.

    test_bench_cli.py GLINT MODEL WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys

glint, model, work = sys.argv[1:4]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def run(*args, timeout=300):
    return subprocess.run([glint, "bench", *args], capture_output=True, text=True, timeout=timeout)


# one configuration
p = run(model, "--device", "cpu", "--batch", "2", "--size", "16", "--iters", "20", "--warmup", "2",
        "--threads", "1", "--json")
check(p.returncode == 0, f"bench --json exits 0 ({p.stderr.strip()[:300]})")
try:
    r = json.loads(p.stdout)
except ValueError:
    r = {}
for k in ("p50_us", "p95_us", "p99_us", "max_us", "mean_us", "glyphs_per_s"):
    check(isinstance(r.get(k), (int, float)) and r[k] > 0, f"json has positive {k}")
check(r.get("min_us", 0) <= r.get("p50_us", -1) <= r.get("p95_us", -1) <= r.get("p99_us", -1) <= r.get("max_us", -1),
      "min <= p50 <= p95 <= p99 <= max")
check(r.get("device") == "cpu" and r.get("precision") == "fp32" and r.get("batch") == 2 and r.get("size") == 16,
      "json names device, precision, batch and size")
if r.get("mean_us"):
    want = 2 * 1e6 / r["mean_us"]
    check(0.5 * want < r["glyphs_per_s"] < 1.5 * want, "glyphs_per_s agrees with the mean latency")

# through the batcher with several clients
p = run(model, "--device", "cpu", "--size", "16", "--iters", "20", "--warmup", "2", "--threads", "1",
        "--clients", "4", "--batcher", "--contexts", "2", "--batch", "8", "--json")
check(p.returncode == 0, f"bench --clients 4 --batcher exits 0 ({p.stderr.strip()[:300]})")

# bad input: clear one-line errors, nonzero exits
for args, what in (([model, "--batch", "0"], "batch 0"), ([model, "--bogus"], "unknown option"),
                   ([os.path.join(work, "missing.onnx")], "missing model"), ([], "no model"),
                   (["--suite", model], "--suite without --out")):
    p = run(*args)
    check(p.returncode != 0 and p.stderr.strip() != "", f"refuses {what}")

# a miniature suite
out = os.path.join(work, "glint_suite.json")
p = run("--suite", model, "--device", "cpu", "--threads", "1", "--size", "16", "--out", out,
        "--iters", "6", "--warmup", "1", "--drift-iters", "40", "--throughput-iters", "40", "--idle-s", "0.05",
        timeout=600)
check(p.returncode == 0, f"suite exits 0 ({p.stderr.strip()[-300:]})")
s = {}
try:
    s = json.load(open(out))
except (OSError, ValueError) as e:
    check(False, f"suite output is JSON ({e})")
check(not os.path.exists(out + ".tmp"), "no temporary file left")
for k in ("batch_sweep", "resolutions", "throughput", "concurrency_contexts", "concurrency_batcher",
          "memory", "ready", "drift", "idle", "precisions", "device_loss"):
    check(k in s, f"suite has {k}")
sweep = {x.get("batch"): x for x in s.get("batch_sweep", [])}
check(sorted(sweep) == [1, 2, 4, 8, 16, 32], "batch sweep 1..32")
check(all("p50_us" in x for x in sweep.values()), "every batch measured")
check({x.get("size") for x in s.get("resolutions", [])} >= {32, 40, 48, 64, 72, 96, 128}, "resolutions incl. 40 and 72")
check([x.get("clients") for x in s.get("concurrency_contexts", [])] == [1, 2, 4, 8, 16], "threads 1..16")
check(all("p50_us" in x for x in s.get("concurrency_batcher", [])), "batcher concurrency measured")
check(isinstance(s.get("drift", {}).get("drift_pct"), (int, float)), "drift measured")
check(isinstance(s.get("idle", {}).get("after_idle_us"), (int, float)), "after-idle run measured")
check("ready_ms" in s.get("ready", {}).get("with_warmup", {}), "time to ready measured")
std = s.get("ready", {}).get("standard_buckets", {})
check(std.get("buckets") == 18 and "ready_ms" in std, f"ready with the 18 standard buckets measured ({std})")
# device loss off CUDA: the flag does nothing, so both runs succeed, the
# outputs match an engine without the flag, and the section says recovered
loss = s.get("device_loss", {})
check(loss.get("applies") is False, "device loss does not apply on the CPU")
check(loss.get("loss_run_status") == "GLINT_OK" and loss.get("recovery_run_status") == "GLINT_OK",
      f"device loss: both runs succeed on the CPU ({loss})")
check(isinstance(loss.get("rebuild_us"), (int, float)), "device loss: rebuild latency recorded")
check(loss.get("outputs_match_unharmed_engine") is True and loss.get("recovered") is True,
      "device loss: outputs match an engine without the flag")
p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "summarize.py"), work], capture_output=True, text=True)
check(p.returncode == 0, "summarize.py runs")
summ = json.load(open(os.path.join(work, "summary.json"))) if p.returncode == 0 else {}
for k in ("device", "date", "glint_b1_p50_us", "glint_b1_p99_us", "torch_ro_b1_p50_us", "glint_b8_per_glyph_us",
          "glint_b32_glyphs_per_s", "torch_ro_b32_glyphs_per_s", "glint_device_bytes_b1", "glint_device_bytes_b8",
          "process_device_bytes_b1", "ready_ms", "ready_standard_ms", "drift_10k_pct", "spec_pass"):
    check(k in summ, f"summary has {k}")
check(summ.get("spec_pass") is False, "a CPU run never claims the GPU specification")
p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "report.py"), work], capture_output=True, text=True)
check(p.returncode == 0 and os.path.exists(os.path.join(work, "report.md")), "report.py writes report.md")
p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare"), os.path.join(work, "summary.json"),
                    os.path.join(work, "summary.json")], capture_output=True, text=True)
check(p.returncode == 0, "a summary compares clean against itself")
print(f"{failures} failures")
sys.exit(1 if failures else 0)
