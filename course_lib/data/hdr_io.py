"""Radiance ``.hdr`` (RGBE) files: write and read linear HDR images without extra dependencies.

Format (Greg Ward, "Real Pixels", Graphics Gems II, 1991): a text header (``#?RADIANCE``,
``FORMAT=32-bit_rle_rgbe``, a blank line, ``-Y H +X W``), then each pixel as 4 bytes ``R G B E`` with
``value_c = (byte_c + 0.5) / 256 * 2^(E - 128)`` (E = 0: black). Pixels are written flat (no run-length
encoding), which every reader accepts; :func:`load_hdr` reads flat files and the new-style RLE scanlines
other programs write.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .images import ImageError


def to_rgbe(img: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` linear values >= 0 -> ``(H, W, 4)`` uint8 RGBE (shared exponent of the largest channel)."""
    a = np.asarray(img, np.float64)
    if a.ndim != 3 or a.shape[-1] != 3 or a.min() < 0 or not np.isfinite(a).all():
        raise ImageError(f"an HDR image is (H, W, 3) with finite values >= 0, got shape {a.shape}")
    top = a.max(axis=-1)
    mantissa, exponent = np.frexp(top)  # top = mantissa * 2^exponent, mantissa in [0.5, 1)
    scale = np.where(top > 1e-32, mantissa * 256.0 / np.maximum(top, 1e-300), 0.0)
    rgbe = np.zeros(a.shape[:2] + (4,), np.uint8)
    rgbe[..., :3] = np.clip(np.floor(a * scale[..., None]), 0, 255)
    rgbe[..., 3] = np.where(top > 1e-32, exponent + 128, 0)
    return rgbe


def from_rgbe(rgbe: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` uint8 RGBE -> ``(H, W, 3)`` float32 linear values."""
    e = rgbe[..., 3].astype(np.int32)
    factor = np.where(e > 0, np.ldexp(1.0, e - 136), 0.0)  # 2^(E - 128) / 256
    return ((rgbe[..., :3].astype(np.float64) + 0.5) * factor[..., None]).astype(np.float32)


def save_hdr(path, img: np.ndarray) -> None:
    """Write ``img`` ``(H, W, 3)`` (linear, >= 0) as a flat Radiance ``.hdr`` file."""
    rgbe = to_rgbe(img)
    h, w = rgbe.shape[:2]
    header = f"#?RADIANCE\n# written by course_lib\nFORMAT=32-bit_rle_rgbe\n\n-Y {h} +X {w}\n".encode("ascii")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(header + rgbe.tobytes())
    except OSError as err:
        raise ImageError(
            f"{path}: cannot write it ({err.strerror or err}); choose a folder you can write to"
        ) from None


def load_hdr(path) -> np.ndarray:
    """Read a Radiance ``.hdr`` file (flat or RLE scanlines, ``-Y H +X W`` orientation) as float32 ``(H, W, 3)``."""
    raw = Path(path).read_bytes()
    end = raw.find(b"\n\n")
    if not raw.startswith(b"#?") or end < 0:
        raise ImageError(f"{path}: not a Radiance .hdr file (no #?RADIANCE header)")
    size_end = raw.index(b"\n", end + 2)
    parts = raw[end + 2 : size_end].split()
    if len(parts) != 4 or parts[0] != b"-Y" or parts[2] != b"+X":
        raise ImageError(f"{path}: unsupported orientation {raw[end + 2 : size_end]!r}; expected -Y H +X W")
    h, w = int(parts[1]), int(parts[3])
    data, pos = raw[size_end + 1 :], 0
    rows = []
    for _ in range(h):
        if 8 <= w < 32768 and data[pos : pos + 2] == b"\x02\x02" and not data[pos + 2] & 0x80:
            pos += 4  # new-style RLE: four channel planes, each runs (count > 128) or literals
            row = np.zeros((4, w), np.uint8)
            for c in range(4):
                x = 0
                while x < w:
                    count = data[pos]
                    pos += 1
                    if count > 128:
                        row[c, x : x + count - 128] = data[pos]
                        x, pos = x + count - 128, pos + 1
                    else:
                        row[c, x : x + count] = np.frombuffer(data, np.uint8, count, pos)
                        x, pos = x + count, pos + count
            rows.append(row.T)
        else:
            rows.append(np.frombuffer(data, np.uint8, 4 * w, pos).reshape(w, 4))
            pos += 4 * w
    return from_rgbe(np.stack(rows))
