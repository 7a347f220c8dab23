"""Image-quality metrics and model-cost counters.

Conventions (the ones super-resolution and dehazing papers report with):

* Images are float arrays in ``[0, data_range]``: either ``(H, W, C)`` NumPy arrays or ``(C, H, W)`` /
  ``(N, C, H, W)`` MindSpore tensors or arrays (a leading dimension of 1 or 3 is read as channels).
* ``crop_border=s`` shaves ``s`` pixels from every side before measuring (SR papers shave the scale).
* ``y_channel=True`` measures the luma of ITU-R BT.601 in studio swing, as MATLAB's ``rgb2ycbcr``:
  ``Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255`` for RGB in [0, 1]. Published Set5/Set14
  numbers use it. A grey reference (one channel, or three equal ones) is measured on its grey values, as
  MATLAB scripts do (``rgb2ycbcr`` is only applied to colour images; on a grey image turned RGB it would
  shrink every error by 219/255 and add 1.32 dB); the output is then read as the mean of its channels.
* SSIM uses an 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03 (Wang et al. 2004), averaged over
  channels; it equals ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=...)``.
* ``psnr_mu``: PSNR after the mu-law tone map ``T(H) = log(1 + mu H) / log(1 + mu)``, mu = 5000, on linear
  HDR normalised to [0, 1] (Kalantari 2017's protocol; the course's synthetic HDR). ``psnr_mu_ntire``: the
  NTIRE 2021/2022 challenges' version for their gamma-encoded files (linearise with 2.24, divide by the
  reference's 99th percentile, tanh, mu-law).

``count_params`` and ``count_macs`` measure model cost: MACs are multiply-accumulates of convolutions,
transposed convolutions and dense layers (depthwise and grouped included), counted by running the
network once on a zero input. Cells that compute with functional ops can report their own cost with a
``macs(inputs, output) -> int`` method, which ``count_macs`` then uses instead of looking inside.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage

_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0


def to_numpy_image(x: Any) -> np.ndarray:
    """A float64 ``(H, W, C)`` array from an ``(H, W, C)`` array or a ``(C, H, W)`` / ``(1, C, H, W)``
    array or tensor (a first axis of length 1 or 3 before two larger ones is read as channels)."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of shape {a.shape}; measure images one by one")
        a = a[0]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        raise ValueError(f"expected an image of shape (H, W, C) or (C, H, W), got shape {a.shape}")
    return a


