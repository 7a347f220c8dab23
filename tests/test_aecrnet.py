"""AECR-Net: published parameter counts, weight sharing, shapes, adaptive mixup, the L1 + CR loss, training."""

import mindspore as ms
import numpy as np
import pytest
from mindspore import nn, ops

from course_lib.layers.mixup import AdaptiveMixup
from course_lib.losses.dehaze import aecr_loss_fn
from course_lib.models.aecrnet import AECRNet, aecrnet_tiny

# Published / counted on the official PyTorch Dehaze(3, 3) (methods.md §1(a); paper: 2.61M).
OFFICIAL_TOTAL, FA_BLOCK, DCN = 2_614_229, 1_205_089, 652_315


def count(cell):
    return sum(p.size for p in cell.trainable_params())


def test_official_parameter_counts():
    net = AECRNet()
    assert count(net) == OFFICIAL_TOTAL
    assert count(net.fa_blocks[0]) == FA_BLOCK
    assert count(net.dcn_blocks[0]) == DCN
    # FastDeconv(3, 3, k3) replaced by a plain conv with the same learnable parameters: 3*3*9 + 3.
    assert count(net.pre) == 84
    # Without sharing: five more FA blocks and one more DCN (the ~9.3M model of the pitfall).
    assert count(AECRNet(share_weights=False)) == OFFICIAL_TOTAL + 5 * FA_BLOCK + DCN


def test_shared_blocks_are_applied_six_and_two_times():
    net = aecrnet_tiny()
    calls = {"fa": 0, "dcn": 0}
    for name, cell in (("fa", net.fa_blocks[0]), ("dcn", net.dcn_blocks[0])):
        original = cell.construct

        def counted(x, _name=name, _orig=original):
            calls[_name] += 1
            return _orig(x)

        cell.construct = counted
    out = net(ms.Tensor(np.random.default_rng(0).random((1, 3, 16, 20), dtype=np.float32)))
    assert calls == {"fa": 6, "dcn": 2}
    assert len(net.fa_blocks) == 1 and len(net.dcn_blocks) == 1
    assert out.shape == (1, 3, 16, 20)


def test_tiny_output_shape_range_and_size_check():
    net = aecrnet_tiny()
    assert 50_000 < count(net) < 400_000
    x = ms.Tensor(np.random.default_rng(1).random((2, 3, 24, 32), dtype=np.float32))
    y = net(x).asnumpy()
    assert y.shape == (2, 3, 24, 32)  # output_padding=1 brings H/4 back to H exactly
    assert np.all(np.abs(y) < 1)  # tanh
    with pytest.raises(ValueError, match="multiples of 4"):
        net(ms.Tensor(np.zeros((1, 3, 30, 32), np.float32)))


@pytest.mark.parametrize("head", ["tanh", "residual", "k_estimate"])
def test_output_heads_against_numpy(head):
    """With up3's weights zeroed and its bias c, the head alone decides the output (module docstring)."""
    net = aecrnet_tiny(head=head)
    assert count(net) == count(aecrnet_tiny())  # the heads add no parameters
    conv = net.up3[1]
    c = np.array([0.3, -0.2, 0.5], np.float32)
    conv.weight.set_data(ms.Tensor(np.zeros(conv.weight.shape, np.float32)))
    conv.bias.set_data(ms.Tensor(c))
    x = np.random.default_rng(6).random((2, 3, 8, 12), dtype=np.float32)
    c = c[None, :, None, None]
    expected = {
        "tanh": np.tanh(c) + 0 * x,
        "residual": x + np.tanh(c),
        "k_estimate": (1 + c) * (x - 1) + 1,  # AOD-Net: J = K (I - 1) + 1
    }[head]
    np.testing.assert_allclose(net(ms.Tensor(x)).asnumpy(), expected, atol=1e-6)


def test_head_arguments():
    with pytest.raises(ValueError, match="head must be one of"):
        AECRNet(head="sigmoid")
    with pytest.raises(ValueError, match="in_channels == out_channels"):
        AECRNet(in_channels=4, out_channels=3, head="residual")


def test_deform_impls_give_the_same_network():
    a = aecrnet_tiny()
    b = aecrnet_tiny(deform_impl="op")
    rng = np.random.default_rng(2)
    for p in a.dcn_blocks[0].conv_offset.get_parameters():  # non-zero offsets so the DCN really deforms
        p.set_data(ms.Tensor(rng.standard_normal(p.shape).astype(np.float32) * 0.05))
    ms.load_param_into_net(b, {p.name: p for p in a.get_parameters()})
    x = ms.Tensor(rng.random((1, 3, 16, 16), dtype=np.float32))
    np.testing.assert_allclose(a(x).asnumpy(), b(x).asnumpy(), atol=1e-5)


