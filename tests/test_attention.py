"""Channel/pixel attention, the FA block and ESA against NumPy code written from FFA-Net and RFDN."""

import mindspore as ms
import numpy as np
import pytest

from course_lib.layers.attention import ESA, ChannelAttention, FABlock, PixelAttention


def params(cell):
    return {p.name: p.asnumpy().astype(np.float64) for p in cell.get_parameters()}


def np_conv(x, w, b, stride=1, pad=None):
    """Cross-correlation with zero padding (k // 2 by default). x (N, C, H, W), w (O, C, k, k)."""
    k = w.shape[-1]
    pad = k // 2 if pad is None else pad
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out = (xp.shape[2] - k) // stride + 1
    w_out = (xp.shape[3] - k) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], h_out, w_out))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i : i + stride * h_out : stride, j : j + stride * w_out : stride]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out + b.reshape(1, -1, 1, 1)


sigmoid = lambda z: 1 / (1 + np.exp(-z))
relu = lambda z: np.maximum(z, 0)


def np_ca(x, p, prefix):
    g = x.mean(axis=(2, 3), keepdims=True)
    z = relu(np_conv(g, p[prefix + "squeeze.weight"], p[prefix + "squeeze.bias"]))
    return x * sigmoid(np_conv(z, p[prefix + "excite.weight"], p[prefix + "excite.bias"]))


def np_pa(x, p, prefix):
    z = relu(np_conv(x, p[prefix + "squeeze.weight"], p[prefix + "squeeze.bias"]))
    return x * sigmoid(np_conv(z, p[prefix + "to_map.weight"], p[prefix + "to_map.bias"]))


def randomise(cell, rng, scale=0.3):
    for p in cell.get_parameters():
        p.set_data(ms.Tensor(rng.standard_normal(p.shape).astype(np.float32) * scale))


@pytest.fixture
def x16():
    return np.random.default_rng(0).standard_normal((2, 16, 6, 5)).astype(np.float32)


def test_channel_attention_matches_numpy(x16):
    ca = ChannelAttention(16)
    randomise(ca, np.random.default_rng(1))
    out = ca(ms.Tensor(x16)).asnumpy()
    np.testing.assert_allclose(out, np_ca(x16.astype(np.float64), params(ca), ""), atol=1e-5)
    assert ca.weights(ms.Tensor(x16)).shape == (2, 16, 1, 1)
    assert ca.squeeze.weight.shape == (2, 16, 1, 1)  # reduction 8


def test_pixel_attention_matches_numpy(x16):
    pa = PixelAttention(16)
    randomise(pa, np.random.default_rng(2))
    out = pa(ms.Tensor(x16)).asnumpy()
    np.testing.assert_allclose(out, np_pa(x16.astype(np.float64), params(pa), ""), atol=1e-5)
    assert pa.weights(ms.Tensor(x16)).shape == (2, 1, 6, 5)


def test_fa_block_matches_numpy(x16):
    block = FABlock(16)
    randomise(block, np.random.default_rng(3), scale=0.1)
    p = params(block)
    x = x16.astype(np.float64)
    res = relu(np_conv(x, p["conv1.weight"], p["conv1.bias"])) + x
    res = np_conv(res, p["conv2.weight"], p["conv2.bias"])
    expected = np_pa(np_ca(res, p, "ca."), p, "pa.") + x
    np.testing.assert_allclose(block(ms.Tensor(x16)).asnumpy(), expected, atol=1e-4)


def test_fa_block_parameter_count_at_256_channels():
    # methods.md §1(a), counted on the official DehazeBlock(256): 1,205,089.
    assert sum(p.size for p in FABlock(256).trainable_params()) == 1_205_089


def np_bilinear(x, size):
    """PyTorch/MindSpore bilinear resize with align_corners=False (half-pixel centres, clamp at 0)."""
    h, w = x.shape[2:]
    out_h, out_w = size

    def coords(n_out, n_in):
        src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0

    r0, r1, fr = coords(out_h, h)
    c0, c1, fc = coords(out_w, w)
    top = x[:, :, r0][..., c0] * (1 - fc) + x[:, :, r0][..., c1] * fc
    bottom = x[:, :, r1][..., c0] * (1 - fc) + x[:, :, r1][..., c1] * fc
    return top * (1 - fr)[:, None] + bottom * fr[:, None]


def np_maxpool(x, k, s):
    h_out, w_out = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
    out = np.full(x.shape[:2] + (h_out, w_out), -np.inf)
    for i in range(k):
        for j in range(k):
            out = np.maximum(out, x[:, :, i : i + s * h_out : s, j : j + s * w_out : s])
    return out


def test_esa_matches_numpy_and_rfdn_count():
    rng = np.random.default_rng(4)
    esa = ESA(16)
    randomise(esa, rng, scale=0.3)
    x = rng.standard_normal((1, 16, 23, 20)).astype(np.float32)
    p = params(esa)
    conv = lambda name, z, stride=1, pad=None: np_conv(z, p[name + ".weight"], p[name + ".bias"], stride, pad)
    xd = x.astype(np.float64)
    c1_ = conv("conv1", xd)
    c1 = conv("conv2", c1_, stride=2, pad=0)
    v = relu(conv("conv_max", np_maxpool(c1, 7, 3)))
    c3 = conv("conv3_", relu(conv("conv3", v)))
    m = sigmoid(conv("conv4", np_bilinear(c3, (23, 20)) + conv("conv_f", c1_)))
    np.testing.assert_allclose(esa(ms.Tensor(x)).asnumpy(), xd * m, atol=1e-5)
    # RFDB(50) has 94,450 parameters (methods.md §5(a2)); without ESA its convs hold
    # 3*(50*25+25) + 3*(50*50*9+50) + (50*25*9+25) + (100*50+50) = 87,800.
    assert sum(p.size for p in ESA(50).trainable_params()) == 94_450 - 87_800
    with pytest.raises(ValueError, match="H, W >= 15"):
        esa(ms.Tensor(np.zeros((1, 16, 12, 20), np.float32)))


def test_reduction_must_divide_channels():
    with pytest.raises(ValueError, match="multiple of reduction"):
        ChannelAttention(12)