def rgb_to_y(img: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """BT.601 luma in studio swing (MATLAB ``rgb2ycbcr``), same range as the input. ``(H, W, 3) -> (H, W, 1)``."""
    if img.shape[-1] != 3:
        raise ValueError(f"y_channel=True needs RGB images with 3 channels, got shape {img.shape}")
    y = img / data_range @ _Y_WEIGHTS + 16.0 / 255.0
    return (y * data_range)[..., None]


def _is_grey(img: np.ndarray) -> bool:
    """One channel, or three equal ones."""
    if img.shape[-1] == 1:
        return True
    return img.shape[-1] == 3 and bool((img[..., 0] == img[..., 1]).all() and (img[..., 0] == img[..., 2]).all())


def _kind(x: Any) -> np.dtype:
    return np.dtype(x.asnumpy().dtype if hasattr(x, "asnumpy") else np.asarray(x).dtype)


def _data_range(x: Any, ref: Any, data_range) -> float:
    """The given ``data_range``, or the images' own: 1.0 for floats, the dtype's maximum for integers
    (255 for uint8). Integer and float images together are refused: one of them is on another scale."""
    kx, kr = _kind(x), _kind(ref)
    ints = [k for k in (kx, kr) if k.kind in "ui"]
    if len(ints) == 1 and data_range is None:
        raise ValueError(f"x is {kx} and ref is {kr}: one is in integer codes (0-{np.iinfo(ints[0]).max}), the "
                         "other in floats; convert both to one scale (e.g. img / 255.0) or give data_range")  # fmt: skip
    if data_range is None and ints and kx not in (np.uint8, np.uint16):  # int64 from a list, int32, ...
        raise ValueError(
            f"x is {kx}: no image range is implied by that type; give data_range (255 for 8-bit codes)"
        )
    if data_range is None:
        data_range = float(np.iinfo(kx).max) if ints else 1.0
    if not (isinstance(data_range, (int, float, np.number)) and math.isfinite(data_range) and data_range > 0):
        raise ValueError(f"data_range must be a positive finite number, got {data_range!r}")
    return float(data_range)


def _prepare(
    x: Any, ref: Any, data_range: float, crop_border: int, y_channel: bool
) -> Tuple[np.ndarray, np.ndarray]:
    a, b = to_numpy_image(x), to_numpy_image(ref)
    if y_channel and b.shape[-1] == 1 and a.shape[-1] == 3:  # a colour output of a grey reference
        a = a.mean(axis=-1, keepdims=True)
    for name, img in (("x", a), ("ref", b)):
        if not np.isfinite(img).all():
            raise ValueError(f"{name} holds NaN or infinity at {int((~np.isfinite(img)).sum())} value(s); "
                             "a metric of it means nothing: find where it came from")  # fmt: skip
    if a.shape != b.shape:
        raise ValueError(
            f"images differ in shape: x has {a.shape} and ref has {b.shape} (both read as (H, W, C)); "
            "crop or resize one to match"
        )
    if crop_border < 0:
        raise ValueError(f"crop_border must be >= 0, got {crop_border}")
    if crop_border:
        if 2 * crop_border >= min(a.shape[:2]):
            raise ValueError(f"crop_border={crop_border} leaves nothing of an image of size {a.shape[:2]}")
        a = a[crop_border:-crop_border, crop_border:-crop_border]
        b = b[crop_border:-crop_border, crop_border:-crop_border]
    if y_channel and _is_grey(b):
        a, b = a.mean(axis=-1, keepdims=True), b[..., :1]
    elif y_channel:
        a, b = rgb_to_y(a, data_range), rgb_to_y(b, data_range)
    return a, b


def psnr(
    x: Any, ref: Any, *, data_range: Optional[float] = None, crop_border: int = 0, y_channel: bool = False
) -> float:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)``; ``inf`` for identical images.

    data_range: None (default) is 1.0 for float images and the dtype's maximum for integer ones (255 for
    uint8); an integer and a float image together need it given. NaN/inf inputs raise ValueError."""
    data_range = _data_range(x, ref, data_range)
    a, b = _prepare(x, ref, data_range, crop_border, y_channel)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def _gaussian_window(sigma: float = 1.5, truncate: float = 3.5) -> np.ndarray:
    radius = int(truncate * sigma + 0.5)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (t / sigma) ** 2)
    return w / w.sum()


def _blur(img: np.ndarray, window: np.ndarray) -> np.ndarray:
    out = ndimage.correlate1d(img, window, axis=0, mode="reflect")
    return ndimage.correlate1d(out, window, axis=1, mode="reflect")


def ssim(
    x: Any, ref: Any, *, data_range: Optional[float] = None, crop_border: int = 0, y_channel: bool = False
) -> float:
    """Structural similarity (Wang et al. 2004, Eq. (13)), mean over pixels and channels.

    Local statistics use an 11x11 Gaussian window (sigma 1.5) with reflected borders; the mean skips the
    5-pixel margin where the window leaves the image, as scikit-image does.
    """
    data_range = _data_range(x, ref, data_range)
    a, b = _prepare(x, ref, data_range, crop_border, y_channel)
    window = _gaussian_window()
    pad = (len(window) - 1) // 2
    if min(a.shape[:2]) < len(window):
        raise ValueError(
            f"SSIM needs images of at least {len(window)}x{len(window)} pixels, got {a.shape[:2]}"
        )
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    scores = []
    for c in range(a.shape[-1]):
        p, q = a[..., c], b[..., c]
        mu_p, mu_q = _blur(p, window), _blur(q, window)
        var_p = _blur(p * p, window) - mu_p**2
        var_q = _blur(q * q, window) - mu_q**2
        cov = _blur(p * q, window) - mu_p * mu_q
        s = ((2 * mu_p * mu_q + c1) * (2 * cov + c2)) / ((mu_p**2 + mu_q**2 + c1) * (var_p + var_q + c2))
        scores.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(scores))


def mu_law(hdr: Any, mu: float = 5000.0) -> np.ndarray:
    """mu-law tone map ``log(1 + mu H) / log(1 + mu)`` of linear values in [0, 1] (same shape)."""
    h = to_numpy_image(hdr) if hasattr(hdr, "asnumpy") else np.asarray(hdr, dtype=np.float64)
    return np.log1p(mu * h) / math.log1p(mu)


def psnr_mu(x: Any, ref: Any, mu: float = 5000.0) -> float:
    """PSNR between mu-law tone-mapped images (NTIRE HDR 'PSNR-mu'); inputs linear, in [0, 1]."""
    a, b = to_numpy_image(x), to_numpy_image(ref)
    if a.min() < 0 or b.min() < 0:
        raise ValueError("psnr_mu needs non-negative linear values in [0, 1]; clip or normalise first")
    return psnr(mu_law(a, mu), mu_law(b, mu))


def psnr_mu_ntire(
    x: Any, ref: Any, percentile: float = 99.0, gamma: float = 2.24, mu: float = 5000.0
) -> float:
    """NTIRE 2021/2022 HDR challenges' PSNR-mu, for their data (HDR stored gamma-encoded, ``H^(1/2.24)``).

    Both images are linearised (``^gamma``), divided by the 99th percentile ``n`` of the linear reference,
    bounded by ``tanh`` and mu-law tone mapped: ``T(H) = log(1 + mu tanh(H / n)) / log(1 + mu)``; then PSNR
    with peak 1. (The course's own synthetic HDR is linear and normalised to [0, 1]: use :func:`psnr_mu`.)
    """
    a = np.asarray(to_numpy_image(x), np.float64) ** gamma
    b = np.asarray(to_numpy_image(ref), np.float64) ** gamma
    norm = float(np.percentile(b, percentile))
    if norm <= 0:
        raise ValueError(f"the reference's {percentile}th percentile is {norm}; the image is black")
    return psnr(mu_law(np.tanh(a / norm), mu), mu_law(np.tanh(b / norm), mu))


def count_params(net: Any, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a MindSpore cell; shared parameters count once."""
    params = net.trainable_params() if trainable_only else net.get_parameters()
    seen, total = set(), 0
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            total += int(np.prod(p.shape))
    return total


def _layer_macs(cell: Any, inputs: tuple, output: Any) -> int:
    from mindspore import nn

    if hasattr(cell, "macs") and callable(cell.macs):
        return int(cell.macs(inputs, output))
    if isinstance(cell, nn.Conv2dTranspose):
        x = inputs[0]
        n, c_in, h, w = x.shape
        kh, kw = cell.kernel_size
        return n * h * w * c_in * (cell.out_channels // cell.group) * kh * kw
    if isinstance(cell, nn.Conv2d):
        kh, kw = cell.kernel_size
        n, c_out, h, w = output.shape
        return n * h * w * c_out * (cell.in_channels // cell.group) * kh * kw
    if isinstance(cell, nn.Dense):
        return int(np.prod(output.shape)) * cell.in_channels
    return 0


def run_hooked(net: Any, input_shape: Sequence[int], hooks: list) -> None:
    """Run ``net`` once on zeros of ``input_shape`` in PyNative mode with forward ``hooks`` attached, given as
    ``[(cell, fn(cell, inputs, output)), ...]``; the hooks and the previous mode are restored afterwards.
    What :func:`count_macs` and ``viz.trace_blocks`` measure a network with."""
    import mindspore as ms

    previous_mode = ms.get_context("mode")
    ms.set_context(mode=ms.PYNATIVE_MODE)
    handles = [cell.register_forward_hook(fn) for cell, fn in hooks]
    try:
        net(ms.Tensor(np.zeros(tuple(input_shape), np.float32)))
    finally:
        for h in handles:
            h.remove()
        ms.set_context(mode=previous_mode)


def count_macs(net: Any, input_shape: tuple) -> int:
    """Multiply-accumulates of one forward pass on a zero input of ``input_shape`` (e.g. ``(1, 3, H, W)``).

    Counts ``nn.Conv2d`` (grouped/depthwise too), ``nn.Conv2dTranspose`` and ``nn.Dense``, plus any cell
    with a ``macs(inputs, output)`` method (whose children are then not visited). A cell applied several
    times (shared weights) is counted at every application. Runs in PyNative mode.
    """
    from mindspore import nn

    counted = (nn.Conv2d, nn.Conv2dTranspose, nn.Dense)
    total = [0]
    hooked = []

    def hook(cell, inputs, output):
        total[0] += _layer_macs(cell, inputs, output)

    def attach(cell):
        if isinstance(cell, counted) or (hasattr(cell, "macs") and callable(cell.macs)):
            hooked.append((cell, hook))
            return
        for child in cell.cells():
            attach(child)

    attach(net)
    run_hooked(net, input_shape, hooked)
    return int(total[0])
