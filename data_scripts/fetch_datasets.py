"""Download the real datasets of the course and lay them out for ``course_lib.data.datasets.PairedFolder``.

For users with internet (tests and notebooks never need it). Each dataset ends up as::

    ROOT/NAME/SPLIT/lq/<stem>.png     degraded input (hazy, low-light, low-resolution)
    ROOT/NAME/SPLIT/gt/<stem>.png     ground truth with the same stem

Downloads resume where they stopped (HTTP Range), show progress, and are checked against the size and
SHA-256 where the publishers give them (DIV2K through TensorFlow Datasets' list; the others publish none,
which the script says). HDR sets (Kalantari 2017, NTIRE 2021/2022) keep their published scene layout under
``ROOT/NAME/SPLIT/`` and are read by ``course_lib.data.hdr_sets.HDRSceneFolder``; NTIRE's data need a
CodaLab registration, so its archives are given with ``--archive FILE``. A download keeps its ``.part`` name until it has all the bytes the server announced
and passes those checks; an archive without a published checksum must instead open and read to its end.
Every archive, including one already in ``ROOT/_downloads`` (downloaded earlier or by hand), is checked
again before each extraction. Extraction refuses any archive member that would land outside the target
folder (absolute paths, ``..``, symbolic or hard links, devices), encrypted members, and archives that
declare more than 64 GiB or 100x their own size (``$COURSE_MAX_EXTRACT_BYTES``, ``$COURSE_MAX_EXTRACT_RATIO``).

Every failure (network, damaged or mismatching archive, a folder that cannot be written, a full disk)
is a :class:`FetchError` whose message names the problem and the fix; the command line prints it as one
``error: ...`` line and exits with status 2.

    python data_scripts/fetch_datasets.py --list
    python data_scripts/fetch_datasets.py div2k-valid-x2 --root ~/datasets

Sources and checksums: the course's DATA notes, section 3. The archives' inner folder names below follow
the published archives; if a publisher reorganises one, the layout step stops with a message that lists
what it found.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import lzma
import os
import re
import shutil
import stat
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts' shared helpers
from _shared import os_error_boundary, sha256_of  # noqa: E402

CHUNK = 1 << 20


class FetchError(RuntimeError):
    """A download or extraction that cannot be trusted or completed; the message says how to fix it."""


_os_errors = os_error_boundary(FetchError, "--root")  # OSError -> one FetchError line with the fix


# What a damaged or truncated archive raises while it is read (gzip and bz2 raise OSError without errno).
_ARCHIVE_ERRORS = (EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, OSError)


@contextlib.contextmanager
def _archive_errors(name: str, fix: str = "; delete it and download it again"):
    """Turn the exceptions of reading a damaged archive ``name`` into a one-line FetchError."""
    try:
        yield
    except _ARCHIVE_ERRORS as err:
        if isinstance(err, OSError) and err.errno is not None:
            raise  # a real file-system error: _os_errors reports it
        raise FetchError(f"{name} is damaged or incomplete ({err or type(err).__name__}){fix}") from err


@dataclass
class Remote:
    """A file to download: its URL, published size and SHA-256 (None where none is published), and
    ``name``, the file name in ``ROOT/_downloads`` where the URL does not end with it."""

    url: str
    size: Optional[int] = None
    sha256: Optional[str] = None
    name: Optional[str] = None

    @property
    def filename(self) -> str:
        return self.name or self.url.rstrip("/").split("/")[-1].split("?")[0]


@dataclass
class Dataset:
    """A dataset: archives to fetch and, per split, glob patterns (relative to the extraction folder)
    for the low-quality and ground-truth images plus a function mapping a file stem to the pair key."""

    description: str
    remotes: List[Remote]
    splits: Dict[str, tuple]
    key: Callable[[str], str] = field(default=lambda stem: stem)
    # HDR sets keep their scenes as published: lay_out_hdr(extracted, out / split) instead of lq/gt pairs
    hdr_split: Optional[str] = None
    by_hand: Optional[str] = None  # where to get archives that cannot be downloaded (then: --archive FILE)


def _strip_scale(stem: str) -> str:
    return re.sub(r"x\d$", "", stem)


def _first_number(stem: str) -> str:
    return re.match(r"\d+", stem).group(0) if re.match(r"\d+", stem) else stem


DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
SIG17 = "https://cseweb.ucsd.edu/~viscomp/projects/SIG17HDR/PaperData/"
DATASETS: Dict[str, Dataset] = {
    "div2k-valid-x2": Dataset(
        "DIV2K validation (100 images, 2K), bicubic x2 LR (Agustsson & Timofte 2017; academic use)",
        [
            Remote(
                DIV2K + "DIV2K_valid_HR.zip",
                448_993_893,
                "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc",
            ),
            Remote(
                DIV2K + "DIV2K_valid_LR_bicubic_X2.zip",
                117_763_600,
                "60eed9875c697df51204aa579e2a699e1d5215095788a097ff54dd17e2664d57",
            ),
        ],
        {"valid": ("DIV2K_valid_LR_bicubic/X2/*.png", "DIV2K_valid_HR/*.png")},
        _strip_scale,
    ),
    "div2k-train-x2": Dataset(
        "DIV2K training (800 images, 2K), bicubic x2 LR, 4.5 GB",
        [
            Remote(
                DIV2K + "DIV2K_train_HR.zip",
                3_530_603_713,
                "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335",
            ),
            Remote(
                DIV2K + "DIV2K_train_LR_bicubic_X2.zip",
                925_390_592,
                "a53a424317575838dadce4bcd97cf7b744d6855f43740ed5f0245af3cf4bd850",
            ),
        ],
        {"train": ("DIV2K_train_LR_bicubic/X2/*.png", "DIV2K_train_HR/*.png")},
        _strip_scale,
    ),
    "set5": Dataset(
        "Set5 (5 images) HR and x2 LR, Hugging Face eugenesiow mirror (no archive checksum published)",
        [
            Remote("https://huggingface.co/datasets/eugenesiow/Set5/resolve/main/data/Set5_HR.tar.gz"),
            Remote("https://huggingface.co/datasets/eugenesiow/Set5/resolve/main/data/Set5_LR_x2.tar.gz"),
        ],
        {"test": ("**/Set5_LR_x2/*.png", "**/Set5_HR/*.png")},
        lambda stem: _strip_scale(stem.replace("_LRBI", "").replace("_HR", "")),
    ),
    "set14": Dataset(
        "Set14 (14 images) HR and x2 LR, Hugging Face eugenesiow mirror (no archive checksum published)",
        [
            Remote("https://huggingface.co/datasets/eugenesiow/Set14/resolve/main/data/Set14_HR.tar.gz"),
            Remote("https://huggingface.co/datasets/eugenesiow/Set14/resolve/main/data/Set14_LR_x2.tar.gz"),
        ],
        {"test": ("**/Set14_LR_x2/*.png", "**/Set14_HR/*.png")},
        lambda stem: _strip_scale(stem.replace("_LRBI", "").replace("_HR", "")),
    ),
    "nh-haze": Dataset(
        "NH-HAZE (55 real non-homogeneous hazy/clear pairs, 1600x1200; Ancuti et al. 2020; no checksum published)",
        [Remote("https://data.vision.ee.ethz.ch/cvl/ntire20/nh-haze/files/NH-HAZE.zip")],
        {"all": ("**/*_hazy.png", "**/*_GT.png")},
        lambda stem: stem.rsplit("_", 1)[0],
    ),
    "sots-indoor": Dataset(
        "RESIDE SOTS indoor (500 pairs); the archive is behind a Dropbox/Baidu link - download SOTS.zip "
        "by hand from the RESIDE page into ROOT/_downloads/ and run this again (no checksum published)",
        [Remote("https://bit.ly/2XZH498", name="SOTS.zip")],
        {"test": ("**/indoor/hazy/*.png", "**/indoor/gt/*.png")},
        _first_number,
    ),
    "lol": Dataset(
        "LOL v1 (500 low/normal-light pairs, 400x600; Wei et al. 2018); Google Drive hosts it - download "
        "LOLdataset.zip by hand into ROOT/_downloads/ and run this again (no checksum published)",
        [
            Remote(
                "https://drive.google.com/uc?id=1L-kqSQyrmMueBh_ziWoPFhfsAh50h20H&filename=LOLdataset.zip",
                name="LOLdataset.zip",
            )
        ],
        {
            "train": ("**/our485/low/*.png", "**/our485/high/*.png"),
            "test": ("**/eval15/low/*.png", "**/eval15/high/*.png"),
        },
    ),
    "kalantari-test": Dataset(
        "Kalantari & Ramamoorthi SIGGRAPH 2017 HDR test set (15 dynamic scenes, 3 exposures + HDR; "
        "no checksum published)",
        [Remote(SIG17 + "SIGGRAPH17_HDR_Testset.zip")],
        {},
        hdr_split="test",
    ),
    "kalantari-train": Dataset(
        "Kalantari & Ramamoorthi SIGGRAPH 2017 HDR training set (74 dynamic scenes; no checksum published)",
        [Remote(SIG17 + "SIGGRAPH17_HDR_Trainingset.zip")],
        {},
        hdr_split="train",
    ),
    "ntire2022-hdr": Dataset(
        "NTIRE 2021/2022 HDR challenge frames (Perez-Pellitero et al.; 1,494 training, 60 validation); "
        "behind CodaLab registration: --archive FILE",
        [],
        {},
        hdr_split="all",
        by_hand="the NTIRE HDR data sit behind a CodaLab registration (competitions.codalab.org, NTIRE 2021 "
        "multi-frame HDR, or codalab.lisn.upsaclay.fr for 2022): download the training or validation zip there, "
        "then run: python data_scripts/fetch_datasets.py ntire2022-hdr --archive FILE.zip",
    ),
}


@_os_errors()
def lay_out_hdr(extracted: Path, out: Path) -> int:
    """Copy every HDR scene found under ``extracted`` to ``out``; return the number of scenes.

    Kalantari: each folder with ``exposure.txt`` is copied whole to ``out/<its path, '/' -> '_'>``.
    NTIRE: every ``KEY_gt.png`` is copied with its ``KEY_*`` siblings into ``out``.
    ``course_lib.data.hdr_sets.HDRSceneFolder(out)`` reads both."""
    count = 0
    for exp in sorted(extracted.rglob("exposure.txt")):
        name = "_".join(exp.parent.relative_to(extracted).parts) or "scene"
        shutil.copytree(exp.parent, out / name, dirs_exist_ok=True)
        count += 1
    for gt in sorted(extracted.rglob("*_gt.png")):
        key = gt.name[: -len("_gt.png")]
        out.mkdir(parents=True, exist_ok=True)
        for f in gt.parent.glob(f"{key}_*"):
            shutil.copyfile(f, out / f.name)
        count += 1
    if not count:
        found = sorted(str(p.relative_to(extracted)) for p in extracted.rglob("*") if p.is_dir())[:10]
        raise FetchError(f"no HDR scenes (folders with exposure.txt, or *_gt.png files) found; folders: {found}")
    return count


def _progress(done: int, total: Optional[int], name: str) -> None:
    if not sys.stderr.isatty():
        return
    text = f"{done / 1e6:8.1f} MB" + (
        f" / {total / 1e6:.1f} MB ({100 * done / total:4.1f} %)" if total else ""
    )
    print(f"\r{name}: {text}", end="", file=sys.stderr, flush=True)


def download(remote: Remote, folder: Path, timeout: float = 60.0) -> Path:
    """Fetch ``remote`` into ``folder`` and return the checked file (see :func:`_verify`).

    A file already in ``folder`` (an earlier download, or one placed there by hand) is checked and not
    fetched again. If its published size or SHA-256 differ, :class:`FetchError` names the expected and
    found values and leaves the file for the user to delete; one without a published checksum that is
    damaged or incomplete is deleted and downloaded again.

    The download goes to ``<name>.part`` and resumes it (HTTP Range); a ``.part`` as long as the published
    size or longer, or one the server refuses to resume (416), is started again from zero. The file gets
    its final name only once it holds every byte the server announced and passes :func:`_verify`; a
    download cut short keeps its ``.part`` to resume, one that fails the checks is deleted.
    """
    with _os_errors():
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / remote.filename
        if final.exists():
            try:
                _verify(final, remote)
                return final
            except FetchError as err:
                if remote.size is not None or remote.sha256 is not None:
                    raise FetchError(
                        f"{err} (in {folder}); delete it and run again to download it anew"
                    ) from None
                final.unlink()
                print(f"note: {err}; deleted it from {folder} and downloading it again")
        part = final.with_name(final.name + ".part")
        if part.exists() and remote.size is not None and part.stat().st_size >= remote.size:
            part.unlink()  # too long to be a prefix of the published file: start again
        _receive(remote, part, timeout)
        try:
            _verify(part, remote)
        except FetchError as err:
            part.unlink()
            raise FetchError(
                f"{err}; the download was deleted: run again to download it anew, or download "
                f"{remote.url} by hand into {folder} as {remote.filename}"
            ) from None
        os.replace(part, final)
        return final


def _receive(remote: Remote, part: Path, timeout: float) -> None:
    """Write the rest of ``remote`` to ``part``; raise :class:`FetchError`, keeping ``part`` to resume,
    when the transfer breaks off or ends before the length the server announced."""
    response, start = _open(remote, part, timeout)
    with response:
        resumed = start and response.status == 206
        done = start if resumed else 0
        length = response.headers.get("Content-Length")
        expected = done + int(length) if length and length.isdigit() else None
        with open(part, "ab" if resumed else "wb") as out:
            while True:
                try:
                    block = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as err:
                    raise FetchError(
                        f"the download of {remote.filename} broke off after {done} bytes ({err}); "
                        "run again to resume it"
                    ) from err
                if not block:
                    break
                out.write(block)
                done += len(block)
                _progress(done, expected or remote.size, remote.filename)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if expected is not None and done != expected:
        raise FetchError(
            f"the download of {remote.filename} stopped after {done} of {expected} bytes; run again to resume it"
        )


def _open(remote: Remote, part: Path, timeout: float):
    """Open the URL, asking for the bytes after ``part``; return (response, bytes already in ``part``)."""
    start = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(remote.url, headers={"User-Agent": "course-lib-fetch"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        return urllib.request.urlopen(request, timeout=timeout), start
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and start:  # the .part cannot be resumed: start again from zero
            part.unlink()
            return _open(remote, part, timeout)
        problem = err
    except (OSError, ValueError, http.client.HTTPException) as err:
        problem = err
    raise FetchError(
        f"cannot download {remote.url}: {problem}; check the network, or download it by hand into "
        f"{part.parent} as {remote.filename}"
    )


def _verify(path: Path, remote: Remote) -> None:
    """Raise :class:`FetchError` (expected and found values) unless ``path`` has the published size and
    SHA-256; without a published checksum, unless it is a zip or tar archive that reads to its end."""
    name = remote.filename
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise FetchError(f"{name}: size {size} bytes, expected {remote.size}")
    if remote.sha256 is not None:
        actual = sha256_of(path)
        if actual != remote.sha256:
            raise FetchError(f"{name}: SHA-256 {actual} does not match the published {remote.sha256}")
        return
    _check_archive(path, name)
    print(f"note: {name} has no published checksum; checked only that the archive is complete")


def _check_archive(path: Path, name: str) -> None:
    """Raise :class:`FetchError` unless ``path`` is a zip or tar archive whose members all read back."""
    with _archive_errors(name, fix=""):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                _check_zip_members(zf, name)
                bad = zf.testzip()
            if bad is not None:
                raise FetchError(f"{name} is damaged (member {bad!r} fails its CRC)")
            return
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as tf:
                for member in tf:
                    if member.isfile():
                        done = 0
                        with tf.extractfile(member) as f:
                            while block := f.read(CHUNK):
                                done += len(block)
                        if done != member.size:
                            raise FetchError(f"{name} is truncated inside member {member.name!r} ({done} of "
                                             f"{member.size} bytes)")  # fmt: skip
                _check_tar_end(tf, name)
            return
    raise FetchError(
        f"{name} is not a complete zip or tar archive (truncated, or another kind of file such as a web page)"
    )


def _check_member_path(name: str, target: Path) -> Path:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise FetchError(f"refusing archive member {name!r}: absolute path")
    if ".." in Path(name.replace("\\", "/")).parts:
        raise FetchError(f"refusing archive member {name!r}: '..' would leave the target folder")
    dest = (target / name).resolve()
    if not dest.is_relative_to(target.resolve()):
        raise FetchError(f"refusing archive member {name!r}: it would land outside {target}")
    return dest


# Limits on what an archive may unpack (a 204 KB zip can hold 200 MiB of zeros): the sum of the members'
# declared sizes, and that sum over the archive's size. Image datasets compress little (PNG, JPEG, TIFF are
# compressed already), so 100x is far above any real one. Raise them with these variables or the arguments.
MAX_BYTES_ENV, DEFAULT_MAX_BYTES = "COURSE_MAX_EXTRACT_BYTES", 64 * 2**30
MAX_RATIO_ENV, DEFAULT_MAX_RATIO = "COURSE_MAX_EXTRACT_RATIO", 100.0
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
                zipfile.ZIP_LZMA: "lzma"}  # fmt: skip


def _limit(env: str, default: float, given: Optional[float]) -> float:
    if given is not None:
        return float(given)
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise FetchError(f"{env}={text!r} is not a positive number")
    return value


def _check_zip_members(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse encrypted members and compression methods zipfile cannot read, with the reason."""
    for m in zf.infolist():
        if m.flag_bits & 0x1:
            raise FetchError(f"{name}: member {m.filename!r} is encrypted (password-protected); the course's "
                             "archives are not: download it again from the source")  # fmt: skip
        if m.compress_type not in _ZIP_METHODS:
            raise FetchError(f"{name}: member {m.filename!r} uses compression method {m.compress_type} "
                             f"(Python reads {', '.join(_ZIP_METHODS.values())}); repack it as a plain zip")  # fmt: skip


