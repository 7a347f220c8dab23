"""Multi-exposure HDR fusion: AHDRNet (the NTIRE 2022 baseline) and an efficient RFDB-based network.

Both networks take three LDR frames of a scene, short, medium and long exposure, the medium one being
the reference (the output is aligned to it), and return the linear HDR image normalised to [0, 1].

Input of each frame k (Kalantari & Ramamoorthi, SIGGRAPH 2017; AHDRNet): 6 channels, the LDR image L_k
and its mapping to the linear HDR domain, L_k^gamma / t_k (gamma 2.2, t_k the exposure time)::

    x_k = cat(L_k, L_k ** 2.2 / t_k)        (N, 6, H, W) float32; L_k in [0, 1], the second half >= 0

:func:`course_lib.data.hdr.network_input` builds the three inputs from a (N, 9, H, W) bracket, and
:class:`course_lib.models.hdr_bracket.BracketInput` does it inside the graph. Call ``net(x1, x2, x3)``
(x2 the reference), or ``net(x)`` with one (N, 18, H, W) tensor ``cat(x1, x2, x3)`` (the form
:func:`course_lib.metrics.count_macs` feeds). Output
(N, 3, H, W) float32 in (0, 1) (sigmoid). Train on mu-law tone-mapped values
(:mod:`course_lib.losses.hdr`); the metric is PSNR-mu (:func:`course_lib.metrics.psnr_mu`).

**AHDRNet** (Yan et al., "Attention-guided Network for Ghost-free High Dynamic Range Imaging", CVPR
2019; official code qingsenyangit/AHDRNet ``model.py``, class ``AHDR``, defaults nFeat 64, nDenselayer 6,
growthRate 32)::

    F_k = LReLU(conv1(x_k))                 shared 3x3 conv 6 -> 64, k = 1, 2, 3; LReLU slope 0.01
    A_1 = sigmoid(att12(LReLU(att11(cat(F_1, F_2)))))    3x3 convs 128 -> 128 -> 64 (attention module)
    A_3 = same with att31, att32 on cat(F_3, F_2);   F'_1 = F_1 * A_1,  F'_3 = F_3 * A_3
    F_0 = conv2(cat(F'_1, F_2, F'_3))       3x3 192 -> 64
    F_1..F_3 = DRDB(F_0), DRDB(F_1), DRDB(F_2)           dilated residual dense blocks
    out = sigmoid(conv3(conv_up(GFF_3x3(GFF_1x1(cat(F_1, F_2, F_3))) + F_2)))   global residual on F_2

A DRDB is 6 layers "conv3x3 (dilation 2) -> ReLU -> concatenate with the layer's input" (64 + 6 * 32 =
256 channels), then a 1x1 conv 256 -> 64 and a local residual. Parameters: 1,441,283; MACs: 1,446,720
per pixel, 2,914 GMACs at the NTIRE 2022 frame size 1060x1900 (count_macs; methods.md Sec. 5(a1)).

What differs from the official AHDRNet: the official ``AHDR`` also defines two 3x3 convs, ``attConv1`` and
``attConv3`` (73,856 parameters), that its forward never uses; they are left out here, so an official state
dict loads after dropping those two entries. The module names are otherwise the official ones (``conv1``,
``att11``, ``RDB1.dense_layers.0.conv``, ...), so the rest loads name for name.

**EfficientHDR** (course version of the NTIRE 2022 Efficient HDR winner, team ALONG of NetEase Games AI
Lab; no code is public, the components below are those of the team's blog post, [unverified], methods.md
Sec. 5)::

    x_k -> PixelUnshuffle(r)                (N, 6 r^2, H/r, W/r): no alignment, no full-resolution conv
        -> conv_first (shared, separable 3x3) + act                       F_k, C channels
    F'_k = F_k * sigmoid(conv(act(conv(cat(F_k, F_2)))))  k = 1, 3        AHDRNet's attention, separable
    F_0 = conv_merge(cat(F'_1, F_2, F'_3))  1x1 3C -> C
    B_1..B_n = RFDB(F_0), RFDB(B_1), ...    efficient RFDBs (separable 3x3 convs, SiLU; layers/rfdb.py)
    G = conv_after_body(act(conv_fuse(cat(B_1..B_n)))) + F_2             RFDN's fusion, AHDRNet's residual
    out = sigmoid(PixelShuffle(r)(conv_last(G)))                          conv_last: 3x3 C -> 3 r^2

Course addition, ``reference_skip=True`` (the 'course' config): the output starts from the medium frame read
as radiance, ``out = clip(s * sRGB^-1(LDR_2) + PixelShuffle(r)(conv_last(G)), 0, 1)`` with the inverse sRGB
curve (the camera curve of the course's brackets and of most JPEGs; the network's inputs keep AHDRNet's
gamma 2.2), a learned scale ``s`` (initial value ``reference_scale``, 0.25 for the course's data normalised
by 4) and ``conv_last`` initialised to zero: the untrained network *is* the medium-frame baseline, and training only has to add what the short and long frames know
(highlights, shadows). Trained from scratch with the sigmoid head, the course network stayed 4.5 dB PSNR-mu
below the medium frame after 1,500 steps (README); the same idea as AECR-Net's dark-channel-prior head.

Course addition, ``merge_skip=True``: the output starts from a classical radiance merge of all three frames
(:func:`exposure_merge`: each value read as radiance through the inverse camera curve and divided by its
exposure time, as in Debevec & Malik 1997, but weighted by the exposure time instead of their hat function), and
the network predicts, per pixel, a logit for each frame's weight (Kalantari & Ramamoorthi's weight estimator,
SIGGRAPH 2017) and a change to the result::

    head = PixelShuffle(r)(conv_last(G))           (N, 6, H, W); conv_last's weights zero at first, its bias
                                                   the frames' initial logits (merge_prior, default 0)
    out = clip(exposure_merge(frames, logits=head[:, 0:3]) + head[:, 3:6], 0, 1)

Untrained it *is* the classical merge; training has to learn where a frame must not be trusted (noise, and the
misaligned short and long frames of a moving scene). Why it exists: networks trained from the medium-frame start
never leave the medium frame where it is clipped (their output stays at most 0.26 where the target reaches 1,
and they score the same on static and moved brackets: they denoise the medium frame and ignore the others;
``benchmarks/hdr_regions.py``). The merge start takes the highlights from the short frame, but at the course
size it also merges misaligned frames: trained alone for 4,000 steps it ends at 35.4 dB PSNR-mu (the
medium-frame start: 35.7 after 6,000), though 1.6 dB higher in linear PSNR (40.9 against 39.3, where the
highlights count). With the frames aligned first (``align_max_shift``, below) it is the course weights' start.

Course addition, ``align_max_shift=m``: before anything else the short and long frames are moved onto the medium
one by the integer shift, up to m pixels, that Ward's median threshold bitmaps find
(:class:`course_lib.layers.align.GlobalShiftAlign`, the global alignment HDR tools run on a hand-held bracket).
With ``merge_skip`` the untrained network then *is* the classical pipeline, align and merge: 40.62 dB PSNR-mu on
the held-out brackets, above AHDRNet's course weights (37.11). The registry's ``efficient_hdr`` is this network,
``EfficientHDR("course", merge_skip=True, align_max_shift=3)`` (docs/results.md, "Efficient HDR"). A global shift
undoes a moved camera, not objects that move on their own.

Configurations (:data:`CONFIGS`, ``EfficientHDR(track)``; parameters by count_params, GMACs by count_macs on
a full 1060x1900 frame, measured on MindSpore 2.10 CPU):

================  ===  ===  ======  =========  ======  ============================================
track              r    C   blocks  params     GMACs   role
================  ===  ===  ======  =========  ======  ============================================
1                  2   64     8      433,788   182.38  NTIRE 2022 track 1: under its 200-GMAC cap
2                  2   48     5      169,572    72.89  track 2 size (no cap: see below)
'teacher'          2   64     6    1,248,716   615.19  plain 3x3 convs: the distillation teacher
'course'           2   32     2       42,461    19.58  laptop CPU: ~13 ms forward at 64x64 (GRAPH_MODE,
                                                       2 cores; ~100 ms in PyNative), 40 MMACs
'course_teacher'   2   48     3      437,509   222.67  plain 3x3 convs: the course's distillation
                                                       teacher, ~0.5 s a training step on 2 cores
================  ===  ===  ======  =========  ======  ============================================

The two NTIRE 2022 tracks (Perez-Pellitero et al., CVPRW 2022): track 1 maximises fidelity (PSNR-mu) under
a cap of 200 GMACs; track 2 has **no** GMAC cap: an entry must reach the AHDRNet baseline's PSNR-mu and PSNR,
and ranks by how few GMACs it needs. The ``2`` config is therefore not a budget, only a network sized near
the winner's reported track-2 cost (74.02 GMACs, its track-1 model 198.47: the review's reading of the
report and the blog, [unverified] here).

What differs from the winning entry: the widths, block counts and the attention's layout are the course's
choices, sized with our counter near the winner's reported costs; the
SwinIR-RSTB teacher of the blog is replaced by the ``teacher`` config above, and on a CPU by the smaller
``course_teacher`` (the ``efficient_hdr_teacher`` course weights, which the ``efficient_hdr`` weights
distil). H and W must be multiples of r, and H/r, W/r >= 15 (ESA): crops of 32x32 or more at r = 2.

CPU: the official AHDRNet is a server model (2.9 TMACs per frame, 256-channel full-resolution features);
``EfficientHDR("course")`` trains in minutes on a laptop CPU. Tested on MindSpore 2.10, CPU.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import mindspore as ms
import numpy as np
from mindspore import nn, ops

from ..data.hdr import EVS
from ..layers.align import GlobalShiftAlign
from ..layers.pixel_shuffle import PixelShuffle, PixelUnshuffle
from ..layers.rfdb import RFDB, make_activation
from ..layers.separable import SeparableConv2d

FRAME_CHANNELS = 6  # LDR (3) + LDR^gamma / t (3)

CONFIGS = {
    "track1": dict(unshuffle=2, num_feat=64, num_blocks=8, separable=True),
    "track2": dict(unshuffle=2, num_feat=48, num_blocks=5, separable=True),
    "teacher": dict(unshuffle=2, num_feat=64, num_blocks=6, separable=False),
    "course": dict(unshuffle=2, num_feat=32, num_blocks=2, separable=True, reference_skip=True),
    "course_teacher": dict(unshuffle=2, num_feat=48, num_blocks=3, separable=False, reference_skip=True),
}


def srgb_to_linear(v):
    """Inverse sRGB curve (IEC 61966-2-1) of a Tensor in [0, 1], the camera curve of the course's brackets."""
    v = ops.clamp(v, 0.0, 1.0)
    return ops.where(v <= 0.04045, v / 12.92, ops.pow((v + 0.055) / 1.055, 2.4))


