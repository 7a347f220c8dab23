"""Metrics against scikit-image and formulas written out in NumPy."""

import math

import mindspore as ms
import numpy as np
import pytest
from mindspore import nn
from skimage import data as skdata
from skimage import metrics as skm

from course_lib import metrics


def _noisy_pair(seed, shape=(48, 40, 3)):
    rng = np.random.default_rng(seed)
    a = rng.random(shape)
    return np.clip(a + rng.normal(0, 0.08, shape), 0, 1), a


def _real_pair():
    ref = skdata.coffee()[:120, :160].astype(np.float64) / 255
    rng = np.random.default_rng(5)
    return np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1), ref


@pytest.mark.parametrize("pair", [_noisy_pair(0), _noisy_pair(1, (33, 57, 3)), _real_pair()])
def test_psnr_and_ssim_match_skimage(pair):
    x, ref = pair
    assert abs(metrics.psnr(x, ref) - skm.peak_signal_noise_ratio(ref, x, data_range=1.0)) < 1e-6
    expected = skm.structural_similarity(
        x, ref, data_range=1.0, channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert abs(metrics.ssim(x, ref) - expected) < 1e-4


def test_y_channel_crop_border_and_data_range_follow_the_formula():
    x, ref = _real_pair()
    weights = np.array([65.481, 128.553, 24.966]) / 255
    y = lambda im: im[4:-4, 4:-4] @ weights + 16 / 255
    mse = np.mean((y(x) - y(ref)) ** 2)
    assert metrics.psnr(x, ref, crop_border=4, y_channel=True) == pytest.approx(
        10 * math.log10(1 / mse), abs=1e-9
    )
    assert metrics.psnr(x * 255, ref * 255, data_range=255) == pytest.approx(metrics.psnr(x, ref), abs=1e-9)
    expected = skm.structural_similarity(
        y(x), y(ref), data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert metrics.ssim(x, ref, crop_border=4, y_channel=True) == pytest.approx(expected, abs=1e-4)


def test_accepts_tensors_in_chw_and_nchw():
    x, ref = _noisy_pair(2)
    t = ms.Tensor(x.transpose(2, 0, 1)[None].astype(np.float32))
    assert metrics.psnr(t, ref) == pytest.approx(metrics.psnr(x.astype(np.float32), ref), abs=1e-9)
    assert metrics.psnr(x, ref) != math.inf and metrics.psnr(ref, ref) == math.inf


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(48, 40, 3\).*\(40, 48, 3\)"):
        metrics.psnr(np.zeros((48, 40, 3)), np.zeros((40, 48, 3)))
    with pytest.raises(ValueError, match="crop_border"):
        metrics.psnr(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), crop_border=4)
    with pytest.raises(ValueError, match="3 channels"):
        metrics.psnr(np.zeros((8, 8, 4)), np.full((8, 8, 4), 0.5), y_channel=True)


def test_a_grey_reference_is_scored_on_its_grey_values_as_matlab_does():
    rng = np.random.default_rng(5)
    grey = rng.uniform(0.1, 0.9, (20, 20, 1))
    out = np.clip(np.repeat(grey, 3, axis=2) + rng.normal(0, 0.02, (20, 20, 3)), 0, 1)
    expected = 10 * np.log10(1 / np.mean((out.mean(axis=2, keepdims=True) - grey) ** 2))
    for ref in (grey, np.repeat(grey, 3, axis=2)):  # a grey file, and the same file read as RGB
        assert metrics.psnr(out, ref, y_channel=True) == pytest.approx(expected, abs=1e-9)
    # rgb2ycbcr on a grey output and its grey reference, both as RGB, shrinks every error by 219/255
    grey_out = np.repeat(np.clip(grey + rng.normal(0, 0.02, grey.shape), 0, 1), 3, axis=2)
    plain = metrics.psnr(grey_out[..., :1], grey)
    assert metrics.psnr(grey_out, np.repeat(grey, 3, axis=2), y_channel=True) == pytest.approx(plain, abs=1e-9)
    colour_formula = metrics.psnr(metrics.rgb_to_y(grey_out), metrics.rgb_to_y(np.repeat(grey, 3, axis=2)))
    assert colour_formula - plain == pytest.approx(20 * np.log10(255 / 219), abs=1e-6)


def test_psnr_mu_is_psnr_of_the_mu_law_tone_map():
    rng = np.random.default_rng(3)
    hdr, ref = rng.random((16, 16, 3)), rng.random((16, 16, 3))
    tone = lambda h: np.log(1 + 5000 * h) / np.log(1 + 5000)
    mse = np.mean((tone(hdr) - tone(ref)) ** 2)
    assert metrics.psnr_mu(hdr, ref) == pytest.approx(10 * math.log10(1 / mse), abs=1e-9)
    with pytest.raises(ValueError, match="non-negative"):
        metrics.psnr_mu(hdr - 1, ref)


def test_count_params_and_macs_by_hand():
    net = nn.SequentialCell(
        [
            nn.Conv2d(3, 8, 3, pad_mode="pad", padding=1, has_bias=True),  # 8*3*9 + 8
            nn.Conv2d(8, 8, 3, pad_mode="pad", padding=1, group=8, has_bias=True),  # depthwise: 8*9 + 8
            nn.Conv2dTranspose(8, 4, 2, stride=2, has_bias=False),  # 8*4*4
            nn.Flatten(),
            nn.Dense(4 * 16 * 16, 10),  # 1024*10 + 10
        ]
    )
    assert metrics.count_params(net) == (8 * 27 + 8) + (8 * 9 + 8) + 8 * 4 * 4 + (1024 * 10 + 10)
    # conv: out pixels * Cout * Cin/g * k*k ; transposed: in pixels * Cin * Cout * k*k ; dense: in * out
    expected = 64 * 8 * 3 * 9 + 64 * 8 * 1 * 9 + 64 * 8 * 4 * 4 + 1024 * 10
    assert metrics.count_macs(net, (1, 3, 8, 8)) == expected


def test_count_macs_counts_a_shared_layer_at_every_use():
    class Twice(nn.Cell):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, pad_mode="pad", padding=1)

        def construct(self, x):
            return self.conv(self.conv(x))

    net = Twice()
    assert metrics.count_params(net) == 4 * 4 * 9
    assert metrics.count_macs(net, (1, 4, 5, 5)) == 2 * 25 * 4 * 4 * 9


def test_psnr_mu_ntire_matches_the_challenge_definition():
    # NTIRE HDR starter kit: psnr_tanh_norm_mu_tonemap(ref, res, percentile=99, gamma=2.24), written out here
    rng = np.random.default_rng(3)
    ref = rng.random((16, 12, 3)) ** 0.5 * 1.3  # gamma-encoded HDR, above 1 in places
    res = np.clip(ref + rng.normal(0, 0.02, ref.shape), 0, None)
    lin_ref, lin_res = ref**2.24, res**2.24
    n = np.percentile(lin_ref, 99)

    def tone(h):
        return np.log(1 + 5000 * np.tanh(h / n)) / np.log(1 + 5000)

    expected = 10 * math.log10(1 / np.mean((tone(lin_ref) - tone(lin_res)) ** 2))
    assert metrics.psnr_mu_ntire(res, ref) == pytest.approx(expected, abs=1e-9)
