#!/usr/bin/python3
"""Quality of the bundled models at each precision glint runs them in.

    /usr/bin/python3 training/precision_eval.py --precisions fp32,int8 --out models

The pairs are training/evaluate.py's (same cells, same seeds, at most
--max-pairs each). The style encoder and the generator run through the
`glint` command (`glint run`), at the precision under test (the style encoder
stays fp32 when testing int8, as in the glyph renderer), with the models'
files beside each other (int8 reads models/glyph_generator.calib). Reported
per precision: mean IoU against the truth, its drop against glint's fp32,
and the largest pixel difference from fp32. Targets (issue #7): a drop of at
most 0.002 for fp16 and bf16 and 0.01 for int8.
Writes precision.json and precision.md to --out.

The pairs can be saved (--save-pairs FILE.npz: the content glyphs, reference
glyphs and truths as uint8, a few MB at --max-pairs 300) and evaluated from
that file on a machine without the dataset (--pairs FILE.npz), e.g. a GPU
machine for fp16 and bf16: --pairs FILE.npz --device cuda --precisions fp32,fp16,bf16.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import GlyphData  # noqa: E402
from evaluate import CELLS, cell_pairs  # noqa: E402
from metrics import iou  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EVAL_SIZES = (32, 64, 128)
TARGET_DROP = {"fp32": 0.0, "fp16": 0.002, "bf16": 0.002, "int8": 0.01}


def glint_run(glint, model, inputs, output, device, precision, tmp):
    """Runs `glint run` with inputs {name: array}; returns the output array."""
    args = [glint, "run", model, "--device", device, "--precision", precision]
    for name, arr in inputs.items():
        path = os.path.join(tmp, name + ".npy")
        np.save(path, np.ascontiguousarray(arr, dtype=np.float32))
        args += ["--input", "%s=%s" % (name, path)]
    out_path = os.path.join(tmp, output + ".out.npy")
    args += ["--output", "%s=%s" % (output, out_path)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return np.load(out_path)


def predict(args, content, refs, precision, tmp):
    """Generator output for every pair (float arrays) at one precision."""
    enc_precision = "fp32" if precision == "int8" else precision
    outs = []
    for i in range(0, len(content), args.batch):
        style = glint_run(args.glint, args.encoder, {"refs": refs[i:i + args.batch]}, "style",
                          args.device, enc_precision, tmp)
        outs.append(glint_run(args.glint, args.generator,
                              {"content": content[i:i + args.batch], "style": style}, "glyph",
                              args.device, precision, tmp))
    return np.concatenate(outs)


def cells_from_data(args):
    """(name, size, content, refs, target) per cell, uint8, from the dataset."""
    data = GlyphData(args.data, torch.device("cpu"))
    for size in [int(s) for s in args.sizes.split(",")]:
        for k, (name, unseen_font, unseen_glyph) in enumerate(CELLS):
            # evaluate.py's seed for this cell (its default sizes 32,64,128)
            order = EVAL_SIZES.index(size) * len(CELLS) + k if size in EVAL_SIZES else k
            rng = np.random.default_rng(size * 10 + order)
            pairs = cell_pairs(data, size, unseen_font, unseen_glyph, rng, args.max_pairs)
            arrays = data.gather(size, [f for f, _ in pairs], [c for _, c in pairs])
            yield (name, size) + tuple(np.rint(a.cpu().numpy() * 255).astype(np.uint8)
                                       for a in arrays)


def cells_from_file(path):
    z = np.load(path)
    for key in sorted(k for k in z.files if k.endswith("/content")):
        prefix = key[:-len("/content")]
        size, name = prefix.split("/", 1)
        yield name, int(size), z[prefix + "/content"], z[prefix + "/refs"], z[prefix + "/target"]


def main():
    ap = argparse.ArgumentParser(description="glyph quality per precision")
    ap.add_argument("--glint", default=os.path.join(ROOT, "build", "glint"))
    ap.add_argument("--generator", default=os.path.join(ROOT, "models", "glyph_generator.onnx"))
    ap.add_argument("--encoder", default=os.path.join(ROOT, "models", "style_encoder.onnx"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--sizes", default="64")
    ap.add_argument("--max-pairs", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "precision"))
    ap.add_argument("--save-pairs", help="write the pairs to this .npz and stop")
    ap.add_argument("--pairs", help="read the pairs from this .npz instead of the dataset")
    args = ap.parse_args()
    precisions = args.precisions.split(",")
    if precisions[0] != "fp32":
        precisions.insert(0, "fp32")  # the baseline every drop is measured against
    cells = cells_from_file(args.pairs) if args.pairs else cells_from_data(args)
    if args.save_pairs:
        arrays = {}
        for name, size, content, refs, target in cells:
            for key, a in (("content", content), ("refs", refs), ("target", target)):
                arrays["%d/%s/%s" % (size, name, key)] = a
        np.savez_compressed(args.save_pairs, **arrays)
        print("precision_eval: wrote %s" % args.save_pairs)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, content, refs, target in cells:
            content = content.astype(np.float32) / 255.0
            refs = refs.astype(np.float32) / 255.0
            target = torch.from_numpy(target.astype(np.float32) / 255.0)
            base = None
            for p in precisions:
                out = predict(args, content, refs, p, tmp)
                score = float(iou(torch.from_numpy(out), target).mean())
                if base is None:
                    base = (out, score)
                r = {"precision": p, "device": args.device, "cell": name, "size": size,
                     "pairs": len(content), "iou": score, "drop": base[1] - score,
                     "max_abs_diff": float(np.abs(out - base[0]).max()),
                     "target_drop": TARGET_DROP.get(p)}
                results.append(r)
                print("precision_eval: %-5s %-27s %3d px %4d pairs  IoU %.4f  drop %+.4f  "
                      "max |d| %.4f" % (p, name, size, len(content), score, r["drop"],
                                        r["max_abs_diff"]), flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "precision.json"), "w") as fh:
        json.dump({"generator": os.path.relpath(args.generator, ROOT), "results": results}, fh,
                  indent=1)
    lines = ["| precision | device | cell | px | pairs | IoU | drop vs fp32 | target | max abs diff |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| %s | %s | %s | %d | %d | %.4f | %+.4f | %s | %.4f |" % (
            r["precision"], r["device"], r["cell"], r["size"], r["pairs"], r["iou"], r["drop"],
            "≤ %.3f" % r["target_drop"] if r["target_drop"] else "-", r["max_abs_diff"]))
    with open(os.path.join(args.out, "precision.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
