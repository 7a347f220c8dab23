"""Download the official pretrained weights that the course cannot ship, and check their SHA-256.

    python data_scripts/fetch_weights.py                      # all files, into ~/.cache/course_lib/weights
    python data_scripts/fetch_weights.py zero_dce --dir weights/
    python data_scripts/fetch_weights.py --list

Files:
* ``zero_dce``: Li-Chongyi/Zero-DCE, ``Zero-DCE_code/snapshots/Epoch99.pth`` (320,017 B).
* ``zero_dce_pp``: Li-Chongyi/Zero-DCE_extension, ``Zero-DCE++/snapshots_Zero_DCE++/Epoch99.pth``
  (52,395 B).

Licence: the authors release code and models "for non-commercial use only" (CC BY-NC 4.0). That is why
the course package does not include them; by downloading you accept those terms. Read them with
``course_lib.models.zero_dce.load_official(path)``, which opens the ``.pth`` without torch and refuses
any pickle that names code to run (``course_lib.safe_pickle``).

A download goes to a temporary file and is moved into place only when it holds every byte the server
announced and its SHA-256 matches; a file already present with the right hash is not downloaded again.
Every failure (network, checksum, a folder that cannot be written, a full disk) is a
:class:`DownloadError` naming the problem and the fix; the command line prints it as one ``error: ...``
line and exits with status 2. The cache folder is ``--dir``, else
``$COURSE_WEIGHTS_DIR``, else ``~/.cache/course_lib/weights``. Needs internet
(raw.githubusercontent.com; ``HEAD`` is the default branch; the checksums are those of the files at
commits e0f4adc and 09f202b).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts' shared helpers
from _shared import os_error_boundary, receive, sha256_of  # noqa: E402

LICENCE = "CC BY-NC 4.0 (non-commercial use only); not shipped with the course"

WEIGHTS = {
    "zero_dce": {
        "url": "https://raw.githubusercontent.com/Li-Chongyi/Zero-DCE/HEAD/"
        "Zero-DCE_code/snapshots/Epoch99.pth",
        "sha256": "a4395acb874f320375d9704997cef874eaaaaa26a1777ceb29a92b70f74c3612",
        "bytes": 320017,
        "filename": "zero_dce_Epoch99.pth",
        "licence": LICENCE,
    },
    "zero_dce_pp": {
        "url": "https://raw.githubusercontent.com/Li-Chongyi/Zero-DCE_extension/HEAD/Zero-DCE%2B%2B/"
        "snapshots_Zero_DCE%2B%2B/Epoch99.pth",
        "sha256": "ca8855b90df9a80fa4195a831f33d3476b1964f787eb70602797c773067f3b84",
        "bytes": 52395,
        "filename": "zero_dce_pp_Epoch99.pth",
        "licence": LICENCE,
    },
}


class DownloadError(RuntimeError):
    """A weight file that cannot be downloaded, checked or stored; the message says how to fix it."""


class ChecksumError(DownloadError, ValueError):
    """A file's SHA-256 is not the published one (still a ValueError, as it used to be)."""


_os_errors = os_error_boundary(DownloadError, "--dir")  # OSError -> one DownloadError line with the fix


def default_dir() -> Path:
    """``$COURSE_WEIGHTS_DIR`` or ``~/.cache/course_lib/weights``."""
    return Path(os.environ.get("COURSE_WEIGHTS_DIR") or Path.home() / ".cache" / "course_lib" / "weights")



def verify(path, expected_sha256: str) -> Path:
    """Return ``path`` if its SHA-256 is ``expected_sha256``, else raise :class:`ChecksumError`."""
    actual = sha256_of(path)
    if actual != expected_sha256.lower():
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, expected {expected_sha256}: the download is incomplete or "
            "the file was changed upstream. Delete it and download again; if it persists, the published "
            "file changed and the course's checksum needs updating."
        )
    return Path(path)


def fetch(name: str, directory=None, *, url: str | None = None, quiet: bool = False) -> Path:
    """Download weight file ``name`` (a key of WEIGHTS) into ``directory`` and verify it; return its path.

    url: override the source (a mirror, or a ``file://`` URL); the checksum is still checked.
    Raises ValueError for an unknown ``name`` and :class:`DownloadError` (:class:`ChecksumError` for a
    wrong hash) for everything else; a failed download leaves nothing behind.
    """
    if name not in WEIGHTS:
        raise ValueError(f"unknown weight file {name!r}; choose from {sorted(WEIGHTS)}")
    entry = WEIGHTS[name]
    directory = Path(directory).expanduser() if directory is not None else default_dir()
    target = directory / entry["filename"]
    with _os_errors():
        if target.is_file():
            try:
                return verify(target, entry["sha256"])
            except ChecksumError:
                if not quiet:
                    print(f"{target} has the wrong checksum; downloading it again")
        directory.mkdir(parents=True, exist_ok=True)
        source = url or entry["url"]
        if not quiet:
            print(f"downloading {name} ({entry['bytes']:,} B, licence: {entry['licence']})\n  from {source}")
        _remove_stale_parts(directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".part-{os.getpid()}-")
        try:
            with os.fdopen(fd, "wb") as out:
                _receive(source, out)
            actual = sha256_of(tmp)
            if actual != entry["sha256"]:
                raise ChecksumError(
                    f"the download of {name} from {source} has SHA-256 {actual}, expected {entry['sha256']} "
                    "(nothing was saved); run again, and if it persists the published file changed and the "
                    "course's checksum needs updating"
                )
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return target


def _remove_stale_parts(directory: Path) -> None:
    """Delete ``.part-PID-*`` files of processes that no longer run (a download killed by SIGKILL)."""
    for part in directory.glob(".part-*"):
        if part.is_symlink() or not part.is_file():
            continue
        pid = part.name.split("-")[1]
        if not pid.isdigit():  # an older, unnamed one: no process can still be writing it after a day
            import time

            if time.time() - part.stat().st_mtime > 86400:
                part.unlink(missing_ok=True)
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            part.unlink(missing_ok=True)
        except PermissionError:  # another user's running process
            pass


def _receive(source: str, out) -> None:
    """Copy the body at URL ``source`` to the open file ``out`` (:class:`DownloadError` if it fails or stops short)."""
    receive(source, out, DownloadError, "check the network and run again", chunk=1 << 16)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"which files (default: all of {sorted(WEIGHTS)})")
    parser.add_argument("--dir", type=Path, default=None, help="cache folder (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="list the files and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, entry in WEIGHTS.items():
            print(f"{name:12s} {entry['bytes']:>9,} B  sha256 {entry['sha256'][:16]}...  {entry['url']}")
        return 0
    unknown = [name for name in args.names if name not in WEIGHTS]
    if unknown:
        print(f"error: unknown weight file {unknown[0]!r}; choose from {sorted(WEIGHTS)}", file=sys.stderr)
        return 2
    try:
        for name in args.names or list(WEIGHTS):
            print(fetch(name, args.dir))
    except DownloadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
