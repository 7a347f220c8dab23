"""Synthetic multi-exposure HDR data from ordinary photos, for the Efficient HDR chapter.

The NTIRE 2022 HDR task: three 8-bit frames of one scene (short, medium, long exposure; -2, 0, +2 EV)
in, the linear HDR image aligned with the medium frame out. Real data (Kalantari 2017, NTIRE 2022) is for
users with internet (``data_scripts/fetch_datasets.py``); the course makes brackets from its photos:

1. **linearise** the sRGB photo (``degrade.srgb_to_linear``);
2. **expand the highlights** (``degrade.expand_highlights``, gain 3): near-white values grow up to 4x, so the
   scene holds radiance the medium exposure cannot record (a teaching stand-in: the photo's clipped
   highlights have no real detail);
3. **normalise** by the largest possible value, ``PEAK = 4``: the target ``H`` lies in [0, 1], and the
   network's sigmoid output is compared with it after the mu-law (``metrics.psnr_mu``, Kalantari's protocol);
4. **expose** at ``t_k = 2^EV_k`` (radiance ``PEAK H t_k``), add shot and read noise, clip at 1 (the
   sensor saturates), apply the **camera curve** (sRGB) and **quantise** to 8 bits;
5. optionally **misalign** the short and long frames by a few pixels (hand-held camera: ghosting).

A network sees each frame as 6 channels, the frame and its HDR-domain version ``LDR^2.2 / t_k``
(:func:`network_input`), as in AHDRNet and the NTIRE 2022 entries.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from . import degrade
from .datasets import SyntheticPairs

EVS = (-2.0, 0.0, 2.0)  # short, medium (reference), long
GAIN = 3.0  # expand_highlights gain: the brightest radiance is 1 + GAIN times white
PEAK = 1.0 + GAIN
GAMMA = 2.2  # the HDR-domain input LDR^gamma / t (AHDRNet, NTIRE 2022)


def photo_to_hdr(photo: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` sRGB photo in [0, 1] -> normalised linear HDR target ``(H, W, 3)`` in [0, 1]."""
    linear = degrade.srgb_to_linear(degrade.check_rgb(photo, "photo"))
    return (degrade.expand_highlights(linear, GAIN) / PEAK).astype(np.float32)


def expose(hdr: np.ndarray, ev: float, rng: Optional[np.random.Generator] = None, read_noise: float = 0.0,
           shot_noise: float = 0.0) -> np.ndarray:  # fmt: skip
    """One 8-bit frame ``Q8(sRGB(clip(PEAK H 2^ev + noise, 0, 1)))`` of the normalised HDR ``hdr``.

    Noise (in linear sensor units, before clipping): Gaussian with variance ``shot_noise * signal +
    read_noise^2``. Returns ``(H, W, 3)`` float32 in [0, 1], multiples of 1/255.
    """
    signal = PEAK * np.asarray(hdr, np.float64) * 2.0**ev
    if rng is not None and (read_noise > 0 or shot_noise > 0):
        std = np.sqrt(shot_noise * np.clip(signal, 0, 1) + read_noise**2)
        signal = signal + rng.standard_normal(signal.shape) * std
    return degrade.quantize8(degrade.linear_to_srgb(np.clip(signal, 0, 1)))


def bracket(hdr: np.ndarray, rng: Optional[np.random.Generator] = None, evs: Sequence[float] = EVS,
            read_noise: float = 0.002, shot_noise: float = 0.0005, max_shift: int = 0) -> np.ndarray:  # fmt: skip
    """The three frames of ``hdr`` stacked on channels: ``(H, W, 9)`` = short | medium | long, in [0, 1].

    ``rng`` None: no noise, no shift (the noise-free bracket). ``max_shift`` > 0 moves the short and long
    frames by up to that many pixels (edge pixels repeated), the medium frame stays the reference.
    """
    frames = []
    for k, ev in enumerate(evs):
        frame = expose(hdr, ev, rng, read_noise, shot_noise) if rng is not None else expose(hdr, ev)
        if rng is not None and max_shift > 0 and k != len(evs) // 2:
            dy, dx = (int(v) for v in rng.integers(-max_shift, max_shift + 1, size=2))
            frame = shift(frame, dy, dx)
        frames.append(frame)
    return np.concatenate(frames, axis=-1).astype(np.float32)


def shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``img`` moved by ``(dy, dx)`` pixels (down, right), the uncovered border filled by edge pixels."""
    h, w = img.shape[:2]
    padded = np.pad(img, ((abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0)), mode="edge")
    y0, x0 = abs(dy) - dy, abs(dx) - dx
    return padded[y0 : y0 + h, x0 : x0 + w]


def frames_of(stack: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(..., 9)`` (H, W, 9) or ``(N, 9, H, W)`` stack -> its three 3-channel frames."""
    a = np.asarray(stack)
    axis = 1 if a.ndim == 4 else -1
    return tuple(np.split(a, 3, axis=axis))


def network_input(stack: np.ndarray, evs: Sequence[float] = EVS) -> Tuple[np.ndarray, ...]:
    """``(N, 9, H, W)`` frames -> three ``(N, 6, H, W)`` inputs ``[LDR_k, LDR_k^2.2 / t_k]`` (NumPy).

    The networks compute the same inside the graph (``course_lib.models.hdr``); this is the reference.
    """
    out = []
    for frame, ev in zip(frames_of(stack), evs):
        out.append(
            np.concatenate([frame, frame.astype(np.float64) ** GAMMA / 2.0**ev], axis=1).astype(np.float32)
        )
    return tuple(out)


def random_bracket(hdr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training degradation: noisy bracket with up to 1 pixel of misalignment, ``(H, W, 9)``."""
    return bracket(hdr, rng, max_shift=1)


class SyntheticBrackets(SyntheticPairs):
    """``(frames (9, h, w), hdr (3, h, w))`` examples made from photos (module docstring).

    Args: as :class:`~course_lib.data.datasets.SyntheticPairs`; ``images`` are sRGB photos, turned into
    HDR targets with :func:`photo_to_hdr`; ``degrade_fn(hdr, rng) -> (H, W, 9)`` (default
    :func:`random_bracket`).
    """

    def __init__(self, images, degrade_fn=random_bracket, patch=None, count=None, **kwargs):
        super().__init__(images, degrade_fn, patch, count, **kwargs)

    def _pair(self, i: int):
        if i not in self._cache:
            k = i % len(self.images)
            hdr = photo_to_hdr(self.images[k])
            rng = np.random.default_rng((self.seed, 1_000_003, i))
            frames = self.degrade_fn(hdr, rng)
            if frames.shape != hdr.shape[:2] + (9,):
                raise ValueError(f"degrade_fn returned {frames.shape}; expected {hdr.shape[:2] + (9,)}")
            self._cache[i] = (frames.astype(np.float32), hdr)
        return self._cache[i]
