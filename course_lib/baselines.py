"""Classical baselines every notebook compares against: dark channel prior, gamma, histogram
equalisation, bicubic upscaling. NumPy/scikit-image on ``(H, W, 3)`` float images in [0, 1].

Dark channel prior (DCP). He, Sun and Tang, "Single Image Haze Removal Using Dark Channel Prior"
(CVPR 2009; TPAMI 2011), with the guided-filter refinement of He, Sun and Tang, "Guided Image
Filtering" (ECCV 2010; TPAMI 2013). Haze model, Eq. (1): I = J t + A (1 - t).

1. Dark channel, Eq. (5): J_dark(x) = min over a patch Omega(x) of min over RGB. In haze-free outdoor
   photos it is close to 0 (shadows, colourful or dark objects), so in a hazy image it measures haze.
2. Airlight A: among the ``top_fraction`` (0.1 %) brightest pixels of the dark channel, the input pixel
   with the highest intensity (sum of RGB) - the paper's rule, which avoids picking a white object.
3. Transmission, Eq. (12): t~(x) = 1 - omega * min_Omega min_c I_c / A_c; omega = 0.95 keeps a little
   haze for depth perception.
4. Refinement: the guided filter with the grey hazy image as guide replaces the paper's soft matting
   (the 2010 paper's own suggestion, much faster), radius ``guided_radius`` and regulariser ``eps``.
5. Recovery, Eq. (22): J = (I - A) / max(t, t0) + A, t0 = 0.1, clipped to [0, 1].

Parameter choices: patch 15 and omega 0.95 are the paper's (for ~600x400 images); the guided filter
paper uses r = 60, eps = 1e-4 for dehazing at that size. Our photos are smaller (128-512 px), so the
radius defaults to 40 and eps to 1e-3 (a slightly smoother t, fewer halos on small images). DCP fails
where the prior fails: large white or grey objects and sky look like haze and get over-darkened.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _check_image(img, name="image"):
    a = np.asarray(img, dtype=np.float64)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(f"{name} must be an RGB array (H, W, 3) in [0, 1], got shape {a.shape}")
    return a


def dark_channel(img, patch=15):
    """Eq. (5): min over RGB, then min over a ``patch`` x ``patch`` window. (H, W, 3) -> (H, W)."""
    a = _check_image(img)
    return ndimage.minimum_filter(a.min(axis=2), size=patch, mode="nearest")


def atmospheric_light(img, dark, top_fraction=0.001):
    """Airlight A (3,): the brightest input pixel among the ``top_fraction`` haziest dark-channel pixels."""
    a = _check_image(img)
    flat_dark = dark.reshape(-1)
    count = max(1, int(round(flat_dark.size * top_fraction)))
    candidates = np.argpartition(flat_dark, -count)[-count:]
    pixels = a.reshape(-1, 3)[candidates]
    return pixels[np.argmax(pixels.sum(axis=1))]


def box_filter(x, radius):
    """Mean over a (2r+1) x (2r+1) window (reflected at the borders). (H, W) -> (H, W)."""
    return ndimage.uniform_filter(x, size=2 * radius + 1, mode="reflect")


def guided_filter(guide, src, radius, eps):
    """He et al. 2010, Eq. (5), (6), (8): q = mean(a) * I + mean(b) with a = cov(I, p) / (var(I) + eps).

    guide, src: (H, W) float arrays; returns (H, W). Edge-preserving smoothing of ``src`` along ``guide``.
    """
    mean_i = box_filter(guide, radius)
    mean_p = box_filter(src, radius)
    cov_ip = box_filter(guide * src, radius) - mean_i * mean_p
    var_i = box_filter(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)  # Eq. (5)
    b = mean_p - a * mean_i  # Eq. (6)
    return box_filter(a, radius) * guide + box_filter(b, radius)  # Eq. (8)


def dark_channel_prior(
    hazy,
    patch=15,
    omega=0.95,
    t0=0.1,
    guided_radius=40,
    eps=1e-3,
    top_fraction=0.001,
    return_parts=False,
):
    """Dehaze one image with the dark channel prior (module docstring, steps 1-5).

    Args:
        hazy: (H, W, 3) float in [0, 1].
        patch: side of the min-filter window (paper: 15).
        omega: fraction of haze removed (paper: 0.95).
        t0: lower bound of the transmission in the recovery (paper: 0.1).
        guided_radius: guided-filter radius; None or 0 skips the refinement (raw blocky t).
        eps: guided-filter regulariser.
        top_fraction: share of haziest dark-channel pixels searched for A (paper: 0.1 %).
        return_parts: also return a dict with 'dark' (H, W), 'A' (3,), 't_raw' and 't' (H, W).

    Returns:
        J: (H, W, 3) float32 in [0, 1], or (J, parts) when ``return_parts``.
    """
    img = _check_image(hazy, "hazy")
    dark = dark_channel(img, patch)
    airlight = atmospheric_light(img, dark, top_fraction)
    normalised = img / np.maximum(airlight, 1e-6)
    t_raw = 1.0 - omega * dark_channel(normalised, patch)  # Eq. (12)
    if guided_radius:
        gray = img @ np.array([0.299, 0.587, 0.114])  # BT.601 luma as the guide
        t = guided_filter(gray, t_raw, guided_radius, eps)
    else:
        t = t_raw
    t = np.clip(t, 0.0, 1.0)
    j = (img - airlight) / np.maximum(t, t0)[..., None] + airlight  # Eq. (22)
    j = np.clip(j, 0.0, 1.0).astype(np.float32)
    if return_parts:
        return j, {"dark": dark, "A": airlight, "t_raw": t_raw, "t": t}
    return j


def gamma_correction(img, gamma):
    """out = img ** gamma, per channel. gamma < 1 brightens (0.4-0.6 for low light), > 1 darkens.

    img: (H, W, 3) or (H, W) float in [0, 1]; returns float32 of the same shape.
    """
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    a = np.clip(np.asarray(img, dtype=np.float64), 0.0, 1.0)
    return (a**gamma).astype(np.float32)


def histogram_equalization(img, channel="v"):
    """Global histogram equalisation of brightness only (``skimage.exposure.equalize_hist``).

    Equalising R, G and B separately shifts colours; here only one brightness channel is equalised:
    'v' (default) the V of HSV (max of RGB; hue and saturation kept), or 'y' the luma Y of YCbCr
    (BT.601; chroma kept). img: (H, W, 3) float in [0, 1]; returns float32 (H, W, 3) in [0, 1].
    """
    from skimage import color, exposure

    a = np.clip(_check_image(img), 0.0, 1.0)
    if channel == "v":
        hsv = color.rgb2hsv(a)
        hsv[..., 2] = exposure.equalize_hist(hsv[..., 2])
        out = color.hsv2rgb(hsv)
    elif channel == "y":
        ycc = color.rgb2ycbcr(a)  # Y in [16, 235]
        y = (ycc[..., 0] - 16.0) / 219.0
        ycc[..., 0] = 16.0 + 219.0 * exposure.equalize_hist(y)
        out = color.ycbcr2rgb(ycc)
    else:
        raise ValueError(f"channel must be 'v' or 'y', got {channel!r}")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def bicubic(img, scale, quantize=True):
    """Bicubic upscaling by ``scale`` with MATLAB ``imresize`` conventions (the SR baseline).

    Delegates to :func:`course_lib.data.degrade.bicubic_upscale` (``quantize``: round to 8 bit, as the
    published SR tables do); (H, W, 3) -> (H*scale, W*scale, 3) in [0, 1].
    """
    from .data.degrade import bicubic_upscale

    return bicubic_upscale(img, scale, quantize)


# ------------------------------------------------------------------------------------------ HDR
def _gaussian_pyramid(img, levels):
    pyr = [img]
    for _ in range(levels - 1):
        blurred = ndimage.gaussian_filter(pyr[-1], sigma=(1, 1) + (0,) * (pyr[-1].ndim - 2), mode="reflect")
        pyr.append(blurred[::2, ::2])
    return pyr


def _upsample(img, shape):
    """Bilinear upsampling of a pyramid level to ``shape`` (the inverse of one reduce step)."""
    factors = (shape[0] / img.shape[0], shape[1] / img.shape[1]) + (1,) * (img.ndim - 2)
    return ndimage.zoom(img, factors, order=1, mode="nearest", grid_mode=True)[: shape[0], : shape[1]]


def exposure_fusion(frames, levels=None, sigma=0.2):
    """Mertens, Kautz and Van Reeth, "Exposure Fusion" (Pacific Graphics 2007): one display-ready image
    from a bracket, without radiance or camera curve.

    Each pixel of each frame k gets a weight W_k = C_k * S_k * E_k (the paper's exponents all 1):
    contrast C = |Laplacian of the grey image|, saturation S = standard deviation over R, G, B, and
    well-exposedness E = prod_c exp(-(I_c - 0.5)^2 / (2 sigma^2)), normalised to sum 1 over k (Eq. 2).
    The frames are blended in a Laplacian pyramid with Gaussian pyramids of the weights (Eq. 3), which
    avoids the seams of a per-pixel blend.

    Args:
        frames: sequence of ``(H, W, 3)`` LDR frames in [0, 1] (any order).
        levels: pyramid levels (default: until the smaller side is about 8 pixels).
    Returns:
        ``(H, W, 3)`` float32 in [0, 1].
    """
    frames = [_check_image(f, f"frames[{k}]").astype(np.float64) for k, f in enumerate(frames)]
    if len({f.shape for f in frames}) != 1 or len(frames) < 2:
        raise ValueError("exposure_fusion needs two or more frames of one size")
    weights = []
    for f in frames:
        grey = f.mean(axis=-1)
        contrast = np.abs(ndimage.laplace(grey, mode="reflect"))
        saturation = f.std(axis=-1)
        exposedness = np.prod(np.exp(-((f - 0.5) ** 2) / (2 * sigma**2)), axis=-1)
        weights.append(contrast * saturation * exposedness + 1e-12)
    total = np.sum(weights, axis=0)
    weights = [w / total for w in weights]
    h, w = frames[0].shape[:2]
    levels = levels or max(1, int(np.floor(np.log2(min(h, w) / 8))) + 1)
    fused = None
    for f, wk in zip(frames, weights):
        gp = _gaussian_pyramid(f, levels)
        lp = [gp[i] - _upsample(gp[i + 1], gp[i].shape) for i in range(levels - 1)] + [gp[-1]]
        wp = _gaussian_pyramid(wk, levels)
        blended = [lap * wgt[..., None] for lap, wgt in zip(lp, wp)]
        fused = blended if fused is None else [a + b for a, b in zip(fused, blended)]
    out = fused[-1]
    for level in reversed(fused[:-1]):
        out = level + _upsample(out, level.shape)
    return np.clip(out, 0, 1).astype(np.float32)
