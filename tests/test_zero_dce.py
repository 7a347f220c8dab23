"""Zero-DCE / Zero-DCE++: LE-curve, networks, losses, official weights, weight download.

References (independent of the code under test):
* the official PyTorch weights and the outputs of the official model code on crops of official test
  images, in ../shared/reference_data/zerodce (README there): outputs within 1e-4, losses within 1e-4
  relative;
* the MindSpore contrib checkpoints (a different training) must load and brighten the same crop;
* published parameter counts (79,416 and 10,561);
* NumPy code written from Eq. (1) and from the official loss code, and finite differences of it.
"""

import shutil
import sys
from pathlib import Path

import mindspore as ms
import numpy as np
import pytest

from course_lib.layers.curves import apply_curves, le_curve
from course_lib.losses import zero_reference as zr
from course_lib.models.zero_dce import ZeroDCE, ZeroDCEPP, load_official, load_official_state
from course_lib.safe_pickle import load_torch_state_dict

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference_data" / "zerodce"
PTH = REF / "zero_dce_official" / "Epoch99.pth"
PTH_PP = REF / "zero_dce_pp_official" / "Epoch99.pth"
CKPT = REF / "mindspore_contrib_ckpt" / "zero_dce_epoch99.ckpt"
CKPT_PP = REF / "mindspore_contrib_ckpt" / "zero_dcepp_epoch99.ckpt"

pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"reference data not found at {REF}")


@pytest.fixture(scope="module")
def parity():
    return dict(np.load(REF / "reference_outputs" / "zerodce_parity_DICM27_crop96.npz"))


def _max_abs(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


# --- LE-curve ---------------------------------------------------------------------------------------


def test_le_curve_matches_numpy_formula():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 5, 7), dtype=np.float32)
    alpha = rng.uniform(-1, 1, (2, 3, 5, 7)).astype(np.float32)
    expected = x + alpha * x * (1.0 - x)  # Eq. (1)
    np.testing.assert_allclose(le_curve(ms.Tensor(x), ms.Tensor(alpha)).asnumpy(), expected, atol=1e-7)


def test_le_curve_stays_in_unit_interval_and_is_monotonic():
    x = np.linspace(0, 1, 1001, dtype=np.float32)[None, :]
    alpha = np.linspace(-1, 1, 41, dtype=np.float32)[:, None]
    y = le_curve(ms.Tensor(x), ms.Tensor(alpha)).asnumpy()  # (41, 1001), broadcast
    assert y.min() >= 0.0 and y.max() <= 1.0 + 1e-7
    assert y[:, 0].max() == 0.0 and np.all(np.abs(y[:, -1] - 1.0) < 1e-7)  # fixed end points
    assert np.diff(y, axis=1).min() >= -1e-7  # monotonic in x for every alpha
    assert np.all(y[alpha[:, 0] > 0, 500] > 0.5) and np.all(
        y[alpha[:, 0] < 0, 500] < 0.5
    )  # alpha>0 brightens


def test_le_curve_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.random((1, 3, 4, 4), dtype=np.float32)
    alpha = rng.uniform(-1, 1, (1, 3, 4, 4)).astype(np.float32)
    w = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)

    def objective(x, a):
        return (le_curve(x, a) * ms.Tensor(w)).sum()

    gx, ga = ms.grad(objective, grad_position=(0, 1))(ms.Tensor(x), ms.Tensor(alpha))

    def f64(x, a):  # float64 NumPy reference of the objective
        return float((w.astype(np.float64) * (x + a * x * (1 - x))).sum())

    eps = 1e-4
    x64, a64 = x.astype(np.float64), alpha.astype(np.float64)
    for index in [(0, 0, 0, 0), (0, 1, 2, 3), (0, 2, 3, 1)]:
        dx = np.zeros_like(x64)
        dx[index] = eps
        fd_x = (f64(x64 + dx, a64) - f64(x64 - dx, a64)) / (2 * eps)
        fd_a = (f64(x64, a64 + dx) - f64(x64, a64 - dx)) / (2 * eps)
        np.testing.assert_allclose(gx.asnumpy()[index], fd_x, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ga.asnumpy()[index], fd_a, rtol=1e-4, atol=1e-6)


