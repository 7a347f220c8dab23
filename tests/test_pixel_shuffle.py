"""PixelShuffle / PixelUnshuffle from reshapes.

References: NumPy loops written from ESPCN Eq. (4) (CRD order, out[n, c, h*r+i, w*r+j] =
x[n, c*r*r + i*r + j, h, w]); MindSpore's ``nn.PixelShuffle`` / ``nn.PixelUnshuffle``; and the DCR
formula for ``ops.DepthToSpace``, to pin down the pitfall that it orders channels differently.
"""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest
from mindspore import nn, ops

from course_lib.layers.pixel_shuffle import PixelShuffle, PixelUnshuffle, pixel_shuffle, pixel_unshuffle

SHAPES = [((2, 12, 3, 5), 2), ((1, 18, 4, 2), 3), ((1, 4, 1, 1), 2), ((2, 3, 2, 3), 1)]


def shuffle_reference(x, r):
    """ESPCN Eq. (4) as loops: CRD order."""
    n, crr, h, w = x.shape
    c = crr // (r * r)
    out = np.zeros((n, c, h * r, w * r), x.dtype)
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = x[:, ch * r * r + i * r + j]
    return out


def depth_to_space_dcr_reference(x, r):
    """TensorFlow depth_to_space order: channel index split as (i, j, c), c fastest."""
    n, crr, h, w = x.shape
    c = crr // (r * r)
    out = np.zeros((n, c, h * r, w * r), x.dtype)
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = x[:, (i * r + j) * c + ch]
    return out


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shape,r", SHAPES)
def test_shuffle_equals_numpy_and_mindspore(shape, r):
    x = _rand(shape)
    ours = pixel_shuffle(ms.Tensor(x), r).asnumpy()
    np.testing.assert_array_equal(ours, shuffle_reference(x, r))
    np.testing.assert_array_equal(ours, nn.PixelShuffle(r)(ms.Tensor(x)).asnumpy())


@pytest.mark.parametrize("shape,r", SHAPES)
def test_unshuffle_equals_numpy_and_mindspore_and_inverts(shape, r):
    x = _rand(shape, seed=1)
    big = shuffle_reference(x, r)  # (N, C, H*r, W*r)
    ours = pixel_unshuffle(ms.Tensor(big), r).asnumpy()
    np.testing.assert_array_equal(ours, x)  # the inverse of the NumPy reference
    np.testing.assert_array_equal(ours, nn.PixelUnshuffle(r)(ms.Tensor(big)).asnumpy())


def test_round_trips_are_identity():
    x = _rand((2, 3, 6, 12), seed=2)
    for r in (2, 3):
        np.testing.assert_array_equal(pixel_shuffle(pixel_unshuffle(ms.Tensor(x), r), r).asnumpy(), x)
    y = _rand((2, 18, 2, 3), seed=3)
    np.testing.assert_array_equal(pixel_unshuffle(pixel_shuffle(ms.Tensor(y), 3), 3).asnumpy(), y)


def test_depth_to_space_uses_the_other_order():
    x = _rand((1, 12, 2, 3), seed=4)
    d2s = ops.DepthToSpace(2)(ms.Tensor(x)).asnumpy()
    np.testing.assert_array_equal(d2s, depth_to_space_dcr_reference(x, 2))
    assert np.abs(d2s - pixel_shuffle(ms.Tensor(x), 2).asnumpy()).max() > 0.1


def test_cells_compile_in_graph_mode():
    x = _rand((1, 8, 4, 6), seed=5)

    @ms.jit
    def both(t):
        return PixelShuffle(2)(t), PixelUnshuffle(2)(t)

    up, down = both(ms.Tensor(x))
    np.testing.assert_array_equal(up.asnumpy(), shuffle_reference(x, 2))
    np.testing.assert_array_equal(down.asnumpy(), nn.PixelUnshuffle(2)(ms.Tensor(x)).asnumpy())


def test_gradient_is_the_inverse_permutation():
    x = ms.Tensor(_rand((1, 8, 2, 3), seed=6))
    g = _rand((1, 2, 4, 6), seed=7)
    grad = ms.grad(lambda t: (pixel_shuffle(t, 2) * ms.Tensor(g)).sum())(x)
    np.testing.assert_array_equal(grad.asnumpy(), pixel_unshuffle(ms.Tensor(g), 2).asnumpy())


def test_errors_name_the_dimension_and_remainder():
    with pytest.raises(ValueError, match=r"channels 10 is not divisible by r\*r = 4 \(remainder 2\)"):
        pixel_shuffle(ms.Tensor(np.zeros((1, 10, 2, 2), np.float32)), 2)
    with pytest.raises(ValueError, match=r"height 7 is not divisible by r = 2 \(remainder 1\)"):
        pixel_unshuffle(ms.Tensor(np.zeros((1, 3, 7, 8), np.float32)), 2)
    with pytest.raises(ValueError, match=r"width 8 is not divisible by r = 3 \(remainder 2\)"):
        pixel_unshuffle(ms.Tensor(np.zeros((1, 3, 9, 8), np.float32)), 3)
    with pytest.raises(ValueError, match="positive int"):
        pixel_shuffle(ms.Tensor(np.zeros((1, 4, 2, 2), np.float32)), 0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        pixel_shuffle(ms.Tensor(np.zeros((4, 2, 2), np.float32)), 2)
