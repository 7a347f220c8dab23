"""Held-out quality of a method and of its classical baselines, by one protocol for every script.

``score(method, net)`` runs ``net`` on the held-out test sets of the method's task
(:mod:`course_lib.data.heldout`) and returns ``{test_set: {'psnr', 'ssim', ...}}``; ``baselines(method)``
scores the classical methods on the same images. The recipe of the course weights, ``benchmarks/
course_weights_quality.py`` and the notebooks all call these, so their numbers agree.

Conventions: outputs clipped to [0, 1]; super-resolution PSNR/SSIM on the Y channel with ``scale`` border
pixels shaved (DATA.md Sec. 4.3); dehazing and low light on RGB. Low light also reports the mean
brightness error (mean of output minus mean of ground truth, in [0, 1] units): zero-reference methods
aim at a fixed exposure level, not at the ground truth's brightness. HDR reports PSNR-mu (PSNR after the
mu-law, mu = 5000, on the normalised linear HDR in [0, 1]: Kalantari's protocol), linear PSNR and SSIM of
the tone-mapped images; its baselines are read as linear radiance through the sRGB curve (``/ PEAK``).
"""

from __future__ import annotations

from typing import Callable, Dict

import numpy as np

from .data import heldout
from .metrics import psnr, ssim


def test_sets(method: str) -> Dict[str, list]:
    """``{name: [(image name, lq, gt)]}`` for the method's task."""
    from .models import get_method

    spec = get_method(method)
    if spec.data_kind == "hdr":
        return {"HDR brackets": heldout.hdr_brackets()}
    if spec.data_kind == "unpaired_low_light":
        return {"low light": heldout.low_light()}
    if spec.scale > 1:
        return {f"x{spec.scale}": heldout.super_resolution(spec.scale)}
    return {
        "homogeneous haze": heldout.haze_homogeneous(),
        "non-homogeneous haze": heldout.haze_nonhomogeneous(),
    }


def _hdr_scores(restore: Callable, triples) -> dict:
    from .metrics import mu_law, psnr_mu

    rows = []
    for _, frames, gt in triples:
        out = np.clip(restore(frames), 0.0, 1.0)
        rows.append((psnr_mu(out, gt), psnr(out, gt), ssim(mu_law(out), mu_law(gt))))
    p_mu, p, s = np.mean(rows, axis=0)
    return {"psnr_mu": round(float(p_mu), 3), "psnr": round(float(p), 3), "ssim_mu": round(float(s), 4)}


def _scores(restore: Callable, triples, spec) -> dict:
    if spec.data_kind == "hdr":
        return _hdr_scores(restore, triples)
    scale = spec.scale
    knobs = dict(crop_border=scale, y_channel=True) if scale > 1 else {}
    rows = []
    for _, lq, gt in triples:
        out = np.clip(restore(lq), 0.0, 1.0)
        rows.append((psnr(out, gt, **knobs), ssim(out, gt, **knobs), float(out.mean() - gt.mean())))
    p, s, b = np.mean(rows, axis=0)
    result = {"psnr": round(float(p), 3), "ssim": round(float(s), 4)}
    if scale == 1:
        result["brightness_error"] = round(float(b), 4)
    return result


def restorer(method: str, net, **call_kwargs) -> Callable:
    """``restore(lq (H, W, 3)) -> (H*s, W*s, 3)`` with the method's padding and scale (``net`` in eval mode)."""
    from .models import get_method
    from .train import predict

    spec = get_method(method)
    net.set_train(False)
    cell = net if not call_kwargs else _Bound(net, **call_kwargs)
    return lambda lq: predict(cell, lq, pad_multiple=spec.pad_multiple, scale=spec.scale)[0].transpose(
        1, 2, 0
    )


class _Bound:
    """``net(x, **kwargs)`` as a one-argument callable (e.g. EDSR at a width)."""

    def __init__(self, net, **kwargs):
        self.net, self.kwargs = net, kwargs

    def __call__(self, x):
        return self.net(x, **self.kwargs)


def score(method: str, net, **call_kwargs) -> dict:
    """Held-out PSNR/SSIM of ``net`` on each test set of ``method``'s task (keyword arguments go to net)."""
    from .models import get_method

    spec = get_method(method)
    restore = restorer(method, net, **call_kwargs)
    return {name: _scores(restore, triples, spec) for name, triples in test_sets(method).items()}


def baselines(method: str) -> dict:
    """``{baseline: {test_set: scores}}``: the classical methods (and the untouched input) on the same images."""
    from . import baselines as classical
    from .models import get_method

    spec = get_method(method)
    if spec.data_kind == "hdr":
        methods = {
            "medium frame": hdr_baseline("medium frame"),
            "exposure fusion": hdr_baseline("exposure fusion"),
        }
    elif spec.data_kind == "unpaired_low_light":
        methods = {"input": lambda x: x, "gamma 0.5": lambda x: classical.gamma_correction(x, 0.5),
                   "histogram equalisation": classical.histogram_equalization}  # fmt: skip
    elif spec.scale > 1:
        methods = {"bicubic": lambda x: classical.bicubic(x, spec.scale)}
    else:
        methods = {
            "input": lambda x: x,
            "dark channel prior": classical.dark_channel_prior,
            # the settings of the prior inside AECR-Net's 'dcp_refine' head (guided radius 20)
            "dark channel prior (radius 20)": lambda x: classical.dark_channel_prior(x, guided_radius=20),
        }
    sets = test_sets(method)
    return {name: {k: _scores(fn, v, spec) for k, v in sets.items()} for name, fn in methods.items()}


def hdr_baseline(name: str) -> Callable:
    """``fn(frames (H, W, 9)) -> linear HDR (H, W, 3)`` of a classical HDR baseline, in the targets' units.

    'medium frame': the reference exposure alone; 'exposure fusion': Mertens et al. 2007 on the three
    frames. Both are display images; they are read as radiance through the sRGB curve divided by PEAK.
    """
    from . import baselines as classical
    from .data import hdr
    from .data.degrade import srgb_to_linear

    def medium(frames):
        return srgb_to_linear(hdr.frames_of(frames)[1]) / hdr.PEAK

    def fusion(frames):
        return srgb_to_linear(classical.exposure_fusion(hdr.frames_of(frames))) / hdr.PEAK

    return {"medium frame": medium, "exposure fusion": fusion}[name]
