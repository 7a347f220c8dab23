"""Where a dehazer's faint periodic pattern comes from: flat inputs, and its peaks in the real photos' spectrum.

    python benchmarks/dehazer_pattern.py [--method srktdn] [--ckpt LABEL:PATH ...] [--data DIR]

For the course weights of ``--method`` (and each ``--ckpt``, a file of the same network: a recipe's output or a
training checkpoint, scored on its average of the weights where it kept one):

* **flat inputs**: the output for a uniform grey image (0.5 and 0.8) has no detail to restore, so any
  alternation between neighbouring pixels is the network's own. Printed: the mean of the three Haar detail
  coefficients of its 2x2 blocks (rows, columns, diagonal alternate) on the luma, in grey levels of 255, away
  from the border.
* **real haze** (``DIR/real_haze/*.png``, default ``../shared/reference_data``, not shipped): the three strongest
  bins of the output's top band (frequencies above 0.98 x Nyquist, as :mod:`course_lib.no_reference`), as
  (vertical, horizontal) frequency in units of Nyquist, and their power over the input's at the same bins.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

from real_photos import photos  # noqa: E402

LUMA = np.array([0.299, 0.587, 0.114])


def alternation(img: np.ndarray, border: int = 16) -> tuple:
    """Mean (rows, columns, diagonal) Haar detail coefficient of the luma's 2x2 blocks, in grey levels of 255."""
    y = (img @ LUMA)[border:-border, border:-border]
    a, b, c, d = y[0::2, 0::2], y[0::2, 1::2], y[1::2, 0::2], y[1::2, 1::2]
    return tuple(255 * float(np.mean(x)) / 4 for x in (a + b - c - d, a - b + c - d, a - b - c + d))


def spectrum(img: np.ndarray):
    """The windowed luma's power spectrum and the frequencies of its bins in units of Nyquist (as no_reference)."""
    y = img @ LUMA
    y = (y - y.mean()) * np.outer(np.hanning(y.shape[0]), np.hanning(y.shape[1]))
    fy = np.broadcast_to(np.fft.fftfreq(y.shape[0])[:, None] / 0.5, y.shape)
    fx = np.broadcast_to(np.fft.fftfreq(y.shape[1])[None, :] / 0.5, y.shape)
    return np.abs(np.fft.fft2(y)) ** 2, fy, fx


def top_peaks(out: np.ndarray, ref: np.ndarray, count: int = 3, band: float = 0.98):
    """``count`` strongest top-band bins of ``out``: [(fy, fx, power over ref's power there)]."""
    power, fy, fx = spectrum(out)
    ref_power = spectrum(ref)[0]
    top = np.flatnonzero((np.maximum(np.abs(fy), np.abs(fx)) > band).ravel())
    best = top[np.argsort(power.ravel()[top])[::-1]]
    peaks, seen = [], set()
    for i in best:
        f = (round(float(fy.flat[i]), 2), round(float(fx.flat[i]), 2))
        # a real image's spectrum is symmetric (f and -f), and at Nyquist +1 and -1 are one frequency
        twin = tuple(v if abs(v) == 1 else -v for v in f)
        key = min(tuple(abs(v) if abs(v) == 1 else v for v in g) for g in (f, twin))
        if key in seen:
            continue
        seen.add(key)
        peaks.append((*f, float(power.flat[i] / max(ref_power.flat[i], 1e-30))))
        if len(peaks) == count:
            break
    return peaks


def main(argv=None) -> int:
    from course_lib import quality, weights
    from course_lib.models import get_method

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="srktdn", help="a dehazer with course weights (default srktdn)")
    parser.add_argument("--ckpt", action="append", default=[], metavar="LABEL:PATH")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "reference_data")
    args = parser.parse_args(argv)
    nets = {f"{args.method} (course weights)": weights.load(args.method)}
    for text in args.ckpt:
        label, sep, path = text.partition(":")
        if not sep:
            print(f"error: --ckpt {text!r}: give LABEL:PATH", file=sys.stderr)
            return 2
        nets[label] = weights.load_file_into(get_method(args.method).build(), path, label)
    try:
        names, hazy = photos(args.data / "real_haze", multiple=4)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for label, net in nets.items():
        net.set_train(False)
        restore = quality.restorer(args.method, net)
        print(f"{label}")
        for grey in (0.5, 0.8):
            rows, cols, diag = alternation(np.asarray(restore(np.full((160, 160, 3), grey, np.float32))))
            print(f"  flat grey {grey}: alternation rows {rows:+.3f}, columns {cols:+.3f}, diagonal {diag:+.3f} grey levels")
        for name, x in zip(names, hazy):
            out = np.clip(np.asarray(restore(x)), 0, 1)
            peaks = ", ".join(f"({fy:+.2f}, {fx:+.2f}) x{gain:.1f}" for fy, fx, gain in top_peaks(out, x))
            print(f"  {name}: top-band peaks (fy, fx) x Nyquist, power over the input's: {peaks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
