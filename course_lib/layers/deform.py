"""Modulated deformable 3x3 convolution (DCNv2), built from bilinear sampling and on MindSpore's op.

Dai et al., "Deformable Convolutional Networks" (ICCV 2017, arXiv 1703.06211) and Zhu et al.,
"Deformable ConvNets v2: More Deformable, Better Results" (CVPR 2019, arXiv 1811.11168), Eq. (1) of DCNv2:

    y(p) = sum_k  w_k * x(p + p_k + dp_k) * m_k          (+ bias)

``p`` runs over the output positions, ``p_k`` over the 9 taps of the 3x3 kernel (row-major:
k = 3*i + j for tap (i, j), i = row), ``dp_k = (dy_k, dx_k)`` is a learned, per-position, fractional
offset and ``m_k`` in [0, 1] a learned modulation ("mask"). ``x(.)`` at a fractional point is the
bilinear interpolation of its four integer neighbours (DCNv1 Eq. (3)-(4):
G(q, p) = max(0, 1 - |q_y - p_y|) * max(0, 1 - |q_x - p_x|)), and points outside the image read 0 (the same
as zero padding). With all offsets 0 and all masks 1 the layer is an ordinary convolution.

Where a tap samples, for output pixel (r, c), ``stride`` s and ``padding`` P (in input pixels):

    row = r*s - P + i + dy_k[r, c],    col = c*s - P + j + dx_k[r, c]

so with padding=1 and zero offsets the centre tap (i, j) = (1, 1) of output pixel (r, c) reads input
pixel (r*s, c*s).

Two layouts of the 27 offset/mask channels are in use (K = 9 taps):

* MindSpore (``ops.deformable_conv2d``, and everything in this module):
  ONE tensor (N, 3K, H, W) = [dx_0..dx_8 | dy_0..dy_8 | m_0..m_8], masks applied as given.
* DCNv2 (CharlesShang/DCNv2, used by the official AECR-Net) and torchvision ``deform_conv2d``:
  offsets (N, 2K, H, W) interleaved per tap as [dy_0, dx_0, dy_1, dx_1, ...] (row offset first) and
  the mask as a separate (N, K, H, W) tensor.
  :func:`offsets_torch_to_mindspore` and :func:`offsets_mindspore_to_torch` convert between them.
  Training from scratch does not care; loading DCNv2 weights needs the offset conv's 27 output rows
  permuted the same way.

Two implementations with one signature ``(x, weight, offset_mask, bias=None, stride=1, padding=1)``:

* :func:`deform_conv2d_by_sampling`, the teaching form: base grid + offsets, gather the four
  neighbours, weight them bilinearly and by the mask, then one matrix product with the weights
  (the "im2col" form of a convolution; equivalent to the ports' 3x3 stride-3 conv over the (3H, 3W)
  map of sampled taps, which :func:`expand_taps` builds for pictures). Plain gathers and products,
  nothing backend-specific (tested on CPU, PyNative and GRAPH_MODE); autodiff gives the gradient wrt
  x, weight, offsets and masks. Memory: 4 gathers of (N*H_out*W_out*9, C) values.
* :func:`deform_conv2d_op` on ``mindspore.ops.deformable_conv2d`` (marked deprecated in its docstring
  in MindSpore 2.10, but present).

Speed (``benchmarks/deform_speed.py``, forward + backward, batch 4, 64 -> 64 channels, 2-core CPU, GRAPH_MODE
as ``course_lib.train.fit`` compiles it): sampling 135 ms vs op 415 ms at 32x32 and 2.4 s vs 7.6 s at
128x128 on a quiet machine; 342 ms vs 880 ms and 5.2 s vs 16.4 s under load - the op is 2.6-3.2x
slower. In PyNative both are slower and the ranking is noisy (1.1 s vs 1.8 s, then 2.0 s vs 1.5 s at
32x32). Training compiles, so :func:`deform_conv2d`, the name the models use, is the sampling form.
"""

