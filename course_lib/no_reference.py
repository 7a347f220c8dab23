"""Measures for photos without a ground truth: real hazy and low-light photos.

* :func:`high_frequency_ratio`: the output's energy in the highest spatial frequencies over the input's. A
  checkerboard (stride-2 transposed or sub-pixel convolutions) or amplified noise raises it well above 1; a
  blur lowers it. Band: frequencies above ``band`` x Nyquist in either axis (default 0.98: the outermost 2 %,
  where a stride-2 checkerboard sits exactly and where a photo holds little but noise), on the luma.
* :func:`blue_red_ratio`: mean blue over mean red; a colour cast moves it away from the input's.
* :func:`mean_brightness`: mean of all pixels, in [0, 1].

Images are ``(H, W, 3)`` float arrays in [0, 1] (sRGB), as :func:`course_lib.data.load_image` returns them.
"""

from __future__ import annotations

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)  # ITU-R BT.601


def _rgb(img, name: str) -> np.ndarray:
    a = np.asarray(img, dtype=np.float64)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"{name} must be an (H, W, 3) RGB image, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return a


def high_frequency_energy(img, band: float = 0.98) -> float:
    """Mean power of the luma's spectrum at frequencies above ``band`` x Nyquist in either axis.

    The luma's mean is removed and a Hann window applied first, so the image's borders add no energy.
    ``img``: (H, W, 3) in [0, 1]; ``band`` in (0, 1).
    """
    if not 0 < band < 1:
        raise ValueError(f"band must be in (0, 1), got {band}")
    return band_energy(img, band, 1.0)


def band_energy(img, low: float, high: float) -> float:
    """Mean power of the luma's spectrum at frequencies in (``low``, ``high``] x Nyquist (the larger of the
    two axes' frequencies), after removing the mean and applying a Hann window. ``0 <= low < high <= 1``."""
    if not 0 <= low < high <= 1:
        raise ValueError(f"need 0 <= low < high <= 1 (fractions of Nyquist), got {low}, {high}")
    y = _rgb(img, "img") @ LUMA
    y = (y - y.mean()) * np.outer(np.hanning(y.shape[0]), np.hanning(y.shape[1]))
    power = np.abs(np.fft.fft2(y)) ** 2
    fy = np.fft.fftfreq(y.shape[0])[:, None] / 0.5  # in units of Nyquist
    fx = np.fft.fftfreq(y.shape[1])[None, :] / 0.5
    f = np.maximum(np.abs(fy), np.abs(fx))
    return float(power[(f > low) & (f <= high)].mean())


def excess_high_frequency_gain(output, reference, band: float = 0.98, middle=(0.25, 0.5)) -> float:
    """How much more the top band gained than the middle frequencies did, from ``reference`` to ``output``:
    :func:`high_frequency_ratio` over the same ratio in the ``middle`` band (fractions of Nyquist).

    Dehazing multiplies the contrast of every scale by about 1/t, so a faithful dehazer raises both bands
    alike (about 1; on the course's held-out haze the ground truth over the hazy photo gives 0.75-1.03). A
    checkerboard or amplified noise raises the top band alone (well above 1); a blur lowers it.
    """
    out, ref = _rgb(output, "output"), _rgb(reference, "reference")
    if out.shape != ref.shape:
        raise ValueError(f"output {out.shape} and reference {ref.shape} must have the same shape")
    middle_gain = band_energy(out, *middle) / max(band_energy(ref, *middle), 1e-30)
    return high_frequency_ratio(out, ref, band) / max(middle_gain, 1e-30)


def high_frequency_ratio(output, reference, band: float = 0.98) -> float:
    """:func:`high_frequency_energy` of ``output`` over that of ``reference`` (e.g. the hazy input)."""
    out, ref = _rgb(output, "output"), _rgb(reference, "reference")
    if out.shape != ref.shape:
        raise ValueError(f"output {out.shape} and reference {ref.shape} must have the same shape")
    return high_frequency_energy(out, band) / max(high_frequency_energy(ref, band), 1e-30)


def blue_red_ratio(img) -> float:
    """Mean of the blue channel over the mean of the red channel."""
    a = _rgb(img, "img")
    return float(a[..., 2].mean() / max(a[..., 0].mean(), 1e-12))


def mean_brightness(img) -> float:
    """Mean over all pixels and channels, in the image's units ([0, 1])."""
    return float(_rgb(img, "img").mean())
