"""Notebook 09's checkers: a right answer passes, each classic mistake is named, and the references agree
with the library (course_lib.metrics.psnr_mu, course_lib.data.hdr.network_input, metrics.count_macs)."""

import math

import numpy as np

from course_lib import metrics
from course_lib.data import hdr
from course_lib.exercises import hdr as ex
from instructor.exercises import hdr as answers  # the references behind the stored outputs


def test_psnr_mu_checker():
    assert ex.check_psnr_mu(lambda out, ref: metrics.psnr_mu(np.clip(out, 0, 1), ref))

    def unclipped(out, ref):
        with np.errstate(invalid="ignore"):
            t_out, t_ref = np.log1p(5000 * out) / np.log1p(5000), np.log1p(5000 * ref) / np.log1p(5000)
        return float(10 * np.log10(1 / np.mean((t_out - t_ref) ** 2)))

    v = ex.check_psnr_mu(unclipped)
    assert not v and "clip the output to [0, 1]" in v.message
    v = ex.check_psnr_mu(lambda out, ref: metrics.psnr(np.clip(out, 0, 1), ref))
    assert not v and "linear values" in v.message
    v = ex.check_psnr_mu(
        lambda out, ref: (
            10 * math.log10(1 / np.mean((np.log1p(5000 * np.clip(out, 0, 1)) - np.log1p(5000 * ref)) ** 2))
        )
    )
    assert not v and "log(1 + mu)" in v.message


def test_hdr_inputs_checker_and_the_library_agree():
    stack = np.random.default_rng(0).random((2, 9, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(
        np.concatenate(hdr.network_input(stack), axis=1), answers.hdr_inputs_reference(stack), rtol=1e-5
    )
    assert ex.check_hdr_inputs(lambda f: np.concatenate(hdr.network_input(f), axis=1))

    def medium_twice(f):
        g = f.copy()
        g[:, :3] = f[:, 3:6]
        return np.concatenate(hdr.network_input(g), axis=1)

    v = ex.check_hdr_inputs(medium_twice)
    assert not v and "used twice" in v.message


def test_separable_macs_checker_matches_count_macs():
    from course_lib.layers.separable import SeparableConv2d

    c_in, c_out, k, h, w = 8, 16, 3, 12, 10
    measured = metrics.count_macs(SeparableConv2d(c_in, c_out, k), (1, c_in, h, w))
    reference = k * k * c_in * h * w + c_in * c_out * h * w
    assert measured == reference
    assert ex.check_separable_macs(lambda ci, co, kk, hh, ww: kk * kk * ci * hh * ww + ci * co * hh * ww)
    v = ex.check_separable_macs(lambda ci, co, kk, hh, ww: kk * kk * ci + ci * co)
    assert not v and "whole image" in v.message