@_os_errors()
def safe_extract(archive: Path, target: Path, *, max_bytes: Optional[float] = None,
                 max_ratio: Optional[float] = None) -> None:  # fmt: skip
    """Extract a zip or tar archive into ``target``, refusing (before writing anything) absolute paths,
    ``..`` components, links and special files, encrypted members or unknown compression, and archives whose
    members declare more than ``max_bytes`` in all (default 64 GiB, ``$COURSE_MAX_EXTRACT_BYTES``) or more than
    ``max_ratio`` times the archive's size (default 100, ``$COURSE_MAX_EXTRACT_RATIO``), or more than the disk
    has free. Each file is written under a temporary name and renamed only once complete and its CRC (zip) or
    size (tar) checked: a damaged member leaves nothing behind. A damaged archive, an unwritable target or a
    full disk raise :class:`FetchError`."""
    limits = (_limit(MAX_BYTES_ENV, DEFAULT_MAX_BYTES, max_bytes), _limit(MAX_RATIO_ENV, DEFAULT_MAX_RATIO, max_ratio))
    target.mkdir(parents=True, exist_ok=True)
    with _archive_errors(archive.name):
        _extract(archive, target, *limits)


def _check_total(archive: Path, total: int, max_bytes: float, max_ratio: float, target: Path) -> None:
    size = max(archive.stat().st_size, 1)
    if total > max_bytes:
        raise FetchError(f"{archive.name}: its members declare {total / 2**30:.2f} GiB, above the limit of "
                         f"{max_bytes / 2**30:g} GiB; raise it with {MAX_BYTES_ENV}=BYTES if you trust the archive")  # fmt: skip
    if total > max_ratio * size:
        raise FetchError(f"{archive.name}: its members declare {total / size:.0f}x its own size ({total} bytes from "
                         f"{size}), above the limit of {max_ratio:g}x (a decompression bomb?); raise it with "
                         f"{MAX_RATIO_ENV}=RATIO if you trust the archive")  # fmt: skip
    free = shutil.disk_usage(target).free
    if total > free:
        raise FetchError(f"{archive.name}: extracting needs {total / 2**30:.2f} GiB but {target} has "
                         f"{free / 2**30:.2f} GiB free; free some disk space or choose another --root")  # fmt: skip


