"""One planted wrong answer per notebook exercise: each checker's verdict must name the mistake.

Every exercise of notebooks 00-09 (29 of them) appears once here, with a typical wrong answer written the
way a student would write it, and a phrase of the explanation its checker must give: not a relative error,
the mistake itself. (``tests/test_exercises*.py`` check the checkers' references against the library.)
"""

import numpy as np
import pytest

from course_lib.exercises import (
    dehazing,
    foundations,
    hdr,
    knowledge_transfer,
    low_light,
    super_resolution,
    training,
)
from instructor.exercises import knowledge_transfer as kt_answers
from instructor.exercises import low_light as ll_answers


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _pool(y, k):
    n, h, w = y.shape
    return y[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k).mean(axis=(2, 4))


def _conv3(x, w, b):
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    h, wd = x.shape[1:]
    return sum(np.einsum("oc,chw->ohw", w[:, :, i, j], xp[:, i : i + h, j : j + wd])
               for i in range(3) for j in range(3)) + b[:, None, None]  # fmt: skip


def _shuffle_crd(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)


# (test id, checker, wrong answer, phrase the verdict must contain)
CASES = [
    # 00 images, degradations, metrics
    ("00 haze: t and 1 - t swapped", foundations.check_haze,
     lambda j, d, beta, a: j * (1 - np.exp(-beta * d)[..., None]) + a * np.exp(-beta * d)[..., None], "swapped"),
    ("00 psnr: 20 log10 of the MSE", foundations.check_psnr,
     lambda x, r: 20 * np.log10(1 / np.mean((x - r) ** 2)), "twice the right ones"),
    ("00 Y: the plain channel mean", foundations.check_y_channel, lambda rgb: rgb.mean(axis=-1), "plain mean"),
    # 01 training loop
    ("01 cosine: divides by T - 1", training.check_cosine_schedule,
     lambda lr, s: [lr * 0.5 * (1 + np.cos(np.pi * t / (s - 1))) for t in range(s)], "not T - 1"),
    ("01 clip: each array by its own norm", training.check_clip_by_global_norm,
     lambda g, c: [x * min(1.0, c / np.linalg.norm(x)) for x in g], "one norm for ALL"),
    # 02 feature attention
    ("02 CA: no pooling over H, W", dehazing.check_channel_attention,
     lambda x, w1, b1, w2, b2: x * _sig(np.einsum("oc,nchw->nohw", w2, np.maximum(
         np.einsum("oc,nchw->nohw", w1, x) + b1[:, None, None], 0)) + b2[:, None, None]), "the same at every pixel"),
    ("02 PA: sigmoid of the channel mean", dehazing.check_pixel_attention,
     lambda x, w1, b1, w2, b2: x * _sig(x.mean(axis=1, keepdims=True)), "not the mean over channels"),
    # 03 deformable convolution
    ("03 bilinear: nearest neighbour", dehazing.check_bilinear_sample,
     lambda img, r, c: np.where((np.round(r) >= 0) & (np.round(r) < img.shape[0]) & (np.round(c) >= 0)
                                & (np.round(c) < img.shape[1]),
                                img[np.clip(np.round(r).astype(int), 0, img.shape[0] - 1),
                                    np.clip(np.round(c).astype(int), 0, img.shape[1] - 1)], 0.0), "nearest"),
    ("03 offsets: first and last nine", dehazing.check_offsets_to_mindspore,
     lambda off, m: np.concatenate([off[:, :9], off[:, 9:], m], axis=1), "interleaves"),
    # 04 AECR-Net
    ("04 mixup: raw weight", dehazing.check_adaptive_mixup, lambda a, b, w: w * a + (1 - w) * b, "sigmoid(w)"),
    ("04 contrastive: ratio upside down", dehazing.check_contrastive,
     lambda a, p, n, w: sum(wi * np.mean(np.abs(ai - ni)) / (np.mean(np.abs(ai - pi)) + 1e-7)
                            for ai, pi, ni, wi in zip(a, p, n, w)), "upside down"),
    ("04 DCP: no floor on t", dehazing.check_dcp_recover,
     lambda hz, t, a, t0=0.1: np.clip((hz - a) / t[..., None] + a, 0, 1), "max(t, t0)"),
    # 05 PixelShuffle
    ("05 unshuffle: DCR order", super_resolution.check_pixel_unshuffle,
     lambda x, r: x.reshape(x.shape[0], x.shape[1], x.shape[2] // r, r, x.shape[3] // r, r)
     .transpose(0, 3, 5, 1, 2, 4).reshape(x.shape[0], -1, x.shape[2] // r, x.shape[3] // r), "DCR"),
    ("05 depth_to_space: CRD order", super_resolution.check_depth_to_space, _shuffle_crd, "CRD"),
    ("05 overlap: stride ignored", super_resolution.check_overlap_counts,
     lambda n, k, s: np.array([sum(i <= p < i + k for i in range(n)) for p in range((n - 1) * s + k)]),
     "i * stride"),
    # 06 CSD
    ("06 slim upsampler: c' outputs", super_resolution.check_slim_upsampler, lambda w, c, r: w[:c, :c], "needs more than c' outputs"),
    ("06 EDSR params: no biases", super_resolution.check_edsr_params,
     lambda b, f, s, wm: sum(o * i * 9 for o, i in [(int(f * wm), 3)] + [(int(f * wm), int(f * wm))] * (2 * b + 1)
                             + [(r * r * int(f * wm), int(f * wm)) for r in ([3] if s == 3 else [2] * (s.bit_length() - 1))]
                             + [(3, int(f * wm))]), "bias"),
    ("06 contrastive: mean over negatives", super_resolution.check_contrastive,
     lambda a, p, n, w: sum(wi * np.mean(np.abs(ai - pi)) / (np.mean([np.mean(np.abs(ai - nk)) for nk in ni]) + 1e-7)
                            for ai, pi, ni, wi in zip(a, p, n, w)), "do not average"),
    # 07 Zero-DCE
    ("07 LE-curve: the official code's sign", low_light.check_le_curve,
     lambda x, alpha: x + alpha * (x**2 - x), "sign is flipped"),
    ("07 iterate: one map for all iterations", low_light.check_iterated_curves,
     lambda x, maps: [x := x + maps[:, :3] * x * (1 - x) for _ in range(8)][-1], "3i"),
    ("07 exposure: |Y - E| as in the paper", low_light.check_exposure_loss,
     lambda e, level, k: float(np.abs(_pool(e.mean(axis=1), k) - level).mean()), "penalises the distance to E differently"),
    ("07 colour: the paper's squares", low_light.check_color_constancy_loss,
     lambda e: float(sum((e.mean(axis=(2, 3))[:, i] - e.mean(axis=(2, 3))[:, j]) ** 2
                         for i, j in ((0, 1), (0, 2), (2, 1))).mean()), "sum of squared differences"),
    ("07 spatial: single pixels", low_light.check_spatial_consistency_loss,
     lambda e, lo: ll_answers.spatial_consistency_reference(e, lo, patch=1), "4x4 patches"),
    # 08 KTDN / SRKTDN
    ("08 pyramid: finest first", knowledge_transfer.check_pyramid_pool,
     lambda d: kt_answers.pyramid_pool_reference(d, (4, 8, 16, 32)), "wrong order"),
    ("08 RCAB: no residual", knowledge_transfer.check_rcab,
     lambda *a: kt_answers.rcab_reference(*a, residual=False), "residual"),
    ("08 transfer: teacher on the hazy image", knowledge_transfer.check_transfer_loss,
     lambda out, gt, fs, ftc, fth, w: np.mean(np.abs(out - gt)) + w * np.mean(np.abs(fs - fth)), "wrong feature"),
    # 09 efficient HDR
    ("09 PSNR-mu: unclipped output", hdr.check_psnr_mu,
     lambda o, r: float(10 * np.log10(1 / np.mean((np.log1p(5000 * o) / np.log1p(5000)
                                                   - np.log1p(5000 * r) / np.log1p(5000)) ** 2))), "clip"),
    ("09 inputs: a frame used twice", hdr.check_hdr_inputs,
     lambda f: np.concatenate(sum(([g, g**2.2 / 2.0**ev] for g, ev in
                                   ((f[:, 3:6], -2), (f[:, 3:6], 0), (f[:, 6:9], 2))), []), axis=1), "used twice"),
    ("09 MACs: one pixel", hdr.check_separable_macs,
     lambda ci, co, k, h, w: k * k * ci + ci * co, "h x w pixels"),
]  # fmt: skip


@pytest.mark.parametrize("checker, wrong, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_mistake_is_named(checker, wrong, phrase):
    with np.errstate(all="ignore"):
        verdict = checker(wrong)
    assert not verdict.passed
    assert phrase in verdict.message, verdict.message
    assert "relative error" not in verdict.message, verdict.message


def test_every_exercise_has_a_planted_mistake():
    import nbformat

    from course_lib.editions import has_solution, source_notebooks

    exercises = sum(
        c.cell_type == "code" and has_solution(c.source)
        for p in source_notebooks()
        for c in nbformat.read(p, as_version=4).cells
    )  # the markdown solution cells are written answers, graded by hand
    assert len(CASES) >= exercises >= 29
