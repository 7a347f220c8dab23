"""The data scripts' one boundary for file-system errors: an ``OSError`` (a read-only folder, a path under a
file, a full disk) becomes the script's own error, one line that names the path and the fix with the
script's folder option (``--root``, ``--dir``, ``--out``, ``--cache``). Standard library only."""

from __future__ import annotations

import contextlib
import errno


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
