"""Synthetic and folder pairs: alignment, augmentation, determinism, loaders, and errors."""

import numpy as np
import pytest
from PIL import Image

from course_lib.data.datasets import PairedFolder, SyntheticPairs, make_loader


def _photos(n=2, size=(40, 36)):
    rng = np.random.default_rng(0)
    return [rng.random(size + (3,)).astype(np.float32) for _ in range(n)]


def test_crops_stay_aligned_at_scale_2_through_augmentation():
    pairs = SyntheticPairs(_photos(), lambda img, rng: img[::2, ::2], patch=16, scale=2, count=4)
    lq, gt = pairs.sample_batch(np.random.default_rng(1), 6)
    assert lq.shape == (6, 3, 8, 8) and gt.shape == (6, 3, 16, 16)
    # nearest subsampling commutes with the crop at even offsets, and with flips/rotations up to a
    # one-pixel phase: the low-quality crop must be one of the four phases of the ground truth crop.
    for a, b in zip(lq, gt):
        assert any(np.array_equal(a, b[:, i::2, j::2]) for i in (0, 1) for j in (0, 1))


def test_same_generator_state_gives_the_same_batch_and_indexing_is_fixed():
    pairs = SyntheticPairs(
        _photos(), lambda img, rng: np.clip(img + rng.normal(0, 0.1, img.shape), 0, 1), patch=12
    )
    a = pairs.sample_batch(np.random.default_rng(7), 3)
    b = pairs.sample_batch(np.random.default_rng(7), 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert all(np.array_equal(x, y) for x, y in zip(pairs[1], pairs[1]))


def test_lq_only_and_depths():
    depths = [np.ones((40, 36), np.float32)] * 2
    pairs = SyntheticPairs(
        _photos(), lambda img, rng, d: img * 0.5 + 0 * d[..., None], patch=8, depths=depths, lq_only=True
    )
    (lq,) = pairs.sample_batch(np.random.default_rng(0), 2)
    assert lq.shape == (2, 3, 8, 8) and lq.max() <= 0.5


def test_synthetic_errors():
    with pytest.raises(ValueError, match="smaller than the patch"):
        SyntheticPairs(_photos(), lambda img, rng: img, patch=64)
    bad = SyntheticPairs(_photos(), lambda img, rng: img[:10], patch=8, scale=2)
    with pytest.raises(ValueError, match="exactly the scale"):
        bad[0]


def _write(folder, name, array):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray((array * 255).astype(np.uint8)).save(folder / name)


def test_paired_folder_matches_names_including_reside_style(tmp_path):
    img = _photos(1, (20, 20))[0]
    _write(tmp_path / "gt", "0001.png", img)
    _write(tmp_path / "gt", "0002.png", img)
    _write(tmp_path / "lq", "0001.png", img * 0.5)
    _write(tmp_path / "lq", "0002_3.png", img * 0.25)
    pairs = PairedFolder(tmp_path / "lq", tmp_path / "gt", patch=8)
    assert len(pairs) == 2
    lq, gt = pairs[1]
    assert lq.shape == gt.shape == (3, 8, 8)
    loader = make_loader(pairs, batch_size=2, shuffle=False)
    batches = list(loader.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert len(batches) == 1 and batches[0][0].shape == (2, 3, 8, 8)


def test_paired_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*fetch_datasets"):
        PairedFolder(tmp_path / "nope", tmp_path / "gt")
    img = _photos(1, (20, 20))[0]
    _write(tmp_path / "gt", "a.png", img)
    _write(tmp_path / "lq", "b.png", img)
    with pytest.raises(ValueError, match=r"1 files .* have no ground truth.*b\.png"):
        PairedFolder(tmp_path / "lq", tmp_path / "gt")
    (tmp_path / "lq2").mkdir()
    with pytest.raises(ValueError, match="no image pairs"):
        PairedFolder(tmp_path / "lq2", tmp_path / "gt")
    _write(tmp_path / "lq3", "a.png", img)
    small = PairedFolder(tmp_path / "lq3", tmp_path / "gt", patch=32)
    with pytest.raises(ValueError, match="smaller than the patch 32"):
        small[0]


def test_loader_shards_by_rank():
    pairs = SyntheticPairs(_photos(4), lambda img, rng: img, patch=8, count=8, augment=False)
    seen = []
    for shard in (0, 1):
        loader = make_loader(pairs, batch_size=1, shuffle=False, num_shards=2, shard_id=shard)
        seen.append(sum(1 for _ in loader.create_tuple_iterator(num_epochs=1)))
    assert seen == [4, 4]
