"""Checkers for notebooks 05 (PixelShuffle, sub-pixel SR) and 06 (CSD self-distillation).

Every checker takes the student's function, runs it on fixed and random cases against the course
library (or MindSpore's own operator), prints ``PASS: ...`` or ``NOT YET: ...`` and returns the
:class:`~course_lib.exercises.Verdict`. Inputs are NumPy arrays; the student may return a NumPy array or
a MindSpore tensor. ``known_mistakes`` name the usual errors: the DCR channel order of
``depth_to_space`` where PixelShuffle's CRD order is meant (and back), the sub-pixel rows and columns
swapped by a wrong transpose, an upsampler sliced to c' instead of r^2 c' channels, a contrastive ratio
upside down.
"""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Verdict, check_function
from course_lib.layers.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from course_lib.losses.contrastive import contrastive_from_features

# ---- NumPy forms of the operators (used as references and as planted mistakes) ----------------------


def _crd_shuffle(x, r, order=(0, 1, 4, 2, 5, 3)):
    """PixelShuffle in NumPy: channel split (c, i, j), c slowest (CRD); ``order`` permutes (N, C, i, j, H, W)."""
    n, c, h, w = x.shape
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(order).reshape(n, c // (r * r), h * r, w * r)


def _dcr_shuffle(x, r):
    """depth_to_space in NumPy: channel split (i, j, c), c fastest (DCR)."""
    n, c, h, w = x.shape
    return (
        x.reshape(n, r, r, c // (r * r), h, w)
        .transpose(0, 3, 4, 1, 5, 2)
        .reshape(n, c // (r * r), h * r, w * r)
    )


def _crd_unshuffle(x, r, order=(0, 1, 3, 5, 2, 4)):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // r, r, w // r, r).transpose(order).reshape(n, c * r * r, h // r, w // r)


def _dcr_unshuffle(x, r):
    n, c, h, w = x.shape
    return (
        x.reshape(n, c, h // r, r, w // r, r)
        .transpose(0, 3, 5, 1, 2, 4)
        .reshape(n, c * r * r, h // r, w // r)
    )


def _tensor_fn(fn):
    """Apply a MindSpore function of (Tensor, r) to a NumPy array and return NumPy."""

    def run(x, r):
        from mindspore import Tensor

        return fn(Tensor(x), r).asnumpy()

    return run


def _shuffle_case(rng, n=1, c=2, r=2, h=3, w=4):
    return (rng.standard_normal((n, c * r * r, h, w)).astype(np.float32), r)


def _random_shuffle_case(rng):
    return _shuffle_case(
        rng, int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(2, 4)), *rng.integers(2, 6, 2)
    )


# ---- notebook 05 ----------------------------------------------------------------------------------


def check_pixel_shuffle(student_fn) -> Verdict:
    """``student_fn(x (N, C*r*r, H, W) ndarray, r) -> (N, C, H*r, W*r)``, equal to ``nn.PixelShuffle(r)``."""
    rng = np.random.default_rng(5)
    fixed = [(np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2), 2), _shuffle_case(rng, 2, 3, 3, 2, 3)]
    mistakes = {
        "that is depth_to_space's DCR order (channel split as (i, j, c)); PixelShuffle splits the channel "
        "as (c, i, j): reshape to (N, C, r, r, H, W)": _dcr_shuffle,
        "the sub-pixel row and column are swapped: after the reshape to (N, C, i, j, H, W) the transpose "
        "must be (0, 1, 4, 2, 5, 3), so that H is followed by i and W by j": lambda x, r: _crd_shuffle(
            x, r, (0, 1, 4, 3, 5, 2)
        ),
        "the reshape alone does not move the values: transpose to (N, C, H, i, W, j) before the final "
        "reshape": lambda x, r: x.reshape(x.shape[0], x.shape[1] // (r * r), x.shape[2] * r, x.shape[3] * r),
    }
    return check_function(
        student_fn,
        _tensor_fn(pixel_shuffle),
        fixed,
        name="pixel_shuffle",
        random_case=_random_shuffle_case,
        rtol=0,
        atol=0,
        known_mistakes=mistakes,
    )


def check_pixel_unshuffle(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W) ndarray, r) -> (N, C*r*r, H/r, W/r)``, equal to ``nn.PixelUnshuffle(r)``."""
    rng = np.random.default_rng(6)
    fixed = [(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), 2)]

    def random_case(r_):
        x, r = _random_shuffle_case(r_)
        return (_crd_shuffle(x, r), r)

    fixed.append(random_case(rng))
    mistakes = {
        "that is space_to_depth's DCR order (channel = (i * r + j) * C + c); PixelUnshuffle puts c slowest: "
        "transpose (N, C, H', i, W', j) to (N, C, i, j, H', W')": _dcr_unshuffle,
        "the sub-pixel row and column are swapped in your transpose": (
            lambda x, r: _crd_unshuffle(x, r, (0, 1, 5, 3, 2, 4))
        ),
    }
    return check_function(
        student_fn,
        _tensor_fn(pixel_unshuffle),
        fixed,
        name="pixel_unshuffle",
        random_case=random_case,
        rtol=0,
        atol=0,
        known_mistakes=mistakes,
    )


def check_depth_to_space(student_fn) -> Verdict:
    """``student_fn(x (N, C*r*r, H, W) ndarray, r) -> (N, C, H*r, W*r)``, equal to ``ops.DepthToSpace(r)`` (DCR)."""

    def reference(x, r):
        from mindspore import Tensor, ops

        return ops.DepthToSpace(r)(Tensor(x)).asnumpy()

    rng = np.random.default_rng(7)
    fixed = [(np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2), 2), _shuffle_case(rng, 1, 3, 2, 2, 3)]
    mistakes = {
        "that is PixelShuffle's CRD order; depth_to_space splits the channel as (i, j, c), c fastest: "
        "reshape to (N, r, r, C, H, W)": _crd_shuffle,
    }
    return check_function(
        student_fn,
        reference,
        fixed,
        name="depth_to_space",
        random_case=_random_shuffle_case,
        rtol=0,
        atol=0,
        known_mistakes=mistakes,
    )


def overlap_counts(length: int, kernel_size: int, stride: int) -> np.ndarray:
    """How many kernel taps of a 1-D transposed convolution (no padding) land on each output position.

    Input positions i = 0 .. length-1 each paint the kernel onto outputs i*stride .. i*stride + k - 1;
    output length (length - 1) * stride + kernel_size. Even counts (away from the borders) need
    kernel_size % stride == 0; otherwise they alternate: the checkerboard of Odena et al. (2016).
    """
    out = np.zeros((length - 1) * stride + kernel_size, np.int64)
    for i in range(length):
        out[i * stride : i * stride + kernel_size] += 1
    return out


def check_overlap_counts(student_fn) -> Verdict:
    """``student_fn(length, kernel_size, stride) -> (L_out,) counts``, see :func:`overlap_counts`."""
    fixed = [(5, 3, 2), (4, 4, 2), (6, 3, 1), (3, 5, 3)]

    def random_case(rng):
        k = int(rng.integers(1, 6))
        return (int(rng.integers(2, 8)), k, int(rng.integers(1, k + 1)))

    def no_stride(n, k, s):
        out = np.zeros((n - 1) * s + k, np.int64)
        for i in range(n):
            out[i : i + k] += 1
        return out

    hint = "each input pixel moves `stride` output pixels: its footprint starts at i * stride, not i"
    mistakes = {hint: no_stride, hint + " (and the output has (length - 1) * stride + k positions)": (
        lambda n, k, s: overlap_counts(n, k, 1)
    )}  # fmt: skip
    return check_function(
        student_fn,
        overlap_counts,
        fixed,
        name="overlap_counts",
        random_case=random_case,
        rtol=0,
        atol=0,
        known_mistakes=mistakes,
    )


# ---- notebook 06 ----------------------------------------------------------------------------------


def check_slim_upsampler(student_fn) -> Verdict:
    """``student_fn(weight (r*r*F, F, k, k), c, r) -> the (r*r*c, c, k, k) slice`` a width-c' EDSR uses.

    The upsampler conv feeds PixelShuffle(r), which reads output channel m from conv outputs
    m*r*r ... m*r*r + r*r - 1: the first c' shuffled channels need the first r*r*c' conv outputs.
    """

    def reference(weight, c, r):
        return weight[: r * r * c, :c]

    def case(rng, f, c, r):
        return (rng.standard_normal((r * r * f, f, 3, 3)).astype(np.float32), c, r)

    rng = np.random.default_rng(8)
    fixed = [case(rng, 8, 2, 2), case(rng, 6, 3, 3)]
    mistakes = {
        "the conv feeding PixelShuffle needs more than c' outputs: count how many conv channels make one "
        "shuffled channel": (lambda w, c, r: w[:c, :c]),
        "that is the slice for DCR order (depth_to_space); PixelShuffle's CRD order keeps whole groups, "
        "groups of consecutive outputs": lambda w, c, r: w.reshape((r * r, -1) + w.shape[1:])[
            :, :c, :c
        ].reshape((r * r * c, c) + w.shape[2:]),
        "slice the input channels too: the conv reads only the c' active feature channels": (
            lambda w, c, r: w[: r * r * c]
        ),
    }
    return check_function(
        student_fn,
        reference,
        fixed,
        name="slim upsampler",
        random_case=lambda r_: case(r_, 8, int(r_.integers(1, 8)), int(r_.integers(2, 4))),
        rtol=0,
        atol=0,
        known_mistakes=mistakes,
    )


def check_edsr_params(student_fn) -> Verdict:
    """``student_fn(num_blocks, num_feat, scale, width_mult) -> int``, the parameters EDSR uses at a width.

    The reference is :meth:`course_lib.models.edsr.EDSR.count_active_params` of a (small) built network.
    """
    from course_lib.models.edsr import EDSR

    def reference(num_blocks, num_feat, scale, width_mult):
        return EDSR(num_blocks, num_feat, scale).count_active_params(width_mult)

    def conv(o, i):
        return o * i * 9 + o

    def no_bias(b, f, s, w):
        c = int(f * w)
        ups = [(rr * rr * c, c) for rr in ((3,) if s == 3 else (2,) * (s.bit_length() - 1))]
        shapes = [(c, 3)] + [(c, c)] * (2 * b + 1) + ups + [(3, c)]
        return sum(o * i * 9 for o, i in shapes)

    def thin_upsampler(b, f, s, w):
        c = int(f * w)
        ups = [(c, c) for _ in ((3,) if s == 3 else (2,) * (s.bit_length() - 1))]
        return sum(conv(o, i) for o, i in [(c, 3)] + [(c, c)] * (2 * b + 1) + ups + [(3, c)])

    def one_conv_per_block(b, f, s, w):
        c = int(f * w)
        ups = [(rr * rr * c, c) for rr in ((3,) if s == 3 else (2,) * (s.bit_length() - 1))]
        return sum(conv(o, i) for o, i in [(c, 3)] + [(c, c)] * (b + 1) + ups + [(3, c)])

    mistakes = {
        "every conv also has one bias per output channel": no_bias,
        "the upsampler conv outputs r*r*c' channels (r*r sub-pixels per feature channel), not c'": thin_upsampler,
        "each residual block has two convs, and body_conv follows the blocks": one_conv_per_block,
    }
    fixed = [(2, 16, 2, 1.0), (2, 16, 4, 0.25), (1, 8, 3, 0.5), (3, 12, 2, 0.5)]
    return check_function(
        student_fn, reference, fixed, name="EDSR parameter count", rtol=0, atol=0, known_mistakes=mistakes
    )


def _contrastive_reference(anchor, positive, negatives, weights):
    from mindspore import Tensor

    t = lambda seq: [Tensor(np.asarray(a, np.float32)) for a in seq]  # noqa: E731
    return float(contrastive_from_features(t(anchor), t(positive), t(negatives), tuple(weights)).asnumpy())


def check_contrastive(student_fn) -> Verdict:
    """``student_fn(anchor, positive, negatives, weights) -> float``: the contrastive loss on features.

    anchor, positive: lists of L arrays (N, C_i, H_i, W_i); negatives: list of L arrays (K, N, C_i, H_i, W_i);
    weights: L floats. CL = sum_i w_i D(a_i, p_i) / (sum_k D(a_i, n_ik) + 1e-7), D the mean absolute
    difference over all elements.
    """

    def case(rng, n=2, k=3, sizes=((4, 6), (8, 3))):
        shapes = [(n, c, s, s) for c, s in sizes]
        a = [rng.random(sh).astype(np.float32) for sh in shapes]
        p = [(x + 0.1 * rng.standard_normal(x.shape)).astype(np.float32) for x in a]
        neg = [rng.random((k,) + sh).astype(np.float32) for sh in shapes]
        return (a, p, neg, [float(w) for w in rng.uniform(0.1, 1.0, len(sizes))])

    def generic(a, p, n, w, dist, combine, ratio=True):
        total = 0.0
        for ai, pi, ni, wi in zip(a, p, n, w):
            d_ap = dist(ai - pi)
            d_an = [dist(ai - nk) for nk in ni]
            total += wi * (d_ap / (combine(d_an) + 1e-7) if ratio else (combine(d_an) + 1e-7) / d_ap)
        return total

    l1 = lambda d: float(np.mean(np.abs(d)))  # noqa: E731
    mistakes = {
        "sum the distances to the negatives, do not average them": lambda a, p, n, w: generic(
            a, p, n, w, l1, np.mean
        ),
        "the ratio is upside down: the distance to the positive goes in the numerator": lambda a, p, n, w: (
            generic(a, p, n, w, l1, np.sum, ratio=False)
        ),
        "D is the mean absolute difference (L1), not the squared one": lambda a, p, n, w: generic(
            a, p, n, w, lambda d: float(np.mean(d**2)), np.sum
        ),
    }
    rng = np.random.default_rng(9)
    return check_function(
        student_fn,
        _contrastive_reference,
        [case(rng), case(rng, n=1, k=1)],
        name="contrastive loss",
        random_case=lambda r: case(r, int(r.integers(1, 3)), int(r.integers(1, 4))),
        n_random=2,
        rtol=1e-4,
        known_mistakes=mistakes,
    )
