"""Width-slimmable EDSR (CSD), the small SR networks and the CSD loss.

References: the parameter counts of methods.md Sec. 3(a) (43,089,923 / 10,780,675 / 2,699,267 at x4 and
40,729,603 / 2,551,555 at x2, counted from the official code and quoted by the paper as 2.7M); a NumPy
forward pass written from the architecture table (numpy convolution, ESPCN Eq. (4) shuffle, slicing
rule "first c' rows/columns, first r^2 c' upsampler outputs"); a stand-alone narrow EDSR holding the
copied weights; MAC and loss formulas written out by hand.
"""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest
from mindspore import nn, ops

from course_lib.losses.contrastive import ContrastiveLoss
from course_lib.losses.distill import csd_loss_fn, width_l1_loss_fn
from course_lib.models.edsr import EDSR, edsr
from course_lib.models.sr_simple import SubPixelSR, TransposedConvSR

MEAN = np.array([0.4488, 0.4371, 0.4040]).reshape(1, 3, 1, 1)


def conv_np(x, w, b):
    """'same' cross-correlation, NCHW x OIHW, float64."""
    k = w.shape[-1]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    h, wd = x.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i : i + h, j : j + wd], w[:, :, i, j])
    return out + b[None, :, None, None]


def shuffle_np(x, r):
    n, crr, h, w = x.shape
    c = crr // (r * r)
    out = np.zeros((n, c, h * r, w * r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = x[:, ch * r * r + i * r + j]
    return out


def edsr_np(params, x, c, num_blocks, factors, res_scale):
    """EDSR at c active channels, slicing the full weights as in methods.md Sec. 3(a)."""

    def conv(name, x, cout):
        w, b = params[name + ".weight"].astype(np.float64), params[name + ".bias"].astype(np.float64)
        return conv_np(x, w[:cout, : x.shape[1]], b[:cout])

    x = x - MEAN
    feat = conv("head", x, c)
    res = feat
    for i in range(num_blocks):
        res = res + res_scale * conv(f"body.{i}.conv2", np.maximum(conv(f"body.{i}.conv1", res, c), 0), c)
    res = conv("body_conv", res, c) + feat
    for i, r in enumerate(factors):
        res = shuffle_np(conv(f"upsample.{i}", res, r * r * c), r)
    return conv("tail", res, 3) + MEAN


def _params(net):
    return {name: p.asnumpy() for name, p in net.parameters_and_names()}


def _rand(shape, seed):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


# ---- parameter counts ------------------------------------------------------------------------------


def test_paper_config_parameter_counts():
    teacher = EDSR(num_blocks=32, num_feat=256, scale=4, res_scale=0.1)
    assert sum(p.size for p in teacher.trainable_params()) == 43_089_923
    assert teacher.count_active_params(1.0) == 43_089_923
    assert teacher.count_active_params(0.5) == 10_780_675
    assert teacher.count_active_params(0.25) == 2_699_267
    x2 = EDSR(num_blocks=32, num_feat=256, scale=2)
    assert x2.count_active_params(1.0) == 40_729_603
    assert x2.count_active_params(0.25) == 2_551_555
    # The student as a network of its own (num_feat = 64) has exactly the active parameters.
    assert sum(p.size for p in EDSR(32, 64, 4).trainable_params()) == 2_699_267


# ---- forward ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale,width", [(4, 1.0), (4, 0.25), (3, 0.5), (2, 0.75)])
def test_forward_equals_numpy_reference(scale, width):
    net = EDSR(num_blocks=2, num_feat=8, scale=scale, res_scale=0.5)
    x = _rand((1, 3, 5, 4), seed=scale)
    out = net(ms.Tensor(x), width).asnumpy()
    ref = edsr_np(_params(net), x.astype(np.float64), int(8 * width), 2, net.factors, 0.5)
    assert out.shape == (1, 3, 5 * scale, 4 * scale)
    np.testing.assert_allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("scale,width", [(4, 0.25), (3, 0.5), (2, 0.25)])
def test_student_equals_standalone_narrow_edsr(scale, width):
    full = EDSR(num_blocks=3, num_feat=16, scale=scale, res_scale=0.1)
    c = int(16 * width)
    narrow = EDSR(num_blocks=3, num_feat=c, scale=scale, res_scale=0.1)
    big = _params(full)
    for name, p in narrow.parameters_and_names():
        p.set_data(ms.Tensor(np.ascontiguousarray(big[name][tuple(slice(0, s) for s in p.shape)])))
    x = ms.Tensor(_rand((2, 3, 6, 7), seed=10))
    np.testing.assert_allclose(full(x, width).asnumpy(), narrow(x, 1.0).asnumpy(), atol=1e-6, rtol=0)


def test_graph_mode_equals_pynative_at_each_width():
    net = edsr("small", scale=2)
    x = ms.Tensor(_rand((1, 3, 8, 8), seed=11))

    @ms.jit
    def both(t):
        return net(t, 1.0), net(t, 0.25)

    teacher, student = both(x)
    np.testing.assert_allclose(teacher.asnumpy(), net(x, 1.0).asnumpy(), atol=1e-5)
    np.testing.assert_allclose(student.asnumpy(), net(x, 0.25).asnumpy(), atol=1e-5)
    assert np.abs(teacher.asnumpy() - student.asnumpy()).max() > 1e-3


def test_width_errors():
    net = EDSR(num_blocks=1, num_feat=8, scale=2)
    x = ms.Tensor(np.zeros((1, 3, 4, 4), np.float32))
    for bad, match in ((0.0, r"\(0, 1\]"), (1.5, r"\(0, 1\]"), (0.1, "0 channels"), ("0.5", "Python float")):
        with pytest.raises(ValueError, match=match):
            net(x, bad)
    with pytest.raises(ValueError, match="scale must be"):
        EDSR(num_blocks=1, num_feat=8, scale=5)


def test_macs_formula():
    net = EDSR(num_blocks=4, num_feat=32, scale=4)
    h, w, c = 10, 12, 8  # width 0.25
    hand = 3 * c * 9 * h * w  # head
    hand += (2 * 4 + 1) * c * c * 9 * h * w  # body convs + body_conv
    hand += 4 * c * c * 9 * h * w + 4 * c * c * 9 * (2 * h) * (2 * w)  # two x2 upsampler convs
    hand += 3 * c * 9 * (4 * h) * (4 * w)  # tail
    assert net.macs((2, 3, h, w), 0.25) == 2 * hand
    assert net.macs((h, w), 0.25) == hand


def test_bicubic_skip_adds_bicubic_and_keeps_counts():
    net = EDSR(num_blocks=1, num_feat=8, scale=2, bicubic_skip=True)
    net.tail.weight.set_data(ops.zeros_like(net.tail.weight))
    net.tail.bias.set_data(ops.zeros_like(net.tail.bias))
    x = ms.Tensor(_rand((1, 3, 6, 5), seed=18))
    bicubic = ops.interpolate(x, size=(12, 10), mode="bicubic", align_corners=False)
    np.testing.assert_allclose(net(x, 0.5).asnumpy(), bicubic.asnumpy(), atol=1e-6)
    assert net.count_active_params(1.0) == EDSR(num_blocks=1, num_feat=8, scale=2).count_active_params(1.0)


# ---- small SR networks -----------------------------------------------------------------------------


@pytest.mark.parametrize("scale,kernel", [(2, 3), (2, 4), (3, 3), (4, 5)])
def test_small_networks_output_size(scale, kernel):
    x = ms.Tensor(_rand((1, 3, 7, 5), seed=12))
    assert SubPixelSR(scale, num_feat=8)(x).shape == (1, 3, 7 * scale, 5 * scale)
    assert TransposedConvSR(scale, kernel, num_feat=8)(x).shape == (1, 3, 7 * scale, 5 * scale)


def test_subpixel_residual_adds_bicubic():
    net = SubPixelSR(2, num_feat=8, residual=True)
    net.to_subpixels.weight.set_data(ops.zeros_like(net.to_subpixels.weight))
    net.to_subpixels.bias.set_data(ops.zeros_like(net.to_subpixels.bias))
    x = ms.Tensor(_rand((1, 3, 6, 6), seed=13))
    bicubic = ops.interpolate(x, size=(12, 12), mode="bicubic", align_corners=False)
    np.testing.assert_allclose(net(x).asnumpy(), bicubic.asnumpy(), atol=1e-6)


# ---- CSD loss --------------------------------------------------------------------------------------


class _PoolFeatures(nn.Cell):
    """A tiny parameter-free 'feature extractor' standing in for VGG: (x, avgpool2(x)^2)."""

    def construct(self, x):
        return x, ops.avg_pool2d(x, 2, 2) ** 2


def _cl_np(a, p, negs, weights=(0.5, 1.0), eps=1e-7):
    fa = [a, _pool2(a) ** 2]
    fp = [p, _pool2(p) ** 2]
    fn = [[n, _pool2(n) ** 2] for n in negs]
    return sum(
        w * np.abs(fa[i] - fp[i]).mean() / (sum(np.abs(fa[i] - f[i]).mean() for f in fn) + eps)
        for i, w in enumerate(weights)
    )


def _pool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def test_csd_loss_equals_hand_formula():
    net = EDSR(num_blocks=1, num_feat=8, scale=2)
    lr, hr = _rand((3, 3, 4, 4), seed=14), _rand((3, 3, 8, 8), seed=15)
    contrastive = ContrastiveLoss(_PoolFeatures(), weights=(0.5, 1.0))
    loss = csd_loss_fn(contrastive, lam=200.0, student_width=0.5, num_negatives=2)(
        net, (ms.Tensor(lr), ms.Tensor(hr))
    )
    s = net(ms.Tensor(lr), 0.5).asnumpy().astype(np.float64)
    t = net(ms.Tensor(lr), 1.0).asnumpy().astype(np.float64)
    negs = ops.interpolate(ms.Tensor(lr[:2]), size=(8, 8), mode="bicubic", align_corners=False).asnumpy()
    hand = (
        np.abs(s - hr).mean() + np.abs(t - hr).mean() + 200.0 / 255.0 * _cl_np(s, t, [n[None] for n in negs])
    )
    np.testing.assert_allclose(float(loss.asnumpy()), hand, rtol=1e-5)
    plain = width_l1_loss_fn(0.5)(net, (ms.Tensor(lr), ms.Tensor(hr)))
    np.testing.assert_allclose(float(plain.asnumpy()), np.abs(s - hr).mean(), rtol=1e-5)


def test_csd_teacher_is_detached_in_cl():
    """With lambda_t = 0 only the student's channels may get gradients: CL must not flow through T."""
    net = EDSR(num_blocks=1, num_feat=8, scale=2)
    lr, hr = ms.Tensor(_rand((2, 3, 4, 4), seed=16)), ms.Tensor(_rand((2, 3, 8, 8), seed=17))
    loss_fn = csd_loss_fn(
        ContrastiveLoss(_PoolFeatures(), weights=(0.5, 1.0)), teacher_weight=0.0, student_width=0.5
    )
    params = net.trainable_params()

    def forward(a, b):
        return loss_fn(net, (a, b))

    grads = ms.jit(ms.grad(forward, None, params))(lr, hr)
    by_name = {p.name: g.asnumpy() for p, g in zip(params, grads)}
    head = by_name["head.weight"]
    assert np.abs(head[:4]).max() > 0  # the student's 4 channels learn
    assert np.abs(head[4:]).max() == 0  # the teacher-only channels get nothing
    assert np.abs(by_name["body.0.conv1.weight"][:, 4:]).max() == 0
