"""Checkers for notebook 09 (efficient multi-exposure HDR).

References are NumPy from the formulas (mu-law of Kalantari & Ramamoorthi 2017; the HDR-domain input of
AHDRNet, Yan et al. CVPR 2019, Sec. 3.1; a convolution's multiply-accumulates), independent of the
MindSpore code in :mod:`course_lib.models.hdr`. Students' functions take NumPy arrays and numbers.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.exercises import Verdict, check_function

MU = 5000.0


# ------------------------------------------------------------------------------------- references
def mu_law_reference(hdr, mu=MU):
    """T(H) = log(1 + mu H) / log(1 + mu) on linear H in [0, 1]."""
    return np.log1p(mu * np.asarray(hdr, np.float64)) / math.log1p(mu)


def psnr_mu_reference(out, ref, mu=MU):
    """PSNR (peak 1) between the mu-law tone maps of ``out`` clipped to [0, 1] and ``ref``."""
    mse = np.mean((mu_law_reference(np.clip(out, 0, 1), mu) - mu_law_reference(ref, mu)) ** 2)
    return float(10 * np.log10(1.0 / mse))


def hdr_inputs_reference(frames, evs=(-2.0, 0.0, 2.0), gamma=2.2):
    """frames (N, 9, H, W) = short | medium | long -> (N, 18, H, W): each frame then LDR^gamma / 2^EV."""
    out = []
    for k, ev in enumerate(evs):
        f = np.asarray(frames[:, 3 * k : 3 * k + 3], np.float64)
        out += [f, f**gamma / 2.0**ev]
    return np.concatenate(out, axis=1)


def conv_macs_reference(c_in, c_out, k, h, w, groups=1):
    """Multiply-accumulates of a k x k conv ('same' size, stride 1) on an (h, w) map: k^2 c_in/g c_out h w."""
    return k * k * (c_in // groups) * c_out * h * w


# ------------------------------------------------------------------------------------- checkers
def check_psnr_mu(student_fn) -> Verdict:
    """``student_fn(out, ref) -> float``: PSNR-mu of the network output ``out`` against the HDR ``ref``,
    both linear ``(H, W, 3)``; ``out`` may leave [0, 1] (a raw network output) and must be clipped first."""
    rng = np.random.default_rng(90)
    ref = rng.random((8, 9, 3)) ** 3
    fixed = [(np.clip(ref + rng.normal(0, 0.05, ref.shape), -0.2, 1.3), ref)]

    def case(r):
        gt = r.random((5, 6, 3)) ** 2
        return gt + r.normal(0, 0.1, gt.shape), gt

    def unclipped(out, gt):
        with np.errstate(invalid="ignore"):
            t = np.log1p(MU * out) / math.log1p(MU)
        return float(10 * np.log10(1 / np.nanmean((t - mu_law_reference(gt)) ** 2)))

    def linear(out, gt):
        return float(10 * np.log10(1 / np.mean((np.clip(out, 0, 1) - gt) ** 2)))

    def natural_log_base(out, gt):
        mse = np.mean((np.log1p(MU * np.clip(out, 0, 1)) - np.log1p(MU * gt)) ** 2)
        return float(10 * np.log10(1 / mse))

    mistakes = {
        "clip the output to [0, 1] before the mu-law: log(1 + mu H) of a negative H below -1/mu is NaN, and "
        "values above 1 leave the tone map's range": unclipped,
        "you compared linear values: PSNR-mu compares the mu-law tone maps, where highlights are compressed": linear,
        "divide the logarithm by log(1 + mu), so that the tone map stays in [0, 1]": natural_log_base,
    }
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            first = student_fn(*[np.copy(a) for a in fixed[0]])
    except NotImplementedError:  # check_function says "not written yet"
        first = None
    if first is not None and np.ndim(first) == 0 and not np.isfinite(first):
        verdict = Verdict(False, f"PSNR-mu, case 1: the result is {first}: {next(iter(mistakes))}")
        print(verdict)
        return verdict
    return check_function(student_fn, psnr_mu_reference, fixed, name="PSNR-mu", random_case=case, rtol=1e-6,
                          known_mistakes=mistakes)  # fmt: skip


def check_hdr_inputs(student_fn) -> Verdict:
    """``student_fn(frames (N, 9, H, W)) -> (N, 18, H, W)``: each LDR frame followed by ``LDR^2.2 / t_k``,
    exposure times 1/4, 1, 4 (EV -2, 0, +2)."""
    rng = np.random.default_rng(91)
    fixed = [(rng.random((2, 9, 4, 5)).astype(np.float32),)]

    def medium_twice(frames):
        wrong = frames.copy()
        wrong[:, 0:3] = frames[:, 3:6]
        return hdr_inputs_reference(wrong)

    def times_instead_of_divide(frames):
        return hdr_inputs_reference(frames, evs=(2.0, 0.0, -2.0))

    def no_gamma(frames):
        return hdr_inputs_reference(frames, gamma=1.0)

    mistakes = {
        "a frame is used twice: the first 3 channels are the short exposure, 3-5 the medium, 6-8 the long; "
        "your short-exposure input is the medium frame": medium_twice,
        "divide by the exposure time t = 2^EV (the short frame's radiance is its value times 4), do not "
        "multiply": times_instead_of_divide,
        "linearise before dividing: the HDR-domain input is LDR^2.2 / t, not LDR / t": no_gamma,
    }
    return check_function(student_fn, hdr_inputs_reference, fixed, name="HDR-domain inputs",
                          random_case=lambda r: (r.random((1, 9, 3, 3)).astype(np.float32),), rtol=1e-5,
                          known_mistakes=mistakes)  # fmt: skip


def check_separable_macs(student_fn) -> Verdict:
    """``student_fn(c_in, c_out, k, h, w) -> int``: MACs of a depthwise-separable conv (a k x k depthwise
    conv, one filter per input channel, then a 1 x 1 conv c_in -> c_out) on one (h, w) image."""

    def reference(c_in, c_out, k, h, w):
        return conv_macs_reference(c_in, c_in, k, h, w, groups=c_in) + conv_macs_reference(
            c_in, c_out, 1, h, w
        )

    fixed = [(64, 64, 3, 1060, 1900), (6, 32, 3, 16, 16), (48, 96, 5, 7, 9)]
    mistakes = {
        "count MACs for the whole image, h x w pixels, not for one pixel": lambda ci, co, k, h, w: reference(
            ci, co, k, 1, 1
        ),
        "that is a full k x k convolution: the depthwise part has one k x k filter per input channel "
        "(k^2 c_in MACs per pixel), then the 1 x 1 conv mixes channels (c_in c_out)": lambda ci, co, k, h, w: (
            conv_macs_reference(ci, co, k, h, w)
        ),
        "you counted only the depthwise part; add the 1 x 1 pointwise conv": lambda ci, co, k, h, w: (
            conv_macs_reference(ci, ci, k, h, w, groups=ci)
        ),
    }
    return check_function(
        lambda *a: np.float64(student_fn(*a)), lambda *a: np.float64(reference(*a)), fixed,
        name="depthwise-separable MACs", rtol=0, atol=0.5, known_mistakes=mistakes,
    )  # fmt: skip
