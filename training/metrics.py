"""Per-glyph quality measures: ink-mask IoU at 0.5, L1 and SSIM.

All take float tensors [B,1,H,W] in [0,1] and return one value per glyph.
"""
import torch
import torch.nn.functional as F


def iou(pred, target, threshold=0.5):
    """Intersection over union of the ink masks (value > threshold); two
    empty masks agree perfectly (IoU 1)."""
    p = pred > threshold
    t = target > threshold
    inter = (p & t).flatten(1).sum(1).float()
    union = (p | t).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def l1(pred, target):
    return (pred - target).abs().flatten(1).mean(1)


def _gauss(size, sigma, device):
    x = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, size, size)


def ssim(pred, target, window=11, sigma=1.5):
    """SSIM (Wang et al. 2004) with a Gaussian window, valid region only,
    data range 1 (C1 = 0.01^2, C2 = 0.03^2)."""
    w = _gauss(window, sigma, pred.device)
    mu_p = F.conv2d(pred, w)
    mu_t = F.conv2d(target, w)
    spp = F.conv2d(pred * pred, w) - mu_p * mu_p
    stt = F.conv2d(target * target, w) - mu_t * mu_t
    spt = F.conv2d(pred * target, w) - mu_p * mu_t
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_p * mu_t + c1) * (2 * spt + c2)) / ((mu_p ** 2 + mu_t ** 2 + c1) * (spp + stt + c2))
    return s.flatten(1).mean(1)


def soft_iou_loss(pred, target):
    """1 - a differentiable IoU, per glyph: pushes the ink mask itself."""
    inter = (pred * target).flatten(1).sum(1)
    union = (pred + target - pred * target).flatten(1).sum(1)
    return 1.0 - (inter + 1.0) / (union + 1.0)
