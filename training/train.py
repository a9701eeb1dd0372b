#!/usr/bin/python3
"""Trains the glyph model (training/model.py) on the dataset of build_dataset.py.

    /usr/bin/python3 training/train.py --minutes 12 --device cuda   # one H100
    nice -n 19 /usr/bin/python3 training/train.py --minutes 55 --threads 1   # CPU

The schedule is by wall time: the learning rate follows a cosine from --lr to
zero over --minutes, so a faster machine simply takes more steps. Each step
draws a random resolution (32, 64 or 128 px, weighted toward 64), a batch of
(training face, seen character) pairs with the face's reference glyphs,
augments the face's width, slant and weight, and minimises L1 + BCE + soft
IoU. Every --eval-every seconds the validation faces (held-out families,
seen characters, 64 px) are scored by ink IoU; the best and the last
checkpoints go to --out (best.pt, last.pt).
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import GlyphData, augment  # noqa: E402
from metrics import iou, soft_iou_loss  # noqa: E402
from model import GlyphModel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# (size, share of steps, batch multiplier): 128 px steps cost 4x a 64 px one.
RESOLUTIONS = ((32, 0.25, 2.0), (64, 0.6, 1.0), (128, 0.15, 0.25))


def validation_set(data, rng, count=384):
    seen = np.where(data.seen_char_mask(64) & data.present[64][data.content_index])[0]
    pairs = []
    while len(pairs) < count:
        f = rng.choice(data.val_faces)
        c = rng.choice(seen)
        if data.present[64][f, c]:
            pairs.append((f, c))
    faces, chars = zip(*pairs)
    return data.gather(64, list(faces), list(chars))


@torch.no_grad()
def validate(model, vset, batch=128):
    model.eval()
    content, refs, target = vset
    scores = []
    for i in range(0, content.shape[0], batch):
        p = model(content[i:i + batch], refs[i:i + batch])
        scores.append(iou(p, target[i:i + batch]))
    model.train()
    return float(torch.cat(scores).mean())


def main():
    ap = argparse.ArgumentParser(description="train the glyph model")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "main"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--batch", type=int, default=32, help="batch size at 64 px")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every", type=float, default=120.0, help="seconds")
    ap.add_argument("--init", default="", help="checkpoint to start from")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    dev = torch.device(args.device)
    os.makedirs(args.out, exist_ok=True)
    data = GlyphData(args.data, dev)
    print("train: %d training faces, %d validation faces, device %s"
          % (len(data.train_faces), len(data.val_faces), dev), flush=True)
    vset = validation_set(data, np.random.default_rng(12345))

    model = GlyphModel().to(dev)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location=dev)["model"])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sizes = [r[0] for r in RESOLUTIONS]
    shares = np.array([r[1] for r in RESOLUTIONS])
    mult = {r[0]: r[2] for r in RESOLUTIONS}

    budget = args.minutes * 60.0
    t0 = time.time()
    last_eval = t0
    best = -1.0
    step = 0
    run_loss = 0.0
    seen_samples = 0

    def save(name, score):
        torch.save({"model": model.state_dict(), "config": model.config, "step": step,
                    "samples": seen_samples, "val_iou": score,
                    "minutes": (time.time() - t0) / 60.0, "device": str(dev),
                    "args": vars(args)}, os.path.join(args.out, name))

    while True:
        elapsed = time.time() - t0
        if elapsed >= budget:
            break
        lr = args.lr * 0.5 * (1.0 + math.cos(math.pi * elapsed / budget))
        # A short warm-up keeps the first Adam steps from blowing up.
        lr *= min(1.0, (step + 1) / 200.0)
        for g in opt.param_groups:
            g["lr"] = lr
        size = int(rng.choice(sizes, p=shares))
        batch = max(2, int(args.batch * mult[size]))
        content, refs, target = data.sample_train(size, batch, rng)
        refs, target = augment(refs, target, rng)
        pred = model(content, refs)
        p = pred.clamp(1e-6, 1 - 1e-6)
        loss = (F.l1_loss(p, target) + F.binary_cross_entropy(p, target)
                + 0.5 * soft_iou_loss(p, target).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen_samples += batch
        run_loss = 0.98 * run_loss + 0.02 * float(loss) if step > 1 else float(loss)
        now = time.time()
        if now - last_eval >= args.eval_every:
            last_eval = now
            score = validate(model, vset)
            if score > best:
                best = score
                save("best.pt", score)
            save("last.pt", score)
            print("train: %.1f min step %d samples %d lr %.2e loss %.4f val-IoU %.4f (best %.4f)"
                  % ((now - t0) / 60, step, seen_samples, lr, run_loss, score, best), flush=True)
    score = validate(model, vset)
    if score > best:
        best = score
        save("best.pt", score)
    save("last.pt", score)
    print("train: done, %d steps, %d samples, %.1f min, final val-IoU %.4f, best %.4f"
          % (step, seen_samples, (time.time() - t0) / 60, score, best), flush=True)


if __name__ == "__main__":
    main()