import mindspore as ms
from mindspore import nn, ops
from mindspore.common.initializer import Zero

KERNEL = 3
TAPS = KERNEL * KERNEL


def _check(x, weight, offset_mask, stride, padding):
    if len(x.shape) != 4 or len(weight.shape) != 4 or len(offset_mask.shape) != 4:
        raise ValueError(
            "deformable conv expects x (N, C, H, W), weight (C_out, C, 3, 3) and offset_mask "
            f"(N, 27, H_out, W_out); got {tuple(x.shape)}, {tuple(weight.shape)}, {tuple(offset_mask.shape)}"
        )
    if tuple(weight.shape[2:]) != (KERNEL, KERNEL) or weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"weight must be (C_out, {x.shape[1]}, 3, 3) for x with {x.shape[1]} channels, "
            f"got {tuple(weight.shape)}"
        )
    n, _, h, w = x.shape
    h_out = (h + 2 * padding - KERNEL) // stride + 1
    w_out = (w + 2 * padding - KERNEL) // stride + 1
    if tuple(offset_mask.shape) != (n, 3 * TAPS, h_out, w_out):
        raise ValueError(
            f"offset_mask must be (N, 27, H_out, W_out) = {(n, 3 * TAPS, h_out, w_out)} for x "
            f"{tuple(x.shape)}, stride {stride}, padding {padding}; got {tuple(offset_mask.shape)}. "
            "Layout: [9 dx | 9 dy | 9 masks] (see offsets_torch_to_mindspore for DCNv2/torchvision)."
        )
    return h_out, w_out


def sample_taps(x, offset_mask, stride=1, padding=1):
    """Bilinearly sample the 9 (modulated) taps of every output position.

    Args:
        x: (N, C, H, W) float32.
        offset_mask: (N, 27, H_out, W_out) float32, [9 dx | 9 dy | 9 masks in [0, 1]].

    Returns:
        (N, H_out*W_out, 9, C): tap k of output position (r, c) is x(row_k, col_k) * m_k, with
        (row_k, col_k) as in the module docstring and zero outside the image.
    """
    n, c, h, w = x.shape
    h_out, w_out = offset_mask.shape[2], offset_mask.shape[3]
    dx = offset_mask[:, 0:TAPS]  # (N, 9, H_out, W_out)
    dy = offset_mask[:, TAPS : 2 * TAPS]
    mask = offset_mask[:, 2 * TAPS :]

    # Base grid p + p_k: tap k = 3*i + j sits at (r*s - P + i, c*s - P + j).
    k = ops.arange(TAPS, dtype=x.dtype)
    tap_i = ops.floor(k / KERNEL).reshape(1, TAPS, 1, 1)  # 0,0,0,1,1,1,2,2,2
    tap_j = (k - tap_i.reshape(TAPS) * KERNEL).reshape(1, TAPS, 1, 1)  # 0,1,2,0,1,2,0,1,2
    out_r = (ops.arange(h_out, dtype=x.dtype) * stride - padding).reshape(1, 1, h_out, 1)
    out_c = (ops.arange(w_out, dtype=x.dtype) * stride - padding).reshape(1, 1, 1, w_out)
    rows = out_r + tap_i + dy  # (N, 9, H_out, W_out), fractional
    cols = out_c + tap_j + dx

    # Bilinear interpolation from the four integer neighbours; a neighbour outside the image reads 0.
    r0 = ops.floor(rows)
    c0 = ops.floor(cols)
    fr = rows - r0  # weight of the lower row, in [0, 1)
    fc = cols - c0
    flat_x = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)  # (N*H*W, C): one row per pixel
    batch_base = (ops.arange(n, dtype=ms.int32) * (h * w)).reshape(n, 1, 1, 1)
    sampled = None
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        rr = r0 + dr
        cc = c0 + dc
        bil = (fr if dr else 1.0 - fr) * (fc if dc else 1.0 - fc)
        inside = (rr >= 0) & (rr <= h - 1) & (cc >= 0) & (cc <= w - 1)
        weight_k = bil * inside.astype(x.dtype) * mask  # G(q, p) * m_k (DCNv1 Eq. (4), DCNv2 Eq. (1))
        rr = ops.clamp(rr, 0, h - 1).astype(ms.int32)
        cc = ops.clamp(cc, 0, w - 1).astype(ms.int32)
        index = (batch_base + rr * w + cc).transpose(0, 2, 3, 1).reshape(-1)  # (N*H_out*W_out*9,)
        value = ops.gather(flat_x, index, 0).reshape(n, h_out * w_out, TAPS, c)
        term = value * weight_k.transpose(0, 2, 3, 1).reshape(n, h_out * w_out, TAPS, 1)
        sampled = term if sampled is None else sampled + term
    return sampled


