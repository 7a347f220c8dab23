"""MATLAB-compatible bicubic resizing: published Set5 baselines and PIL's bicubic."""

import numpy as np
import pytest
from PIL import Image

from conftest import REFERENCE_DATA
from course_lib.data import load_image, photo
from course_lib.data.degrade import bicubic_downscale, bicubic_upscale, imresize, modcrop
from course_lib.metrics import psnr

BUTTERFLY = REFERENCE_DATA / "set5" / "butterfly.png"
SET5 = sorted((REFERENCE_DATA / "set5" / "HR").glob("*.png"))


@pytest.mark.skipif(not BUTTERFLY.exists(), reason="shared/reference_data/set5 is not beside the repository")
@pytest.mark.parametrize("scale, published", [(2, 27.44), (3, 24.04), (4, 22.10)])
def test_set5_butterfly_bicubic_baseline_matches_published_psnr(scale, published):
    hr = modcrop(load_image(BUTTERFLY), scale)
    restored = bicubic_upscale(bicubic_downscale(hr, scale), scale)
    value = psnr(restored, hr, crop_border=scale, y_channel=True)
    assert abs(value - published) < 0.01, value


@pytest.mark.skipif(len(SET5) != 5, reason="shared/reference_data/set5/HR (all of Set5) is not beside the repository")
def test_set5_x2_bicubic_mean_matches_the_published_33_66_db():
    # Bicubic x2 on Set5, Y channel, 2 border pixels shaved: 33.66 dB (SRCNN, Dong et al. 2016, Table 3)
    values = []
    for path in SET5:
        hr = modcrop(load_image(path), 2)
        values.append(psnr(bicubic_upscale(bicubic_downscale(hr, 2), 2), hr, crop_border=2, y_channel=True))
    assert abs(np.mean(values) - 33.66) < 0.05, values


def test_downscale_matches_pil_bicubic_in_the_interior():
    img = modcrop(photo("coffee", 200), 4)
    ours = bicubic_downscale(img, 4)
    h, w = img.shape[:2]
    pil = Image.fromarray(np.round(img * 255).astype(np.uint8)).resize((w // 4, h // 4), Image.BICUBIC)
    pil = np.asarray(pil, np.float64) / 255
    diff = np.abs(ours - pil)[3:-3, 3:-3] * 255
    assert diff.max() <= 1.001  # PIL rounds intermediate rows; at most one grey level apart


def test_upscale_of_a_constant_is_constant_and_sizes_follow_the_scale():
    flat = np.full((5, 7, 3), 0.4, np.float32)
    up = bicubic_upscale(flat, 3, quantize=False)
    assert up.shape == (15, 21, 3) and np.allclose(up, 0.4, atol=1e-6)
    assert imresize(np.zeros((10, 9, 3)), 0.5).shape == (5, 5, 3)


def test_a_size_the_scale_does_not_divide_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"not divisible by scale 3.*modcrop"):
        bicubic_downscale(np.zeros((10, 9, 3), np.float32), 3)
