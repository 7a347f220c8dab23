"""Third hardening round (issue 29), image readers and value checks: a pixel limit checked before decoding,
peak memory within 3x the float32 image, 16-bit PNGs at full precision, 32-bit TIFF ranges, NaN refused by
save_image and the metrics, integer/float PSNR, scale 0, and a.png + a.jpg in one folder.

References: files written byte by byte (PNG chunks with zlib) or by pypng / tifffile; values from NumPy.
"""

import json
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import png
import pytest
import tifffile
from PIL import Image

from course_lib import metrics
from course_lib.data import degrade
from course_lib.data.datasets import PairedFolder
from course_lib.data.images import ImageError, load_image, save_image


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_png(path, w, h):
    """A valid 8-bit grayscale PNG of w x h black pixels, compressed as a stream (a few hundred KB)."""
    z, row, parts = zlib.compressobj(9), b"\0" * (w + 1), []
    for _ in range(h):
        parts.append(z.compress(row))
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    )
    return path


def test_a_small_png_declaring_80_megapixels_is_refused_before_decoding(tmp_path, monkeypatch):
    bomb = black_png(tmp_path / "bomb.png", 10000, 8000)
    assert bomb.stat().st_size < 300_000
    with pytest.raises(ImageError, match=r"bomb.png: the header declares 10000x8000 = 80.0 megapixels, above the "
                                         r"limit of 40 .*COURSE_MAX_PIXELS"):  # fmt: skip
        load_image(bomb)
    small = black_png(tmp_path / "small.png", 300, 200)
    monkeypatch.setenv("COURSE_MAX_PIXELS", "50000")
    with pytest.raises(ImageError, match="above the limit of 0.05"):
        load_image(small)
    monkeypatch.setenv("COURSE_MAX_PIXELS", "60000")
    assert load_image(small).shape == (200, 300, 3)
    monkeypatch.setenv("COURSE_MAX_PIXELS", "lots")
    with pytest.raises(ImageError, match="COURSE_MAX_PIXELS='lots' is not a positive whole number"):
        load_image(small)


