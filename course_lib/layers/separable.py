"""Depthwise-separable convolution: a per-channel 3x3 conv, then a 1x1 conv that mixes channels.

Howard et al., "MobileNets" (arXiv 1704.04861), Sec. 3.1. A standard k x k conv from C_in to C_out
channels costs k*k*C_in*C_out multiply-adds per pixel; the separable pair costs k*k*C_in + C_in*C_out,
about 8-9x less for k = 3 and 32 channels. Zero-DCE++ (Li et al., TPAMI 2021, arXiv 2103.00860) replaces
every conv of DCE-Net by this pair (the official ``CSDN_Tem`` module), which brings the parameters from
79,416 to 10,561.

Both convs carry a bias and there is no activation between them, as in the official code. The
sub-layers are named ``depth_conv`` and ``point_conv`` so the official weight names
(``e_conv1.depth_conv.weight``, ...) map one-to-one.
"""

from mindspore import nn

__all__ = ["SeparableConv2d"]


class SeparableConv2d(nn.Cell):
    """Depthwise k x k (groups = in_channels, bias) then pointwise 1x1 (bias); stride 1, 'same' padding.

    in_channels, out_channels: channel counts; kernel_size: odd int (3 in Zero-DCE++).
    Call: (N, in_channels, H, W) -> (N, out_channels, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
        self.depth_conv = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            pad_mode="pad",
            padding=kernel_size // 2,
            group=in_channels,
            has_bias=True,
        )
        self.point_conv = nn.Conv2d(in_channels, out_channels, 1, pad_mode="valid", has_bias=True)

    def construct(self, x):
        return self.point_conv(self.depth_conv(x))
