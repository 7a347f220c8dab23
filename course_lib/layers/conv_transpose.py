"""Transposed convolution with PyTorch's semantics (``torch.nn.ConvTranspose2d``), groups 1.

A transposed convolution scatters every input pixel, multiplied by the kernel, into the output, with
the kernel's footprints ``stride`` pixels apart (Dumoulin & Visin, "A guide to convolution arithmetic",
arXiv 1603.07285, Sec. 4). The full scatter of an (H, W) input has ``(H - 1) * stride + k`` rows. PyTorch
then crops ``padding`` rows at the start and keeps

    H_out = (H - 1) * stride - 2 * padding + k + output_padding

rows, so ``output_padding`` rows come back at the end that the plain crop would have cut: they are
*computed* rows (footprints of the last input pixels), not zeros.

Porting trap (MindSpore 2.10, CPU): ``nn.Conv2dTranspose`` with ``pad_mode='pad', padding=1,
output_padding=1`` gives the right shape but leaves the last output row and column at the bias; every
other position agrees with PyTorch. AECR-Net's decoder and every k=3, stride-2 upsampler hit it. This
module computes the full scatter with MindSpore's own op (``pad_mode='valid'``, which is correct), then
crops the way PyTorch does: the function stays one fast op plus a slice, and trains in graph mode.

Weight layout: ``(in_channels, out_channels, k_h, k_w)``, the layout of PyTorch's ``ConvTranspose2d``
and of MindSpore's ``nn.Conv2dTranspose``, so official weights copy over unchanged.
"""

from __future__ import annotations

import math

from mindspore import Parameter, nn, ops
from mindspore.common.initializer import HeUniform, Uniform, initializer


def _pair(v, name):
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(i, int) for i in v):
        return tuple(v)
    raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")


def check_arguments(kernel_size, stride, padding, output_padding):
    """The four sizes as pairs; a ValueError names the impossible combination."""
    k, s, p, op = (_pair(kernel_size, "kernel_size"), _pair(stride, "stride"), _pair(padding, "padding"),
                   _pair(output_padding, "output_padding"))  # fmt: skip
    for i in range(2):
        if k[i] < 1 or s[i] < 1 or p[i] < 0 or op[i] < 0:
            raise ValueError(
                f"kernel_size and stride must be >= 1, padding and output_padding >= 0; got "
                f"kernel_size {k}, stride {s}, padding {p}, output_padding {op}"
            )
        if op[i] >= s[i]:
            raise ValueError(
                f"output_padding {op} must be smaller than stride {s} (as in PyTorch): larger values would "
                "add rows no input pixel reaches"
            )
    return k, s, p, op


def output_size(in_size: int, kernel_size: int, stride: int, padding: int, output_padding: int) -> int:
    """``(in_size - 1) * stride - 2 * padding + kernel_size + output_padding`` (PyTorch's formula)."""
    return (in_size - 1) * stride - 2 * padding + kernel_size + output_padding


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0):
    """PyTorch's ``F.conv_transpose2d`` (groups 1, dilation 1) on MindSpore ops.

    Args:
        x: (N, C_in, H, W) float32.
        weight: (C_in, C_out, k_h, k_w).
        bias: (C_out,) or None.
        stride, padding, output_padding: ints or (row, column) pairs; ``output_padding < stride``.

    Returns:
        (N, C_out, H_out, W_out) with ``H_out = (H - 1) * stride - 2 * padding + k_h + output_padding``.
    """
    k, s, p, op = check_arguments(tuple(weight.shape[2:]), stride, padding, output_padding)
    n, c_in, h, w = x.shape
    c_out = weight.shape[1]
    full_h, full_w = (h - 1) * s[0] + k[0], (w - 1) * s[1] + k[1]
    # The op is the input-gradient of a conv with c_in outputs: its out_channel is that conv's, c_in.
    scatter = ops.Conv2DTranspose(c_in, k, pad_mode="valid", stride=s)
    full = scatter(x, weight, (n, c_out, full_h, full_w))  # every footprint, nothing cropped
    out_h = output_size(h, k[0], s[0], p[0], op[0])
    out_w = output_size(w, k[1], s[1], p[1], op[1])
    short_h, short_w = max(0, p[0] + out_h - full_h), max(0, p[1] + out_w - full_w)
    if short_h or short_w:  # output_padding > padding: rows past every footprint, bias only
        full = ops.pad(full, (0, short_w, 0, short_h))
    out = full[:, :, p[0] : p[0] + out_h, p[1] : p[1] + out_w]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


class ConvTranspose2d(nn.Cell):
    """A Cell around :func:`conv_transpose2d`, with ``torch.nn.ConvTranspose2d``'s arguments and init.

    Parameters ``weight`` (in_channels, out_channels, k, k) and ``bias`` (out_channels,), initialised
    like PyTorch (Kaiming-uniform with a = sqrt(5); bias uniform in +-1/sqrt(fan_in), fan_in =
    out_channels * k_h * k_w, as PyTorch computes it from the transposed weight).

    Input (N, in_channels, H, W) -> output (N, out_channels, H_out, W_out), see :func:`output_size`.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 has_bias=True):  # fmt: skip
        super().__init__()
        k, s, p, op = check_arguments(kernel_size, stride, padding, output_padding)
        self.stride, self.padding, self.output_padding = s, p, op
        shape = (in_channels, out_channels, k[0], k[1])
        self.weight = Parameter(initializer(HeUniform(math.sqrt(5)), shape), name="weight")
        if has_bias:
            bound = 1.0 / math.sqrt(out_channels * k[0] * k[1])
            self.bias = Parameter(initializer(Uniform(bound), (out_channels,)), name="bias")
        else:
            self.bias = None

    def macs(self, inputs, output) -> int:
        """Multiply-accumulates: every input pixel meets the whole kernel (for ``metrics.count_macs``)."""
        n, c_in, h, w = inputs[0].shape
        return n * h * w * c_in * int(self.weight.shape[1] * self.weight.shape[2] * self.weight.shape[3])

    def construct(self, x):
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding)
