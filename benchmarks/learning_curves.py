"""The course weights' learning curves: held-out score against training time, one panel per method.

    python benchmarks/learning_curves.py [--manifest FILE ...] [--out docs/learning_curves.png]
    python benchmarks/learning_curves.py --table     # also print each method's steps and training time (README)
    python benchmarks/learning_curves.py --tries docs/aecrnet_tanh_curve.json ...   # also tries not shipped

Reads the ``learning_curve`` of each entry of the manifests (default: the shipped one,
``course_lib/weights/manifest.json``; the recipe's output folder has its own, ``runs/course-weights/
manifest.json``; a later file's entry replaces an earlier one's) and draws, per method, the recipe's held-out
score every few hundred steps against the wall-clock hours spent training (the manifest names the machine), with the best classical baseline as a
dashed line. The score: PSNR (dB) on the method's first test set, PSNR-mu for HDR. Entries trained before
the recipe recorded curves have no curve and are listed as such.

``--tries`` adds the curves of tries that were stopped and not shipped (``docs/*_try.json``: a ``method``, an
optional ``label``, a ``learning_curve`` of held-out scores by step, ``baselines`` as ``{name: {"test set/metric": value}}``); they
recorded steps, not wall time, so their panels count steps and are titled "try, not shipped".

A method whose recipe is a last stage on its own earlier weights (``init: 'srktdn@3a5130f'``) is drawn and
counted with the run it continued: that commit's manifest entry, read from git history (:func:`with_start`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
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
    hours = [p["seconds"] / 3600 if "seconds" in p else None for p in curve]
    values = {k: [p[k] for p in curve] for k in keys}
    base = {}
    for name, sets in entry.get("baselines", {}).items():  # {set: {metric: v}} or, in tries, {"set/metric": v}
        base[name] = {f"{s}/{m}": v for s, d in sets.items() for m, v in d.items()} if all(
            isinstance(d, dict) for d in sets.values()) else dict(sets)  # fmt: skip
    return keys, steps, hours, values, base


def own_start(method: str, entry: dict, repo: Path = REPO):
    """The manifest entry of ``method``'s earlier weights that the recipe's ``init: 'METHOD@COMMIT'`` continued
    (read from ``repo``'s git history), or None: no such pin, or git cannot read that commit."""
    name, _, commit = str((entry.get("recipe") or {}).get("init", "")).partition("@")
    if name != method or not commit:
        return None
    try:
        shown = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:course_lib/weights/manifest.json"],
                               check=True, capture_output=True, text=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return json.loads(shown.stdout).get(method)


def with_start(method: str, entry: dict, repo: Path = REPO, depth: int = 8) -> dict:
    """``entry`` joined to the run it continued (:func:`own_start`), and that run to the one it continued, up to
    ``depth`` stages: the start's learning curve first, this stage's after it (steps and seconds counted on), the
    wall time summed; the start kept as ``start``."""
    start = own_start(method, entry, repo) if depth > 0 else None
    if not start:
        return entry
    start = with_start(method, start, repo, depth - 1)
    # a joined start counts the steps of all its stages (chain_steps); its own "steps" are its last stage's
    steps, seconds = start.get("chain_steps", start.get("steps", 0)), start.get("train_seconds_total", 0.0)
    later = [{**p, "step": p["step"] + steps, **({"seconds": p["seconds"] + seconds} if "seconds" in p else {})}
             for p in entry.get("learning_curve") or []]  # fmt: skip
    return {**entry, "start": start, "learning_curve": list(start.get("learning_curve") or []) + later,
            "train_seconds_total": seconds + entry.get("train_seconds_total", 0.0),
            "chain_steps": steps + entry.get("steps", 0)}  # fmt: skip


def steps_text(entry: dict) -> str:
    """'3,000', '1,000 + 3,000' (clear -> clear first), '20,000 + 5,000 fine-tuning', and for a last stage on
    earlier weights (:func:`with_start`) '1,000 + 3,000 + 1,500 last stage', for a stage on that one
    '1,000 + 3,000 + 1,500 last stage + 2,000 last stage'."""
    recipe = entry.get("recipe") or {}
    pretrain = recipe.get("pretrain_steps")  # clear -> clear first: its time is in the total
    tuning = (recipe.get("finetune") or {}).get("steps", 0)  # a last stage, counted in the entry's steps
    steps = f"{pretrain:,} + {entry.get('steps', 0):,}" if pretrain else f"{entry.get('steps', '?'):,}"
    if tuning:
        steps = f"{entry['steps'] - tuning:,} + {tuning:,} fine-tuning"
    if entry.get("start"):
        steps = f"{steps_text(entry['start'])} + {entry.get('steps', 0):,} last stage"
    return steps


def read_try(path: Path) -> tuple[str, dict]:
    """``(panel name, entry)`` of one stopped try (``docs/*_curve.json``), drawn against its steps."""
    data = json.loads(path.read_text())
    if not data.get("learning_curve") or "method" not in data:
        raise ValueError(f"{path}: a try needs 'method' and 'learning_curve'")
    last = data["learning_curve"][-1]["step"]
    label = f", {data['label']}" if data.get("label") else ""
    return f"{data['method']} (try{label}, not shipped, {last} steps)", {**data, "steps": last}


def draw(entries: dict, out: Path) -> list:
    """Draw every method with a curve into ``out``; returns the methods without one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_curve = {m: e for m, e in entries.items() if e.get("learning_curve")}
    missing = sorted(set(entries) - set(with_curve))
    if not with_curve:
        raise ValueError(
            "no manifest entry has a learning curve yet; run data_scripts/train_course_weights.py"
        )
    cols = min(3, len(with_curve))
    rows = (len(with_curve) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(with_curve) :]:
        ax.axis("off")
    for ax, (method, entry) in zip(axes.flat, sorted(with_curve.items())):
        keys, steps, hours, values, base = panel_data(entry)
        by_steps = None in hours  # a try: steps only
        for key in keys:
            line = ax.plot(steps if by_steps else hours, values[key], marker=".", label=key.split("/")[0])[0]
            bkey = key if any(key in v for v in base.values()) else key.split("/", 1)[-1]  # 'width 1/x2/psnr'
            best = max(
                ((v[bkey], name) for name, v in base.items() if bkey in v and name != "input"), default=None
            )
            if best:
                ax.axhline(best[0], ls="--", color=line.get_color(), lw=1, label=f"{best[1]}")
        ax.set_title(
            textwrap.fill(
                method
                if str(entry["steps"]) in method.replace(",", "")
                else f"{method} ({steps_text(entry)} steps)",
                45,
            ),
            fontsize=9,
        )
        ax.set_xlabel("training steps" if by_steps else "training time (hours, wall clock)")
        ax.set_ylabel("held-out PSNR-mu (dB)" if any("psnr_mu" in k for k in keys) else "held-out PSNR (dB)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return missing


def table(entries: dict) -> str:
    """A Markdown table: each method's steps (clear -> clear pre-training + restoration), training wall time,
    core-hours (wall hours x the cores of the machine the manifest names), whether its learning curve was
    recorded, and the machine."""
    import re

    lines = [
        "| method | steps | training (wall) | core-hours | learning curve | machine |",
        "|---|---|---|---|---|---|",
    ]
    for method, e in sorted(entries.items(), key=lambda item: -item[1].get("train_seconds_total", 0)):
        seconds = e.get("train_seconds_total", 0)
        cores = re.search(r"(\d+) cores", e.get("machine", ""))
        core_hours = f"{seconds / 3600 * int(cores.group(1)):.1f}" if cores else "?"
        curve = f"{len(e['learning_curve'])} points" if e.get("learning_curve") else "not recorded"
        machine = e.get("machine", "?").replace(", Linux", "")
        lines.append(
            f"| `{method}` | {steps_text(e)} | {seconds / 60:.0f} min | {core_hours} | {curve} | "
            f"{machine}, {e.get('date', '?')} |"
        )
    total = sum(e.get("train_seconds_total", 0) for e in entries.values())
    lines.append(f"| all | | {total / 3600:.1f} h | | | |")
    return "\n".join(lines)


def _headline(by_set: dict) -> str:
    """'18.36 / 17.61 dB' from ``{test set: {metric: value}}``: PSNR-mu where a set has it, else PSNR."""
    key = "psnr_mu" if all("psnr_mu" in m for m in by_set.values()) else "psnr"
    return " / ".join(f"{m[key]:.2f}" for m in by_set.values()) + (" dB PSNR-mu" if key == "psnr_mu" else " dB")


def scores_table(entries: dict) -> str:
    """A Markdown table: each method's held-out score as the recipe measured it (manifest ``scores``; slimmable
    networks at each width), against the first classical baseline of its manifest entry (not the input)."""
    lines = ["| method | test sets | course weights | classical baseline |", "|---|---|---|---|"]
    for method, e in sorted(entries.items()):
        scores, baselines = e.get("scores"), e.get("baselines") or {}
        if not scores:
            continue
        if all(isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()) for v in scores.values()):
            parts = scores  # slimmable: {'width 1': {'x2': {...}}, ...}
        else:
            parts = {"": scores}
        sets = " / ".join(next(iter(parts.values())))
        ours = "; ".join(f"{_headline(s)}{f' ({label})' if label else ''}" for label, s in parts.items())
        classical = next(((k, v) for k, v in baselines.items() if k != "input"), None)
        base = f"{classical[0]}: {_headline(classical[1])}" if classical else "none"
        lines.append(f"| `{method}` | {sets} | {ours} | {base} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, nargs="+",
                        default=[REPO / "course_lib" / "weights" / "manifest.json"])  # fmt: skip
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "learning_curves.png")
    parser.add_argument("--tries", type=Path, nargs="*", default=[],
                        help="also draw stopped tries (docs/*_curve.json), titled as not shipped")  # fmt: skip
    parser.add_argument(
        "--table", action="store_true", help="print the steps and training time of each method"
    )
    parser.add_argument(
        "--scores", action="store_true", help="print each method's held-out score and its classical baseline"
    )
    args = parser.parse_args(argv)
    entries = {}
    try:
        for path in args.manifest:
            entries.update(json.loads(path.read_text()))
        entries = {method: with_start(method, e) for method, e in entries.items()}
        tries = dict(read_try(path) for path in args.tries)
        missing = draw({**entries, **tries}, args.out)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}" + (f"; no curve recorded for {', '.join(missing)}" if missing else ""))
    if args.table:
        print(table(entries))
    if args.scores:
        print(scores_table(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
