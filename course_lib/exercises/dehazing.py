"""Checkers for notebooks 02 (feature attention), 03 (deformable convolution) and 04 (AECR-Net).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

from . import Verdict, stored_check


def check_channel_attention(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W), w1 (C/8, C), b1, w2 (C, C/8), b2) -> x * CA``, NumPy."""
    return stored_check("dehazing.check_channel_attention", student_fn)


def check_pixel_attention(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W), w1 (C/8, C), b1, w2 (1, C/8), b2 (1,)) -> x * PA``, NumPy."""
    return stored_check("dehazing.check_pixel_attention", student_fn)


def check_bilinear_sample(student_fn) -> Verdict:
    """``student_fn(img (H, W), rows (M,), cols (M,)) -> (M,)``: bilinear, zero outside the image."""
    return stored_check("dehazing.check_bilinear_sample", student_fn)


def check_offsets_to_mindspore(student_fn) -> Verdict:
    """``student_fn(offset (N, 18, H, W), mask (N, 9, H, W)) -> (N, 27, H, W)`` in MindSpore's layout."""
    return stored_check("dehazing.check_offsets_to_mindspore", student_fn)


def check_adaptive_mixup(student_fn) -> Verdict:
    """``student_fn(a, b, w) -> sigmoid(w) a + (1 - sigmoid(w)) b`` for arrays a, b and a float w."""
    return stored_check("dehazing.check_adaptive_mixup", student_fn)


def check_contrastive(student_fn) -> Verdict:
    """``student_fn(anchor, positive, negative, weights) -> float``: lists of 5 feature arrays each."""
    return stored_check("dehazing.check_contrastive", student_fn)


def check_dcp_recover(student_fn) -> Verdict:
    """``student_fn(hazy (H, W, 3), t (H, W), airlight (3,), t0) -> J (H, W, 3)`` in [0, 1]."""
    return stored_check("dehazing.check_dcp_recover", student_fn)
