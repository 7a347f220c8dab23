"""Width-slimmable EDSR: one set of weights, a teacher and a student (the network of CSD).

EDSR: Lim et al., "Enhanced Deep Residual Networks for Single Image Super-Resolution" (CVPRW 2017).
CSD: Wang et al., "Towards Compact Single Image Super-Resolution via Contrastive Self-distillation"
(IJCAI 2021, arXiv 2105.11683); reference code Booooooooooo/CSD, ``PyTorch version/model/edsr.py``.

The network (full width F = ``num_feat``)::

    x - mean -> head (conv 3->F) -> num_blocks x ResBlock -> body_conv (F->F) -> + head output
      -> upsample: [conv F->4F, PixelShuffle(2)] x log2(scale)  (x3: conv F->9F, PixelShuffle(3))
      -> tail (conv F->3) -> + mean

    ResBlock(x) = x + res_scale * conv(relu(conv(x)))

Slimming (CSD Sec. 3.1): at ``width_mult`` w the network runs with c' = int(F * w) channels: every conv
uses the first c' rows (outputs) and the first c' columns (inputs) of its full weight, and the first c'
biases. Teacher = w 1.0, student = w 0.25. One parameter set serves every width, so training the student
also moves the teacher's first channels: that is what makes the self-distillation cheap. The upsampler
conv is sliced to its first r^2 * c' outputs, not c': PixelShuffle reads output channel c from inputs
c*r^2 ... c*r^2 + r^2 - 1 (CRD order), so the first r^2 * c' outputs are exactly the whole groups of the
first c' shuffled channels (methods.md Sec. 3(f) pitfall 2).

Parameters (counted, = the CSD paper): x4 full config (32 blocks, 256 channels) 43,089,923 at w 1.0,
10,780,675 at 0.5, 2,699,267 at 0.25 ("2.7M, 16x compression"); x2: 40,729,603 and 2,551,555.
:meth:`EDSR.count_active_params` computes these for any width.

What differs from the reference code:

* Images are in [0, 1] (``rgb_range`` 1), not [0, 255]: MeanShift subtracts (0.4488, 0.4371, 0.4040)
  and adds it back at the end (std 1). The L1 loss is therefore 255 times smaller than the reference's;
  Adam is insensitive to that scale. MeanShift is a constant here, not a frozen 1x1 conv, so it has no
  parameters (the reference's frozen ones are not counted in the paper's numbers either).
* The sliced convolutions are functional (``ops.conv2d`` on a slice of the full ``Parameter``); there is
  no ``nn.Conv2d`` inside, so hook-based MAC counters see nothing: use :meth:`EDSR.macs`.
* ``bicubic_skip=True`` (off by default, not in the paper) adds a bicubic upsampling of the input to
  the output. Measured on the 2-core CPU, 'small' x2, 400 steps of joint L1 (widths 1 and 0.25, lr 1e-3,
  batch 4, HR patch 64): +1.03 dB (teacher) and +0.21 dB (student) over MATLAB bicubic on the held-out
  photos with it; without it the same run stays 0.3 dB (teacher) below bicubic.
* ``width_mult`` must be a Python number (a compile-time constant). It works in PyNative and in
  GRAPH_MODE; in GRAPH_MODE each distinct width compiles its own graph once. The reference MindSpore
  port reads the width with ``.asnumpy()`` and so runs in PyNative only (methods.md Sec. 3(f) 6).

CPU cost: the paper config (43M parameters) is ~170 GMAC per 96x96 output at x4 and is a server
model; the ``small`` config (4 blocks, 32 channels) trains in minutes on a laptop CPU.
"""

from __future__ import annotations

import math

import numpy as np
from mindspore import Parameter, Tensor, nn, ops
from mindspore.common.initializer import HeUniform, Uniform, initializer

from ..layers.pixel_shuffle import pixel_shuffle

# DIV2K RGB mean used by EDSR's MeanShift (rgb_range 1 here).
DIV2K_MEAN = (0.4488, 0.4371, 0.4040)

CONFIGS = {
    # The CSD paper's EDSR (EDSR-large with res_scale 0.1).
    "paper": dict(num_blocks=32, num_feat=256, res_scale=0.1),
    # EDSR-baseline of Lim et al. (16 blocks, 64 channels, no residual scaling).
    "baseline": dict(num_blocks=16, num_feat=64, res_scale=1.0),
    # Laptop CPU size used in the notebooks; the 0.25 student has 8 channels.
    "small": dict(num_blocks=4, num_feat=32, res_scale=1.0),
}


