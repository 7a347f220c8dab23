"""KTDN's "enhancer": pyramid pooling at full resolution (the PSPNet idea, in GlassyWu/KTDN ``Enhancer``).

Zhao et al., "Pyramid Scene Parsing Network" (CVPR 2017): average-pool a feature map at several cell sizes,
reduce each pooled map with a 1x1 conv, upsample back and concatenate with the map, so every pixel sees its
neighbourhood's mean at several scales. Non-homogeneous haze varies over the image; the pooled maps tell
each pixel how hazy its surroundings are.

KTDN's version (Wu et al., CVPRW 2020; also the NTIRE 2021 two-branch network):

    d = LReLU(conv3x3(LReLU(conv3x3(x))))                   (C_in -> 20 -> 20 channels, slope 0.2)
    p_k = nearest_up(LReLU(conv1x1_k(avg_pool_k(d))))      k = 32, 16, 8, 4 (20 -> 1 channel each)
    out = tanh(conv3x3(cat(p_32, p_16, p_8, p_4, d)))      (24 -> C_out)

``avg_pool_k`` uses k x k cells with stride k, so H and W must be multiples of 32. The official class also
builds an ``InstanceNorm2d(100, affine=True)`` (``batch1``) that its forward never calls;
``unused_norm=True`` keeps its 200 parameters so official checkpoints load name for name.

Shapes: (N, C_in, H, W) -> (N, C_out, H, W) in (-1, 1).
"""

from mindspore import Parameter, nn, ops
from mindspore.common.initializer import initializer

POOL_SIZES = (32, 16, 8, 4)


def _conv(in_channels, out_channels, kernel_size):
    pad = kernel_size // 2
    return nn.Conv2d(in_channels, out_channels, kernel_size, pad_mode="pad" if pad else "valid", padding=pad,
                     has_bias=True)  # fmt: skip


class PyramidPoolingEnhancer(nn.Cell):
    """KTDN ``Enhancer(in_channels, out_channels)``; H, W multiples of ``max(pool_sizes)``."""

    def __init__(self, in_channels, out_channels, width=20, pool_sizes=POOL_SIZES, unused_norm=False):
        super().__init__()
        self.pool_sizes = tuple(pool_sizes)
        self.refine1 = _conv(in_channels, width, 3)
        self.refine2 = _conv(width, width, 3)
        # one 1x1 conv per pooling size (official names conv1010, conv1020, conv1030, conv1040)
        self.reduce = nn.CellList([_conv(width, 1, 1) for _ in self.pool_sizes])
        self.refine3 = _conv(width + len(self.pool_sizes), out_channels, 3)
        if unused_norm:  # official layout only: InstanceNorm2d(100, affine=True), never called
            self.batch1_gamma = Parameter(initializer("ones", (100,)), name="batch1.gamma")
            self.batch1_beta = Parameter(initializer("zeros", (100,)), name="batch1.beta")

    def construct(self, x):
        d = ops.leaky_relu(self.refine1(x), 0.2)
        d = ops.leaky_relu(self.refine2(d), 0.2)
        h, w = d.shape[2], d.shape[3]
        pooled = []
        for k, size in enumerate(self.pool_sizes):
            p = ops.avg_pool2d(d, size, size)
            p = ops.leaky_relu(self.reduce[k](p), 0.2)
            pooled.append(ops.interpolate(p, size=(h, w), mode="nearest"))
        return ops.tanh(self.refine3(ops.cat(pooled + [d], axis=1)))
