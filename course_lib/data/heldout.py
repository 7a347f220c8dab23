"""The held-out test sets every quality figure of the course is measured on (never trained on).

The held-out photos are scikit-image's coffee and chelsea (:data:`course_lib.data.images.HELDOUT`),
shrunk to ``max_side`` (default 320, the ``class`` budget's demo size) and cropped to a multiple of 4.
Every degradation parameter is fixed, so every script that scores a method - the benchmarks, the
course-weights recipe, the notebooks and ``python -m course_lib evaluate --data synthetic`` - sees
exactly the same images. Each function returns a list of ``(name, lq, gt)`` with ``(H, W, 3)`` float32
arrays in [0, 1] (``lq`` ``scale`` times smaller for super-resolution).

* haze, homogeneous: ground-plane depth prior, (mean transmission, airlight) = (0.4, 0.85), (0.65, 0.95).
* haze, non-homogeneous (NH-HAZE-like): the same depth times a smooth random density field and a slightly
  tinted airlight (:func:`course_lib.data.degrade.nonhomogeneous_haze`), t_mean 0.45 and 0.6.
* super-resolution: MATLAB-style bicubic downscaling (score on Y, ``scale`` pixels shaved).
* low light: exposure 0.2, gamma 2, sensor noise (shot 1e-3, read 1e-5), fixed noise seeds.
* HDR: the photo as normalised linear HDR (:func:`course_lib.data.hdr.photo_to_hdr`) and its noisy -2/0/+2 EV
  bracket stacked on 9 channels, static and with the short and long frames moved by up to 2 pixels; H, W
  multiples of 16 (the efficient networks PixelUnshuffle by 4).
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

from . import degrade
from .images import HELDOUT, heldout_images

HOMOGENEOUS_HAZE = ((0.4, 0.85), (0.65, 0.95))  # (mean transmission, airlight)
NONHOMOGENEOUS_HAZE = ((0.45, 0.85, 101), (0.6, 0.9, 102))  # (mean transmission, airlight, seed)
LOW_LIGHT = dict(exposure=0.2, gamma=2.0, shot_noise=1e-3, read_noise=1e-5)
DEFAULT_SIDE = 320

Triple = Tuple[str, np.ndarray, np.ndarray]


def _photos(max_side: int, multiple: int = 4):
    out = []
    for name, img in zip(HELDOUT, heldout_images(max_side=max_side)):
        h, w = img.shape[0] // multiple * multiple, img.shape[1] // multiple * multiple
        out.append((name, np.ascontiguousarray(img[:h, :w])))
    return out


def uniform_hazes(clean: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    """The held-out set's two uniform hazes of any photo ``(H, W, 3)`` in [0, 1]: ``[(label, hazy)]``, e.g. to
    score a dehazer on photos of your own under exactly the course's test haze."""
    depth = degrade.depth_prior(clean.shape[:2])
    return [(f"t{t_mean:g} A{a:g}", degrade.haze(clean, depth, degrade.beta_for_transmission(depth, t_mean), a))
            for t_mean, a in HOMOGENEOUS_HAZE]  # fmt: skip


def nonhomogeneous_hazes(clean: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    """The held-out set's two clouds of uneven, tinted haze over any photo ``(H, W, 3)`` in [0, 1]:
    ``[(label, hazy)]``; the clouds' seeds are fixed, so every call gives the same images."""
    depth = degrade.depth_prior(clean.shape[:2])
    return [(f"NH t{t_mean:g}",
             degrade.nonhomogeneous_haze(clean, depth, np.random.default_rng(seed), t_mean=t_mean, airlight=a))
            for t_mean, a, seed in NONHOMOGENEOUS_HAZE]  # fmt: skip


def haze_homogeneous(max_side: int = DEFAULT_SIDE) -> List[Triple]:
    """4 images: each held-out photo at two haze levels, uniform density, grey airlight."""
    return [(f"{name} {label}", hazy, clean) for name, clean in _photos(max_side)
            for label, hazy in uniform_hazes(clean)]  # fmt: skip


def haze_nonhomogeneous(max_side: int = DEFAULT_SIDE) -> List[Triple]:
    """4 images: each held-out photo under two fixed clouds of uneven haze with tinted airlight."""
    return [(f"{name} {label}", hazy, clean) for name, clean in _photos(max_side)
            for label, hazy in nonhomogeneous_hazes(clean)]  # fmt: skip


def super_resolution(scale: int = 2, max_side: int = DEFAULT_SIDE) -> List[Triple]:
    """2 images: each held-out photo (mod-cropped to the scale) and its MATLAB-bicubic downscale."""
    out = []
    for name, clean in _photos(max_side, multiple=4 * scale):
        out.append((f"{name} x{scale}", degrade.bicubic_downscale(clean, scale), clean))
    return out


def low_light(max_side: int = DEFAULT_SIDE) -> List[Triple]:
    """2 images: each held-out photo under-exposed with sensor noise (fixed seeds); H, W multiples of 12
    (Zero-DCE++ estimates its curves at 1/12 of the resolution)."""
    out = []
    for k, (name, clean) in enumerate(_photos(max_side, multiple=12)):
        dark = degrade.low_light(clean, rng=np.random.default_rng(10 + k), **LOW_LIGHT)
        out.append((f"{name} low light", dark, clean))
    return out


HDR_BRACKETS = ((0, 201), (2, 202))  # (max shift of the short and long frames in pixels, noise seed)


def hdr_brackets(max_side: int = DEFAULT_SIDE) -> List[Triple]:
    """4 images: each held-out photo's bracket ``(H, W, 9)`` and HDR target ``(H, W, 3)``, static and moved."""
    from . import hdr

    out = []
    for name, photo in _photos(max_side, multiple=16):
        target = hdr.photo_to_hdr(photo)
        for max_shift, seed in HDR_BRACKETS:
            frames = hdr.bracket(target, np.random.default_rng(seed), max_shift=max_shift)
            out.append((f"{name} HDR shift {max_shift}", frames, target))
    return out