SATURATED = 0.97  # an LDR value above this carries no radiance (the merge's weights drop it)


def exposure_merge(frames, learned_logits, scale, evs=EVS):
    """The three frames merged as radiance, with per-pixel weights: the course's ``merge_skip`` start.

    Each frame's radiance is ``scale * sRGB^-1(LDR_k) / t_k`` with ``t_k = 2^EV_k`` (the radiance map of
    Debevec & Malik, SIGGRAPH 1997, with a known camera curve); the weights trust every unsaturated value in
    proportion to its exposure time (longer exposures have less shot noise relative to their signal; Debevec &
    Malik use a hat function of the value instead), ``w_k = t_k [LDR_k <= 0.97]`` (1e-4 instead of 0); the
    network adds ``learned_logits`` to ``log w_k`` (Kalantari & Ramamoorthi's weight estimator, SIGGRAPH 2017),
    so a zero logit map is the classical merge::

        H = sum_k softmax_k(log w_k + logit_k) * scale * sRGB^-1(LDR_k) / t_k

    Args:
        frames: the three (N, 6, H, W) inputs ``[LDR_k, LDR_k^2.2 / t_k]`` (only the LDR half is read).
        learned_logits: (N, 3, H, W), one logit per frame and pixel (shared by the colour channels).
        scale: radiance units of the targets (0.25: the course's HDR targets are radiance divided by 4).
        evs: the frames' exposure values, those the inputs were made with (the course's -2, 0, +2).

    Returns: (N, 3, H, W) float32 >= 0.
    """
    logs, radiances = [], []
    for k, (x, ev) in enumerate(zip(frames, evs)):
        ldr = ops.clamp(x[:, 0:3], 0.0, 1.0)
        valid = ops.where(ldr > SATURATED, ops.full_like(ldr, 1e-4), ops.ones_like(ldr))
        logs.append(ops.log(valid) + float(ev * math.log(2.0)) + learned_logits[:, k : k + 1])
        radiances.append(srgb_to_linear(ldr) * (scale * float(2.0 ** (-ev))))
    weights = ops.softmax(ops.stack(logs, axis=1), axis=1)  # (N, 3 frames, 3, H, W)
    return ops.sum(weights * ops.stack(radiances, axis=1), dim=1)


