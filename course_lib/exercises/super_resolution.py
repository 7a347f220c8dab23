"""Checkers for notebooks 05 (PixelShuffle, sub-pixel SR) and 06 (CSD self-distillation).

Each compares the student's function with the stored outputs of its fixed cases and of the exercise's
known mistakes (:func:`course_lib.exercises.stored_check`); it holds no reference implementation.
"""

from __future__ import annotations

from . import Verdict, stored_check


def check_pixel_shuffle(student_fn) -> Verdict:
    """``student_fn(x (N, C*r*r, H, W) ndarray, r) -> (N, C, H*r, W*r)``, equal to ``nn.PixelShuffle(r)``."""
    return stored_check("super_resolution.check_pixel_shuffle", student_fn)


def check_pixel_unshuffle(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W) ndarray, r) -> (N, C*r*r, H/r, W/r)``, equal to ``nn.PixelUnshuffle(r)``."""
    return stored_check("super_resolution.check_pixel_unshuffle", student_fn)


def check_depth_to_space(student_fn) -> Verdict:
    """``student_fn(x (N, C*r*r, H, W) ndarray, r) -> (N, C, H*r, W*r)``, equal to ``ops.DepthToSpace(r)`` (DCR)."""
    return stored_check("super_resolution.check_depth_to_space", student_fn)


def check_overlap_counts(student_fn) -> Verdict:
    """``student_fn(length, kernel_size, stride) -> (L_out,) counts``, see :func:`overlap_counts`."""
    return stored_check("super_resolution.check_overlap_counts", student_fn)


def check_slim_upsampler(student_fn) -> Verdict:
    """``student_fn(weight (r*r*F, F, k, k), c, r) -> the (r*r*c, c, k, k) slice`` a width-c' EDSR uses.

    The upsampler conv feeds PixelShuffle(r), which reads output channel m from conv outputs
    m*r*r ... m*r*r + r*r - 1: the first c' shuffled channels need the first r*r*c' conv outputs.
    """
    return stored_check("super_resolution.check_slim_upsampler", student_fn)


def check_edsr_params(student_fn) -> Verdict:
    """``student_fn(num_blocks, num_feat, scale, width_mult) -> int``, the parameters EDSR uses at a width.

    The reference is :meth:`course_lib.models.edsr.EDSR.count_active_params` of a (small) built network.
    """
    return stored_check("super_resolution.check_edsr_params", student_fn)


def check_contrastive(student_fn) -> Verdict:
    """``student_fn(anchor, positive, negatives, weights) -> float``: the contrastive loss on features.

    anchor, positive: lists of L arrays (N, C_i, H_i, W_i); negatives: list of L arrays (K, N, C_i, H_i, W_i);
    weights: L floats. CL = sum_i w_i D(a_i, p_i) / (sum_k D(a_i, n_ik) + 1e-7), D the mean absolute
    difference over all elements.
    """
    return stored_check("super_resolution.check_contrastive", student_fn)
