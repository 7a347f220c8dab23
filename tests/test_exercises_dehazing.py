"""The dehazing notebooks' checkers: each accepts the right answer, rejects planted mistakes with a specific
message, and its NumPy reference agrees with the course_lib layer the notebook teaches."""

import mindspore as ms
import numpy as np
import pytest
from mindspore import ops

from course_lib.baselines import dark_channel_prior
from course_lib.exercises import dehazing as check
from course_lib.layers.attention import ChannelAttention, PixelAttention
from course_lib.layers.deform import offsets_torch_to_mindspore, sample_taps
from course_lib.layers.mixup import AdaptiveMixup
from course_lib.losses.contrastive import contrastive_from_features
from instructor.exercises import dehazing as answers  # the references behind the stored outputs


def _set_conv(conv, w, b):
    conv.weight.set_data(ms.Tensor(w[:, :, None, None].astype(np.float32)))
    conv.bias.set_data(ms.Tensor(b.astype(np.float32)))


@pytest.mark.parametrize("kind", ["channel", "pixel"])
def test_attention_references_match_course_lib(kind):
    rng = np.random.default_rng(0)
    x, w1, b1, w2, b2 = answers._attention_case(rng, c=16, out=16 if kind == "channel" else 1)
    if kind == "channel":
        layer, ref = ChannelAttention(16), answers.channel_attention_reference
        _set_conv(layer.squeeze, w1, b1)
        _set_conv(layer.excite, w2, b2)
    else:
        layer, ref = PixelAttention(16), answers.pixel_attention_reference
        _set_conv(layer.squeeze, w1, b1)
        _set_conv(layer.to_map, w2, b2)
    got = layer(ms.Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ref(x, w1, b1, w2, b2), rtol=1e-4, atol=1e-5)


def test_channel_attention_checker():
    assert check.check_channel_attention(answers.channel_attention_reference)
    v = check.check_channel_attention(
        lambda x, w1, b1, w2, b2: (
            x
            * answers._sigmoid(
                answers._conv1x1(np.maximum(answers._conv1x1(x.max((2, 3), keepdims=True), w1, b1), 0), w2, b2)
            )
        )
    )
    assert not v and "AVERAGE pooling" in v.message
    v = check.check_channel_attention(lambda x, w1, b1, w2, b2: None)
    assert not v and "return" in v.message


def test_pixel_attention_checker():
    assert check.check_pixel_attention(answers.pixel_attention_reference)
    v = check.check_pixel_attention(lambda x, w1, b1, w2, b2: x * answers._sigmoid(x.mean(1, keepdims=True)))
    assert not v and "two 1x1 convs" in v.message
    v = check.check_pixel_attention(
        lambda x, w1, b1, w2, b2: x * answers._conv1x1(np.maximum(answers._conv1x1(x, w1, b1), 0), w2, b2)
    )
    assert not v and "sigmoid" in v.message


