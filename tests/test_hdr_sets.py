"""Real HDR sets offline: Kalantari and NTIRE scenes written here in their published formats, fetched
from archives, read by ``course_lib.data.hdr_sets`` and scored by the command line.

The reference for the units is the imaging formula itself: a frame at relative exposure t records
``LDR = (H_set * t)^(1/2.2)``; after reading, the course's HDR-domain input of the medium frame,
``LDR_medium^2.2 / 2^0``, must equal ``PEAK * H`` = 4 H (course_lib.data.hdr) wherever it is not clipped.
"""

import importlib.util
import sys
import zipfile

import numpy as np
import png
import pytest
import tifffile
from PIL import Image

from conftest import REPO
from course_lib.__main__ import main
from course_lib.data.hdr import PEAK
from course_lib.data.hdr_io import save_hdr
from course_lib.data.hdr_sets import HDRSceneFolder, kalantari_scene, ntire_scene

spec = importlib.util.spec_from_file_location("fetch_datasets", REPO / "data_scripts" / "fetch_datasets.py")
fetch = importlib.util.module_from_spec(spec)
sys.modules["fetch_datasets"] = fetch
spec.loader.exec_module(fetch)

H, W = 64, 96


def _radiance(seed):
    """A smooth HDR scene with values in [0.002, 1.2]: bright enough to clip the medium and long frames."""
    y, x = np.mgrid[0:H, 0:W] / np.array([H, W])[:, None, None]
    base = 0.002 + 1.2 * (0.5 + 0.5 * np.sin(3 * x + seed)) * y
    return np.stack([base, base * 0.8, base * 0.6], -1).astype(np.float32)


def _kalantari_scene(folder, evs, seed=0):
    """Kalantari's layout: 3 16-bit TIFFs, exposure.txt (stops), HDRImg.hdr in short-exposure units."""
    folder.mkdir(parents=True)
    hdr = _radiance(seed)
    stops = np.asarray(evs, float) - evs[0]  # Kalantari writes them from the short frame, e.g. 0 2 4
    for name, s in zip(("262A0898", "262A0899", "262A0900"), stops):
        ldr = np.clip(hdr * 2.0**s, 0, 1) ** (1 / 2.2)
        tifffile.imwrite(folder / f"{name}.tif", np.round(ldr * 65535).astype(np.uint16), photometric="rgb")
    (folder / "exposure.txt").write_text("\n".join(f"{v:g}" for v in stops) + "\n")
    save_hdr(folder / "HDRImg.hdr", hdr)
    return hdr


def _ntire_frame(folder, key, evs=(-2, 0, 2), align=3000.0, seed=1):
    """NTIRE's layout: 8-bit frames; the HDR in medium-frame units, gamma-encoded (1/2.24) as png16 /
    alignratio; exposures.npy."""
    folder.mkdir(parents=True, exist_ok=True)
    hdr_medium_units = _radiance(seed) * 4
    for name, ev in zip(("short", "medium", "long"), evs):
        ldr = np.clip(hdr_medium_units * 2.0**ev, 0, 1) ** (1 / 2.24)
        Image.fromarray(np.round(ldr * 255).astype(np.uint8)).save(folder / f"{key}_{name}.png")
    gt16 = np.round(hdr_medium_units ** (1 / 2.24) * align).astype(np.uint16)
    with open(folder / f"{key}_gt.png", "wb") as f:
        png.Writer(W, H, bitdepth=16, greyscale=False).write(f, gt16.reshape(H, -1))
    np.save(folder / f"{key}_alignratio.npy", np.float32(align))
    np.save(folder / f"{key}_exposures.npy", np.asarray(evs, np.float32) + 5)  # absolute EVs: only differences count
    return (gt16 / align) ** 2.24


def _zip(folder, target):
    with zipfile.ZipFile(target, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder))
    return target


