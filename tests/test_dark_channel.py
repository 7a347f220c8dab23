"""The dark channel prior as MindSpore ops, against the NumPy/SciPy implementation in course_lib.baselines
(itself written from He et al.'s equations) and, for the box filter, against a summed window in NumPy."""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
import pytest

from course_lib import baselines
from course_lib.data import degrade, heldout
from course_lib.layers import dark_channel as dc
from course_lib.models.aecrnet import aecrnet_tiny


@pytest.fixture(scope="module")
def hazy():
    _, lq, _ = heldout.haze_homogeneous(max_side=160)[0]
    return lq


def tensor(img):
    return ms.Tensor(np.ascontiguousarray(img.transpose(2, 0, 1)[None]))


def test_dark_channel_and_airlight_equal_numpy(hazy):
    dark = dc.dark_channel(tensor(hazy)).asnumpy()[0, 0]
    np.testing.assert_array_equal(dark, baselines.dark_channel(hazy))
    a = dc.airlight(tensor(hazy), dc.dark_channel(tensor(hazy))).asnumpy().ravel()
    np.testing.assert_allclose(a, baselines.atmospheric_light(hazy, baselines.dark_channel(hazy)), atol=1e-6)


def test_box_mean_is_the_mean_over_the_window_inside_the_image():
    x = np.random.default_rng(0).uniform(size=(1, 1, 9, 11)).astype(np.float32)
    r = 2
    expected = np.zeros_like(x)
    for i in range(9):
        for j in range(11):
            expected[0, 0, i, j] = x[0, 0, max(0, i - r) : i + r + 1, max(0, j - r) : j + r + 1].mean()
    np.testing.assert_allclose(dc.box_mean(ms.Tensor(x), r).asnumpy(), expected, atol=1e-6)


def test_transmission_and_recovery_match_numpy_away_from_the_border(hazy):
    r = 8
    a, t = dc.prior_transmission(tensor(hazy), radius=r)
    j = dc.recover(tensor(hazy), a, t).asnumpy()[0].transpose(1, 2, 0)
    j_ref, parts = baselines.dark_channel_prior(hazy, guided_radius=r, return_parts=True)
    inner = (slice(2 * r, -2 * r), slice(2 * r, -2 * r))  # the box filter differs only near the border
    np.testing.assert_allclose(t.asnumpy()[0, 0][inner], parts["t"][inner], atol=2e-3)
    np.testing.assert_allclose(np.clip(j, 0, 1)[inner], j_ref[inner], atol=2e-2)


def test_dcp_refine_head_starts_as_the_prior_and_trains_in_graph_mode(hazy):
    net = aecrnet_tiny(head="dcp_refine")
    net.set_train(False)
    x = tensor(hazy[:64, :64])
    a, t = dc.prior_transmission(x)
    expected = np.clip(dc.recover(x, a, ms.Tensor(np.clip(t.asnumpy(), 0.05, 0.95))).asnumpy(), 0, 1)
    np.testing.assert_allclose(net(x).asnumpy(), expected, atol=1e-5)
    from course_lib.losses.dehaze import aecr_loss_fn
    from course_lib.train import fit

    batch = [(tensor(hazy[:64, :64]).asnumpy(), np.full((1, 3, 64, 64), 0.4, np.float32))] * 4
    history = fit(net, aecr_loss_fn(mode="none"), batch, steps=4, lr=1e-3, batch_size=1, progress=False)
    assert history.loss[-1] < history.loss[0]  # graph mode: the prior's ops compile, the correction learns


def test_nonhomogeneous_haze_has_uneven_density_and_the_asked_mean_transmission():
    clean = np.full((64, 96, 3), 0.2, np.float32)
    depth = degrade.depth_prior((64, 96))
    rng = np.random.default_rng(3)
    hazy = degrade.nonhomogeneous_haze(clean, depth, rng, t_mean=0.5, airlight=0.9, tint=0.05)
    # with J constant, I = J t + A (1 - t) -> t = (A - I) / (A - J); A from the haziest pixels is unknown,
    # so check the recovered range instead: uneven along a row (the density field), and A within the tint.
    haze_amount = hazy.mean(axis=2) - 0.2
    row = haze_amount[32]
    assert row.max() - row.min() > 0.05  # a homogeneous haze over the ground-plane depth is flat along rows
    field = degrade.smooth_density((64, 96), np.random.default_rng(3))
    assert abs(field.mean() - 1.0) < 1e-5 and field.min() > 0
    with pytest.raises(ValueError, match="t_mean"):
        degrade.nonhomogeneous_haze(clean, depth, rng, t_mean=0.0)
