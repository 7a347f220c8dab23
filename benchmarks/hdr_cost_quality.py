"""Efficient HDR: parameters, GMACs at 1060x1900 and held-out PSNR-mu of every network and baseline.

    python benchmarks/hdr_cost_quality.py [--json out.json] [--plot docs/hdr_psnr_gmacs.png]

GMACs: ``course_lib.metrics.count_macs`` on a 106x190 input times 100 (convolutions cost the same per
pixel at any size; ESA's pooled branch makes the figure about 0.1 % approximate; ``tests/test_hdr_models.py
-m slow`` counts the full frame). Quality: :func:`course_lib.quality.score` on the held-out brackets of
:func:`course_lib.data.heldout.hdr_brackets` for the networks that have course weights; the others are
listed without a score. Prints a markdown table.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
from course_lib import metrics, quality, weights  # noqa: E402
from course_lib.models import get_method  # noqa: E402
from course_lib.models.hdr import AHDRNet, EfficientHDR  # noqa: E402

# isort: on

NETWORKS = {
    "AHDRNet (baseline, official width)": (AHDRNet, "ahdrnet"),
    "EfficientHDR track 1": (lambda: EfficientHDR(1), None),
    "EfficientHDR track 2": (lambda: EfficientHDR(2), None),
    "EfficientHDR teacher (plain convs)": (lambda: EfficientHDR("teacher"), None),
    "EfficientHDR course teacher (plain convs)": (lambda: EfficientHDR("course_teacher"), "efficient_hdr_teacher"),
    "EfficientHDR course, medium-frame start (no course weights since 2026-12-06)": (
        lambda: EfficientHDR("course"),
        None,
    ),
    "EfficientHDR course, align + merge start (course weights)": (
        lambda: get_method("efficient_hdr").build().net,  # EfficientHDR("course", merge_skip, align_max_shift)
        "efficient_hdr",
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None, help="PSNR-mu against GMACs, as a PNG")
    args = parser.parse_args(argv)
    rows = []
    for label, by_set in quality.baselines("efficient_hdr").items():
        rows.append(dict(name=label, params=0, gmacs=0.0, **by_set["HDR brackets"]))
    for label, (build, method) in NETWORKS.items():
        net = build()
        # convolutions cost the same per pixel at any size (count at 106x190, scale by 100); the alignment's
        # search compares every third row and column at full size, so the aligned network is counted there
        full = getattr(net, "aligned", False)
        macs = metrics.count_macs(net, (1, 18, 1060, 1900) if full else (1, 18, 106, 190)) * (1 if full else 100)
        row = dict(name=label, params=metrics.count_params(net), gmacs=round(macs / 1e9, 1))
        if method in weights.available():
            row.update(quality.score(method, weights.load(method))["HDR brackets"])
        rows.append(row)
    print("| network | parameters | GMACs at 1060x1900 | PSNR-mu (dB) | PSNR (dB) |")
    print("|---|---|---|---|---|")
    for r in rows:
        score = (f"{r['psnr_mu']:.2f} | {r['psnr']:.2f}") if "psnr_mu" in r else "(no course weights) | "
        print(f"| {r['name']} | {r['params']:,} | {r['gmacs']:.1f} | {score} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.plot:
        plot(rows, args.plot)
    return 0


def plot(rows, path):
    """Trained networks as points (log GMACs), baselines as horizontal lines, untrained budgets as ticks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.2), dpi=100)
    scored = [r for r in rows if "psnr_mu" in r and r["gmacs"] > 0]
    for r in rows:
        if r["gmacs"] == 0:
            ax.axhline(r["psnr_mu"], ls="--", lw=1, color="0.5")
            ax.text(25, r["psnr_mu"] + 0.3, r["name"], fontsize=8, color="0.3")
    for r in scored:
        ax.plot(r["gmacs"], r["psnr_mu"], "o")
        right = r["gmacs"] > 500
        ax.annotate(r["name"], (r["gmacs"], r["psnr_mu"]), fontsize=7, xytext=(-6 if right else 6, 6 if right else -12),
                    textcoords="offset points", ha="right" if right else "left")  # fmt: skip
    for r in rows:
        if "psnr_mu" not in r:
            ax.axvline(r["gmacs"], lw=0.8, color="C1", alpha=0.4)
    ax.set(xscale="log", xlabel="GMACs at 1060x1900 (vertical lines: networks without course weights)",
           ylabel="held-out PSNR-mu (dB)", title="Efficient HDR: quality against cost")  # fmt: skip
    ax.xaxis.label.set_size(8)
    ax.set_xlim(15, 5000)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


if __name__ == "__main__":
    sys.exit(main())
