"""The reference glyph model: a style encoder and a FiLM U-Net generator.

Style encoder: refs [N,K,H,W] (K reference glyphs of the target font, in
glint.ref_chars order, as channels) -> strided convs -> global average pool
-> Gemm -> style [N,S]. Treating the K glyphs as channels lets the encoder
compare the same strokes across fonts (it knows which channel is which
letter), and the average pool makes it work at any H, W.

Generator: content [N,1,H,W] and style [N,S] -> glyph [N,1,H,W] in [0,1]. A
U-Net over the content glyph: stride-2 convs down, nearest 2x upsampling with
skip concatenation up, and at every level a FiLM modulation x*(1+gamma)+beta
whose per-channel gamma, beta come from the style vector through one Gemm.
The output logit adds a learned multiple of the centred content glyph, so the
net starts from "draw the content glyph" and learns the change.

Operators after export: Conv, Relu, Sigmoid, Add, Mul, Concat, Resize
(nearest, x2), Gemm, GlobalAveragePool, Flatten, Unsqueeze, Slice and the
shape arithmetic of the exporter. H and W must be multiples of 8.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = {
    "style_dim": 64,
    "num_refs": 8,
    "gen_channels": (16, 32, 48, 64),
    "enc_channels": (32, 48, 64, 96),
}


class StyleEncoder(nn.Module):
    def __init__(self, num_refs, channels, style_dim):
        super().__init__()
        layers = []
        cin = num_refs
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(cin, c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
                       nn.Conv2d(c, c, 3, padding=1), nn.ReLU(inplace=True)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, style_dim)

    def forward(self, refs):
        x = self.features(refs)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.head(x)


class FiLM(nn.Module):
    """x * (1 + gamma) + beta with gamma, beta = Linear(style), per channel."""

    def __init__(self, style_dim, channels):
        super().__init__()
        self.proj = nn.Linear(style_dim, 2 * channels)
        # Start as the identity: the net first learns content, then style.
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, style):
        gb = self.proj(style).unsqueeze(-1).unsqueeze(-1)
        gamma, beta = gb.chunk(2, dim=1)
        return x * (1.0 + gamma) + beta


def conv(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class Generator(nn.Module):
    def __init__(self, channels, style_dim):
        super().__init__()
        c0, c1, c2, c3 = channels
        self.enc0 = conv(1, c0)
        self.down1, self.enc1 = conv(c0, c1, 2), conv(c1, c1)
        self.down2, self.enc2 = conv(c1, c2, 2), conv(c2, c2)
        self.down3, self.enc3 = conv(c2, c3, 2), conv(c3, c3)
        self.dec2 = conv(c3 + c2, c2)
        self.dec1 = conv(c2 + c1, c1)
        self.dec0 = conv(c1 + c0, c0)
        self.out = nn.Conv2d(c0, 1, 3, padding=1)
        self.film = nn.ModuleList([FiLM(style_dim, c) for c in (c0, c1, c2, c3, c2, c1, c0)])
        self.content_gain = nn.Parameter(torch.tensor(4.0))

    def forward(self, content, style):
        f = self.film
        x0 = f[0](F.relu(self.enc0(content)), style)
        x1 = f[1](F.relu(self.enc1(F.relu(self.down1(x0)))), style)
        x2 = f[2](F.relu(self.enc2(F.relu(self.down2(x1)))), style)
        x3 = f[3](F.relu(self.enc3(F.relu(self.down3(x2)))), style)
        up = lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest")
        y = f[4](F.relu(self.dec2(torch.cat([up(x3), x2], 1))), style)
        y = f[5](F.relu(self.dec1(torch.cat([up(y), x1], 1))), style)
        y = f[6](F.relu(self.dec0(torch.cat([up(y), x0], 1))), style)
        # gain * (content - 0.5), written so that it exports as Mul + Add
        # (the constant gain * -0.5 folds) rather than needing Sub.
        logit = self.out(y) + content * self.content_gain + self.content_gain * -0.5
        return torch.sigmoid(logit)


class GlyphModel(nn.Module):
    """Both halves together; the checkpoint is this module's state dict."""

    def __init__(self, config=None):
        super().__init__()
        self.config = dict(DEFAULT_CONFIG, **(config or {}))
        c = self.config
        self.encoder = StyleEncoder(c["num_refs"], c["enc_channels"], c["style_dim"])
        self.generator = Generator(c["gen_channels"], c["style_dim"])

    def forward(self, content, refs):
        return self.generator(content, self.encoder(refs))


def conv_flops(module, inputs):
    """Multiply-adds x 2 of every Conv2d and Linear for one forward pass."""
    total = [0]

    def hook(m, i, o):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total[0] += 2 * o.numel() * k
        elif isinstance(m, nn.Linear):
            total[0] += 2 * o.numel() * m.in_features
    hs = [m.register_forward_hook(hook) for m in module.modules()
          if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        module(*inputs)
    for h in hs:
        h.remove()
    return total[0]


if __name__ == "__main__":
    import time
    torch.set_num_threads(1)
    m = GlyphModel()
    s = torch.randn(1, m.config["style_dim"])
    for size in (32, 64, 128):
        fl = conv_flops(m.generator, (torch.rand(1, 1, size, size), s))
        print("generator %dx%d: %.1f MFLOP" % (size, size, fl / 1e6))
    print("style encoder 64x64: %.1f MFLOP" % (conv_flops(m.encoder, (torch.rand(1, 8, 64, 64),)) / 1e6))
    print("parameters: generator %d, encoder %d" % (
        sum(p.numel() for p in m.generator.parameters()), sum(p.numel() for p in m.encoder.parameters())))
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    B = 32
    for it in range(4):
        t = time.time()
        c, r, y = torch.rand(B, 1, 64, 64), torch.rand(B, 8, 64, 64), torch.rand(B, 1, 64, 64)
        loss = F.l1_loss(m(c, r), y)
        opt.zero_grad(); loss.backward(); opt.step()
        print("train step batch %d: %.3f s" % (B, time.time() - t))
