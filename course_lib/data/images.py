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


# Real photos (no ground truth) among the Debian wallpapers that data_scripts/get_photos.py downloads into
# DOWNLOADED_PHOTOS: the notebooks show the restorers on them beside the synthetic test sets. Both are also
# among the recipe's 24 clear training photos (under synthetic haze or darkening, never as they are).
DOWNLOADED_PHOTOS = Path.home() / ".cache" / "course_lib" / "photos"
REAL_PHOTOS = {
    "ColdRipple": "real fog over a lake: Risto Saukonpää, KDE Plasma wallpapers (plasma-workspace-wallpapers), LGPLv3",
    "DarkestHour": "real dusk, dim and misty: Risto Saukonpää, KDE Plasma wallpapers (plasma-workspace-wallpapers), "
    "LGPLv3",
}


class ImageError(ValueError):
    """An image file that cannot be used: missing, unreadable, or of an unsupported kind."""


# Every reader of course_lib (images, Radiance .hdr, 16-bit PNG, TIFF) refuses, before decoding, a file whose
# header declares more pixels than this: a 233 KB PNG can declare 80 megapixels (3.5 GB once decoded).
# 40 megapixels is 480 MB as float32 RGB; raise it with the environment variable COURSE_MAX_PIXELS.
MAX_PIXELS_ENV = "COURSE_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 40_000_000


def max_pixels() -> int:
    """The pixel limit: ``$COURSE_MAX_PIXELS`` if set (a positive whole number), else 40 megapixels."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise ImageError(f"{MAX_PIXELS_ENV}={text!r} is not a positive whole number of pixels")
    return int(text)


def check_pixels(path: PathLike, width: int, height: int) -> None:
    """Refuse (ImageError) sizes below 1 or above :func:`max_pixels`; called before any pixel is decoded."""
    if width < 1 or height < 1:
        raise ImageError(f"{path}: the header declares a {width}x{height} image; the file is damaged")
    limit = max_pixels()
    if width * height > limit:
        raise ImageError(
            f"{path}: the header declares {width}x{height} = {width * height / 1e6:.1f} megapixels, above the "
            f"limit of {limit / 1e6:g} ({width * height * 12 / 2**30:.1f} GiB as float32 RGB); shrink the "
            f"image, or raise the limit with the environment variable {MAX_PIXELS_ENV}=PIXELS"
        )


def _png_bit_depth(path: Path) -> int:
    """The bit depth in a PNG's IHDR (0 when the file is not a PNG)."""
    with open(path, "rb") as f:
        head = f.read(26)
    return head[24] if len(head) == 26 and head[:8] == b"\x89PNG\r\n\x1a\n" else 0


def read_png16(path: PathLike) -> np.ndarray:
    """A 16-bit PNG as uint16 ``(H, W, planes)`` at full precision (pypng; Pillow keeps 8 bits of RGB).

    The size is checked against :func:`max_pixels` before decoding."""
    import png

    try:
        reader = png.Reader(filename=str(path))
        reader.preamble()
        check_pixels(path, reader.width, reader.height)
        width, height, rows, info = reader.asDirect()
        a = np.empty((height, width * info["planes"]), np.uint16)
        for y, row in enumerate(rows):
            a[y] = row
    except (OSError, png.Error, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(f"{path}: not a PNG pypng can read, or truncated ({err})") from None
    if info["bitdepth"] != 16:
        raise ImageError(f"{path}: a {info['bitdepth']}-bit PNG where a 16-bit one is expected")
    return a.reshape(height, width, info["planes"])


def _scaled(a: np.ndarray, top: float) -> np.ndarray:
    """``a / top`` as float32 without a float64 copy (peak memory: the float32 result and ``a``)."""
    out = np.empty(a.shape, np.float32)
    np.divide(a, np.float32(top), out=out, dtype=np.float32)
    return out


def _tiff_bits(img: Image.Image) -> tuple:
    bits = img.tag_v2.get(258, (8,))
    return tuple(bits) if isinstance(bits, (tuple, list)) else (bits,)


def _load_tiff_rgb16(p: Path) -> np.ndarray:
    """A 16-bit RGB(A) TIFF at full precision (tifffile; the size was checked from the header)."""
    import tifffile

    try:
        a = tifffile.imread(str(p))
    except (OSError, ValueError, IndexError, tifffile.TiffFileError) as err:
        raise ImageError(
            f"{p}: the TIFF is corrupt or truncated ({err}); re-download or re-export it"
        ) from None
    if a.dtype != np.uint16 or a.ndim != 3 or a.shape[-1] < 3:
        raise ImageError(
            f"{p}: a {a.dtype} TIFF of shape {a.shape}; export it as an 8- or 16-bit RGB TIFF or PNG"
        )
    return _scaled(a[..., :3], 65535.0)


def _load_png16(p: Path) -> np.ndarray:
    a = read_png16(p)
    planes = a.shape[-1]
    rgb = a[..., :3] if planes >= 3 else np.repeat(a[..., :1], 3, axis=-1)  # drop alpha; gray to 3 channels
    return _scaled(rgb, 65535.0)


def _to_float_rgb(img: Image.Image, path: PathLike) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img)
        if mode == "I" and (a.min() < 0 or a.max() > 65535):  # 32-bit integer TIFFs: no scale is implied
            raise ImageError(f"{path}: a 32-bit integer image with values {a.min()} to {a.max()}, outside the "
                             "8- and 16-bit ranges; export it as an 8- or 16-bit PNG or TIFF")  # fmt: skip
        top = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
        return np.repeat(_scaled(a, top)[..., None], 3, axis=-1)
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
        return _scaled(np.asarray(img), 255.0)


