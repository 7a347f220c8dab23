"""Deformable conv: teaching form, MindSpore op and a NumPy loop written from DCNv2's formula agree."""

import mindspore as ms
import numpy as np
import pytest
from mindspore import ops

from course_lib.layers.deform import (
    DeformConv2d,
    deform_conv2d,
    deform_conv2d_by_sampling,
    deform_conv2d_op,
    expand_taps,
    offsets_mindspore_to_torch,
    offsets_torch_to_mindspore,
)


def numpy_dcn(x, w, offset_mask, bias=None, stride=1, pad=1):
    """y[n,o,r,c] = sum_{i,j} w[o,:,i,j] . x_bilinear(r*s - pad + i + dy_k, c*s - pad + j + dx_k) * m_k.

    k = 3*i + j; offset_mask channels [dx_0..dx_8, dy_0..dy_8, m_0..m_8]; zero outside the image.
    """
    n_, _, h, wd = x.shape
    h_out, w_out = offset_mask.shape[2:]
    out = np.zeros((n_, w.shape[0], h_out, w_out))

    def sample(img, y, xx):
        y0, x0 = int(np.floor(y)), int(np.floor(xx))
        value = np.zeros(img.shape[0])
        for yy in (y0, y0 + 1):
            for xc in (x0, x0 + 1):
                if 0 <= yy < h and 0 <= xc < wd:
                    value += (1 - abs(y - yy)) * (1 - abs(xx - xc)) * img[:, yy, xc]
        return value

    for n in range(n_):
        for r in range(h_out):
            for c in range(w_out):
                acc = np.zeros(w.shape[0]) if bias is None else np.array(bias, dtype=np.float64)
                for i in range(3):
                    for j in range(3):
                        k = 3 * i + j
                        y = r * stride - pad + i + offset_mask[n, 9 + k, r, c]
                        xx = c * stride - pad + j + offset_mask[n, k, r, c]
                        acc = acc + w[:, :, i, j] @ (sample(x[n], y, xx) * offset_mask[n, 18 + k, r, c])
                out[n, :, r, c] = acc
    return out


def random_case(rng, h=6, w=7, stride=1, pad=1, c_in=3, c_out=4, spread=2.5):
    """Offsets in [-spread, spread] (fractional, many sampling outside the image), masks in [0, 1]."""
    x = rng.standard_normal((2, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, 3, 3))
    bias = rng.standard_normal(c_out)
    h_out, w_out = (h + 2 * pad - 3) // stride + 1, (w + 2 * pad - 3) // stride + 1
    offsets = rng.uniform(-spread, spread, (2, 18, h_out, w_out))
    masks = rng.uniform(0, 1, (2, 9, h_out, w_out))
    return x, weight, bias, np.concatenate([offsets, masks], axis=1)


def t32(a):
    return ms.Tensor(np.asarray(a, dtype=np.float32))


@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 1), (1, 0)])
def test_sampling_op_and_numpy_agree(stride, pad):
    x, w, b, om = random_case(np.random.default_rng(stride * 10 + pad), stride=stride, pad=pad)
    assert (np.abs(om[:, :18]) > 1).mean() > 0.4  # plenty of taps sample beyond the padding
    ref = numpy_dcn(x, w, om, b, stride, pad)
    args = (t32(x), t32(w), t32(om), t32(b), stride, pad)
    sampled = deform_conv2d_by_sampling(*args).asnumpy()
    op = deform_conv2d_op(*args).asnumpy()
    assert sampled.shape == op.shape == ref.shape
    np.testing.assert_allclose(sampled, ref, atol=1e-5, rtol=0)
    np.testing.assert_allclose(op, ref, atol=1e-5, rtol=0)


def test_expanded_map_with_stride3_conv_is_the_same_dcn():
    x, w, _, om = random_case(np.random.default_rng(3))
    y = ops.conv2d(expand_taps(t32(x), t32(om)), t32(w), stride=3).asnumpy()
    np.testing.assert_allclose(y, numpy_dcn(x, w, om), atol=1e-5, rtol=0)


@pytest.mark.parametrize("stride", [1, 2])
def test_zero_offsets_unit_mask_is_plain_conv(stride):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((5, 3, 3, 3))
    h_out = (8 + 2 - 3) // stride + 1
    om = np.concatenate([np.zeros((2, 18, h_out, h_out)), np.ones((2, 9, h_out, h_out))], axis=1)
    conv = ops.conv2d(t32(x), t32(w), stride=stride, pad_mode="pad", padding=1).asnumpy()
    for fn in (deform_conv2d_by_sampling, deform_conv2d_op):
        np.testing.assert_allclose(fn(t32(x), t32(w), t32(om), None, stride, 1).asnumpy(), conv, atol=1e-5)


