"""Dehazing quality and speed on held-out synthetic hazy photos: dark channel prior vs tiny AECR-Net.

    python benchmarks/dehaze_quality.py                         # class budget: DCP, AECR-Net tiny L1, L1 + CR
    python benchmarks/dehaze_quality.py --modes none full positive_only --json out.json
    python benchmarks/dehaze_quality.py --modes none --head k_estimate      # an output-head ablation
    COURSE_BUDGET=ci python benchmarks/dehaze_quality.py        # seconds, a smoke test

Protocol. Test set: the held-out photos (coffee, chelsea), shrunk to the budget's ``demo_size`` longer
side, each hazed twice with fixed parameters (ground-plane depth prior, ``degrade.depth_prior``; mean
transmission 0.4 with airlight 0.85, and 0.65 with airlight 0.95), so 4 hazy images. Nothing random.
PSNR (RGB, dB) and SSIM against the clean photo, outputs clipped to [0, 1] (AECR-Net ends in tanh,
range (-1, 1): methods.md Sec. 1 (f) 8).

Training (one run per ``--modes`` entry, same seed, same data, same steps): ``course_lib.train.fit`` on
random crops (budget patch and batch) of the five training photos hazed with random parameters: mean
transmission t_mean ~ U[0.2, 0.8] turned into beta over the photo's depth (the measured Middlebury depth
for the motorcycle, the ground-plane prior for the others), airlight A ~ U[0.7, 1.0]. Loss
``aecr_loss_fn(mode=...)``: 'none' = L1 only, 'positive_only' = L1 + 0.1 * VGG numerator, 'full' = L1 +
0.1 * CR (positive: clear image, negative: hazy input). Adam, cosine schedule, peak ``--lr``.
``--head`` picks the network's output head (``AECRNet`` docstring): 'tanh' is the official one.

Time: milliseconds per image (forward, best of ``--repeats`` after a warm-up) at the test size; the DCP
time is its NumPy/SciPy implementation on the same image. Output: a table, then JSON on stdout (and in
``--json PATH``).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
# isort: off
import course_lib  # noqa: E402  (sets the oneDNN ISA cap: must come before MindSpore)
import mindspore as ms  # noqa: E402
from course_lib.baselines import dark_channel_prior  # noqa: E402
from course_lib.data import degrade, heldout  # noqa: E402
from course_lib.data.datasets import SyntheticPairs  # noqa: E402
from course_lib.data.images import TRAIN, train_images  # noqa: E402
from course_lib.losses.dehaze import aecr_loss_fn  # noqa: E402
from course_lib.metrics import count_params, psnr, ssim  # noqa: E402
from course_lib.models.aecrnet import HEADS, aecrnet_tiny  # noqa: E402

# isort: on

TEST_HAZE = heldout.HOMOGENEOUS_HAZE  # (mean transmission, airlight) applied to every held-out photo
MODE_NAMES = {"none": "AECR-Net tiny, L1", "positive_only": "AECR-Net tiny, L1 + positive", "full": "AECR-Net tiny, L1 + CR"}  # fmt: skip


def resize_depth(depth, shape):
    """Bilinear resize of a depth map (H, W) float32 to ``shape`` (H', W')."""
    from PIL import Image

    img = Image.fromarray(np.asarray(depth, np.float32), mode="F")
    return np.asarray(img.resize((shape[1], shape[0]), Image.BILINEAR), dtype=np.float32)


def training_pairs(max_side, patch, count_per_photo=40, seed=0):
    """Synthetic hazy/clear pairs from the training photos, random haze per pair (module docstring)."""
    images = train_images(max_side=max_side)
    depths = []
    for name, img in zip(TRAIN, images):
        if name == "motorcycle":
            depths.append(resize_depth(degrade.motorcycle_depth(), img.shape[:2]))  # measured, metres
        else:
            depths.append(degrade.depth_prior(img.shape[:2]))

    def random_haze(clean, rng, depth):
        beta = degrade.beta_for_transmission(depth, rng.uniform(0.2, 0.8))
        return degrade.haze(clean, depth, beta, rng.uniform(0.7, 1.0))

    return SyntheticPairs(
        images, random_haze, patch=patch, count=count_per_photo * len(images), depths=depths, seed=seed
    )


def test_set(max_side):
    """[(name, hazy, clean)] on the held-out photos, fixed haze (``course_lib.data.heldout``, uniform haze)."""
    return heldout.haze_homogeneous(max_side)


def score(restore, tests, repeats):
    """PSNR/SSIM per test image and best-of-``repeats`` milliseconds per image."""
    rows = []
    for name, hazy, clean in tests:
        out = restore(hazy)  # warm-up
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = restore(hazy)
            best = min(best, time.perf_counter() - t0)
        out = np.clip(out, 0.0, 1.0)
        rows.append({"image": name, "psnr": psnr(out, clean), "ssim": ssim(out, clean), "ms": best * 1000})
    return rows


def net_restorer(net):
    net.set_train(False)

    def restore(hazy):
        x = ms.Tensor(np.ascontiguousarray(hazy.transpose(2, 0, 1)[None]))
        return net(x).asnumpy()[0].transpose(1, 2, 0)  # tanh output; clipped to [0, 1] by score()

    return restore


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", default=None, help="ci, class or full (default: $COURSE_BUDGET or class)")
    parser.add_argument("--modes", nargs="+", default=["none", "full"], choices=list(MODE_NAMES))
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the budget's)")
    parser.add_argument("--head", default="tanh", choices=HEADS, help="output head (default: official tanh)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (cosine schedule)")
    parser.add_argument("--patch", type=int, default=None, help="training crop (default: the budget's)")
    parser.add_argument("--max-side", type=int, default=None, help="photo size (default: budget demo_size)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from course_lib.device import setup
    from course_lib.train import fit

    budget = course_lib.budget(args.budget)
    setup(seed=0)
    steps, patch = args.steps or budget.steps, args.patch or budget.patch
    max_side = args.max_side or budget.demo_size or 512
    tests = test_set(max_side)
    pairs = training_pairs(max_side, patch)

    results = [{"method": "hazy input", "rows": score(lambda x: x, tests, 1), "train_seconds": None}]
    results.append({"method": "dark channel prior", "rows": score(dark_channel_prior, tests, args.repeats)})
    contrastive = None
    for mode in args.modes:
        setup(seed=0)  # same initial weights for every mode
        net = aecrnet_tiny(head=args.head)
        if mode != "none" and contrastive is None:
            from course_lib.losses.contrastive import ContrastiveLoss, VGGFeatures

            contrastive = ContrastiveLoss(VGGFeatures())
        loss_fn = aecr_loss_fn(contrastive, mode=mode)
        t0 = time.perf_counter()
        history = fit(net, loss_fn, pairs, steps=steps, lr=args.lr, batch_size=budget.batch, progress=False)
        seconds = time.perf_counter() - t0
        label = MODE_NAMES[mode] + ("" if args.head == "tanh" else f", {args.head} head")
        print(f"{label}: {steps} steps in {seconds:.0f} s, loss {history.loss[0]:.4f} -> "
              f"{history.loss[-1]:.4f}", flush=True)  # fmt: skip
        results.append(
            {
                "method": label,
                "mode": mode,
                "head": args.head,
                "params": count_params(net),
                "train_seconds": seconds,
                "rows": score(net_restorer(net), tests, args.repeats),
            }
        )

    size = " / ".join(f"{c.shape[1]}x{c.shape[0]}" for _, _, c in tests[:: len(TEST_HAZE)])
    print(f"\nheld-out synthetic haze ({len(tests)} images: {size}), budget '{budget.name}', {steps} steps")
    print(f"{'method':<44}{'PSNR dB':>9}{'SSIM':>8}{'ms/img':>9}{'train s':>9}")
    for r in results:
        r["psnr"] = float(np.mean([x["psnr"] for x in r["rows"]]))
        r["ssim"] = float(np.mean([x["ssim"] for x in r["rows"]]))
        r["ms"] = float(np.mean([x["ms"] for x in r["rows"]]))
        train_s = f"{r['train_seconds']:9.0f}" if r.get("train_seconds") else ""
        print(f"{r['method']:<44}{r['psnr']:9.2f}{r['ssim']:8.4f}{r['ms']:9.1f}{train_s}")
    dcp = results[1]["psnr"]
    for r in results[2:]:
        print(f"{r['method']} vs DCP: {r['psnr'] - dcp:+.2f} dB, SSIM {r['ssim'] - results[1]['ssim']:+.4f}")
    report = {
        "budget": budget.name,
        "steps": steps,
        "batch": budget.batch,
        "patch": patch,
        "lr": args.lr,
        "max_side": max_side,
        "test_haze": TEST_HAZE,
        "results": results,
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return report


if __name__ == "__main__":
    main()
