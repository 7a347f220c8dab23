"""Checkers for notebook 07 (Zero-DCE).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

from . import Verdict, stored_check


def check_le_curve(student_fn) -> Verdict:
    """``student_fn(x, alpha) -> LE(x)``: Eq. (1) with the paper's sign; x, alpha NumPy, broadcasting."""
    return stored_check("low_light.check_le_curve", student_fn)


def check_iterated_curves(student_fn) -> Verdict:
    """``student_fn(x (N, 3, H, W), curve_maps (N, 24, H, W)) -> (N, 3, H, W)``: 8 LE-curve steps, Eq. (2),
    iteration i with the alpha map ``curve_maps[:, 3i:3i+3]`` (paper sign)."""
    return stored_check("low_light.check_iterated_curves", student_fn)


def check_exposure_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W), level, patch) -> float``: L_exp with the official square."""
    return stored_check("low_light.check_exposure_loss", student_fn)


def check_color_constancy_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W)) -> float``: L_col as in the official code."""
    return stored_check("low_light.check_color_constancy_loss", student_fn)


def check_spatial_consistency_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W), low (N, 3, H, W)) -> float``: L_spa with 4x4 patches."""
    return stored_check("low_light.check_spatial_consistency_loss", student_fn)
