"""Held-out quality of the shipped course weights against their classical baselines (the README's table).

    python benchmarks/course_weights_quality.py                  # every method with course weights
    python benchmarks/course_weights_quality.py edsr csd --json out.json
    python benchmarks/course_weights_quality.py zero_dce --official-dir ../shared/reference_data/zerodce

Scores come from :mod:`course_lib.quality` on :mod:`course_lib.data.heldout` (coffee and chelsea at 320
pixels, never trained on), measured now from the weights in ``course_lib/weights`` (SHA-256 checked). The
classical baselines run on the same images. ``--official-dir`` adds the official Zero-DCE / Zero-DCE++
weights (``zero_dce_official/Epoch99.pth``, ``zero_dce_pp_official/Epoch99.pth``; not shipped, CC BY-NC).
Rows that need a second training run (CSD's and EfficientHDR's students trained alone) are read from the manifest, where the
recipe measured them. Prints a markdown table; ``--json`` writes the numbers.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
from course_lib import quality, weights  # noqa: E402
from course_lib.models import get_method  # noqa: E402

# isort: on

WIDTHS = {"edsr": (1.0, 0.25), "csd": (1.0, 0.25)}


def rows_for(method, official_dir=None):
    """[(label, test set, scores)] for ``method``: its course weights, its baselines, extra references."""
    net = weights.load(method)
    rows = []
    for label, by_set in quality.baselines(method).items():
        rows += [(label, name, s) for name, s in by_set.items()]
    if method in WIDTHS:
        for w in WIDTHS[method]:
            by_set = quality.score(method, net, width_mult=w)
            rows += [(f"{method} course weights, width {w:g}", name, s) for name, s in by_set.items()]
    else:
        rows += [(f"{method} course weights", name, s) for name, s in quality.score(method, net).items()]
    entry = weights.manifest()[method]
    for key, by_set in entry.get("student_alone", {}).items():  # e.g. "width 0.25", "without distillation"
        rows += [(f"{method} student trained alone, {key} (recipe, same steps)", name, s) for name, s in by_set.items()]
    if official_dir and method in ("zero_dce", "zero_dce_pp"):
        from course_lib.models.zero_dce import load_official

        path = Path(official_dir) / f"{method}_official" / "Epoch99.pth"
        if path.is_file():
            official = load_official(path, scale_factor=1 if method == "zero_dce" else 12)
            rows += [
                (f"{method} official weights", name, s) for name, s in quality.score(method, official).items()
            ]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("methods", nargs="*", help="default: every method with course weights")
    parser.add_argument("--official-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    course_lib.device.setup(verbose=False)
    report = {}
    methods = args.methods or weights.available()
    hdr = [m for m in methods if get_method(m).data_kind == "hdr"]
    print("| method | test set | PSNR (dB) | SSIM | mean brightness error |")
    print("|---|---|---|---|---|")
    for method in [m for m in methods if m not in hdr]:
        report[method] = rows_for(method, args.official_dir)
        for label, name, s in report[method]:
            err = f"{s['brightness_error']:+.3f}" if "brightness_error" in s else ""
            print(f"| {label} | {name} | {s['psnr']:.2f} | {s['ssim']:.4f} | {err} |", flush=True)
    if hdr:  # PSNR after the mu-law, linear PSNR, SSIM of the tone maps
        print("\n| method | test set | PSNR-mu (dB) | PSNR (dB) | SSIM (mu-law) |\n|---|---|---|---|---|")
    for method in hdr:
        report[method] = rows_for(method)
        for label, name, s in report[method]:
            print(f"| {label} | {name} | {s['psnr_mu']:.2f} | {s['psnr']:.2f} | {s['ssim_mu']:.4f} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
