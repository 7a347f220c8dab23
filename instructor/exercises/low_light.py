"""Checkers for notebook 07 (Zero-DCE: low-light enhancement without reference images).

Every reference here is NumPy written from the formulas of Guo et al. (CVPR 2020) as the official code
computes them (``methods.md`` section 2), independent of the MindSpore code in
:mod:`course_lib.layers.curves` and :mod:`course_lib.losses.zero_reference`; the tests check that the
two agree. Students' functions take NumPy arrays ``(N, C, H, W)`` float32 in [0, 1] and return NumPy
arrays or floats. Curves use the **paper's** sign: alpha > 0 brightens (the official code's r = -alpha).
"""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Verdict, check_function

ITERATIONS = 8


# ------------------------------------------------------------------------------------- references
def le_curve_reference(x, alpha):
    """Eq. (1): LE(x) = x + alpha x (1 - x); x and alpha broadcast."""
    return x + alpha * x * (1 - x)


def iterated_curves_reference(x, curve_maps):
    """Eqs. (2)-(3): 8 LE-curve steps; x (N, 3, H, W), curve_maps (N, 24, H, W), iteration i uses
    channels 3i, 3i + 1, 3i + 2 (paper sign)."""
    for i in range(ITERATIONS):
        x = le_curve_reference(x, curve_maps[:, 3 * i : 3 * i + 3])
    return x


def _pool(y, patch):
    """Non-overlapping patch x patch average of (N, 1, H, W); trailing rows/columns dropped."""
    n, c, h, w = y.shape
    hp, wp = h // patch, w // patch
    y = y[:, :, : hp * patch, : wp * patch]
    return y.reshape(n, c, hp, patch, wp, patch).mean(axis=(3, 5))


def _neighbour_differences(y):
    """y (N, 1, h, w) -> the four maps y - neighbour (left, right, up, down); zero outside the image."""
    p = np.pad(y, ((0, 0), (0, 0), (1, 1), (1, 1)))
    return (
        y - p[:, :, 1:-1, :-2],
        y - p[:, :, 1:-1, 2:],
        y - p[:, :, :-2, 1:-1],
        y - p[:, :, 2:, 1:-1],
    )


def spatial_consistency_reference(enhanced, low, patch=4):
    """L_spa, Eq. (4): mean over 4x4 patches of sum_dir (D_dir(I) - D_dir(E))^2, on the channel mean."""
    y_e = _pool(enhanced.mean(axis=1, keepdims=True), patch)
    y_i = _pool(low.mean(axis=1, keepdims=True), patch)
    d = [(di - de) ** 2 for di, de in zip(_neighbour_differences(y_i), _neighbour_differences(y_e))]
    return float(sum(d).mean())


def exposure_reference(enhanced, level=0.6, patch=16):
    """L_exp, Eq. (5) as in the code: mean over 16x16 patches of (mean Y - E)^2, Y the channel mean."""
    y = _pool(enhanced.mean(axis=1, keepdims=True), patch)
    return float(((y - level) ** 2).mean())


def color_constancy_reference(enhanced):
    """L_col, Eq. (6) as in the code: sqrt((m_R-m_G)^4 + (m_R-m_B)^4 + (m_B-m_G)^4), mean over images."""
    m = enhanced.mean(axis=(2, 3))
    r, g, b = m[:, 0], m[:, 1], m[:, 2]
    return float(np.sqrt((r - g) ** 4 + (r - b) ** 4 + (b - g) ** 4).mean())


# ------------------------------------------------------------------------------------- cases
def _images(rng, n=2, h=32, w=48, dark=True):
    x = rng.random((n, 3, h, w)).astype(np.float32)
    return x * (0.3 if dark else 1.0) + rng.random((n, 3, 1, 1)).astype(np.float32) * 0.2