def test_bilinear_reference_matches_sample_taps():
    """One 3x3 tap set of the DCN's sampler (1 channel) equals the NumPy bilinear sampler."""
    rng = np.random.default_rng(1)
    img = rng.random((5, 6)).astype(np.float32)
    om = np.concatenate([rng.uniform(-2.5, 2.5, (1, 18, 5, 6)), rng.random((1, 9, 5, 6))], axis=1).astype(
        np.float32
    )
    om[:, 18:] = 1.0  # unit masks: pure sampling
    taps = sample_taps(ms.Tensor(img[None, None]), ms.Tensor(om)).asnumpy()[0, :, :, 0]  # (H*W, 9)
    r, c = np.meshgrid(np.arange(5), np.arange(6), indexing="ij")
    k = np.arange(9)
    rows = (r.reshape(-1, 1) - 1 + k // 3) + om[0, 9:18].reshape(9, -1).T
    cols = (c.reshape(-1, 1) - 1 + k % 3) + om[0, 0:9].reshape(9, -1).T
    ref = answers.bilinear_sample_reference(img, rows.ravel(), cols.ravel()).reshape(30, 9)
    np.testing.assert_allclose(taps, ref, rtol=1e-5, atol=1e-6)


def test_bilinear_checker():
    assert check.check_bilinear_sample(answers.bilinear_sample_reference)
    v = check.check_bilinear_sample(lambda img, r, c: answers.bilinear_sample_reference(img.T, r, c))
    assert not v and "swapped" in v.message

    def nearest(img, r, c):
        h, w = img.shape
        rr, cc = np.round(r).astype(int), np.round(c).astype(int)
        ok = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        return np.where(ok, img[rr.clip(0, h - 1), cc.clip(0, w - 1)], 0)

    v = check.check_bilinear_sample(nearest)
    assert not v and "nearest-neighbour" in v.message

    def clamped(img, r, c):  # the usual bug: clamp every neighbour into the image instead of reading 0
        h, w = img.shape
        r0, c0 = np.floor(r), np.floor(c)
        out = 0
        for dr in (0, 1):
            for dc in (0, 1):
                g = (1 - np.abs(r0 + dr - r)) * (1 - np.abs(c0 + dc - c))
                out = (
                    out
                    + g * img[np.clip(r0 + dr, 0, h - 1).astype(int), np.clip(c0 + dc, 0, w - 1).astype(int)]
                )
        return out

    v = check.check_bilinear_sample(clamped)
    assert not v and "must read 0" in v.message


def test_offsets_checker_and_library_agree():
    rng = np.random.default_rng(2)
    off, mask = rng.normal(size=(1, 18, 2, 3)).astype(np.float32), rng.random((1, 9, 2, 3)).astype(np.float32)
    lib = offsets_torch_to_mindspore(ms.Tensor(off), ms.Tensor(mask)).asnumpy()
    np.testing.assert_array_equal(lib, answers.offsets_torch_to_mindspore_reference(off, mask))
    assert check.check_offsets_to_mindspore(answers.offsets_torch_to_mindspore_reference)
    v = check.check_offsets_to_mindspore(lambda o, m: np.concatenate([o[:, 0::2], o[:, 1::2], m], 1))
    assert not v and "dx and dy are swapped" in v.message
    v = check.check_offsets_to_mindspore(lambda o, m: np.concatenate([o[:, :9], o[:, 9:], m], 1))
    assert not v and "interleaves" in v.message


def test_mixup_checker_and_library_agree():
    a, b = np.full((1, 2, 2, 2), 3.0, np.float32), np.full((1, 2, 2, 2), -1.0, np.float32)
    lib = AdaptiveMixup(-0.6)(ms.Tensor(a), ms.Tensor(b)).asnumpy()
    np.testing.assert_allclose(lib, answers.adaptive_mixup_reference(a, b, -0.6), rtol=1e-6)
    s = 1 / (1 + np.exp(0.6))  # sigmoid(-0.6) = 0.354, the official init of mix2
    np.testing.assert_allclose(lib, 3 * s - (1 - s), rtol=1e-6)
    assert check.check_adaptive_mixup(answers.adaptive_mixup_reference)
    v = check.check_adaptive_mixup(lambda a, b, w: w * a + (1 - w) * b)
    assert not v and "sigmoid(w)" in v.message
    v = check.check_adaptive_mixup(lambda a, b, w: answers.adaptive_mixup_reference(b, a, w))
    assert not v and "swapped" in v.message


def test_contrastive_checker_and_library_agree():
    rng = np.random.default_rng(3)
    feats = [[rng.random((2, 3, 4, 4)).astype(np.float32) for _ in range(5)] for _ in range(3)]
    lib = contrastive_from_features(
        [ms.Tensor(f) for f in feats[0]],
        [ms.Tensor(f) for f in feats[1]],
        [ops.expand_dims(ms.Tensor(f), 0) for f in feats[2]],
    )
    np.testing.assert_allclose(float(lib.asnumpy()), answers.contrastive_reference(*feats), rtol=1e-5)
    assert check.check_contrastive(answers.contrastive_reference)
    v = check.check_contrastive(lambda a, p, n, w: answers.contrastive_reference(a, n, p, w))
    assert not v and "upside down" in v.message
    v = check.check_contrastive(lambda a, p, n, w: answers.contrastive_reference(a, p, n, (1.0,) * 5))
    assert not v and "weighted" in v.message


def test_dcp_recover_checker_and_library_agree():
    rng = np.random.default_rng(4)
    hazy = rng.uniform(0.3, 1.0, (20, 24, 3)).astype(np.float32)
    j, parts = dark_channel_prior(hazy, patch=3, guided_radius=2, return_parts=True)
    np.testing.assert_allclose(j, answers.dcp_recover_reference(hazy, parts["t"], parts["A"]), atol=1e-5)
    assert check.check_dcp_recover(answers.dcp_recover_reference)
    v = check.check_dcp_recover(lambda h, t, a, t0: np.clip((h - a) / t[..., None] + a, 0, 1))
    assert not v and "max(t, t0)" in v.message
    v = check.check_dcp_recover(lambda h, t, a, t0: (h - a) / np.maximum(t, t0)[..., None] + a)
    assert not v and "outside [0, 1]" in v.message
