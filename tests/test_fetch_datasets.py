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
