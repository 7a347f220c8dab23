"""Global alignment of differently exposed frames: Ward's median threshold bitmaps (MTB), inside the graph.

A hand-held bracket moves between exposures. Ward (2003, "Fast, robust image registration for compositing
high dynamic range photographs from hand-held exposures", Journal of Graphics Tools 8(2)) aligns such frames
without knowing the camera curve: threshold each frame's grey image at its own **median**, so that a frame
four times darker gives the same bitmap where nothing is clipped, and find the integer shift that minimises
the number of differing bits::

    b_k = grey_k > median(grey_k)                      the median threshold bitmap
    e_k = |grey_k - median(grey_k)| > 4/255            bits too close to the median to trust (noise)
    err(dy, dx) = sum over the interior of  (shift(b_k) XOR b_ref) AND shift(e_k) AND e_ref

The shift with the least error wins (ties: the smaller shift); the frame is moved by it with its edge
pixels repeated (:func:`course_lib.data.hdr.shift`). Ward searches a pyramid for large shifts; the course's
brackets move by a few pixels, so every shift up to ``max_shift`` is tried at full resolution. This is the
alignment that OpenCV's ``AlignMTB`` and most HDR tools run before merging.
"""

from __future__ import annotations

import mindspore as ms
from mindspore import nn, ops

NOISE = 4.0 / 255.0  # Ward's exclusion band around the median


def candidate_shifts(max_shift: int):
    """Every ``(dy, dx)`` with ``|dy|, |dx| <= max_shift``, the smallest first (so a tie keeps the smaller)."""
    span = range(-max_shift, max_shift + 1)
    return sorted(((dy, dx) for dy in span for dx in span), key=lambda s: (max(abs(s[0]), abs(s[1])), s))


class GlobalShiftAlign(nn.Cell):
    """``align(frame (N, C, H, W), reference (N, C, H, W)) -> frame moved onto the reference``.

    Both in [0, 1]; the first three channels (the LDR image) are read for the bitmaps, all ``C`` channels
    are moved. One integer shift per image of the batch, up to ``max_shift`` pixels each way; H and W must
    exceed ``2 * max_shift``. No gradient flows through the choice (it has no parameters).
    """

    def __init__(self, max_shift: int = 3):
        super().__init__()
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 1:
            raise ValueError(f"max_shift must be a whole number of pixels >= 1, got {max_shift!r}")
        self.max_shift = max_shift
        self.shifts = candidate_shifts(max_shift)

    def bitmaps(self, x):
        """(N, C, H, W) -> the median threshold bitmap and the trusted bits, each (N, 1, H, W) float 0/1."""
        grey = ops.mean(x[:, 0:3], axis=1, keep_dims=True)
        n = grey.shape[0]
        flat = ops.reshape(grey, (n, -1))
        median = ops.sort(flat, axis=-1)[0][:, flat.shape[1] // 2 : flat.shape[1] // 2 + 1]
        median = ops.reshape(median, (n, 1, 1, 1))
        return ops.cast(grey > median, ms.float32), ops.cast(ops.abs(grey - median) > NOISE, ms.float32)

    def moved(self, padded, dy: int, dx: int, h: int, w: int):
        """The (H, W) window of an edge-padded map that is the original moved by (dy, dx) (down, right)."""
        m = self.max_shift
        return padded[:, :, m - dy : m - dy + h, m - dx : m - dx + w]

    def construct(self, frame, reference):
        m = self.max_shift
        h, w = frame.shape[2], frame.shape[3]
        bits, trusted = self.bitmaps(frame)
        ref_bits, ref_trusted = self.bitmaps(reference)
        maps = ops.pad(ops.concat((bits, trusted), axis=1), (m, m, m, m), mode="replicate")
        errors = []
        for dy, dx in self.shifts:
            moved = self.moved(maps, dy, dx, h, w)
            differ = ops.abs(moved[:, 0:1] - ref_bits) * moved[:, 1:2] * ref_trusted
            errors.append(ops.sum(differ[:, :, m : h - m, m : w - m], dim=(1, 2, 3)))
        best = ops.argmin(ops.stack(errors, axis=1), axis=1)  # (N,): the first of the least errors
        choice = ops.one_hot(best, len(self.shifts), ms.Tensor(1.0, ms.float32), ms.Tensor(0.0, ms.float32))
        padded = ops.pad(frame, (m, m, m, m), mode="replicate")
        out = ops.zeros_like(frame)
        for k, (dy, dx) in enumerate(self.shifts):
            out = out + ops.reshape(choice[:, k], (-1, 1, 1, 1)) * self.moved(padded, dy, dx, h, w)
        return ops.stop_gradient(out)
