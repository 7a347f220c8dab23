"""Adaptive mixup: a learned, sigmoid-bounded blend of two feature maps (AECR-Net, Wu et al., CVPR 2021).

Instead of adding (or concatenating) a skip connection, AECR-Net blends the shallow features
of the down-sampling path into the deep ones,

    out = sigmoid(w) * a + (1 - sigmoid(w)) * b,

with one learnable scalar ``w`` per mixup (stored as ``w``, not as the factor, so the factor always
stays in (0, 1)). The official code (``Mix`` in models/AECRNet.py) starts the two mixups at w = -1
(factor 0.269) and w = -0.6 (factor 0.354): the deep path dominates at the start.
"""

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

MIX1_INIT = -1.0  # official init of the mixup after the DFE module (down3 features vs DCN output)
MIX2_INIT = -0.6  # official init of the mixup after up1 (down2 features vs up1 output)


class AdaptiveMixup(nn.Cell):
    """out = sigmoid(w) * a + (1 - sigmoid(w)) * b with a learnable scalar w (one parameter, shape (1,)).

    Args:
        init: initial w (official: -1 for the first mixup, -0.6 for the second).

    a, b: tensors of the same shape; ``factor()`` returns sigmoid(w).
    """

    def __init__(self, init=MIX1_INIT):
        super().__init__()
        self.w = Parameter(Tensor(np.array([init], dtype=np.float32)), name="w")

    def factor(self):
        return ops.sigmoid(self.w)

    def construct(self, a, b):
        m = ops.sigmoid(self.w)
        return a * m + b * (1 - m)
