"""Checkers for notebook 08 (KTDN / SRKTDN).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

import numpy as np

from . import Verdict, stored_check


def check_pyramid_pool(student_fn) -> Verdict:
    """``student_fn(d (C, H, W)) -> (4, C, H, W)``: KTDN's pooled maps at cell sizes 32, 16, 8, 4, each
    upsampled back to H x W by repetition (nearest), in that order."""
    return stored_check("knowledge_transfer.check_pyramid_pool", student_fn)


def check_rcab(student_fn) -> Verdict:
    """``student_fn(x, w1, b1, w2, b2, w_down, b_down, w_up, b_up) -> (C, H, W)``: one RCAB."""
    return stored_check("knowledge_transfer.check_rcab", student_fn)


def check_transfer_loss(student_fn) -> Verdict:
    """``student_fn(restored, clear, student_feature, teacher_feature_of_clear, teacher_feature_of_hazy, weight)
    -> float``: KTDN's loss (the last-but-one feature is the one to imitate; the hazy one is a distractor)."""
    return stored_check("knowledge_transfer.check_transfer_loss", student_fn, output=np.float64)