def split_frames(x1, x2=None, x3=None):
    """(x1, x2, x3) as given, or the three 6-channel thirds of one (N, 18, H, W) tensor x1."""
    if x2 is None and x3 is None:
        if x1.shape[1] != 3 * FRAME_CHANNELS:
            raise ValueError(f"one input must be cat(x1, x2, x3) of shape (N, 18, H, W), got {x1.shape}")
        return x1[:, 0:6], x1[:, 6:12], x1[:, 12:18]
    return x1, x2, x3


def _conv3x3(in_channels, out_channels, dilation=1):
    return nn.Conv2d(
        in_channels,
        out_channels,
        3,
        pad_mode="pad",
        padding=dilation,
        dilation=dilation,
        has_bias=True,
    )


def _conv1x1(in_channels, out_channels):
    return nn.Conv2d(in_channels, out_channels, 1, pad_mode="valid", has_bias=True)


# ---- AHDRNet -----------------------------------------------------------------------------------------


class DilatedDenseLayer(nn.Cell):
    """cat(x, ReLU(conv3x3_dilation2(x))): (N, c, H, W) -> (N, c + growth, H, W) (official ``make_dilation_dense``)."""

    def __init__(self, in_channels: int, growth: int):
        super().__init__()
        self.conv = _conv3x3(in_channels, growth, dilation=2)  # padding 2 keeps the size

    def construct(self, x):
        return ops.concat((x, ops.relu(self.conv(x))), axis=1)


