"""Training pairs: real datasets in folders, synthetic pairs from clean photos, and loaders.

Both sources give ``(lq, gt)`` pairs of float32 ``(3, h, w)`` / ``(3, H, W)`` arrays in [0, 1] (``lq`` is
``scale`` times smaller for super-resolution), in two ways:

* ``source[i]`` and ``len(source)``: random access, so ``mindspore.dataset.GeneratorDataset`` can shard
  and shuffle them (:func:`make_loader`);
* ``source.sample_batch(rng, batch_size)``: a stacked batch drawn with a NumPy generator. The training loop
  uses this form because a generator state is all it must checkpoint to resume on exactly the same data.

Crops are square patches at aligned positions (the low-quality crop is the high-quality crop divided by
``scale``), augmented with random horizontal flips and 90-degree rotations, the usual restoration recipe.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .degrade import check_rgb
from .images import load_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def random_crop_pair(
    lq: np.ndarray, gt: Optional[np.ndarray], patch: int, scale: int, rng: np.random.Generator
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Aligned random crops: ``gt`` ``(patch, patch, 3)`` and ``lq`` ``(patch/scale, patch/scale, 3)``."""
    if patch % scale:
        raise ValueError(f"patch {patch} must be a multiple of the scale {scale}")
    lp = patch // scale
    h, w = lq.shape[:2]
    if h < lp or w < lp:
        raise ValueError(
            f"image of {h}x{w} pixels is smaller than the {lp}x{lp} crop; use a smaller patch "
            f"(budget patch or the patch= argument) or larger images"
        )
    y, x = int(rng.integers(0, h - lp + 1)), int(rng.integers(0, w - lp + 1))
    lq_crop = lq[y : y + lp, x : x + lp]
    gt_crop = None if gt is None else gt[y * scale : (y + lp) * scale, x * scale : (x + lp) * scale]
    return lq_crop, gt_crop


def augment(arrays: Sequence[np.ndarray], rng: np.random.Generator) -> List[np.ndarray]:
    """The same random horizontal flip and rotation by k * 90 degrees on every ``(H, W, C)`` array."""
    flip, k = bool(rng.integers(0, 2)), int(rng.integers(0, 4))
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        a = a[:, ::-1] if flip else a
        out.append(np.rot90(a, k, axes=(0, 1)))
    return out


