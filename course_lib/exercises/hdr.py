"""Checkers for notebook 09 (efficient HDR).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

import numpy as np

from . import Verdict, stored, stored_check


def check_psnr_mu(student_fn) -> Verdict:
    """``student_fn(out, ref) -> float``: PSNR-mu of the network output ``out`` against the HDR ``ref``,
    both linear ``(H, W, 3)``; ``out`` may leave [0, 1] (a raw network output) and must be clipped first."""
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            first = student_fn(*[np.copy(a) for a in stored("hdr.check_psnr_mu")["cases"][0]])
        except NotImplementedError:  # stored_check says "not written yet"
            first = None
    if first is not None and np.ndim(first) == 0 and not np.isfinite(first):
        verdict = Verdict(
            False, f"PSNR-mu, case 1: the result is {first}: {stored('hdr.check_psnr_mu')['explanations'][0]}"
        )
        print(verdict)
        return verdict
    return stored_check("hdr.check_psnr_mu", student_fn)


def check_hdr_inputs(student_fn) -> Verdict:
    """``student_fn(frames (N, 9, H, W)) -> (N, 18, H, W)``: each LDR frame followed by ``LDR^2.2 / t_k``,
    exposure times 1/4, 1, 4 (EV -2, 0, +2)."""
    return stored_check("hdr.check_hdr_inputs", student_fn)


def check_separable_macs(student_fn) -> Verdict:
    """``student_fn(c_in, c_out, k, h, w) -> int``: MACs of a depthwise-separable conv (a k x k depthwise
    conv, one filter per input channel, then a 1 x 1 conv c_in -> c_out) on one (h, w) image."""
    return stored_check("hdr.check_separable_macs", student_fn, output=np.float64)
