"""The dataset fetcher, offline: a loopback HTTP server with Range support, and archives built here."""

import hashlib
import http.server
import importlib.util
import io
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from toy_data import tgz_bytes

from conftest import REPO

spec = importlib.util.spec_from_file_location("fetch_datasets", REPO / "data_scripts" / "fetch_datasets.py")
fetch = importlib.util.module_from_spec(spec)
sys.modules["fetch_datasets"] = fetch  # dataclasses look their module up there
spec.loader.exec_module(fetch)

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges_seen: list = []

    def do_GET(self):  # noqa: N802
        start = 0
        header = self.headers.get("Range")
        if header:
            start = int(header.split("=")[1].split("-")[0])
            type(self).ranges_seen.append(start)
            self.send_response(206)
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_download_resumes_a_partial_file_and_checks_the_sha256(server, tmp_path):
    remote = fetch.Remote(f"{server}/data.zip", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())
    (tmp_path / "data.zip.part").write_bytes(PAYLOAD[:300_000])
    _RangeHandler.ranges_seen.clear()
    path = fetch.download(remote, tmp_path)
    assert _RangeHandler.ranges_seen == [300_000]
    assert path.read_bytes() == PAYLOAD and not (tmp_path / "data.zip.part").exists()


def test_a_checksum_mismatch_deletes_the_file_and_says_so(server, tmp_path):
    remote = fetch.Remote(f"{server}/bad.zip", None, "0" * 64)
    with pytest.raises(fetch.FetchError, match="does not match the published"):
        fetch.download(remote, tmp_path)
    assert not (tmp_path / "bad.zip").exists()
    with pytest.raises(fetch.FetchError, match="size 1048576 bytes, expected 5"):
        fetch.download(fetch.Remote(f"{server}/short.zip", 5), tmp_path)


def _png_bytes(value):
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_extract_and_lay_out_pairs(tmp_path):
    archive = tmp_path / "mini.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in (1, 2):
            zf.writestr(f"DIV2K_valid_HR/{i:04d}.png", _png_bytes(200))
            zf.writestr(f"DIV2K_valid_LR_bicubic/X2/{i:04d}x2.png", _png_bytes(100))
    fetch.safe_extract(archive, tmp_path / "x")
    counts = fetch.lay_out(fetch.DATASETS["div2k-valid-x2"], tmp_path / "x", tmp_path / "out")
    assert counts == {"valid": 2}
    assert sorted(p.name for p in (tmp_path / "out" / "valid" / "lq").iterdir()) == ["0001.png", "0002.png"]
    from course_lib.data.datasets import PairedFolder

    assert len(PairedFolder(tmp_path / "out" / "valid" / "lq", tmp_path / "out" / "valid" / "gt")) == 2


