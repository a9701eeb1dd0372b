"""bench/compare on crafted summaries: both thresholds, both directions,
and the refusal to compare different devices."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(ROOT, "bench", "compare")

BASE = {
    "device": "NVIDIA H200", "date": "2025-01-01",
    "glint_b1_p50_us": 400.0, "glint_b1_p99_us": 500.0, "torch_ro_b1_p50_us": 900.0,
    "glint_b8_per_glyph_us": 100.0, "glint_b32_glyphs_per_s": 50000.0,
    "torch_ro_b32_glyphs_per_s": 30000.0, "glint_device_bytes_b1": 10_000_000,
    "glint_device_bytes_b8": 40_000_000, "process_device_bytes_b1": 500_000_000,
    "ready_ms": 300.0, "ready_standard_ms": 40.0, "drift_10k_pct": 1.0, "spec_pass": True,
}

failures = 0


def run(new, base=BASE):
    with tempfile.TemporaryDirectory() as d:
        pn, pb = os.path.join(d, "new.json"), os.path.join(d, "base.json")
        json.dump(new, open(pn, "w"))
        json.dump(base, open(pb, "w"))
        p = subprocess.run([sys.executable, COMPARE, pn, pb], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


def expect(name, new, code, warn_line, base=BASE):
    global failures
    rc, out = run(new, base)
    has_warn = any(l.startswith("WARNING") for l in out.splitlines())
    ok = rc == code and has_warn == warn_line
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc} (want {code}), warning line {has_warn} (want {warn_line})")
    if not ok:
        print(out)
        failures += 1


def changed(**kw):
    d = dict(BASE)
    d.update(kw)
    return d


expect("identical", dict(BASE), 0, False)
expect("5% slower", changed(glint_b1_p50_us=420.0), 0, False)
expect("9.9% slower", changed(glint_b1_p50_us=439.6), 0, False)
expect("10% slower warns", changed(glint_b1_p50_us=440.0), 0, True)
expect("19% slower warns", changed(glint_b1_p99_us=595.0), 0, True)
expect("20% slower blocks", changed(glint_b1_p50_us=480.0), 1, False)
expect("35% more memory blocks", changed(glint_device_bytes_b8=54_000_000), 1, False)
expect("12% less throughput warns", changed(glint_b32_glyphs_per_s=44000.0), 0, True)
expect("25% less throughput blocks", changed(glint_b32_glyphs_per_s=37500.0), 1, False)
expect("faster is fine", changed(glint_b1_p50_us=200.0, glint_b32_glyphs_per_s=90000.0), 0, False)
expect("anchors are not gated", changed(torch_ro_b1_p50_us=5000.0), 0, False)
expect("slower ready warns", changed(ready_ms=340.0), 0, True)
expect("standard buckets 50% slower to ready blocks", changed(ready_standard_ms=60.0), 1, False)
expect("different device refused", changed(device="NVIDIA H100"), 3, False)
expect("missing device refused", {k: v for k, v in BASE.items() if k != "device"}, 3, False)
rc, out = run(dict(BASE), base=[1, 2])
if rc != 2:
    print("FAIL non-object baseline:", rc, out)
    failures += 1
print(f"{failures} failures")
sys.exit(1 if failures else 0)
