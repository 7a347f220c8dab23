"""The course's super-resolution weights on a published benchmark: Set5 x2 (and Set14 where present).

    python benchmarks/sr_set5.py [--data DIR] [--json results.json] [--ckpt LABEL:METHOD:PATH ...]

The published protocol (SRCNN, Dong et al. 2016; every later table): mod-crop the HR photo to the scale,
MATLAB-style bicubic downscale (``course_lib.data.degrade``), restore, PSNR on the Y channel (BT.601) with
``scale`` border pixels shaved; grey photos are scored on their grey values. ``DIR`` holds ``set5/HR/*.png``
(and optionally ``set14/HR/*.png``); default ``../shared/reference_data`` (not shipped: the sets' licences).
Published references: bicubic 33.66 dB on Set5 (SRCNN's Table 3), FSRCNN 37.00 (Dong et al. 2016, 12k
parameters), EDSR-baseline 37.99 (Lim et al. 2017). Prints a Markdown table.

``--ckpt LABEL:METHOD:PATH`` adds a run that was not installed: ``METHOD`` (espcn, edsr or csd) built by the
registry and loaded from ``PATH``; a slimmable network gets a row at width 1 and one at width 0.25, e.g.
``--ckpt "csd run:csd:runs/csd-next/out/csd.ckpt"``. A training checkpoint (``step_*.ckpt``) of a run that kept a
moving average of its weights (recipe key ``ema``) is scored on that average, as the recipe ships it
(:func:`course_lib.weights.read_checkpoint`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

SCALE = 2
# (label, method, keyword arguments of the network's call)
NETWORKS = [("espcn", "espcn", {}), ("edsr", "edsr", {}), ("csd, width 1", "csd", {}),
            ("csd, width 0.25", "csd", {"width_mult": 0.25})]  # fmt: skip


SR_METHODS = ("espcn", "edsr", "csd")


def parse_ckpts(parser, items) -> list:
    """``--ckpt LABEL:METHOD:PATH`` items -> ``[(label, method, path)]``; a bad one ends the script through
    ``parser.error`` (one line, exit 2)."""
    ckpts = []
    for item in items:
        parts = item.split(":", 2)
        if len(parts) < 3 or parts[1] not in SR_METHODS or not Path(parts[2]).is_file():
            parser.error(f"--ckpt {item!r}: give LABEL:METHOD:PATH with METHOD one of {', '.join(SR_METHODS)} "
                         "and an existing checkpoint file")
        ckpts.append(tuple(parts))
    return ckpts


def networks(ckpts=()) -> list:
    """``[(label, method, net, keyword arguments of its call)]``: the course weights, then the ``ckpts``."""
    from course_lib import weights
    from course_lib.models import get_method

    out = [(label, method, weights.load(method), kw) for label, method, kw in NETWORKS]
    for label, method, path in ckpts:
        net = weights.load_file_into(get_method(method).build(), path, f"{path} ({method})")
        if method == "espcn":
            out.append((label, method, net, {}))
        else:
            out += [(f"{label}, width 1", method, net, {}), (f"{label}, width 0.25", method, net, {"width_mult": 0.25})]
    return out


def benchmark(folder: Path, ckpts=()) -> dict:
    """``{row: {set: mean PSNR}}`` for bicubic and each network (the course weights, then ``ckpts``
    ``(label, method, path)``) over the sets found in ``folder``."""
    from course_lib import metrics, quality
    from course_lib.data import load_image
    from course_lib.data.degrade import bicubic_downscale, bicubic_upscale, modcrop

    sets = {name: sorted((folder / name.lower() / "HR").glob("*.png")) for name in ("Set5", "Set14")}
    sets = {name: files for name, files in sets.items() if files}
    if "Set5" not in sets:
        raise FileNotFoundError(f"no Set5 photos in {folder / 'set5' / 'HR'}; pass --data DIR holding set5/HR/")
    restorers = {"bicubic": lambda lr: bicubic_upscale(lr, SCALE)}
    for label, method, net, kwargs in networks(ckpts):
        restorers[label] = quality.restorer(method, net, **kwargs)
    rows = {label: {} for label in restorers}
    for name, files in sets.items():
        pairs = []
        for f in files:
            hr = modcrop(load_image(f), SCALE)
            pairs.append((hr, bicubic_downscale(hr, SCALE)))
        for label, restore in restorers.items():
            values = [metrics.psnr(np.clip(restore(lr), 0, 1), hr, crop_border=SCALE, y_channel=True)
                      for hr, lr in pairs]  # fmt: skip
            rows[label][name] = round(float(np.mean(values)), 2)
    return rows


def parameter_counts(ckpts=()) -> dict:
    """``{row: parameters the network uses}``: at its width for the slimmable ones (the 0.25 student's slice)."""
    import numpy as np

    counts = {"bicubic": 0}
    for label, _, net, kwargs in networks(ckpts):
        if hasattr(net, "count_active_params"):
            counts[label] = net.count_active_params(kwargs.get("width_mult", 1.0))
        else:
            counts[label] = int(sum(np.prod(p.shape) for p in net.trainable_params()))
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "reference_data")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--ckpt", action="append", default=[], metavar="LABEL:METHOD:PATH",
                        help="also score a run's checkpoint (METHOD: espcn, edsr or csd)")
    args = parser.parse_args(argv)
    ckpts = parse_ckpts(parser, args.ckpt)
    from course_lib.weights import WeightsError

    try:
        rows = benchmark(args.data, ckpts)
    except (FileNotFoundError, WeightsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    names, counts = list(next(iter(rows.values()))), parameter_counts(ckpts)
    print(f"| x{SCALE}, Y, {SCALE} px shaved | parameters | " + " | ".join(f"{n} (dB)" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for label, by_set in rows.items():
        print(f"| {label} | {counts[label]:,} | " + " | ".join(f"{by_set[n]:.2f}" for n in names) + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