def deform_conv2d_by_sampling(x, weight, offset_mask, bias=None, stride=1, padding=1):
    """Modulated deformable 3x3 conv from bilinear sampling + one matrix product (teaching form).

    Args:
        x: (N, C, H, W) float32.
        weight: (C_out, C, 3, 3) float32.
        offset_mask: (N, 27, H_out, W_out) float32 in MindSpore layout [9 dx | 9 dy | 9 masks], masks
            already in [0, 1]; H_out = (H + 2*padding - 3) // stride + 1 (same for W).
        bias: optional (C_out,).
        stride, padding: ints, as in a 3x3 convolution.

    Returns:
        (N, C_out, H_out, W_out) float32.
    """
    h_out, w_out = _check(x, weight, offset_mask, stride, padding)
    n, c = x.shape[0], x.shape[1]
    c_out = weight.shape[0]
    cols = sample_taps(x, offset_mask, stride, padding).reshape(n, h_out * w_out, TAPS * c)
    # DCNv2 Eq. (1): y(p) = sum_k w_k . x_k(p); the 9*C sampled values of a position times the weights.
    w_mat = weight.transpose(2, 3, 1, 0).reshape(TAPS * c, c_out)  # rows ordered (tap, channel)
    y = ops.matmul(cols, w_mat)  # (N, H_out*W_out, C_out)
    if bias is not None:
        y = y + bias
    return y.transpose(0, 2, 1).reshape(n, c_out, h_out, w_out)


def expand_taps(x, offset_mask, stride=1, padding=1):
    """The sampled taps laid out as a (N, C, 3*H_out, 3*W_out) map (the ports' picture of DCN).

    Block (r, c) of size 3x3 holds the 9 modulated samples of output pixel (r, c), so a 3x3 conv with
    stride 3 and no padding over this map is the deformable convolution.
    """
    n, c = x.shape[0], x.shape[1]
    h_out, w_out = offset_mask.shape[2], offset_mask.shape[3]
    taps = sample_taps(x, offset_mask, stride, padding)  # (N, H_out*W_out, 9, C)
    taps = taps.reshape(n, h_out, w_out, KERNEL, KERNEL, c).transpose(0, 5, 1, 3, 2, 4)
    return taps.reshape(n, c, h_out * KERNEL, w_out * KERNEL)


def deform_conv2d_op(x, weight, offset_mask, bias=None, stride=1, padding=1):
    """The same deformable conv on ``mindspore.ops.deformable_conv2d`` (same arguments and result)."""
    _check(x, weight, offset_mask, stride, padding)
    return ops.deformable_conv2d(
        x,
        weight,
        offset_mask,
        (KERNEL, KERNEL),
        (1, 1, stride, stride),
        (padding, padding, padding, padding),
        bias=bias,
    )


# The name the models use: the form that trains faster on CPU (see benchmarks/deform_speed.py).
deform_conv2d = deform_conv2d_by_sampling


