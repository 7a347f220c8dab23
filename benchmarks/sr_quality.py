"""Super-resolution quality and speed on the held-out photos: each EDSR width against bicubic.

    python benchmarks/sr_quality.py                          # train EDSR 'small' x2 briefly, then measure
    python benchmarks/sr_quality.py --loss csd --steps 400   # CSD (needs data_scripts/get_vgg.py first)
    python benchmarks/sr_quality.py --bicubic-skip --loss csd student --widths 1 0.25   # CSD vs alone
    python benchmarks/sr_quality.py --weights net.ckpt       # measure trained weights, no training
    python benchmarks/sr_quality.py --model subpixel         # the first notebook's ESPCN

Protocol (DATA.md Sec. 4.3): each held-out photo (coffee, chelsea) is mod-cropped to the scale,
downscaled with MATLAB-style bicubic, and restored; PSNR on the Y channel (BT.601, as MATLAB rgb2ycbcr)
with ``scale`` border pixels shaved, outputs clipped to [0, 1]. "bicubic" is MATLAB-style bicubic
upscaling of the same LR image. Time is milliseconds per image of the network's forward pass (best of
``--repeats`` after a compiled warm-up), on whatever device ``course_lib.device.setup`` picks.

Training, when no ``--weights``: ``course_lib.train.fit`` on crops of the training photos for
``--steps`` steps (default: the budget's), loss 'joint' = L1 at width 1 + L1 at the student width (CSD
without the contrastive term), 'csd' = the full CSD loss, 'l1' = width 1 only, 'student' = L1 at the
student width only (the student trained alone). Several losses (``--loss csd student``) train one fresh
network each, from the same seed on the same batches, and share one table. Keep it short on a CPU.
Output: a table on stdout, and JSON with ``--json``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
# isort: off
import course_lib  # noqa: E402, F401  (sets the oneDNN ISA cap: must come before MindSpore)
import mindspore as ms  # noqa: E402
from mindspore import nn, ops  # noqa: E402
from course_lib.data.datasets import SyntheticPairs  # noqa: E402
from course_lib.data.degrade import bicubic_downscale, bicubic_upscale, modcrop  # noqa: E402
from course_lib.data.images import HELDOUT, heldout_images, train_images  # noqa: E402
from course_lib.losses.distill import csd_loss_fn, width_l1_loss_fn  # noqa: E402
from course_lib.metrics import psnr  # noqa: E402
from course_lib.models.edsr import edsr  # noqa: E402
from course_lib.models.sr_simple import SubPixelSR  # noqa: E402

# isort: on


class AtWidth(nn.Cell):
    """``net(x, width)`` as a one-argument cell (for predict/evaluate and timing)."""

    def __init__(self, net, width):
        super().__init__()
        self.net, self.width = net, width

    def construct(self, x):
        return self.net(x, self.width)


def build(args):
    if args.model == "subpixel":
        return SubPixelSR(args.scale), [None]
    return edsr(args.config, args.scale, bicubic_skip=args.bicubic_skip), args.widths


def train(net, args, budget, loss):
    from course_lib.train import fit

    if args.model == "subpixel":
        loss_fn = _plain_l1
    elif loss == "csd":
        from course_lib.losses.contrastive import ContrastiveLoss, VGGFeatures

        loss_fn = csd_loss_fn(ContrastiveLoss(VGGFeatures()), student_width=min(args.widths))
    elif loss == "joint":
        loss_fn = csd_loss_fn(None, student_width=min(args.widths))
    elif loss == "student":
        loss_fn = width_l1_loss_fn(min(args.widths))
    else:
        loss_fn = width_l1_loss_fn(1.0)
    s = args.scale
    pairs = SyntheticPairs(
        train_images(max_side=args.max_side),
        lambda img, rng: bicubic_downscale(modcrop(img, s), s),
        patch=budget.patch,
        scale=s,
    )
    t0 = time.perf_counter()
    history = fit(net, loss_fn, pairs, steps=args.steps or budget.steps, lr=args.lr, batch_size=budget.batch)
    return time.perf_counter() - t0, history


def _plain_l1(net, batch):
    return ops.mean(ops.abs(net(batch[0]) - batch[1]))


def measure(cell, lr_images, hr_images, scale, repeats):
    scores, times = [], []
    for lr, hr in zip(lr_images, hr_images):
        x = ms.Tensor(lr.transpose(2, 0, 1)[None].copy())
        cell(x).asnumpy()  # warm-up / compile for this size
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = cell(x).asnumpy()
            best = min(best, time.perf_counter() - t0)
        sr = np.clip(out[0].transpose(1, 2, 0), 0, 1)
        scores.append(psnr(sr, hr, crop_border=scale, y_channel=True))
        times.append(best * 1000)
    return scores, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("edsr", "subpixel"), default="edsr")
    parser.add_argument("--config", default="small", help="EDSR config: small, baseline or paper")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.5, 0.25])
    parser.add_argument("--bicubic-skip", action="store_true", help="EDSR learns the residual over bicubic")
    parser.add_argument("--weights", type=Path, default=None, help="MindSpore checkpoint of the network")
    parser.add_argument(
        "--loss", choices=("joint", "csd", "l1", "student"), nargs="+", default=["joint"],
        help="one or more; each trains its own network from the same seed",
    )  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the budget's)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--max-side", type=int, default=None, help="shrink photos to this longer side")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from course_lib.device import setup

    budget = course_lib.budget()
    losses = [None] if args.weights is not None or args.model == "subpixel" else args.loss
    nets, train_seconds = [], {}
    for loss in losses:
        setup(seed=0, mode="graph")  # the same initial weights and batches for every loss
        net, widths = build(args)
        if args.weights is not None:
            ms.load_param_into_net(net, ms.load_checkpoint(str(args.weights)), strict_load=True)
        else:
            seconds, history = train(net, args, budget, loss)
            train_seconds[loss or args.model] = seconds
            print(
                f"{loss or args.model}: trained {len(history.losses)} steps in {seconds:.1f} s, "
                f"last loss {history.losses[-1]:.4f}"
            )
        net.set_train(False)
        nets.append((loss, net))

    s = args.scale
    max_side = args.max_side or budget.demo_size
    hr_images = [modcrop(img, s) for img in heldout_images(max_side=max_side)]
    lr_images = [bicubic_downscale(img, s) for img in hr_images]
    bicubic = [
        psnr(np.clip(bicubic_upscale(lr, s), 0, 1), hr, crop_border=s, y_channel=True)
        for lr, hr in zip(lr_images, hr_images)
    ]

    rows = [{"method": "bicubic", "params": 0, "psnr_y": dict(zip(HELDOUT, bicubic)), "ms": None}]
    for loss, net in nets:
        for w in widths:
            cell = net if w is None else AtWidth(net, w)
            scores, times = measure(cell, lr_images, hr_images, s, args.repeats)
            params = (
                net.count_active_params(w) if w is not None else sum(p.size for p in net.trainable_params())
            )
            name = (
                f"{args.model} x{s}"
                + ("" if w is None else f" w{w:g}")
                + ("" if loss is None else f" {loss}")
            )
            rows.append(
                {
                    "method": name,
                    "loss": loss,
                    "width": w,
                    "params": int(params),
                    "psnr_y": dict(zip(HELDOUT, scores)),
                    "ms": dict(zip(HELDOUT, times)),
                }
            )

    size = " / ".join(f"{hr.shape[1]}x{hr.shape[0]}" for hr in hr_images)
    print(f"\nx{s} on held-out photos ({size}), PSNR-Y dB with {s}-pixel shave; ms per image (forward)")
    print(
        f"{'method':<30}{'params':>10}"
        + "".join(f"{n:>10}" for n in HELDOUT)
        + f"{'mean':>8}{'gain':>7}{'ms':>9}"
    )
    base = float(np.mean(bicubic))
    for row in rows:
        vals = list(row["psnr_y"].values())
        ms_text = "" if row["ms"] is None else f"{np.mean(list(row['ms'].values())):9.1f}"
        print(
            f"{row['method']:<30}{row['params']:>10,}" + "".join(f"{v:10.2f}" for v in vals)
            + f"{np.mean(vals):8.2f}{np.mean(vals) - base:+7.2f}{ms_text}"
        )  # fmt: skip
    if len(nets) > 1 and widths[0] is not None:  # several losses: each width's difference to the first loss
        first = nets[0][0]
        for w in widths:
            mean = {
                r["loss"]: float(np.mean(list(r["psnr_y"].values()))) for r in rows if r.get("width") == w
            }
            for loss, _ in nets[1:]:
                print(f"width {w:g}: {first} - {loss} = {mean[first] - mean[loss]:+.3f} dB (mean PSNR-Y)")
    if args.json:
        meta = {
            "budget": budget.name,
            "scale": s,
            "steps": args.steps or budget.steps,
            "train_seconds": train_seconds or None,
        }
        args.json.write_text(json.dumps({"config": vars(args) | meta, "rows": rows}, indent=2, default=str))
    return rows


if __name__ == "__main__":
    main()
