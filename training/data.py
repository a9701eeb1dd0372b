"""Loads the glyph dataset (training/build_dataset.py) and draws batches.

A training sample is (content, refs, target): the character drawn from the
content font (DejaVu Sans), the K reference characters of a training face,
and the character drawn from that face. Only training faces (fonts.py) and
characters outside HELDOUT_CHARS are ever drawn for training.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F


class GlyphData:
    def __init__(self, data_dir, device, sizes=(32, 64, 128)):
        with open(os.path.join(data_dir, "faces.json")) as fh:
            self.meta = json.load(fh)
        m = self.meta
        self.device = device
        self.content_index = m["content_index"]
        self.heldout_face = np.array(m["heldout"], bool)
        self.glyphs, self.present, self.chars = {}, {}, {}
        for s in sizes:
            d = np.load(os.path.join(data_dir, "glyphs_%d.npz" % s))
            self.glyphs[s] = torch.from_numpy(d["glyphs"]).to(device)
            self.present[s] = d["present"]
            self.chars[s] = m["charset"] if s != 128 else m["eval_chars"]
        self.ref_chars = m["ref_chars"]
        self.heldout_chars = set(m["heldout_chars"])
        # Faces usable as targets need every reference character.
        self.has_refs = {s: self.present[s][:, self.char_index(s, self.ref_chars)].all(1)
                         for s in sizes}
        self.train_faces = np.where(~self.heldout_face & self.has_refs[64])[0]
        self.val_faces = np.where(self.heldout_face & self.has_refs[64])[0]
        # Sampling weight of a face: 1/sqrt(its cluster's size), so that big
        # clusters (Helvetica clones, DejaVu) do not dominate the batches.
        clusters = np.array(m["clusters"])
        size = {c: (clusters[self.train_faces] == c).sum() for c in set(clusters)}
        w = np.array([1.0 / np.sqrt(size[clusters[f]]) for f in self.train_faces])
        self.face_weight = w / w.sum()

    def char_index(self, size, chars):
        table = self.chars[size]
        return [table.index(c) for c in chars]

    def seen_char_mask(self, size):
        return np.array([c not in self.heldout_chars for c in self.chars[size]])

    def gather(self, size, faces, chars):
        """Float32 tensors (content [B,1,S,S], refs [B,K,S,S], target [B,1,S,S])."""
        g = self.glyphs[size]
        faces_t = torch.as_tensor(faces, device=self.device)
        chars_t = torch.as_tensor(chars, device=self.device)
        target = g[faces_t, chars_t].unsqueeze(1)
        content = g[self.content_index, chars_t].unsqueeze(1)
        ref_idx = torch.as_tensor(self.char_index(size, self.ref_chars), device=self.device)
        refs = g[faces_t][:, ref_idx]
        scale = 1.0 / 255.0
        return content.float() * scale, refs.float() * scale, target.float() * scale

    def sample_train(self, size, batch, rng):
        """A random training batch at `size`: training faces, seen characters."""
        ok = self.present[size] & self.seen_char_mask(size)[None, :]
        ok[:, ~self.present[size][self.content_index]] = False
        faces = rng.choice(self.train_faces, size=batch, p=self.face_weight)
        faces = faces[self.has_refs[size][faces]]
        chars = np.array([rng.choice(np.where(ok[f])[0]) for f in faces])
        return self.gather(size, faces, chars)


def augment(refs, target, rng, strength=1.0):
    """Makes new 'fonts' from a training face: the same random width scale,
    slant and weight change applied to its references and its target glyph.

    Width scales about the box centre (the rule centres the advance), slant
    shears about the baseline row, weight blends toward a 3x3 dilation or
    erosion. About a third of the samples are left unchanged."""
    b, k, s, _ = refs.shape
    dev = refs.device
    x = torch.cat([refs, target], 1)
    sx = np.exp(rng.uniform(-0.18, 0.18, b) * strength)
    slant = rng.uniform(-0.12, 0.25, b) * strength
    keep = rng.random(b) < 0.33
    sx[keep], slant[keep] = 1.0, 0.0
    yb = 2.0 * round(s * 0.725) / s - 1.0
    theta = np.zeros((b, 2, 3), np.float32)
    theta[:, 0, 0] = 1.0 / sx
    theta[:, 0, 1] = slant / sx
    theta[:, 0, 2] = -slant * yb / sx
    theta[:, 1, 1] = 1.0
    grid = F.affine_grid(torch.from_numpy(theta).to(dev), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    kind = rng.integers(0, 3, b)  # 0 none, 1 bolder, 2 lighter
    kind[keep] = 0
    alpha = torch.from_numpy(rng.uniform(0.3, 1.0, b).astype(np.float32) * strength).to(dev)
    alpha = alpha.view(b, 1, 1, 1)
    if (kind == 1).any():
        m = torch.from_numpy(kind == 1).to(dev).view(b, 1, 1, 1)
        d = F.max_pool2d(x, 3, 1, 1)
        x = torch.where(m, x + alpha * (d - x), x)
    if (kind == 2).any():
        m = torch.from_numpy(kind == 2).to(dev).view(b, 1, 1, 1)
        e = -F.max_pool2d(-x, 3, 1, 1)
        x = torch.where(m, x + alpha * (e - x), x)
    x = x.clamp(0.0, 1.0)
    return x[:, :k], x[:, k:]