def offsets_torch_to_mindspore(offset, mask):
    """DCNv2/torchvision layout -> MindSpore layout.

    Args:
        offset: (N, 18, H, W), interleaved per tap [dy_0, dx_0, dy_1, dx_1, ..., dy_8, dx_8].
        mask: (N, 9, H, W) in [0, 1].

    Returns:
        (N, 27, H, W) = [dx_0..dx_8 | dy_0..dy_8 | m_0..m_8].
    """
    if offset.shape[1] != 2 * TAPS or mask.shape[1] != TAPS:
        raise ValueError(
            f"expected offset (N, 18, H, W) and mask (N, 9, H, W), got {tuple(offset.shape)}, "
            f"{tuple(mask.shape)}"
        )
    dy = offset[:, 0::2]
    dx = offset[:, 1::2]
    return ops.cat((dx, dy, mask), axis=1)


def offsets_mindspore_to_torch(offset_mask):
    """MindSpore layout (N, 27, H, W) -> (offset (N, 18, H, W) interleaved (dy, dx), mask (N, 9, H, W))."""
    if offset_mask.shape[1] != 3 * TAPS:
        raise ValueError(f"expected offset_mask (N, 27, H, W), got {tuple(offset_mask.shape)}")
    n, _, h, w = offset_mask.shape
    dx = offset_mask[:, 0:TAPS]
    dy = offset_mask[:, TAPS : 2 * TAPS]
    offset = ops.stack((dy, dx), axis=2).reshape(n, 2 * TAPS, h, w)  # dy_k, dx_k adjacent
    return offset, offset_mask[:, 2 * TAPS :]


class DeformConv2d(nn.Cell):
    """Modulated deformable 3x3 conv that predicts its own offsets and masks (DCNv2 ``DCN`` module).

    A 3x3 conv (``conv_offset``, C -> 27, zero-initialised so training starts as a plain conv with
    mask 0.5) predicts [9 dx | 9 dy | 9 mask logits] from the input; sigmoid turns the logits into
    masks. Parameters: C_out*C*9 + C_out (main conv, with bias) + 27*C*9 + 27 (offset conv).

    Args:
        in_channels, out_channels: channels.
        stride, padding: of the 3x3 kernel (the offset conv uses the same, so its map matches the output).
        impl: 'sampling' (default, :func:`deform_conv2d_by_sampling`) or 'op' (:func:`deform_conv2d_op`).

    Input x: (N, C_in, H, W) float32; output (N, C_out, H_out, W_out).
    """

    def __init__(self, in_channels, out_channels, stride=1, padding=1, impl="sampling"):
        super().__init__()
        if impl not in ("sampling", "op"):
            raise ValueError(f"impl must be 'sampling' or 'op', got {impl!r}")
        self.stride = stride
        self.padding = padding
        self.impl = impl
        # Main weights initialised like a plain nn.Conv2d (He-uniform), with bias as in DCNv2.
        conv = nn.Conv2d(in_channels, out_channels, KERNEL, has_bias=True)
        self.weight = conv.weight
        self.bias = conv.bias
        self.conv_offset = nn.Conv2d(
            in_channels,
            3 * TAPS,
            KERNEL,
            stride=stride,
            pad_mode="pad",
            padding=padding,
            has_bias=True,
            weight_init=Zero(),
            bias_init=Zero(),
        )

    def offset_mask(self, x):
        """(N, 27, H_out, W_out): predicted [9 dx | 9 dy | 9 masks in (0, 1)]."""
        out = self.conv_offset(x)
        return ops.cat((out[:, : 2 * TAPS], ops.sigmoid(out[:, 2 * TAPS :])), axis=1)

    def construct(self, x):
        om = self.offset_mask(x)
        if self.impl == "op":
            return deform_conv2d_op(x, self.weight, om, self.bias, self.stride, self.padding)
        return deform_conv2d_by_sampling(x, self.weight, om, self.bias, self.stride, self.padding)


__all__ = [
    "DeformConv2d",
    "deform_conv2d",
    "deform_conv2d_by_sampling",
    "deform_conv2d_op",
    "expand_taps",
    "offsets_mindspore_to_torch",
    "offsets_torch_to_mindspore",
    "sample_taps",
]
