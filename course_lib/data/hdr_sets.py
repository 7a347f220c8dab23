"""Real multi-exposure HDR sets, read into the course's bracket format (for users with internet).

Both sets come through ``data_scripts/fetch_datasets.py`` (``kalantari-test``, ``kalantari-train``,
``ntire2022-hdr``) and are read by :class:`HDRSceneFolder`, which yields what
:class:`~course_lib.data.hdr.SyntheticBrackets` yields: ``(frames (9, H, W), hdr (3, H, W))`` float32,
frames = short | medium | long in [0, 1], hdr linear in the course's units.

**Units.** The course's networks take ``LDR_k^2.2 / 2^EV_k`` with EV = -2, 0, +2 (:data:`~course_lib.data.hdr.EVS`)
and predict ``H`` such that the medium frame records ``4 H`` (``PEAK = 4``): H = 1 is the brightest value the
short frame records. Each set is brought to those units:

* **Kalantari & Ramamoorthi (SIGGRAPH 2017)**, one folder per scene: three 16-bit TIFFs (short, medium,
  long by file name order), ``exposure.txt`` (exposure biases in stops, one per frame) and ``HDRImg.hdr``,
  aligned with the medium frame, in the units of the *shortest* exposure (its ``LDR^2.2 / t`` with t = 1),
  which are the course's. Scenes shot at -3/0/+3 EV do not fit networks trained at -2/0/+2 and are
  skipped (``skipped`` lists them).
* **NTIRE 2021/2022 HDR** (Perez-Pellitero et al.), files ``NNNN_short.png``, ``_medium.png``,
  ``_long.png`` (8 bit), ``NNNN_gt.png`` (16 bit) with ``NNNN_alignratio.npy`` and ``NNNN_exposures.npy``
  (EV per frame). The ground truth is stored gamma-encoded, as the challenge's starter kit reads it:
  ``HDR_linear = (png16 / alignratio)^2.24``, in the units of the medium frame (``LDR_medium^2.24``), so
  ``H = HDR_linear * 2^EV_short``. Frames whose EVs are not -2/0/+2 around the medium are skipped. NTIRE's
  16-bit PNGs are read with ``pypng`` (Pillow reads them as 8 bit). The challenge scores its own way
  (:func:`course_lib.metrics.psnr_mu_ntire`); the course's ``evaluate`` scores ``psnr_mu`` on H.

Ground truths can exceed 1 where the scene is brighter than the short frame records; they are scored as
they are (the networks' sigmoid outputs stop at 1, so such pixels count as errors).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import numpy as np

from .datasets import _PairSource
from .hdr import EVS
from .hdr_io import load_hdr
from .images import ImageError, check_pixels, load_image
from .images import read_png16 as _read_png16

NTIRE_GAMMA = 2.24  # the NTIRE HDR starter kit's encoding of the ground truth


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(str(path)) as tif:
            shape = tif.pages[0].shape
            if len(shape) >= 2:
                check_pixels(path, shape[1], shape[0])  # before decoding
            a = tif.asarray()
    except (OSError, ValueError, IndexError, tifffile.TiffFileError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(f"{path}: not a TIFF image tifffile can read ({err})") from None
    if a.ndim != 3 or a.shape[-1] < 3:
        raise ImageError(f"{path}: expected an RGB TIFF, got an array of shape {a.shape}")
    if a.dtype not in (np.uint8, np.uint16):
        raise ImageError(f"{path}: a {a.dtype} TIFF; a Kalantari frame is an 8- or 16-bit RGB TIFF")
    top = 65535.0 if a.dtype == np.uint16 else 255.0
    return a[..., :3].astype(np.float32) / np.float32(top)


def read_png16(path: Path) -> np.ndarray:
    """A 16-bit RGB PNG as uint16 ``(H, W, 3)`` (pypng; Pillow would truncate it to 8 bits). An 8-bit PNG is
    refused: read as 16-bit codes it would be 256 times too dark."""
    a = _read_png16(path)
    if a.shape[-1] < 3:
        raise ImageError(f"{path}: expected an RGB PNG, got {a.shape[-1]} channel(s)")
    return a[..., :3]


def _relative_evs(ev, source: Path) -> Tuple[float, ...]:
    try:
        ev = np.asarray(ev, np.float64).ravel()
    except (TypeError, ValueError):
        raise ImageError(f"{source}: exposure values must be numbers") from None
    if ev.size != 3:
        raise ImageError(f"{source}: expected 3 exposure values (short, medium, long), found {ev.size}")
    if not np.isfinite(ev).all():
        raise ImageError(f"{source}: exposure values {ev.tolist()} must be finite numbers (stops)")
    return tuple(float(v) for v in ev - ev[1])


def kalantari_evs(folder: Path) -> Tuple[float, ...]:
    """EVs of a Kalantari scene relative to its medium frame, from ``exposure.txt``: e.g. (-2, 0, 2)."""
    path = Path(folder) / "exposure.txt"
    try:
        ev = np.loadtxt(path, dtype=np.float64)
    except (OSError, ValueError) as err:
        raise ImageError(f"{path}: not a list of exposure values in stops ({err})") from None
    if not np.isfinite(ev).all():
        raise ImageError(f"{path}: exposure values must be finite numbers")
    return _relative_evs(ev, path)


def kalantari_scene(folder: Path) -> Tuple[np.ndarray, np.ndarray]:
    """One Kalantari scene folder -> ``(frames (H, W, 9) in [0, 1], hdr (H, W, 3))`` in the course's units."""
    folder = Path(folder)
    tifs = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
    if len(tifs) != 3 or not (folder / "HDRImg.hdr").is_file():
        raise ImageError(f"{folder}: a Kalantari scene holds 3 .tif frames, exposure.txt and HDRImg.hdr")
    named = {p.name: _read_tiff(p) for p in tifs}
    hdr = load_hdr(folder / "HDRImg.hdr")
    _same_size(folder, {**named, "HDRImg.hdr": hdr})
    return np.concatenate(list(named.values()), axis=-1), hdr


