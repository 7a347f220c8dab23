"""Radiance ``.hdr`` (RGBE) files: write and read linear HDR images without extra dependencies.

Format (Greg Ward, "Real Pixels", Graphics Gems II, 1991): a text header (``#?RADIANCE``,
``FORMAT=32-bit_rle_rgbe``, a blank line, ``-Y H +X W``), then each pixel as 4 bytes ``R G B E`` with
``value_c = (byte_c + 0.5) / 256 * 2^(E - 128)`` (E = 0: black). Pixels are written flat (no run-length
encoding), which every reader accepts; :func:`load_hdr` reads flat files and the new-style RLE scanlines
other programs write, strictly (see its docstring), refusing sizes above the course's pixel limit
(:func:`course_lib.data.images.max_pixels`, ``$COURSE_MAX_PIXELS``) before decoding.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from .images import ImageError, check_pixels

# The largest value RGBE holds: mantissa byte 255 at exponent byte 255, (255 + 0.5) / 256 * 2^127.
MAX_VALUE = 255.5 / 256 * 2.0**127
_BLOCK = 1 << 16  # pixels converted per step: the float temporaries stay small next to the result


def to_rgbe(img: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` linear values >= 0 -> ``(H, W, 4)`` uint8 RGBE (shared exponent of the largest channel).

    Values below 2^-128 become black (as Radiance writes them); values above :data:`MAX_VALUE` (about
    1.7e38) are refused: the exponent byte cannot hold them."""
    a = np.asarray(img, np.float64)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ImageError(f"an HDR image is (H, W, 3), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ImageError(
            f"the HDR image holds NaN or infinity at {int((~np.isfinite(a)).sum())} value(s); nothing written"
        )
    if a.size and a.min() < 0:
        raise ImageError(
            f"the HDR image holds negative values (down to {a.min():.3g}); radiance is >= 0: clip first"
        )
    top = a.max(axis=-1)
    if top.size and top.max() >= 2.0**127:
        raise ImageError(f"HDR values up to {top.max():.3g} exceed the largest Radiance RGBE value "
                         f"({MAX_VALUE:.3g}); scale the image down before saving")  # fmt: skip
    mantissa, exponent = np.frexp(top)  # top = mantissa * 2^exponent, mantissa in [0.5, 1)
    visible = (top > 0) & (exponent + 128 >= 1)  # values below 2^-128 have no exponent byte: black
    scale = np.where(visible, mantissa * 256.0 / np.maximum(top, 1e-300), 0.0)
    rgbe = np.zeros(a.shape[:2] + (4,), np.uint8)
    rgbe[..., :3] = np.clip(np.floor(a * scale[..., None]), 0, 255)
    rgbe[..., 3] = np.where(visible, exponent + 128, 0)
    return rgbe


def from_rgbe(rgbe: np.ndarray) -> np.ndarray:
    """``(H, W, 4)`` uint8 RGBE -> ``(H, W, 3)`` float32 linear values (exact: ``(byte + 0.5) * 2^(E - 136)``)."""
    flat = rgbe.reshape(-1, 4)
    out = np.empty((flat.shape[0], 3), np.float32)
    for i in range(0, flat.shape[0], _BLOCK):
        block = flat[i : i + _BLOCK]
        e = block[:, 3:].astype(np.int32)
        v = np.ldexp(block[:, :3].astype(np.float32) + np.float32(0.5), e - 136)
        v[np.broadcast_to(e == 0, v.shape)] = 0
        out[i : i + _BLOCK] = v
    return out.reshape(rgbe.shape[:-1] + (3,))


def save_hdr(path, img: np.ndarray) -> None:
    """Write ``img`` ``(H, W, 3)`` (linear, >= 0, below :data:`MAX_VALUE`) as a flat Radiance ``.hdr`` file."""
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


_SIZE = re.compile(rb"^-Y +([0-9]{1,9}) +\+X +([0-9]{1,9})$")
_HEADER_MAX = 1 << 16  # a header line longer than 64 KB is not a Radiance header line
_HEADER_READ = 1 << 20  # nor is a header longer than 1 MB


def _parse_header(path, raw: bytes):
    """``(h, w, exposure (3,), offset of the pixels)`` from a Radiance header (LF or CRLF line ends)."""
    if not raw.startswith(b"#?"):
        raise ImageError(f"{path}: not a Radiance .hdr file (it does not start with #?RADIANCE)")
    pos, exposure, fmt = 0, np.ones(3), None
    while True:
        end = raw.find(b"\n", pos, pos + _HEADER_MAX)
        if end < 0:
            raise ImageError(f"{path}: truncated or not a Radiance .hdr file (no blank line ends the header)")
        line = raw[pos:end].rstrip(b"\r")
        pos = end + 1
        if not line:
            break
        key, _, value = line.partition(b"=")
        try:
            if key == b"FORMAT":
                fmt = value.strip().decode("ascii", "replace")
            elif key == b"EXPOSURE":  # pixel = radiance * EXPOSURE (cumulative); undone below
                exposure *= _positive([value], path, "EXPOSURE")
            elif key == b"COLORCORR":  # per-channel exposure, same rule
                exposure *= _positive(value.split(), path, "COLORCORR", count=3)
        except ValueError as err:
            if isinstance(err, ImageError):
                raise
            raise ImageError(f"{path}: the header line {line[:60]!r} is not a number") from None
    if fmt not in (None, "32-bit_rle_rgbe"):
        what = "CIE XYZ" if fmt == "32-bit_rle_xyze" else "an unknown encoding"
        raise ImageError(f"{path}: FORMAT={fmt} ({what}); course_lib reads 32-bit_rle_rgbe (RGB) only: "
                         "convert the file to RGB")  # fmt: skip
    end = raw.find(b"\n", pos, pos + 64)
    if end < 0:
        raise ImageError(f"{path}: truncated after the header (no resolution line -Y H +X W)")
    m = _SIZE.match(raw[pos:end].rstrip(b"\r").strip())
    if not m:
        raise ImageError(f"{path}: unsupported resolution line {raw[pos:end][:40]!r}; expected -Y H +X W "
                         "(top-to-bottom rows, left-to-right pixels, positive sizes)")  # fmt: skip
    h, w = int(m.group(1)), int(m.group(2))
    check_pixels(path, w, h)
    return h, w, exposure, end + 1


