"""Classical baselines: DCP on an image hazed with known t and A, its parts against loops, gamma,
histogram equalisation, bicubic against PIL."""

import numpy as np
import pytest
from skimage import color, data, transform

from course_lib.baselines import (
    bicubic,
    dark_channel,
    dark_channel_prior,
    gamma_correction,
    guided_filter,
    histogram_equalization,
)

AIRLIGHT = np.array([0.85, 0.88, 0.92])


def psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((np.asarray(a, np.float64) - b) ** 2))


@pytest.fixture(scope="module")
def hazy_scene():
    """Astronaut photo at 96x96 hazed by I = J t + A (1 - t), depth growing towards the top (t 0.05-0.74)."""
    clean = transform.resize(data.astronaut(), (96, 96), anti_aliasing=True)
    depth = np.linspace(3.0, 0.3, 96)[:, None] * np.ones((1, 96))
    t = np.exp(-depth)
    hazy = clean * t[..., None] + AIRLIGHT * (1 - t[..., None])
    return clean, hazy, t


def test_dcp_recovers_airlight_transmission_and_scene(hazy_scene):
    clean, hazy, t = hazy_scene
    restored, parts = dark_channel_prior(hazy, return_parts=True)
    assert restored.shape == hazy.shape and restored.dtype == np.float32
    assert 0 <= restored.min() and restored.max() <= 1
    np.testing.assert_allclose(parts["A"], AIRLIGHT, atol=0.03)  # measured 0.006
    assert np.corrcoef(parts["t"].ravel(), t.ravel())[0, 1] > 0.85  # measured 0.92
    gain = psnr(restored, clean) - psnr(hazy, clean)
    assert gain > 4.0, f"DCP raised PSNR by only {gain:.2f} dB"  # measured 8.6 -> 14.1 dB


def test_dark_channel_matches_loops():
    img = np.random.default_rng(0).random((7, 9, 3))
    patch = 3
    expected = np.empty((7, 9))
    for r in range(7):
        for c in range(9):  # window clipped at the borders (= edge replication for a min filter)
            window = img[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2]
            expected[r, c] = window.min()
    np.testing.assert_allclose(dark_channel(img, patch), expected)


def test_guided_filter_keeps_edges_of_its_own_guide_and_averages_flat_guides():
    rng = np.random.default_rng(1)
    step = np.zeros((20, 20))
    step[:, 10:] = 1.0
    np.testing.assert_allclose(guided_filter(step, step, radius=3, eps=1e-8), step, atol=1e-4)
    src = rng.random((20, 20))
    flat = np.full((20, 20), 0.5)  # var(I) = 0: a = 0, b = mean(p), q = mean of mean(p)
    from scipy import ndimage

    box = lambda z: ndimage.uniform_filter(z, size=7, mode="reflect")
    np.testing.assert_allclose(guided_filter(flat, src, radius=3, eps=1e-3), box(box(src)), atol=1e-10)


def test_gamma_correction():
    img = np.array([[[0.25, 0.0, 1.0]]])
    np.testing.assert_allclose(gamma_correction(img, 0.5), [[[0.5, 0.0, 1.0]]])
    with pytest.raises(ValueError, match="gamma must be > 0"):
        gamma_correction(img, 0)


@pytest.mark.parametrize("channel", ["v", "y"])
def test_histogram_equalization_stretches_brightness_and_keeps_colour(channel):
    img = transform.resize(data.coffee(), (64, 64), anti_aliasing=True) * 0.3 + 0.1  # dull, low contrast
    out = histogram_equalization(img, channel)
    assert out.shape == img.shape and 0 <= out.min() and out.max() <= 1
    brightness = (lambda z: color.rgb2hsv(z)[..., 2]) if channel == "v" else (lambda z: color.rgb2gray(z))
    assert np.ptp(brightness(out)) > 0.8 > np.ptp(brightness(img))
    assert abs(np.median(brightness(out)) - 0.5) < 0.1  # equalised: median near mid-grey
    if channel == "v":
        hsv_in, hsv_out = color.rgb2hsv(img), color.rgb2hsv(out)
        coloured = (hsv_in[..., 1] > 0.2) & (hsv_out[..., 2] > 0.1)
        hue_diff = np.abs(hsv_in[..., 0] - hsv_out[..., 0])[coloured]
        assert np.median(np.minimum(hue_diff, 1 - hue_diff)) < 0.01


def test_bicubic_matches_pil_inside_the_border():
    from PIL import Image

    img = (np.random.default_rng(2).random((10, 12, 3)) * 0.5 + 0.25).astype(np.float32)
    up = bicubic(img, 3, quantize=False)
    ref = np.stack(
        [
            np.asarray(Image.fromarray(img[..., c], mode="F").resize((36, 30), Image.BICUBIC))
            for c in range(3)
        ],
        -1,
    )
    assert up.shape == (30, 36, 3) and bicubic(img, 3).shape == (30, 36, 3)
    # PIL and MATLAB differ only in border handling; inside, both are Keys' cubic with a = -0.5.
    np.testing.assert_allclose(up[6:-6, 6:-6], ref[6:-6, 6:-6], atol=1e-5)
