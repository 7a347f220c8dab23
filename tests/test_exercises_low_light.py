"""Notebook 07's checkers: each accepts the right answer and rejects planted mistakes with a specific
message; and its NumPy reference, written from the official formulas, agrees with the course_lib code
the notebook teaches (course_lib.layers.curves, course_lib.losses.zero_reference)."""

import mindspore as ms
import numpy as np

from course_lib.exercises import low_light as check
from course_lib.layers.curves import apply_curves, le_curve
from course_lib.losses import zero_reference as zr
from instructor.exercises import low_light as answers  # the references behind the stored outputs


def _batch(seed, n=2, c=3, h=32, w=48, scale=1.0):
    return (np.random.default_rng(seed).random((n, c, h, w)) * scale).astype(np.float32)


# --- the references agree with course_lib (and with values worked out by hand) -----------------------


def test_le_curve_reference_by_hand_and_course_lib():
    # LE(0.5; 1) = 0.5 + 0.25 = 0.75; LE(0.2; -0.5) = 0.2 - 0.08 = 0.12; the ends stay fixed.
    assert answers.le_curve_reference(0.5, 1.0) == 0.75
    assert abs(answers.le_curve_reference(0.2, -0.5) - 0.12) < 1e-12
    assert answers.le_curve_reference(0.0, 0.7) == 0.0 and answers.le_curve_reference(1.0, -0.7) == 1.0
    x, a = _batch(0), _batch(1, scale=2.0) - 1.0
    got = le_curve(ms.Tensor(x), ms.Tensor(a)).asnumpy()
    np.testing.assert_allclose(got, answers.le_curve_reference(x, a), rtol=1e-6, atol=1e-7)


def test_iterated_reference_matches_apply_curves():
    x, maps = _batch(2, h=5, w=6), _batch(3, c=24, h=5, w=6, scale=2.0) - 1.0
    got = apply_curves(ms.Tensor(x), ms.Tensor(maps), 8).asnumpy()
    np.testing.assert_allclose(got, answers.iterated_curves_reference(x, maps), rtol=1e-5, atol=1e-6)


def test_loss_references_match_zero_reference():
    low, enhanced = _batch(4, scale=0.3), _batch(5)
    e, i = ms.Tensor(enhanced), ms.Tensor(low)
    pairs = [
        (zr.spatial_consistency_loss(e, i), answers.spatial_consistency_reference(enhanced, low)),
        (zr.exposure_loss(e), answers.exposure_reference(enhanced)),
        (zr.color_constancy_loss(e), answers.color_constancy_reference(enhanced)),
    ]
    for ours, ref in pairs:
        assert abs(float(ours.asnumpy()) - ref) <= 1e-5 * abs(ref) + 1e-8, (float(ours.asnumpy()), ref)


def test_exposure_reference_by_hand():
    # A uniform grey 0.5 image: every patch mean is 0.5, so L_exp = (0.5 - 0.6)^2 = 0.01.
    img = np.full((1, 3, 32, 32), 0.5, np.float32)
    assert abs(answers.exposure_reference(img) - 0.01) < 1e-7
    # Channel means (0.2, 0.4, 0.6): sqrt(0.2^4 + 0.4^4 + 0.2^4) = sqrt(0.0288).
    col = np.ones((1, 3, 4, 4), np.float32) * np.array([0.2, 0.4, 0.6], np.float32)[None, :, None, None]
    assert abs(answers.color_constancy_reference(col) - np.sqrt(0.0288)) < 1e-6


# --- checkers accept the reference and name planted mistakes ----------------------------------------


def test_le_curve_checker():
    assert check.check_le_curve(answers.le_curve_reference)
    v = check.check_le_curve(lambda x, a: x + a * (x**2 - x))  # the official r-convention, with alpha
    assert not v and "sign is flipped" in v.message
    v = check.check_le_curve(lambda x, a: a * x * (1 - x))
    assert not v and "only the change" in v.message
    v = check.check_le_curve(lambda x, a: None)
    assert not v and "return" in v.message


def test_iterated_curves_checker():
    assert check.check_iterated_curves(answers.iterated_curves_reference)

    def reuse_first(x, maps):
        for _ in range(8):
            x = x + maps[:, :3] * x * (1 - x)
        return x

    v = check.check_iterated_curves(reuse_first)
    assert not v and "reused the first map" in v.message

    def interleaved(x, maps):
        for i in range(8):
            x = x + maps[:, i::8] * x * (1 - x)
        return x

    v = check.check_iterated_curves(interleaved)
    assert not v and "grouped by iteration" in v.message


def test_exposure_checker():
    assert check.check_exposure_loss(answers.exposure_reference)

    def absolute(x, level, patch):
        n, _, h, w = x.shape
        y = x.mean(axis=1).reshape(n, h // patch, patch, w // patch, patch).mean(axis=(2, 4))
        return float(np.abs(y - level).mean())

    v = check.check_exposure_loss(absolute)
    assert not v and "penalises the distance to E differently" in v.message
    v = check.check_exposure_loss(lambda x, level, patch: float(((x.mean(axis=1) - level) ** 2).mean()))
    assert not v and "not single pixels" in v.message


def test_color_constancy_checker():
    assert check.check_color_constancy_loss(answers.color_constancy_reference)

    def paper(x):
        m = x.mean(axis=(2, 3))
        return float(((m[:, 0] - m[:, 1]) ** 2 + (m[:, 0] - m[:, 2]) ** 2 + (m[:, 2] - m[:, 1]) ** 2).mean())

    v = check.check_color_constancy_loss(paper)
    assert not v and "paper's sum of squared" in v.message
    v = check.check_color_constancy_loss(lambda x: answers.color_constancy_reference(x) * x.shape[0])
    assert not v and "instead of summing" in v.message


def test_spatial_consistency_checker():
    assert check.check_spatial_consistency_loss(answers.spatial_consistency_reference)

    def rolled(e, i):
        def pooled(a):
            n, _, h, w = a.shape
            return a.mean(axis=1).reshape(n, h // 4, 4, w // 4, 4).mean(axis=(2, 4))

        y_e, y_i = pooled(e), pooled(i)
        total = 0
        for axis in (1, 2):
            for shift in (1, -1):
                total = total + ((y_i - np.roll(y_i, shift, axis)) - (y_e - np.roll(y_e, shift, axis))) ** 2
        return float(total.mean())

    v = check.check_spatial_consistency_loss(rolled)
    assert not v and "zero padding" in v.message
    v = check.check_spatial_consistency_loss(lambda e, i: answers.spatial_consistency_reference(e, i, patch=1))
    assert not v and "4x4 patches" in v.message