class DRDB(nn.Cell):
    """Dilated residual dense block: x + conv_1x1(dense_layers(x)); (N, C, H, W) -> same shape."""

    def __init__(self, num_feat: int = 64, num_dense: int = 6, growth: int = 32):
        super().__init__()
        layers = [DilatedDenseLayer(num_feat + i * growth, growth) for i in range(num_dense)]
        self.dense_layers = nn.SequentialCell(layers)
        self.conv_1x1 = _conv1x1(num_feat + num_dense * growth, num_feat)  # local feature fusion

    def construct(self, x):
        return self.conv_1x1(self.dense_layers(x)) + x  # local residual


class AHDRNet(nn.Cell):
    """AHDRNet (official ``AHDR`` configuration; module names as the official ones, see the module docstring).

    Args:
        in_channels: channels of one frame (6: LDR and LDR^2.2 / t).
        num_feat: nFeat (64).
        num_dense: dense layers per DRDB, nDenselayer (6).
        growth: growthRate (32).

    Call: ``net(x1, x2, x3)``, each (N, 6, H, W) float32 (x2 the reference), or ``net(x)`` with x
    (N, 18, H, W) = cat(x1, x2, x3). Returns (N, 3, H, W) float32 in (0, 1), linear HDR normalised.
    """

    def __init__(self, in_channels: int = 6, num_feat: int = 64, num_dense: int = 6, growth: int = 32):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, num_feat)  # shared by the three frames
        self.att11 = _conv3x3(2 * num_feat, 2 * num_feat)  # attention of frame 1 against the reference
        self.att12 = _conv3x3(2 * num_feat, num_feat)
        self.att31 = _conv3x3(2 * num_feat, 2 * num_feat)  # attention of frame 3
        self.att32 = _conv3x3(2 * num_feat, num_feat)
        self.conv2 = _conv3x3(3 * num_feat, num_feat)  # merge
        self.RDB1 = DRDB(num_feat, num_dense, growth)
        self.RDB2 = DRDB(num_feat, num_dense, growth)
        self.RDB3 = DRDB(num_feat, num_dense, growth)
        self.GFF_1x1 = _conv1x1(3 * num_feat, num_feat)  # global feature fusion
        self.GFF_3x3 = _conv3x3(num_feat, num_feat)
        self.conv_up = _conv3x3(num_feat, num_feat)
        self.conv3 = _conv3x3(num_feat, 3)
        self.relu = nn.LeakyReLU(alpha=0.01)  # PyTorch's nn.LeakyReLU() default (MindSpore's is 0.2)

    def attention(self, conv_a, conv_b, f, f_ref):
        """Attention map sigmoid(conv_b(LReLU(conv_a(cat(f, f_ref))))) in (0, 1), shaped as f."""
        return ops.sigmoid(conv_b(self.relu(conv_a(ops.concat((f, f_ref), axis=1)))))

    def construct(self, x1, x2=None, x3=None):
        x1, x2, x3 = split_frames(x1, x2, x3)
        f1, f2, f3 = self.relu(self.conv1(x1)), self.relu(self.conv1(x2)), self.relu(self.conv1(x3))
        f1 = f1 * self.attention(self.att11, self.att12, f1, f2)  # F'_1 = F_1 * A_1
        f3 = f3 * self.attention(self.att31, self.att32, f3, f2)
        f0 = self.conv2(ops.concat((f1, f2, f3), axis=1))  # (N, 64, H, W)
        d1 = self.RDB1(f0)
        d2 = self.RDB2(d1)
        d3 = self.RDB3(d2)
        fused = self.GFF_3x3(self.GFF_1x1(ops.concat((d1, d2, d3), axis=1)))
        out = self.conv_up(fused + f2)  # global residual on the reference's features
        return ops.sigmoid(self.conv3(out))


