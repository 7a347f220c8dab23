"""Checkers of notebooks 05 and 06: each accepts an independent right answer and names planted mistakes.

The right answers are written here from the formulas (NumPy), or are MindSpore's own operators
(``nn.PixelShuffle``, ``nn.PixelUnshuffle``, ``ops.DepthToSpace``, ``nn.Conv2dTranspose``), or the
published parameter counts of the CSD paper.
"""

import course_lib  # noqa: F401  # isort: skip  (before mindspore: oneDNN ISA cap)
import mindspore as ms
import numpy as np
from mindspore import nn, ops

from course_lib.exercises import super_resolution as sr
from instructor.exercises import super_resolution as answers  # the references behind the stored outputs


def np_shuffle(x, r):  # Shi et al. Eq. (4), out[n, c, h*r+i, w*r+j] = x[n, c*r*r + i*r + j, h, w], by loops
    n, c, h, w = x.shape
    out = np.empty((n, c // (r * r), h * r, w * r), x.dtype)
    for cc in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[:, cc, i::r, j::r] = x[:, cc * r * r + i * r + j]
    return out


def np_unshuffle(y, r):
    n, c, h, w = y.shape
    out = np.empty((n, c * r * r, h // r, w // r), y.dtype)
    for cc in range(c):
        for i in range(r):
            for j in range(r):
                out[:, cc * r * r + i * r + j] = y[:, cc, i::r, j::r]
    return out


def test_pixel_shuffle_checker():
    assert sr.check_pixel_shuffle(np_shuffle)
    assert sr.check_pixel_shuffle(lambda x, r: nn.PixelShuffle(r)(ms.Tensor(x)))
    v = sr.check_pixel_shuffle(lambda x, r: ops.DepthToSpace(r)(ms.Tensor(x)))
    assert not v and "DCR" in v.message
    v = sr.check_pixel_shuffle(lambda x, r: np_shuffle(x, r).swapaxes(-1, -2).reshape(np_shuffle(x, r).shape))
    assert not v
    wrong_transpose = (
        lambda x, r: (  # noqa: E731
            x.reshape(x.shape[0], -1, r, r, *x.shape[2:])
            .transpose(0, 1, 4, 3, 5, 2)
            .reshape(x.shape[0], -1, x.shape[2] * r, x.shape[3] * r)
        )
    )
    v = sr.check_pixel_shuffle(wrong_transpose)
    assert not v and "swapped" in v.message
    v = sr.check_pixel_shuffle(lambda x, r: x.reshape(x.shape[0], -1, x.shape[2] * r, x.shape[3] * r))
    assert not v and "reshape alone" in v.message
    v = sr.check_pixel_shuffle(lambda x, r: None)
    assert not v and "return" in v.message


def test_pixel_unshuffle_checker():
    assert sr.check_pixel_unshuffle(np_unshuffle)
    assert sr.check_pixel_unshuffle(lambda x, r: nn.PixelUnshuffle(r)(ms.Tensor(x)))
    dcr = lambda x, r: ops.SpaceToDepth(r)(ms.Tensor(x))  # noqa: E731
    v = sr.check_pixel_unshuffle(dcr)
    assert not v and "DCR" in v.message


def test_depth_to_space_checker():
    def np_dcr(x, r):  # channel index (i*r + j)*C + c
        n, c, h, w = x.shape
        cout = c // (r * r)
        out = np.empty((n, cout, h * r, w * r), x.dtype)
        for cc in range(cout):
            for i in range(r):
                for j in range(r):
                    out[:, cc, i::r, j::r] = x[:, (i * r + j) * cout + cc]
        return out

    assert sr.check_depth_to_space(np_dcr)
    v = sr.check_depth_to_space(np_shuffle)
    assert not v and "CRD" in v.message


def test_overlap_counts_checker_and_mindspore_transposed_conv():
    # The reference equals a stride-s transposed conv of ones with a kernel of ones (MindSpore's own op).
    for n, k, s in [(5, 3, 2), (4, 4, 2), (6, 3, 1)]:
        deconv = nn.Conv2dTranspose(1, 1, (1, k), stride=(1, s), pad_mode="valid", weight_init="ones")
        counts = deconv(ops.ones((1, 1, 1, n), ms.float32)).asnumpy()[0, 0, 0]
        np.testing.assert_array_equal(counts, answers.overlap_counts(n, k, s))
    assert answers.overlap_counts(5, 3, 2).tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]

    def by_hand(n, k, s):
        out = np.zeros((n - 1) * s + k, int)
        for i in range(n):
            for t in range(k):
                out[i * s + t] += 1
        return out

    assert sr.check_overlap_counts(by_hand)
    v = sr.check_overlap_counts(lambda n, k, s: by_hand(n, k, 1))
    assert not v and "stride" in v.message

    def no_stride(n, k, s):  # the right length, painted without the stride
        out = np.zeros((n - 1) * s + k, int)
        for i in range(n):
            out[i : i + k] += 1
        return out

    v = sr.check_overlap_counts(no_stride)
    assert not v and "i * stride" in v.message


def test_slim_upsampler_checker():
    assert sr.check_slim_upsampler(lambda w, c, r: w[: r * r * c, :c])
    v = sr.check_slim_upsampler(lambda w, c, r: w[:c, :c])
    assert not v and "needs more than c' outputs" in v.message
    dcr = (
        lambda w, c, r: np.concatenate(  # noqa: E731
            [w[g * (w.shape[0] // (r * r)) : g * (w.shape[0] // (r * r)) + c, :c] for g in range(r * r)]
        )
    )
    v = sr.check_slim_upsampler(dcr)
    assert not v and "DCR" in v.message


def edsr_params_formula(num_blocks, num_feat, scale, width_mult):
    """Lim et al. 2017 Fig. 3: head, 2 convs per block, body conv, upsampler convs (r^2 c outputs), tail."""
    c = int(num_feat * width_mult)
    conv = lambda o, i: o * i * 9 + o  # noqa: E731
    stages = [3] if scale == 3 else [2] * {2: 1, 4: 2, 8: 3}[scale]
    return (
        conv(c, 3) + (2 * num_blocks + 1) * conv(c, c) + sum(conv(r * r * c, c) for r in stages) + conv(3, c)
    )


def test_edsr_params_checker():
    # the formula reproduces the CSD paper's counts (methods.md Sec. 3): 43,089,923 and 2,699,267 at x4
    assert edsr_params_formula(32, 256, 4, 1.0) == 43_089_923
    assert edsr_params_formula(32, 256, 4, 0.25) == 2_699_267
    assert sr.check_edsr_params(edsr_params_formula)
    no_bias = lambda b, f, s, w: (
        edsr_params_formula(b, f, s, w)
        - (  # noqa: E731
            int(f * w) * (2 * b + 2)
            + 3
            + sum(r * r * int(f * w) for r in ([3] if s == 3 else [2] * (s // 2)))
        )
    )
    v = sr.check_edsr_params(no_bias)
    assert not v and "bias" in v.message


def np_contrastive(anchor, positive, negatives, weights):
    total = 0.0
    for a, p, n, w in zip(anchor, positive, negatives, weights):
        d_an = sum(np.mean(np.abs(a - nk)) for nk in n)
        total += w * np.mean(np.abs(a - p)) / (d_an + 1e-7)
    return total


def test_contrastive_checker():
    assert sr.check_contrastive(np_contrastive)

    def averaged(anchor, positive, negatives, weights):
        return sum(
            w * np.mean(np.abs(a - p)) / (np.mean([np.mean(np.abs(a - nk)) for nk in n]) + 1e-7)
            for a, p, n, w in zip(anchor, positive, negatives, weights)
        )

    v = sr.check_contrastive(averaged)
    assert not v and "sum the distances" in v.message
    inverted = lambda a, p, n, w: sum(  # noqa: E731
        wi * (sum(np.mean(np.abs(ai - nk)) for nk in ni) + 1e-7) / np.mean(np.abs(ai - pi))
        for ai, pi, ni, wi in zip(a, p, n, w)
    )
    v = sr.check_contrastive(inverted)
    assert not v and "upside down" in v.message