def _alpha(rng, shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


# ------------------------------------------------------------------------------------- checkers
def check_le_curve(student_fn) -> Verdict:
    """``student_fn(x, alpha) -> LE(x)``: Eq. (1) with the paper's sign; x, alpha NumPy, broadcasting."""
    rng = np.random.default_rng(70)
    grid = np.linspace(0, 1, 11, dtype=np.float32)
    fixed = [(grid, np.float32(0.6)), (grid, np.float32(-0.4)), (_images(rng), _alpha(rng, (2, 3, 32, 48)))]
    mistakes = {
        "the sign is flipped: in the paper alpha > 0 brightens; the official code's r is the paper's -alpha: "
        "do not mix the two conventions": lambda x, a: x - a * x * (1 - x),
        "you returned only the change alpha x (1 - x); the curve is x plus that change": lambda x, a: (
            a * x * (1 - x)
        ),
        "the quadratic term is x (1 - x), which vanishes at 0 and 1 so both ends stay fixed": lambda x, a: (
            x + a * x * x
        ),
    }
    return check_function(
        student_fn,
        le_curve_reference,
        fixed,
        name="LE-curve",
        random_case=lambda r: (r.random((3, 5)).astype(np.float32), _alpha(r, (3, 5))),
        rtol=1e-5,
        known_mistakes=mistakes,
    )


def check_iterated_curves(student_fn) -> Verdict:
    """``student_fn(x (N, 3, H, W), curve_maps (N, 24, H, W)) -> (N, 3, H, W)``: 8 LE-curve steps, Eq. (2),
    iteration i with the alpha map ``curve_maps[:, 3i:3i+3]`` (paper sign)."""
    rng = np.random.default_rng(71)
    fixed = [(_images(rng, h=6, w=5), _alpha(rng, (2, 24, 6, 5)))]

    def case(r):
        return _images(r, n=1, h=4, w=7), _alpha(r, (1, 24, 4, 7))

    def same_map(x, maps):
        for _ in range(ITERATIONS):
            x = le_curve_reference(x, maps[:, :3])
        return x

    def interleaved(x, maps):
        for i in range(ITERATIONS):
            x = le_curve_reference(x, maps[:, i::ITERATIONS])
        return x

    def reversed_order(x, maps):
        for i in reversed(range(ITERATIONS)):
            x = le_curve_reference(x, maps[:, 3 * i : 3 * i + 3])
        return x

    def official_sign(x, maps):
        return iterated_curves_reference(x, -maps)

    def once(x, maps):
        return le_curve_reference(x, maps[:, -3:])

    mistakes = {
        "iteration i must use its own map, channels 3i to 3i+2 (you reused the first map every time)": same_map,
        "the 24 channels are grouped by iteration, three consecutive channels each, not interleaved": (
            interleaved
        ),
        "apply the maps in order, channels 0-2 first (you started from the last map)": reversed_order,
        "the sign is flipped: these maps are the paper's alpha, not the official r": (official_sign),
        "apply the curve 8 times, each to the previous result (you applied only one map)": once,
    }
    return check_function(
        student_fn,
        iterated_curves_reference,
        fixed,
        name="iterated LE-curves",
        random_case=case,
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def check_exposure_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W), level, patch) -> float``: L_exp with the official square."""
    rng = np.random.default_rng(72)
    fixed = [(_images(rng), 0.6, 16)]

    def case(r):
        return _images(r, h=16, w=24), float(r.uniform(0.4, 0.7)), 8

    def absolute(x, level, patch):
        return float(np.abs(_pool(x.mean(axis=1, keepdims=True), patch) - level).mean())

    def per_channel(x, level, patch):
        return float(((_pool(x.reshape(-1, 1, *x.shape[2:]), patch) - level) ** 2).mean())

    def no_pooling(x, level, patch):
        return float(((x.mean(axis=1) - level) ** 2).mean())

    mistakes = {
        "you followed the paper's Eq. (5); the official code, whose weights we load, penalises the distance "
        "to E differently: read its exposure loss": absolute,
        "average the three channels first (Y = channel mean), then pool; you pooled each channel apart": (
            per_channel
        ),
        "compare the average of each non-overlapping patch x patch region with E, not single pixels": (
            no_pooling
        ),
    }
    return check_function(
        student_fn,
        exposure_reference,
        fixed,
        name="exposure loss",
        random_case=case,
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def check_color_constancy_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W)) -> float``: L_col as in the official code."""
    rng = np.random.default_rng(73)
    fixed = [(_images(rng),)]

    def means(x):
        m = x.mean(axis=(2, 3))
        return m[:, 0], m[:, 1], m[:, 2]

    def paper(x):
        r, g, b = means(x)
        return float(((r - g) ** 2 + (r - b) ** 2 + (b - g) ** 2).mean())

    def no_sqrt(x):
        r, g, b = means(x)
        return float(((r - g) ** 4 + (r - b) ** 4 + (b - g) ** 4).mean())

    def per_pixel(x):
        r, g, b = x[:, 0], x[:, 1], x[:, 2]
        return float(np.sqrt((r - g) ** 4 + (r - b) ** 4 + (b - g) ** 4).mean())

    def batch_sum(x):
        r, g, b = means(x)
        return float(np.sqrt((r - g) ** 4 + (r - b) ** 4 + (b - g) ** 4).sum())

    mistakes = {
        "that is the paper's sum of squared differences; the official code, whose weights we load, combines "
        "the three differences differently: read its colour loss": paper,
        "take the square root of the sum of the fourth powers": no_sqrt,
        "compare the channel MEANS of each image (m_R = mean of the red channel), not single pixels": per_pixel,
        "average over the images of the batch instead of summing": batch_sum,
    }
    return check_function(
        student_fn,
        color_constancy_reference,
        fixed,
        name="colour constancy loss",
        random_case=lambda r: (_images(r, n=3, h=8, w=8),),
        rtol=1e-4,
        known_mistakes=mistakes,
    )