def test_sampling_form_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    x, w, _, om = random_case(rng, h=4, w=5, c_in=2, c_out=2)
    # Keep offsets away from integers so +-h stays inside one linear piece of the bilinear kernel.
    frac = rng.uniform(0.2, 0.8, om[:, :18].shape)
    om[:, :18] = np.floor(om[:, :18]) + frac
    g = rng.standard_normal(numpy_dcn(x, w, om).shape)

    def objective(x_, om_):
        return (deform_conv2d_by_sampling(x_, ms.Tensor(w), om_) * ms.Tensor(g)).sum()

    grad_x, grad_om = ms.grad(objective, grad_position=(0, 1))(ms.Tensor(x), ms.Tensor(om))
    f = lambda x_, om_: float((numpy_dcn(x_, w, om_) * g).sum())
    h = 1e-6
    for idx in [(0, 0, 0, 0), (1, 1, 2, 3), (0, 1, 3, 4), (1, 0, 1, 2)]:
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        np.testing.assert_allclose(
            grad_x.asnumpy()[idx], (f(xp, om) - f(xm, om)) / (2 * h), rtol=1e-5, atol=1e-7
        )
    for idx in [(0, 0, 1, 1), (1, 4, 2, 3), (0, 13, 3, 0), (1, 17, 0, 4), (0, 22, 2, 2)]:  # dx, dy and a mask
        op_, om_m = om.copy(), om.copy()
        op_[idx] += h
        om_m[idx] -= h
        fd = (f(x, op_) - f(x, om_m)) / (2 * h)
        np.testing.assert_allclose(grad_om.asnumpy()[idx], fd, rtol=1e-5, atol=1e-7)


def test_op_gradient_equals_sampling_gradient():
    x, w, b, om = random_case(np.random.default_rng(6), h=5, w=5)
    g = t32(np.random.default_rng(7).standard_normal((2, 4, 5, 5)))
    grads = []
    for fn in (deform_conv2d_by_sampling, deform_conv2d_op):
        objective = lambda x_, w_, om_: (fn(x_, w_, om_, t32(b)) * g).sum()  # noqa: B023
        grads.append(
            [t.asnumpy() for t in ms.grad(objective, grad_position=(0, 1, 2))(t32(x), t32(w), t32(om))]
        )
    for a, o in zip(*grads):
        np.testing.assert_allclose(a, o, atol=1e-4, rtol=1e-4)


def test_layout_converters_round_trip_and_meaning():
    rng = np.random.default_rng(8)
    om = t32(np.concatenate([rng.standard_normal((1, 18, 4, 5)), rng.uniform(0, 1, (1, 9, 4, 5))], axis=1))
    offset, mask = offsets_mindspore_to_torch(om)
    assert offset.shape == (1, 18, 4, 5) and mask.shape == (1, 9, 4, 5)
    # torchvision/DCNv2: channel 2k is dy_k, 2k+1 is dx_k; MindSpore: k is dx_k, 9+k is dy_k.
    np.testing.assert_array_equal(offset.asnumpy()[:, 1::2], om.asnumpy()[:, :9])
    np.testing.assert_array_equal(offset.asnumpy()[:, 0::2], om.asnumpy()[:, 9:18])
    np.testing.assert_array_equal(offsets_torch_to_mindspore(offset, mask).asnumpy(), om.asnumpy())


@pytest.mark.parametrize("axis", ["dx", "dy"])
def test_torch_layout_unit_offset_shifts_sampling(axis):
    """A torchvision offset of +1 in dx samples one column to the right (+1 in dy: one row down)."""
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    offset = np.zeros((1, 18, 6, 6))
    offset[:, slice(1, None, 2) if axis == "dx" else slice(0, None, 2)] = 1.0
    om = offsets_torch_to_mindspore(t32(offset), t32(np.ones((1, 9, 6, 6))))
    # Sampling one column right = a valid conv over x zero-padded by (0 left, 2 right) instead of (1, 1).
    pads = ((0, 0), (0, 0), (1, 1), (0, 2)) if axis == "dx" else ((0, 0), (0, 0), (0, 2), (1, 1))
    shifted = np.pad(x, pads)
    expected = ops.conv2d(t32(shifted), t32(w)).asnumpy()
    for fn in (deform_conv2d_by_sampling, deform_conv2d_op):
        np.testing.assert_allclose(fn(t32(x), t32(w), om).asnumpy(), expected, atol=1e-5)


def test_cell_starts_as_half_masked_conv_and_impls_agree():
    rng = np.random.default_rng(10)
    cell = DeformConv2d(3, 4)
    x = t32(rng.standard_normal((1, 3, 8, 8)))
    conv = ops.conv2d(x, cell.weight, pad_mode="pad", padding=1).asnumpy()
    # Zero-initialised offset conv: offsets 0, masks sigmoid(0) = 0.5.
    np.testing.assert_allclose(
        cell(x).asnumpy(), 0.5 * conv + cell.bias.asnumpy().reshape(1, -1, 1, 1), atol=1e-5
    )
    om = cell.offset_mask(x).asnumpy()
    assert om.shape == (1, 27, 8, 8) and np.all(om[:, :18] == 0) and np.allclose(om[:, 18:], 0.5)
    cell.conv_offset.weight.set_data(t32(rng.standard_normal((27, 3, 3, 3))))
    cell_op = DeformConv2d(3, 4, impl="op")
    ms.load_param_into_net(cell_op, {p.name: p for p in cell.get_parameters()})
    np.testing.assert_allclose(cell_op(x).asnumpy(), cell(x).asnumpy(), atol=1e-4)
    assert sum(p.size for p in cell.trainable_params()) == 4 * 3 * 9 + 4 + 27 * 3 * 9 + 27


def test_deform_conv2d_names_the_faster_sampling_form_and_checks_shapes():
    assert deform_conv2d is deform_conv2d_by_sampling
    x, w = t32(np.zeros((1, 3, 6, 6))), t32(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match="offset_mask must be"):
        deform_conv2d(x, w, t32(np.zeros((1, 18, 6, 6))))
    with pytest.raises(ValueError, match="weight must be"):
        deform_conv2d(x, t32(np.zeros((4, 2, 3, 3))), t32(np.zeros((1, 27, 6, 6))))
