"""No-reference measures against NumPy written from their definitions and known signals."""

import numpy as np
import pytest

from course_lib import no_reference as nr


def test_checkerboard_energy_sits_in_the_top_band_and_a_blur_has_less():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 64.0
    smooth = 0.5 + 0.2 * np.sin(2 * np.pi * 3 * xx) * np.cos(2 * np.pi * 2 * yy)
    base = np.repeat(smooth[..., None], 3, axis=2) + rng.normal(0, 0.01, (64, 64, 3))  # mild sensor noise
    checker = (np.indices((64, 64)).sum(axis=0) % 2)[..., None] * 0.1  # Nyquist in both axes
    assert nr.high_frequency_ratio(np.clip(base + checker, 0, 1), base) > 4
    blurred = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4
    assert nr.high_frequency_ratio(blurred, base) < 0.2
    assert nr.high_frequency_ratio(base, base) == pytest.approx(1.0)


def test_high_frequency_energy_matches_a_direct_dft():
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 1, (12, 10, 3))
    y = img @ np.array([0.299, 0.587, 0.114])
    y = (y - y.mean()) * np.outer(np.hanning(12), np.hanning(10))
    total, count = 0.0, 0
    for u in range(12):
        for v in range(10):
            fu, fv = (u if u < 6 else u - 12) / 6, (v if v < 5 else v - 10) / 5
            if max(abs(fu), abs(fv)) > 0.75:
                m, n = np.meshgrid(np.arange(12), np.arange(10), indexing="ij")
                total += abs((y * np.exp(-2j * np.pi * (u * m / 12 + v * n / 10))).sum()) ** 2
                count += 1
    assert nr.high_frequency_energy(img, band=0.75) == pytest.approx(total / count, rel=1e-9)


def test_colour_ratio_and_brightness():
    img = np.zeros((4, 4, 3))
    img[..., 0], img[..., 1], img[..., 2] = 0.5, 0.2, 0.25
    assert nr.blue_red_ratio(img) == pytest.approx(0.5)
    assert nr.mean_brightness(img) == pytest.approx((0.5 + 0.2 + 0.25) / 3)


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.full((4, 4, 3), np.nan)])
def test_bad_images_are_named(bad):
    with pytest.raises(ValueError, match="img"):
        nr.blue_red_ratio(bad)


def _textured(seed=0, size=64):
    rng = np.random.default_rng(seed)
    return np.repeat(rng.uniform(0.3, 0.7, (size, size))[..., None], 3, axis=2)  # energy at every frequency


def test_a_contrast_gain_raises_every_band_alike_and_a_checkerboard_only_the_top():
    hazy = _textured()
    dehazed = 2.5 * (hazy - 0.5) + 0.5  # what recovering J = (I - A) / t + A with a constant t does
    assert nr.high_frequency_ratio(dehazed, hazy) == pytest.approx(2.5**2)
    assert nr.excess_high_frequency_gain(dehazed, hazy) == pytest.approx(1.0)
    checker = (np.indices((64, 64)).sum(axis=0) % 2)[..., None] * 0.2
    assert nr.excess_high_frequency_gain(hazy + checker, hazy) > 5
    blurred = (hazy + np.roll(hazy, 1, 0) + np.roll(hazy, 1, 1) + np.roll(hazy, (1, 1), (0, 1))) / 4
    assert nr.excess_high_frequency_gain(blurred, hazy) < 0.2


def test_band_energy_finds_a_sinusoid_in_its_band():
    xx = np.mgrid[0:64, 0:64][1] / 64.0
    wave = np.repeat((0.5 + 0.3 * np.sin(2 * np.pi * 12 * xx))[..., None], 3, axis=2)  # 12/32 = 0.375 Nyquist
    assert nr.band_energy(wave, 0.25, 0.5) > 1e3 * nr.band_energy(wave, 0.5, 1.0)
    with pytest.raises(ValueError, match="Nyquist"):
        nr.band_energy(wave, 0.5, 0.25)
