"""Checkers for the dehazing notebooks: 02 (feature attention), 03 (deformable convolution), 04 (AECR-Net).

Every reference here is NumPy written from the paper's formula, independent of the MindSpore layers it
teaches; the tests check that the two agree. Students' functions take and return NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Verdict, check_function


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _conv1x1(x, w, b):
    """1x1 conv on (N, C, H, W) with w (C_out, C), b (C_out,)."""
    return np.einsum("oc,nchw->nohw", w, x) + b[None, :, None, None]


def _attention_case(rng, n=2, c=16, h=5, w=6, out=None):
    r = c // 8
    out = c if out is None else out
    return (
        rng.normal(size=(n, c, h, w)).astype(np.float32),
        rng.normal(size=(r, c)).astype(np.float32),
        rng.normal(size=(r,)).astype(np.float32),
        rng.normal(size=(out, r)).astype(np.float32),
        rng.normal(size=(out,)).astype(np.float32),
    )


# ------------------------------------------------------------------------------------- notebook 02
def channel_attention_reference(x, w1, b1, w2, b2):
    """FFA-Net CA: x * sigmoid(W2 ReLU(W1 g + b1) + b2), g = mean over H, W. x (N, C, H, W)."""
    g = x.mean(axis=(2, 3), keepdims=True)
    return x * _sigmoid(_conv1x1(np.maximum(_conv1x1(g, w1, b1), 0), w2, b2))


def pixel_attention_reference(x, w1, b1, w2, b2):
    """FFA-Net PA: x * sigmoid(W2 ReLU(W1 x + b1) + b2), one weight per pixel (w2: (1, C/8))."""
    return x * _sigmoid(_conv1x1(np.maximum(_conv1x1(x, w1, b1), 0), w2, b2))


def check_channel_attention(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W), w1 (C/8, C), b1, w2 (C, C/8), b2) -> x * CA``, NumPy."""
    fixed = [_attention_case(np.random.default_rng(20))]

    def max_pool(x, w1, b1, w2, b2):
        g = x.max(axis=(2, 3), keepdims=True)
        return x * _sigmoid(_conv1x1(np.maximum(_conv1x1(g, w1, b1), 0), w2, b2))

    def no_sigmoid(x, w1, b1, w2, b2):
        g = x.mean(axis=(2, 3), keepdims=True)
        return x * _conv1x1(np.maximum(_conv1x1(g, w1, b1), 0), w2, b2)

    def weights_only(x, w1, b1, w2, b2):
        return channel_attention_reference(x, w1, b1, w2, b2) / x

    def per_pixel(x, w1, b1, w2, b2):
        return x * _sigmoid(_conv1x1(np.maximum(_conv1x1(x, w1, b1), 0), w2, b2))

    mistakes = {
        "average over H and W first (the squeeze): one weight per channel, the same at every pixel; "
        "a weight per pixel is pixel attention": per_pixel,
        "the squeeze is global AVERAGE pooling (x.mean over H and W), not max pooling": max_pool,
        "the attention must go through a sigmoid, so each channel weight lies in (0, 1)": no_sigmoid,
        "return the re-weighted features x * CA, not only the (N, C, 1, 1) weights": weights_only,
    }
    return check_function(
        student_fn,
        channel_attention_reference,
        fixed,
        name="channel attention",
        random_case=lambda r: _attention_case(r, c=8, h=4, w=3),
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def check_pixel_attention(student_fn) -> Verdict:
    """``student_fn(x (N, C, H, W), w1 (C/8, C), b1, w2 (1, C/8), b2 (1,)) -> x * PA``, NumPy."""
    fixed = [_attention_case(np.random.default_rng(21), out=1)]

    def softmax_pixels(x, w1, b1, w2, b2):
        z = _conv1x1(np.maximum(_conv1x1(x, w1, b1), 0), w2, b2)
        e = np.exp(z - z.max(axis=(2, 3), keepdims=True))
        return x * e / e.sum(axis=(2, 3), keepdims=True)

    def no_sigmoid(x, w1, b1, w2, b2):
        return x * _conv1x1(np.maximum(_conv1x1(x, w1, b1), 0), w2, b2)

    def channel_mean(x, w1, b1, w2, b2):
        return x * _sigmoid(x.mean(axis=1, keepdims=True))

    mistakes = {
        "PA uses a sigmoid per pixel, not a softmax over the pixels (the weights need not sum to 1)": (
            softmax_pixels
        ),
        "the map must go through a sigmoid, so each pixel weight lies in (0, 1)": no_sigmoid,
        "PA is two 1x1 convs (C -> C/8 -> 1) with a ReLU between, not the mean over channels": channel_mean,
    }
    return check_function(
        student_fn,
        pixel_attention_reference,
        fixed,
        name="pixel attention",
        random_case=lambda r: _attention_case(r, c=8, h=4, w=3, out=1),
        rtol=1e-4,
        known_mistakes=mistakes,
    )


# ------------------------------------------------------------------------------------- notebook 03
def bilinear_sample_reference(img, rows, cols):
    """Bilinear samples of ``img`` (H, W) at fractional (rows, cols) (M,); neighbours outside read 0.

    DCNv1 Eq. (3)-(4): x(p) = sum_q G(q, p) x(q), G = max(0, 1 - |q_y - p_y|) max(0, 1 - |q_x - p_x|).
    """
    img = np.asarray(img, np.float64)
    h, w = img.shape
    rows, cols = np.asarray(rows, np.float64), np.asarray(cols, np.float64)
    r0, c0 = np.floor(rows), np.floor(cols)
    out = np.zeros(rows.shape)
    for dr in (0, 1):
        for dc in (0, 1):
            rr, cc = r0 + dr, c0 + dc
            g = np.maximum(0, 1 - np.abs(rr - rows)) * np.maximum(0, 1 - np.abs(cc - cols))
            inside = (rr >= 0) & (rr <= h - 1) & (cc >= 0) & (cc <= w - 1)
            val = img[np.clip(rr, 0, h - 1).astype(int), np.clip(cc, 0, w - 1).astype(int)]
            out += np.where(inside, g * val, 0.0)
    return out


def _bilinear_case(rng, h=5, w=7, m=20):
    img = rng.random((h, w)).astype(np.float32)
    rows = rng.uniform(-1.5, h + 0.5, m).astype(np.float32)
    cols = rng.uniform(-1.5, w + 0.5, m).astype(np.float32)
    return img, rows, cols


def check_bilinear_sample(student_fn) -> Verdict:
    """``student_fn(img (H, W), rows (M,), cols (M,)) -> (M,)``: bilinear, zero outside the image."""
    img = np.arange(20, dtype=np.float32).reshape(4, 5) / 20
    rows = np.array([0.0, 1.5, 2.25, 0.5, 3.0, -0.5, 1.0, 3.5, 2.6], np.float32)
    cols = np.array([0.0, 0.5, 3.75, 1.2, 4.0, 2.0, -0.25, 1.0, 4.4], np.float32)
    fixed = [(img, rows, cols)]

    def swapped(img, rows, cols):
        return bilinear_sample_reference(img.T, rows, cols)

    def nearest(img, rows, cols):
        h, w = img.shape
        rr, cc = np.round(rows).astype(int), np.round(cols).astype(int)
        inside = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
        return np.where(inside, img[np.clip(rr, 0, h - 1), np.clip(cc, 0, w - 1)], 0.0)

    def clamped(img, rows, cols):
        h, w = img.shape
        padded = np.pad(img, 2, mode="edge")  # a border-replicating image: clamping instead of zeros
        return bilinear_sample_reference(padded, np.clip(rows, -1, h) + 2, np.clip(cols, -1, w) + 2)

    mistakes = {
        "rows and columns are swapped: img[row, col], with the row (y) first": swapped,
        "that is nearest-neighbour sampling; weight the FOUR neighbours by (1 - |dy|)(1 - |dx|)": nearest,
        "neighbours outside the image must read 0 (like zero padding), not the border value": clamped,
    }
    return check_function(
        student_fn,
        bilinear_sample_reference,
        fixed,
        name="bilinear sampling",
        random_case=_bilinear_case,
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def offsets_torch_to_mindspore_reference(offset, mask):
    """DCNv2/torchvision (offset (N, 18, H, W) as [dy0, dx0, dy1, dx1, ...], mask (N, 9, H, W)) ->
    MindSpore (N, 27, H, W) = [dx0..dx8 | dy0..dy8 | m0..m8]."""
    return np.concatenate([offset[:, 1::2], offset[:, 0::2], mask], axis=1)


def check_offsets_to_mindspore(student_fn) -> Verdict:
    """``student_fn(offset (N, 18, H, W), mask (N, 9, H, W)) -> (N, 27, H, W)`` in MindSpore's layout."""
    rng = np.random.default_rng(30)

    def case(r):
        return r.normal(size=(2, 18, 3, 4)).astype(np.float32), r.random((2, 9, 3, 4)).astype(np.float32)

    def dy_first(offset, mask):
        return np.concatenate([offset[:, 0::2], offset[:, 1::2], mask], axis=1)

    def halves(offset, mask):
        return np.concatenate([offset[:, :9], offset[:, 9:], mask], axis=1)

    def halves_swapped(offset, mask):
        return np.concatenate([offset[:, 9:], offset[:, :9], mask], axis=1)

    mistakes = {
        "dx and dy are swapped: MindSpore wants all 9 dx (column offsets) first, then all 9 dy": dy_first,
        "DCNv2 interleaves the offsets per tap (dy0, dx0, dy1, dx1, ...): take every other channel, "
        "not the first and last 9": halves,
        "DCNv2 interleaves the offsets per tap (dy0, dx0, dy1, dx1, ...), and you also took dy where dx "
        "belongs": halves_swapped,
    }
    return check_function(
        student_fn,
        offsets_torch_to_mindspore_reference,
        [case(rng)],
        name="offset layout conversion",
        random_case=case,
        rtol=1e-6,
        known_mistakes=mistakes,
    )


# ------------------------------------------------------------------------------------- notebook 04
def adaptive_mixup_reference(a, b, w):
    """AECR-Net adaptive mixup: sigmoid(w) * a + (1 - sigmoid(w)) * b."""
    m = _sigmoid(w)
    return m * a + (1 - m) * b


def check_adaptive_mixup(student_fn) -> Verdict:
    """``student_fn(a, b, w) -> sigmoid(w) a + (1 - sigmoid(w)) b`` for arrays a, b and a float w."""
    rng = np.random.default_rng(40)

    def case(r):
        return (
            r.normal(size=(2, 4, 3, 3)).astype(np.float32),
            r.normal(size=(2, 4, 3, 3)).astype(np.float32),
            float(r.uniform(-2, 2)),
        )

    mistakes = {
        "w is stored before the sigmoid: the factor is sigmoid(w), which keeps it in (0, 1)": lambda a, b, w: (
            w * a + (1 - w) * b
        ),
        "a and b are swapped: sigmoid(w) weighs the FIRST input a": lambda a, b, w: adaptive_mixup_reference(
            b, a, w
        ),
    }
    return check_function(
        student_fn,
        adaptive_mixup_reference,
        [case(rng), (np.ones((1, 2, 2, 2), np.float32), np.zeros((1, 2, 2, 2), np.float32), -1.0)],
        name="adaptive mixup",
        random_case=case,
        rtol=1e-5,
        known_mistakes=mistakes,
    )


CR_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)


def contrastive_reference(anchor, positive, negative, weights=CR_WEIGHTS):
    """AECR-Net Eq. (4): sum_i w_i D(G_i(a), G_i(p)) / (D(G_i(a), G_i(n)) + 1e-7), D = mean |.|."""
    total = 0.0
    for a, p, n, w in zip(anchor, positive, negative, weights):
        total += w * np.mean(np.abs(a - p)) / (np.mean(np.abs(a - n)) + 1e-7)
    return np.float64(total)


def check_contrastive(student_fn) -> Verdict:
    """``student_fn(anchor, positive, negative, weights) -> float``: lists of 5 feature arrays each."""
    rng = np.random.default_rng(41)

    def case(r):
        shapes = [(2, 4, 8, 8), (2, 8, 4, 4), (2, 8, 2, 2), (2, 16, 2, 2), (2, 16, 1, 1)]
        feats = [[r.random(s).astype(np.float32) for s in shapes] for _ in range(3)]
        return feats[0], feats[1], feats[2], CR_WEIGHTS

    def inverted(a, p, n, weights):
        return sum(
            w * np.mean(np.abs(x - z)) / np.mean(np.abs(x - y)) for x, y, z, w in zip(a, p, n, weights)
        )

    def squared(a, p, n, weights):
        return sum(w * np.mean((x - y) ** 2) / np.mean((x - z) ** 2) for x, y, z, w in zip(a, p, n, weights))

    def unweighted(a, p, n, weights):
        return contrastive_reference(a, p, n, (1.0,) * len(a))

    mistakes = {
        "the ratio is upside down: the POSITIVE distance D(a, p) goes in the numerator (pull towards the "
        "clear image), the negative D(a, n) in the denominator": inverted,
        "D is the mean ABSOLUTE difference (L1), not the squared one": squared,
        "each layer's ratio is weighted by w_i = 1/32, 1/16, 1/8, 1/4, 1": unweighted,
    }
    return check_function(
        student_fn,
        contrastive_reference,
        [case(rng)],
        name="contrastive regularisation",
        random_case=case,
        n_random=2,
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def dcp_recover_reference(hazy, t, airlight, t0=0.1):
    """He et al. Eq. (22): J = (I - A) / max(t, t0) + A, clipped to [0, 1]. hazy (H, W, 3), t (H, W)."""
    j = (hazy - airlight) / np.maximum(t, t0)[..., None] + airlight
    return np.clip(j, 0.0, 1.0)


def check_dcp_recover(student_fn) -> Verdict:
    """``student_fn(hazy (H, W, 3), t (H, W), airlight (3,), t0) -> J (H, W, 3)`` in [0, 1]."""
    rng = np.random.default_rng(42)

    def case(r):
        clean = r.random((6, 5, 3)).astype(np.float32)
        t = r.uniform(0.02, 1.0, (6, 5)).astype(np.float32)
        a = r.uniform(0.7, 1.0, 3).astype(np.float32)
        hazy = clean * t[..., None] + a * (1 - t[..., None])
        t_estimate = (t * r.uniform(0.5, 1.5, t.shape)).astype(np.float32)  # DCP only estimates t
        t_estimate.flat[:3] = (0.01, 0.05, 0.08)  # below t0
        return hazy, t_estimate, a, 0.1

    def no_t0(hazy, t, a, t0):
        return np.clip((hazy - a) / t[..., None] + a, 0, 1)

    def times_t(hazy, t, a, t0):
        return np.clip((hazy - a) * np.maximum(t, t0)[..., None] + a, 0, 1)

    mistakes = {
        "bound the transmission from below, max(t, t0), before dividing: small t blows up the noise": no_t0,
        "invert the haze model: DIVIDE (I - A) by the transmission, do not multiply": times_t,
    }
    return check_function(
        student_fn,
        dcp_recover_reference,
        [case(rng)],
        name="DCP recovery",
        random_case=case,
        rtol=1e-4,
        known_mistakes=mistakes,
    )
