#!/usr/bin/python3
"""Writes reference rasters of the placement rule for the C glyph layer's test.

    /usr/bin/python3 training/make_raster_golden.py           # write
    /usr/bin/python3 training/make_raster_golden.py --check   # compare (ctest)

tests/models/raster/dejavusans_{32,64,128}.npy: uint8 [C, S, S], the
coverage (value * 255, exact) of RASTER_CHARS drawn from DejaVu Sans by
training/raster.py, which follows docs/raster.md. A C implementation of the
rule on the same FreeType must reproduce them exactly.
"""
import os
import sys

try:
    import numpy as np
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import raster  # noqa: E402
    from fonts import CONTENT_FONT  # noqa: E402
except ImportError as e:  # reported as skipped by ctest
    print("make_raster_golden: %s; install python3-numpy python3-freetype" % e)
    sys.exit(77)

# Round and straight strokes, a descender, an accent above the cap height,
# a stroke crossing a stem, punctuation under the baseline.
RASTER_CHARS = "Ag@ÉŁ,"


def main(check):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models", "raster")
    if not os.path.isfile(CONTENT_FONT):
        print("make_raster_golden: %s missing (fonts-dejavu-core)" % CONTENT_FONT)
        return 77
    os.makedirs(out, exist_ok=True)
    for size in (32, 64, 128):
        imgs = [raster.render(CONTENT_FONT, 0, ch, size) for ch in RASTER_CHARS]
        arr = np.stack([np.rint(i * 255.0).astype(np.uint8) for i in imgs])
        path = os.path.join(out, "dejavusans_%d.npy" % size)
        if check:
            want = np.load(path)
            diff = int((want != arr).sum()) if want.shape == arr.shape else -1
            print("make_raster_golden: %d px: %s" % (size, "equal" if diff == 0 else
                  "%d pixels differ" % diff if diff > 0 else "shape differs"))
            if diff:
                return 1
            continue
        np.save(path, arr)
    if check:
        return 0
    with open(os.path.join(out, "chars.txt"), "w", encoding="utf-8") as fh:
        fh.write(RASTER_CHARS + "\n")
    print("make_raster_golden: %d characters at 32, 64, 128 px in %s" % (len(RASTER_CHARS), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] == ["--check"]))
