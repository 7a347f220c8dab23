"""A penalty on the faint stripes and checkerboards that stride-2 layers leave in flat regions.

Stride-2 convolutions and PixelShuffle(2) give each pixel one of four parities (row even or odd, column even
or odd) and can treat the four differently (Odena, Dumoulin, Olah, "Deconvolution and Checkerboard
Artifacts", Distill 2016). Where the input is flat (dense smoke, a clear sky) this shows as a pattern of
period 2 with a fixed phase, often well under one grey level: a per-pixel L1 hardly sees it, yet it is all
of the output's energy at the highest spatial frequencies (:mod:`course_lib.no_reference`).

The error ``E = output - target`` is split into 2x2 blocks; each block's three Haar detail coefficients
measure how much it alternates between rows, between columns and diagonally:

    D_rows = (a + b - c - d) / 4,  D_cols = (a - b + c - d) / 4,  D_diag = (a - b - c + d) / 4

(``a b`` the block's top row, ``c d`` its bottom row). Averaged over windows of ``window`` x ``window``
pixels, texture (whose phase is random) averages out and a fixed-phase pattern stays:

    loss = mean over windows, the three coefficients and the channels of | mean_{blocks in window} D |

Shapes: ``output`` and ``target`` (N, C, H, W) float32, any range; H and W multiples of ``window``.
"""

from __future__ import annotations

from mindspore import ops

WINDOW = 32  # pixels: 5 x 5 windows in a 160-px crop


def stride_pattern_error(output, target, window: int = WINDOW):
    """The mean size of the error's period-2 pattern with a fixed phase (module docstring); a scalar >= 0.

    output, target: (N, C, H, W); ``window`` even, dividing H and W.
    """
    if window < 2 or window % 2:
        raise ValueError(f"window must be an even number of pixels >= 2, got {window}")
    h, w = output.shape[-2:]
    if h % window or w % window:
        raise ValueError(f"H and W ({h}, {w}) must be multiples of window={window}")
    e = output - target
    a, b = e[:, :, 0::2, 0::2], e[:, :, 0::2, 1::2]
    c, d = e[:, :, 1::2, 0::2], e[:, :, 1::2, 1::2]
    details = ops.cat([a + b - c - d, a - b + c - d, a - b - c + d], axis=1) / 4  # (N, 3C, H/2, W/2)
    k = window // 2
    return ops.mean(ops.abs(ops.avg_pool2d(details, kernel_size=k, stride=k)))
