#!/usr/bin/python3
"""Checks that the exported ONNX graphs compute what the PyTorch model does.

    /usr/bin/python3 training/check_export.py [--models models]

Loads models/glyph_model.pt into training/model.py, runs both ONNX graphs
(glyph_generator.onnx, style_encoder.onnx) with training/onnx_ref.py -- a
NumPy evaluator independent of PyTorch, since Debian 12's python3-onnx 1.12
has no onnx.reference and ONNX Runtime is not packaged -- on fresh random
inputs at several batch sizes and resolutions, and fails if any output
differs from PyTorch's by more than 1e-4 (FP32). It also checks the metadata
and that only contract operators are used. glint's own output on these
graphs is compared too with --glint PATH/TO/glint (the command line's
`glint run`, CPU, FP32, same limit).
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import onnx_ref  # noqa: E402
    from export import ALLOWED_OPS  # noqa: E402
    from model import GlyphModel  # noqa: E402
except ImportError as e:  # reported as skipped by ctest
    print("check_export: %s; install python3-torch python3-onnx python3-numpy" % e)
    sys.exit(77)

TOLERANCE = 1e-4
SHAPES = ((1, 32, 32), (3, 64, 64), (2, 128, 128), (2, 40, 24))


def run_glint(glint, model_path, feeds, output):
    """Runs `glint run` on the CPU and returns the named output."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [glint, "run", model_path, "--device", "cpu"]
        for name, arr in feeds.items():
            path = os.path.join(tmp, name + ".npy")
            np.save(path, arr)
            cmd += ["--input", "%s=%s" % (name, path)]
        out = os.path.join(tmp, output + ".npy")
        cmd += ["--output", "%s=%s" % (output, out)]
        subprocess.run(cmd, check=True, capture_output=True)
        return np.load(out)


def main():
    ap = argparse.ArgumentParser(description="compare ONNX export with PyTorch")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    ap.add_argument("--glint", default="", help="also compare this glint binary's output")
    args = ap.parse_args()
    if args.glint and not os.path.isfile(args.glint):
        print("check_export: glint binary %s not found (build it first)" % args.glint)
        return 1
    ck = torch.load(os.path.join(args.models, "glyph_model.pt"), map_location="cpu")
    model = GlyphModel(ck["config"])
    model.load_state_dict(ck["model"])
    model.eval()
    gen = onnx.load(os.path.join(args.models, "glyph_generator.onnx"))
    enc = onnx.load(os.path.join(args.models, "style_encoder.onnx"))
    ok = True
    for name, m in (("generator", gen), ("style_encoder", enc)):
        meta = {p.key: p.value for p in m.metadata_props}
        ops = {n.op_type for n in m.graph.node}
        need = ("glint.role", "glint.style_dim", "glint.ref_chars", "glint.content_font",
                "glint.raster", "glint.resolutions")
        missing = [k for k in need if k not in meta]
        if missing or meta.get("glint.role") != name or ops - ALLOWED_OPS:
            print("check_export: %s: missing metadata %s, role %r, extra operators %s"
                  % (name, missing, meta.get("glint.role"), sorted(ops - ALLOWED_OPS)))
            ok = False
    rng = np.random.default_rng(2024)
    k = model.config["num_refs"]
    worst = 0.0
    for n, h, w in SHAPES:
        # Glyph-like inputs: mostly paper with patches of ink, never all zeros.
        refs = (rng.random((n, k, h, w)) ** 3).astype(np.float32)
        content = (rng.random((n, 1, h, w)) ** 3).astype(np.float32)
        with torch.no_grad():
            style_t = model.encoder(torch.from_numpy(refs)).numpy()
            glyph_t = model.generator(torch.from_numpy(content), torch.from_numpy(style_t)).numpy()
        style_o = onnx_ref.run(enc, {"refs": refs})["style"]
        glyph_o = onnx_ref.run(gen, {"content": content, "style": style_t})["glyph"]
        e_style = float(np.abs(style_o - style_t).max())
        e_glyph = float(np.abs(glyph_o - glyph_t).max())
        worst = max(worst, e_style, e_glyph)
        print("check_export: N=%d H=%d W=%d: style max abs error %.2e, glyph %.2e"
              % (n, h, w, e_style, e_glyph))
        if args.glint:
            gs = run_glint(args.glint, os.path.join(args.models, "style_encoder.onnx"),
                           {"refs": refs}, "style")
            gg = run_glint(args.glint, os.path.join(args.models, "glyph_generator.onnx"),
                           {"content": content, "style": style_t}, "glyph")
            e_gs, e_gg = float(np.abs(gs - style_t).max()), float(np.abs(gg - glyph_t).max())
            worst = max(worst, e_gs, e_gg)
            print("check_export:   glint: style max abs error %.2e, glyph %.2e" % (e_gs, e_gg))
    ok = ok and worst <= TOLERANCE
    print("check_export: %s (worst %.2e, limit %.0e, evaluator training/onnx_ref.py%s)"
          % ("PASS" if ok else "FAIL", worst, TOLERANCE, " and glint" if args.glint else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
