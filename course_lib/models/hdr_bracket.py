"""One tensor in, one out: an HDR network that takes three 6-channel frames, fed from a 9-channel bracket.

The course's data, its ``predict`` and ``fit`` pass one image tensor; an HDR bracket is the three LDR frames
stacked on channels, ``(N, 9, H, W)`` = short | medium | long (:mod:`course_lib.data.hdr`). This wrapper
makes each frame's HDR-domain version inside the graph, ``[LDR_k, LDR_k^2.2 / t_k]`` with ``t_k = 2^EV_k``
(AHDRNet, Yan et al. CVPR 2019, Sec. 3.1), and calls ``net(x1, x2, x3)``.
"""

from __future__ import annotations

from typing import Sequence

from mindspore import nn, ops

from ..data.hdr import EVS, GAMMA


class BracketInput(nn.Cell):
    """``BracketInput(net)(stack (N, 9, H, W) in [0, 1]) -> net(x1, x2, x3)``, each ``x_k`` ``(N, 6, H, W)``.

    ``net`` returns the linear HDR estimate ``(N, 3, H, W)`` in [0, 1] (normalised as the targets).
    """

    def __init__(self, net: nn.Cell, evs: Sequence[float] = EVS):
        super().__init__(auto_prefix=False)  # parameter names stay the inner network's
        self.net = net
        self.inv_times = tuple(float(2.0 ** (-ev)) for ev in evs)

    def hdr_inputs(self, stack):
        frames = ops.split(stack, 3, axis=1)
        return tuple(
            ops.cat([f, ops.pow(ops.clamp(f, 1e-8, 1.0), GAMMA) * t], axis=1)
            for f, t in zip(frames, self.inv_times)
        )

    def construct(self, stack):
        x1, x2, x3 = self.hdr_inputs(stack)
        return self.net(x1, x2, x3)
