"""What the data scripts share (standard library only):

* :func:`os_error_boundary`: an ``OSError`` (a read-only folder, a path under a file, a full disk) becomes the
  script's own error, one line that names the path and the fix with the script's folder option (``--root``,
  ``--dir``, ``--out``, ``--cache``);
* :func:`receive`: an HTTP body into an open file, refusing a transfer that breaks off or ends short;
* :func:`sha256_of`: the hex SHA-256 of a file, read in chunks (every download is checked against a pinned one).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import urllib.request


def os_error_boundary(error_class: type, option: str):
    """``boundary()``: a context manager (and decorator) raising ``error_class`` for any ``OSError``."""
    writable = f"choose a folder you may write to ({option}) or change its permissions"
    not_a_folder = f"a file stands where a folder is needed: move it or choose another {option}"
    fixes = {
        errno.ENOSPC: f"free some disk space or choose another {option}",
        errno.EACCES: writable, errno.EPERM: writable, errno.EROFS: writable,
        errno.ENOTDIR: not_a_folder, errno.EEXIST: not_a_folder,
    }  # fmt: skip

    @contextlib.contextmanager
    def boundary():
        try:
            yield
        except OSError as err:
            where = f": {err.filename}" if err.filename else ""
            fix = fixes.get(err.errno, f"check that path, or choose another {option}")
            raise error_class(f"{err.strerror or err}{where}; {fix}") from err

    return boundary


def receive(url: str, out, error_class: type, fix: str, chunk: int = 1 << 20) -> int:
    """Copy the body at ``url`` into the open binary file ``out``; returns the byte count.

    Raises ``error_class`` (message ending in ``fix``) when ``url`` cannot be opened, the transfer breaks off,
    or it ends before the announced Content-Length.
    """
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (OSError, ValueError, http.client.HTTPException) as err:
        raise error_class(f"cannot download {url}: {err}; {fix}") from err
    done = 0
    with response:
        length = response.headers.get("Content-Length")
        while True:
            try:
                block = response.read(chunk)
            except (OSError, http.client.HTTPException) as err:
                raise error_class(
                    f"the download of {url} broke off after {done} bytes ({err}); {fix}"
                ) from err
            if not block:
                break
            out.write(block)
            done += len(block)
    if length and length.isdigit() and done != int(length):
        raise error_class(f"the download of {url} stopped after {done} of {length} bytes; {fix}")
    return done


def sha256_of(path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of the file at ``path``, read ``chunk`` bytes at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
