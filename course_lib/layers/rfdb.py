"""RFDB: the residual feature distillation block of RFDN, as released, and its efficient HDR variant.

Liu, Tang and Wu, "Residual Feature Distillation Network for Lightweight Image Super-Resolution" (RFDN,
ECCV-W 2020, arXiv 2009.11551), Fig. 2(c); reference code njulj/RFDN ``block.py`` (class ``RFDB``).
With c input channels and d = c // 2 "distilled" channels, three distillation stages each split the
current features f into

    distilled_k = act(conv1x1_{c->d}(f))               # distillation connection (kept for the end)
    f           = act(conv3x3_{c->c}(f) + f)           # shallow residual block (SRB): refined features

then a fourth conv3x3 c->d + act, a concatenation of the four d-channel maps (4d = 2c channels), a 1x1
fusion 2c -> c, and enhanced spatial attention (:class:`~course_lib.layers.attention.ESA`). There is no
residual around the whole block (RFDN adds one outside it).

What differs from the paper: the paper's distillation rate is 0.25 (d = c/4, "remaining" 3c/4); the
released code ignores its ``distillation_rate`` argument and uses d = c/2 and c remaining channels. This
file follows the released code, so ``RFDB(50)`` has the 94,450 parameters of one block of the released
RFDN (methods.md Sec. 5(a2), pitfall 2). Activations are LeakyReLU with slope 0.05, as in ``block.py``.
The sub-layers keep the official names (``c1_d``, ``c1_r``, ..., ``c5``, ``esa.conv1`` ...), so an
official ``block.py`` state dict loads name for name.

course_lib's ESA is the official one: same layers, padding (the strided 3x3 conv has none), max-pool 7/3,
ReLUs and bilinear upsampling with align_corners=False; ``tests/test_hdr_models.py`` checks a whole
RFDB against a PyTorch twin of ``block.py``.

Efficient variant (``separable=True, act="silu"``), the block of the NTIRE 2022 Efficient HDR winner as
described in its team's blog post (methods.md Sec. 5, [unverified]; no code is public): every 3x3 conv
(the three SRB convs and the fourth conv) becomes a depthwise-separable pair
(:class:`~course_lib.layers.separable.SeparableConv2d`, depthwise 3x3 + pointwise 1x1, both with bias) and
the activation is SiLU, x * sigmoid(x). The 1x1 convs and ESA are unchanged. Per output pixel a 3x3 conv
c->c costs 9c^2 multiply-adds, the separable pair 9c + c^2: the block gets about 4.5x cheaper at c = 64.

Shapes: x (N, c, H, W) float32 -> (N, c, H, W), any range. ESA needs H, W >= 15.
"""

from mindspore import nn, ops

from .attention import ESA
from .separable import SeparableConv2d

__all__ = ["RFDB", "ACTIVATIONS", "make_activation"]

ACTIVATIONS = ("lrelu", "silu", "relu")


def make_activation(act: str) -> nn.Cell:
    """'lrelu' (LeakyReLU, slope 0.05 as in RFDN's ``block.py``), 'silu' or 'relu'."""
    if act == "lrelu":
        return nn.LeakyReLU(alpha=0.05)  # MindSpore's default slope is 0.2, PyTorch's 0.01: set it
    if act == "silu":
        return nn.SiLU()
    if act == "relu":
        return nn.ReLU()
    raise ValueError(f"act must be one of {ACTIVATIONS}, got {act!r}")


def _conv1x1(in_channels, out_channels):
    return nn.Conv2d(in_channels, out_channels, 1, pad_mode="valid", has_bias=True)


def _conv3x3(in_channels, out_channels, separable):
    if separable:
        return SeparableConv2d(in_channels, out_channels, 3)
    return nn.Conv2d(in_channels, out_channels, 3, pad_mode="pad", padding=1, has_bias=True)


class RFDB(nn.Cell):
    """Residual feature distillation block (released RFDN form: d = c // 2; see the module docstring).

    Args:
        channels: c, input and output channels (50 in RFDN; at least 4 for ESA).
        separable: replace every 3x3 conv by a depthwise-separable pair (efficient variant).
        act: 'lrelu' (official, slope 0.05), 'silu' (efficient variant) or 'relu'.

    Call: (N, c, H, W) float32 -> (N, c, H, W), H, W >= 15.
    """

    def __init__(self, channels: int, separable: bool = False, act: str = "lrelu"):
        super().__init__()
        if channels < 4:
            raise ValueError(f"RFDB needs channels >= 4 (ESA works on channels // 4), got {channels}")
        c, d = channels, channels // 2  # remaining and distilled widths of the released code
        self.channels, self.separable = c, separable
        self.c1_d, self.c1_r = _conv1x1(c, d), _conv3x3(c, c, separable)
        self.c2_d, self.c2_r = _conv1x1(c, d), _conv3x3(c, c, separable)
        self.c3_d, self.c3_r = _conv1x1(c, d), _conv3x3(c, c, separable)
        self.c4 = _conv3x3(c, d, separable)
        self.c5 = _conv1x1(4 * d, c)  # fuse the four distilled maps
        self.esa = ESA(c)
        self.act = make_activation(act)

    def construct(self, x):
        distilled_1 = self.act(self.c1_d(x))
        r1 = self.act(self.c1_r(x) + x)  # SRB: conv3x3 with an identity skip
        distilled_2 = self.act(self.c2_d(r1))
        r2 = self.act(self.c2_r(r1) + r1)
        distilled_3 = self.act(self.c3_d(r2))
        r3 = self.act(self.c3_r(r2) + r2)
        r4 = self.act(self.c4(r3))
        out = ops.concat((distilled_1, distilled_2, distilled_3, r4), axis=1)  # (N, 4d, H, W)
        return self.esa(self.c5(out))
