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
