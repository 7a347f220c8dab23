"""Where an HDR merge wins or loses: held-out PSNR-mu split by region and by motion.

    python benchmarks/hdr_regions.py                       # the shipped weights and the classical answers
    python benchmarks/hdr_regions.py --ckpt "merge start:merge_skip=True:runs/try-hdr-merge/out/efficient_hdr.ckpt"
    python benchmarks/hdr_regions.py --json docs/hdr_regions.json

Each held-out bracket (:func:`course_lib.data.heldout.hdr_brackets`: coffee and chelsea, static and with the
short and long frames moved by up to 2 pixels) is scored on three regions of its medium frame: **clipped**
(its largest channel above 0.95: only the short frame knows the radiance there), **dark** (below 0.1: the long
frame has 4x the signal) and the rest. A network that never leaves the medium frame scores the same as the
medium frame in the clipped region and the same with and without motion; a network that merges frames it
should not trust loses on the moved brackets. Also prints the largest output value where the target is above
0.3 (the medium frame read as radiance tops out at 0.25). The rows also hold the classical radiance merge with
and without Ward's alignment (the aligned one is the untrained course network) and AHDRNet's course weights
given the same aligned frames.

``--ckpt LABEL:KEYWORDS:PATH`` adds an ``EfficientHDR("course", KEYWORDS)`` checkpoint (keywords as
``merge_skip=True,merge_prior=(-5,0,-5)``; ``-`` for none); seconds on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import ast
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

from course_lib.layers.align import GlobalShiftAlign  # noqa: E402
from course_lib.models import ALIGN_MAX_SHIFT  # noqa: E402
from mindspore import nn  # noqa: E402

# isort: on

CLIPPED, DARK = 0.95, 0.1


def keywords(text: str) -> dict:
    """``'merge_skip=True,merge_prior=(-5,0,-5)'`` -> dict (``'-'``: none); ValueError on anything else."""
    if text.strip() in ("", "-"):
        return {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
            raise ValueError
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (SyntaxError, ValueError):
        raise ValueError(
            f"keywords {text!r}: write them as name=value,name=value (Python literals)"
        ) from None


class _Aligned(nn.Cell):
    """``net(x1, x2, x3)`` with the short and long frames first moved onto the medium one (Ward's shift)."""

    def __init__(self, net, max_shift: int = ALIGN_MAX_SHIFT):
        super().__init__(auto_prefix=False)
        self.net, self.align = net, GlobalShiftAlign(max_shift)

    def construct(self, x1, x2, x3):
        return self.net(self.align(x1, x2), x2, self.align(x3, x2))


def parse_ckpts(parser, items) -> list:
    """``--ckpt LABEL:KEYWORDS:PATH`` items -> ``[(label, keywords dict, path)]``; a bad one ends the script
    through ``parser.error`` (one line, exit 2)."""
    ckpts = []
    for item in items:
        if item.count(":") < 2 or not Path(item.split(":", 2)[2]).is_file():
            parser.error(f"--ckpt {item!r}: give LABEL:KEYWORDS:PATH with an existing checkpoint file")
        label, kw, path = item.split(":", 2)
        try:
            ckpts.append((label, keywords(kw), path))
        except ValueError as err:
            parser.error(f"--ckpt {item!r}: {err}")
    return ckpts


def restorers(ckpts) -> dict:

    from course_lib import quality, weights
    from course_lib.models import get_method
    from course_lib.models.hdr import EfficientHDR
    from course_lib.models.hdr_bracket import BracketInput

    out = {name: quality.hdr_baseline(name) for name in ("medium frame", "exposure fusion")}
    merge = BracketInput(EfficientHDR("course", merge_skip=True))  # untrained: the classical merge exactly
    out["radiance merge (Debevec, untrained merge start)"] = quality.restorer("efficient_hdr", merge)
    aligned = get_method("efficient_hdr").build()  # untrained: Ward's shift, then the merge
    out["aligned radiance merge (the untrained course network)"] = quality.restorer("efficient_hdr", aligned)
    for name in ("efficient_hdr", "efficient_hdr_teacher", "ahdrnet"):
        net = get_method(name).build()
        weights.load_into(net, name)
        out[f"{name} (course weights)"] = quality.restorer(name, net)
    # the same alignment in front of AHDRNet: what the course network's alignment would give the baseline
    out["ahdrnet (course weights) on aligned frames"] = quality.restorer("ahdrnet", BracketInput(_Aligned(net.net)))
    for label, kw, path in ckpts:
        net = BracketInput(EfficientHDR("course", **kw))
        weights.load_file_into(
            net, path, f"{path} (EfficientHDR('course', {kw}); give the keywords it was trained with)"
        )
        out[label] = quality.restorer("efficient_hdr", net)
    return out


def region_scores(restore) -> dict:
    from course_lib.data import hdr, heldout
    from course_lib.metrics import mu_law

    def db(err, mask):
        return round(float(10 * np.log10(1.0 / err[mask].mean())), 2) if mask.any() else None

    rows, peak = {}, 0.0
    for name, frames, target in heldout.hdr_brackets():
        medium = hdr.frames_of(frames)[1].max(axis=-1)
        out = np.clip(restore(frames), 0.0, 1.0)
        err = (mu_law(out) - mu_law(target)) ** 2
        clipped, dark = medium > CLIPPED, medium < DARK
        rows[name] = {"all": db(err, np.ones_like(clipped)), "clipped": db(err, clipped), "dark": db(err, dark),
                      "rest": db(err, ~clipped & ~dark)}  # fmt: skip
        bright = target.max(axis=-1) > 0.3
        peak = max(peak, float(out.max(axis=-1)[bright].max()) if bright.any() else 0.0)
    return {"brackets": rows, "largest output where the target > 0.3": round(peak, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", action="append", default=[], metavar="LABEL:KEYWORDS:PATH",
                        help='also score an EfficientHDR("course", KEYWORDS) checkpoint, e.g. '
                        '"merge start:merge_skip=True:runs/try/out/efficient_hdr.ckpt" ("-" for no keywords)')  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    ckpts = parse_ckpts(parser, args.ckpt)
    results = {}
    try:
        scored = restorers(ckpts)
    except (
        TypeError,
        ValueError,
    ) as err:  # keywords EfficientHDR does not take, a checkpoint that does not fit
        print(f"error: {err}", file=sys.stderr)
        return 2
    for label, restore in scored.items():
        results[label] = region_scores(restore)
        print(label, flush=True)
        for bracket, r in results[label]["brackets"].items():
            cells = "  ".join(f"{k} {v:6.2f}" if v is not None else f"{k}    n/a" for k, v in r.items())
            print(f"    {bracket:22s} {cells}")
        print(
            f"    largest output where the target > 0.3: {results[label]['largest output where the target > 0.3']}"
        )
    if args.json:
        import datetime

        sys.path.insert(0, str(REPO / "data_scripts"))
        from train_course_weights import machine

        meta = {"script": shlex.join(["python", "benchmarks/hdr_regions.py", *(sys.argv[1:] if argv is None else argv)]),
                "date": datetime.date.today().isoformat(), "machine": machine(),
                "regions": f"medium frame's largest channel > {CLIPPED} (clipped), < {DARK} (dark), the rest"}  # fmt: skip
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
