"""PixelShuffle and PixelUnshuffle from one reshape and one transpose.

Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional
Neural Network" (ESPCN, CVPR 2016, arXiv 1609.05158), Eq. (4): the periodic shuffling operator

    PS(T)[n, c, h*r + i, w*r + j] = T[n, c*r*r + i*r + j, h, w]

turns a low-resolution map with C*r^2 channels into a map r times larger with C channels. The channel
index is split as (c, i, j) with c slowest: "CRD" order (channel, row, depth), the order of PyTorch's and
MindSpore's ``nn.PixelShuffle``. A convolution followed by PS is the "sub-pixel convolution" every
upsampler in this course uses (EDSR/CSD, SRKTDN, the HDR networks).

Pitfall: ``mindspore.ops.DepthToSpace`` (TensorFlow's depth_to_space) splits the channel index the
other way round, as (i, j, c) with c fastest ("DCR" order). Weights trained with one cannot be used
with the other without permuting the conv's output channels.

``pixel_unshuffle`` is the exact inverse (space-to-depth in CRD order):
``pixel_unshuffle(pixel_shuffle(x, r), r) == x``.

Both functions are plain reshapes/transposes: they work in PyNative and in GRAPH_MODE, on every backend,
and cost no arithmetic.
"""

from mindspore import nn, ops


def _check_factor(r) -> None:
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise ValueError(f"the factor r must be a positive int, got {r!r}")


def _check_4d(x, name: str) -> None:
    if len(x.shape) != 4:
        raise ValueError(f"{name} expects x of shape (N, C, H, W), got a tensor of shape {tuple(x.shape)}")


def pixel_shuffle(x, r: int):
    """Rearrange (N, C*r*r, H, W) into (N, C, H*r, W*r) in CRD order (= ``nn.PixelShuffle(r)``).

    Args:
        x: (N, C*r*r, H, W) tensor, any dtype.
        r: upscaling factor, a positive Python int.

    Returns:
        (N, C, H*r, W*r) tensor with ``out[n, c, h*r+i, w*r+j] = x[n, c*r*r + i*r + j, h, w]``.
    """
    _check_factor(r)
    _check_4d(x, "pixel_shuffle")
    n, c, h, w = x.shape
    if c % (r * r) != 0:
        raise ValueError(
            f"pixel_shuffle: channels {c} is not divisible by r*r = {r * r} (remainder {c % (r * r)}); "
            f"the conv before it must output a multiple of {r * r} channels, "
            f"e.g. {c - c % (r * r)} or {c - c % (r * r) + r * r}"
        )
    out_c = c // (r * r)
    x = ops.reshape(x, (n, out_c, r, r, h, w))  # (N, C, i, j, H, W): split the channel index as (c, i, j)
    x = ops.transpose(x, (0, 1, 4, 2, 5, 3))  # (N, C, H, i, W, j)
    return ops.reshape(x, (n, out_c, h * r, w * r))  # row h*r+i, column w*r+j


def pixel_unshuffle(x, r: int):
    """Rearrange (N, C, H*r, W*r) into (N, C*r*r, H, W) in CRD order (= ``nn.PixelUnshuffle(r)``).

    Args:
        x: (N, C, H, W) tensor with H and W divisible by r.
        r: downscaling factor, a positive Python int.

    Returns:
        (N, C*r*r, H/r, W/r) tensor, the inverse of :func:`pixel_shuffle`.
    """
    _check_factor(r)
    _check_4d(x, "pixel_unshuffle")
    n, c, h, w = x.shape
    for name, size in (("height", h), ("width", w)):
        if size % r != 0:
            raise ValueError(
                f"pixel_unshuffle: {name} {size} is not divisible by r = {r} (remainder {size % r}); "
                f"crop the input to {size - size % r} or pad it to {size - size % r + r}"
            )
    x = ops.reshape(x, (n, c, h // r, r, w // r, r))  # (N, C, H', i, W', j)
    x = ops.transpose(x, (0, 1, 3, 5, 2, 4))  # (N, C, i, j, H', W')
    return ops.reshape(x, (n, c * r * r, h // r, w // r))


class PixelShuffle(nn.Cell):
    """Cell wrapper of :func:`pixel_shuffle`, for use inside ``nn.SequentialCell``."""

    def __init__(self, r: int):
        super().__init__()
        _check_factor(r)
        self.r = r

    def construct(self, x):
        return pixel_shuffle(x, self.r)


class PixelUnshuffle(nn.Cell):
    """Cell wrapper of :func:`pixel_unshuffle`."""

    def __init__(self, r: int):
        super().__init__()
        _check_factor(r)
        self.r = r

    def construct(self, x):
        return pixel_unshuffle(x, self.r)
