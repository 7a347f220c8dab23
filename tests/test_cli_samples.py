"""``python -m course_lib samples DIR``: the held-out test images, degraded as the formulas say, and nothing
existing overwritten or written through a link."""

import os

import numpy as np
import pytest
from PIL import Image

from course_lib.__main__ import main
from course_lib.data import photo


def read(path):
    return np.asarray(Image.open(path), dtype=np.float64) / 255


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s") / "samples"
    assert main(["samples", str(folder)]) == 0
    return folder


def shrunk_coffee():
    img = photo("coffee", 320)
    return img[: img.shape[0] // 4 * 4, : img.shape[1] // 4 * 4].astype(np.float64)


def test_the_hazy_photo_follows_the_scattering_model(samples):
    clean = shrunk_coffee()
    h = clean.shape[0]
    depth = 1 + 9 * ((h - np.arange(h) - 0.5) / h) ** 1.5  # ground-plane prior, deepest at the top
    beta = -np.log(0.4) / depth.mean()
    t = np.exp(-beta * depth)[:, None, None]
    want = clean * t + 0.85 * (1 - t)  # I = J t + A (1 - t), mean transmission 0.4, airlight 0.85
    np.testing.assert_allclose(read(samples / "hazy.png"), want, atol=0.51 / 255 + 1e-5)
    nh = read(samples / "hazy_nonhomogeneous.png")
    assert nh.shape == want.shape and np.abs(nh - want).mean() > 0.02  # another, uneven haze


def test_low_light_low_resolution_and_the_bracket(samples):
    clean = photo("coffee", 320).astype(np.float64)
    dark = read(samples / "low_light.png")
    assert dark.shape[0] % 12 == 0 and dark.shape[1] % 12 == 0  # Zero-DCE++ works at 1/12 resolution
    h, w = dark.shape[:2]
    linear = np.where(clean <= 0.04045, clean / 12.92, ((clean + 0.055) / 1.055) ** 2.4)[:h, :w]
    assert dark.mean() < 0.5 * clean.mean()
    dark_linear = np.where(dark <= 0.04045, dark / 12.92, ((dark + 0.055) / 1.055) ** 2.4)
    assert dark_linear.mean() == pytest.approx(0.2 * (linear**2).mean(), rel=0.1)  # exposure 0.2, gamma 2

    small = read(samples / "low_res.png")
    big = clean[: small.shape[0] * 2, : small.shape[1] * 2]
    block_means = big.reshape(small.shape[0], 2, small.shape[1], 2, 3).mean(axis=(1, 3))
    assert np.abs(small - block_means).mean() < 0.02  # bicubic x1/2 is close to the 2x2 average

    short, medium, long = (read(samples / "bracket" / f"{n}.png") for n in ("short", "medium", "long"))
    assert short.mean() < medium.mean() < long.mean()
    # -2 EV and +2 EV: a quarter and four times the light in linear terms, where nothing clips
    lin = [np.where(f <= 0.04045, f / 12.92, ((f + 0.055) / 1.055) ** 2.4) for f in (short, medium, long)]
    mid = (lin[1] > 0.1) & (lin[1] < 0.2)
    assert np.median(lin[0][mid] / lin[1][mid]) == pytest.approx(0.25, rel=0.1)
    assert np.median(lin[2][mid] / lin[1][mid]) == pytest.approx(4.0, rel=0.1)


def test_the_pairs_hold_clear_photos_and_their_hazy_versions(samples):
    lq = sorted(p.name for p in (samples / "haze_pairs" / "lq").iterdir())
    assert lq == sorted(p.name for p in (samples / "haze_pairs" / "gt").iterdir()) and len(lq) == 4
    np.testing.assert_allclose(read(samples / "haze_pairs" / "gt" / "coffee_t0.4_A0.85.png"), shrunk_coffee(),
                               atol=0.51 / 255 + 1e-5)  # fmt: skip
    np.testing.assert_array_equal(read(samples / "haze_pairs" / "lq" / "coffee_t0.4_A0.85.png"),
                                  read(samples / "hazy.png"))  # fmt: skip


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_nothing_is_overwritten_or_written_through_a_link(tmp_path, capsys):
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "hazy.png").write_bytes(b"mine")
    assert main(["samples", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hazy.png exists already" in err
    assert listing(folder) == ["hazy.png"] and (folder / "hazy.png").read_bytes() == b"mine"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    os.symlink(elsewhere, other / "bracket")
    assert main(["samples", str(other)]) == 2
    assert "bracket is a symbolic link" in capsys.readouterr().err
    assert listing(elsewhere) == [] and listing(other) == ["bracket"]

    third = tmp_path / "third"
    third.mkdir()
    os.symlink(tmp_path / "target.png", third / "low_res.png")  # a dangling link at a sample's name
    assert main(["samples", str(third)]) == 2
    assert "low_res.png exists already" in capsys.readouterr().err
    assert not (tmp_path / "target.png").exists()
