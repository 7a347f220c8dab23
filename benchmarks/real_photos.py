"""Course weights on real photos without ground truth: NTIRE 2021 NH-HAZE (dehazing) and DICM (low light).

    python benchmarks/real_photos.py [--data DIR] [--json docs/real_photos.json] [--figure docs/real_photos.png]

Dehazing (``DIR/real_haze/*.png``): each dehazer's energy in the highest spatial frequencies over the hazy
input's (:func:`course_lib.no_reference.high_frequency_ratio`), the same gain over the middle frequencies' gain
(:func:`course_lib.no_reference.excess_high_frequency_gain`: about 1 for a dehazer that restores contrast at
every scale, well above 1 for a checkerboard or amplified noise, below 1 for a blur) and the mean brightness. Low light (``DIR/real_lowlight/*.png``): mean brightness
and mean blue/red ratio of the input, the course weights, the classical gamma 0.5 and, when
``DIR/zerodce/*_official/Epoch99.pth`` are there, the official weights. Prints Markdown tables.
``DIR`` defaults to ``../shared/reference_data`` (not shipped: the photos' licences forbid it).

Real fog: the same dehazing numbers on notebook 08's foggy lake (*ColdRipple*, KDE Plasma wallpapers, at 320 px
and cropped to multiples of 32 as the notebook shows it) when ``data_scripts/get_photos.py`` has downloaded it;
its smooth fog shows streaks or amplified noise that the NH-HAZE smoke hides.

``--ckpt LABEL:KEYWORDS:PATH`` adds a dehazing try: an AECR-Net with the paper's head,
``aecrnet_tiny(KEYWORDS)`` (keywords as ``num_feat=32``; ``-`` for none), loaded from ``PATH``, e.g.
``--ckpt "aecrnet F=32:num_feat=32:runs/try-aecrnet-f32/out/aecrnet.ckpt"``; with the keyword
``method='srktdn'`` (any registered dehazer) the registry's network of that method instead, e.g.
``--ckpt "srktdn EMA:method='srktdn':runs/srk-ema/srktdn.ckpt"``; for ``ktdn`` also ``planes=(58, 18, 24)``
(:func:`course_lib.models.srktdn.ktdn`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

DEHAZERS = ("aecrnet", "ktdn", "srktdn", "aecrnet_dcp", "ktdn_dcp", "srktdn_dcp")  # those with course weights
LOW_LIGHT = ("zero_dce", "zero_dce_pp")
MIDDLE = (0.25, 0.5)  # the middle frequencies, fractions of Nyquist (excess_high_frequency_gain's default)
FOG = ("ColdRipple", 320, 32)  # notebook 08's real fog: photo, longer side, crop multiple


def real_fog():
    """Notebook 08's real fog as ``[image]``, or ``[]`` when the Debian photos are not downloaded."""
    from course_lib.data import real_photo

    name, side, multiple = FOG
    try:
        fog = real_photo(name, side)
    except FileNotFoundError as err:
        print(f"note: no real-fog row: {err}", file=sys.stderr)
        return []
    return [fog[: fog.shape[0] // multiple * multiple, : fog.shape[1] // multiple * multiple]]


def photos(folder: Path, multiple: int = 1):
    from course_lib.data import load_image

    files = sorted(folder.glob("*.png"))
    if not files:
        raise FileNotFoundError(f"no .png photos in {folder}; pass --data DIR holding real_haze/ and real_lowlight/")
    imgs = [load_image(f) for f in files]
    return [f.stem for f in files], [a[: a.shape[0] // multiple * multiple, : a.shape[1] // multiple * multiple]
                                     for a in imgs]  # fmt: skip


def course_restorers(methods):
    from course_lib import quality, weights

    return {m: quality.restorer(m, weights.load(m)) for m in methods if m in weights.available()}


def try_restorers(ckpts) -> dict:
    """``{label: restorer}`` of dehazing tries ``(label, keywords, path)``: ``aecrnet_tiny(**keywords)``, or the
    registry's network of ``keywords['method']``; WeightsError when one does not fit."""
    from course_lib import quality, weights
    from course_lib.models import get_method
    from course_lib.models.aecrnet import aecrnet_tiny

    out = {}
    for label, kw, path in ckpts:
        kw = dict(kw)
        method = kw.pop("method", "aecrnet")
        if method not in DEHAZERS:
            raise ValueError(f"--ckpt {label}: method={method!r} is not a dehazer; choose from {', '.join(DEHAZERS)}")
        if method not in ("aecrnet", "ktdn") and kw:
            raise ValueError(f"--ckpt {label}: keywords {kw} apply to aecrnet and ktdn only; give method= alone")
        if method == "ktdn" and kw:  # a try at another width, e.g. planes=(58, 18, 24)
            from course_lib.models.srktdn import ktdn

            net = ktdn("compact", **kw)
        else:
            net = aecrnet_tiny(**kw) if method == "aecrnet" else get_method(method).build()
        net = weights.load_file_into(net, path, f"{path} ({method} {kw or ''})".strip())
        net.set_train(False)
        out[label] = quality.restorer(method, net)
    return out


def dehazing_rows(hazy, ckpts=()):
    from course_lib import baselines
    from course_lib.no_reference import (
        band_energy,
        excess_high_frequency_gain,
        high_frequency_ratio,
        mean_brightness,
    )

    methods = {"input": lambda x: x, "dark channel prior": baselines.dark_channel_prior,
               **course_restorers(DEHAZERS), **try_restorers(ckpts)}  # fmt: skip
    rows, outputs = {}, {}
    for name, fn in methods.items():
        outs = [np.clip(fn(x), 0, 1) for x in hazy]
        outputs[name] = outs
        ratios = [high_frequency_ratio(o, x) for o, x in zip(outs, hazy)]
        excess = [excess_high_frequency_gain(o, x) if name != "input" else 1.0 for o, x in zip(outs, hazy)]
        middle = [band_energy(o, *MIDDLE) / band_energy(x, *MIDDLE) for o, x in zip(outs, hazy)]
        rows[name] = {"hf_ratio_max": round(max(ratios), 3), "hf_ratio_mean": round(float(np.mean(ratios)), 3),
                      "hf_excess_max": round(max(excess), 3), "middle_gain_mean": round(float(np.mean(middle)), 3),
                      "brightness": round(float(np.mean([mean_brightness(o) for o in outs])), 4)}  # fmt: skip
    return rows, outputs


def low_light_rows(dark, official: Path):
    from course_lib import baselines
    from course_lib.no_reference import blue_red_ratio, mean_brightness

    methods = {"input": lambda x: x, "gamma 0.5": lambda x: baselines.gamma_correction(x, 0.5)}
    methods.update({f"{m} (course)": r for m, r in course_restorers(LOW_LIGHT).items()})
    for m in LOW_LIGHT:
        pth = official / f"{m}_official" / "Epoch99.pth"
        if pth.is_file():
            from course_lib import quality
            from course_lib.models.zero_dce import load_official

            net = load_official(pth, scale_factor=12 if m == "zero_dce_pp" else 1)
            methods[f"{m} (official)"] = quality.restorer(m, net)
    rows, outputs = {}, {}
    for name, fn in methods.items():
        outs = [np.clip(fn(x), 0, 1) for x in dark]
        outputs[name] = outs
        rows[name] = {"brightness": round(float(np.mean([mean_brightness(o) for o in outs])), 4),
                      "blue_red": round(float(np.mean([blue_red_ratio(o) for o in outs])), 4)}  # fmt: skip
    return rows, outputs


def figure(path: Path, haze_out, low_out, fog_out=None) -> None:
    """The first photo of each set through every method, titled by method (real fog: titled as such)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(k, v[0]) for k, v in haze_out.items()]
    rows += [(f"{k} (real fog)", v[0]) for k, v in (fog_out or {}).items()]
    rows += [(k, v[0]) for k, v in low_out.items()]
    cols = 4
    fig, axes = plt.subplots((len(rows) + cols - 1) // cols, cols, figsize=(4 * cols, 3.2 * ((len(rows) + 3) // 4)))
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, img) in zip(axes.flat, rows):
        ax.imshow(img)
        ax.set_title(name, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "reference_data")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--figure", type=Path, default=None,
                        help="also draw the first photo of each set (and the real fog) here")
    parser.add_argument("--ckpt", action="append", default=[], metavar="LABEL:KEYWORDS:PATH",
                        help='also score an AECR-Net try, aecrnet_tiny(KEYWORDS), e.g. '
                        '"aecrnet F=32:num_feat=32:runs/try/out/aecrnet.ckpt" ("-" for no keywords), or with '
                        "KEYWORDS method='srktdn' another dehazer's network")  # fmt: skip
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "benchmarks"))
    from hdr_regions import parse_ckpts  # the same LABEL:KEYWORDS:PATH parsing

    ckpts = parse_ckpts(parser, args.ckpt)
    try:
        _, hazy = photos(args.data / "real_haze", multiple=4)
        _, dark = photos(args.data / "real_lowlight", multiple=12)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from course_lib.weights import WeightsError

    try:
        haze_rows, haze_out = dehazing_rows(hazy, ckpts)
    except (TypeError, ValueError, WeightsError) as err:  # keywords or a method that do not fit, a checkpoint too
        print(f"error: {err}", file=sys.stderr)
        return 2
    fog = real_fog()
    fog_rows, fog_out = dehazing_rows(fog, ckpts) if fog else ({}, {})
    low_rows, low_out = low_light_rows(dark, args.data / "zerodce")
    for title, rows in (("NH-HAZE, 3 photos", haze_rows), (f"real fog, {FOG[0]}", fog_rows)):
        if not rows:
            continue
        print(f"| dehazer ({title}) | top-band energy / input's, max | mean | middle-band gain, mean "
              "| top-band gain / middle gain, max | brightness |\n|---|---|---|---|---|---|")
        for k, v in rows.items():
            print(f"| {k} | {v['hf_ratio_max']:.2f} | {v['hf_ratio_mean']:.2f} | {v['middle_gain_mean']:.2f} "
                  f"| {v['hf_excess_max']:.2f} | {v['brightness']:.3f} |")
        print()
    print("| low light (DICM, 4 photos) | brightness | blue / red |\n|---|---|---|")
    for k, v in low_rows.items():
        print(f"| {k} | {v['brightness']:.3f} | {v['blue_red']:.3f} |")
    if args.json:
        command = "python benchmarks/real_photos.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        numbers = {"command": command, "real_haze": haze_rows, "real_fog": fog_rows, "real_lowlight": low_rows}
        args.json.write_text(json.dumps(numbers, indent=1) + "\n")
    if args.figure:
        figure(args.figure, haze_out, low_out, fog_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
