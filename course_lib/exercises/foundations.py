"""Checkers for notebook 00 (images, degradations, metrics).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

from . import Verdict, stored_check


def check_haze(student_haze) -> Verdict:
    """``student_haze(clean (H, W, 3), depth (H, W), beta, airlight) -> hazy (H, W, 3)``, Eq. I = J t + A (1 - t)."""
    return stored_check("foundations.check_haze", student_haze)


def check_psnr(student_psnr) -> Verdict:
    """``student_psnr(x, ref) -> float`` in dB for images in [0, 1]."""
    return stored_check("foundations.check_psnr", student_psnr)


def check_y_channel(student_y) -> Verdict:
    """``student_y(rgb (H, W, 3) in [0, 1]) -> Y (H, W)`` in studio swing, MATLAB ``rgb2ycbcr`` (BT.601)."""
    return stored_check("foundations.check_y_channel", student_y)
