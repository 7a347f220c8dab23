"""benchmarks/dehaze_further_photos.py: the held-out hazes over further photos, scored as scikit-image scores."""

import importlib.util

import numpy as np
from skimage import data as skdata
from skimage import metrics as skm

from conftest import REPO
from course_lib.data import heldout

spec = importlib.util.spec_from_file_location("dehaze_further_photos", REPO / "benchmarks" / "dehaze_further_photos.py")
further = importlib.util.module_from_spec(spec)
spec.loader.exec_module(further)


def test_scores_are_scikit_images_means_over_both_hazes_of_each_set():
    clean = (skdata.astronaut()[::8, ::8] / 255.0).astype(np.float32)  # 64 x 64
    got = further.scores({"input": lambda x: x}, [clean])["input"]
    for set_name, make in (("homogeneous haze", heldout.uniform_hazes),
                           ("non-homogeneous haze", heldout.nonhomogeneous_hazes)):  # fmt: skip
        hazy = [np.clip(h, 0, 1) for _, h in make(clean)]
        assert len(hazy) == 2
        expected = np.mean([skm.peak_signal_noise_ratio(clean, h, data_range=1.0) for h in hazy])
        assert abs(got[set_name]["psnr"] - expected) < 1e-3


def test_a_folder_without_photos_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    assert further.main(["--photos", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "give a folder of .png photos" in err
    monkeypatch.setattr(further, "SHARP", tmp_path)  # the default folder, not downloaded yet
    assert further.main(["--photos", str(tmp_path)]) == 2
    assert "get_photos.py --set sharp" in capsys.readouterr().err


def test_a_dehazer_is_marked_when_its_manifest_lists_the_folder(monkeypatch):
    from pathlib import Path

    from course_lib import weights

    listed = {"aecrnet": {"data": {"photos": ["24 photos from ~/.cache/course_lib/photos",
                                             "13 photos from ~/.cache/course_lib/photos_more"]}}}  # fmt: skip
    monkeypatch.setattr(weights, "manifest", lambda: listed)
    assert further.trained_on("aecrnet", Path("/x/photos_more"))
    assert not further.trained_on("aecrnet", Path("/x/photos_sharp"))
    assert not further.trained_on("srktdn", Path("/x/photos_more"))


def test_the_training_photos_are_the_bundled_five_cropped_for_every_dehazer():
    from course_lib.data import train_images

    photos = further.training_photos()
    bundled = train_images(max_side=320)
    assert len(photos) == len(bundled) == 5
    for got, full in zip(photos, bundled):
        assert got.shape[0] % 32 == 0 and got.shape[1] % 32 == 0
        np.testing.assert_array_equal(got, full[: got.shape[0], : got.shape[1]])
