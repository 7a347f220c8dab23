"""The course weights on real photos without ground truth (../shared/reference_data, not shipped): NTIRE 2021
NH-HAZE test photos and DICM low-light photos. What a user sees, measured: no checkerboard or amplified noise
from a dehazer, no colour cast and enough brightness from the low-light networks (issue 26's must-show).
``benchmarks/real_photos.py`` prints the same numbers as tables."""

import numpy as np
import pytest

from conftest import REFERENCE_DATA
from course_lib import baselines, quality, weights
from course_lib.data import load_image
from course_lib.no_reference import blue_red_ratio, high_frequency_ratio, mean_brightness

HAZE = sorted((REFERENCE_DATA / "real_haze").glob("*.png"))
DARK = sorted((REFERENCE_DATA / "real_lowlight").glob("*.png"))
OFFICIAL = REFERENCE_DATA / "zerodce"

needs_haze = pytest.mark.skipif(len(HAZE) != 3, reason="shared/reference_data/real_haze is not beside the repository")
needs_dark = pytest.mark.skipif(len(DARK) != 4, reason="shared/reference_data/real_lowlight is not beside the repository")


def _crop(img, multiple):
    return img[: img.shape[0] // multiple * multiple, : img.shape[1] // multiple * multiple]


def _outputs(method, photos):
    restore = quality.restorer(method, weights.load(method))
    return [np.clip(restore(x), 0, 1) for x in photos]


# Measured with the shipped weights: the prior and the prior-head variants multiply the input's top-band energy
# by about 6 (their 1/t gain amplifies the photos' noise: the synthetic training haze is noise-free); the paper's
# tanh head leaves a stride-2 checkerboard at Nyquist (2.4x). Strict: the mark must go when the weights improve.
AMPLIFIES = pytest.mark.xfail(strict=True, reason="shipped weights amplify the top band (docs/results.md, real photos)")


@needs_haze
@pytest.mark.parametrize("method", [pytest.param(m, marks=AMPLIFIES) for m in ("aecrnet", "aecrnet_dcp", "ktdn_dcp", "srktdn_dcp")])
def test_no_dehazer_has_more_than_1_5x_the_inputs_top_band_energy_on_real_haze(method):
    hazy = [_crop(load_image(f), 4) for f in HAZE]
    ratios = [high_frequency_ratio(out, x) for out, x in zip(_outputs(method, hazy), hazy)]
    assert max(ratios) <= 1.5, ratios


@needs_haze
def test_the_dark_channel_prior_amplifies_the_top_band_of_real_haze():
    # the measure tells a dehazer that amplifies noise from one that does not: the prior's 1/t gain does
    x = _crop(load_image(HAZE[0]), 4)
    assert high_frequency_ratio(np.clip(baselines.dark_channel_prior(x), 0, 1), x) > 3


@needs_dark
@pytest.mark.parametrize("method", ["zero_dce", "zero_dce_pp"])
def test_low_light_keeps_the_inputs_colour_balance_and_is_as_bright_as_the_official_weights(method):
    from course_lib.models.zero_dce import load_official

    dark = [_crop(load_image(f), 12) for f in DARK]
    outs = _outputs(method, dark)
    ratio_in = np.mean([blue_red_ratio(x) for x in dark])
    ratio_out = np.mean([blue_red_ratio(o) for o in outs])
    assert abs(ratio_out / ratio_in - 1) <= 0.15, (ratio_out, ratio_in)
    pth = OFFICIAL / f"{method}_official" / "Epoch99.pth"
    if pth.is_file():
        official = load_official(pth, scale_factor=12 if method == "zero_dce_pp" else 1)
        restore = quality.restorer(method, official)
        theirs = np.mean([mean_brightness(np.clip(restore(x), 0, 1)) for x in dark])
        assert np.mean([mean_brightness(o) for o in outs]) >= theirs
