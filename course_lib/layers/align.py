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
brackets move by a few pixels, so every shift up to ``max_shift`` is tried, at full-resolution precision (on
large frames the bits are compared on a grid of rows and columns). This is the alignment that OpenCV's
``AlignMTB`` and most HDR tools run before merging.
"""

from __future__ import annotations

import math

import mindspore as ms
import numpy as np
from mindspore import nn, ops

NOISE = 4.0 / 255.0  # Ward's exclusion band around the median
SEARCH_PIXELS = 512 * 512  # the bits compared per image at most (memory: shifts x this, 49 x 1 MB at m = 3)


def search_stride(height: int, width: int) -> int:
    """Every how many rows and columns the bits are compared: 1 up to SEARCH_PIXELS pixels, then more."""
    return max(1, math.ceil(math.sqrt(height * width / SEARCH_PIXELS)))


def candidate_shifts(max_shift: int):
    """Every ``(dy, dx)`` with ``|dy|, |dx| <= max_shift``, the smallest first (so a tie keeps the smaller)."""
    span = range(-max_shift, max_shift + 1)
    return sorted(((dy, dx) for dy in span for dx in span), key=lambda s: (max(abs(s[0]), abs(s[1])), s))


class GlobalShiftAlign(nn.Cell):
    """``align(frame (N, C, H, W), reference (N, C, H, W)) -> frame moved onto the reference``.

    Both in [0, 1]; the first three channels (the LDR image) are read for the bitmaps, all ``C`` channels
    are moved. One integer shift per image of the batch, up to ``max_shift`` pixels each way; H and W must
    exceed ``2 * max_shift``. No gradient flows through the choice (it has no parameters).

    The search moves the bitmaps by convolutions with one-hot kernels (a kernel whose only 1 sits
    ``(dy, dx)`` from its centre) of the edge-padded maps: one convolution with a stack of such kernels tries
    all the shifts at once. The chosen shift is applied by gathering rows, then columns, at indices clipped to
    the frame (the edge repeated). On frames larger than :data:`SEARCH_PIXELS` the bits are compared on a
    grid of every ``s``-th row and column (a strided convolution: the shifts keep full-resolution precision),
    so that the search's memory stays bounded on a 40-megapixel photo.
    """

    def __init__(self, max_shift: int = 3):
        super().__init__()
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 1:
            raise ValueError(f"max_shift must be a whole number of pixels >= 1, got {max_shift!r}")
        self.max_shift = max_shift
        self.shifts = candidate_shifts(max_shift)
        size = 2 * max_shift + 1
        kernels = np.zeros((len(self.shifts), 1, size, size), np.float32)
        for k, (dy, dx) in enumerate(self.shifts):  # out[y, x] = padded[y + m - dy, x + m - dx]
            kernels[k, 0, max_shift - dy, max_shift - dx] = 1.0
        self.kernels = ms.Tensor(kernels)
        self.shift_y = ms.Tensor([dy for dy, _ in self.shifts], ms.int32)
        self.shift_x = ms.Tensor([dx for _, dx in self.shifts], ms.int32)

    def macs(self, inputs, output) -> int:
        """Multiply-adds of one call, for :func:`course_lib.metrics.count_macs`: the two convolutions that try
        every shift (a bitwise implementation of Ward's search would need about two bit operations per shift and
        compared pixel instead); moving the frame is a gather, no arithmetic."""
        n, _, h, w = inputs[0].shape
        taps, s = (2 * self.max_shift + 1) ** 2, search_stride(h, w)
        return int(n * taps * 2 * len(self.shifts) * math.ceil(h / s) * math.ceil(w / s))

    def bitmaps(self, x):
        """(N, C, H, W) -> the median threshold bitmap and the trusted bits, each (N, 1, H, W) float 0/1."""
        grey = ops.mean(x[:, 0:3], axis=1, keep_dims=True)
        n = grey.shape[0]
        median = ops.reshape(ops.median(ops.reshape(grey, (n, -1)), axis=-1)[0], (n, 1, 1, 1))  # the lower one
        return ops.cast(grey > median, ms.float32), ops.cast(ops.abs(grey - median) > NOISE, ms.float32)

    def construct(self, frame, reference):
        m = self.max_shift
        n, c, h, w = frame.shape
        bits, trusted = self.bitmaps(frame)
        ref_bits, ref_trusted = self.bitmaps(reference)
        s = search_stride(h, w)  # compare the bits at rows and columns 0, s, 2s, ...
        moved_bits = ops.conv2d(ops.pad(bits, (m, m, m, m), mode="replicate"), self.kernels, stride=s)
        moved_trusted = ops.conv2d(ops.pad(trusted, (m, m, m, m), mode="replicate"), self.kernels, stride=s)
        if s > 1:
            ref_bits, ref_trusted = ref_bits[:, :, ::s, ::s], ref_trusted[:, :, ::s, ::s]
        differ = ops.abs(moved_bits - ref_bits) * moved_trusted * ref_trusted  # (N, K, ceil(H/s), ceil(W/s))
        top, bottom = -(-m // s), -(-(h - m) // s)  # the samples at least m pixels from every edge
        left, right = -(-m // s), -(-(w - m) // s)
        errors = ops.sum(differ[:, :, top:bottom, left:right], dim=(2, 3))  # (N, K)
        best = ops.argmin(errors, axis=1)  # the first of the least errors: the smallest such shift
        dy, dx = ops.gather(self.shift_y, best, 0), ops.gather(self.shift_x, best, 0)  # (N,)
        rows = ops.clamp(ops.arange(0, h, dtype=ms.int32)[None, :] - dy[:, None], 0, h - 1)  # (N, H)
        out = ops.gather_elements(frame, 2, ops.broadcast_to(ops.reshape(rows, (n, 1, h, 1)), (n, c, h, w)))
        cols = ops.clamp(ops.arange(0, w, dtype=ms.int32)[None, :] - dx[:, None], 0, w - 1)  # (N, W)
        out = ops.gather_elements(out, 3, ops.broadcast_to(ops.reshape(cols, (n, 1, 1, w)), (n, c, h, w)))
        return ops.stop_gradient(out)
