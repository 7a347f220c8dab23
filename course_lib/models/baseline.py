"""The smallest restoration network: three convolutions that learn a residual.

It proves the training loop and the command line before any method of the course is built, and it is
the reference point every method must beat. Like VDSR (Kim et al., CVPR 2016), it predicts the
difference between the degraded and the clean image (a global skip connection)::

    y = x + conv_last(relu(conv_body(relu(conv_first(x)))))

All convolutions are 3 x 3 with padding 1, so any input size works (no padding multiple).
Shapes: input ``(N, 3, H, W)`` float32 in [0, 1], output ``(N, 3, H, W)`` (not clipped).
"""

from __future__ import annotations

from mindspore import nn, ops


class BaselineCNN(nn.Cell):
    """Residual CNN: conv_first -> ReLU -> conv_body -> ReLU -> conv_last, plus the input.

    Args:
        in_channels: image channels (3).
        num_feat: feature channels of the hidden layers (16: ~2.8 k parameters, trains in seconds on CPU).
    """

    def __init__(self, in_channels: int = 3, num_feat: int = 16):
        super().__init__()
        conv = lambda cin, cout: nn.Conv2d(cin, cout, 3, pad_mode="pad", padding=1, has_bias=True)  # noqa: E731
        self.conv_first = conv(in_channels, num_feat)
        self.conv_body = conv(num_feat, num_feat)
        self.conv_last = conv(num_feat, in_channels)
        self.relu = nn.ReLU()

    def construct(self, x):
        residual = self.conv_last(self.relu(self.conv_body(self.relu(self.conv_first(x)))))
        return x + residual  # global skip: the network learns only the correction


def baseline(in_channels: int = 3, num_feat: int = 16) -> BaselineCNN:
    """Build the baseline network (the registry's builder)."""
    return BaselineCNN(in_channels, num_feat)


def l1_loss(net, batch):
    """Mean absolute error ``mean |net(lq) - gt|``; ``batch = (lq, gt)`` of ``(N, 3, H, W)`` Tensors."""
    lq, gt = batch
    return ops.abs(net(lq) - gt).mean()


def l1_loss_fn():
    """The registry's loss factory: returns :func:`l1_loss`."""
    return l1_loss