def active_channels(num_feat: int, width_mult) -> int:
    """c' = int(num_feat * width_mult), the channel count every slimmed conv uses (floored as in CSD)."""
    if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)):
        raise ValueError(f"width_mult must be a Python float in (0, 1], got {width_mult!r}")
    if not 0.0 < width_mult <= 1.0:
        raise ValueError(
            f"width_mult must be in (0, 1], got {width_mult}; 1.0 is the teacher, 0.25 the student"
        )
    channels = int(num_feat * width_mult)
    if channels < 1:
        raise ValueError(
            f"width_mult {width_mult} leaves int({num_feat} * {width_mult}) = 0 channels; "
            f"use width_mult >= {1.0 / num_feat:.4g}"
        )
    return channels


class SlimConv2d(nn.Cell):
    """A 'same'-padded k x k convolution whose first rows/columns can be used alone.

    ``construct(x, out_channels)`` convolves x (N, c_in, H, W), c_in <= ``in_channels``, with
    ``weight[:out_channels, :c_in]`` and ``bias[:out_channels]``, giving (N, out_channels, H, W).
    The full weight is initialised like ``nn.Conv2d`` (He-uniform with a = sqrt(5), bias uniform in
    +-1/sqrt(fan_in)).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = Parameter(initializer(HeUniform(negative_slope=math.sqrt(5)), shape), name="weight")
        bound = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.bias = Parameter(initializer(Uniform(bound), (out_channels,)), name="bias")

    def construct(self, x, out_channels: int):
        c_in = x.shape[1]
        w = self.weight[:out_channels, :c_in]  # (c_out', c_in', k, k): the first rows and columns
        y = ops.conv2d(x, w, pad_mode="pad", padding=self.kernel_size // 2)
        return y + self.bias[:out_channels].reshape(1, -1, 1, 1)

    def num_params(self, in_channels: int, out_channels: int) -> int:
        """Parameters in use when sliced to (out_channels, in_channels)."""
        return out_channels * in_channels * self.kernel_size**2 + out_channels


class ResBlock(nn.Cell):
    """x + res_scale * conv2(relu(conv1(x))), both convs sliced to c channels."""

    def __init__(self, num_feat: int, res_scale: float):
        super().__init__()
        self.conv1 = SlimConv2d(num_feat, num_feat)
        self.conv2 = SlimConv2d(num_feat, num_feat)
        self.res_scale = res_scale

    def construct(self, x, c: int):
        return x + self.res_scale * self.conv2(ops.relu(self.conv1(x, c)), c)


def upsample_factors(scale: int) -> tuple:
    """The PixelShuffle stages of EDSR's upsampler: 2 -> (2,), 3 -> (3,), 4 -> (2, 2), 8 -> (2, 2, 2)."""
    if scale == 3:
        return (3,)
    if scale >= 2 and scale & (scale - 1) == 0:
        return (2,) * int(round(math.log2(scale)))
    raise ValueError(f"scale must be 2, 3, 4 or 8 (a power of 2, or 3), got {scale!r}")


