"""Synthetic HDR brackets (course_lib.data.hdr), the held-out HDR set and exposure fusion, checked against the
formulas written out in NumPy here (sRGB curve from IEC 61966-2-1, Mertens et al. 2007 Eq. 2)."""

import numpy as np
import pytest

from course_lib import baselines
from course_lib.data import hdr, heldout


def srgb_encode(lin):  # IEC 61966-2-1
    lin = np.asarray(lin, np.float64)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.power(np.maximum(lin, 0), 1 / 2.4) - 0.055)


def srgb_decode(v):
    v = np.asarray(v, np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def test_photo_to_hdr_linearises_expands_highlights_and_normalises():
    photo = np.linspace(0, 1, 30, dtype=np.float32).reshape(1, 10, 3)
    lin = srgb_decode(photo)
    expected = lin * (1 + 3 * np.clip((lin - 0.8) / 0.2, 0, 1) ** 2) / 4
    np.testing.assert_allclose(hdr.photo_to_hdr(photo), expected, atol=1e-6)
    assert hdr.photo_to_hdr(np.ones((2, 2, 3), np.float32)).max() == pytest.approx(1.0)


def test_noise_free_bracket_is_the_camera_model():
    rng = np.random.default_rng(0)
    target = rng.random((6, 5, 3)).astype(np.float32)
    frames = hdr.bracket(target)
    assert frames.shape == (6, 5, 9) and frames.dtype == np.float32
    for k, ev in enumerate((-2, 0, 2)):
        expected = np.round(srgb_encode(np.clip(4 * target * 2.0**ev, 0, 1)) * 255) / 255
        np.testing.assert_allclose(frames[..., 3 * k : 3 * k + 3], expected, atol=1e-6)


def test_noisy_bracket_is_seeded_and_shift_moves_only_short_and_long():
    target = np.random.default_rng(1).random((20, 20, 3)).astype(np.float32) * 0.3
    a = hdr.bracket(target, np.random.default_rng(5), max_shift=2)
    b = hdr.bracket(target, np.random.default_rng(5), max_shift=2)
    np.testing.assert_array_equal(a, b)
    still = hdr.bracket(target, np.random.default_rng(5), max_shift=0)
    assert np.abs(still - hdr.bracket(target)).max() > 0  # noise
    img = np.arange(5 * 6 * 3, dtype=np.float32).reshape(5, 6, 3)
    moved = hdr.shift(img, 1, -2)  # down 1, left 2
    np.testing.assert_array_equal(moved[1:, :4], img[:-1, 2:])
    np.testing.assert_array_equal(moved[0], moved[1])  # edge repeated


def test_network_input_is_ldr_and_its_hdr_domain_version():
    stack = np.random.default_rng(2).random((2, 9, 4, 4)).astype(np.float32)
    x1, x2, x3 = hdr.network_input(stack)
    for x, k, t in ((x1, 0, 0.25), (x2, 1, 1.0), (x3, 2, 4.0)):
        frame = stack[:, 3 * k : 3 * k + 3]
        np.testing.assert_allclose(x[:, :3], frame)
        np.testing.assert_allclose(x[:, 3:], frame.astype(np.float64) ** 2.2 / t, rtol=1e-6)


def test_synthetic_brackets_batches():
    photos = [np.random.default_rng(3).random((40, 48, 3)).astype(np.float32)]
    data = hdr.SyntheticBrackets(photos, patch=16, count=4)
    frames, target = data.sample_batch(np.random.default_rng(0), 3)
    assert frames.shape == (3, 9, 16, 16) and target.shape == (3, 3, 16, 16)
    assert 0 <= frames.min() and frames.max() <= 1 and 0 <= target.min() and target.max() <= 1


def test_heldout_hdr_set():
    sets = heldout.hdr_brackets(max_side=96)
    assert len(sets) == 4
    for _, frames, target in sets:
        assert frames.shape[:2] == target.shape[:2] and frames.shape[-1] == 9
        assert frames.shape[0] % 16 == 0 and frames.shape[1] % 16 == 0
    np.testing.assert_array_equal(sets[0][1], heldout.hdr_brackets(max_side=96)[0][1])  # fixed seeds


def test_exposure_fusion_of_equal_frames_is_the_frame():
    frame = np.random.default_rng(4).random((32, 40, 3)).astype(np.float32)
    np.testing.assert_allclose(baselines.exposure_fusion([frame, frame, frame]), frame, atol=1e-6)


def test_single_level_exposure_fusion_is_the_weighted_average_of_eq_2():
    rng = np.random.default_rng(6)
    frames = [np.clip(rng.random((12, 14, 3)) * s, 0, 1).astype(np.float32) for s in (0.4, 1.0, 2.0)]
    weights = []
    for f in frames:
        f = f.astype(np.float64)
        grey = np.pad(f.mean(-1), 1, mode="symmetric")
        lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
        well = np.prod(np.exp(-((f - 0.5) ** 2) / (2 * 0.2**2)), axis=-1)
        weights.append(np.abs(lap) * f.std(-1) * well + 1e-12)
    weights = np.array(weights) / np.sum(weights, axis=0)
    expected = np.clip(sum(w[..., None] * f for w, f in zip(weights, frames)), 0, 1)
    np.testing.assert_allclose(baselines.exposure_fusion(frames, levels=1), expected, atol=1e-6)


def test_exposure_fusion_recovers_what_one_exposure_clips():
    target = hdr.photo_to_hdr(heldout._photos(96, 16)[0][1])
    s, m, l = hdr.frames_of(hdr.bracket(target))
    fused = baselines.exposure_fusion([s, m, l])
    clipped = m.max(-1) >= 1.0
    assert clipped.any()
    assert fused[clipped].mean() < m[clipped].mean()  # the short frame brings the highlights back down


def test_radiance_hdr_round_trip_and_the_rgbe_formula(tmp_path):
    from course_lib.data import hdr_io

    img = np.random.default_rng(7).random((5, 9, 3)).astype(np.float32) * np.array([1, 20, 0.01], np.float32)
    img[0, 0] = 0
    hdr_io.save_hdr(tmp_path / "x.hdr", img)
    raw = (tmp_path / "x.hdr").read_bytes()
    assert raw.startswith(b"#?RADIANCE\n") and b"\n\n-Y 5 +X 9\n" in raw
    back = hdr_io.load_hdr(tmp_path / "x.hdr")
    top = img.max(-1, keepdims=True)
    assert np.all(np.abs(back - img) <= top * 2.0**-7 + 1e-30)  # one mantissa step of the largest channel
    rgbe = np.frombuffer(raw[-4:], np.uint8)  # last pixel, decoded by Ward's formula
    expected = (rgbe[:3] + 0.5) / 256 * 2.0 ** (int(rgbe[3]) - 128)
    np.testing.assert_allclose(back[-1, -1], expected, rtol=1e-6)


def test_radiance_rle_scanlines_are_read(tmp_path):
    from course_lib.data import hdr_io

    w = 8
    header = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 8\n"
    planes = [bytes([128 + w, 100]), bytes([w]) + bytes(range(10, 10 + w)), bytes([128 + w, 0]), bytes([128 + w, 129])]
    (tmp_path / "rle.hdr").write_bytes(header + bytes([2, 2, 0, w]) + b"".join(planes))
    out = hdr_io.load_hdr(tmp_path / "rle.hdr")
    assert out.shape == (1, 8, 3)
    np.testing.assert_allclose(out[0, :, 0], (100 + 0.5) / 256 * 2.0)
    np.testing.assert_allclose(out[0, :, 1], (np.arange(10, 18) + 0.5) / 256 * 2.0)
