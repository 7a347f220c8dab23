"""Third hardening round (issue 29), HDR formats: the Radiance reader follows the format to the letter (checked
against OpenCV's independent writer and reader), refuses malformed files naming them, caps the declared size
before decoding, and NTIRE ground truths are checked (alignratio, bit depth, sizes) before they are scored.
"""

import time
import tracemalloc

import numpy as np
import pytest
from test_hdr_sets import _kalantari_scene, _ntire_frame

from course_lib.__main__ import main
from course_lib.data.hdr_io import load_hdr, save_hdr
from course_lib.data.hdr_sets import HDRSceneFolder, ntire_scene
from course_lib.data.images import ImageError

MAX_VALUE = 255.5 / 256 * 2.0**127  # Radiance's largest: mantissa byte 255 at exponent byte 255

cv2 = pytest.importorskip("cv2", reason="OpenCV (the independent .hdr writer) is in the dev extra")


def _scene(h=40, w=70, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 1, (h, w, 3)) ** 3 * rng.choice([1e-3, 1, 40], (h, w, 1))).astype(np.float32)


def _cv2_hdr(path, img):
    """OpenCV's Radiance writer (new-style RLE by default), RGB -> its BGR order."""
    assert cv2.imwrite(str(path), np.ascontiguousarray(img[..., ::-1]))
    return path


def _cv2_read(path):
    """OpenCV's decoding, moved to the Radiance reconstruction: OpenCV (Walter's rgbe.c) returns
    ``byte * 2^(E - 136)``, Radiance's color.c ``(byte + 0.5) * 2^(E - 136)``. The exponent follows from
    OpenCV's value of the largest channel, whose byte is in [128, 255]."""
    v = cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)[..., ::-1].astype(np.float64)
    top = v.max(axis=-1, keepdims=True)
    step = np.exp2(np.floor(np.log2(np.where(top > 0, top, 1))) - 7)  # 2^(E - 136)
    return np.where(top > 0, v + 0.5 * step, 0).astype(np.float32)


def test_rle_files_from_opencv_read_exactly_as_opencv_reads_them(tmp_path):
    img = _scene()
    path = _cv2_hdr(tmp_path / "cv.hdr", img)
    got = load_hdr(path)
    assert got.dtype == np.float32 and got.shape == img.shape
    np.testing.assert_array_equal(got, _cv2_read(path))
    assert np.all(np.abs(got - img) <= img.max(-1, keepdims=True) / 128)  # 8-bit mantissa shared by the pixel


def test_our_flat_files_read_by_opencv_give_the_values_written(tmp_path):
    img = _scene(seed=1)
    img[0, 0] = [1e-39, 0, 0]  # below 2^-128: black, not a wrapped exponent
    img[0, 1] = [MAX_VALUE * 0.999, 1, 0]
    img[0, 2] = 0
    save_hdr(tmp_path / "ours.hdr", img)
    theirs = _cv2_read(tmp_path / "ours.hdr")
    np.testing.assert_array_equal(load_hdr(tmp_path / "ours.hdr"), theirs)
    assert np.all(np.abs(theirs - img) <= img.max(-1, keepdims=True) / 128 + 2.0**-128)
    assert theirs[0, 0, 0] == 0 and theirs[0, 1, 0] > 1e38 and not theirs[0, 2].any()


@pytest.mark.parametrize("value", [2.0**128, 1e39, 2.0**127])
def test_save_hdr_refuses_values_rgbe_cannot_hold(tmp_path, value):
    img = np.ones((2, 2, 3))
    img[1, 1, 2] = value
    with pytest.raises(ImageError, match="exceed the largest Radiance RGBE value"):
        save_hdr(tmp_path / "big.hdr", img)
    assert not (tmp_path / "big.hdr").exists()


def _with_header_lines(path, lines: bytes, out):
    raw = path.read_bytes()
    first = raw.index(b"\n") + 1
    out.write_bytes(raw[:first] + lines + raw[first:])
    return out


