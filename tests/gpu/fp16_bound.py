#!/usr/bin/env python3
"""How far FP16 storage alone moves the glyph generator's output.

Runs models/glyph_model.pt's generator in FP32 and again with its weights
rounded to half and every layer's output rounded to half (arithmetic in
FP32, as glint's CUDA kernels do), on the inputs the GPU model tests use
(content and style uniform in [0, 1)), and prints max |error| / rms of the
FP32 output and rms(error) / rms: what FP16 storage costs any
implementation, and the reason for the whole-model FP16 bound of the GPU
tests (gu_model_parity in tests/gpu/gpu_util.h).

    python3 tests/gpu/fp16_bound.py [--draws 20] [--seed 1]

Measured (PyTorch 1.13 CPU, 2026-12-02, 20 draws, seed 1), max / rms:
1x64x64 6.6e-2 / 3.5e-3, 4x32x32 2.3e-2 / 2.0e-3, 2x16x16 1.1e-2 / 1.6e-3,
32x64x64 1.1e-1 / 1.9e-3 (another seed: up to 5.9e-3 in rms). The worst
element is heavy-tailed; the rms is not.
"""
import argparse
import copy
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import glyph_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    ref = glyph_model.load().generator
    half = copy.deepcopy(ref)
    for p in half.parameters():
        p.data = p.data.half().float()
    for mod in half.modules():
        if not list(mod.children()):
            mod.register_forward_hook(lambda m, i, o: o.half().float())
    for n, h in [(1, 64), (4, 32), (2, 16), (32, 64)]:
        worst_max = worst_rms = 0.0
        for _ in range(args.draws):
            c, s = torch.rand(n, 1, h, h), torch.rand(n, 64)
            with torch.no_grad():
                a = ref(c, s)
                b = half(c.half().float(), s.half().float())
            rms = max(a.pow(2).mean().sqrt().item(), 1e-6)
            worst_max = max(worst_max, (b - a).abs().max().item() / rms)
            worst_rms = max(worst_rms, (b - a).pow(2).mean().sqrt().item() / rms)
        print(f"{n}x{h}x{h}: FP16 storage, worst of {args.draws}: max |err| / rms "
              f"{worst_max:.2e}, rms(err) / rms {worst_rms:.2e}")


if __name__ == "__main__":
    main()