def check_spatial_consistency_loss(student_fn) -> Verdict:
    """``student_fn(enhanced (N, 3, H, W), low (N, 3, H, W)) -> float``: L_spa with 4x4 patches."""
    rng = np.random.default_rng(74)
    fixed = [(_images(rng, dark=False), _images(rng))]

    def case(r):
        return _images(r, n=1, h=16, w=20, dark=False), _images(r, n=1, h=16, w=20)

    def with_patch(fn):
        def mistake(e, i):
            y_e = _pool(e.mean(axis=1, keepdims=True), 4)
            y_i = _pool(i.mean(axis=1, keepdims=True), 4)
            return fn(y_e, y_i)

        return mistake

    def rolled(y_e, y_i):
        total = 0
        for axis in (2, 3):
            for shift in (1, -1):
                d_i = y_i - np.roll(y_i, shift, axis)
                d_e = y_e - np.roll(y_e, shift, axis)
                total = total + (d_i - d_e) ** 2
        return float(total.mean())

    def two_directions(y_e, y_i):
        d = list(zip(_neighbour_differences(y_i), _neighbour_differences(y_e)))
        return float(sum((a - b) ** 2 for a, b in (d[0], d[2])).mean())

    def absolute(y_e, y_i):
        d = zip(_neighbour_differences(y_i), _neighbour_differences(y_e))
        return float(sum(np.abs(a - b) for a, b in d).mean())

    def no_pooling(e, i):
        return spatial_consistency_reference(e, i, patch=1)

    mistakes = {
        "pool the channel mean over 4x4 patches first; you compared single pixels": no_pooling,
        "outside the image the neighbours are zero (zero padding, as the official conv2d with padding=1), "
        "not wrapped around to the other side": with_patch(rolled),
        "sum over all four neighbours: left, right, up and down": with_patch(two_directions),
        "square the difference (D(I) - D(E))^2, don't take its absolute value": with_patch(absolute),
    }
    return check_function(
        student_fn,
        spatial_consistency_reference,
        fixed,
        name="spatial consistency loss",
        random_case=case,
        rtol=1e-4,
        known_mistakes=mistakes,
    )
