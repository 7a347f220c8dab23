"""Running a trained network on whole images, and scoring it with PSNR / SSIM.

Networks that downsample (U-Nets, AECR-Net) need the input side to be a multiple of some factor:
:func:`predict` pads the image by reflection up to that multiple and crops the result back, so any image
size works. Evaluation runs in PyNative mode: validation images differ in size, and in graph mode each new
shape would cost a compilation.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, Optional

import numpy as np


def to_nchw(x) -> np.ndarray:
    """``(H, W, 3)`` or ``(3, H, W)`` or ``(N, 3, H, W)`` (array or Tensor) -> float32 ``(N, 3, H, W)``."""
    x = np.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x, dtype=np.float32)
    if x.ndim == 3:
        x = x[None] if x.shape[0] == 3 and x.shape[-1] != 3 else x.transpose(2, 0, 1)[None]
    if x.ndim != 4:
        raise ValueError(f"expected an image (H, W, 3) or a batch (N, 3, H, W), got shape {x.shape}")
    return np.ascontiguousarray(x)


def predict(net, lq, *, pad_multiple: int = 1, scale: int = 1) -> np.ndarray:
    """``net`` applied to ``lq``, as float32 ``(N, 3, H*scale, W*scale)`` clipped to [0, 1].

    Args:
        net: a Cell mapping ``(N, 3, H, W)`` to the restored image, or to a tuple whose first item is it.
        lq: ``(H, W, 3)``, ``(3, H, W)`` or ``(N, 3, H, W)`` in [0, 1], any size.
        pad_multiple: pad H and W by reflection up to a multiple of this, then crop the output back.
        scale: output/input size ratio (super-resolution).
    """
    import mindspore as ms

    x = to_nchw(lq)
    h, w = x.shape[-2:]
    ph, pw = (-h) % pad_multiple, (-w) % pad_multiple
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect" if min(h, w) > 1 else "edge")
    out = net(ms.Tensor(x))
    out = out[0] if isinstance(out, (tuple, list)) else out
    out = out.asnumpy()[..., : h * scale, : w * scale]
    return np.clip(out, 0.0, 1.0)


def _default_predict(net, lq):
    return predict(net, lq)


def evaluate(net, pairs: Iterable, predict_fn: Optional[Callable] = None) -> Dict[str, float]:
    """Mean PSNR (dB) and SSIM of ``predict_fn(net, lq)`` against ``gt`` over ``pairs``.

    ``pairs`` yields ``(lq, gt)`` arrays in any layout :func:`to_nchw` accepts, values in [0, 1].
    ``predict_fn(net, lq_tensor)`` defaults to ``net(lq)`` (first item of a tuple) clipped to [0, 1].
    The network is put in inference mode and back in training mode afterwards.
    """
    import mindspore as ms

    from ..metrics import psnr, ssim

    predict_fn = predict_fn or _default_predict
    scores = {"psnr": [], "ssim": []}
    was_training = net.training
    net.set_train(False)
    try:
        for lq, gt in pairs:
            out = predict_fn(net, ms.Tensor(to_nchw(lq)))
            out = to_nchw(out)
            gt = to_nchw(gt)
            for o, g in zip(out, gt):
                o, g = o.transpose(1, 2, 0), g.transpose(1, 2, 0)
                scores["psnr"].append(psnr(o, g))
                scores["ssim"].append(ssim(o, g))
    finally:
        net.set_train(was_training)
    if not scores["psnr"]:
        raise ValueError("the validation data yielded no (lq, gt) pair")
    return {k: float(np.mean(v)) for k, v in scores.items()}