@pytest.mark.parametrize("bad_name", ["../escape.txt", "/abs/path.txt", "a/../../escape.txt"])
def test_malicious_zip_members_are_refused_before_anything_is_written(tmp_path, bad_name):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        zf.writestr(bad_name, "owned")
    with pytest.raises(fetch.FetchError, match="refusing archive member"):
        fetch.safe_extract(archive, tmp_path / "target")
    assert not (tmp_path / "target" / "fine.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_tar_links_are_refused(tmp_path):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(fetch.FetchError, match="link to '/etc/passwd'"):
        fetch.safe_extract(archive, tmp_path / "t")
    with tarfile.open(tmp_path / "evil2.tar", "w") as tf:
        data = b"x"
        info = tarfile.TarInfo("../../outside.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with pytest.raises(fetch.FetchError, match="'..'"):
        fetch.safe_extract(tmp_path / "evil2.tar", tmp_path / "t")


def test_zip_symlink_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(fetch.FetchError, match="symbolic link"):
        fetch.safe_extract(archive, tmp_path / "t")


def test_command_line_lists_and_rejects_unknown_names(capsys, tmp_path):
    assert fetch.main(["--list"]) == 0 and "div2k-valid-x2" in capsys.readouterr().out
    assert fetch.main(["imagenet", "--root", str(tmp_path)]) == 2
    assert "unknown dataset 'imagenet'" in capsys.readouterr().err
    assert isinstance(Path(fetch.__file__), Path)


# --- every archive is checked before extraction; interrupted downloads never pass for finished ones ------


class _FileHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``files[path]`` like a real server (Range, 206, 416, 404). ``cut[path]``: send only that many
    bytes, then close the connection although Content-Length promised more."""

    files: dict = {}
    cut: dict = {}
    requests: list = []

    def do_GET(self):  # noqa: N802
        body, byte_range = self.files.get(self.path), self.headers.get("Range")
        self.requests.append((self.path, byte_range))
        if body is None:
            self.send_error(404)
            return
        start = int(byte_range.split("=")[1].split("-")[0]) if byte_range else 0
        if byte_range and start >= len(body):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if byte_range else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:][: self.cut.get(self.path)])

    def log_message(self, *args):
        pass


@pytest.fixture()
def files_server():
    """(handler class to fill with files, base URL) of a loopback server."""
    handler = type("Handler", (_FileHandler,), {"files": {}, "cut": {}, "requests": []})
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _pairs_zip(value=200):
    """A DIV2K-like zip with two LR/HR pairs, as bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in (1, 2):
            zf.writestr(f"DIV2K_valid_HR/{i:04d}.png", _png_bytes(value))
            zf.writestr(f"DIV2K_valid_LR_bicubic/X2/{i:04d}x2.png", _png_bytes(100))
    return buf.getvalue()


def _tgz(size=200_000):
    return tgz_bytes(size, seed=0)


def _mini(monkeypatch, remote):
    """Register a DIV2K-like dataset 'mini' fetched from ``remote``."""
    dataset = fetch.DATASETS["div2k-valid-x2"]
    monkeypatch.setitem(fetch.DATASETS, "mini", fetch.Dataset("mini", [remote], dataset.splits, dataset.key))


@pytest.mark.parametrize("tamper", ["another archive", "one byte changed"])
def test_an_archive_already_in_downloads_is_verified_before_extraction(monkeypatch, tmp_path, capsys, tamper):
    good = _pairs_zip()
    remote = fetch.Remote("http://127.0.0.1:9/mini.zip", len(good), hashlib.sha256(good).hexdigest())
    _mini(monkeypatch, remote)
    downloads = tmp_path / "_downloads"
    downloads.mkdir()
    if tamper == "another archive":
        bad = _pairs_zip(value=50)
        assert len(bad) != len(good)
    else:
        bad = bytearray(good)
        bad[100] ^= 1
        bad = bytes(bad)
    (downloads / "mini.zip").write_bytes(bad)
    assert fetch.main(["mini", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: mini.zip: ") and "delete it" in err, err
    expected, found = (
        (len(good), len(bad)) if tamper == "another archive" else (remote.sha256, sha256_hex(bad))
    )
    assert f"{expected}" in err and f"{found}" in err
    assert not (tmp_path / "_extracted").exists() and not (tmp_path / "mini").exists()
    assert (downloads / "mini.zip").read_bytes() == bad  # the user's file is left for the user to judge
    # the genuine archive placed by hand is used without any network
    (downloads / "mini.zip").write_bytes(good)
    assert fetch.fetch("mini", tmp_path) == {"valid": 2}


def test_hand_downloaded_archives_are_looked_up_under_their_own_names():
    assert fetch.DATASETS["sots-indoor"].remotes[0].filename == "SOTS.zip"
    assert fetch.DATASETS["lol"].remotes[0].filename == "LOLdataset.zip"


def test_a_short_read_keeps_its_part_name_and_resumes(files_server, tmp_path):
    handler, url = files_server
    archive = _tgz()
    handler.files["/set.tar.gz"] = archive
    handler.cut["/set.tar.gz"] = 80_000
    remote = fetch.Remote(f"{url}/set.tar.gz")  # no published checksum
    with pytest.raises(
        fetch.FetchError, match=f"stopped after 80000 of {len(archive)} bytes; run again to resume"
    ):
        fetch.download(remote, tmp_path)
    assert not (tmp_path / "set.tar.gz").exists()
    assert (tmp_path / "set.tar.gz.part").stat().st_size == 80_000
    handler.cut.clear()
    path = fetch.download(remote, tmp_path)
    assert path.read_bytes() == archive and handler.requests[-1] == ("/set.tar.gz", "bytes=80000-")


def test_a_short_read_with_a_published_checksum_is_not_renamed_either(files_server, tmp_path):
    handler, url = files_server
    handler.files["/data.zip"], handler.cut["/data.zip"] = PAYLOAD, 1000
    with pytest.raises(fetch.FetchError, match="stopped after 1000 of 1048576 bytes"):
        fetch.download(fetch.Remote(f"{url}/data.zip", len(PAYLOAD), sha256_hex(PAYLOAD)), tmp_path)
    assert not (tmp_path / "data.zip").exists() and (tmp_path / "data.zip.part").stat().st_size == 1000


def test_a_truncated_cached_archive_without_checksum_is_downloaded_again(files_server, tmp_path, capsys):
    handler, url = files_server
    archive = _tgz()
    handler.files["/set.tar.gz"] = archive
    (tmp_path / "set.tar.gz").write_bytes(archive[: len(archive) // 2])  # left by an older, trusting version
    path = fetch.download(fetch.Remote(f"{url}/set.tar.gz"), tmp_path)
    assert path.read_bytes() == archive
    assert "damaged or incomplete" in capsys.readouterr().out


def test_a_damaged_download_without_checksum_is_refused_before_renaming(files_server, tmp_path):
    handler, url = files_server
    archive = _tgz()
    handler.files["/set.tar.gz"] = archive[: len(archive) // 2]  # the server itself has a cut file
    with pytest.raises(fetch.FetchError, match="set.tar.gz is damaged or incomplete.*download it anew"):
        fetch.download(fetch.Remote(f"{url}/set.tar.gz"), tmp_path)
    assert list(tmp_path.iterdir()) == []
    handler.files["/page.zip"] = b"<html>please log in</html>"
    with pytest.raises(fetch.FetchError, match="not a complete zip or tar archive.*by hand into"):
        fetch.download(fetch.Remote(f"{url}/page.zip"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_part_longer_than_the_remote_file_restarts_after_416(files_server, tmp_path):
    handler, url = files_server
    handler.files["/data.zip"] = PAYLOAD
    (tmp_path / "data.zip.part").write_bytes(b"\0" * (len(PAYLOAD) + 10))
    remote = fetch.Remote(f"{url}/data.zip", None, sha256_hex(PAYLOAD))  # no size: the server must say 416
    assert fetch.download(remote, tmp_path).read_bytes() == PAYLOAD
    assert handler.requests == [("/data.zip", f"bytes={len(PAYLOAD) + 10}-"), ("/data.zip", None)]


@pytest.mark.parametrize("extra", [0, 10])
def test_a_part_as_long_as_the_published_size_or_longer_restarts_from_zero(files_server, tmp_path, extra):
    handler, url = files_server
    handler.files["/data.zip"] = PAYLOAD
    (tmp_path / "data.zip.part").write_bytes(b"\0" * (len(PAYLOAD) + extra))
    remote = fetch.Remote(f"{url}/data.zip", len(PAYLOAD), sha256_hex(PAYLOAD))
    assert fetch.download(remote, tmp_path).read_bytes() == PAYLOAD
    assert handler.requests == [("/data.zip", None)]