PEAK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from course_lib.data.images import load_image

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    open("/proc/self/clear_refs", "w").write("5")  # resets the peak (VmHWM) to the current RSS
    before = rss("VmRSS:")
    img = load_image(sys.argv[1])
    print(json.dumps({"peak": rss("VmHWM:") - before, "nbytes": img.nbytes}))
    """
)


@pytest.mark.parametrize("kind", ["png8", "png16", "jpeg"])
def test_peak_memory_of_load_image_is_within_3x_the_float32_image(tmp_path, kind):
    h, w = (1200, 1600) if kind == "png16" else (3000, 4000)
    y, x = np.mgrid[0:h, 0:w]
    if kind == "png16":
        a = np.stack([x * 40, y * 50, (x + y) * 20], -1).astype(np.uint16)
        path = tmp_path / "img.png"
        with open(path, "wb") as f:
            png.Writer(w, h, bitdepth=16, greyscale=False).write(f, a.reshape(h, -1))
    else:
        a = np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)
        path = tmp_path / ("img.png" if kind == "png8" else "img.jpg")
        Image.fromarray(a).save(path)
    run = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["nbytes"] == h * w * 12
    assert got["peak"] <= 3 * got["nbytes"], f"peak {got['peak'] / got['nbytes']:.2f}x the float32 image"


def test_16_bit_rgb_png_loads_at_full_precision(tmp_path):
    a = np.random.default_rng(0).integers(0, 65536, (20, 30, 3), dtype=np.uint16)
    with open(tmp_path / "a.png", "wb") as f:
        png.Writer(30, 20, bitdepth=16, greyscale=False).write(f, a.reshape(20, -1))
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), (a / 65535.0).astype(np.float32))
    rgba = np.concatenate([a, np.full((20, 30, 1), 7, np.uint16)], -1)
    with open(tmp_path / "rgba.png", "wb") as f:
        png.Writer(30, 20, bitdepth=16, greyscale=False, alpha=True).write(f, rgba.reshape(20, -1))
    np.testing.assert_array_equal(load_image(tmp_path / "rgba.png"), (a / 65535.0).astype(np.float32))


@pytest.mark.parametrize("values", [[0, 200000], [-5, 100], [0, 70000]])
def test_32_bit_integer_tiffs_outside_16_bits_are_refused(tmp_path, values):
    a = np.array([values * 4], np.int32).reshape(2, 4)
    tifffile.imwrite(tmp_path / "i32.tif", a)
    assert Image.open(tmp_path / "i32.tif").mode == "I"
    with pytest.raises(
        ImageError, match="i32.tif: a 32-bit integer image with values .* outside the 8- and 16-bit"
    ):
        load_image(tmp_path / "i32.tif")


def test_32_bit_integer_tiffs_within_16_bits_stay_in_0_1(tmp_path):
    a = np.array([[0, 1000, 65535, 300]], np.int32)
    tifffile.imwrite(tmp_path / "ok.tif", a)
    np.testing.assert_array_equal(load_image(tmp_path / "ok.tif")[..., 0], (a / 65535.0).astype(np.float32))


def test_save_image_refuses_nan_and_writes_nothing(tmp_path):
    img = np.full((4, 4, 3), 0.5)
    img[1, 2, 0] = np.nan
    with pytest.raises(ImageError, match="not written: the image holds NaN at 1 pixel"):
        save_image(tmp_path / "o.png", img)
    assert not (tmp_path / "o.png").exists()


def test_psnr_of_uint8_and_float_is_refused_and_uint8_uses_255():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-3, 4, a.shape), 0, 255).astype(np.uint8)
    with pytest.raises(ValueError, match="x is uint8 and ref is float64.*convert both to one scale"):
        metrics.psnr(a, a / 255.0)
    mse = np.mean((a.astype(float) - b) ** 2)
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255**2 / mse), abs=1e-9)
    assert metrics.psnr(a / 255.0, b / 255.0) == pytest.approx(10 * np.log10(255**2 / mse), abs=1e-9)
    assert (
        metrics.psnr(a, a / 255.0 * 255, data_range=255) == np.inf
    )  # mixing is fine when the range is given
    with pytest.raises(ValueError, match="data_range must be a positive finite number"):
        metrics.psnr(a / 255.0, b / 255.0, data_range=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_metrics_refuse_nan_and_inf_inputs(bad):
    a = np.full((16, 16, 3), 0.5)
    b = a.copy()
    b[3, 3, 1] = bad
    for fn in (metrics.psnr, metrics.ssim):
        with pytest.raises(ValueError, match="ref holds NaN or infinity at 1 value"):
            fn(a, b)
    with pytest.raises(ValueError, match="NaN or infinity"):
        metrics.psnr_mu(b, a)


@pytest.mark.parametrize(
    "fn",
    [
        lambda img: degrade.bicubic_upscale(img, 0),
        lambda img: degrade.imresize(img, 0),
        lambda img: degrade.modcrop(img, 0),
        lambda img: degrade.imresize(img, float("nan")),
    ],
)
def test_scale_zero_is_a_value_error(fn):
    with pytest.raises(ValueError, match="scale must be a positive"):
        fn(np.zeros((8, 8, 3), np.float32))


def test_paired_folder_refuses_two_files_of_one_stem(tmp_path):
    for d in ("lq", "gt"):
        (tmp_path / d).mkdir()
        save_image(tmp_path / d / "a.png", np.zeros((8, 8, 3)))
    save_image(tmp_path / "lq" / "a.jpg", np.ones((8, 8, 3)))
    with pytest.raises(ValueError, match=r"lq holds both a.jpg and a.png; one name, one image"):
        PairedFolder(tmp_path / "lq", tmp_path / "gt")


def test_16_bit_rgb_tiff_loads_at_full_precision(tmp_path):
    a = np.random.default_rng(1).integers(0, 65536, (6, 7, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "t16.tif", a, photometric="rgb")
    np.testing.assert_array_equal(load_image(tmp_path / "t16.tif"), (a / 65535.0).astype(np.float32))


def test_psnr_of_integer_types_without_an_image_range_needs_data_range():
    with pytest.raises(ValueError, match="x is int64: no image range is implied"):
        metrics.psnr([[0, 1], [2, 3]], [[0, 1], [2, 4]])
    assert metrics.psnr([[0, 1], [2, 3]], [[0, 1], [2, 4]], data_range=255) == pytest.approx(
        10 * np.log10(255**2 / 0.25)
    )