def _positive(values, path, key, count=1) -> np.ndarray:
    v = np.array([float(x) for x in values], np.float64)
    if v.size != count or not np.isfinite(v).all() or (v <= 0).any():
        raise ImageError(f"{path}: {key}= needs {count} positive finite number(s), got {b' '.join(values)!r}")
    return v


def _min_bytes_per_row(w: int) -> int:
    """The fewest bytes a scanline can take: flat 4 w, or new-style RLE (4 header bytes, then per channel
    runs of at most 127 pixels, 2 bytes each)."""
    return min(4 * w, 4 + 8 * math.ceil(w / 127)) if 8 <= w < 32768 else 4 * w


def load_hdr(path) -> np.ndarray:
    """Read a Radiance ``.hdr`` file as float32 ``(H, W, 3)`` radiance (``-Y H +X W``, flat or new-style RLE).

    Follows the Radiance format: ``FORMAT`` must be ``32-bit_rle_rgbe`` (or absent); ``EXPOSURE=`` and
    ``COLORCORR=`` lines are undone (pixel / exposure). Strict: an RLE run past the end of its scanline, a
    zero-length run, truncated pixels or a size above :func:`~course_lib.data.images.max_pixels` (checked
    from the header and from what the file can hold, before decoding) raise ImageError naming the file.
    Peak memory: the file, the RGBE bytes and the float32 result (below 3x the result).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_HEADER_READ)
            h, w, exposure, start = _parse_header(path, head)
            f.seek(start)
            # never more than the largest encoding of h x w pixels (RLE all literals), whatever the file's size
            raw = f.read(h * (4 + 4 * (w + math.ceil(w / 128))))
    except OSError as err:
        raise ImageError(f"{path}: cannot read it ({err.strerror or err})") from None
    data = memoryview(raw)
    if len(data) < h * _min_bytes_per_row(w):
        raise ImageError(f"{path}: truncated: the header declares {w}x{h} pixels, which need at least "
                         f"{h * _min_bytes_per_row(w)} bytes; {len(data)} follow it")  # fmt: skip
    rgbe = np.empty((h, w, 4), np.uint8)
    pos = 0
    for y in range(h):
        if 8 <= w < 32768 and pos + 4 <= len(data) and bytes(data[pos : pos + 2]) == b"\x02\x02" \
                and not data[pos + 2] & 0x80:  # fmt: skip
            if (data[pos + 2] << 8 | data[pos + 3]) != w:
                raise ImageError(f"{path}: scanline {y} declares width {data[pos + 2] << 8 | data[pos + 3]}, "
                                 f"not {w}; the file is damaged")  # fmt: skip
            pos = _read_rle_scanline(path, data, pos + 4, rgbe[y], y)
        else:
            if pos + 4 * w > len(data):
                raise ImageError(f"{path}: truncated at scanline {y} of {h}")
            rgbe[y] = np.frombuffer(data, np.uint8, 4 * w, pos).reshape(w, 4)
            pos += 4 * w
    del raw, data
    out = from_rgbe(rgbe)
    if (exposure != 1).any():
        with np.errstate(over="ignore"):  # overflow is checked just below
            out /= exposure.astype(np.float32)
        if not np.isfinite(out).all():
            raise ImageError(f"{path}: EXPOSURE/COLORCORR {exposure.tolist()} make values overflow float32")
    return out


def _read_rle_scanline(path, data, pos: int, row: np.ndarray, y: int) -> int:
    """Decode one new-style RLE scanline into ``row`` ``(w, 4)``; return the position after it."""
    w, n = row.shape[0], len(data)
    for c in range(4):
        x = 0
        while x < w:
            if pos >= n:
                raise ImageError(f"{path}: truncated inside RLE scanline {y}")
            count = data[pos]
            if count > 128:
                count -= 128
                if x + count > w or pos + 1 >= n:
                    raise ImageError(f"{path}: RLE run of {count} past the end of scanline {y} (at pixel {x} "
                                     f"of {w}); the file is damaged")  # fmt: skip
                row[x : x + count, c] = data[pos + 1]
                pos += 2
            else:
                if count == 0 or x + count > w:
                    raise ImageError(f"{path}: RLE literal of {count} bytes at pixel {x} of {w} in scanline {y}; "
                                     "the file is damaged")  # fmt: skip
                if pos + 1 + count > n:
                    raise ImageError(f"{path}: truncated inside RLE scanline {y}")
                row[x : x + count, c] = np.frombuffer(data, np.uint8, count, pos + 1)
                pos += 1 + count
            x += count
    return pos
