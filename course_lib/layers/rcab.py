"""RCAN's residual channel-attention blocks: the super-resolution branch of SRKTDN (no upsampling here).

Zhang et al., "Image Super-Resolution Using Very Deep Residual Channel Attention Networks" (RCAN, ECCV 2018,
arXiv 1807.02758):

* **RCAB** (paper Eq. 12): X + CA(conv3x3(ReLU(conv3x3(X)))), CA the squeeze-and-excitation channel
  attention sigmoid(W_U ReLU(W_D mean_hw(X))) with a C -> C/r -> C bottleneck (Eq. 9-11);
* **residual group**: ``n_blocks`` RCABs and a conv3x3, plus the group's input (short skip, Eq. 6-7);
* **RCAN features**: head conv3x3 3 -> C, ``n_groups`` residual groups and a conv3x3, plus the head's
  output (long skip). SRKTDN and the NTIRE 2021 two-branch network (liuh127/Two-branch-dehazing,
  ``rcan``) run it at full resolution as a detail branch: 5 groups x 10 RCABs, C = 32, r = 8. Their
  ``tail`` conv C -> 3 is built but never called; ``unused_tail=True`` keeps it so official checkpoints load
  name for name (its 867 parameters are in the official count).

Names follow the official code (``head.0``, ``body.g.body.b.body.{0,2}``, ``...body.3.conv_du.{0,2}``).
Shapes: (N, 3, H, W) -> (N, C, H, W), any H, W.
"""

from mindspore import nn


def conv3x3(in_channels, out_channels):
    return nn.Conv2d(in_channels, out_channels, 3, pad_mode="pad", padding=1, has_bias=True)


class SqueezeExcite(nn.Cell):
    """RCAN's channel attention: x * sigmoid(W_U ReLU(W_D mean_hw(x))) (Eq. 9-11)."""

    def __init__(self, channels, reduction=8):
        super().__init__()
        self.conv_du = nn.SequentialCell(nn.Conv2d(channels, channels // reduction, 1, has_bias=True), nn.ReLU(),
                                         nn.Conv2d(channels // reduction, channels, 1, has_bias=True), nn.Sigmoid())  # fmt: skip

    def construct(self, x):
        return x * self.conv_du(x.mean(axis=(2, 3), keep_dims=True))


class RCAB(nn.Cell):
    """Residual channel-attention block (Eq. 12): x + CA(conv(ReLU(conv(x)))); shape preserved."""

    def __init__(self, channels, reduction=8):
        super().__init__()
        self.body = nn.SequentialCell(conv3x3(channels, channels), nn.ReLU(), conv3x3(channels, channels),
                                      SqueezeExcite(channels, reduction))  # fmt: skip

    def construct(self, x):
        return self.body(x) + x


class ResidualGroup(nn.Cell):
    """``n_blocks`` RCABs and a conv3x3, plus the input (short skip connection)."""

    def __init__(self, channels, n_blocks, reduction=8):
        super().__init__()
        self.body = nn.SequentialCell([RCAB(channels, reduction) for _ in range(n_blocks)]
                                      + [conv3x3(channels, channels)])  # fmt: skip

    def construct(self, x):
        return self.body(x) + x


class RCANFeatures(nn.Cell):
    """RCAN body without upsampling: (N, 3, H, W) -> (N, channels, H, W) = body(head(x)) + head(x)."""

    def __init__(self, channels=32, n_groups=5, n_blocks=10, reduction=8, unused_tail=False):
        super().__init__()
        self.head = nn.SequentialCell(conv3x3(3, channels))
        self.body = nn.SequentialCell([ResidualGroup(channels, n_blocks, reduction) for _ in range(n_groups)]
                                      + [conv3x3(channels, channels)])  # fmt: skip
        if unused_tail:  # official layout only: never called
            self.tail = nn.SequentialCell(conv3x3(channels, 3))
        self.channels = channels

    def construct(self, x):
        feat = self.head(x)
        return self.body(feat) + feat
