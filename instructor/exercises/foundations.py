"""Checkers for notebook 00 (images, degradations, metrics)."""

from __future__ import annotations

import numpy as np

from course_lib.data import degrade
from course_lib.exercises import Verdict, check_function
from course_lib.metrics import psnr, rgb_to_y


def _image(rng: np.random.Generator, h: int = 12, w: int = 10) -> np.ndarray:
    return rng.random((h, w, 3)).astype(np.float32)


def check_haze(student_haze) -> Verdict:
    """``student_haze(clean (H, W, 3), depth (H, W), beta, airlight) -> hazy (H, W, 3)``, Eq. I = J t + A (1 - t)."""
    rng = np.random.default_rng(1)
    fixed = [(_image(rng), np.full((12, 10), 2.0, np.float32), 0.5, 0.9)]

    def random_case(r):
        return (
            _image(r, 9, 7),
            r.uniform(0.5, 5, (9, 7)).astype(np.float32),
            float(r.uniform(0.1, 1)),
            float(r.uniform(0.7, 1)),
        )

    def swapped(clean, depth, beta, airlight):
        t = np.exp(-beta * depth)[..., None]
        return clean * (1 - t) + airlight * t

    def no_exp(clean, depth, beta, airlight):
        t = (beta * depth)[..., None]
        return clean * t + airlight * (1 - t)

    mistakes = {
        "t and 1 - t are swapped: the clean image must be weighted by t = exp(-beta d)": swapped,
        "t must be exp(-beta d), not beta d": no_exp,
    }
    return check_function(
        student_haze,
        degrade.haze,
        fixed,
        name="haze",
        random_case=random_case,
        rtol=1e-5,
        known_mistakes=mistakes,
    )


def check_psnr(student_psnr) -> Verdict:
    """``student_psnr(x, ref) -> float`` in dB for images in [0, 1]."""
    rng = np.random.default_rng(2)
    ref = _image(rng)
    fixed = [(np.clip(ref + 0.05, 0, 1), ref), (ref * 0.5, ref)]

    def random_case(r):
        a = _image(r)
        return np.clip(a + r.normal(0, 0.1, a.shape), 0, 1).astype(np.float32), a

    mistakes = {
        "your decibels are twice the right ones: the MSE is already a squared quantity (a power)": lambda x, r: (
            20 * np.log10(1 / np.mean((x - r) ** 2))
        ),
        "PSNR uses the mean squared error, not the mean absolute error": lambda x, r: (
            10 * np.log10(1 / np.mean(np.abs(x - r)))
        ),
    }
    return check_function(
        student_psnr,
        lambda x, r: psnr(x, r),
        fixed,
        name="psnr",
        random_case=random_case,
        rtol=1e-6,
        known_mistakes=mistakes,
    )


def check_y_channel(student_y) -> Verdict:
    """``student_y(rgb (H, W, 3) in [0, 1]) -> Y (H, W)`` in studio swing, MATLAB ``rgb2ycbcr`` (BT.601)."""
    fixed = [(_image(np.random.default_rng(3)),), (np.zeros((4, 4, 3), np.float32),)]
    mistakes = {
        "the plain mean of R, G and B is not luma: the eye weighs green most and blue least (BT.601 gives "
        "the weights)": lambda img: img.mean(axis=-1),
        "that is full-range luma; SR papers use studio swing, where black is 16/255 and white 235/255": lambda img: (
            img @ np.array([0.299, 0.587, 0.114])
        ),
        "missing the 16/255 offset of studio swing": lambda img: (
            img @ (np.array([65.481, 128.553, 24.966]) / 255)
        ),
    }
    return check_function(
        student_y,
        lambda img: rgb_to_y(img)[..., 0],
        fixed,
        name="Y channel",
        random_case=lambda r: (_image(r),),
        rtol=1e-5,
        known_mistakes=mistakes,
    )
