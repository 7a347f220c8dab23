"""The period-2 pattern penalty (course_lib.losses.stride_pattern) against NumPy written from its formula."""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest

from course_lib.losses.stride_pattern import stride_pattern_error


def numpy_pattern_error(out, target, window):
    """Loop over windows and 2x2 blocks: the mean |window mean of each Haar detail coefficient| of the error."""
    e = out.astype(np.float64) - target
    n, ch, h, w = e.shape
    values = []
    for i in range(n):
        for c in range(ch):
            for y0 in range(0, h, window):
                for x0 in range(0, w, window):
                    sums = np.zeros(3)
                    for y in range(y0, y0 + window, 2):
                        for x in range(x0, x0 + window, 2):
                            a, b, cc, d = e[i, c, y, x], e[i, c, y, x + 1], e[i, c, y + 1, x], e[i, c, y + 1, x + 1]
                            sums += [(a + b - cc - d) / 4, (a - b + cc - d) / 4, (a - b - cc + d) / 4]
                    values.extend(np.abs(sums / (window // 2) ** 2))
    return float(np.mean(values))


def test_matches_the_formula_on_random_errors():
    rng = np.random.default_rng(0)
    out, target = rng.random((2, 3, 16, 24), np.float32), rng.random((2, 3, 16, 24), np.float32)
    got = stride_pattern_error(ms.Tensor(out), ms.Tensor(target), window=8).asnumpy()
    np.testing.assert_allclose(got, numpy_pattern_error(out, target, 8), rtol=1e-5)


def test_a_fixed_checkerboard_counts_in_full_and_texture_averages_out():
    rng = np.random.default_rng(1)
    target = rng.random((1, 1, 64, 64), np.float32)
    parity = np.indices((64, 64)).sum(0) % 2
    board = target + 0.01 * (1 - 2 * parity)  # +0.01 on even, -0.01 on odd pixels
    noise = target + rng.normal(0, 0.01, target.shape).astype(np.float32)
    loss = lambda x: float(stride_pattern_error(ms.Tensor(x), ms.Tensor(target), 32).asnumpy())  # noqa: E731
    assert loss(board) == pytest.approx(0.01 / 3, rel=1e-5)  # the diagonal coefficient only, of 3
    assert loss(noise) < 0.1 * loss(board)  # per-pixel error of the same size, random phase
    assert loss(target) == 0


def test_bad_windows_get_one_clear_error():
    x = ms.Tensor(np.zeros((1, 3, 40, 40), np.float32))
    with pytest.raises(ValueError, match="multiples of window=32"):
        stride_pattern_error(x, x)
    with pytest.raises(ValueError, match="even number"):
        stride_pattern_error(x, x, window=5)
