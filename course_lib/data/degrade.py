"""Physical degradation models that turn a clean photo into a training pair.

All functions take and return float arrays ``(H, W, 3)`` in [0, 1] (NumPy), so they work on any photo and
inside ``mindspore.dataset`` pipelines. Parameter ranges and their sources (see the course's DATA notes):

* **Haze** - atmospheric scattering (Koschmieder; Narasimhan & Nayar 2002):
  ``I = J t + A (1 - t)``, ``t = exp(-beta d)``. RESIDE ITS draws A in [0.7, 1.0] and beta in [0.6, 1.8]
  with depth from NYU (metres); RESIDE OTS uses beta in 0.04-0.2 with estimated outdoor depth. Because the
  right beta depends on the depth units, :func:`beta_for_transmission` picks beta from a target mean
  transmission (t_mean in [0.2, 0.8] covers light to dense haze).
* **Depth** - the motorcycle photo has ground-truth stereo disparity (Middlebury 2014), converted to
  metres with the calibration in scikit-image's docstring; other photos use a ground-plane prior (depth
  grows towards the top of the frame), a rough but honest stand-in when no depth is known.
* **Low light** - in linear RGB: exposure scaling and gamma darkening ``y = k x^g`` (Lv, Li & Lu, IJCV 2021:
  gamma in [1.5, 5]), then heteroscedastic Gaussian noise ``N(0, shot * y + read)`` (Brooks et al.,
  CVPR 2019: shot in [1e-4, 0.012], log read ~ N(2.18 log shot + 1.20, 0.26)), back to sRGB, 8-bit.
* **Bicubic** - MATLAB ``imresize``: Keys cubic with a = -0.5, kernel widened by the scale when shrinking
  (antialiasing), symmetric borders, rounding to 8 bit. This is the convention of every published SR
  table. PIL's BICUBIC and MindSpore's ``Inter.PILCUBIC`` match it; OpenCV's ``INTER_CUBIC``,
  MindSpore's ``Inter.BICUBIC`` and ``ops.interpolate(mode='bicubic')`` do not (no antialiasing, a = -0.75)
  and move a x4 baseline by 0.7-1.1 dB.
* **Exposure brackets** - ``LDR_k = Q8(f(clip(H 2^EV_k)))`` with the sRGB curve as camera response.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Tuple

import numpy as np


def check_rgb(img: np.ndarray, name: str = "image") -> np.ndarray:
    """Return ``img`` as float32 ``(H, W, 3)``; a clear error for grayscale, RGBA or channel-first input."""
    a = np.asarray(img)
    if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 1):
        raise ValueError(
            f"{name} is grayscale with shape {a.shape}; the course works on RGB (H, W, 3): "
            "use course_lib.data.load_image (which converts) or np.repeat(img[..., None], 3, -1)"
        )
    if a.ndim == 3 and a.shape[-1] == 4:
        raise ValueError(f"{name} has 4 channels (RGBA) with shape {a.shape}; drop alpha with img[..., :3]")
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        raise ValueError(
            f"{name} is channel-first {a.shape}; these functions take (H, W, 3): use img.transpose(1, 2, 0)"
        )
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"{name} must be an RGB image of shape (H, W, 3), got shape {a.shape}")
    return a.astype(np.float32, copy=False)


# ----------------------------------------------------------------------------------------------- haze
def transmission(depth: np.ndarray, beta: float) -> np.ndarray:
    """``t = exp(-beta d)``: the fraction of scene light that reaches the camera. ``(H, W)`` in (0, 1]."""
    if beta < 0:
        raise ValueError(f"beta must be >= 0 (scattering coefficient), got {beta}")
    return np.exp(-beta * np.asarray(depth, dtype=np.float64)).astype(np.float32)


def beta_for_transmission(depth: np.ndarray, t_mean: float) -> float:
    """The beta that gives a mean transmission of about ``t_mean`` over ``depth``: ``-ln(t_mean) / mean(d)``."""
    if not 0 < t_mean <= 1:
        raise ValueError(f"t_mean must be in (0, 1], got {t_mean}")
    return float(-math.log(t_mean) / np.mean(depth))


def haze(clean: np.ndarray, depth: np.ndarray, beta: float, airlight=0.9) -> np.ndarray:
    """Hazy image ``I = J t + A (1 - t)`` with ``t = exp(-beta d)`` (atmospheric scattering model).

    Args:
        clean: J, ``(H, W, 3)`` in [0, 1].
        depth: d, ``(H, W)`` scene depth (any unit; beta is per that unit), >= 0.
        beta: scattering coefficient; 0 means no haze.
        airlight: A, a scalar or an RGB triple in [0, 1] (RESIDE: 0.7-1.0).
    Returns:
        ``(H, W, 3)`` float32 in [0, 1].
    """
    j = check_rgb(clean, "clean")
    d = np.asarray(depth)
    if d.shape != j.shape[:2]:
        raise ValueError(f"depth has shape {d.shape} but the image is {j.shape[:2]}; they must match")
    a = np.broadcast_to(np.asarray(airlight, dtype=np.float32), (3,))
    t = transmission(d, beta)[..., None]
    return (j * t + a * (1 - t)).astype(np.float32)


def smooth_density(shape: Tuple[int, int], rng: np.random.Generator, cells: int = 4, spread: float = 0.7):
    """A smooth random haze-density field ``(H, W)`` with mean about 1: ``exp(spread * z)`` where z is
    Gaussian noise on a coarse ``cells`` x ``cells`` grid, bicubically upsampled and normalised.

    Haze machines (NTIRE's NH-HAZE) leave clouds of uneven density; this is a stand-in with blobs about
    ``1 / cells`` of the frame wide.
    """
    from PIL import Image

    h, w = shape[:2]
    z = rng.standard_normal((cells, cells)).astype(np.float32)
    z = np.asarray(Image.fromarray(z, mode="F").resize((w, h), Image.BICUBIC), dtype=np.float64)
    z = (z - z.mean()) / (z.std() + 1e-8)
    field = np.exp(spread * z)
    return (field / field.mean()).astype(np.float32)


def nonhomogeneous_haze(
    clean: np.ndarray,
    depth: np.ndarray,
    rng: np.random.Generator,
    t_mean: float = 0.5,
    airlight: float = 0.85,
    tint: float = 0.06,
    spread: float = 0.7,
) -> np.ndarray:
    """Non-homogeneous haze in the style of NH-HAZE: ``I = J t + A (1 - t)`` with
    ``t = exp(-beta d D)``, D a smooth random density field (:func:`smooth_density`), and a slightly
    tinted airlight ``A = airlight * (1 + tint * u)``, u uniform in [-1, 1]^3 (clipped to 1).

    ``beta`` is chosen so that the mean transmission is about ``t_mean``. ``(H, W, 3)`` float32 in [0, 1].
    """
    j = check_rgb(clean, "clean")
    d = np.asarray(depth, dtype=np.float64) * smooth_density(j.shape[:2], rng, spread=spread)
    a = np.clip(airlight * (1.0 + tint * rng.uniform(-1.0, 1.0, 3)), 0.0, 1.0)
    return haze(j, d, beta_for_transmission(d, t_mean), a)


def random_haze(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training haze: homogeneous (RESIDE-like: t_mean 0.3-0.7, airlight 0.7-1.0) or, half the time,
    non-homogeneous with a tinted airlight (:func:`nonhomogeneous_haze`), over the ground-plane depth prior."""
    depth = depth_prior(clean.shape[:2])
    t_mean, a = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.7, 1.0))
    if rng.uniform() < 0.5:
        return haze(clean, depth, beta_for_transmission(depth, t_mean), airlight=a)
    return nonhomogeneous_haze(clean, depth, rng, t_mean=t_mean, airlight=a)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """``img`` saved as a JPEG of ``quality`` (1-95, PIL's scale) and read back: 8-bit, 4:2:0 chroma,
    8x8 block artefacts. ``(H, W, 3)`` float32 in [0, 1]."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(np.clip(check_rgb(img), 0, 1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=np.float32) / 255.0


def camera_haze(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Haze as a camera records it, for training dehazers meant for real photos: :func:`random_haze`'s
    kinds with denser, patchier clouds (a third homogeneous; else density spread 0.5-1.5, airlight tint up
    to 10 %, mean transmission 0.2-0.7), then sensor noise (Gaussian, sigma 0-0.02) and JPEG (quality 60-95).

    A dehazer multiplies the contrast of whatever reaches it by 1/t, noise and block edges included; trained
    on noise-free haze it learns to amplify them (the dark channel prior does the same on NH-HAZE photos).
    ``(H, W, 3)`` float32 in [0, 1], 8-bit levels.
    """
    depth = depth_prior(clean.shape[:2])
    t_mean, a = float(rng.uniform(0.2, 0.7)), float(rng.uniform(0.7, 1.0))
    if rng.uniform() < 1 / 3:
        hazy = haze(clean, depth, beta_for_transmission(depth, t_mean), airlight=a)
    else:
        hazy = nonhomogeneous_haze(clean, depth, rng, t_mean=t_mean, airlight=a, tint=float(rng.uniform(0, 0.1)),
                                   spread=float(rng.uniform(0.5, 1.5)))  # fmt: skip
    return camera_noise(hazy, rng)


