#!/usr/bin/python3
"""The C rasteriser against training/raster.py (the rule the dataset is drawn
with): every pixel equal, for many glyphs, several fonts and every box size
16..256 that the Python rule accepts (multiples of 8), plus missing glyphs.

usage: raster_vs_python.py GLYPH_RASTER_DUMP TRAINING_DIR
Exits 77 (skipped) when /usr/bin/python3 lacks freetype or numpy."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import freetype  # noqa: F401
except ImportError as e:
    print("SKIP: /usr/bin/python3 lacks %s (apt-get install python3-freetype python3-numpy)" % e.name)
    sys.exit(77)

dump, training = sys.argv[1], sys.argv[2]
if not os.path.exists(os.path.join(training, "raster.py")):
    print("SKIP: %s/raster.py is missing" % training)
    sys.exit(77)
sys.path.insert(0, training)
import raster  # noqa: E402

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = [os.path.join(FONT_DIR, f) for f in
         ("DejaVuSans.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSansMono-Bold.ttf",
          "DejaVuSansCondensed-BoldOblique.ttf", "DejaVuSans-ExtraLight.ttf")]
# A few other installed fonts when present (the training fonts), so the test
# is not only about one family.
for extra in ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
              "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Italic.otf",
              "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
              "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"):
    if os.path.exists(extra):
        FONTS.append(extra)
FONTS = [f for f in FONTS if os.path.exists(f)]
if not FONTS:
    print("SKIP: no DejaVu fonts installed")
    sys.exit(77)

# ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic, wide and tall glyphs
# (clipping), combining marks (negative bearings) and characters the fonts
# lack (CJK, private use).
CHARS = ("AgjpQWMy@{}|_~19%&" + "ÅÉñßÿæ" + "ĀąĦĳŁŒŴžſ" + "ΩΣλψ" + "ЖЩяѣ"
         + "\u0301\u0327" + "\u2014\u2026\u221e\u2202" + "\u4e00\ue000")
SIZES = list(range(16, 257, 8))

bad = 0
checked = 0
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "c.npy")
    for font in FONTS:
        for size in SIZES:
            subprocess.run([dump, font, "0", str(size), CHARS, out], check=True)
            got = np.load(out)
            assert got.shape == (len(CHARS), 1, size, size), got.shape
            for i, ch in enumerate(CHARS):
                want = raster.render(font, 0, ch, size)
                g = got[i, 0]
                checked += 1
                if want is None:
                    if not np.all(g == -1.0):
                        bad += 1
                        print("FAIL %s U+%04X size %d: Python says missing, C drew it" % (font, ord(ch), size))
                    continue
                if np.all(g == -1.0):
                    bad += 1
                    print("FAIL %s U+%04X size %d: C says missing, Python drew it" % (font, ord(ch), size))
                    continue
                if not np.array_equal(g, want):
                    diff = np.argwhere(g != want)
                    bad += 1
                    y, x = diff[0]
                    print("FAIL %s U+%04X size %d: %d pixels differ, first at (%d,%d): C %r Python %r"
                          % (font, ord(ch), size, len(diff), y, x, g[y, x], want[y, x]))
print("raster_vs_python: %d glyph images compared over %d fonts and %d sizes" % (checked, len(FONTS), len(SIZES)))
print("%d passed, %d failed" % (checked - bad, bad))
sys.exit(1 if bad else 0)
