#!/usr/bin/python3
"""The glyph placement rule of docs/raster.md (`glint.raster`), in Python.

The C glyph layer implements the same rule with the same FreeType library
(Debian's libfreetype 2.12; python3-freetype wraps it), so a glyph drawn here
and one drawn by glint are equal pixel for pixel. Keep the two in step: the
rule string below is written into every exported model.
"""
import functools
import math

import numpy as np

try:
    import freetype
except ImportError:
    # A GPU machine given the prebuilt dataset has no python3-freetype;
    # training, export and evaluation need only RASTER_RULE from here.
    freetype = None

RASTER_RULE = ("glint-raster-1 ppem=0.75 baseline=0.725 hinting=none "
               "render=normal halign=advance-center")
PPEM = 0.75
BASELINE = 0.725


def lround(x):
    """C's lround: halves away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


@functools.lru_cache(maxsize=64)
def _face(path, index, size):
    if freetype is None:
        raise RuntimeError("raster: python3-freetype is not installed (training/setup.sh)")
    face = freetype.Face(path, index)
    face.set_pixel_sizes(0, lround(size * PPEM))
    return face


def has_char(face_path, face_index, char):
    return _face(face_path, face_index, 64).get_char_index(ord(char)) != 0


def render(face_path, face_index, char, size):
    """Draws `char` from the face in an S x S box (S = size, a multiple of 8).

    Returns float32 [S, S], ink 1 and paper 0, or None when the face has no
    glyph for the character (never the .notdef box)."""
    if size <= 0 or size % 8:
        raise ValueError("raster: box size %d is not a positive multiple of 8" % size)
    face = _face(face_path, face_index, size)
    index = face.get_char_index(ord(char))
    if index == 0:
        return None
    face.load_glyph(index, freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP)
    slot = face.glyph
    slot.render(freetype.FT_RENDER_MODE_NORMAL)
    bm = slot.bitmap
    out = np.zeros((size, size), np.float32)
    if bm.rows == 0 or bm.width == 0:
        return out
    # bm.buffer is rows x |pitch| bytes; pitch may exceed width (padding).
    pitch = abs(bm.pitch)
    cov = np.frombuffer(bytes(bm.buffer), np.uint8)[: bm.rows * pitch]
    cov = cov.reshape(bm.rows, pitch)[:, : bm.width]
    if bm.pitch < 0:  # bottom-up bitmap
        cov = cov[::-1]
    adv_px = (slot.advance.x + 32) >> 6
    pen_x = (size - adv_px) // 2
    base_y = lround(size * BASELINE)
    x0 = pen_x + slot.bitmap_left
    y0 = base_y - slot.bitmap_top
    # Clip the bitmap rectangle to the box.
    ys, xs = max(0, -y0), max(0, -x0)
    ye, xe = min(bm.rows, size - y0), min(bm.width, size - x0)
    if ys < ye and xs < xe:
        out[y0 + ys: y0 + ye, x0 + xs: x0 + xe] = cov[ys:ye, xs:xe] / np.float32(255.0)
    return out


if __name__ == "__main__":
    import sys
    from fonts import CONTENT_FONT
    ch = sys.argv[1] if len(sys.argv) > 1 else "g"
    img = render(CONTENT_FONT, 0, ch, 32)
    for row in img:
        print("".join(" .:-=+*#%@"[min(9, int(v * 10))] for v in row))
