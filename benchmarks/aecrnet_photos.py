"""Do the training photos hold the paper's AECR-Net head back? The shipped ``aecrnet`` fine-tuned for the same
steps (L1, lr 1e-4, batch 8, 64-px crops, seed 0) on two photo sets, then scored:

- ``bundled``: the five bundled training photos (``course_lib.data.train_images``: sharp, detailed scenes);
- ``sharp``: the five and the 14 sharp scenes of ``data_scripts/get_photos.py --set sharp`` (OpenCV's samples:
  streets, buildings, aerial views, in focus at every depth);
- ``recipe``: the recipe's 42 photos (the five, the 24 Debian wallpapers and the 13 further photos: many macro
  shots with large out-of-focus areas; needs ``data_scripts/get_photos.py`` and ``--set more``).

Scores: mean PSNR on the held-out hazes (coffee, chelsea) and, as a check on photos no choice here was made on,
on Set5's HR photos under the same four hazes (``--set5``; not shipped). Usage::

    python benchmarks/aecrnet_photos.py --set5 ../shared/reference_data/set5/HR --json docs/aecrnet_photos_try.json

``--sets bundled sharp`` trains only those (each set's run is seeded: the same numbers every time).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "data_scripts"))

import course_lib  # noqa: E402  (sets the oneDNN CPU kernel cap before MindSpore computes anything)


def hazed(photos):
    """``[(kind, hazy, clear)]``: each photo under the held-out sets' two uniform and two non-homogeneous hazes."""
    from course_lib.data.heldout import nonhomogeneous_hazes, uniform_hazes

    out = []
    for clear in photos:
        clear = np.ascontiguousarray(clear[: clear.shape[0] // 4 * 4, : clear.shape[1] // 4 * 4])
        out += [("uniform", hazy, clear) for _, hazy in uniform_hazes(clear)]
        out += [("non-homogeneous", hazy, clear) for _, hazy in nonhomogeneous_hazes(clear)]
    return out


def score(restore, tests: dict) -> dict:
    from course_lib import metrics

    return {
        f"{name} {kind}": round(float(np.mean([metrics.psnr(np.clip(restore(h), 0, 1), c)
                                               for k, h, c in triples if k == kind])), 2)
        for name, triples in tests.items() for kind in ("uniform", "non-homogeneous")
    }  # fmt: skip


def fine_tune(photos, steps: int):
    from course_lib import weights
    from course_lib.data import degrade
    from course_lib.data.datasets import SyntheticPairs
    from course_lib.losses.dehaze import aecr_loss_fn
    from course_lib.train import fit

    course_lib.device.seed_everything(0)
    net = weights.load("aecrnet")
    pairs = SyntheticPairs(photos, degrade.random_haze, patch=64, count=40 * len(photos))
    net.set_train(True)
    t0 = time.perf_counter()
    fit(net, aecr_loss_fn(None, mode="none"), pairs, steps=steps, lr=1e-4, batch_size=8, progress=False)
    net.set_train(False)
    return net, time.perf_counter() - t0


SETS = ("bundled", "sharp", "recipe")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--set5", type=Path, default=None, help="a folder of Set5 HR photos (optional)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS), help="the photo sets to train on")
    args = parser.parse_args(argv)
    if args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    if args.set5 is not None and not sorted(args.set5.glob("*.png")):
        print(
            f"error: --set5 {args.set5}: no .png photos there; give the folder of Set5's HR photos",
            file=sys.stderr,
        )
        return 2

    import train_course_weights as recipe

    from course_lib import baselines, quality, weights
    from course_lib.data import heldout, load_image, train_images

    course_lib.device.setup()
    tests = {"held-out": [("uniform", h, c) for _, h, c in heldout.haze_homogeneous()]
             + [("non-homogeneous", h, c) for _, h, c in heldout.haze_nonhomogeneous()]}  # fmt: skip
    if args.set5 is not None:
        tests["Set5"] = hazed([load_image(f) for f in sorted(args.set5.glob("*.png"))])
    rows = {"dark channel prior": score(baselines.dark_channel_prior, tests),
            "shipped aecrnet": score(quality.restorer("aecrnet", weights.load("aecrnet")), tests)}  # fmt: skip
    sets = {
        "bundled": lambda: train_images(512),
        "sharp": lambda: train_images(512) + recipe.sharp_photos()[0],
        "recipe": lambda: recipe.training_photos(None)[0] + recipe.more_photos()[0],
    }
    seconds = {}
    for name in args.sets:
        photos = sets[name]()
        net, seconds[name] = fine_tune(photos, args.steps)
        rows[f"+ {args.steps} steps on the {name} photos ({len(photos)})"] = score(
            quality.restorer("aecrnet", net), tests
        )
    keys = list(rows["dark channel prior"])
    print("| mean PSNR (dB) | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(f"{r[k]:.2f}" for k in keys) + " |")
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "rows": rows, "train_seconds": seconds,
                                         "machine": recipe.machine(), "date": time.strftime("%Y-%m-%d")},
                                        indent=1) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