def test_adaptive_mixup_value_gradient_and_official_inits():
    rng = np.random.default_rng(3)
    a, b, g = (rng.standard_normal((2, 3, 4, 4)).astype(np.float32) for _ in range(3))
    mix = AdaptiveMixup(-1.0)
    s = 1 / (1 + np.exp(1.0))  # sigmoid(-1) = 0.2689
    np.testing.assert_allclose(mix(ms.Tensor(a), ms.Tensor(b)).asnumpy(), s * a + (1 - s) * b, atol=1e-6)
    grad_fn = ms.grad(
        lambda x, y: (mix(x, y) * ms.Tensor(g)).sum(), grad_position=None, weights=mix.trainable_params()
    )
    (grad_w,) = grad_fn(ms.Tensor(a), ms.Tensor(b))
    # d/dw [s a + (1 - s) b] = s (1 - s) (a - b)
    np.testing.assert_allclose(grad_w.asnumpy(), [s * (1 - s) * float((g * (a - b)).sum())], rtol=1e-4)
    net = AECRNet.tiny()
    np.testing.assert_allclose(net.mix1.w.asnumpy(), [-1.0])
    np.testing.assert_allclose(net.mix2.w.asnumpy(), [-0.6], rtol=1e-6)


class StubFeatures(nn.Cell):
    """Five cheap deterministic 'feature maps' standing in for frozen VGG in unit tests."""

    def construct(self, x):
        return (x, ops.avg_pool2d(x, 2, 2), ops.avg_pool2d(x, 4, 4), x * x, ops.tanh(3 * x))


def np_stub_features(x):
    pool = lambda z, k: z.reshape(z.shape[0], z.shape[1], z.shape[2] // k, k, z.shape[3] // k, k).mean(
        axis=(3, 5)
    )
    return [x, pool(x, 2), pool(x, 4), x * x, np.tanh(3 * x)]


class Constant(nn.Cell):
    """Returns the same image whatever the input: the loss of an untrained answer."""

    def __init__(self, image):
        super().__init__()
        self.image = ms.Tensor(image)

    def construct(self, x):
        return self.image


class Halve(nn.Cell):
    def construct(self, x):
        return 0.5 * x


@pytest.mark.parametrize("mode", ["full", "positive_only", "none"])
def test_aecr_loss_matches_formula(mode):
    rng = np.random.default_rng(4)
    hazy, clear = (rng.random((2, 3, 8, 8)).astype(np.float64) for _ in range(2))
    loss_fn = aecr_loss_fn(StubFeatures(), cr_weight=0.1, mode=mode)
    got = float(loss_fn(Halve(), (ms.Tensor(hazy, ms.float32), ms.Tensor(clear, ms.float32))).asnumpy())
    restored = 0.5 * hazy
    expected = np.abs(restored - clear).mean()  # L1
    if mode != "none":
        weights = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1)
        fr, fc, fh = np_stub_features(restored), np_stub_features(clear), np_stub_features(hazy)
        cr = 0.0
        for w, r, c, h in zip(weights, fr, fc, fh):
            ratio = np.abs(c - r).mean()  # anchor = restored, positive = clear
            if mode == "full":
                ratio /= np.abs(h - r).mean() + 1e-7  # negative = hazy
            cr += w * ratio
        expected += 0.1 * cr
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_aecr_loss_arguments():
    with pytest.raises(ValueError, match="mode must be one of"):
        aecr_loss_fn(StubFeatures(), mode="negative_only")
    with pytest.raises(ValueError, match="feature-extractor Cell"):
        aecr_loss_fn(lambda x: x)
    ones = ms.Tensor(np.ones((1, 3, 4, 4), np.float32))
    l1_only = aecr_loss_fn(mode="none")  # needs no feature extractor (no VGG weights)
    np.testing.assert_allclose(float(l1_only(Halve(), (ones, ones * 0)).asnumpy()), 0.5)


@pytest.mark.parametrize("head", ["tanh", "k_estimate"])
def test_tiny_aecrnet_loss_falls_in_graph_mode(head):
    from course_lib.train import fit

    rng = np.random.default_rng(5)
    clear = rng.random((2, 3, 16, 16)).astype(np.float32)
    hazy = (0.6 * clear + 0.4 * 0.9).astype(np.float32)  # I = J t + A (1 - t), t = 0.6, A = 0.9
    net = aecrnet_tiny(num_feat=8, head=head)
    history = fit(
        net,
        aecr_loss_fn(StubFeatures(), mode="full"),
        [(hazy, clear)] * 30,
        steps=30,
        lr=2e-3,
        batch_size=2,
        schedule="constant",
        mode="graph",
        progress=False,
    )
    losses = history.losses
    assert np.isfinite(losses).all()
    # measured with seed 0: tanh 0.60 -> 0.43, k_estimate 2.64 -> 0.16
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:3])
    # and below a constant output at the clear photos' mean, an answer that needs no learning at all
    constant = np.full_like(clear, clear.mean())
    best_constant = float(
        aecr_loss_fn(StubFeatures(), mode="full")(
            Constant(constant), (ms.Tensor(hazy), ms.Tensor(clear))
        ).asnumpy()
    )
    assert np.mean(losses[-5:]) < 0.8 * best_constant  # measured 0.62
