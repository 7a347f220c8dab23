"""Image I/O with validation, and the real photographs that come with the course.

The photos ship inside dependencies, so nothing is downloaded:

============== ====================== ========= ============================================ ==========
name           source                 size      licence (from the package's own docstring)   split
============== ====================== ========= ============================================ ==========
astronaut      scikit-image           512x512   public domain (NASA)                         train
rocket         scikit-image           427x640   public domain (SpaceX)                       train
motorcycle     scikit-image (left)    500x741   Middlebury 2014, citation requested          train
motorcycle_r   scikit-image (right)   500x741   Middlebury 2014, citation requested          train
grace_hopper   matplotlib             600x512   public domain (US Navy)                      train
coffee         scikit-image           400x600   CC0 (R. Michetti)                            held-out
chelsea        scikit-image           300x451   CC0 (S. van der Walt)                        held-out
============== ====================== ========= ============================================ ==========

The motorcycle comes with ground-truth stereo disparity (see :func:`course_lib.data.degrade.motorcycle_depth`).
Held-out photos are never used for training in the notebooks; every quality table is measured on them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

PathLike = Union[str, os.PathLike]

TRAIN = ("astronaut", "rocket", "motorcycle", "motorcycle_r", "grace_hopper")
HELDOUT = ("coffee", "chelsea")
LICENCES = {
    "astronaut": "public domain (NASA), scikit-image",
    "rocket": "public domain (SpaceX), scikit-image",
    "motorcycle": "Middlebury 2014 stereo (Scharstein et al., GCPR 2014; cite it), scikit-image",
    "motorcycle_r": "Middlebury 2014 stereo (Scharstein et al., GCPR 2014; cite it), scikit-image",
    "grace_hopper": "public domain (US Navy), matplotlib sample data",
    "coffee": "CC0 (Rachel Michetti), scikit-image",
    "chelsea": "CC0 (Stefan van der Walt), scikit-image",
}


class ImageError(ValueError):
    """An image file that cannot be used: missing, unreadable, or of an unsupported kind."""


def _to_float_rgb(img: Image.Image, path: PathLike) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
        a = np.repeat((a / top)[..., None], 3, axis=-1)
    elif mode == "F":
        raise ImageError(f"{path}: floating-point images are not supported; save as 8- or 16-bit PNG")
    else:
        if mode in ("P", "PA"):
            img = img.convert("RGBA")
        if img.mode in ("RGBA", "LA"):
            # Composite on black would darken edges; on white would brighten them. Dropping alpha keeps
            # the stored colours, which is what restoration needs.
            img = img.convert("RGB")
        elif img.mode != "RGB":
            img = img.convert("RGB")  # L, 1, CMYK, YCbCr ...
        a = np.asarray(img, dtype=np.float64) / 255.0
    return np.ascontiguousarray(a, dtype=np.float32)


def load_image(path: PathLike) -> np.ndarray:
    """Read an image file as float32 ``(H, W, 3)`` in [0, 1].

    8- and 16-bit files are scaled by their maximum code value; grayscale is repeated to three channels;
    palette images are expanded; an alpha channel is dropped (the colours are kept as stored).

    Raises:
        ImageError: the file is missing, is a folder, is empty, is not an image, or is truncated/corrupt.
    """
    p = Path(path)
    if not p.exists():
        raise ImageError(f"{p}: no such file; check the path (relative paths start at {Path.cwd()})")
    if p.is_dir():
        raise ImageError(f"{p}: is a folder, not an image file")
    if p.stat().st_size == 0:
        raise ImageError(f"{p}: the file is empty (0 bytes); re-download or re-export it")
    try:
        with Image.open(p) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)  # phone photos: the EXIF orientation tag, applied
            return _to_float_rgb(upright, p)
    except UnidentifiedImageError:
        raise ImageError(f"{p}: not an image file Pillow can read (PNG, JPEG, BMP, TIFF, ...)") from None
    except Image.DecompressionBombError as err:
        raise ImageError(f"{p}: refusing an image this large ({err}); shrink it first") from None
    except (OSError, SyntaxError) as err:
        raise ImageError(
            f"{p}: the image is corrupt or truncated ({err}); re-download or re-export it"
        ) from None


def save_image(path: PathLike, img: np.ndarray) -> None:
    """Write a float image ``(H, W, 3)`` or ``(3, H, W)`` in [0, 1] (values outside are clipped) as 8-bit."""
    a = np.asarray(img.asnumpy() if hasattr(img, "asnumpy") else img, dtype=np.float64)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        a = a.transpose(1, 2, 0)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ImageError(f"save_image expects an RGB image (H, W, 3) or (3, H, W), got shape {a.shape}")
    pil = Image.fromarray(np.round(np.clip(a, 0, 1) * 255).astype(np.uint8))
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pil.save(path)
    except ValueError as err:  # Pillow: unknown file extension
        raise ImageError(f"{path}: cannot save ({err}); use .png, .jpg, .bmp or .tif") from None
    except OSError as err:  # a folder that is a file, no permission, a full disk
        raise ImageError(
            f"{path}: cannot write it ({err.strerror or err}); choose a folder you can write to"
        ) from None


def _load_named(name: str) -> np.ndarray:
    import skimage.data as skd

    if name == "grace_hopper":
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        return load_image(path)
    if name in ("motorcycle", "motorcycle_r"):
        left, right, _ = skd.stereo_motorcycle()
        arr = left if name == "motorcycle" else right
    else:
        arr = getattr(skd, name)()
    return np.ascontiguousarray(arr, dtype=np.float32) / 255.0


_CACHE: Dict[str, np.ndarray] = {}


def photo_names() -> List[str]:
    """All bundled photo names: training ones first, then held-out ones."""
    return list(TRAIN + HELDOUT)


def photo(name: str, max_side: int | None = None) -> np.ndarray:
    """A bundled photo as float32 ``(H, W, 3)`` in [0, 1], optionally shrunk so its longer side is at most
    ``max_side`` (PIL bicubic with antialiasing)."""
    if name not in LICENCES:
        raise KeyError(f"no bundled photo {name!r}; choose one of {photo_names()}")
    if name not in _CACHE:
        _CACHE[name] = _load_named(name)
    img = _CACHE[name]
    if max_side and max(img.shape[:2]) > max_side:
        h, w = img.shape[:2]
        f = max_side / max(h, w)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        pil = Image.fromarray(np.round(img * 255).astype(np.uint8)).resize(size, Image.BICUBIC)
        return np.asarray(pil, dtype=np.float32) / 255.0
    return img.copy()


def train_images(max_side: int | None = None, count: int | None = None) -> List[np.ndarray]:
    """The training photos (see the table above), optionally shrunk and limited to ``count``."""
    return [photo(n, max_side) for n in TRAIN[:count]]


def heldout_images(max_side: int | None = None, count: int | None = None) -> List[np.ndarray]:
    """The held-out photos that quality tables are measured on."""
    return [photo(n, max_side) for n in HELDOUT[:count]]
