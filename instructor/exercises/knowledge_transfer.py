"""Checkers for notebook 08 (knowledge-transfer dehazing: KTDN and SRKTDN).

References are NumPy from the formulas (PSPNet's pyramid pooling as KTDN's enhancer uses it; RCAN's
residual channel-attention block, Eq. 12; KTDN's transfer loss), independent of the MindSpore code in
:mod:`course_lib.models.srktdn`. Students' functions take NumPy arrays and numbers.
"""

from __future__ import annotations

import numpy as np

from course_lib.exercises import check_function

POOL_SIZES = (32, 16, 8, 4)


# ------------------------------------------------------------------------------------- references
def pyramid_pool_reference(d, sizes=POOL_SIZES):
    """d (C, H, W), H and W multiples of every size -> (len(sizes), C, H, W): each map averaged over
    k x k cells (stride k) and repeated back to H x W (nearest upsampling)."""
    c, h, w = d.shape
    maps = [
        d.reshape(c, h // k, k, w // k, k).mean(axis=(2, 4)).repeat(k, axis=1).repeat(k, axis=2)
        for k in sizes
    ]
    return np.stack(maps)


def _conv_same(x, w, b):
    k = w.shape[-1]
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    h, wd = x.shape[1:]
    out = np.zeros((w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], xp[:, i : i + h, j : j + wd])
    return out + b[:, None, None]


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def rcab_reference(x, w1, b1, w2, b2, w_down, b_down, w_up, b_up, residual=True, attention=True):
    """RCAB (RCAN Eq. 12): x + CA(conv(ReLU(conv(x)))), CA = sigmoid(W_up ReLU(W_down mean_hw(.))).

    x (C, H, W); w1, w2 (C, C, 3, 3); w_down (C/r, C); w_up (C, C/r); biases to match.
    """
    r = _conv_same(np.maximum(_conv_same(x, w1, b1), 0), w2, b2)
    if attention:
        g = r.mean(axis=(1, 2))
        r = r * _sigmoid(w_up @ np.maximum(w_down @ g + b_down, 0) + b_up)[:, None, None]
    return x + r if residual else r


def transfer_loss_reference(restored, clear, student_feature, teacher_feature_of_clear, teacher_feature_of_hazy,
                            weight):  # fmt: skip
    """KTDN: mean |restored - clear| + weight * mean |student feature - teacher feature of the CLEAR image|."""
    return float(
        np.mean(np.abs(restored - clear))
        + weight * np.mean(np.abs(student_feature - teacher_feature_of_clear))
    )


# ------------------------------------------------------------------------------------- checkers
def check_pyramid_pool(student_fn):
    """``student_fn(d (C, H, W)) -> (4, C, H, W)``: KTDN's pooled maps at cell sizes 32, 16, 8, 4, each
    upsampled back to H x W by repetition (nearest), in that order."""
    rng = np.random.default_rng(80)
    fixed = [(rng.random((2, 64, 32)),)]
    mistakes = {
        "use KTDN's cell sizes 32, 16, 8, 4 (coarsest first); yours look like 2, 4, 8, 16": lambda d: pyramid_pool_reference(d, (2, 4, 8, 16)),
        "the maps are in the wrong order: 32 (coarsest) first, then 16, 8, 4": lambda d: pyramid_pool_reference(d, POOL_SIZES[::-1]),
        "average over each k x k cell (avg_pool2d), not the maximum": lambda d: np.stack([
            d.reshape(d.shape[0], d.shape[1] // k, k, d.shape[2] // k, k).max(axis=(2, 4)).repeat(k, 1).repeat(k, 2)
            for k in POOL_SIZES]),
    }  # fmt: skip
    return check_function(student_fn, pyramid_pool_reference, fixed, name="pyramid pooling",
                          random_case=lambda r: (r.random((3, 32, 64)),), known_mistakes=mistakes)  # fmt: skip


def check_rcab(student_fn):
    """``student_fn(x, w1, b1, w2, b2, w_down, b_down, w_up, b_up) -> (C, H, W)``: one RCAB."""

    def case(r, c=8, h=5, w=6):
        return (r.normal(size=(c, h, w)), r.normal(0, 0.3, (c, c, 3, 3)), r.normal(0, 0.1, c),
                r.normal(0, 0.3, (c, c, 3, 3)), r.normal(0, 0.1, c), r.normal(size=(c // 4, c)),
                r.normal(0, 0.1, c // 4), r.normal(size=(c, c // 4)), r.normal(0, 0.1, c))  # fmt: skip

    mistakes = {
        "add the block's input x at the end: an RCAB learns a residual (x + CA(...)), which is what lets 50 of "
        "them be stacked": lambda *a: rcab_reference(*a, residual=False),
        "the channel attention is missing: scale each channel of the second conv's output by "
        "sigmoid(W_up ReLU(W_down mean_hw))": lambda *a: rcab_reference(*a, attention=False),
    }
    return check_function(student_fn, rcab_reference, [case(np.random.default_rng(81))], name="RCAB",
                          random_case=case, known_mistakes=mistakes)  # fmt: skip


def check_transfer_loss(student_fn):
    """``student_fn(restored, clear, student_feature, teacher_feature_of_clear, teacher_feature_of_hazy, weight)
    -> float``: KTDN's loss (the last-but-one feature is the one to imitate; the hazy one is a distractor)."""

    def case(r):
        img = [r.random((2, 3, 8, 8)) for _ in range(2)]
        feats = [r.normal(size=(2, 6, 2, 2)) for _ in range(3)]
        return (*img, *feats, float(r.uniform(0.05, 1.0)))

    def wrong_feature(restored, clear, s, t_clear, t_hazy, w):
        return transfer_loss_reference(restored, clear, s, t_hazy, t_clear, w)

    def squared(restored, clear, s, t_clear, t_hazy, w):
        return float(np.mean(np.abs(restored - clear)) + w * np.mean((s - t_clear) ** 2))

    def weight_on_image(restored, clear, s, t_clear, t_hazy, w):
        return float(w * np.mean(np.abs(restored - clear)) + np.mean(np.abs(s - t_clear)))

    mistakes = {
        "transfer loss on the wrong feature: the teacher must see the CLEAR image (it was trained clear -> "
        "clear); its feature of the hazy image is not what the student should imitate": wrong_feature,
        "KTDN's feature loss is L1 (mean absolute difference), not squared": squared,
        "the weight multiplies the feature term, not the image term": weight_on_image,
    }
    return check_function(lambda *a: np.float64(student_fn(*a)), lambda *a: np.float64(transfer_loss_reference(*a)),
                          [case(np.random.default_rng(82))], name="transfer loss", random_case=case,
                          known_mistakes=mistakes)  # fmt: skip
