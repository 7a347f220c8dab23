"""The course-weights recipe's runs: a pinned start ``init: 'edsr@COMMIT'`` (the weights shipped at that commit,
read from git history and checked against that commit's manifest; a throwaway git repository stands in for the
course's), and one recipe per checkpoint folder."""

import hashlib
import json

import pytest
from git_repo import commit_all, git, needs_git
from script_loader import load_script

recipe = load_script("train_course_weights")
def commit_weights(repo, data: bytes, sha: str) -> str:
    folder = repo / "course_lib" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "edsr.ckpt").write_bytes(data)
    (folder / "manifest.json").write_text(json.dumps({"edsr": {"file": "edsr.ckpt", "sha256": sha}}))
    return commit_all(repo)


@pytest.fixture
def repo(tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    return folder


@needs_git
def test_pinned_weights_are_the_files_of_that_commit(repo, tmp_path):
    old = commit_weights(repo, b"old weights", hashlib.sha256(b"old weights").hexdigest())
    commit_weights(repo, b"new weights", hashlib.sha256(b"new weights").hexdigest())  # the later commit

    path = recipe.pinned_weights("edsr", old, tmp_path / "out", repo=repo)
    assert path.read_bytes() == b"old weights"
    assert path.parent == tmp_path / "out"


@needs_git
def test_a_pin_that_does_not_hold_is_one_clear_error(repo, tmp_path):
    tampered = commit_weights(repo, b"weights", hashlib.sha256(b"other").hexdigest())
    with pytest.raises(ValueError, match="does not match that commit's manifest"):
        recipe.pinned_weights("edsr", tampered, tmp_path / "out", repo=repo)
    with pytest.raises(ValueError, match="shipped no csd"):
        recipe.pinned_weights("csd", tampered, tmp_path / "out", repo=repo)
    with pytest.raises(ValueError, match="run the recipe in a git clone"):
        recipe.pinned_weights("edsr", "0000000", tmp_path / "out", repo=repo)
    assert not (tmp_path / "out").exists()  # nothing written when the pin fails


def test_a_checkpoint_folder_takes_one_recipe(tmp_path):
    runs = tmp_path / "runs"
    recipe.claim_run_folder(runs, "csd", {"steps": 800, "lr": 1e-3})
    recipe.claim_run_folder(runs, "csd", {"steps": 800, "lr": 1e-3})  # the same run, resumed
    recipe.claim_run_folder(runs, "edsr", {"steps": 20000})  # another method beside it
    with pytest.raises(ValueError, match="holds a csd run of another recipe.*give a new --runs folder"):
        recipe.claim_run_folder(runs, "csd", {"steps": 3000, "lr": 1e-3})  # grown: would mix two schedules
    assert json.loads((runs / "csd_recipe.json").read_text()) == {"steps": 800, "lr": 1e-3}


def test_recipe_photo_keys_choose_the_photo_sets(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    def cache(name, count):
        folder = tmp_path / name
        folder.mkdir()
        for k in range(count):
            Image.new("RGB", (24, 16), (k, 0, 0)).save(folder / f"{k}.png")
        return folder

    monkeypatch.setattr(recipe, "PHOTOS", cache("wallpapers", 3))
    monkeypatch.setattr(recipe, "PHOTOS_MORE", cache("more", 2))
    monkeypatch.setattr(recipe, "PHOTOS_SHARP", cache("sharp", 4))
    monkeypatch.setattr("course_lib.data.train_images", lambda max_side=None: [np.zeros((8, 8, 3), np.float32)])
    monkeypatch.setitem(recipe.RECIPES, "try_a", {"steps": 10, "sharp_photos": True, "wallpapers": False})
    monkeypatch.setitem(recipe.RECIPES, "try_b", {"steps": 10, "more_photos": True, "sharp_photos": True})

    photos, names, finetune = recipe.method_photos("try_a", None, None)
    assert len(photos) == 1 + 4 and finetune == []  # the bundled photo and the sharp scenes, no wallpapers
    assert names == ["bundled training photos", f"4 photos from {tmp_path / 'sharp'}"]
    photos, names, _ = recipe.method_photos("try_b", None, None)
    assert len(photos) == 1 + 3 + 2 + 4
    assert [photo.shape for photo in photos[1:]] == [(16, 24, 3)] * 9


def test_frequency_weight_is_for_the_transfer_loss_and_plain_l1_only(tmp_path):
    from course_lib.models import get_method

    with pytest.raises(ValueError, match="'frequency_weight' is for ktdn, srktdn.* and recipes with loss 'l1'"):
        recipe.loss_for("edsr", {"frequency_weight": 1.0}, get_method("edsr"), tmp_path)
    _, name = recipe.loss_for("aecrnet", {"loss": "l1", "frequency_weight": 2}, get_method("aecrnet"), tmp_path)
    assert name.startswith("L1 + 2 x L1 of the error's spectrum")
    assert "2 x the frequency loss" in recipe.describe_finetune({"frequency_weight": 2, "lr": 5e-5})


def test_the_transfer_loss_takes_the_runs_own_teacher_as_init_does(tmp_path):
    import mindspore as ms
    import numpy as np

    from course_lib.models import get_method

    wide = {"network": {"planes": (58, 18, 24)}}
    with pytest.raises(ValueError, match="train it first into the same --out"):
        recipe.transfer_teacher(wide, tmp_path)  # no shipped teacher of that width
    teacher = recipe.build_network(get_method("ktdn_teacher"), wide)
    ms.save_checkpoint(teacher, str(tmp_path / "ktdn_teacher.ckpt"))
    found, whose = recipe.transfer_teacher(wide, tmp_path)
    assert whose == str(tmp_path / "ktdn_teacher.ckpt")
    for mine, theirs in zip(teacher.get_parameters(), found.get_parameters()):
        assert mine.name == theirs.name and np.array_equal(mine.asnumpy(), theirs.asnumpy())
    with pytest.raises(ValueError, match="'network' is for .*ktdn, ktdn_teacher, not srktdn"):
        recipe.build_network(get_method("srktdn"), wide)


def test_loss_l1_gives_csd_its_joint_l1_without_the_contrastive_term(tmp_path):
    import mindspore as ms
    import numpy as np

    from course_lib.models import get_method

    spec = get_method("csd")
    loss_fn, name = recipe.loss_for("csd", {"loss": "l1"}, spec, tmp_path)
    assert "without its contrastive term" in name
    net = spec.build()
    net.set_train(False)
    rng = np.random.default_rng(5)
    lr, hr = rng.uniform(size=(2, 3, 12, 12)).astype(np.float32), rng.uniform(size=(2, 3, 24, 24)).astype(np.float32)
    x = ms.Tensor(lr)
    expected = sum(np.abs(net(x, w).asnumpy().astype(np.float64) - hr).mean() for w in (0.25, 1.0))
    assert np.isclose(float(loss_fn(net, (x, ms.Tensor(hr)))), expected, rtol=1e-5)
    assert recipe.describe_finetune({"patch": 96, "loss": "l1"}) == "96-px crops, L1 only"
