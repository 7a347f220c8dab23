"""The course weights' learning curves: held-out score against training time, one panel per method.

    python benchmarks/learning_curves.py [--manifest FILE ...] [--out docs/learning_curves.png]

Reads the ``learning_curve`` of each entry of the manifests (default: the shipped one,
``course_lib/weights/manifest.json``; the recipe's output folder has its own, ``runs/course-weights/
manifest.json``; a later file's entry replaces an earlier one's) and draws, per method, the recipe's held-out
score every few hundred steps against the CPU-hours spent training, with the best classical baseline as a
dashed line. The score: PSNR (dB) on the method's first test set, PSNR-mu for HDR. Entries trained before
the recipe recorded curves have no curve and are listed as such.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def primary(scores_key: str) -> bool:
    """The metric a panel shows: PSNR-mu for HDR, else PSNR."""
    return scores_key.endswith("/psnr_mu") or (scores_key.endswith("/psnr") and "HDR" not in scores_key)


def panel_data(entry: dict):
    """``(metric keys, steps, hours, {key: values}, {baseline: {key: value}})`` of one manifest entry."""
    curve = entry.get("learning_curve") or []
    keys = [k for k in (curve[0] if curve else {}) if primary(k)]
    steps = [p["step"] for p in curve]
    hours = [p["seconds"] / 3600 for p in curve]
    values = {k: [p[k] for p in curve] for k in keys}
    base = {name: {f"{s}/{m}": v for s, d in sets.items() for m, v in d.items()}
            for name, sets in entry.get("baselines", {}).items()}  # fmt: skip
    return keys, steps, hours, values, base


def draw(entries: dict, out: Path) -> list:
    """Draw every method with a curve into ``out``; returns the methods without one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_curve = {m: e for m, e in entries.items() if e.get("learning_curve")}
    missing = sorted(set(entries) - set(with_curve))
    if not with_curve:
        raise ValueError("no manifest entry has a learning curve yet; run data_scripts/train_course_weights.py")
    cols = min(3, len(with_curve))
    rows = (len(with_curve) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(with_curve):]:
        ax.axis("off")
    for ax, (method, entry) in zip(axes.flat, sorted(with_curve.items())):
        keys, _, hours, values, base = panel_data(entry)
        for key in keys:
            line = ax.plot(hours, values[key], marker=".", label=key.split("/")[0])[0]
            best = max(((v[key], name) for name, v in base.items() if key in v and name != "input"), default=None)
            if best:
                ax.axhline(best[0], ls="--", color=line.get_color(), lw=1, label=f"{best[1]}")
        ax.set_title(f"{method} ({entry['steps']} steps)", fontsize=10)
        ax.set_xlabel("training time (CPU-hours)")
        ax.set_ylabel("held-out PSNR-mu (dB)" if any("psnr_mu" in k for k in keys) else "held-out PSNR (dB)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, nargs="+",
                        default=[REPO / "course_lib" / "weights" / "manifest.json"])  # fmt: skip
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "learning_curves.png")
    args = parser.parse_args(argv)
    entries = {}
    try:
        for path in args.manifest:
            entries.update(json.loads(path.read_text()))
        missing = draw(entries, args.out)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}" + (f"; no curve recorded for {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
