#!/usr/bin/python3
"""Scores a glyph model against two baselines on held-out fonts and glyphs.

    /usr/bin/python3 training/evaluate.py models/glyph_model.pt --out models

Cells (training/fonts.py holds out whole font clusters, training/charset.py
a set of glyph classes from every face):
  seen font / unseen glyph      training faces x HELDOUT_CHARS
  unseen font / seen glyph      validation faces x other characters
  unseen font / unseen glyph    validation faces x HELDOUT_CHARS
at 32, 64 and 128 px (at 32 and 64 every character of the charset, at 128
the EVAL_CHARS subset). Each cell is at most --max-pairs (face, char) pairs,
drawn with a fixed seed. Methods:
  model    the style encoder on the face's reference glyphs + the generator
  content  the content glyph (DejaVu Sans) unchanged: what renderers draw now
  nearest  the glyph from the training face whose reference glyphs are
           closest (L1, at 32 px) to the target face's, the next closest
           that has the character if it lacks it; for a training face, the
           nearest face of another cluster
Writes eval.json and eval.md (a Markdown table) to --out, and samples.png
(content / prediction / truth rows for validation faces) with --samples.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import GlyphData  # noqa: E402
from metrics import iou, l1, ssim  # noqa: E402
from model import GlyphModel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CELLS = (("seen font / unseen glyph", False, True),
         ("unseen font / seen glyph", True, False),
         ("unseen font / unseen glyph", True, True))
METHODS = ("model", "content", "nearest")


def nearest_faces(data, size=32):
    """For every face, training faces sorted by the L1 distance of their
    reference glyphs to its own, measured at 32 px for every evaluated size
    (faces of its own cluster excluded)."""
    ref = data.char_index(size, data.ref_chars)
    g = data.glyphs[size][:, ref].float().flatten(1) / 255.0
    gt = g[torch.as_tensor(data.train_faces, device=g.device)]
    clusters = np.array(data.meta["clusters"])
    order = {}
    for f in range(g.shape[0]):
        d = (gt - g[f]).abs().mean(1).cpu().numpy()
        d[clusters[data.train_faces] == clusters[f]] = np.inf
        order[f] = data.train_faces[np.argsort(d, kind="stable")]
    return order


def cell_pairs(data, size, unseen_font, unseen_glyph, rng, max_pairs):
    faces = data.val_faces if unseen_font else data.train_faces
    faces = faces[data.has_refs[size][faces]]
    held = ~data.seen_char_mask(size)
    chars = np.where((held if unseen_glyph else ~held) & data.present[size][data.content_index])[0]
    pairs = [(f, c) for f in faces for c in chars if data.present[size][f, c]]
    if len(pairs) > max_pairs:
        pick = rng.choice(len(pairs), max_pairs, replace=False)
        pairs = [pairs[i] for i in sorted(pick)]
    return pairs


@torch.no_grad()
def predict(model, data, size, pairs, near, batch=64):
    """Returns per-pair metric arrays for every method."""
    out = {m: {"iou": [], "l1": [], "ssim": []} for m in METHODS}
    for i in range(0, len(pairs), batch):
        chunk = pairs[i:i + batch]
        faces = [f for f, _ in chunk]
        chars = [c for _, c in chunk]
        content, refs, target = data.gather(size, faces, chars)
        near_face = []
        for f, c in chunk:
            cand = [n for n in near[f] if data.present[size][n, c]]
            near_face.append(cand[0] if cand else data.content_index)
        nearest = data.gather(size, near_face, chars)[2]
        preds = {"model": model(content, refs), "content": content, "nearest": nearest}
        for m, p in preds.items():
            out[m]["iou"].append(iou(p, target).cpu())
            out[m]["l1"].append(l1(p, target).cpu())
            out[m]["ssim"].append(ssim(p, target).cpu())
    return {m: {k: float(torch.cat(v).mean()) for k, v in d.items()} for m, d in out.items()}


def sample_grid(model, data, path, faces_n=6, chars="AbGhkRsy38&?éŁ"):
    """content / prediction / truth rows, 64 px, for a few validation faces."""
    from PIL import Image
    size = 64
    idx = data.char_index(size, chars)
    rows = []
    vf = data.val_faces
    picks = vf[np.linspace(0, len(vf) - 1, faces_n).astype(int)]
    for f in picks:
        ok = [c for c in idx if data.present[size][f, c]]
        content, refs, target = data.gather(size, [f] * len(ok), ok)
        with torch.no_grad():
            pred = model(content, refs)
        for t in (content, pred, target):
            row = np.ones((size, size * len(idx)), np.float32) * 0.0
            for j, c in enumerate(idx):
                if c in ok:
                    row[:, j * size:(j + 1) * size] = t[ok.index(c), 0].cpu().numpy()
            rows.append(row)
        rows.append(np.full((4, size * len(idx)), 0.5, np.float32))
    img = 1.0 - np.concatenate(rows, 0)  # black ink on white paper
    Image.fromarray(np.rint(img * 255).astype(np.uint8), "L").save(path, optimize=True)
    return [data.meta["paths"][f] for f in picks]


def markdown(results):
    lines = ["| cell | px | pairs | IoU model | IoU content | IoU nearest | L1 model | L1 content | L1 nearest | SSIM model | SSIM content | SSIM nearest |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = r["metrics"]
        vals = ["%.3f" % m[meth][k] for k in ("iou", "l1", "ssim") for meth in METHODS]
        lines.append("| %s | %d | %d | %s |" % (r["cell"], r["size"], r["pairs"], " | ".join(vals)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description="evaluate the glyph model")
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "eval"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--max-pairs", type=int, default=3000)
    ap.add_argument("--sizes", default="32,64,128")
    ap.add_argument("--samples", action="store_true", help="also write samples.png")
    args = ap.parse_args()
    dev = torch.device(args.device)
    ck = torch.load(args.checkpoint, map_location=dev)
    model = GlyphModel(ck.get("config")).to(dev)
    model.load_state_dict(ck["model"])
    model.eval()
    data = GlyphData(args.data, dev)
    os.makedirs(args.out, exist_ok=True)
    results = []
    near = nearest_faces(data)
    for size in [int(s) for s in args.sizes.split(",")]:
        for name, unseen_font, unseen_glyph in CELLS:
            rng = np.random.default_rng(size * 10 + len(results))
            pairs = cell_pairs(data, size, unseen_font, unseen_glyph, rng, args.max_pairs)
            m = predict(model, data, size, pairs, near)
            results.append({"cell": name, "size": size, "pairs": len(pairs), "metrics": m})
            print("evaluate: %-27s %3d px %5d pairs  IoU model %.3f content %.3f nearest %.3f"
                  % (name, size, len(pairs), m["model"]["iou"], m["content"]["iou"],
                     m["nearest"]["iou"]), flush=True)
    report = {"checkpoint": os.path.abspath(args.checkpoint), "results": results,
              "validation_faces": [data.meta["paths"][f] for f in data.val_faces]}
    if args.samples:
        report["sample_faces"] = sample_grid(model, data, os.path.join(args.out, "samples.png"))
    with open(os.path.join(args.out, "eval.json"), "w") as fh:
        json.dump(report, fh, indent=1, ensure_ascii=False)
    with open(os.path.join(args.out, "eval.md"), "w") as fh:
        fh.write(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
