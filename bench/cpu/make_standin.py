#!/usr/bin/python3
"""Writes a stand-in glyph generator for the CPU benchmark when the trained
models/glyph_generator.onnx is not there yet: the reference architecture
(training/model.py) with random weights, FiLM projections included (they
start at zero in training, which would make FiLM a no-op), exported at opset
17 with dynamic N, H, W.

    /usr/bin/python3 bench/cpu/make_standin.py OUT.onnx [C0,C1,C2,C3]

The optional channel widths default to the trained model's (16,32,48,64),
about 185 MFLOP per 64x64 glyph; 24,48,80,112 gives the ~0.5 GFLOP
reference shape of issue 2.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
from model import GlyphModel, conv_flops  # noqa: E402


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/glyph_generator_standin.onnx"
    torch.manual_seed(1)
    cfg = {}
    if len(sys.argv) > 2:
        cfg["gen_channels"] = tuple(int(c) for c in sys.argv[2].split(","))
    m = GlyphModel(cfg).eval()
    with torch.no_grad():
        for f in m.generator.film:
            f.proj.weight.normal_(0, 0.05)
            f.proj.bias.normal_(0, 0.05)
    g = m.generator
    S = m.config["style_dim"]
    args = (torch.rand(1, 1, 64, 64), torch.randn(1, S))
    kwargs = {"dynamo": False} if int(torch.__version__.split(".")[0]) >= 2 else {}
    torch.onnx.export(g, args, out, input_names=["content", "style"], output_names=["glyph"],
                      dynamic_axes={"content": {0: "N", 2: "H", 3: "W"}, "style": {0: "N"},
                                    "glyph": {0: "N", 2: "H", 3: "W"}},
                      opset_version=17, do_constant_folding=True, **kwargs)
    print("%s: %.1f MFLOP per 64x64 glyph" % (out, conv_flops(g, args) / 1e6))


if __name__ == "__main__":
    main()