def ntire_evs(folder: Path, key: str) -> Tuple[float, ...]:
    """EVs of NTIRE frame ``key`` relative to its medium frame, from ``KEY_exposures.npy``."""
    path = Path(folder) / f"{key}_exposures.npy"
    return _relative_evs(_load_npy(path), path)


def _load_npy(path: Path) -> np.ndarray:
    if not Path(path).is_file():
        raise ImageError(
            f"{path} is missing; an NTIRE frame comes with its _alignratio.npy and _exposures.npy"
        )
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ImageError(f"{path}: not a NumPy .npy file that can be read without pickle ({err})") from None


def ntire_alignratio(path: Path) -> float:
    """The ``alignratio.npy`` scalar: one finite positive number (the ground truth is divided by it)."""
    a = _load_npy(path)
    if a.size != 1 or a.dtype.kind not in "iuf":
        raise ImageError(
            f"{path}: alignratio holds {a.size} {a.dtype} value(s); NTIRE stores one positive number"
        )
    align = float(a.ravel()[0])
    if not math.isfinite(align) or align <= 0:
        raise ImageError(
            f"{path}: alignratio is {align}; it must be a finite positive number (the file is damaged)"
        )
    return align


def _same_size(folder, named: dict) -> None:
    sizes = {name: a.shape[:2] for name, a in named.items()}
    if len(set(sizes.values())) > 1:
        raise ImageError(f"{folder}: frames of different sizes ({', '.join(f'{n} {s}' for n, s in sizes.items())}); "
                         "a scene's frames and ground truth are aligned images of one size")  # fmt: skip


def ntire_scene(folder: Path, key: str) -> Tuple[np.ndarray, np.ndarray]:
    """NTIRE frame ``key`` (e.g. '0001') in ``folder`` -> ``(frames (H, W, 9), hdr (H, W, 3))``, course units."""
    folder = Path(folder)
    align = ntire_alignratio(folder / f"{key}_alignratio.npy")
    named = {f"{key}_{n}.png": load_image(folder / f"{key}_{n}.png") for n in ("short", "medium", "long")}
    gt = read_png16(folder / f"{key}_gt.png")
    _same_size(folder, {**named, f"{key}_gt.png": gt})
    frames = np.concatenate(list(named.values()), -1)
    hdr_medium_units = (gt.astype(np.float64) / align) ** NTIRE_GAMMA
    return frames, (hdr_medium_units * 2.0 ** ntire_evs(folder, key)[0]).astype(np.float32)


