#!/usr/bin/env python3
"""How far FP16 or BF16 storage alone moves the glyph generator's output.

Runs models/glyph_model.pt's generator in FP32 and again with its weights
rounded to the 16-bit type and every layer's output rounded to it
(arithmetic in FP32, as glint's CUDA kernels do), on the inputs the GPU
model tests use (content and style uniform in [0, 1)), and prints max
|error| / rms of the FP32 output and rms(error) / rms: what FP16 or BF16
storage costs any implementation, and the reason for the whole-model
bounds of the GPU tests (gu_model_parity in tests/gpu/gpu_util.h).

    python3 tests/gpu/fp16_bound.py [--dtype fp16|bf16|both] [--draws 20] [--seed 1]

Measured (PyTorch 1.13 CPU, 20 draws, seed 1), max / rms:
FP16: 1x64x64 6.6e-2 / 3.5e-3, 4x32x32 2.3e-2 / 2.0e-3, 2x16x16 1.1e-2 /
1.6e-3, 32x64x64 1.1e-1 / 1.9e-3.
BF16: 1x64x64 4.5e-1 / 2.6e-2, 4x32x32 1.8e-1 / 1.6e-2, 2x16x16 1.6e-1 /
2.2e-2, 32x64x64 6.3e-1 / 1.8e-2.
Worst over seeds 1-11 (20 draws each): FP16 2.3e-1 / 8.3e-3, BF16 2.9 /
1.5e-1, both at 1x64x64 (one glyph, whose output rms can be small); at
batch 2-32 BF16 stays within 7.2e-1 / 4.1e-2. The worst element is
heavy-tailed, and at batch 1 so is the rms.
"""
import argparse
import copy
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import glyph_model  # noqa: E402

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def storage_twin(ref, dtype):
    """ref with its weights and every leaf module's output rounded to dtype."""
    twin = copy.deepcopy(ref)
    for p in twin.parameters():
        p.data = p.data.to(dtype).float()
    for mod in twin.modules():
        if not list(mod.children()):
            mod.register_forward_hook(lambda m, i, o: o.to(dtype).float())
    return twin


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", choices=["fp16", "bf16", "both"], default="both")
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    ref = glyph_model.load().generator
    names = ["fp16", "bf16"] if args.dtype == "both" else [args.dtype]
    twins = {name: storage_twin(ref, DTYPES[name]) for name in names}
    for n, h in [(1, 64), (4, 32), (2, 16), (32, 64)]:
        worst = {name: [0.0, 0.0] for name in names}
        for _ in range(args.draws):
            c, s = torch.rand(n, 1, h, h), torch.rand(n, 64)
            with torch.no_grad():
                a = ref(c, s)
                rms = max(a.pow(2).mean().sqrt().item(), 1e-6)
                for name in names:
                    dt = DTYPES[name]
                    b = twins[name](c.to(dt).float(), s.to(dt).float())
                    w = worst[name]
                    w[0] = max(w[0], (b - a).abs().max().item() / rms)
                    w[1] = max(w[1], (b - a).pow(2).mean().sqrt().item() / rms)
        for name in names:
            print(f"{n}x{h}x{h}: {name.upper()} storage, worst of {args.draws}: max |err| / rms "
                  f"{worst[name][0]:.2e}, rms(err) / rms {worst[name][1]:.2e}", flush=True)


if __name__ == "__main__":
    main()
