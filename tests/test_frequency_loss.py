"""The frequency loss (course_lib.losses.frequency, MIMO-UNet's L_freq) against NumPy's FFT from its formula."""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest

from course_lib.losses.frequency import frequency_l1


def numpy_frequency_l1(out, target):
    spectrum = np.fft.rfft2(out.astype(np.float64) - target, norm="ortho")  # over the last two axes
    return np.abs(spectrum.real).mean() + np.abs(spectrum.imag).mean()


def test_matches_numpy_and_its_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    out, target = rng.random((2, 3, 16, 24), np.float32), rng.random((2, 3, 16, 24), np.float32)
    got = float(frequency_l1(ms.Tensor(out), ms.Tensor(target)).asnumpy())
    assert got == pytest.approx(numpy_frequency_l1(out, target), rel=1e-5)
    grad = ms.grad(lambda o: frequency_l1(o, ms.Tensor(target)))(ms.Tensor(out)).asnumpy()
    for index in [(0, 0, 0, 0), (1, 2, 7, 13), (0, 1, 15, 23)]:
        up, down = out.astype(np.float64), out.astype(np.float64)
        up[index] += 1e-4
        down[index] -= 1e-4
        numeric = (numpy_frequency_l1(up, target) - numpy_frequency_l1(down, target)) / 2e-4
        assert grad[index] == pytest.approx(numeric, rel=1e-2, abs=1e-6)


def test_column_stripes_are_one_bin_of_the_spectrum_and_a_match_costs_nothing():
    rng = np.random.default_rng(1)
    target = rng.random((1, 1, 64, 64), np.float32)
    stripes = target + 0.01 * (1 - 2 * (np.arange(64) % 2))[None, None, None, :].astype(np.float32)  # columns
    assert float(frequency_l1(ms.Tensor(stripes), ms.Tensor(target)).asnumpy()) == pytest.approx(
        numpy_frequency_l1(stripes, target), rel=1e-5)  # fmt: skip
    # the whole pattern is the bin at the columns' Nyquist frequency: 0.01 x sqrt(64 x 64) there, 0 elsewhere
    assert numpy_frequency_l1(stripes, target) == pytest.approx(0.01 * 64 / (64 * 33), rel=1e-4)
    assert float(frequency_l1(ms.Tensor(target), ms.Tensor(target)).asnumpy()) == 0
    with pytest.raises(ValueError, match="same shape"):
        frequency_l1(ms.Tensor(target), ms.Tensor(target[..., :32]))


@pytest.mark.parametrize("mode", ["none", "positive_only"])
def test_aecr_loss_adds_the_weighted_frequency_term_to_its_l1(mode):
    from mindspore import nn

    from course_lib.losses.dehaze import aecr_loss_fn

    class Features(nn.Cell):  # a stand-in for VGG: five maps, the image itself at every level
        def construct(self, x):
            return (x, x, x, x, x)

    class Halve(nn.Cell):
        def construct(self, x):
            return x * 0.5

    rng = np.random.default_rng(2)
    hazy, clear = rng.random((2, 3, 16, 16), np.float32), rng.random((2, 3, 16, 16), np.float32)
    batch = (ms.Tensor(hazy), ms.Tensor(clear))
    plain = float(aecr_loss_fn(Features(), mode=mode)(Halve(), batch).asnumpy())
    with_spectrum = float(aecr_loss_fn(Features(), mode=mode, frequency_weight=3.0)(Halve(), batch).asnumpy())
    assert with_spectrum - plain == pytest.approx(3.0 * numpy_frequency_l1(hazy * 0.5, clear), rel=1e-4)
    if mode == "none":
        assert plain == pytest.approx(np.abs(hazy * 0.5 - clear).mean(), rel=1e-5)