def to_chw(a: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` -> contiguous float32 ``(C, H, W)``."""
    return np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)


class _PairSource:
    """Shared sampling logic: subclasses fill ``self._pair(i) -> (lq, gt)`` in ``(H, W, 3)``."""

    patch: Optional[int]
    scale: int
    seed: int
    use_augment: bool
    lq_only: bool

    def __len__(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def _pair(self, i: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:  # pragma: no cover
        raise NotImplementedError

    def _example(self, i: int, rng: np.random.Generator) -> Tuple[np.ndarray, ...]:
        lq, gt = self._pair(i)
        if self.patch:
            lq, gt = random_crop_pair(lq, gt, self.patch, self.scale, rng)
        if self.use_augment:
            lq, gt = augment([lq, gt], rng)
        return (to_chw(lq),) if self.lq_only or gt is None else (to_chw(lq), to_chw(gt))

    def __getitem__(self, i: int) -> Tuple[np.ndarray, ...]:
        """Example ``i`` with a crop and augmentation fixed by ``(seed, i)``."""
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} examples")
        return self._example(i, np.random.default_rng((self.seed, i)))

    def sample_batch(self, rng: np.random.Generator, batch_size: int) -> Tuple[np.ndarray, ...]:
        """``batch_size`` random examples stacked to ``(N, 3, H, W)`` arrays: ``(lq, gt)`` or ``(lq,)``."""
        if self.patch is None and batch_size > 1:
            shapes = {self._pair(i)[0].shape for i in range(len(self))}
            if len(shapes) > 1:
                raise ValueError("images differ in size; set patch= to crop them to one size for batching")
        picks = rng.integers(0, len(self), size=batch_size)
        examples = [self._example(int(i), rng) for i in picks]
        return tuple(np.stack(column) for column in zip(*examples))


class SyntheticPairs(_PairSource):
    """Pairs made from clean photos with a degradation function.

    Args:
        images: clean photos, each ``(H, W, 3)`` float in [0, 1].
        degrade_fn: ``degrade_fn(clean, rng) -> lq`` (or ``degrade_fn(clean, rng, depth)`` when ``depths``
            is given). ``lq`` has the clean photo's size, or that size divided by ``scale``.
        patch: side of the square high-quality crop (None: whole images).
        count: how many degraded versions to make (photo ``k % len(images)``, each with its own random
            parameters). Default: one per photo.
        scale: size ratio between ``gt`` and ``lq`` (super-resolution), else 1.
        depths: optional per-photo depth maps ``(H, W)`` passed to ``degrade_fn``.
        seed: seeds the degradations and the crops of ``source[i]``.
        augment: random flips and 90-degree rotations.
        lq_only: yield ``(lq,)`` only (unpaired training such as Zero-DCE).

    Example::

        pairs = SyntheticPairs(train_images(), lambda img, rng: bicubic_downscale(modcrop(img, 2), 2),
                               patch=64, scale=2)
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        degrade_fn: Callable,
        patch: Optional[int],
        count: Optional[int] = None,
        *,
        scale: int = 1,
        depths: Optional[Sequence[np.ndarray]] = None,
        seed: int = 0,
        augment: bool = True,
        lq_only: bool = False,
    ):
        if len(images) == 0:
            raise ValueError("SyntheticPairs needs at least one clean image")
        self.images = [check_rgb(img, f"images[{i}]") for i, img in enumerate(images)]
        if depths is not None and len(depths) != len(images):
            raise ValueError(f"got {len(depths)} depth maps for {len(images)} images")
        self.depths = depths
        self.degrade_fn, self.patch, self.scale, self.seed = degrade_fn, patch, scale, seed
        self.count = len(images) if count is None else int(count)
        self.use_augment, self.lq_only = augment, lq_only
        if patch is not None:
            small = [img.shape[:2] for img in self.images if min(img.shape[:2]) < patch]
            if small:
                raise ValueError(
                    f"images of size {small} are smaller than the patch {patch}; lower the patch"
                )
        self._cache: dict = {}
        takes_depth = len(inspect.signature(degrade_fn).parameters) >= 3
        if depths is not None and not takes_depth:
            raise ValueError("depths were given but degrade_fn takes only (clean, rng); add a depth argument")

    def __len__(self) -> int:
        return self.count

    def _pair(self, i: int) -> Tuple[np.ndarray, np.ndarray]:
        if i not in self._cache:
            k = i % len(self.images)
            clean = self.images[k]
            rng = np.random.default_rng((self.seed, 1_000_003, i))
            args = (clean, rng) if self.depths is None else (clean, rng, self.depths[k])
            lq = check_rgb(self.degrade_fn(*args), "degrade_fn output")
            if self.scale > 1:
                clean = clean[: lq.shape[0] * self.scale, : lq.shape[1] * self.scale]
            if lq.shape[0] * self.scale != clean.shape[0] or lq.shape[1] * self.scale != clean.shape[1]:
                raise ValueError(
                    f"degrade_fn returned {lq.shape[:2]} for a clean image of {clean.shape[:2]} at scale "
                    f"{self.scale}; the sizes must differ by exactly the scale"
                )
            self._cache[i] = (lq.astype(np.float32), clean.astype(np.float32))
        return self._cache[i]


def _image_files(folder: Path) -> dict:
    """``{stem: path}`` of the images in ``folder``; two files of one stem (a.png and a.jpg) are refused:
    which of them is the pair is not for the loader to guess."""
    found: dict = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if p.stem in found:
            raise ValueError(f"{folder} holds both {found[p.stem].name} and {p.name}; one name, one image: "
                             "remove or rename one of them")  # fmt: skip
        found[p.stem] = p
    return found


class PairedFolder(_PairSource):
    """Pairs of images with the same file stem in two folders (a real dataset laid out by data_scripts).

    ``lq_dir/0001.png`` pairs with ``gt_dir/0001.png`` (any supported suffix). RESIDE-style names such as
    ``1400_1.png`` / ``1400_2.png`` for several hazy versions of clean ``1400.png`` pair too: a low-quality
    stem ``A_B`` matches a ground-truth stem ``A`` when there is no exact match.

    Args:
        lq_dir, gt_dir: folders. patch: crop size (None: whole images). scale: gt/lq size ratio.
        seed, augment, lq_only: as in :class:`SyntheticPairs`.
    Raises:
        FileNotFoundError: a folder is missing (the message names the fetch script).
        ValueError: no pairs, or low-quality files with no ground truth.
    """

    def __init__(
        self,
        lq_dir,
        gt_dir,
        patch: Optional[int] = None,
        *,
        scale: int = 1,
        seed: int = 0,
        augment: bool = False,
        lq_only: bool = False,
        cache: bool = True,
    ):
        self.lq_dir, self.gt_dir = Path(lq_dir), Path(gt_dir)
        for d in (self.lq_dir, self.gt_dir):
            if not d.is_dir():
                raise FileNotFoundError(
                    f"dataset folder {d} does not exist; download a dataset with "
                    f"`python data_scripts/fetch_datasets.py NAME --root DIR` or check the path"
                )
        lq_files, gt_files = _image_files(self.lq_dir), _image_files(self.gt_dir)
        pairs, unmatched = [], []
        for stem, path in lq_files.items():
            gt = gt_files.get(stem) or gt_files.get(stem.rsplit("_", 1)[0])
            (pairs.append((path, gt)) if gt is not None else unmatched.append(path.name))
        if unmatched:
            raise ValueError(
                f"{len(unmatched)} files in {self.lq_dir} have no ground truth of the same name in "
                f"{self.gt_dir}, e.g. {unmatched[:3]}; fix the names or remove them"
            )
        if not pairs:
            raise ValueError(
                f"no image pairs found in {self.lq_dir} and {self.gt_dir} (suffixes {sorted(IMAGE_SUFFIXES)})"
            )
        self.pairs = pairs
        self.patch, self.scale, self.seed = patch, scale, seed
        self.use_augment, self.lq_only, self._use_cache = augment, lq_only, cache
        self._cache: dict = {}

    def __len__(self) -> int:
        return len(self.pairs)

    def _pair(self, i: int) -> Tuple[np.ndarray, np.ndarray]:
        if i in self._cache:
            return self._cache[i]
        lq_path, gt_path = self.pairs[i]
        lq, gt = load_image(lq_path), load_image(gt_path)
        if lq.shape[0] * self.scale != gt.shape[0] or lq.shape[1] * self.scale != gt.shape[1]:
            raise ValueError(
                f"{self.lq_dir.name}/{lq_path.name} (input) is {lq.shape[0]}x{lq.shape[1]} and "
                f"{self.gt_dir.name}/{gt_path.name} (ground truth) is {gt.shape[0]}x{gt.shape[1]} (height x width); "
                f"at scale {self.scale} the ground truth must be exactly {self.scale}x the input: crop it to a "
                f"multiple of {self.scale} (course_lib.data.degrade.modcrop) and make the input from the cropped one"
            )
        if self.patch and min(gt.shape[:2]) < self.patch:
            raise ValueError(
                f"{gt_path} ({gt.shape[0]}x{gt.shape[1]}) is smaller than the patch {self.patch}"
            )
        if self._use_cache:
            self._cache[i] = (lq, gt)
        return lq, gt


def make_loader(
    source: _PairSource,
    batch_size: int,
    *,
    shuffle: bool = True,
    num_shards: Optional[int] = None,
    shard_id: Optional[int] = None,
    num_parallel_workers: int = 1,
):
    """A ``mindspore.dataset.GeneratorDataset`` over ``source``, batched (last partial batch dropped).

    Under ``msrun`` data parallelism pass ``num_shards`` = group size and ``shard_id`` = rank (defaults come
    from the ``RANK_SIZE`` / ``RANK_ID`` variables msrun sets).
    """
    import mindspore.dataset as ds

    if num_shards is None and int(os.environ.get("RANK_SIZE", "1")) > 1:
        num_shards, shard_id = int(os.environ["RANK_SIZE"]), int(os.environ.get("RANK_ID", "0"))
    columns = ["lq"] if source.lq_only else ["lq", "gt"]
    data = ds.GeneratorDataset(
        source,
        column_names=columns,
        shuffle=shuffle,
        num_shards=num_shards,
        shard_id=shard_id,
        num_parallel_workers=num_parallel_workers,
        python_multiprocessing=False,
    )
    return data.batch(batch_size, drop_remainder=True)
