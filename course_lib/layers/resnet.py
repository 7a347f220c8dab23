"""A ResNet-18-style encoder (basic residual blocks): the teacher encoder SRKTDN's text describes.

He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016): stem conv7x7 s2 + BN + ReLU +
max-pool 3 s2, then stages of two basic blocks (conv3x3-BN-ReLU-conv3x3-BN, add the shortcut, ReLU; a
1x1 conv + BN shortcut where the size or width changes). Stages 1-3 only, like the Res2Net encoder of
:mod:`course_lib.layers.res2net`, so either can feed the KTDN decoder: outputs at 1/4, 1/8, 1/16.
ResNet-18's widths are (64, 128, 256); ``widths`` can be set to the student's encoder channels so the
teacher's transfer feature has the student's shape.
"""

from mindspore import nn, ops

from .res2net import batch_norm, conv


class BasicBlock(nn.Cell):
    """(N, C_in, H, W) -> (N, C_out, H/stride, W/stride): two 3x3 conv+BN, residual, ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1, self.bn1 = conv(in_channels, out_channels, 3, stride), batch_norm(out_channels)
        self.conv2, self.bn2 = conv(out_channels, out_channels, 3), batch_norm(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.SequentialCell(
                conv(in_channels, out_channels, 1, stride), batch_norm(out_channels)
            )

    def construct(self, x):
        out = self.bn2(self.conv2(ops.relu(self.bn1(self.conv1(x)))))
        residual = x if self.downsample is None else self.downsample(x)
        return ops.relu(out + residual)


class ResNetEncoder(nn.Cell):
    """Basic-block encoder: (N, 3, H, W) -> (f4, f8, f16) with ``widths`` channels (ResNet-18: 2 blocks each)."""

    def __init__(self, widths=(64, 128, 256), blocks=(2, 2, 2), stem_width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem_width, 7, stride=2, pad_mode="pad", padding=3, has_bias=False)
        self.bn1 = batch_norm(stem_width)
        self.maxpool = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1)
        stages, c = [], stem_width
        for i, (w, n) in enumerate(zip(widths, blocks)):
            stride = 1 if i == 0 else 2
            stages.append(nn.SequentialCell([BasicBlock(c if k == 0 else w, w, stride if k == 0 else 1)
                                             for k in range(n)]))  # fmt: skip
            c = w
        self.layer1, self.layer2, self.layer3 = stages
        self.channels = tuple(widths)

    def construct(self, x):
        x = self.maxpool(ops.relu(self.bn1(self.conv1(x))))
        f4 = self.layer1(x)
        f8 = self.layer2(f4)
        return f4, f8, self.layer3(f8)
