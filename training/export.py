#!/usr/bin/python3
"""Exports a trained checkpoint to the two ONNX graphs of the glyph contract.

    /usr/bin/python3 training/export.py training/runs/main/best.pt --out models

Writes glyph_generator.onnx (content [N,1,H,W], style [N,S] -> glyph
[N,1,H,W]) and style_encoder.onnx (refs [N,K,H,W] -> style [N,S]) at opset
17 with dynamic N, H, W and the metadata_props of ../shared/DESIGN.md, plus
glyph_model.pt (the state dict and config, what the benchmark's PyTorch
anchors load with models/glyph_model.py).
"""
import argparse
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charset import REF_CHARS  # noqa: E402
from model import GlyphModel  # noqa: E402
from raster import RASTER_RULE  # noqa: E402

OPSET = 17
ALLOWED_OPS = {
    "Conv", "Relu", "LeakyRelu", "Sigmoid", "Add", "Mul", "Concat", "Resize", "Gemm",
    "MatMul", "GlobalAveragePool", "ReduceMean", "Reshape", "Flatten", "Unsqueeze",
    # shape arithmetic the exporter wraps around Resize and the FiLM split
    "Shape", "Gather", "Slice", "Div", "Cast", "Constant", "ConstantOfShape",
    "Equal", "Where", "Expand", "Floor", "Identity",
}


def load_checkpoint(path, device="cpu"):
    ck = torch.load(path, map_location=device)
    model = GlyphModel(ck.get("config"))
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def _torch_export(module, args, path, input_names, output_names, dynamic_axes):
    kwargs = {}
    if int(torch.__version__.split(".")[0]) >= 2:
        kwargs["dynamo"] = False  # the TorchScript exporter; see issue 4
    torch.onnx.export(module, args, path, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes,
                      opset_version=OPSET, do_constant_folding=True, **kwargs)


def _add_metadata(path, role, config):
    m = onnx.load(path)
    props = {
        "glint.role": role,
        "glint.style_dim": str(config["style_dim"]),
        "glint.ref_chars": REF_CHARS,
        "glint.content_font": "DejaVu Sans",
        "glint.raster": RASTER_RULE,
        "glint.resolutions": "32,64,128",
    }
    del m.metadata_props[:]
    for k, v in props.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    m.producer_name = "glint training/export.py"
    onnx.checker.check_model(m)
    bad = sorted({n.op_type for n in m.graph.node} - ALLOWED_OPS)
    if bad:
        raise RuntimeError("export: %s uses operators outside the contract: %s" % (path, bad))
    onnx.save(m, path)


def export(model, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    c = model.config
    gen = os.path.join(out_dir, "glyph_generator.onnx")
    enc = os.path.join(out_dir, "style_encoder.onnx")
    with torch.no_grad():
        _torch_export(model.generator, (torch.rand(1, 1, 64, 64), torch.randn(1, c["style_dim"])),
                      gen, ["content", "style"], ["glyph"],
                      {"content": {0: "N", 2: "H", 3: "W"}, "style": {0: "N"},
                       "glyph": {0: "N", 2: "H", 3: "W"}})
        _torch_export(model.encoder, (torch.rand(1, c["num_refs"], 64, 64),),
                      enc, ["refs"], ["style"],
                      {"refs": {0: "N", 2: "H", 3: "W"}, "style": {0: "N"}})
    _add_metadata(gen, "generator", c)
    _add_metadata(enc, "style_encoder", c)
    return gen, enc


def main():
    ap = argparse.ArgumentParser(description="export the glyph model to ONNX")
    ap.add_argument("checkpoint")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    args = ap.parse_args()
    model, ck = load_checkpoint(args.checkpoint)
    gen, enc = export(model, args.out)
    pt = os.path.join(args.out, "glyph_model.pt")
    torch.save({"model": model.state_dict(), "config": model.config,
                "ref_chars": REF_CHARS, "raster": RASTER_RULE,
                "trained": {k: ck.get(k) for k in ("step", "samples", "minutes", "device", "val_iou")}},
               pt)
    for p in (gen, enc, pt):
        print("export: %s (%.2f MB)" % (p, os.path.getsize(p) / 1e6))


if __name__ == "__main__":
    main()