def test_exposure_and_colorcorr_are_undone_as_the_radiance_format_says(tmp_path):
    img = _scene(seed=2)
    src = _cv2_hdr(tmp_path / "cv.hdr", img)
    plain = _cv2_read(src)
    one = _with_header_lines(src, b"EXPOSURE=2\n", tmp_path / "e.hdr")
    np.testing.assert_array_equal(load_hdr(one), plain / np.float32(2))
    two = _with_header_lines(src, b"EXPOSURE=4\nEXPOSURE=0.5\nCOLORCORR=1 2 0.5\n", tmp_path / "e2.hdr")
    np.testing.assert_allclose(load_hdr(two), plain / (2 * np.array([1, 2, 0.5], np.float32)), rtol=1e-7)


@pytest.mark.parametrize("fmt", [b"32-bit_rle_xyze", b"24-bit_rgb"])
def test_formats_other_than_rgbe_are_refused(tmp_path, fmt):
    raw = (
        _cv2_hdr(tmp_path / "cv.hdr", _scene())
        .read_bytes()
        .replace(b"FORMAT=32-bit_rle_rgbe", b"FORMAT=" + fmt)
    )
    (tmp_path / "x.hdr").write_bytes(raw)
    with pytest.raises(ImageError, match=rf"x.hdr: FORMAT={fmt.decode()}.*32-bit_rle_rgbe \(RGB\) only"):
        load_hdr(tmp_path / "x.hdr")


def test_crlf_headers_are_read(tmp_path):
    src = _cv2_hdr(tmp_path / "cv.hdr", _scene())
    raw = src.read_bytes()
    start = raw.index(b"\n\n") + 2
    pixels_at = raw.index(b"\n", start) + 1
    (tmp_path / "crlf.hdr").write_bytes(raw[:pixels_at].replace(b"\n", b"\r\n") + raw[pixels_at:])
    np.testing.assert_array_equal(load_hdr(tmp_path / "crlf.hdr"), _cv2_read(src))


def _rle_scanline(w, channels):
    """One new-style RLE scanline from per-channel lists of (kind, count, bytes)."""
    out = bytes([2, 2, w >> 8, w & 255])
    for ops in channels:
        for kind, count, data in ops:
            out += bytes([count + 128, data[0]]) if kind == "run" else bytes([count]) + bytes(data)
    return out


def _header(h, w, extra=b""):
    return b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n" + extra + b"\n" + f"-Y {h} +X {w}\n".encode()


GOOD_ROW = _rle_scanline(10, [[("run", 10, [100])]] * 3 + [[("run", 10, [129])]])


