"""Sample inputs for the command line: ``python -m course_lib samples DIR``.

Every picture is made from the bundled held-out photos (scikit-image's coffee and chelsea, CC0; never
trained on) with the course's own degradations, at the fixed settings of :mod:`course_lib.data.heldout`,
so scoring the course weights on them is fair and every run writes the same files::

    DIR/hazy.png                   coffee under uniform haze (mean transmission 0.4, airlight 0.85)
    DIR/hazy_nonhomogeneous.png    coffee under uneven, slightly tinted haze (NH-HAZE-like, t 0.45)
    DIR/low_light.png              coffee under-exposed with sensor noise (exposure 0.2, gamma 2)
    DIR/low_res.png                coffee shrunk 2x by MATLAB bicubic (for x2 super-resolution)
    DIR/bracket/short.png          coffee as an exposure bracket at -2, 0, +2 EV (noisy, not moved)
    DIR/bracket/medium.png
    DIR/bracket/long.png
    DIR/haze_pairs/lq/*.png        both photos under both hazes (4 pairs) for ``evaluate --data``
    DIR/haze_pairs/gt/*.png

All are 8-bit PNGs, about 320 pixels on the longer side. Nothing existing is overwritten and nothing is
written through a symbolic link: a name that exists already stops the command before it writes anything.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Dict

import numpy as np

SUBFOLDERS = ("bracket", "haze_pairs", "haze_pairs/lq", "haze_pairs/gt")


class SamplesError(ValueError):
    """The folder cannot take the samples (a name exists already, a link, a file in the way)."""


def _png(img: np.ndarray) -> bytes:
    """``(H, W, 3)`` float in [0, 1] -> 8-bit PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _safe_name(name: str) -> str:
    return name.replace(" ", "_")


def sample_images() -> Dict[str, np.ndarray]:
    """``{relative path: (H, W, 3) float32 image in [0, 1]}`` of every sample, in the order written."""
    from .data import heldout
    from .data.hdr import frames_of

    uniform, nonhomogeneous = heldout.haze_homogeneous(), heldout.haze_nonhomogeneous()
    images = {
        "hazy.png": uniform[0][1],
        "hazy_nonhomogeneous.png": nonhomogeneous[0][1],
        "low_light.png": heldout.low_light()[0][1],
        "low_res.png": heldout.super_resolution(2)[0][1],
    }
    short, medium, long = frames_of(heldout.hdr_brackets()[0][1])
    images.update({"bracket/short.png": short, "bracket/medium.png": medium, "bracket/long.png": long})
    for name, lq, gt in uniform[::2] + nonhomogeneous[::2]:  # (coffee, chelsea) at the first level of each
        images[f"haze_pairs/lq/{_safe_name(name)}.png"] = lq
        images[f"haze_pairs/gt/{_safe_name(name)}.png"] = gt
    return images


def _check_target(folder: Path, relative_paths) -> None:
    """Refuse before writing anything: a file where a folder goes, a link, or an existing sample name."""
    for sub in ("",) + SUBFOLDERS:
        d = folder / sub
        if sub and d.is_symlink():
            raise SamplesError(f"{d} is a symbolic link; samples are never written through links: "
                               "choose another folder")  # fmt: skip
        if d.exists() and not d.is_dir():
            raise SamplesError(f"{d} is a file, not a folder; choose another folder for the samples")
    for rel in relative_paths:
        path = folder / rel
        if path.exists() or path.is_symlink():
            raise SamplesError(f"{path} exists already; samples never overwrite files: choose a new folder "
                               "or delete the old samples first")  # fmt: skip


def write_samples(folder) -> list:
    """Write the samples into ``folder`` (created if missing); returns the written paths.

    Raises:
        SamplesError: a sample's name exists already in ``folder``, a subfolder is a symbolic link, or a
            file stands where a folder goes (nothing is written then).
    """
    folder = Path(folder)
    if str(folder).strip() == "":
        raise SamplesError("the samples folder is empty text; give a folder name, e.g. samples")
    images = sample_images()
    _check_target(folder, images)
    for sub in ("",) + SUBFOLDERS:
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _check_target(folder, images)  # again: a link put in place while the images were made
    written = []
    for rel, img in images.items():
        path = folder / rel
        # O_EXCL: fails on any existing name, a dangling link included, so nothing is written through one
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(_png(img))
        written.append(path)
    return written