def camera_noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise (Gaussian, sigma drawn in 0-0.02) then JPEG (quality 60-95): what a camera adds after
    the scene. ``(H, W, 3)`` float32 in [0, 1], 8-bit levels."""
    noisy = img + rng.normal(0.0, rng.uniform(0.0, 0.02), img.shape)
    return jpeg(noisy, int(rng.integers(60, 96)))


def noisy_haze(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`random_haze` (the course's haze, as the held-out sets have it) followed by :func:`camera_noise`:
    the same clouds and airlights, recorded as a camera would. ``(H, W, 3)`` float32 in [0, 1], 8-bit levels."""
    return camera_noise(random_haze(clean, rng), rng)


def sometimes_noisy_haze(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`random_haze`, and half the time :func:`camera_noise` on top: clean and camera-recorded versions of
    the same kinds of haze. ``(H, W, 3)`` float32 in [0, 1]."""
    hazy = random_haze(clean, rng)
    return camera_noise(hazy, rng) if rng.uniform() < 0.5 else hazy


def depth_prior(
    shape: Tuple[int, int], near: float = 1.0, far: float = 10.0, power: float = 1.5
) -> np.ndarray:
    """Ground-plane depth prior: ``d(y) = near + (far - near) ((H - y) / H)^power``, deepest at the top row.

    A stand-in for photos without measured depth (outdoor scenes roughly follow it). ``(H, W)`` float32.
    """
    h, w = shape[:2]
    rows = ((h - np.arange(h, dtype=np.float64) - 0.5) / h) ** power
    return np.repeat((near + (far - near) * rows)[:, None], w, axis=1).astype(np.float32)


def motorcycle_depth() -> np.ndarray:
    """Metric depth (metres, 2.1-5.0) of scikit-image's ``stereo_motorcycle`` left view, ``(500, 741)``.

    ``Z = B f / (disparity + doffs)`` with f = 994.978 px, B = 0.193001 m, doffs = 31.086 px (the
    quarter-size calibration in scikit-image's docstring). The 7 % of pixels without ground truth (inf)
    take the value of the nearest valid pixel.
    """
    import skimage.data as skd
    from scipy import ndimage

    _, _, disp = skd.stereo_motorcycle()
    invalid = ~np.isfinite(disp)
    nearest = ndimage.distance_transform_edt(invalid, return_distances=False, return_indices=True)
    disp = disp[tuple(nearest)]
    return (0.193001 * 994.978 / (disp + 31.086)).astype(np.float32)


# ----------------------------------------------------------------------------------------- low light
def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Inverse sRGB transfer curve (IEC 61966-2-1), [0, 1] -> [0, 1]."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """sRGB transfer curve, linear [0, 1] -> encoded [0, 1] (values are clipped to [0, 1] first)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0, 1)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def quantize8(x: np.ndarray) -> np.ndarray:
    """Round to the nearest of 256 levels, as saving to an 8-bit file does."""
    return (np.round(np.clip(x, 0, 1) * 255.0) / 255.0).astype(np.float32)


def low_light(
    img: np.ndarray,
    exposure: float = 0.25,
    gamma: float = 2.0,
    shot_noise: float = 1e-3,
    read_noise: float = 1e-5,
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """Simulate an under-exposed, noisy photo of ``img``.

    In linear light: ``y = exposure * x^gamma`` then ``y + N(0, shot_noise * y + read_noise)``; back to
    sRGB and 8 bit. Ranges from the literature: exposure 0.05-1, gamma 1.5-5 (Lv et al. 2021), shot noise
    1e-4-0.012 (Brooks et al. 2019). ``shot_noise = read_noise = 0`` gives a noise-free image.

    Args:
        img: ``(H, W, 3)`` sRGB in [0, 1]. rng: NumPy generator for the noise (default: seed 0).
    Returns:
        ``(H, W, 3)`` float32 in [0, 1], quantised to 8 bit.
    """
    x = srgb_to_linear(check_rgb(img, "img"))
    if not 0 < exposure <= 1:
        raise ValueError(f"exposure must be in (0, 1] (a darkening factor), got {exposure}")
    if gamma < 1:
        raise ValueError(f"gamma must be >= 1 to darken, got {gamma}")
    rng = np.random.default_rng(0) if rng is None else rng
    y = exposure * x**gamma
    if shot_noise or read_noise:
        y = y + rng.normal(size=y.shape) * np.sqrt(shot_noise * y + read_noise)
    return quantize8(linear_to_srgb(y))


def _random_noise_levels(rng: np.random.Generator) -> Tuple[float, float]:
    """Shot and read noise variances: log shot uniform in [log 1e-4, log 0.012], read from Brooks et al.'s fit."""
    log_shot = rng.uniform(math.log(1e-4), math.log(0.012))
    log_read = rng.normal(2.18 * log_shot + 1.20, 0.26)
    return math.exp(log_shot), math.exp(log_read)


def random_low_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`low_light` with parameters drawn from the literature ranges (exposure 0.1-0.5, gamma 1.5-3,
    log shot uniform in [log 1e-4, log 0.012], read noise from Brooks et al.'s fit)."""
    shot, read = _random_noise_levels(rng)
    exposure, gamma = float(rng.uniform(0.1, 0.5)), float(rng.uniform(1.5, 3.0))
    return low_light(img, exposure=exposure, gamma=gamma, shot_noise=shot, read_noise=read, rng=rng)


def random_short_exposure(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real short exposure: linear light times 0.02-0.2 (log-uniform) with :func:`random_low_light`'s noise,
    and no gamma. Fewer photons keep the scene's colour ratios, where the per-channel gamma of
    :func:`random_low_light` exaggerates every colour cast (a warm crop comes out warmer still)."""
    shot, read = _random_noise_levels(rng)
    exposure = math.exp(rng.uniform(math.log(0.02), math.log(0.2)))
    return low_light(img, exposure=exposure, gamma=1.0, shot_noise=shot, read_noise=read, rng=rng)


def random_exposure(
    img: np.ndarray, rng: np.random.Generator, over: float = 0.25, dark: Optional[Callable] = None
) -> np.ndarray:
    """Zero-DCE's training data in the spirit of SICE's multi-exposure sequences: usually a dark, noisy photo
    (``dark(img, rng)``, default :func:`random_low_light`), with probability ``over`` an over-exposed one
    (linear light times 1.5-3, clipped, 8 bit). Without bright examples a zero-reference network only ever
    learns to brighten."""
    if rng.uniform() >= over:
        return (dark or random_low_light)(img, rng)
    linear = srgb_to_linear(check_rgb(img, "img")) * float(rng.uniform(1.5, 3.0))
    return quantize8(linear_to_srgb(np.clip(linear, 0.0, 1.0)))


# -------------------------------------------------------------------------------------------- bicubic
def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys (1981) cubic convolution kernel with a = -0.5."""
    ax = np.abs(x)
    return (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1) + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * (
        (ax > 1) & (ax <= 2)
    )


def _resize_weights(in_len: int, out_len: int, scale: float) -> Tuple[np.ndarray, np.ndarray]:
    """Weights ``(out_len, taps)`` and source indices for one axis, as MATLAB's ``imresize`` computes them."""
    shrinking = scale < 1
    width = 4.0 / scale if shrinking else 4.0
    # Output pixel i (1-based) sits at u in input coordinates (pixel centres at 1, 2, ...).
    u = np.arange(1, out_len + 1) / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    idx = left[:, None] + np.arange(int(math.ceil(width)) + 2)[None, :]
    dist = u[:, None] - idx
    w = scale * _cubic(scale * dist) if shrinking else _cubic(dist)
    w = w / w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])  # symmetric borders
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    used = np.any(w != 0, axis=0)
    return w[:, used], idx[:, used]


def imresize(img: np.ndarray, scale: float, quantize: bool = True) -> np.ndarray:
    """MATLAB-compatible bicubic ``imresize(img, scale)`` of an ``(H, W, C)`` image in [0, 1].

    Output size is ``ceil(H * scale) x ceil(W * scale)``; ``quantize`` rounds to 8 bit as MATLAB does for
    uint8 images.
    """
    if not (isinstance(scale, (int, float, np.number)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    out = np.asarray(img, dtype=np.float64)
    for axis in (0, 1):
        n_out = int(math.ceil(out.shape[axis] * scale - 1e-9))
        w, idx = _resize_weights(out.shape[axis], n_out, scale)
        moved = np.moveaxis(out, axis, 0)
        out = np.moveaxis(np.einsum("ot,ot...->o...", w, moved[idx]), 0, axis)
    out = np.clip(out, 0, 1)
    return quantize8(out) if quantize else out.astype(np.float32)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop the bottom and right so that height and width are multiples of ``scale``."""
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def _check_scale(img: np.ndarray, scale: int) -> None:
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    h, w = img.shape[:2]
    if h % scale or w % scale:
        raise ValueError(
            f"image size {h}x{w} is not divisible by scale {scale} (remainders {h % scale}, {w % scale}); "
            f"crop it first with course_lib.data.degrade.modcrop(img, {scale})"
        )


def bicubic_downscale(img: np.ndarray, scale: int, quantize: bool = True) -> np.ndarray:
    """Low-resolution image by MATLAB bicubic ``imresize(img, 1/scale)``: ``(H, W, 3) -> (H/s, W/s, 3)``.

    H and W must be multiples of ``scale`` (use :func:`modcrop`).
    """
    x = check_rgb(img, "img")
    _check_scale(x, scale)
    return imresize(x, 1.0 / scale, quantize)


def bicubic_upscale(img: np.ndarray, scale: int, quantize: bool = True) -> np.ndarray:
    """MATLAB bicubic ``imresize(img, scale)``: ``(h, w, 3) -> (h s, w s, 3)``, the classical SR baseline."""
    x = check_rgb(img, "img")
    _check_scale(x, 1)
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    return imresize(x, float(scale), quantize)


# ------------------------------------------------------------------------------------ exposure brackets
def expand_highlights(linear: np.ndarray, gain: float = 3.0) -> np.ndarray:
    """Pseudo-HDR from an 8-bit photo: stretch near-white linear values, ``H (1 + gain clip((H-0.8)/0.2)^2)``.

    The photo's clipped highlights carry no real detail, so this is only a teaching stand-in for HDR data.
    """
    h = np.asarray(linear, dtype=np.float64)
    return (h * (1 + gain * np.clip((h - 0.8) / 0.2, 0, 1) ** 2)).astype(np.float32)


def exposure_bracket(linear: np.ndarray, evs: Sequence[float] = (-2.0, 0.0, 2.0)) -> list:
    """LDR exposures of a linear HDR image: ``Q8(sRGB(clip(H 2^EV, 0, 1)))`` for each EV.

    Args:
        linear: ``(H, W, 3)`` linear radiance, >= 0 (may exceed 1).
        evs: exposure values in stops relative to the reference exposure (Kalantari 2017: -2, 0, +2).
    Returns:
        a list of ``(H, W, 3)`` float32 images in [0, 1].
    """
    h = check_rgb(linear, "linear")
    if h.min() < 0:
        raise ValueError("linear radiance must be >= 0")
    return [quantize8(linear_to_srgb(np.clip(h * 2.0**ev, 0, 1))) for ev in evs]
