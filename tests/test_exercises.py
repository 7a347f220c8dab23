"""Every checker accepts the right answer and rejects planted wrong ones with a specific message."""

import mindspore as ms
import numpy as np
from mindspore import nn, ops

from course_lib.data import degrade
from course_lib.exercises import diagnose, foundations, gradient_check, relative_error
from course_lib.metrics import psnr, rgb_to_y


def test_diagnose_names_the_mistake():
    ref = np.arange(12.0).reshape(3, 4) / 12
    assert diagnose(ref.copy(), ref) is None
    assert "return" in diagnose(None, ref)
    assert "transpose" in diagnose(ref.T, ref)
    assert "255 times" in diagnose(ref * 255, ref)
    assert "constant factor" in diagnose(ref * 0.5, ref)
    assert "wrong shape" in diagnose(ref[:2], ref)
    assert "relative error" in diagnose(ref + np.eye(3, 4) * 0.01, ref)
    assert abs(relative_error(ref * 1.01, ref) - 0.01) < 1e-12


def test_haze_checker():
    assert foundations.check_haze(degrade.haze)
    swapped = lambda j, d, b, a: j * (1 - np.exp(-b * d)[..., None]) + a * np.exp(-b * d)[..., None]
    v = foundations.check_haze(swapped)
    assert not v and "swapped" in v.message
    assert not foundations.check_haze(lambda j, d, b, a: j)


def test_psnr_checker():
    assert foundations.check_psnr(lambda x, r: psnr(x, r))
    v = foundations.check_psnr(lambda x, r: 20 * np.log10(1 / np.mean((x - r) ** 2)))
    assert not v and "twice the right ones" in v.message
    v = foundations.check_psnr(lambda x, r: 1 / 0)
    assert not v and "ZeroDivisionError" in v.message


def test_y_channel_checker():
    assert foundations.check_y_channel(lambda img: rgb_to_y(img)[..., 0])
    v = foundations.check_y_channel(lambda img: img @ np.array([0.299, 0.587, 0.114]))
    assert not v and "studio swing" in v.message
    v = foundations.check_y_channel(lambda img: rgb_to_y(img)[..., 0].T)
    assert not v and "transpose" in v.message


class _WrongGradSquare(nn.Cell):
    """x**2 with a planted wrong backward (3x instead of 2x)."""

    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (3 * x * dout,)


def test_gradient_check_accepts_autodiff_and_rejects_a_wrong_backward():
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    assert gradient_check(lambda t: (ops.sin(t) * t).sum(), x)
    wrong = _WrongGradSquare()
    v = gradient_check(lambda t: wrong(t).sum(), x)
    assert not v and "gradient mismatch" in v.message
    assert ms.Tensor(x).shape == (4, 5)