# ---- EfficientHDR ------------------------------------------------------------------------------------


def _conv3x3_maybe_separable(in_channels, out_channels, separable):
    if separable:
        return SeparableConv2d(in_channels, out_channels, 3)
    return _conv3x3(in_channels, out_channels)


class ReferenceAttention(nn.Cell):
    """AHDRNet's attention, narrowed: f * sigmoid(conv_b(act(conv_a(cat(f, f_ref))))).

    conv_a: 3x3 2C -> C (AHDRNet: 2C -> 2C), conv_b: 3x3 C -> C; separable when asked.
    Call: f, f_ref (N, C, h, w) -> (N, C, h, w).
    """

    def __init__(self, num_feat: int, separable: bool = True, act: str = "silu"):
        super().__init__()
        self.conv_a = _conv3x3_maybe_separable(2 * num_feat, num_feat, separable)
        self.conv_b = _conv3x3_maybe_separable(num_feat, num_feat, separable)
        self.act = make_activation(act)

    def construct(self, f, f_ref):
        a = ops.sigmoid(self.conv_b(self.act(self.conv_a(ops.concat((f, f_ref), axis=1)))))
        return f * a


class EfficientHDR(nn.Cell):
    """Efficient HDR fusion at 1/r resolution with RFDBs (see the module docstring).

    Args:
        track: the configuration of :data:`CONFIGS` to start from: 1 (< 200 GMACs), 2 (about 73 GMACs),
            'teacher' or 'course'; the arguments below, when given, override it.
        unshuffle: r, the PixelUnshuffle factor (2 in every config): the body runs on (H/r, W/r) maps.
        num_feat: C, feature channels of the body.
        num_blocks: RFDBs in the body.
        separable: depthwise-separable 3x3 convs everywhere but the last conv (True; False in the
            plain-conv 'teacher').
        act: 'silu' (default), 'lrelu' (slope 0.05) or 'relu'.
        in_channels: channels of one frame (6).
        reference_skip: start the output from the medium frame read as radiance (course addition, module
            docstring; True in the 'course' config, False in the others).
        reference_scale: initial value of the learned scale of that skip (0.25: the course's HDR targets
            are radiance divided by 4); also the merge's.
        merge_skip: start the output from the classical radiance merge of the three frames, with learned
            per-pixel frame weights (course addition, module docstring; replaces the config's reference_skip).
        merge_prior: the frames' initial logits (added to the merge's log-weights; default 0, 0, 0: the
            classical merge); (-5, 0, -5) starts from the medium frame, its clipped values taken from the
            short frame.
        align_max_shift: first move the short and long frames onto the medium one by the integer shift, up
            to this many pixels, that Ward's median threshold bitmaps find (course addition:
            :class:`course_lib.layers.align.GlobalShiftAlign`, the alignment of a hand-held bracket that HDR
            tools run before merging); 0 (default): no alignment.

    Call: ``net(x1, x2, x3)`` with each (N, 6, H, W) float32 (x2 the reference), or ``net(x)`` with x
    (N, 18, H, W); H and W multiples of r with H/r, W/r >= 15. Returns (N, 3, H, W) float32 in (0, 1).
    """

    def __init__(
        self,
        track=1,
        unshuffle: Optional[int] = None,
        num_feat: Optional[int] = None,
        num_blocks: Optional[int] = None,
        separable: Optional[bool] = None,
        act: str = "silu",
        in_channels: int = FRAME_CHANNELS,
        reference_skip: Optional[bool] = None,
        reference_scale: float = 0.25,
        merge_skip: Optional[bool] = None,
        merge_prior: Optional[Sequence[float]] = None,
        align_max_shift: int = 0,
    ):
        super().__init__()
        config = _config(track)
        if reference_skip is not None:
            config["reference_skip"] = reference_skip
        if merge_skip is not None:
            config["merge_skip"] = merge_skip
            if merge_skip and reference_skip is None:  # the merge replaces the config's medium-frame start
                config["reference_skip"] = False
        if merge_prior is not None:
            if not config.get("merge_skip"):
                raise ValueError("merge_prior sets the merge's initial logits: it needs merge_skip=True")
            config["merge_prior"] = tuple(float(v) for v in merge_prior)
        if config.get("reference_skip") and config.get("merge_skip"):
            raise ValueError("choose one start of the output: reference_skip or merge_skip, not both")
        given = dict(unshuffle=unshuffle, num_feat=num_feat, num_blocks=num_blocks, separable=separable)
        config.update({k: v for k, v in given.items() if v is not None})
        r, c, num_blocks, separable = (
            config[k] for k in ("unshuffle", "num_feat", "num_blocks", "separable")
        )
        if num_blocks < 1:
            raise ValueError(f"num_blocks must be >= 1, got {num_blocks}")
        self.config = dict(config, act=act)
        self.aligned = align_max_shift != 0
        if self.aligned:  # validates the value too
            self.config["align_max_shift"] = align_max_shift
            self.align = GlobalShiftAlign(align_max_shift)
        self.unshuffle = r
        self.pixel_unshuffle = PixelUnshuffle(r)
        self.conv_first = _conv3x3_maybe_separable(in_channels * r * r, c, separable)  # shared by frames
        self.att1 = ReferenceAttention(c, separable, act)
        self.att3 = ReferenceAttention(c, separable, act)
        self.conv_merge = _conv1x1(3 * c, c)
        self.body = nn.CellList([RFDB(c, separable=separable, act=act) for _ in range(num_blocks)])
        self.conv_fuse = _conv1x1(num_blocks * c, c)
        self.conv_after_body = _conv3x3_maybe_separable(c, c, separable)
        self.reference_skip = bool(config.get("reference_skip", False))
        self.merge_skip = bool(config.get("merge_skip", False))
        # merge_skip: 3 weight logits and 3 residual channels per pixel; else the 3 output channels
        self.conv_last = _conv3x3(c, (6 if self.merge_skip else 3) * r * r)
        if self.reference_skip or self.merge_skip:  # course additions (module docstring): start as a baseline
            for p in self.conv_last.get_parameters():
                p.set_data(ms.Tensor(np.zeros(p.shape, np.float32)))
            if self.merge_skip:
                # the frames' logits start at merge_prior: pixel-shuffled channel k comes from conv channels
                # k r^2 ... (k + 1) r^2 - 1
                prior = config.get("merge_prior", (0.0, 0.0, 0.0))
                if len(prior) != 3:
                    raise ValueError(f"merge_prior needs one log-weight per frame (3), got {prior}")
                bias = np.zeros(6 * r * r, np.float32)
                bias[: 3 * r * r] = np.repeat(np.asarray(prior, np.float32), r * r)
                self.conv_last.bias.set_data(ms.Tensor(bias))
            self.reference_scale = ms.Parameter(
                ms.Tensor(np.float32(reference_scale)), name="reference_scale"
            )
        self.pixel_shuffle = PixelShuffle(r)
        self.act = make_activation(act)

    def diagram_flow(self):
        """The wiring of ``construct`` for ``viz.architecture``: the three frames through the shared first
        conv, attention against the medium frame, the RFDB chain with RFDN's concatenation of every block's
        output, AHDRNet's global residual on the medium frame's features, and the output head."""
        blocks = [f"body.{i}" for i in range(len(self.body))]
        split = "@split: 3 frames of 6 channels -> " + ("align -> " if self.aligned else "")
        flow = [
            "input -> " + split + "pixel_unshuffle -> conv_first -> att1, att3, @concat#merge",
            "att1, att3 -> @concat#merge -> conv_merge -> " + " -> ".join(blocks),
            ", ".join(blocks)
            + " -> @concat#fuse -> conv_fuse -> conv_after_body -> @+ F2 -> conv_last -> pixel_shuffle",
            "conv_first -> @+ F2",
        ]
        if self.merge_skip:
            return flow + [
                "pixel_shuffle -> @frame weights and change#head -> @+ clip#out -> output",
                ("align" if self.aligned else "input")
                + " -> @radiance merge of the 3 frames -> @frame weights and change#head",
            ]
        if self.reference_skip:
            return flow + [
                "pixel_shuffle -> @+ clip#out -> output",
                "input -> @medium frame as radiance (s sRGB^-1) -> @+ clip#out",
            ]
        return flow + ["pixel_shuffle -> @sigmoid -> output"]

    def construct(self, x1, x2=None, x3=None):
        x1, x2, x3 = split_frames(x1, x2, x3)
        if self.aligned:  # the short and long frames moved onto the medium one (a global shift)
            x1, x3 = self.align(x1, x2), self.align(x3, x2)
        f1 = self.act(self.conv_first(self.pixel_unshuffle(x1)))  # (N, C, H/r, W/r)
        f2 = self.act(self.conv_first(self.pixel_unshuffle(x2)))
        f3 = self.act(self.conv_first(self.pixel_unshuffle(x3)))
        f1, f3 = self.att1(f1, f2), self.att3(f3, f2)  # attention against the reference frame
        res = self.conv_merge(ops.concat((f1, f2, f3), axis=1))
        outs = []
        for block in self.body:
            res = block(res)
            outs.append(res)
        res = self.act(self.conv_fuse(ops.concat(outs, axis=1)))  # (N, C, H/r, W/r)
        res = self.conv_after_body(res) + f2  # global residual on the reference's features
        if self.merge_skip:  # the classical merge with learned weights, plus a learned change
            head = self.pixel_shuffle(self.conv_last(res))  # (N, 6, H, W)
            merged = exposure_merge((x1, x2, x3), head[:, 0:3], self.reference_scale)
            return ops.clamp(merged + head[:, 3:6], 0.0, 1.0)
        if (
            self.reference_skip
        ):  # the medium frame as radiance (inverse sRGB of its LDR) plus a learned change
            base = self.reference_scale * srgb_to_linear(x2[:, 0:3])
            return ops.clamp(base + self.pixel_shuffle(self.conv_last(res)), 0.0, 1.0)
        return ops.sigmoid(self.pixel_shuffle(self.conv_last(res)))  # (N, 3, H, W)


def _config(track) -> dict:
    key = f"track{track}" if track in (1, 2) else track
    if key not in CONFIGS:
        raise ValueError(
            f"unknown EfficientHDR track {track!r}; choose 1, 2, 'teacher', 'course' or 'course_teacher'"
        )
    return dict(CONFIGS[key])
