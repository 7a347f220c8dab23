"""benchmarks/real_photos.py --ckpt: a dehazing try is an AECR-Net with the paper's head or, with the keyword
``method``, another dehazer's registry network; anything else is refused with a message naming the fix."""

import importlib.util

import mindspore as ms
import numpy as np
import pytest

from conftest import REPO
from course_lib.models import get_method
from course_lib.weights import WeightsError

spec = importlib.util.spec_from_file_location("real_photos", REPO / "benchmarks" / "real_photos.py")
real_photos = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real_photos)


def test_a_try_of_another_dehazer_is_loaded_into_its_registry_network(tmp_path):
    net = get_method("srktdn").build()
    ms.save_checkpoint(net, str(tmp_path / "srktdn.ckpt"))
    restore = real_photos.try_restorers([("srktdn try", {"method": "srktdn"}, str(tmp_path / "srktdn.ckpt"))])
    out = restore["srktdn try"](np.full((32, 48, 3), 0.5, np.float32))
    assert out.shape == (32, 48, 3) and np.isfinite(out).all()


def test_a_wider_ktdn_try_is_built_with_its_planes(tmp_path):
    from course_lib.models.srktdn import ktdn

    ms.save_checkpoint(ktdn("compact", planes=(58, 18, 24)), str(tmp_path / "ktdn.ckpt"))
    kw = {"method": "ktdn", "planes": (58, 18, 24)}
    restore = real_photos.try_restorers([("wide", kw, str(tmp_path / "ktdn.ckpt"))])
    out = restore["wide"](np.full((32, 48, 3), 0.5, np.float32))
    assert out.shape == (32, 48, 3) and np.isfinite(out).all()
    with pytest.raises(WeightsError, match="do not fit this network"):  # the registry's compact ktdn
        real_photos.try_restorers([("compact", {"method": "ktdn"}, str(tmp_path / "ktdn.ckpt"))])


def test_a_try_that_does_not_fit_is_refused(tmp_path):
    ms.save_checkpoint(get_method("srktdn").build(), str(tmp_path / "srktdn.ckpt"))
    with pytest.raises(ValueError, match="not a dehazer; choose from"):
        real_photos.try_restorers([("x", {"method": "espcn"}, str(tmp_path / "srktdn.ckpt"))])
    with pytest.raises(ValueError, match="apply to aecrnet and ktdn only"):
        real_photos.try_restorers(
            [("x", {"method": "srktdn", "num_feat": 32}, str(tmp_path / "srktdn.ckpt"))]
        )
    with pytest.raises(WeightsError, match="do not fit this network"):
        real_photos.try_restorers(
            [("x", {}, str(tmp_path / "srktdn.ckpt"))]
        )  # an srktdn file into aecrnet_tiny


def test_the_pattern_benchmark_finds_a_planted_pattern():
    found = importlib.util.spec_from_file_location("dehazer_pattern", REPO / "benchmarks" / "dehazer_pattern.py")
    pattern = importlib.util.module_from_spec(found)
    found.loader.exec_module(pattern)
    y, x = np.mgrid[:64, :96]
    photo = np.repeat((0.3 + 0.4 * (x + y) / 160)[..., None], 3, axis=2)  # smooth: no top band of its own
    stripes = 0.01 * np.cos(np.pi * x) * np.cos(np.pi * y / 4)  # columns alternate, sign flips every 4 rows
    peaks = pattern.top_peaks(photo + stripes[..., None], photo, count=1)
    assert [(abs(fy), abs(fx)) for fy, fx, _ in peaks] == [(0.25, 1.0)] and peaks[0][2] > 100
    flat = np.full((64, 64, 3), 0.5) + 0.01 * np.cos(np.pi * np.arange(64))[None, :, None]
    rows, cols, diag = pattern.alternation(flat)
    assert abs(rows) < 1e-9 and cols == pytest.approx(255 * 0.01) and abs(diag) < 1e-9
