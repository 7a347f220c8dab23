"""Checkpoints that survive a kill: everything needed to continue a run at the exact step.

One file per saved step, ``ckpt_dir/step_00000100.ckpt``, in MindSpore's own format (so
``mindspore.load_checkpoint`` reads it, and ``load_param_into_net(net, ...)`` takes the weights out of it).
It holds the parameters of the whole train step: the network, the optimizer state (Adam's two moments,
``beta1_power``/``beta2_power``, ``global_step``), and a JSON string ``course_meta`` with the step, the
data seed, the configuration and the history so far.

Written atomically: MindSpore writes a temporary file in the same folder, we ``fsync`` it and
``os.replace`` it onto the final name (a rename within one file system is atomic), then ``fsync`` the
folder. A kill at any moment leaves either the old set of files or the new one, never half a file. Each
file carries a CRC that is checked on loading, so a file damaged later (a full disk, a copy cut short)
gives :class:`CheckpointError` naming it instead of silently wrong weights. Final weights
(:func:`save_weights`) are written the same way.

One run per folder: :class:`RunLock` holds an exclusive lock on ``ckpt_dir/.lock`` for the whole run, so a
second run in the same folder stops at once with the first one's process id (instead of the two deleting
each other's files). Taking the lock also proves, before the first step, that the folder is writable.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import List, Optional, Tuple

META_KEY = "course_meta"
META_KEYS = ("step", "config", "history")  # what resuming reads from it
PATTERN = re.compile(r"^step_(\d{8})\.ckpt$")
KEEP_LAST = 3  # older checkpoints are deleted; a 40 M-parameter model with Adam takes ~0.5 GB per file


class CheckpointError(ValueError):
    """A checkpoint that cannot be read (truncated, corrupt, not written by course_lib.train, from another
    run) or a checkpoint folder that cannot be used (not writable, in use by another run)."""


class RunLock:
    """``with RunLock(ckpt_dir):`` - the folder's exclusive lock for one run (POSIX ``flock``; released when
    the process ends, even by SIGKILL). Raises :class:`CheckpointError` if another process holds it or the
    folder cannot be written."""

    def __init__(self, ckpt_dir):
        self.folder = Path(ckpt_dir)
        self._fd = None

    def __enter__(self):
        path = self.folder / ".lock"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():  # O_NOFOLLOW below refuses it too; this names the problem
                raise CheckpointError(f"{path} is a symbolic link (to {os.readlink(path)}); the run lock is never "
                                      "written through a link: delete the link or choose another --ckpt-dir")  # fmt: skip
            # O_NOFOLLOW: a link put there after the check is refused too, never followed (its target kept)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as e:
            raise CheckpointError(
                f"cannot write checkpoints in {self.folder} ({e.strerror}); choose a folder you can write to"
            ) from None
        import stat

        info = os.fstat(self._fd)
        if (
            not stat.S_ISREG(info.st_mode) or info.st_nlink > 1
        ):  # a FIFO, a device, a hard link to another file
            os.close(self._fd)
            self._fd = None
            what = (
                "is not a regular file"
                if not stat.S_ISREG(info.st_mode)
                else "is a hard link to another file"
            )
            raise CheckpointError(f"{path} {what}; the run lock never writes into it: delete it or choose another "
                                  "--ckpt-dir")  # fmt: skip
        try:
            import fcntl
        except ImportError:  # Windows: no flock; runs are not protected from each other there
            return self
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(self._fd)
            self._fd = None
            raise CheckpointError(
                f"another run (process {other}) is writing checkpoints in {self.folder}; wait for it to end "
                "or give this run another checkpoint folder"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc):
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def checkpoint_path(ckpt_dir, step: int) -> Path:
    return Path(ckpt_dir) / f"step_{step:08d}.ckpt"


def list_checkpoints(ckpt_dir) -> List[Tuple[int, Path]]:
    """``(step, path)`` of every checkpoint in ``ckpt_dir``, oldest first (temporary files ignored)."""
    folder = Path(ckpt_dir)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := PATTERN.match(p.name))]
    return sorted(found)


def latest_checkpoint(ckpt_dir) -> Optional[Path]:
    found = list_checkpoints(ckpt_dir)
    return found[-1][1] if found else None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(cell, path: Path, append_dict=None) -> None:
    """MindSpore checkpoint with CRC to a temporary name in the same folder, fsync, rename, fsync folder."""
    import mindspore as ms

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp{os.getpid()}_{path.name}")  # same folder: os.replace stays atomic
    if tmp.is_symlink() or tmp.exists():  # left over, or a link planted there: never written through
        tmp.unlink()
    try:
        ms.save_checkpoint(cell, str(tmp), append_dict=append_dict, crc_check=True)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(path.parent)  # make the rename itself durable


def save_weights(cell, path) -> Path:
    """Write ``cell``'s parameters to ``path`` (a MindSpore ``.ckpt`` with CRC) atomically; refuse NaN/inf.

    Raises:
        FloatingPointError: a parameter holds NaN or infinity (nothing is written).
    """
    path = Path(path)
    check_finite(cell, f"refusing to save {path}")
    _write_atomically(cell, path)
    return path


def check_finite(cell, what: str) -> None:
    """Raise ``FloatingPointError`` naming the first parameter of ``cell`` that holds NaN or infinity."""
    import numpy as np

    for p in cell.get_parameters():
        if not np.isfinite(p.asnumpy()).all():
            raise FloatingPointError(
                f"{what}: parameter {p.name} holds NaN or infinity (the last update diverged); lower the "
                "learning rate or set a gradient clip"
            )


def check_finite_params(params: dict, source) -> None:
    """Raise ``CheckpointError`` naming the first float tensor of ``params`` ({name: Parameter, Tensor or
    ndarray}) read from ``source`` that holds NaN or infinity: such weights would run silently to a black
    or garbage image."""
    import numpy as np

    for name, value in params.items():
        a = value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            bad = int(a.size - np.isfinite(a).sum())
            raise CheckpointError(f"{source}: tensor {name} holds NaN or infinity ({bad} of {a.size} values); "
                                  "the file is damaged or its training diverged: use other weights")  # fmt: skip


def save_checkpoint(cell, path, meta: dict, keep_last: Optional[int] = KEEP_LAST) -> Path:
    """Write ``cell``'s parameters and ``meta`` (JSON-serialisable) to ``path`` atomically.

    Then delete all but the ``keep_last`` newest checkpoints of the folder (None keeps all). Raises
    ``FloatingPointError`` (and writes nothing) when a parameter is NaN or infinite.
    """
    path = Path(path)
    check_finite(cell, f"refusing to save checkpoint {path}")
    _write_atomically(cell, path, {META_KEY: json.dumps(meta)})
    for stale in path.parent.glob(".tmp*_step_*.ckpt"):  # left by a process killed while writing
        if not stale.name.startswith(f".tmp{os.getpid()}_"):
            stale.unlink(missing_ok=True)
    if keep_last:
        for _, old in list_checkpoints(path.parent)[:-keep_last]:
            old.unlink()
    return path


def load_checkpoint(path) -> Tuple[dict, dict]:
    """``(parameters, meta)`` from a checkpoint written by :func:`save_checkpoint`.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: the file is truncated or corrupt, or has no course_lib metadata.
    """
    import mindspore as ms

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if not os.access(path, os.R_OK):
        raise CheckpointError(f"checkpoint {path} cannot be read (permission denied); fix its permissions "
                              f"(chmod u+r {path})")  # fmt: skip
    try:
        params = ms.load_checkpoint(str(path), crc_check=True)
    except Exception as e:
        raise CheckpointError(
            f"checkpoint {path} is truncated or corrupt ({e}); delete it to resume from an earlier one"
        ) from None
    if META_KEY not in params:
        raise CheckpointError(
            f"checkpoint {path} was not written by course_lib.train (no {META_KEY!r} entry)"
        )
    try:
        meta = json.loads(str(params.pop(META_KEY)))
    except ValueError:
        meta = None
    missing = [k for k in META_KEYS if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise CheckpointError(f"checkpoint {path}: its {META_KEY!r} entry lacks {', '.join(missing)} (not "
                              "written by this course_lib.train, or edited); resume from another checkpoint "
                              "or start a new run in another folder")  # fmt: skip
    if not isinstance(meta["step"], int) or isinstance(meta["step"], bool) or meta["step"] < 0:
        raise CheckpointError(f"checkpoint {path}: its step {meta['step']!r} is not a step count")
    if not isinstance(meta["config"], dict) or not isinstance(meta["history"], dict):
        raise CheckpointError(f"checkpoint {path}: its {META_KEY!r} entry is malformed (config and history "
                              "must be objects); resume from another checkpoint")  # fmt: skip
    check_finite_params(params, f"checkpoint {path}")
    return params, meta