def test_apply_curves_per_iteration_and_shared_maps():
    rng = np.random.default_rng(2)
    x = rng.random((1, 3, 4, 5), dtype=np.float32)
    maps = rng.uniform(-1, 1, (1, 24, 4, 5)).astype(np.float32)
    expected = x.copy()
    for n in range(8):
        a = maps[:, 3 * n : 3 * n + 3]
        expected = expected + a * expected * (1 - expected)
    np.testing.assert_allclose(apply_curves(ms.Tensor(x), ms.Tensor(maps)).asnumpy(), expected, atol=1e-6)
    shared = maps[:, :3]
    expected = x.copy()
    for _ in range(8):
        expected = expected + shared * expected * (1 - expected)
    np.testing.assert_allclose(apply_curves(ms.Tensor(x), ms.Tensor(shared)).asnumpy(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="needs 3 .* or 24"):
        apply_curves(ms.Tensor(x), ms.Tensor(maps[:, :6]))


# --- networks -----------------------------------------------------------------------------------------


def test_parameter_counts_match_published():
    assert sum(p.size for p in ZeroDCE().get_parameters()) == 79_416
    assert sum(p.size for p in ZeroDCEPP().get_parameters()) == 10_561


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="multiples of scale_factor=12"):
        ZeroDCEPP(scale_factor=12)(ms.Tensor(np.zeros((1, 3, 30, 36), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        ZeroDCE()(ms.Tensor(np.zeros((1, 1, 16, 16), np.float32)))
    with pytest.raises(FileNotFoundError, match="fetch_weights"):
        load_official(REF / "no_such_file.pth")


def test_official_pth_is_read_without_torch():
    state = load_torch_state_dict(PTH)
    assert state["e_conv1.weight"].shape == (32, 3, 3, 3) and state["e_conv7.weight"].shape == (24, 64, 3, 3)
    assert sum(v.size for v in state.values()) == 79_416
    state_pp = load_torch_state_dict(PTH_PP)
    assert state_pp["e_conv5.depth_conv.weight"].shape == (64, 1, 3, 3)
    assert state_pp["e_conv7.point_conv.weight"].shape == (3, 64, 1, 1)
    assert sum(v.size for v in state_pp.values()) == 10_561
    assert all(v.dtype == np.float32 for v in [*state.values(), *state_pp.values()])


def test_zero_dce_official_outputs(parity):
    net = load_official(PTH)
    assert isinstance(net, ZeroDCE)
    enhanced, after_4, r = net(ms.Tensor(parity["input"][None]))
    assert _max_abs(after_4.asnumpy()[0], parity["zdce_enhance_image_1"]) < 1e-4
    assert _max_abs(enhanced.asnumpy()[0], parity["zdce_enhance_image"]) < 1e-4
    assert _max_abs(r.asnumpy()[0], parity["zdce_r"]) < 1e-4


@pytest.mark.parametrize("scale", [1, 12])
def test_zero_dce_pp_official_outputs(parity, scale):
    net = load_official(PTH_PP, scale_factor=scale)
    assert isinstance(net, ZeroDCEPP) and net.scale_factor == scale
    enhanced, r = net(ms.Tensor(parity["input"][None]))
    assert _max_abs(enhanced.asnumpy()[0], parity[f"zdcepp_s{scale}_enhance"]) < 1e-4
    assert _max_abs(r.asnumpy()[0], parity[f"zdcepp_s{scale}_r"]) < 1e-4


def test_official_outputs_on_more_images():
    more = np.load(REF / "extra" / "official_outputs_more.npz")
    net = load_official(PTH)
    x = np.stack([more["zdce_DICM_03_in"], more["zdce_DICM_07_in"]])
    enhanced, after_4, _ = net(ms.Tensor(x))
    for i, name in enumerate(["DICM_03", "DICM_07"]):
        assert _max_abs(after_4.asnumpy()[i], more[f"zdce_{name}_e1"]) < 1e-4
        assert _max_abs(enhanced.asnumpy()[i], more[f"zdce_{name}_out"]) < 1e-4
    for scale in (1, 12):
        net = load_official(PTH_PP, scale_factor=scale)
        x = np.stack([more[f"zpp_s{scale}_101_1__in"], more[f"zpp_s{scale}_11_0__in"]])
        enhanced = net(ms.Tensor(x))[0].asnumpy()
        assert _max_abs(enhanced[0], more[f"zpp_s{scale}_101_1__out"]) < 1e-4
        assert _max_abs(enhanced[1], more[f"zpp_s{scale}_11_0__out"]) < 1e-4


def test_graph_mode_gives_the_official_outputs(parity):
    net = load_official(PTH_PP, scale_factor=12)

    @ms.jit
    def forward(x):
        return net(x)[0]

    enhanced = forward(ms.Tensor(parity["input"][None])).asnumpy()[0]
    assert _max_abs(enhanced, parity["zdcepp_s12_enhance"]) < 1e-4


@pytest.mark.parametrize("path, cls", [(CKPT, ZeroDCE), (CKPT_PP, ZeroDCEPP)])
def test_mindspore_contrib_checkpoints_load_and_brighten(parity, path, cls):
    net = load_official(path)
    assert isinstance(net, cls)
    stored = ms.load_checkpoint(str(path))
    for p in net.get_parameters():  # the weights really are the file's (Adam moments ignored)
        np.testing.assert_array_equal(p.asnumpy(), stored[p.name].asnumpy())
    x = parity["input"][None]
    enhanced = net(ms.Tensor(x))[0].asnumpy()
    assert enhanced.shape == x.shape
    assert enhanced.min() >= 0.0 and enhanced.max() <= 1.0
    assert enhanced.mean() > 3 * x.mean()  # 0.031 -> about 0.2 with the PyTorch weights


def test_state_dicts_of_pth_and_ckpt_share_names():
    assert set(load_official_state(PTH)) == set(load_official_state(CKPT))
    assert set(load_official_state(PTH_PP)) == set(load_official_state(CKPT_PP))


# --- losses -------------------------------------------------------------------------------------------


def _np_pool(y, k):  # (N, 1, H, W) -> non-overlapping k x k means, truncating like nn.AvgPool2d
    n, c, h, w = y.shape
    y = y[:, :, : h // k * k, : w // k * k]
    return y.reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))


def np_spa(enhanced, low):
    def diffs(y):
        p = np.pad(y, ((0, 0), (0, 0), (1, 1), (1, 1)))
        h, w = y.shape[2:]
        return [
            y - p[:, :, 1 : h + 1, 0:w],
            y - p[:, :, 1 : h + 1, 2:],
            y - p[:, :, 0:h, 1 : w + 1],
            y - p[:, :, 2:, 1 : w + 1],
        ]

    yi = _np_pool(low.mean(axis=1, keepdims=True), 4)
    ye = _np_pool(enhanced.mean(axis=1, keepdims=True), 4)
    return sum((a - b) ** 2 for a, b in zip(diffs(yi), diffs(ye))).mean()


def np_exp(enhanced, level=0.6):
    return ((_np_pool(enhanced.mean(axis=1, keepdims=True), 16) - level) ** 2).mean()


def np_col(enhanced):
    m = enhanced.mean(axis=(2, 3))
    r, g, b = m[:, 0], m[:, 1], m[:, 2]
    return np.sqrt((r - g) ** 4 + (r - b) ** 4 + (b - g) ** 4).mean()


def np_tv(a):
    n, _, h, w = a.shape
    h_tv = ((a[:, :, 1:] - a[:, :, :-1]) ** 2).sum()
    w_tv = ((a[:, :, :, 1:] - a[:, :, :, :-1]) ** 2).sum()
    return 2 * (h_tv / ((h - 1) * w) + w_tv / (h * (w - 1))) / n


@pytest.mark.parametrize(
    "name, ms_fn, np_fn, arg",
    [
        ("spa", lambda e, low: zr.spatial_consistency_loss(e, low), np_spa, "enhanced"),
        ("exp", lambda e, low: zr.exposure_loss(e), lambda e, low: np_exp(e), "enhanced"),
        ("exp E 0.41", lambda e, low: zr.exposure_loss(e, 0.41), lambda e, low: np_exp(e, 0.41), "enhanced"),
        ("col", lambda e, low: zr.color_constancy_loss(e), lambda e, low: np_col(e), "enhanced"),
        ("tv", lambda a, low: zr.illumination_smoothness_loss(a), lambda a, low: np_tv(a), "maps"),
    ],
)
def test_loss_terms_match_numpy_and_finite_differences(name, ms_fn, np_fn, arg):
    rng = np.random.default_rng(3)
    low = rng.random((2, 3, 32, 32)).astype(np.float32) * 0.3
    first = rng.random((2, 3, 32, 32)).astype(np.float32) if arg == "enhanced" else None
    if arg == "maps":
        first = rng.uniform(-1, 1, (2, 6, 32, 32)).astype(np.float32)
    value = ms_fn(ms.Tensor(first), ms.Tensor(low))
    np.testing.assert_allclose(
        float(value), np_fn(first.astype(np.float64), low.astype(np.float64)), rtol=1e-5
    )
    grad = ms.grad(ms_fn, grad_position=0)(ms.Tensor(first), ms.Tensor(low)).asnumpy()
    x64, low64, eps = first.astype(np.float64), low.astype(np.float64), 1e-6
    for index in [(0, 0, 0, 0), (1, 2, 17, 5), (0, 1, 31, 31), (1, 0, 8, 23)]:
        dx = np.zeros_like(x64)
        dx[index] = eps
        fd = (np_fn(x64 + dx, low64) - np_fn(x64 - dx, low64)) / (2 * eps)
        np.testing.assert_allclose(grad[index], fd, rtol=2e-3, atol=1e-8, err_msg=f"{name} at {index}")


@pytest.mark.parametrize("kind", ["zdce", "zdcepp_s1"])
def test_losses_match_official_values(parity, kind):
    x = ms.Tensor(parity["input"][None])
    if kind == "zdce":
        net, tv_weight = load_official(PTH), 200
    else:
        net, tv_weight = load_official(PTH_PP, scale_factor=1), 1600
    out = net(x)
    terms = [float(t) for t in zr.zero_reference_terms(out[0], out[-1], x, tv_weight)]
    np.testing.assert_allclose(terms, parity[f"{kind}_losses"], rtol=1e-4)
    loss_fn = zr.zero_dce_loss_fn if kind == "zdce" else zr.zero_dce_pp_loss_fn
    np.testing.assert_allclose(float(loss_fn(net, (x,))), parity[f"{kind}_losses"].sum(), rtol=1e-4)


@pytest.mark.parametrize("kind", ["zdce"])
def test_colour_weight_scales_only_the_colour_term_of_the_official_values(parity, kind):
    x = ms.Tensor(parity["input"][None])
    out = load_official(PTH)(x)
    official = parity[f"{kind}_losses"]  # code weights: tv 200, spa 1, col 5, exp 10
    terms = [float(t) for t in zr.zero_reference_terms(out[0], out[-1], x, 200, colour_weight=0.5)]
    np.testing.assert_allclose(terms, official * np.array([1, 1, 0.1, 1]), rtol=1e-4)
    loss = float(zr.make_loss_fn(200, colour_weight=0.5)(load_official(PTH), (x,)))
    np.testing.assert_allclose(loss, (official * np.array([1, 1, 0.1, 1])).sum(), rtol=1e-4)


def test_loss_fn_compiles_and_the_loss_falls():
    ms.set_seed(0)
    rng = np.random.default_rng(4)
    low = ms.Tensor((rng.random((1, 3, 32, 32)) * 0.15).astype(np.float32))
    net = ZeroDCEPP(scale_factor=1)
    optimizer = ms.nn.Adam(net.trainable_params(), learning_rate=1e-3)

    def objective(low):
        return zr.zero_dce_pp_loss_fn(net, (low,))

    value_and_grad = ms.value_and_grad(objective, None, optimizer.parameters)

    @ms.jit
    def step(low):
        loss, grads = value_and_grad(low)
        optimizer(grads)
        return loss

    losses = [float(step(low)) for _ in range(8)]
    assert np.isfinite(losses).all() and losses[-1] < 0.9 * losses[0]


# --- weight download ----------------------------------------------------------------------------------


def _fetch_weights_module():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data_scripts"))
    try:
        import fetch_weights
    finally:
        sys.path.pop(0)
    return fetch_weights


def test_fetch_weights_checksums_and_offline_download(tmp_path):
    fw = _fetch_weights_module()
    assert fw.verify(PTH, fw.WEIGHTS["zero_dce"]["sha256"]) == PTH
    assert fw.verify(PTH_PP, fw.WEIGHTS["zero_dce_pp"]["sha256"]) == PTH_PP
    assert PTH.stat().st_size == fw.WEIGHTS["zero_dce"]["bytes"]
    # a "download" from a local file:// URL lands in the cache with the right name
    path = fw.fetch("zero_dce_pp", tmp_path / "cache", url=PTH_PP.as_uri(), quiet=True)
    assert path.read_bytes() == PTH_PP.read_bytes()
    # a corrupted source is refused and leaves nothing behind
    bad = tmp_path / "bad.pth"
    shutil.copy(PTH, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01")
    with pytest.raises(fw.ChecksumError, match="expected"):
        fw.fetch("zero_dce", tmp_path / "cache2", url=bad.as_uri(), quiet=True)
    assert list((tmp_path / "cache2").iterdir()) == []


def test_colour_constancy_gradient_is_finite_when_channel_means_are_equal():
    # A saturated or black crop has equal channel means; sqrt's gradient at 0 was NaN and killed training.
    grey = ms.Tensor(np.full((2, 3, 8, 8), 0.5, np.float32))
    grad = ms.grad(lambda t: zr.color_constancy_loss(t))(grey).asnumpy()
    assert np.isfinite(grad).all()


def test_the_loss_functions_exposure_level_is_eq_5s_e():
    rng = np.random.default_rng(5)
    low = rng.random((2, 3, 32, 32)).astype(np.float32) * 0.3
    enhanced = rng.random((2, 3, 32, 32)).astype(np.float32)
    maps = rng.uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    t = [ms.Tensor(a) for a in (enhanced, maps, low)]
    at_06, at_041 = zr.zero_dce_loss(*t), zr.zero_dce_loss(*t, exposure_level=0.41)
    expected = 10 * (np_exp(enhanced.astype(np.float64), 0.41) - np_exp(enhanced.astype(np.float64), 0.6))
    np.testing.assert_allclose(float(at_041) - float(at_06), expected, atol=1e-4)  # float32 totals


def _np_colour_against_input(enhanced, low):
    # L_col with the input's channel offsets, scaled by the brightness gain, as the reference instead of grey
    m, m_in = enhanced.mean(axis=(2, 3)), low.mean(axis=(2, 3))
    gain = m.mean(axis=1, keepdims=True) / m_in.mean(axis=1, keepdims=True)
    d = m - gain * (m_in - m_in.mean(axis=1, keepdims=True))
    k = (d[:, 0] - d[:, 1]) ** 4 + (d[:, 0] - d[:, 2]) ** 4 + (d[:, 2] - d[:, 1]) ** 4
    return np.sqrt(k).mean()


def test_colour_term_against_the_input_keeps_a_warm_photo_warm():
    rng = np.random.default_rng(7)
    low = (rng.random((2, 3, 16, 16)) * np.array([0.3, 0.2, 0.1])[None, :, None, None]).astype(np.float32)
    brighter = np.clip(low * 3.0, 0, 1).astype(np.float32)  # the same colour balance, three times brighter
    other = rng.random((2, 3, 16, 16)).astype(np.float32)
    t = ms.Tensor
    assert float(zr.color_constancy_loss(t(brighter), t(low))) < 1e-8  # the input's balance kept: no penalty
    assert float(zr.color_constancy_loss(t(brighter))) > 1e-3  # the paper's grey world penalises the warmth
    np.testing.assert_allclose(float(zr.color_constancy_loss(t(other), t(low))),
                               _np_colour_against_input(other.astype(np.float64), low.astype(np.float64)), rtol=1e-4)
    with pytest.raises(ValueError, match="colour_reference"):
        zr.make_loss_fn(colour_reference="white")