def test_kalantari_scene_units_match_the_course(tmp_path):
    hdr = _kalantari_scene(tmp_path / "s", (-2, 0, 2))
    frames, got = kalantari_scene(tmp_path / "s")
    assert frames.shape == (H, W, 9) and got.shape == (H, W, 3)
    np.testing.assert_allclose(got, hdr, rtol=1 / 128)  # RGBE keeps 8 bits of mantissa
    medium = frames[..., 3:6].astype(np.float64) ** 2.2
    unclipped = frames[..., 3:6] < 0.95
    assert unclipped.mean() > 0.3
    np.testing.assert_allclose(medium[unclipped], PEAK * got[unclipped], rtol=1 / 100, atol=1e-4)  # RGBE


def test_ntire_frame_units_match_the_course(tmp_path):
    hdr_medium_units = _ntire_frame(tmp_path, "0007")
    frames, got = ntire_scene(tmp_path, "0007")
    np.testing.assert_allclose(got, hdr_medium_units / 4, rtol=1e-6)  # 16-bit values kept, not truncated
    medium = frames[..., 3:6].astype(np.float64) ** 2.24
    unclipped = (frames[..., 3:6] < 0.95) & (frames[..., 3:6] > 0.2)
    np.testing.assert_allclose(medium[unclipped], PEAK * got[unclipped], rtol=0.03)  # 8-bit frames


def test_fetch_kalantari_lays_out_scenes_and_skips_other_exposures(tmp_path, capsys):
    src = tmp_path / "src"
    _kalantari_scene(src / "Test" / "PAPER" / "ManStanding", (-2, 0, 2))
    _kalantari_scene(src / "Test" / "EXTRA" / "001", (-3, 0, 3), seed=2)
    root = tmp_path / "root"
    (root / "_downloads").mkdir(parents=True)
    _zip(src, root / "_downloads" / "SIGGRAPH17_HDR_Testset.zip")  # as if downloaded: checked, no network
    assert fetch.fetch("kalantari-test", root) == {"test": 2}
    assert "test 2 scenes" in capsys.readouterr().out
    scenes = HDRSceneFolder(root / "kalantari-test" / "test")
    assert scenes.names == ["Test_PAPER_ManStanding"] and scenes.skipped == ["Test_EXTRA_001 (-3, +0, +3 EV)"]
    frames, hdr = scenes[0]
    assert frames.shape == (9, H, W) and hdr.shape == (3, H, W)
    crops = HDRSceneFolder(root / "kalantari-test" / "test", patch=32, augment=True)
    batch = crops.sample_batch(np.random.default_rng(0), 3)
    assert batch[0].shape == (3, 9, 32, 32) and batch[1].shape == (3, 3, 32, 32)


def test_ntire_needs_an_archive_and_reads_one(tmp_path, capsys):
    assert fetch.main(["ntire2022-hdr", "--root", str(tmp_path / "root")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CodaLab" in err and "--archive" in err, err
    _ntire_frame(tmp_path / "src" / "Train", "0001")
    _ntire_frame(tmp_path / "src" / "Train", "0002", evs=(-3, 0, 3))
    archive = _zip(tmp_path / "src", tmp_path / "ntire_train.zip")
    assert fetch.main(["ntire2022-hdr", "--root", str(tmp_path / "root"), "--archive", str(archive)]) == 0
    scenes = HDRSceneFolder(tmp_path / "root" / "ntire2022-hdr" / "all")
    assert scenes.names == ["0001"] and scenes.skipped == ["0002 (-3, +0, +3 EV)"]
    assert fetch.main(["ntire2022-hdr", "--root", str(tmp_path), "--archive", str(tmp_path / "no.zip")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_evaluate_scores_a_real_set_folder(tmp_path, capsys):
    _kalantari_scene(tmp_path / "set" / "ManStanding", (-2, 0, 2))
    code = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "PSNR-mu" in out and "medium frame" in out and "exposure fusion" in out, out


@pytest.mark.parametrize("make", ["missing", "empty", "other exposures only"])
def test_evaluate_says_what_is_wrong_with_a_set_folder(tmp_path, capsys, make):
    folder = tmp_path / "set"
    if make == "empty":
        folder.mkdir()
    elif make == "other exposures only":
        _kalantari_scene(folder / "001", (-3, 0, 3))
    code = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "fetch_datasets.py kalantari-test" in err
