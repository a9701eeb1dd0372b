#!/usr/bin/python3
"""Builds the golden test model for the engine (issue 2, item 8).

A small glyph-like FiLM U-Net with seeded random weights is exported at ONNX
opsets 11, 13 and 17 with dynamic N, H and W, and run in PyTorch on fixed
random inputs of a few shapes; the engine must reproduce those outputs.

It covers what the real glyph model uses: convs (one with stride 2), a
BatchNormalization that stays in the graph for the engine to fold (exported
with TrainingMode.PRESERVE so PyTorch does not fold it first), LeakyRelu and
Relu, a Gemm on the style vector whose output is split into FiLM scale and
shift (Unsqueeze, Split, Mul, Add), a nearest 2x Resize, a skip Concat and a
Sigmoid, wrapped in the shape arithmetic PyTorch's exporter emits for dynamic
axes. Run with Debian's python3-torch (1.13) from the repository root:

    /usr/bin/python3 tests/models/make_golden.py

The layout of the files it writes is described in tests/models/README.md.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
STYLE_DIM = 8
OPSETS = (11, 13, 17)
# (N, H, W): batch 1 square, a batch of 2 with H != W, a batch of 4 at the
# smallest legal size -- so a wrong stride, axis or broadcast shows.
CASES = ((1, 16, 16), (2, 32, 24), (4, 8, 16))


class GoldenUNet(nn.Module):
    def __init__(self, style_dim=STYLE_DIM):
        super().__init__()
        self.enc = nn.Conv2d(1, 8, 3, padding=1)
        self.enc_bn = nn.BatchNorm2d(8)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(16, 16, 3, padding=1)
        self.film = nn.Linear(style_dim, 2 * 16)
        self.dec = nn.Conv2d(16 + 8, 8, 3, padding=1)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, content, style):
        e = F.relu(self.enc_bn(self.enc(content)))
        d = F.leaky_relu(self.down(e), 0.2)
        m = self.mid(d)
        gb = self.film(style).unsqueeze(-1).unsqueeze(-1)
        gamma, beta = gb.chunk(2, dim=1)
        m = F.relu(m * (1.0 + gamma) + beta)
        u = F.interpolate(m, scale_factor=2.0, mode="nearest")
        x = F.relu(self.dec(torch.cat([u, e], dim=1)))
        return torch.sigmoid(self.out(x))


def build_model():
    torch.manual_seed(20260412)
    model = GoldenUNet()
    with torch.no_grad():
        # Non-trivial running statistics, so folding them wrongly shows.
        bn = model.enc_bn
        bn.running_mean.copy_(torch.randn(8) * 0.2)
        bn.running_var.copy_(torch.rand(8) + 0.5)
        bn.weight.copy_(torch.rand(8) + 0.5)
        bn.bias.copy_(torch.randn(8) * 0.1)
        # Default init leaves the output near 0.5; larger weights spread it
        # over most of (0, 1) so that an error anywhere moves it visibly.
        model.mid.weight.mul_(2.0)
        model.film.weight.mul_(2.0)
        model.dec.weight.mul_(2.0)
        model.out.weight.mul_(6.0)
        model.out.bias.fill_(2.0)
    model.eval()
    return model


def export(model, opset, path):
    content = torch.rand(1, 1, 16, 16)
    style = torch.randn(1, STYLE_DIM)
    torch.onnx.export(
        model, (content, style), path,
        input_names=["content", "style"], output_names=["glyph"],
        dynamic_axes={"content": {0: "N", 2: "H", 3: "W"},
                      "style": {0: "N"}, "glyph": {0: "N", 2: "H", 3: "W"}},
        opset_version=opset, do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE)


def main():
    import onnx
    model = build_model()
    nparams = sum(p.numel() for p in model.parameters())
    for opset in OPSETS:
        path = os.path.join(HERE, "unet_opset%d.onnx" % opset)
        export(model, opset, path)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        ops = sorted({n.op_type for n in m.graph.node})
        if "BatchNormalization" not in ops:
            sys.exit("make_golden: BatchNormalization was folded by the exporter")
        print("opset %d: %s" % (opset, " ".join(ops)))
    rng = np.random.default_rng(7)
    for k, (n, h, w) in enumerate(CASES):
        # Glyph-like content: mostly paper, some ink, anti-aliased edges.
        content = rng.random((n, 1, h, w), dtype=np.float32)
        content = np.where(content < 0.6, 0.0, content).astype(np.float32)
        style = rng.standard_normal((n, STYLE_DIM), dtype=np.float32)
        with torch.no_grad():
            glyph = model(torch.from_numpy(content), torch.from_numpy(style)).numpy()
        for name, arr in (("content", content), ("style", style), ("glyph", glyph)):
            np.save(os.path.join(HERE, "case%d_%s.npy" % (k, name)),
                    np.ascontiguousarray(arr, dtype=np.float32))
        print("case %d: N=%d H=%d W=%d glyph range [%.3f, %.3f]"
              % (k, n, h, w, glyph.min(), glyph.max()))
    print("parameters: %d" % nparams)


if __name__ == "__main__":
    main()
