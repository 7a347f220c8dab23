"""Two tiny super-resolution networks for the first SR notebook: sub-pixel (ESPCN) vs transposed conv.

ESPCN: Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
Convolutional Neural Network" (CVPR 2016, arXiv 1609.05158). All convolutions run at low resolution;
the last one outputs 3 * r^2 channels and PixelShuffle (Eq. (4)) arranges them into the r-times larger
image. Paper layers: (f1, n1) = (5, 64), (f2, n2) = (3, 32), f3 = 3, tanh activations.

``TransposedConvSR`` is the same network with the last conv + PixelShuffle replaced by one strided
transposed convolution (k x k, stride r). When k is not a multiple of r the kernel footprints overlap
unevenly and the output shows a checkerboard pattern (Odena, Dumoulin, Olah, "Deconvolution and
Checkerboard Artifacts", Distill 2016); PixelShuffle after a conv never overlaps, so it cannot.

What differs from the paper: with ``residual=True`` (the default) both networks predict the difference
to a bicubic upsampling of the input, as VDSR does; the network then only has to learn detail and beats
bicubic after a few hundred CPU steps instead of tens of thousands. ``residual=False`` is the paper's
ESPCN. The bicubic here is ``ops.interpolate(mode='bicubic')``, which does not antialias and is not
MATLAB's imresize (DATA.md Sec. 4.3) - fine as a starting point for a residual, not for baselines.

Shapes: input (N, 3, H, W) float32 in [0, 1], output (N, 3, H*r, W*r), roughly in [0, 1] (not clipped).
"""

from __future__ import annotations

from mindspore import nn, ops

from ..layers.conv_transpose import ConvTranspose2d
from ..layers.pixel_shuffle import PixelShuffle


def _conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, pad_mode="pad", padding=k // 2, has_bias=True)


def _activation(name: str):
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"activation must be 'tanh' (paper) or 'relu', got {name!r}")


def bicubic_resize(x, scale: int):
    """(N, C, H, W) -> (N, C, H*scale, W*scale) with MindSpore's bicubic (no antialias, not MATLAB)."""
    h, w = x.shape[-2:]
    return ops.interpolate(x, size=(h * scale, w * scale), mode="bicubic", align_corners=False)


class SubPixelSR(nn.Cell):
    """ESPCN: conv5x5 -> act -> conv3x3 -> act -> conv3x3 to in_channels*r^2 -> PixelShuffle(r).

    Args:
        scale: upscaling factor r.
        num_feat: channels of the first layer (paper 64); the second has num_feat // 2.
        in_channels: image channels.
        activation: 'tanh' (paper) or 'relu'.
        residual: add a bicubic upsampling of the input to the output (see module docstring).
    """

    def __init__(self, scale=2, num_feat=64, in_channels=3, activation="tanh", residual=True):
        super().__init__()
        self.scale, self.residual = scale, residual
        self.feature = nn.SequentialCell(
            _conv(in_channels, num_feat, 5),
            _activation(activation),
            _conv(num_feat, num_feat // 2, 3),
            _activation(activation),
        )
        self.to_subpixels = _conv(num_feat // 2, in_channels * scale * scale, 3)
        self.shuffle = PixelShuffle(scale)

    def construct(self, x):
        y = self.shuffle(self.to_subpixels(self.feature(x)))  # (N, C, rH, rW)
        if self.residual:
            y = y + bicubic_resize(x, self.scale)
        return y

    def diagram_flow(self):
        """The wiring of ``construct`` for ``viz.architecture``: the bicubic skip runs beside the network."""
        flow = [
            "input -> feature -> to_subpixels -> shuffle -> "
            + ("@+ -> output" if self.residual else "output")
        ]
        return flow + ([f"input -> @bicubic x{self.scale} -> @+"] if self.residual else [])


class TransposedConvSR(nn.Cell):
    """The same network with a k x k, stride-r transposed conv as the upsampler (checkerboard demo).

    Args:
        scale: upscaling factor r (the stride).
        kernel_size: k; k % r != 0 gives uneven overlap (checkerboard). Default 3 with r 2.
        num_feat, in_channels, activation, residual: as in :class:`SubPixelSR`.

    Padding is chosen so the output is exactly (H*r, W*r): padding (k - r + 1) // 2 on each side and
    output_padding (k - r) % 2 (k=3, r=2: padding 1, output_padding 1, as in AECR-Net's upsampler).
    """

    def __init__(self, scale=2, kernel_size=3, num_feat=64, in_channels=3, activation="tanh", residual=True):
        super().__init__()
        if kernel_size < scale:
            raise ValueError(
                f"kernel_size {kernel_size} must be >= scale {scale} to cover every output pixel"
            )
        self.scale, self.residual = scale, residual
        self.feature = nn.SequentialCell(
            _conv(in_channels, num_feat, 5),
            _activation(activation),
            _conv(num_feat, num_feat // 2, 3),
            _activation(activation),
        )
        pad = (kernel_size - scale + 1) // 2
        self.upsample = ConvTranspose2d(  # PyTorch semantics (layers.conv_transpose: the last-row trap)
            num_feat // 2,
            in_channels,
            kernel_size,
            stride=scale,
            padding=pad,
            output_padding=(kernel_size - scale) % 2,
        )

    def construct(self, x):
        y = self.upsample(self.feature(x))  # (N, C, rH, rW)
        if self.residual:
            y = y + bicubic_resize(x, self.scale)
        return y