def load_image(path: PathLike) -> np.ndarray:
    """Read an image file as float32 ``(H, W, 3)`` in [0, 1].

    8- and 16-bit files are scaled by their maximum code value (16-bit PNGs at full precision, through
    pypng); grayscale is repeated to three channels; palette images are expanded; an alpha channel is
    dropped (the colours are kept as stored). Peak memory stays below 3x the float32 result.

    Raises:
        ImageError: the file is missing, is a folder, is empty, is not an image, is truncated/corrupt,
            declares more pixels than :func:`max_pixels` (checked before decoding), or holds 32-bit
            integers outside the 16-bit range.
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
            check_pixels(p, *img.size)  # from the header, before any pixel is decoded
            if img.format == "PNG" and _png_bit_depth(p) == 16:
                return _load_png16(p)
            if img.format == "TIFF" and img.mode in ("RGB", "RGBA") and max(_tiff_bits(img)) > 8:
                return _load_tiff_rgb16(p)  # Pillow keeps 8 of the 16 bits of RGB TIFFs
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
    """Write a float image ``(H, W, 3)`` or ``(3, H, W)`` in [0, 1] (values outside are clipped) as 8-bit.

    Raises ImageError (and writes nothing) when the image holds NaN."""
    a = np.asarray(img.asnumpy() if hasattr(img, "asnumpy") else img, dtype=np.float64)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        a = a.transpose(1, 2, 0)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ImageError(f"save_image expects an RGB image (H, W, 3) or (3, H, W), got shape {a.shape}")
    if np.isnan(a).any():  # clip would turn NaN into black without a word
        raise ImageError(f"{path}: not written: the image holds NaN at {int(np.isnan(a).any(-1).sum())} pixel(s) "
                         "(a diverged network or a division by zero upstream)")  # fmt: skip
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
    return _shrunk(_CACHE[name], max_side)


def _shrunk(img: np.ndarray, max_side: int | None) -> np.ndarray:
    """A copy of ``img`` with its longer side at most ``max_side`` (PIL bicubic, on 8-bit values)."""
    if max_side and max(img.shape[:2]) > max_side:
        h, w = img.shape[:2]
        f = max_side / max(h, w)
        size = (max(1, round(w * f)), max(1, round(h * f)))
        pil = Image.fromarray(np.round(img * 255).astype(np.uint8)).resize(size, Image.BICUBIC)
        return np.asarray(pil, dtype=np.float32) / 255.0
    return img.copy()


def real_photo(name: str, max_side: int | None = None) -> np.ndarray:
    """A real photo of :data:`REAL_PHOTOS` as float32 ``(H, W, 3)`` in [0, 1], shrunk like :func:`photo`.
    Raises FileNotFoundError, naming the command that downloads it, when it is not in the cache."""
    if name not in REAL_PHOTOS:
        raise KeyError(f"no real photo {name!r}; choose one of {sorted(REAL_PHOTOS)}")
    path = DOWNLOADED_PHOTOS / f"{name}.png"
    if not path.is_file():
        raise FileNotFoundError(
            f"{name} is not downloaded: python data_scripts/get_photos.py fetches it (with 23 more photos, 140 MB)"
        )
    return _shrunk(load_image(path), max_side)


def train_images(max_side: int | None = None, count: int | None = None) -> List[np.ndarray]:
    """The training photos (see the table above), optionally shrunk and limited to ``count``."""
    return [photo(n, max_side) for n in TRAIN[:count]]


def heldout_images(max_side: int | None = None, count: int | None = None) -> List[np.ndarray]:
    """The held-out photos that quality tables are measured on."""
    return [photo(n, max_side) for n in HELDOUT[:count]]
