"""Checkers for notebook 01 (the training loop).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

import numpy as np

from . import Verdict, stored_check


def check_cosine_schedule(student_fn) -> Verdict:
    """``student_fn(lr, steps) -> list of steps learning rates``."""
    return stored_check(
        "training.check_cosine_schedule", student_fn, output=lambda out: np.asarray(out, np.float64)
    )


def check_clip_by_global_norm(student_fn) -> Verdict:
    """``student_fn(grads (list of arrays), max_norm) -> list of arrays``, compared flattened."""
    return stored_check(
        "training.check_clip_by_global_norm",
        student_fn,
        output=lambda out: np.concatenate([np.ravel(a) for a in out]),
    )
