"""Res2Net v1b: the multi-scale bottleneck and the encoder KTDN and SRKTDN dehaze with.

Gao et al., "Res2Net: A New Multi-scale Backbone Architecture" (TPAMI 2021, arXiv 1904.01169), v1b variant
(deep 3-conv stem, average-pool downsampling shortcut), as in GlassyWu/KTDN ``model.py``:

* **Bottle2neck**: conv1x1 C_in -> s*w (+BN+ReLU); split into s groups x_1..x_s of w channels;
  y_1 = K_1(x_1), y_i = K_i(x_i + y_{i-1}) for 1 < i < s, y_s = x_s (paper Eq. 1), each K_i a 3x3
  conv + BN + ReLU; concatenate, conv1x1 s*w -> 4*planes (+BN), add the shortcut, ReLU. The first block of
  a stage ('stage' type) does not chain the groups (y_i = K_i(x_i)), strides every K_i, and average-pools
  the untouched group x_s (3x3, padding 1) so the sizes agree. The hierarchy of chained 3x3 convs gives
  each block receptive fields of 3, 5, 7, ... pixels at once.
* **Encoder**: stem (3x3 s2 3->32, 3x3 32->32, 3x3 32->64, BN+ReLU after each, max-pool 3 s2), then
  stages 1-3 (the classifier's stage 4 and head are not used). Outputs at 1/4, 1/8 and 1/16 of the input.
  Res2Net-101 v1b 26w x 4s: ``layers=(3, 4, 23)``, ``planes=(64, 128, 256)``, width
  floor(planes * 26 / 64): 256, 512 and 1024 channels.

Parameter names follow the official code (``conv1.0``, ``layer1.0.convs.1``, ``layer2.0.downsample.1``, ...):
:func:`course_lib.convert.convert_ktdn` only renames BatchNorm leaves. BatchNorm: eps 1e-5, PyTorch
momentum 0.1 (MindSpore's ``momentum=0.9``). Shapes: (N, 3, H, W) float32, H and W multiples of 16.
"""

import math

from mindspore import nn, ops


def conv(in_channels, out_channels, kernel_size, stride=1, bias=False):
    """Conv with PyTorch's zero padding k // 2 (no bias by default, as before a BatchNorm)."""
    pad = kernel_size // 2
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, pad_mode="pad" if pad else "valid",
                     padding=pad, has_bias=bias)  # fmt: skip


def batch_norm(channels):
    return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.9)


class Bottle2neck(nn.Cell):
    """Res2Net bottleneck: (N, inplanes, H, W) -> (N, 4*planes, H/stride, W/stride).

    Args:
        inplanes, planes: input channels and the bottleneck's planes (output 4 * planes).
        stride: stride of the 3x3 convs (and of the shortcut's pooling).
        downsample: the shortcut Cell (average pool + 1x1 conv + BN) or None for identity.
        base_width, scale: w = floor(planes * base_width / 64) channels per group, ``scale`` groups.
        stype: 'stage' (first block of a stage) or 'normal'.
    """

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, base_width=26, scale=4, stype="normal"):
        super().__init__()
        if scale < 2:
            raise ValueError(f"scale must be >= 2 groups, got {scale}")
        width = int(math.floor(planes * (base_width / 64.0)))
        self.width, self.scale, self.stype = width, scale, stype
        self.conv1 = conv(inplanes, width * scale, 1)
        self.bn1 = batch_norm(width * scale)
        self.convs = nn.CellList([conv(width, width, 3, stride) for _ in range(scale - 1)])
        self.bns = nn.CellList([batch_norm(width) for _ in range(scale - 1)])
        self.conv3 = conv(width * scale, planes * self.expansion, 1)
        self.bn3 = batch_norm(planes * self.expansion)
        self.has_pool = stype == "stage"
        if self.has_pool:
            self.pool = nn.AvgPool2d(3, stride, pad_mode="pad", padding=1, count_include_pad=True)
        self.downsample = downsample

    def construct(self, x):
        out = ops.relu(self.bn1(self.conv1(x)))
        groups = ops.split(out, self.width, axis=1)
        ys = []
        sp = groups[0]
        for i in range(self.scale - 1):
            if i > 0:
                sp = groups[i] if self.has_pool else sp + groups[i]  # Eq. 1: x_i + y_{i-1} ('normal')
            sp = ops.relu(self.bns[i](self.convs[i](sp)))
            ys.append(sp)
        ys.append(self.pool(groups[self.scale - 1]) if self.has_pool else groups[self.scale - 1])
        out = self.bn3(self.conv3(ops.cat(ys, axis=1)))
        residual = x if self.downsample is None else self.downsample(x)
        return ops.relu(out + residual)


class Res2NetEncoder(nn.Cell):
    """Res2Net v1b stem and stages 1-3: (N, 3, H, W) -> (f4, f8, f16) at 1/4, 1/8, 1/16 of H, W.

    Args:
        layers: blocks per stage, (3, 4, 23) for Res2Net-101.
        planes: bottleneck planes per stage (outputs 4 * planes channels): (64, 128, 256).
        base_width, scale: 26 and 4 for the "26w x 4s" models.
        stem_width: channels of the stem's first two convs (32); its third gives 2 * stem_width.

    ``channels`` is the tuple of output channels (4 * planes).
    """

    def __init__(self, layers=(3, 4, 23), planes=(64, 128, 256), base_width=26, scale=4, stem_width=32):
        super().__init__()
        s = stem_width
        self.conv1 = nn.SequentialCell(conv(3, s, 3, 2), batch_norm(s), nn.ReLU(), conv(s, s, 3), batch_norm(s),
                                       nn.ReLU(), conv(s, 2 * s, 3))  # fmt: skip
        self.bn1 = batch_norm(2 * s)
        self.maxpool = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1)
        self.inplanes = 2 * s
        self.layer1 = self._make_layer(planes[0], layers[0], 1, base_width, scale)
        self.layer2 = self._make_layer(planes[1], layers[1], 2, base_width, scale)
        self.layer3 = self._make_layer(planes[2], layers[2], 2, base_width, scale)
        self.channels = tuple(p * Bottle2neck.expansion for p in planes)

    def _make_layer(self, planes, blocks, stride, base_width, scale):
        out = planes * Bottle2neck.expansion
        downsample = None
        if stride != 1 or self.inplanes != out:
            pool = nn.AvgPool2d(stride, stride) if stride > 1 else nn.Identity()
            downsample = nn.SequentialCell(pool, conv(self.inplanes, out, 1), batch_norm(out))
        cells = [Bottle2neck(self.inplanes, planes, stride, downsample, base_width, scale, "stage")]
        self.inplanes = out
        cells += [Bottle2neck(out, planes, 1, None, base_width, scale) for _ in range(1, blocks)]
        return nn.SequentialCell(cells)

    def construct(self, x):
        x = self.maxpool(ops.relu(self.bn1(self.conv1(x))))
        f4 = self.layer1(x)
        f8 = self.layer2(f4)
        return f4, f8, self.layer3(f8)
