"""Degradation models against their formulas written out in NumPy."""

import numpy as np
import pytest

from course_lib.data import degrade


def _img(seed=0, shape=(20, 24, 3)):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def test_haze_is_the_atmospheric_scattering_model():
    clean = _img()
    depth = np.linspace(1, 6, 20 * 24, dtype=np.float32).reshape(20, 24)
    hazy = degrade.haze(clean, depth, beta=0.3, airlight=(0.8, 0.85, 0.9))
    t = np.exp(-0.3 * depth)[..., None]
    expected = clean * t + np.array([0.8, 0.85, 0.9]) * (1 - t)
    np.testing.assert_allclose(hazy, expected, atol=1e-6)
    np.testing.assert_allclose(degrade.haze(clean, depth, 0.0), clean, atol=1e-7)


def test_beta_for_transmission_hits_the_target_mean_on_constant_depth():
    depth = np.full((8, 8), 3.5)
    beta = degrade.beta_for_transmission(depth, 0.4)
    assert degrade.transmission(depth, beta).mean() == pytest.approx(0.4, rel=1e-5)


def test_motorcycle_depth_is_metric_and_complete():
    d = degrade.motorcycle_depth()
    assert d.shape == (500, 741) and np.isfinite(d).all()
    assert 2.0 < d.min() < 2.3 and 4.8 < d.max() < 5.1


def test_depth_prior_grows_towards_the_top():
    d = degrade.depth_prior((10, 4), near=1, far=9)
    assert d.shape == (10, 4) and np.all(np.diff(d[:, 0]) < 0) and d.max() < 9 and d.min() > 1


def test_low_light_without_noise_is_exposure_times_gamma_in_linear_light():
    img = _img(1)
    out = degrade.low_light(img, exposure=0.3, gamma=2.0, shot_noise=0, read_noise=0)
    lin = np.where(img <= 0.04045, img / 12.92, ((img + 0.055) / 1.055) ** 2.4)
    y = 0.3 * lin**2
    expected = np.where(y <= 0.0031308, 12.92 * y, 1.055 * y ** (1 / 2.4) - 0.055)
    np.testing.assert_allclose(out, np.round(expected * 255) / 255, atol=1e-6)
    assert out.mean() < img.mean()


def test_low_light_noise_variance_follows_shot_plus_read():
    flat = np.full((200, 200, 3), 0.5, np.float32)
    clean_linear = 0.5 * degrade.srgb_to_linear(np.float64(0.5))
    noisy = degrade.srgb_to_linear(
        degrade.low_light(flat, exposure=0.5, gamma=1.0, shot_noise=0.01, read_noise=1e-4)
    )
    expected_std = np.sqrt(0.01 * clean_linear + 1e-4)
    assert noisy.std() == pytest.approx(expected_std, rel=0.1)


def _linear_channel_means(img):
    lin = np.where(img <= 0.04045, img / 12.92, ((img + 0.055) / 1.055) ** 2.4)
    return lin.reshape(-1, 3).mean(axis=0)


def test_short_exposure_scales_linear_light_and_keeps_the_colour_ratios():
    warm = np.empty((128, 128, 3), np.float32)
    warm[:] = (0.9, 0.6, 0.45)  # a warm sRGB colour: linear blue / red = 0.22
    before = _linear_channel_means(warm)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        after = _linear_channel_means(degrade.random_short_exposure(warm, rng).astype(np.float64))
        scale = after / before
        assert 0.015 < scale.mean() < 0.21  # exposure 0.02-0.2, give or take noise and 8-bit rounding
        assert after[2] / after[0] == pytest.approx(before[2] / before[0], rel=0.1)
    # the per-channel gamma of random_low_light makes the same colour warmer still (the blue cast's cause)
    gamma = _linear_channel_means(degrade.low_light(warm, 0.25, 2.5, 0, 0).astype(np.float64))
    assert gamma[2] / gamma[0] < 0.5 * before[2] / before[0]


def test_random_exposure_takes_the_dark_model_it_is_given():
    img = _img(3)
    seen = []
    dark = lambda x, rng: seen.append(1) or np.zeros_like(x)  # noqa: E731
    outs = [degrade.random_exposure(img, np.random.default_rng(s), dark=dark) for s in range(40)]
    assert 20 < len(seen) < 40 and sum(o.max() == 0 for o in outs) == len(seen)


def test_exposure_bracket_formula_and_srgb_round_trip():
    lin = degrade.expand_highlights(degrade.srgb_to_linear(_img(2)))
    low, mid, high = degrade.exposure_bracket(lin, (-2, 0, 2))
    expected = np.round(degrade.linear_to_srgb(np.clip(lin * 4, 0, 1)) * 255) / 255
    np.testing.assert_allclose(high, expected, atol=1e-6)
    assert low.mean() < mid.mean() < high.mean()
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(degrade.linear_to_srgb(degrade.srgb_to_linear(x)), x, atol=1e-12)


