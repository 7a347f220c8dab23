"""load_image on every accepted kind of file, and a named error for every bad one."""

import numpy as np
import pytest
from PIL import Image

from course_lib.data import ImageError, load_image, photo, photo_names, save_image
from course_lib.data.images import HELDOUT, LICENCES, TRAIN


def test_8_and_16_bit_grayscale_rgba_and_palette(tmp_path):
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3) * 4
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_allclose(load_image(tmp_path / "rgb.png"), rgb / 255, atol=1e-7)

    gray16 = (np.arange(20, dtype=np.uint16).reshape(4, 5) * 3000).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out.shape == (4, 5, 3) and np.allclose(out[..., 1], gray16 / 65535, atol=1e-6)

    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.png")
    assert np.allclose(load_image(tmp_path / "gray.png"), np.repeat(rgb[..., :1], 3, -1) / 255)

    rgba = np.concatenate([rgb, np.full((4, 5, 1), 128, np.uint8)], -1)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    np.testing.assert_allclose(load_image(tmp_path / "rgba.png"), rgb / 255, atol=1e-7)

    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=8).save(tmp_path / "pal.png")
    pal = load_image(tmp_path / "pal.png")
    assert pal.shape == (4, 5, 3) and pal.dtype == np.float32 and 0 <= pal.min() and pal.max() <= 1


def test_bad_files_get_an_error_naming_file_and_problem(tmp_path):
    with pytest.raises(ImageError, match=r"missing\.png: no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png: the file is empty"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ImageError, match=r"notes\.png: not an image file"):
        load_image(tmp_path / "notes.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        tmp_path / "ok.png"
    )
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut\.png: the image is corrupt or truncated"):
        load_image(tmp_path / "cut.png")


def test_save_then_load_round_trips_to_8_bit(tmp_path):
    img = np.random.default_rng(1).random((6, 7, 3)).astype(np.float32)
    save_image(tmp_path / "out" / "a.png", img.transpose(2, 0, 1))
    np.testing.assert_allclose(load_image(tmp_path / "out" / "a.png"), np.round(img * 255) / 255, atol=1e-7)


def test_bundled_photos_have_licences_and_a_disjoint_split():
    assert set(TRAIN).isdisjoint(HELDOUT) and set(photo_names()) == set(LICENCES)
    for name in photo_names():
        img = photo(name, max_side=64)
        assert img.dtype == np.float32 and img.shape[-1] == 3 and max(img.shape[:2]) == 64
        assert 0 <= img.min() and img.max() <= 1
    with pytest.raises(KeyError, match="no bundled photo"):
        photo("lena")


def test_exif_orientation_is_applied(tmp_path):
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)  # as the sensor wrote it: 4 rows, 6 columns
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display" (portrait phone photo)
    Image.fromarray(stored).save(tmp_path / "phone.png", exif=exif.tobytes())
    np.testing.assert_array_equal(
        load_image(tmp_path / "phone.png"), np.rot90(stored, k=-1) / np.float32(255)
    )


def test_decompression_bomb_is_an_image_error(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels > 2 x the limit: Pillow refuses
    with pytest.raises(ImageError, match="big.png: refusing an image this large"):
        load_image(tmp_path / "big.png")


def test_saving_under_a_file_or_with_an_unknown_extension_is_an_image_error(tmp_path):
    img = np.zeros((4, 4, 3), np.float32)
    (tmp_path / "a").write_text("a file")
    with pytest.raises(ImageError, match="cannot write it"):
        save_image(tmp_path / "a" / "out.png", img)
    with pytest.raises(ImageError, match="use .png"):
        save_image(tmp_path / "out.xyz", img)


def test_real_photo_reads_the_downloaded_photo_or_names_the_command(tmp_path, monkeypatch):
    from course_lib.data import images

    monkeypatch.setattr(images, "DOWNLOADED_PHOTOS", tmp_path)
    with pytest.raises(FileNotFoundError, match="data_scripts/get_photos.py"):
        images.real_photo("ColdRipple")
    with pytest.raises(KeyError, match="DarkestHour"):
        images.real_photo("Aqua")
    rgb = np.random.default_rng(0).integers(0, 256, (60, 100, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "ColdRipple.png")
    np.testing.assert_array_equal(images.real_photo("ColdRipple"), rgb.astype(np.float32) / 255)
    small = Image.fromarray(rgb).resize((50, 30), Image.BICUBIC)  # longer side 100 -> 50
    np.testing.assert_array_equal(images.real_photo("ColdRipple", 50), np.asarray(small, np.float32) / 255)