def _check_tar_end(tf: tarfile.TarFile, name: str) -> None:
    """A tar ends with two zero blocks; tarfile takes a cut at a member boundary or inside a header for the
    end, silently dropping the members after it. Refuse an archive whose end marker is missing."""
    tf.fileobj.seek(tf.offset)
    end = tf.fileobj.read(2 * tarfile.BLOCKSIZE)
    if len(end) < 2 * tarfile.BLOCKSIZE or end.count(0) != len(end):
        raise FetchError(f"{name} is truncated (it ends without the tar end marker, after "
                         f"{len(tf.getmembers())} complete members); delete it and download it again")  # fmt: skip


def _write_member(source, dest: Path, size: int, what: str) -> None:
    """Copy an open member to ``dest`` through a temporary name; refuse a member that ends short."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.extracting")
    try:
        done = 0
        if tmp.is_symlink():
            tmp.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with source, open(os.open(tmp, flags, 0o644), "wb") as out:
            while block := source.read(CHUNK):
                done += len(block)
                if done > size:
                    raise FetchError(f"{what} holds more bytes than its header declares; the archive is damaged")
                out.write(block)
        if done != size:
            raise FetchError(f"{what} ends after {done} of its {size} bytes (archive truncated); delete the "
                             "archive and download it again")  # fmt: skip
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _extract(archive: Path, target: Path, max_bytes: float = DEFAULT_MAX_BYTES,
             max_ratio: float = DEFAULT_MAX_RATIO) -> None:  # fmt: skip
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _check_zip_members(zf, archive.name)
            for m in members:
                _check_member_path(m.filename, target)
                if stat.S_ISLNK(m.external_attr >> 16):
                    raise FetchError(f"refusing archive member {m.filename!r}: symbolic link")
            _check_total(archive, sum(m.file_size for m in members), max_bytes, max_ratio, target)
            for m in members:
                dest = _check_member_path(m.filename, target)
                if m.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                else:
                    _write_member(zf.open(m), dest, m.file_size, f"{archive.name}: member {m.filename!r}")
        return
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members, total = [], 0
            for m in tf:  # headers one by one: a bomb stops at the first member past the limits
                _check_member_path(m.name, target)
                if m.issym() or m.islnk():
                    raise FetchError(f"refusing archive member {m.name!r}: link to {m.linkname!r}")
                if not (m.isfile() or m.isdir()):
                    raise FetchError(f"refusing archive member {m.name!r}: not a regular file or folder")
                total += m.size
                _check_total(archive, total, max_bytes, max_ratio, target)
                members.append(m)
            _check_tar_end(tf, archive.name)
            for m in members:
                dest = _check_member_path(m.name, target)
                if m.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                else:
                    _write_member(tf.extractfile(m), dest, m.size, f"{archive.name}: member {m.name!r}")
        return
    raise FetchError(
        f"{archive.name} is not a complete zip or tar archive (truncated, or another kind of file); "
        "delete it and download it again"
    )


@_os_errors()
def lay_out(dataset: Dataset, extracted: Path, out: Path) -> Dict[str, int]:
    """Copy each split's pairs to ``out/SPLIT/{lq,gt}/<key><suffix>``; return pairs per split."""
    counts = {}
    for split, (lq_glob, gt_glob) in dataset.splits.items():
        lq = {dataset.key(p.stem): p for p in sorted(extracted.glob(lq_glob))}
        gt = {dataset.key(p.stem): p for p in sorted(extracted.glob(gt_glob))}
        common = sorted(set(lq) & set(gt))
        if not common:
            found = sorted(str(p.relative_to(extracted)) for p in extracted.rglob("*") if p.is_dir())[:10]
            raise FetchError(f"no {split} pairs matched {lq_glob!r} and {gt_glob!r}; folders found: {found}")
        for sub, files in (("lq", lq), ("gt", gt)):
            (out / split / sub).mkdir(parents=True, exist_ok=True)
            for k in common:
                shutil.copyfile(files[k], out / split / sub / f"{k}{files[k].suffix.lower()}")
        counts[split] = len(common)
    return counts