@pytest.mark.parametrize(
    "shape, message",
    [((8, 8), "grayscale"), ((8, 8, 1), "grayscale"), ((8, 8, 4), "RGBA"), ((3, 8, 8), "channel-first")],
)
def test_wrong_image_layouts_are_refused_with_the_fix(shape, message):
    with pytest.raises(ValueError, match=message):
        degrade.haze(np.zeros(shape, np.float32), np.ones(shape[:2]), 0.5)


def test_depth_of_another_size_is_refused():
    with pytest.raises(ValueError, match="depth has shape"):
        degrade.haze(_img(), np.ones((5, 5)), 0.5)


def test_random_exposure_mixes_dark_and_over_exposed_photos():
    """About a quarter of the draws are over-exposed (brighter than the photo), the rest darker."""
    img = np.full((16, 16, 3), 0.4, np.float32)
    rng = np.random.default_rng(0)
    means = np.array([degrade.random_exposure(img, rng).mean() for _ in range(200)])
    brighter = np.mean(means > 0.4)
    assert 0.15 < brighter < 0.35
    assert means.min() >= 0 and means.max() <= 1 and np.all(means[means <= 0.4] < 0.4)


def _smooth(seed=0, size=64):
    y, x = np.mgrid[0:size, 0:size] / size
    rng = np.random.default_rng(seed)
    return np.stack([0.35 + 0.25 * np.sin(3 * x + c) * y + 0.05 * rng.random() for c in range(3)], -1).astype(np.float32)


def test_jpeg_gives_8_bit_levels_and_loses_more_at_low_quality():
    img = _smooth()
    hi, lo = degrade.jpeg(img, 95), degrade.jpeg(img, 10)
    assert hi.shape == img.shape and hi.dtype == np.float32
    np.testing.assert_allclose(hi * 255, np.round(hi * 255), atol=1e-4)
    err_hi, err_lo = np.abs(hi - img).mean(), np.abs(lo - img).mean()
    assert err_hi < 0.01 and err_lo > 2 * err_hi


def test_camera_haze_brightens_towards_the_airlight_and_adds_noise():
    clean = _smooth()
    for seed in range(12):
        hazy = degrade.camera_haze(clean, np.random.default_rng(seed))
        assert hazy.shape == clean.shape and 0 <= hazy.min() and hazy.max() <= 1
        np.testing.assert_allclose(hazy * 255, np.round(hazy * 255), atol=1e-4)
        # airlight 0.7-1.0 over a scene of about 0.1-0.65: every hazy photo is brighter
        assert hazy.mean() > clean.mean() + 0.05
    # the noise: pixel-to-pixel differences well above the smooth scene's own (sigma drawn in 0-0.02, then JPEG)
    rough = [np.abs(np.diff(degrade.camera_haze(clean, np.random.default_rng(s)), axis=1)).mean() for s in range(12)]
    assert np.max(rough) > 3 * np.abs(np.diff(clean, axis=1)).mean()


def test_noisy_haze_is_the_course_haze_plus_camera_noise():
    clean = _smooth()
    for seed in range(8):
        plain = degrade.random_haze(clean, np.random.default_rng(seed))  # draws the same haze first
        noisy = degrade.noisy_haze(clean, np.random.default_rng(seed))
        assert noisy.shape == clean.shape and 0 <= noisy.min() and noisy.max() <= 1
        np.testing.assert_allclose(noisy * 255, np.round(noisy * 255), atol=1e-4)
        # same clouds and airlight: the mean moves by less than a level or two, the residual is noise + JPEG,
        # at most sigma 0.02 plus 8-bit and block error
        assert abs(noisy.mean() - plain.mean()) < 2 / 255
        assert np.std(noisy - plain) < 0.03
    residual = [np.std(degrade.noisy_haze(clean, np.random.default_rng(s)) - degrade.random_haze(clean, np.random.default_rng(s)))
                for s in range(8)]
    assert max(residual) > 0.005  # noise was added (sigma up to 0.02)


def test_sometimes_noisy_haze_adds_camera_noise_to_about_half():
    clean = _smooth()
    noisy = 0
    for seed in range(40):
        plain = degrade.random_haze(clean, np.random.default_rng(seed))
        out = degrade.sometimes_noisy_haze(clean, np.random.default_rng(seed))
        assert out.shape == clean.shape and 0 <= out.min() and out.max() <= 1
        if np.array_equal(out, plain):
            continue  # the clean half: exactly the course's haze
        noisy += 1
        assert abs(out.mean() - plain.mean()) < 2 / 255 and np.std(out - plain) < 0.03
        np.testing.assert_allclose(out * 255, np.round(out * 255), atol=1e-4)  # JPEG: 8-bit levels
    assert 10 <= noisy <= 30  # a fair coin over 40 draws
