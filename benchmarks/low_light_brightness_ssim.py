"""Does SSIM on the held-out low-light photos reward brightness, and by how much?

    python benchmarks/low_light_brightness_ssim.py [--official DIR]      # ~2 CPU minutes (2-core EPYC)

The course Zero-DCE / Zero-DCE++ weights score above the official weights on PSNR and brightness but
about 0.01 below them on SSIM (README, "Course weights"). The held-out low light is noisy (shot and read
noise, 8 bit): a darker output keeps the amplified noise small against SSIM's constants. This script
scores each output as it is and again after a per-photo gamma ``out ** g`` that gives it the *other*
network's mean brightness (course output at the official output's brightness, and the reverse), so that
the two networks are compared at equal brightness. Gamma keeps 0 and 1 and the order of the pixels.

``--official DIR`` holds ``zero_dce_official/Epoch99.pth`` and ``zero_dce_pp_official/Epoch99.pth``
(CC BY-NC, not shipped; default ``../shared/reference_data/zerodce``). Prints a Markdown table.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on


def gamma_to_mean(img: np.ndarray, target: float) -> np.ndarray:
    """``img ** g`` with ``g`` found by bisection so that its mean is ``target`` (img in [0, 1])."""
    lo, hi = np.log(0.05), np.log(20.0)  # log g
    for _ in range(50):
        mid = (lo + hi) / 2
        if (img ** np.exp(mid)).mean() > target:
            lo = mid  # too bright: a larger exponent darkens
        else:
            hi = mid
    return img ** np.exp((lo + hi) / 2)


def outputs(method, net):
    from course_lib import quality

    restore = quality.restorer(method, net)
    return [np.clip(restore(lq), 0.0, 1.0) for _, lq, _ in quality.test_sets(method)["low light"]]


def table_rows(method, official_dir: Path):
    from course_lib import quality, weights
    from course_lib.metrics import psnr, ssim
    from course_lib.models.zero_dce import load_official

    gts = [gt for _, _, gt in quality.test_sets(method)["low light"]]
    ours = outputs(method, weights.load(method))
    theirs = outputs(method, load_official(official_dir / f"{method}_official" / "Epoch99.pth",
                                           scale_factor=12 if method == "zero_dce_pp" else 1))  # fmt: skip

    def row(name, outs):
        p = np.mean([psnr(o, g) for o, g in zip(outs, gts)])
        s = np.mean([ssim(o, g) for o, g in zip(outs, gts)])
        b = np.mean([o.mean() - g.mean() for o, g in zip(outs, gts)])
        return f"| {method} | {name} | {p:.2f} | {s:.4f} | {b:+.3f} |"

    return [
        row("course weights", ours),
        row("official weights", theirs),
        row("course weights at the official output's brightness", [gamma_to_mean(o, t.mean()) for o, t in zip(ours, theirs)]),
        row("official weights at the course output's brightness", [gamma_to_mean(t, o.mean()) for o, t in zip(ours, theirs)]),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, default=REPO.parent / "shared" / "reference_data" / "zerodce")
    args = parser.parse_args(argv)
    if not (args.official / "zero_dce_official" / "Epoch99.pth").is_file():
        print(f"error: no official weights under {args.official}; pass --official DIR", file=sys.stderr)
        return 2
    print("| method | output | PSNR dB | SSIM | brightness error |\n|---|---|---|---|---|")
    for method in ("zero_dce", "zero_dce_pp"):
        for line in table_rows(method, args.official):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