def fetch(name: str, root: Path, archives: Optional[List[Path]] = None) -> Dict[str, int]:
    """Download, verify, extract and lay out dataset ``name`` under ``root/name``.

    Every archive is verified (:func:`download`) before it is extracted, also one already in
    ``root/_downloads``. ``archives``: local archive files to use instead of the downloads (for sets
    behind a registration, such as NTIRE's), checked as complete archives. Raises :class:`FetchError` for
    anything that goes wrong."""
    if name not in DATASETS:
        raise FetchError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    dataset = DATASETS[name]
    downloads = root / "_downloads"
    extracted = root / "_extracted" / name
    if archives:
        for archive in archives:
            if not archive.is_file():
                raise FetchError(f"--archive {archive}: no such file; give the archive you downloaded")
            _check_archive(archive, archive.name)
            safe_extract(archive, extracted)
    elif dataset.by_hand:
        raise FetchError(f"{name}: {dataset.by_hand}")
    else:
        for remote in dataset.remotes:
            safe_extract(download(remote, downloads), extracted)
    if dataset.hdr_split:
        counts = {dataset.hdr_split: lay_out_hdr(extracted, root / name / dataset.hdr_split)}
        unit = "scenes"
    else:
        counts, unit = lay_out(dataset, extracted, root / name), "pairs"
    print(f"{name}: " + ", ".join(f"{split} {n} {unit}" for split, n in counts.items()) + f" in {root / name}")
    return counts


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("``", ""))
    parser.add_argument("names", nargs="*", help="datasets to fetch (see --list)")
    parser.add_argument(
        "--root", type=Path, default=Path("datasets"), help="where to put them (default ./datasets)"
    )
    parser.add_argument("--list", action="store_true", help="list the datasets and exit")
    parser.add_argument(
        "--archive", type=Path, nargs="+", default=None,
        help="archives downloaded by hand (sets behind a registration, e.g. ntire2022-hdr)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.list or not args.names:
        for key, d in DATASETS.items():
            print(f"{key:16s} {d.description}")
        return 0
    try:
        for name in args.names:
            fetch(name, args.root.expanduser(), [a.expanduser() for a in args.archive or []])
    except FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
