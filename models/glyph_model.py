"""Loads the committed reference glyph model in PyTorch.

The module definition lives in training/model.py (one source of truth for
training, export and the benchmark's PyTorch anchors); this file finds it and
loads models/glyph_model.pt:

    import sys; sys.path.insert(0, "models")
    import glyph_model
    model = glyph_model.load(device="cuda")      # GlyphModel, eval mode
    style = model.encoder(refs)                  # refs  [N, K, H, W] float32
    glyph = model.generator(content, style)      # content [N, 1, H, W] -> [N, 1, H, W]

K = len(REF_CHARS) reference glyphs of the target font, in REF_CHARS order;
every glyph is drawn by the rule of docs/raster.md (RASTER_RULE).
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "training"))

import torch  # noqa: E402
from model import FiLM, Generator, GlyphModel, StyleEncoder, conv_flops  # noqa: E402,F401

WEIGHTS = os.path.join(_HERE, "glyph_model.pt")


def load(path=WEIGHTS, device="cpu"):
    """Returns the GlyphModel with the weights of `path`, in eval mode."""
    ck = torch.load(path, map_location=device)
    model = GlyphModel(ck.get("config"))
    model.load_state_dict(ck["model"])
    return model.to(device).eval()


def metadata(path=WEIGHTS):
    """ref_chars, raster rule, config and training facts stored with the weights."""
    ck = torch.load(path, map_location="cpu")
    return {k: ck.get(k) for k in ("ref_chars", "raster", "config", "trained")}
