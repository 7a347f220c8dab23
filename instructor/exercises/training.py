"""Checkers for notebook 01 (the training loop): the cosine schedule and clipping by the global norm.

References are NumPy from the formulas (SGDR Eq. (5) with eta_min = 0; Pascanu et al. 2013, Algorithm 2 as
``TrainStep`` applies it to all gradients together); the tests check them against ``course_lib.train``.
"""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Verdict, check_function


def cosine_reference(lr, steps):
    """``lr (1 + cos(pi t / T)) / 2`` for t = 0 .. T-1: starts at lr, never reaches 0."""
    t = np.arange(steps)
    return lr * 0.5 * (1 + np.cos(np.pi * t / steps))


def clip_reference(grads, max_norm):
    """Every array of ``grads`` scaled by ``min(1, max_norm / ||g||)``, ||g|| over all of them, flattened."""
    norm = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return np.concatenate([np.ravel(g) * factor for g in grads])


def check_cosine_schedule(student_fn) -> Verdict:
    """``student_fn(lr, steps) -> list of steps learning rates``."""
    t = lambda steps: np.arange(steps)  # noqa: E731
    mistakes = {
        "divide by T, not T - 1: the schedule must not reach 0 at the last step (that step would be wasted)":
            lambda lr, s: lr * 0.5 * (1 + np.cos(np.pi * t(s) / (s - 1))),
        "start at t = 0: the first step uses the full learning rate": (
            lambda lr, s: lr * 0.5 * (1 + np.cos(np.pi * (t(s) + 1) / s))
        ),
        "the cosine of pi t / T goes from 1 to -1: halve (1 + cos), don't use cos alone": (
            lambda lr, s: lr * np.cos(np.pi * t(s) / s)
        ),
        "the argument is pi t / T in radians; you went around the circle twice (2 pi t / T)": (
            lambda lr, s: lr * 0.5 * (1 + np.cos(2 * np.pi * t(s) / s))
        ),
    }  # fmt: skip
    return check_function(
        lambda lr, s: np.asarray(student_fn(lr, s), np.float64),
        cosine_reference,
        [(1e-3, 10), (0.5, 7)],
        name="my_cosine",
        random_case=lambda r: (float(r.uniform(1e-4, 1e-2)), int(r.integers(2, 30))),
        rtol=1e-6,
        atol=1e-12,
        known_mistakes=mistakes,
    )


def check_clip_by_global_norm(student_fn) -> Verdict:
    """``student_fn(grads (list of arrays), max_norm) -> list of arrays``, compared flattened."""

    def flat(arrays):
        return np.concatenate([np.ravel(a) for a in arrays])

    def per_array(grads, c):
        return flat([g * min(1.0, c / max(float(np.linalg.norm(g)), 1e-12)) for g in grads])

    def always(grads, c):
        norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
        return flat([g * c / norm for g in grads])

    def squared(grads, c):
        norm2 = sum(float(np.sum(np.square(g))) for g in grads)
        return flat([g * min(1.0, c / norm2) for g in grads])

    mistakes = {
        "one norm for ALL gradients together: clipping each array by its own norm changes the direction "
        "of the update": per_array,
        "scale by min(1, c / ||g||): a gradient already shorter than c must stay as it is": always,
        "||g|| is the square root of the sum of squares": squared,
    }
    cases = [
        ([np.array([3.0, 0.0], np.float32), np.array([[4.0]], np.float32)], 1.0),
        ([np.array([0.3, 0.4], np.float32)], 1.0),
    ]

    def random_case(r):
        return [r.normal(size=s).astype(np.float32) for s in ((3,), (2, 2))], float(r.uniform(0.5, 3))

    return check_function(
        lambda g, c: None if (out := student_fn(g, c)) is None else flat(out),
        clip_reference,
        cases,
        name="my_clip",
        random_case=random_case,
        rtol=1e-5,
        known_mistakes=mistakes,
    )
