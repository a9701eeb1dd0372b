"""The characters the glyph model learns, and which are held out.

Latin letters, digits and ASCII punctuation, plus the Latin-1 and Latin
Extended-A letters; every one is in DejaVu Sans, the content font. Each
training face contributes only the characters it has.
"""
CHARSET = "".join(
    [chr(c) for c in range(0x21, 0x7F)]
    + [chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)]
    + [chr(c) for c in range(0x100, 0x180)])

# Glyph classes never seen in training, from any face: the "unseen glyph"
# cells of the evaluation. A mix of lowercase, capitals, digits, punctuation
# and accented letters whose base letter is also held out or not.
HELDOUT_CHARS = "bhksyBGKRW38&?@{éøñĞŁőşž"

# The reference glyphs of the target font fed to the style encoder, in this
# order (glint.ref_chars). Round, straight and diagonal strokes, x-height,
# cap height, a descender; all common to every face used.
REF_CHARS = "AHOaegnox"[:8]

# Characters also drawn at 32 and 128 px, for the evaluation at those sizes:
# the references, the held-out classes and a fixed spread of seen ones.
EVAL_SEEN = "acdefmnprtuvxzACDEFMNPSTUXZ0124579!%(/:;"
EVAL_CHARS = "".join(dict.fromkeys(REF_CHARS + HELDOUT_CHARS + EVAL_SEEN))

assert not set(REF_CHARS) & set(HELDOUT_CHARS)
assert set(HELDOUT_CHARS) <= set(CHARSET) and set(EVAL_CHARS) <= set(CHARSET)