@pytest.mark.parametrize(
    "name, payload, message",
    [
        ("run_past_scanline", _header(2, 10) + _rle_scanline(10, [[("run", 12, [9])]] * 4) + GOOD_ROW,
         "RLE run of 12 past the end of scanline 0"),
        ("literal_past", _header(1, 10) + _rle_scanline(10, [[("lit", 6, [1] * 6), ("lit", 6, [1] * 6)]] * 4),
         "RLE literal of 6 bytes at pixel 6"),
        ("zero_literal", _header(1, 10) + bytes([2, 2, 0, 10]) + bytes(5000), "RLE literal of 0 bytes"),
        ("truncated_rle", _header(2, 10) + GOOD_ROW + GOOD_ROW[:9], "truncated"),
        ("truncated_flat", _header(3, 4) + bytes(40), "truncated"),
        ("no_blank_line", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n-Y 2 +X 2\n", "no blank line ends the header"),
        ("no_size", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n", "truncated after the header"),
        ("negative", _header(1, 1).replace(b"-Y 1", b"-Y -1") + bytes(4), "unsupported resolution line"),
        ("zero", _header(0, 4) + bytes(16), "declares a 4x0 image"),
        ("words", _header(1, 1).replace(b"+X 1", b"+X one") + bytes(4), "unsupported resolution line"),
        ("rotated", _header(1, 1).replace(b"-Y 1 +X 1", b"+X 1 -Y 1") + bytes(4), "expected -Y H \\+X W"),
        ("huge", _header(100000, 100000) + bytes(64), "above the limit of 40"),
        ("scanline_width", _header(1, 10) + bytes([2, 2, 0, 11]) + bytes(80), "scanline 0 declares width 11"),
        ("bad_exposure", _header(1, 1, b"EXPOSURE=0\n") + bytes(4), "EXPOSURE= needs 1 positive"),
        ("text_exposure", _header(1, 1, b"EXPOSURE=bright\n") + bytes(4), "is not a number"),
        ("not_radiance", b"P6\n1 1\n255\nabc", "does not start with #\\?RADIANCE"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_naming_the_file(tmp_path, name, payload, message):
    path = tmp_path / f"{name}.hdr"
    path.write_bytes(payload)
    with pytest.raises(ImageError, match=rf"{name}.hdr: .*{message}"):
        load_hdr(path)


def test_the_well_formed_rle_row_of_these_cases_reads_as_its_bytes_say(tmp_path):
    (tmp_path / "ok.hdr").write_bytes(_header(1, 10) + GOOD_ROW)
    np.testing.assert_array_equal(
        load_hdr(tmp_path / "ok.hdr"), np.full((1, 10, 3), 100.5 / 256 * 2.0, np.float32)
    )


def test_an_rle_bomb_is_refused_before_decoding_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    w, h = 32767, 600  # the review's file: 1.2 MB declaring 19.7 megapixels
    row = _rle_scanline(w, [[("run", 127, [7])] * (w // 127) + [("run", w % 127, [7])]] * 3
                        + [[("run", 127, [128])] * (w // 127) + [("run", w % 127, [128])]])  # fmt: skip
    (tmp_path / "bomb.hdr").write_bytes(_header(h, w) + row * h)
    monkeypatch.setenv("COURSE_MAX_PIXELS", "10000000")
    tracemalloc.start()
    t = time.perf_counter()
    with pytest.raises(ImageError, match="19.7 megapixels, above the limit of 10 .*COURSE_MAX_PIXELS"):
        load_hdr(tmp_path / "bomb.hdr")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 3 * len(row * h) and time.perf_counter() - t < 2  # only the file itself was read
    small = tmp_path / "small.hdr"
    small.write_bytes(_header(300, w) + row * 300)
    monkeypatch.setenv("COURSE_MAX_PIXELS", str(300 * w))
    tracemalloc.start()
    img = load_hdr(small)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert img.shape == (300, w, 3) and np.all(img == np.float32(7.5 / 256))
    assert peak <= 3 * img.nbytes, f"peak {peak / img.nbytes:.2f}x the float32 image"


def test_flat_file_peak_memory_is_within_3x_the_float32_image(tmp_path):
    img = _scene(600, 800, seed=3)
    save_hdr(tmp_path / "flat.hdr", img)
    tracemalloc.start()
    got = load_hdr(tmp_path / "flat.hdr")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= 3 * got.nbytes, f"peak {peak / got.nbytes:.2f}x the float32 image"


# --- NTIRE / Kalantari scene folders ------------------------------------------------------------------


@pytest.mark.parametrize(
    "align, message",
    [(-3000.0, "alignratio is -3000.0"), (np.nan, "alignratio is nan"), (0.0, "alignratio is 0.0"),
     (np.array([3000.0, 1.0]), "alignratio holds 2")],
)  # fmt: skip
def test_bad_alignratio_is_refused_on_the_cli(tmp_path, capsys, align, message):
    _ntire_frame(tmp_path / "set", "0001")
    np.save(tmp_path / "set" / "0001_alignratio.npy", np.asarray(align, np.float32))
    with pytest.raises(ImageError, match=message):
        ntire_scene(tmp_path / "set", "0001")
    rc = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert (
        rc == 2 and "0001_alignratio.npy" in err and message.split(" is ")[0] in err and err.count("\n") == 1
    )


def test_an_8_bit_ground_truth_is_refused(tmp_path):
    from PIL import Image

    _ntire_frame(tmp_path, "0002")
    Image.open(tmp_path / "0002_medium.png").save(tmp_path / "0002_gt.png")  # 8-bit
    with pytest.raises(ImageError, match="0002_gt.png: a 8-bit PNG where a 16-bit one is expected"):
        ntire_scene(tmp_path, "0002")


def test_tiny_frames_on_the_cli_are_one_clear_line(tmp_path, capsys):
    from PIL import Image

    _ntire_frame(tmp_path / "set", "0003")
    for name in ("short", "medium", "long"):
        p = tmp_path / "set" / f"0003_{name}.png"
        Image.open(p).crop((0, 0, 8, 8)).save(p)
    rc = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert rc == 2 and "frames of different sizes" in err
    gt = tmp_path / "set" / "0003_gt.png"
    import png

    rows = np.vstack([np.asarray(r, np.uint16) for r in png.Reader(filename=str(gt)).asDirect()[2]])
    with open(gt, "wb") as f:
        png.Writer(8, 8, bitdepth=16, greyscale=False).write(f, rows[:8, : 8 * 3])
    rc = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert rc == 2 and "frames of 8x8 pixels, smaller than 16x16" in err and err.count("\n") == 1


def test_kalantari_frames_of_different_sizes_and_a_missing_exposure_file(tmp_path):
    import tifffile

    _kalantari_scene(tmp_path / "s", (-2, 0, 2))
    tif = sorted((tmp_path / "s").glob("*.tif"))[1]
    tifffile.imwrite(tif, tifffile.imread(tif)[:10], photometric="rgb")
    with pytest.raises(ImageError, match=f"frames of different sizes .*{tif.name} \\(10, 96\\)"):
        HDRSceneFolder(tmp_path)[0]
    (tmp_path / "s" / "exposure.txt").unlink()
    with pytest.raises(ImageError, match="without exposure.txt"):
        HDRSceneFolder(tmp_path)


def test_a_truncated_ground_truth_on_the_cli_names_the_file(tmp_path, capsys):
    _kalantari_scene(tmp_path / "set" / "s", (-2, 0, 2))
    hdr = tmp_path / "set" / "s" / "HDRImg.hdr"
    hdr.write_bytes(hdr.read_bytes()[:500])
    rc = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    assert rc == 2 and "HDRImg.hdr: truncated" in err


def test_nan_exposures_and_a_missing_alignratio_are_named(tmp_path, capsys):
    _ntire_frame(tmp_path / "set", "0004")
    np.save(tmp_path / "set" / "0004_exposures.npy", np.array([np.nan, 0.0, 2.0]))
    rc = main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path / "set")])
    err = capsys.readouterr().err
    # named as broken, not "skipped as shot at other exposures"
    assert rc == 2 and "0004_exposures.npy: exposure values [nan, 0.0, 2.0] must be finite" in err
    _ntire_frame(tmp_path / "b", "0005")
    (tmp_path / "b" / "0005_alignratio.npy").unlink()
    with pytest.raises(ImageError, match="0005_alignratio.npy is missing"):
        ntire_scene(tmp_path / "b", "0005")


def test_a_small_image_in_a_huge_file_reads_only_what_its_pixels_can_take(tmp_path):
    save_hdr(tmp_path / "x.hdr", np.full((2, 3, 3), 0.5, np.float32))
    with open(tmp_path / "x.hdr", "ab") as f:
        f.write(bytes(50 * 2**20))  # 50 MB of trailing junk
    tracemalloc.start()
    img = load_hdr(tmp_path / "x.hdr")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.all(img == np.float32(128.5 / 256)) and peak < 2**21  # the 1 MB header window, not the 50 MB
