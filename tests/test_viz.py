"""Figures build outside Jupyter: the comparison falls back to a static figure."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import viz  # noqa: E402


def test_show_compare_and_history_outside_jupyter():
    img = np.random.default_rng(0).random((8, 10, 3))
    fig = viz.show([img, img.transpose(2, 0, 1), img[..., 0]], ["hwc", "chw", "gray"])
    assert len(fig.axes) == 3 and fig.axes[0].get_title() == "hwc"
    fig = viz.compare(img, img * 0.5)  # no notebook here: a static side-by-side figure
    assert [ax.get_title() for ax in fig.axes] == ["before", "after"]
    with pytest.raises(ValueError, match="same shape"):
        viz.compare(img, img[:4])
    fig = viz.plot_history({"step": [1, 2, 3], "loss": [1.0, 0.5, 0.25], "eval_step": [3], "psnr": [20.0]})
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes) == 2


def test_show_fixed_range_and_colorbar():
    """vmin/vmax put every map on one scale (two maps with different ranges no longer look alike)."""
    import matplotlib

    matplotlib.use("Agg")
    from course_lib import viz

    low, high = np.full((4, 4), 0.2), np.full((4, 4), 0.8)
    fig = viz.show([low, high], ["a", "b"], cmap="magma", vmin=0, vmax=1, colorbar=True)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert [im.get_clim() for im in images] == [(0, 1), (0, 1)]
    assert len(fig.axes) == 4  # two panels and two colour bars
    fig = viz.show([low, high], cmap="magma")
    assert [ax.images[0].get_clim() for ax in fig.axes if ax.images] == [(0.2, 0.2), (0.8, 0.8)]


def test_architecture_is_traced_from_the_network():
    """The diagram's blocks are the network's own children in call order, with their real output shapes."""
    import matplotlib

    matplotlib.use("Agg")
    from course_lib import viz
    from course_lib.models.sr_simple import SubPixelSR

    net = SubPixelSR(scale=2)
    calls = viz.trace_blocks(net, (1, 3, 16, 16))
    assert [c["name"] for c in calls][:3] == ["feature", "to_subpixels", "shuffle"]
    assert calls[2]["shape"] == (1, 3, 32, 32) and calls[1]["shape"] == (1, 12, 16, 16)
    assert sum(c["params"] for c in calls) <= sum(int(np.prod(p.shape)) for p in net.get_parameters())
    assert calls[2]["kind"] == "PixelShuffle" and calls[2]["params"] == 0
    fig = viz.architecture(net, (1, 3, 16, 16), title="ESPCN")
    assert "ESPCN" in fig.axes[0].get_title()
