"""Third hardening round (issue 29), archives, downloads and pickles: size and ratio limits before anything is
extracted, truncated tar members, encrypted or unknown zip methods, bad CRCs that leave nothing behind, stale
``.part`` downloads, strict ``byteorder`` and truncated zip ``.pth`` files, get_site_assets' options.

Archives are built here with zipfile/tarfile and changed byte by byte.
"""

import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from script_loader import load_script

from conftest import REPO
from course_lib.safe_pickle import load_torch_state_dict

PTH = Path(__file__).resolve().parent / "reference" / "zero_dce_pp_dataparallel.pth"


fd = load_script("fetch_datasets")
fw = load_script("fetch_weights")


def _zip_of_zeros(path, size=200 * 2**20):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as f:
            for _ in range(size // 2**20):
                f.write(bytes(2**20))
    return path


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    bomb = _zip_of_zeros(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < 300_000
    tracemalloc.start()
    with pytest.raises(
        fd.FetchError, match=r"bomb.zip: its members declare \d+x its own size .*limit of 100x"
    ):
        fd.safe_extract(bomb, tmp_path / "out")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20 and list((tmp_path / "out").iterdir()) == []
    with pytest.raises(
        fd.FetchError, match="above the limit of 0.1 GiB; raise it with COURSE_MAX_EXTRACT_BYTES"
    ):
        fd.safe_extract(bomb, tmp_path / "out", max_ratio=10000, max_bytes=0.1 * 2**30)
    monkeypatch.setenv("COURSE_MAX_EXTRACT_RATIO", "10000")
    fd.safe_extract(bomb, tmp_path / "out")  # the setting raises the limit
    assert (tmp_path / "out" / "zeros.bin").stat().st_size == 200 * 2**20


def test_a_tar_gz_bomb_stops_at_the_first_member_past_the_limit(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for i in range(3):
            info = tarfile.TarInfo(f"z{i}.bin")
            info.size = 50 * 2**20
            tf.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(fd.FetchError, match="bomb.tar.gz: its members declare .* limit of 100x"):
        fd.safe_extract(path, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def _plain_tar(path, members):
    with tarfile.open(path, "w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_a_plain_tar_truncated_inside_a_member_is_an_error_and_leaves_no_partial_file(tmp_path):
    whole = _plain_tar(tmp_path / "whole.tar", [("a.bin", os.urandom(5000)), ("b.bin", os.urandom(20000))])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole.read_bytes()[: 512 + 5120 + 512 + 9000])  # inside b.bin
    with pytest.raises(fd.FetchError, match=r"cut.tar.*(b.bin' ends after|damaged or incomplete)"):
        fd.safe_extract(cut, tmp_path / "out")
    assert not (tmp_path / "out" / "b.bin").exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".extracting")]
    with pytest.raises(
        fd.FetchError, match="cut.tar is (truncated inside member 'b.bin'|damaged or incomplete)"
    ):
        fd._check_archive(cut, "cut.tar")


@pytest.mark.parametrize("cut", [512 + 5120, 512 + 5120 + 256])  # after a.bin's data; inside b.bin's header
def test_a_plain_tar_cut_at_a_member_boundary_is_not_taken_for_its_end(tmp_path, cut):
    whole = _plain_tar(tmp_path / "whole.tar", [("a.bin", os.urandom(5000)), ("b.bin", os.urandom(20000))])
    (tmp_path / "cut.tar").write_bytes(whole.read_bytes()[:cut])
    with pytest.raises(
        fd.FetchError, match=r"cut.tar is truncated \(it ends without the tar end marker, after 1"
    ):
        fd.safe_extract(tmp_path / "cut.tar", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(fd.FetchError, match="cut.tar is truncated"):
        fd._check_archive(tmp_path / "cut.tar", "cut.tar")
    fd.safe_extract(whole, tmp_path / "out")  # the whole archive has its end marker
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin", "b.bin"]


def _encrypted_zip(method=0):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"secret" * 10)
    data = bytearray(buf.getvalue())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # the flag bits sit at offset 6 (local) and 8 (central)
        at = data.find(sig)
        off = 6 if sig == b"PK\x03\x04" else 8
        if method:
            data[at + off + 2 : at + off + 4] = method.to_bytes(2, "little")
        else:
            data[at + off] |= 1
    return bytes(data)


@pytest.mark.parametrize("method, message", [(0, "is encrypted"), (99, "uses compression method 99")])
def test_encrypted_or_unknown_method_zips_are_one_clear_error(tmp_path, method, message):
    (tmp_path / "x.zip").write_bytes(_encrypted_zip(method))
    for call in (lambda: fd.safe_extract(tmp_path / "x.zip", tmp_path / "out"),
                 lambda: fd._check_archive(tmp_path / "x.zip", "x.zip")):  # fmt: skip
        with pytest.raises(fd.FetchError, match=f"x.zip: member 'a.txt' {message}"):
            call()


def test_a_bad_crc_member_is_not_left_on_disk(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # stored: a flipped data byte fails the CRC
        zf.writestr("ok.txt", b"fine")
        zf.writestr("a.txt", b"hello world" * 100)
    data = bytearray(buf.getvalue())
    data[data.find(b"hello world") + 5] ^= 0xFF
    (tmp_path / "crc.zip").write_bytes(bytes(data))
    with pytest.raises(fd.FetchError, match="crc.zip is damaged or incomplete"):
        fd.safe_extract(tmp_path / "crc.zip", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ok.txt"]


def test_a_killed_download_leaves_no_part_file_for_ever(tmp_path, monkeypatch):
    body = b"weights" * 100
    (tmp_path / "w.pth").write_bytes(body)
    monkeypatch.setitem(fw.WEIGHTS["zero_dce"], "sha256", hashlib.sha256(body).hexdigest())
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (cache / f".part-{dead.pid}-abc").write_bytes(b"half")  # SIGKILLed earlier: its process is gone
    alive = cache / f".part-{os.getpid()}-xyz"  # a download in progress elsewhere
    alive.write_bytes(b"busy")
    fw.fetch("zero_dce", cache, url=(tmp_path / "w.pth").as_uri(), quiet=True)
    assert sorted(p.name for p in cache.iterdir()) == sorted([alive.name, fw.WEIGHTS["zero_dce"]["filename"]])


def _pth_variant(tmp_path, name, change):
    out = tmp_path / name
    with zipfile.ZipFile(PTH) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info)))
    return out


@pytest.mark.parametrize("order", [b"LITTLE", b"middle", b""])
def test_a_byteorder_other_than_little_or_big_is_refused(tmp_path, order):
    path = _pth_variant(tmp_path, "b.pth", lambda n, d: order if n.endswith("/byteorder") else d)
    with pytest.raises(pickle.UnpicklingError, match="byteorder .*torch writes 'little' or 'big'"):
        load_torch_state_dict(path)


def test_a_half_truncated_zip_pth_is_called_truncated(tmp_path):
    raw = PTH.read_bytes()
    (tmp_path / "half.pth").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(pickle.UnpicklingError, match="half.pth is a zip file without its end \\(truncated"):
        load_torch_state_dict(tmp_path / "half.pth")
    (tmp_path / "text.pth").write_text("hello, these are not weights\n" * 10)
    with pytest.raises(pickle.UnpicklingError, match="text.pth is not a PyTorch .pth file"):
        load_torch_state_dict(tmp_path / "text.pth")


def test_get_site_assets_refuses_unknown_options_before_downloading(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "PATH": str(tmp_path)}  # no npm on PATH: nothing can download
    run = subprocess.run([sys.executable, str(REPO / "data_scripts" / "get_site_assets.py"), "--bogus"],
                         capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "unrecognized arguments: --bogus" in run.stderr
    assert "npm" not in run.stderr and not (tmp_path / ".cache").exists()


def test_limits_given_as_bad_settings_are_named(tmp_path, monkeypatch):
    archive = _plain_tar(tmp_path / "ok.tar", [("a.bin", b"x" * 10)])
    monkeypatch.setenv("COURSE_MAX_EXTRACT_RATIO", "-1")
    with pytest.raises(fd.FetchError, match="COURSE_MAX_EXTRACT_RATIO='-1' is not a positive number"):
        fd.safe_extract(archive, tmp_path / "out")
    monkeypatch.delenv("COURSE_MAX_EXTRACT_RATIO")
    fd.safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "a.bin").read_bytes() == b"x" * 10
    shutil.rmtree(tmp_path / "out")


@pytest.mark.parametrize("text", ["[]", "3", '"x"', "null"])
def test_get_vgg_treats_a_damaged_record_as_missing(tmp_path, text):
    gv = load_script("get_vgg")
    (tmp_path / gv.CKPT_NAME).write_bytes(b"not a checkpoint")
    (tmp_path / gv.META_NAME).write_text(text)
    assert gv.is_valid(tmp_path, keep_source=False) is False