class EDSR(nn.Cell):
    """Width-slimmable EDSR (CSD's teacher and student in one set of weights).

    Args:
        num_blocks: residual blocks (paper config 32).
        num_feat: full-width channels F (paper config 256).
        scale: upscaling factor, 2, 3, 4 or 8.
        res_scale: residual scaling inside each block (0.1 for the 32x256 EDSR; 1.0 for small ones).
        in_channels: image channels (3).
        bicubic_skip: course addition, off in the paper: add a bicubic upsampling of the input to the
            output (``ops.interpolate``, not MATLAB's), so the network learns only the residual detail;
            a few hundred CPU steps then suffice to beat bicubic. Parameter counts do not change.

    Call: ``net(x, width_mult=1.0)`` with x (N, in_channels, H, W) float32 in [0, 1] returns
    (N, in_channels, H*scale, W*scale), roughly in [0, 1] (not clipped). ``width_mult`` is a Python
    float in (0, 1]; the network uses c' = int(num_feat * width_mult) channels.
    """

    def __init__(
        self,
        num_blocks: int = 32,
        num_feat: int = 256,
        scale: int = 4,
        res_scale: float = 0.1,
        in_channels: int = 3,
        bicubic_skip: bool = False,
    ):
        super().__init__()
        if num_blocks < 1 or num_feat < 1:
            raise ValueError(f"num_blocks and num_feat must be >= 1, got {num_blocks} and {num_feat}")
        self.num_blocks, self.num_feat, self.scale = num_blocks, num_feat, scale
        self.res_scale, self.in_channels, self.bicubic_skip = res_scale, in_channels, bicubic_skip
        self.factors = upsample_factors(scale)
        mean = np.zeros(in_channels, np.float32)
        mean[: min(3, in_channels)] = DIV2K_MEAN[: min(3, in_channels)]
        self.mean = Tensor(mean.reshape(1, in_channels, 1, 1))  # constant, rgb_range 1

        self.head = SlimConv2d(in_channels, num_feat)
        self.body = nn.CellList([ResBlock(num_feat, res_scale) for _ in range(num_blocks)])
        self.body_conv = SlimConv2d(num_feat, num_feat)
        self.upsample = nn.CellList([SlimConv2d(num_feat, r * r * num_feat) for r in self.factors])
        self.tail = SlimConv2d(num_feat, in_channels)

    def diagram_flow(self):
        """The wiring of ``construct`` for ``viz.architecture``: the residual blocks' global skip, each
        upsampler conv followed by PixelShuffle, and the bicubic (or mean) skip at the end."""
        blocks = " -> ".join(f"body.{i}" for i in range(self.num_blocks))
        ups = " -> ".join(f"upsample.{i} -> @PixelShuffle({r})#{i}" for i, r in enumerate(self.factors))
        end = f"@bicubic x{self.scale}" if self.bicubic_skip else "@mean"
        return [
            f"input -> @- mean -> head -> {blocks} -> body_conv -> @+#skip -> {ups} -> tail -> @+#out -> output",
            "head -> @+#skip",
            f"input -> {end} -> @+#out",
        ]

    def construct(self, x, width_mult=1.0):
        c = active_channels(self.num_feat, width_mult)
        lr = x
        x = x - self.mean  # sub_mean
        feat = self.head(x, c)
        res = feat
        for block in self.body:
            res = block(res, c)
        res = self.body_conv(res, c) + feat  # global skip
        for i, up in enumerate(self.upsample):
            r = self.factors[i]
            res = pixel_shuffle(up(res, r * r * c), r)  # first r^2 c' outputs = whole shuffle groups
        out = self.tail(res, self.in_channels)
        if self.bicubic_skip:  # course addition: residual over bicubic instead of add_mean
            size = (lr.shape[2] * self.scale, lr.shape[3] * self.scale)
            return out + ops.interpolate(lr, size=size, mode="bicubic", align_corners=False)
        return out + self.mean  # add_mean

    # ---- bookkeeping -----------------------------------------------------------------------------

    def _conv_shapes(self, width_mult):
        """(c_out, c_in, k, output side multiplier) of every conv at this width, in forward order."""
        c = active_channels(self.num_feat, width_mult)
        shapes = [(c, self.in_channels, 3, 1)]
        shapes += [(c, c, 3, 1)] * (2 * self.num_blocks + 1)
        mult = 1
        for r in self.factors:
            shapes.append((r * r * c, c, 3, mult))
            mult *= r
        shapes.append((self.in_channels, c, 3, mult))
        return shapes

    def count_active_params(self, width_mult=1.0) -> int:
        """Parameters the network uses at ``width_mult`` (weights and biases of the sliced convs)."""
        return sum(o * i * k * k + o for o, i, k, _ in self._conv_shapes(width_mult))

    def macs(self, input_shape, width_mult=1.0) -> int:
        """Multiply-accumulates of one forward pass at ``width_mult``.

        Args:
            input_shape: (N, C, H, W) or (H, W) of the low-resolution input.

        Counts c_out * c_in * k * k per output pixel of every conv (biases, ReLU, MeanShift and
        PixelShuffle excluded), the convention of ``course_lib.metrics.count_macs``.
        """
        n, (h, w) = (input_shape[0] if len(input_shape) == 4 else 1), tuple(input_shape[-2:])
        return n * sum(o * i * k * k * h * w * m * m for o, i, k, m in self._conv_shapes(width_mult))


def edsr(config: str = "small", scale: int = 2, **overrides) -> EDSR:
    """Build an EDSR from a named config ('small', 'baseline' or 'paper'), e.g. ``edsr('paper', 4)``."""
    if config not in CONFIGS:
        raise ValueError(f"unknown EDSR config {config!r}; choose one of {sorted(CONFIGS)}")
    return EDSR(scale=scale, **{**CONFIGS[config], **overrides})
