"""The dark channel prior as differentiable MindSpore ops, so that a network can start from it and refine it.

He, Sun, Tang, "Single Image Haze Removal Using Dark Channel Prior" (CVPR 2009 / TPAMI 2011). The hazy
image is ``I = J t + A (1 - t)``; in haze-free outdoor patches some channel is almost black, so

    dark(I)(x) = min over the patch around x of min over RGB of I          (Eq. 5)
    A          = the brightest input pixel among the 0.1 % largest dark(I)  (Sec. 4.3)
    t_raw      = 1 - omega * dark(I / A)                                    (Eq. 12)
    t          = guided_filter(luma(I), t_raw)                              (He et al. 2010, Eq. 5, 6, 8)
    J          = (I - A) / max(t, t0) + A                                   (Eq. 22)

``course_lib.baselines.dark_channel_prior`` is the NumPy version (the reference in the tests); these ops
compute the same on (N, C, H, W) tensors, in PyNative and graph mode. One difference: the box filter
averages over the part of the window inside the image (NumPy's reflects the image at the border), so
the guided filter differs within ``radius`` pixels of the border.
"""

from __future__ import annotations

from mindspore import ops

LUMA = (0.299, 0.587, 0.114)  # BT.601, the guide of the guided filter


def dark_channel(x, patch: int = 15):
    """Eq. (5): min over channels, then min over a ``patch`` x ``patch`` window. (N, C, H, W) -> (N, 1, H, W)."""
    darkest = x.min(axis=1, keepdims=True)
    r = patch // 2
    padded = ops.pad(-darkest, (r, r, r, r), mode="constant", value=-1e4)  # outside never wins the min
    return -ops.max_pool2d(padded, patch, stride=1)


def airlight(x, dark, top_fraction: float = 0.001):
    """A: the brightest pixel (largest R+G+B) among the ``top_fraction`` haziest dark-channel pixels.

    x: (N, 3, H, W); dark: (N, 1, H, W). Returns (N, 3, 1, 1).
    """
    n, c, h, w = x.shape
    count = max(1, int(round(h * w * top_fraction)))
    _, idx = ops.topk(dark.reshape(n, h * w), count)  # (N, count) haziest pixels
    pixels = ops.gather_elements(x.reshape(n, c, h * w), 2, ops.tile(idx.reshape(n, 1, count), (1, c, 1)))
    brightest = pixels.sum(axis=1).argmax(axis=1).reshape(n, 1, 1)  # (N, 1, 1)
    a = ops.gather_elements(pixels, 2, ops.tile(brightest, (1, c, 1)))  # (N, C, 1)
    return a.reshape(n, c, 1, 1)


def box_mean(x, radius: int):
    """Mean over the (2r+1) x (2r+1) window around each pixel, inside the image (summed-area table).

    (N, C, H, W) -> (N, C, H, W); O(1) per pixel whatever the radius.
    """
    h, w = x.shape[2], x.shape[3]
    r = radius

    def window_sum(v):
        s = ops.pad(v, (r + 1, r, r + 1, r)).cumsum(axis=2).cumsum(axis=3)
        return (s[:, :, 2 * r + 1 :, 2 * r + 1 :] - s[:, :, : h, 2 * r + 1 :]
                - s[:, :, 2 * r + 1 :, : w] + s[:, :, : h, : w])  # fmt: skip

    return window_sum(x) / window_sum(ops.ones_like(x[:1, :1]))


def guided_filter(guide, src, radius: int, eps: float):
    """He et al. 2010, Eq. (5), (6), (8) on (N, 1, H, W) tensors: edge-preserving smoothing of ``src``."""
    mean_i, mean_p = box_mean(guide, radius), box_mean(src, radius)
    cov_ip = box_mean(guide * src, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)  # Eq. (5)
    b = mean_p - a * mean_i  # Eq. (6)
    return box_mean(a, radius) * guide + box_mean(b, radius)  # Eq. (8)


def prior_transmission(x, patch=15, omega=0.95, radius=20, eps=1e-3, top_fraction=0.001):
    """The prior's airlight (N, 3, 1, 1) and refined transmission (N, 1, H, W) of hazy images x in [0, 1]."""
    a = airlight(x, dark_channel(x, patch), top_fraction)
    t_raw = 1.0 - omega * dark_channel(x / ops.maximum(a, 1e-6), patch)  # Eq. (12)
    if not radius:
        return a, t_raw
    luma = sum(k * x[:, i : i + 1] for i, k in enumerate(LUMA))
    return a, ops.clip(guided_filter(luma, t_raw, radius, eps), 0.0, 1.0)


def recover(x, a, t, t_min=0.1):
    """Eq. (22): J = (I - A) / max(t, t_min) + A. x (N, 3, H, W), a (N, 3, 1, 1), t (N, 1 or 3, H, W)."""
    return (x - a) / ops.maximum(t, t_min) + a
