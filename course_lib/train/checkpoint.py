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
gives :class:`CheckpointError` naming it instead of silently wrong weights.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import List, Optional, Tuple

META_KEY = "course_meta"
PATTERN = re.compile(r"^step_(\d{8})\.ckpt$")
KEEP_LAST = 3  # older checkpoints are deleted; a 40 M-parameter model with Adam takes ~0.5 GB per file


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (truncated, corrupt, or not written by course_lib.train)."""


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


def save_checkpoint(cell, path, meta: dict, keep_last: Optional[int] = KEEP_LAST) -> Path:
    """Write ``cell``'s parameters and ``meta`` (JSON-serialisable) to ``path`` atomically.

    Then delete all but the ``keep_last`` newest checkpoints of the folder (None keeps all).
    """
    import mindspore as ms

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp{os.getpid()}_{path.name}")  # same folder: os.replace stays atomic
    ms.save_checkpoint(cell, str(tmp), append_dict={META_KEY: json.dumps(meta)}, crc_check=True)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)  # make the rename itself durable
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
    meta = json.loads(str(params.pop(META_KEY)))
    return params, meta