def find_scenes(root: Path) -> List[Tuple[str, Tuple[float, ...], Callable]]:
    """Every scene under ``root``, sorted: ``[(name, EVs, loader)]``, Kalantari folders and NTIRE frames."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root}: no such folder; fetch a set with python data_scripts/fetch_datasets.py kalantari-test"
        )
    scenes = []
    for hdr in sorted(root.rglob("HDRImg.hdr")):  # a Kalantari scene that lost its exposures would vanish
        if not (hdr.parent / "exposure.txt").is_file():
            raise ImageError(
                f"{hdr.parent}: a Kalantari scene without exposure.txt; restore it (fetch the set again)"
            )
    for exp in sorted(root.rglob("exposure.txt")):
        f = exp.parent
        scenes.append((str(f.relative_to(root)), kalantari_evs(f), lambda f=f: kalantari_scene(f)))
    for gt in sorted(root.rglob("*_gt.png")):
        f, key = gt.parent, gt.name[: -len("_gt.png")]
        scenes.append(
            (str((f / key).relative_to(root)), ntire_evs(f, key), lambda f=f, k=key: ntire_scene(f, k))
        )
    return scenes


class HDRSceneFolder(_PairSource):
    """The scenes of a real HDR set under ``root`` as ``(frames (9, h, w), hdr (3, h, w))`` examples.

    Args:
        root: a folder holding Kalantari scene folders and/or NTIRE frames, at any depth.
        patch: crop side (None: whole frames; then the evaluation crops each to a multiple of ``multiple``).
        multiple: whole frames are cropped to multiples of this (16: the networks' PixelUnshuffle and ESA).
        evs: the EVs the networks were trained with; scenes shot at others are skipped and named in
            ``self.skipped``.
        seed, augment: as :class:`~course_lib.data.datasets.SyntheticPairs`.

    Raises:
        FileNotFoundError: ``root`` is missing. ValueError: no usable scene under it. ImageError: a damaged file.
    """

    def __init__(self, root, patch: Optional[int] = None, *, multiple: int = 16, evs=EVS, seed: int = 0,
                 augment: bool = False):  # fmt: skip
        self.root, self.patch, self.multiple, self.scale = Path(root), patch, multiple, 1
        self.seed, self.use_augment, self.lq_only = seed, augment, False
        self.evs = tuple(float(v) for v in evs)
        found = find_scenes(self.root)
        usable = [(name, loader) for name, ev, loader in found if np.allclose(ev, self.evs)]
        self.skipped = [f"{name} ({', '.join(f'{v:+g}' for v in ev)} EV)" for name, ev, _ in found
                        if not np.allclose(ev, self.evs)]  # fmt: skip
        if not usable:
            raise ValueError(
                f"{self.root}: no HDR scene shot at {', '.join(f'{v:+g}' for v in self.evs)} EV "
                f"({len(self.skipped)} others skipped); a set holds Kalantari folders with exposure.txt or "
                "NTIRE *_gt.png files: python data_scripts/fetch_datasets.py kalantari-test"
            )
        self.names = [n for n, _ in usable]
        self._loaders = [ld for _, ld in usable]
        self._cache: dict = {}

    def __len__(self) -> int:
        return len(self._loaders)

    def _pair(self, i: int):
        if i not in self._cache:
            frames, hdr = self._loaders[i]()
            if frames.shape[:2] != hdr.shape[:2]:
                raise ImageError(
                    f"{self.names[i]}: frames {frames.shape[:2]} and HDR {hdr.shape[:2]} differ in size"
                )
            small = self.patch or self.multiple
            if min(hdr.shape[:2]) < small:
                raise ImageError(f"{self.root / self.names[i]}: frames of {hdr.shape[0]}x{hdr.shape[1]} pixels, smaller than "
                                 f"{small}x{small} (the {'crop' if self.patch else 'networks'} need at least that)")  # fmt: skip
            if self.patch is None:
                h, w = (s - s % self.multiple for s in hdr.shape[:2])
                frames, hdr = frames[:h, :w], hdr[:h, :w]
            self._cache[i] = (frames.astype(np.float32), hdr.astype(np.float32))
        return self._cache[i]
