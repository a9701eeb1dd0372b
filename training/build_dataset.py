#!/usr/bin/python3
"""Rasterises the training and validation glyphs into compact .npz files.

    /usr/bin/python3 training/build_dataset.py [--out training/data]

Writes, for every face of training/fonts.py (and the content font):
  glyphs_64.npz   glyphs uint8 [F, C, 64, 64] over the whole CHARSET
  glyphs_32.npz   glyphs uint8 [F, C, 32, 32] over the whole CHARSET
  glyphs_128.npz  glyphs uint8 [F, E, 128, 128] over EVAL_CHARS only
each with `present` bool [F, C] (the face has the character), and
faces.json: paths, clusters, held-out flags, the character lists, the
content face's row and the raster rule. Coverage is stored exactly (the
rule's value is coverage / 255). Rows of missing characters are zero.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charset  # noqa: E402
import fonts  # noqa: E402
import raster  # noqa: E402


def rasterise(faces, chars, size):
    glyphs = np.zeros((len(faces), len(chars), size, size), np.uint8)
    present = np.zeros((len(faces), len(chars)), bool)
    for f, path in enumerate(faces):
        for c, ch in enumerate(chars):
            img = raster.render(path, 0, ch, size)
            # A mapped glyph with no ink at all (an empty placeholder some
            # fonts ship) is treated as missing: nothing to learn from.
            if img is None or not img.any():
                continue
            # The rule's value is coverage / 255, so this is exact.
            glyphs[f, c] = np.rint(img * 255.0).astype(np.uint8)
            present[f, c] = True
    return glyphs, present


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    faces = fonts.list_faces()
    paths = [p for p, _, _ in faces]
    if fonts.CONTENT_FONT not in paths:
        sys.exit("build_dataset: content font %s is missing; run training/setup.sh" % fonts.CONTENT_FONT)
    meta = {
        "paths": paths,
        "clusters": [c for _, c, _ in faces],
        "heldout": [h for _, _, h in faces],
        "charset": charset.CHARSET,
        "heldout_chars": charset.HELDOUT_CHARS,
        "ref_chars": charset.REF_CHARS,
        "eval_chars": charset.EVAL_CHARS,
        "content_index": paths.index(fonts.CONTENT_FONT),
        "raster": raster.RASTER_RULE,
    }
    for size, chars in ((64, charset.CHARSET), (32, charset.CHARSET), (128, charset.EVAL_CHARS)):
        t0 = time.time()
        glyphs, present = rasterise(paths, chars, size)
        path = os.path.join(args.out, "glyphs_%d.npz" % size)
        np.savez_compressed(path, glyphs=glyphs, present=present)
        print("build_dataset: %s: %d faces x %d chars, %.0f%% present, %.1f MB, %.0f s"
              % (path, len(paths), len(chars), 100.0 * present.mean(),
                 os.path.getsize(path) / 1e6, time.time() - t0), flush=True)
    with open(os.path.join(args.out, "faces.json"), "w") as fh:
        json.dump(meta, fh, indent=1, ensure_ascii=False)
    print("build_dataset: %d faces (%d validation), content face row %d"
          % (len(paths), sum(meta["heldout"]), meta["content_index"]))


if __name__ == "__main__":
    main()
