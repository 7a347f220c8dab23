"""KTDN and SRKTDN: knowledge-transfer dehazing, and the same with a parallel super-resolution branch.

* **KTDN** (Wu, Liu, Xie, Qu, Ma, "Knowledge Transfer Dehazing Network for NonHomogeneous Dehazing",
  CVPRW 2020; GlassyWu/KTDN ``model.py`` ``Dehaze``): an encoder (Res2Net-101 v1b, stages 1-3) gives
  features at 1/4, 1/8, 1/16; an FA block at 1/16 gives the **transfer feature**; the decoder upsamples by
  PixelShuffle(2), refines with an FA block and concatenates the encoder's 1/8 features, again with the
  1/4 features, then two more PixelShuffle(2) reach full size with few channels (1024 -> ... -> 28 in the
  official network); a pyramid-pooling enhancer and a 7x7 conv + tanh give the image. A **teacher** of
  the same architecture is trained clear -> clear; the dehazing network (the student) is trained hazy ->
  clear while an L1 loss pulls its transfer feature towards the frozen teacher's on the clear image
  (:mod:`course_lib.losses.transfer`).
* **SRKTDN** (Chen, Fu, Jiang, Gao, Liu, "SRKTDN: Applying Super Resolution Method to Dehazing Task",
  CVPRW 2021): the KTDN branch without its tail, an RCAN feature branch at full resolution beside it
  (:mod:`course_lib.layers.rcab`), and a fusion tail (7x7 conv + tanh on both branches' channels). No
  SRKTDN code is public; the layout is that of the NTIRE 2021 two-branch network
  (liuh127/Two-branch-dehazing ``fusion_refine``), which the paper's description matches.

The input is normalised inside the network by KTDN's statistics (``MEAN``, ``STD``, from its ``test.py``):
give images in [0, 1]. The output is in (-1, 1) (tanh); clip to [0, 1] for display and metrics, as the
official test code does. H and W must be multiples of 32 (the encoder's 1/16 and the enhancer's 32-pixel
pooling): a ValueError says so; ``course_lib.train.predict`` and ``python -m course_lib enhance`` pad.

Configurations (:func:`ktdn`, :func:`srktdn`, :func:`ktdn_teacher`):

* ``'official'``: Res2Net-101 v1b 26w x 4s, 28 enhancer channels, RCAN 5 x 10 x 32; with the two tensors
  the official code builds but never calls, 49,351,930 (KTDN) and 50,353,285 (two-branch) parameters,
  the official counts, so official checkpoints load name for name (:func:`course_lib.convert.convert_ktdn`).
  ImageNet weights for the encoder cannot be downloaded here: ``encoder_weights=PATH`` loads a user's
  ``res2net101_v1b_26w_4s-0812c246.pth``; otherwise the encoder starts from scratch.
* ``'compact'``: a Res2Net v1b with (1, 1, 2) blocks and (40, 72, 96) channels, 16 enhancer channels, RCAN
  2 x 3 x 16: the same wiring, small enough to train on a CPU in minutes.

Course variants (not in the papers): ``input_skip=True`` adds the hazy input to the tail's output (the tail's
conv starts at zero, so the untrained network returns its input and learns only the correction); trained from
scratch on a CPU for 150 steps, compact SRKTDN reached SSIM 0.81 on the held-out non-homogeneous haze this way.
``prior_head=True`` adds the tail's output to the dark channel prior's recovery (the registry's ``ktdn_dcp``,
``srktdn_dcp``). The registry's ``ktdn`` and ``srktdn`` are the papers' networks (tail output as is). Compact
KTDN's decoder reaches full size with only 4 channels (the official 28): its image is a blur (SSIM 0.59-0.62 on the
held-out haze, its clear -> clear teacher 0.69; ``docs/ktdn_camera_ema_try.json``). With ``planes=(58, 18, 24)``
the decoder keeps 16 channels: teacher 0.73, student 0.64-0.66 and about 1 dB higher, still below the dark channel
prior (``docs/ktdn_wide_try.json``). SRKTDN's RCAN branch works at full resolution and carries the detail.
"""

from __future__ import annotations

import mindspore as ms
import numpy as np
from mindspore import nn, ops

from ..layers.attention import FABlock
from ..layers.dark_channel import prior_transmission, recover
from ..layers.pixel_shuffle import pixel_shuffle
from ..layers.pyramid_pool import PyramidPoolingEnhancer
from ..layers.rcab import RCANFeatures
from ..layers.res2net import Res2NetEncoder
from ..layers.resnet import ResNetEncoder

MEAN = (0.64, 0.60, 0.58)  # KTDN test.py: NH-HAZE's channel statistics
STD = (0.14, 0.15, 0.152)
MULTIPLE = 32
CONFIGS = ("official", "compact")
OFFICIAL_PARAMS = {"ktdn": 49_351_930, "srktdn": 50_353_285}

_ENCODERS = {
    "official": dict(layers=(3, 4, 23), planes=(64, 128, 256), base_width=26, scale=4, stem_width=32),
    "compact": dict(layers=(1, 1, 2), planes=(10, 18, 24), base_width=64, scale=4, stem_width=16),
}
_ENHANCER = {"official": 28, "compact": 16}
_RCAN = {"official": dict(channels=32, n_groups=5, n_blocks=10, reduction=8),
         "compact": dict(channels=16, n_groups=2, n_blocks=3, reduction=8)}  # fmt: skip


def decoder_channels(encoder_channels):
    """Channels after each decoder step for encoder channels (C4, C8, C16): (c_up1, c_up2, c_full).

    up1 = C16 / 4; up2 = (up1 + C8) / 4; full = (up2 + C4) / 16. Raises ValueError if one is not whole.
    """
    c4, c8, c16 = encoder_channels
    up1 = c16 // 4
    up2 = (up1 + c8) // 4
    full = (up2 + c4) // 16
    if c16 % 4 or (up1 + c8) % 4 or (up2 + c4) % 16:
        raise ValueError(
            f"encoder channels {tuple(encoder_channels)} do not divide through the decoder's PixelShuffle(2) "
            "steps: need C16 % 4 == 0, (C16/4 + C8) % 4 == 0 and ((C16/4 + C8)/4 + C4) % 16 == 0"
        )
    return up1, up2, full


def check_size(h, w):
    """ValueError unless H and W are multiples of 32 (shapes are compile-time constants)."""
    if h % MULTIPLE or w % MULTIPLE:
        raise ValueError(
            f"KTDN/SRKTDN need H and W to be multiples of {MULTIPLE}, got {h}x{w}: pad the image "
            "(course_lib.train.predict and 'python -m course_lib enhance' do)"
        )


def _tail(in_channels, zero=False):
    """Official tail: ReflectionPad2d(3), conv7x7 -> 3, tanh (names ``tail.1.*``); ``zero``: conv starts at 0."""
    conv = nn.Conv2d(in_channels, 3, 7, pad_mode="valid", has_bias=True,
                     **(dict(weight_init="zeros", bias_init="zeros") if zero else {}))  # fmt: skip
    return nn.SequentialCell(nn.ReflectionPad2d(3), conv, nn.Tanh())


class KTDN(nn.Cell):
    """KTDN dehazing network (student or teacher): (N, 3, H, W) in [0, 1] -> image (N, 3, H, W) in (-1, 1).

    ``net(x, True)`` returns ``(image, transfer)`` with the transfer feature (N, C16, H/16, W/16).
    Without the tail (``tail=False``, the SRKTDN branch) the "image" is the enhancer's (N, E, H, W).

    Args:
        encoder: a Cell returning (f4, f8, f16) with a ``channels`` attribute (Res2NetEncoder, ResNetEncoder).
        enhancer_channels: E, channels of the pyramid-pooling enhancer's output (28 official).
        tail: end with the 7x7 conv + tanh to 3 channels.
        official_layout: keep the enhancer's never-called InstanceNorm tensors (official checkpoints).
        normalize_input: apply (x - MEAN) / STD first (False inside SRKTDN, which normalises for both branches).
        input_skip: course variant, not in the papers: add the hazy input to the tail's output and start the
            tail's conv at zero, so the untrained network returns its input and learns the correction.
        prior_head: course variant: the tail's 3 channels are added to the dark channel prior's recovered
            image, J = clip((I - A) / max(t_prior, 0.1) + A, 0, 1) + tail (AECR-Net's ``dcp_refine`` head);
            the tail starts at zero, so the untrained network is the prior (guided-filter radius 20).
    """

    def __init__(
        self,
        encoder,
        enhancer_channels=28,
        tail=True,
        official_layout=False,
        normalize_input=True,
        input_skip=False,
        prior_head=False,
    ):
        super().__init__()
        c4, c8, c16 = encoder.channels
        up1, up2, full = decoder_channels(encoder.channels)
        self.encoder = encoder
        self.mid_conv = FABlock(c16)  # its output is the transfer feature
        self.attention1 = FABlock(up1)
        self.attention2 = FABlock(up2)
        self.enhancer = PyramidPoolingEnhancer(full, enhancer_channels, unused_norm=official_layout)
        self.has_tail = tail
        self.input_skip = input_skip and tail
        self.prior_head = prior_head and tail
        if tail:
            self.tail = _tail(enhancer_channels, zero=self.input_skip or self.prior_head)
        self.out_channels = 3 if tail else enhancer_channels
        self.normalize_input = normalize_input
        self.mean = ms.Tensor(np.array(MEAN, np.float32).reshape(1, 3, 1, 1))
        self.std = ms.Tensor(np.array(STD, np.float32).reshape(1, 3, 1, 1))

    def construct(self, x, with_feature=False):
        check_size(x.shape[2], x.shape[3])
        image = x
        if self.normalize_input:
            x = (x - self.mean) / self.std
        f4, f8, f16 = self.encoder(x)
        transfer = self.mid_conv(f16)
        y = self.attention1(pixel_shuffle(transfer, 2))  # 1/8
        y = self.attention2(pixel_shuffle(ops.cat((y, f8), axis=1), 2))  # 1/4
        y = pixel_shuffle(pixel_shuffle(ops.cat((y, f4), axis=1), 2), 2)  # full size, few channels
        y = self.enhancer(y)
        if self.has_tail:
            y = course_head(self.tail(y), image, self.input_skip, self.prior_head)
        if with_feature:
            return y, transfer
        return y


class SRKTDN(nn.Cell):
    """KTDN branch (no tail) + RCAN branch at full resolution + fusion tail: (N, 3, H, W) -> (N, 3, H, W).

    Both branches see the normalised input. ``net(x, True)`` returns ``(image, transfer)`` (the KTDN
    branch's transfer feature).
    """

    def __init__(self, dehaze_branch: KTDN, sr_branch: RCANFeatures, input_skip=False, prior_head=False):
        super().__init__()
        if dehaze_branch.has_tail or dehaze_branch.normalize_input:
            raise ValueError("build SRKTDN's dehazing branch with tail=False, normalize_input=False")
        self.dehaze_branch = dehaze_branch
        self.sr_branch = sr_branch
        self.input_skip, self.prior_head = input_skip, prior_head
        self.fusion = _tail(dehaze_branch.out_channels + sr_branch.channels, zero=input_skip or prior_head)

    def diagram_flow(self):
        """The wiring for ``viz.architecture``: two parallel branches concatenated into the fusion tail, then
        the course head (the prior's recovery, or the input, plus the tail's output)."""
        flow = [
            "input -> @normalise -> dehaze_branch, sr_branch",
            "dehaze_branch, sr_branch -> @concat -> fusion",
            "dehaze_branch -> @transfer feature (1/16)",
        ]
        if self.prior_head:
            return flow + ["fusion -> @+ -> output", "input -> @dark channel prior (r 20) -> @+"]
        if self.input_skip:
            return flow + ["fusion -> @+ -> output", "input -> @+"]
        return flow + ["fusion -> output"]

    def construct(self, x, with_feature=False):
        check_size(x.shape[2], x.shape[3])
        image = x
        x = (x - self.dehaze_branch.mean) / self.dehaze_branch.std
        features, transfer = self.dehaze_branch(x, True)
        y = course_head(
            self.fusion(ops.cat((features, self.sr_branch(x)), axis=1)),
            image,
            self.input_skip,
            self.prior_head,
        )
        if with_feature:
            return y, transfer
        return y


def course_head(y, image, input_skip, prior_head):
    """The tail's output y as is (official), plus the input (``input_skip``), or plus the dark channel
    prior's recovery (``prior_head``, :func:`refine_prior`)."""
    if input_skip:
        y = y + image
    if prior_head:
        y = refine_prior(image, y)
    return y


def refine_prior(image, correction):
    """He et al. Eq. 22, then a learned correction in image space: clip((I - A) / max(t, 0.1) + A, 0, 1) + dJ.

    image (N, 3, H, W) in [0, 1]; correction dJ (N, 3, H, W). The prior's A and t (radius 20) carry no
    gradient. Correcting t instead (J = (I - A) / (t + dt) + A) was measured worse: dividing by a small t
    multiplies every error of dt, and 400 steps took that head 1.6 dB *below* the prior (README).
    """
    a, t0 = prior_transmission(image)
    a, t0 = ops.stop_gradient(a), ops.clip(ops.stop_gradient(t0), 0.05, 0.95)
    return ops.clip(recover(image, a, t0), 0.0, 1.0) + correction


def _check_config(config):
    if config not in CONFIGS:
        raise ValueError(f"config must be one of {CONFIGS}, got {config!r}")


def encoder_for(config="compact", kind="res2net", planes=None):
    """The encoder of a configuration: ``kind`` 'res2net' (KTDN) or 'resnet18' (SRKTDN's teacher).

    ``planes`` (p4, p8, p16) replaces the configuration's bottleneck planes; the decoder then reaches full size
    with ((p16 + 4 p8) / 4 + 4 p4) / 16 channels (:func:`decoder_channels`): compact's (10, 18, 24) gives 4,
    (58, 18, 24) gives 16 (the official network 28). A ValueError if they do not divide through.
    """
    _check_config(config)
    settings = dict(_ENCODERS[config], **({"planes": tuple(planes)} if planes is not None else {}))
    decoder_channels(tuple(4 * p for p in settings["planes"]))
    if kind == "res2net":
        return Res2NetEncoder(**settings)
    if kind == "resnet18":  # basic blocks, the Res2Net's output widths so the transfer features match
        widths = tuple(4 * p for p in settings["planes"])
        return ResNetEncoder(widths, blocks=(2, 2, 2), stem_width=2 * settings["stem_width"])
    raise ValueError(f"encoder kind must be 'res2net' or 'resnet18', got {kind!r}")


def ktdn(config="compact", encoder_weights=None, input_skip=False, prior_head=False, planes=None):
    """KTDN dehazing network. ``encoder_weights``: a path to ImageNet Res2Net-101 v1b weights ('official');
    ``input_skip``: the course variant that learns a correction of its input (:class:`KTDN`); ``planes``: the
    encoder's bottleneck planes per stage instead of the configuration's (a wider decoder: see
    :func:`encoder_for`)."""
    _check_config(config)
    net = KTDN(
        encoder_for(config, planes=planes),
        _ENHANCER[config],
        official_layout=config == "official",
        input_skip=input_skip,
        prior_head=prior_head,
    )
    if encoder_weights is not None:
        from ..convert import load_res2net_imagenet

        load_res2net_imagenet(net.encoder, encoder_weights)
    return net


def ktdn_teacher(config="compact", kind="res2net", planes=None):
    """The teacher (trained clear -> clear): KTDN's architecture, or a ResNet-18-style encoder (``kind``);
    ``planes`` as in :func:`ktdn` (a teacher for a wider student)."""
    _check_config(config)
    return KTDN(encoder_for(config, kind, planes), _ENHANCER[config], official_layout=config == "official")


def srktdn(config="compact", encoder_weights=None, input_skip=False, prior_head=False):
    """SRKTDN: the KTDN branch, an RCAN branch and the fusion tail (``input_skip`` as in :func:`ktdn`)."""
    _check_config(config)
    branch = KTDN(
        encoder_for(config),
        _ENHANCER[config],
        tail=False,
        official_layout=config == "official",
        normalize_input=False,
    )
    if encoder_weights is not None:
        from ..convert import load_res2net_imagenet

        load_res2net_imagenet(branch.encoder, encoder_weights)
    return SRKTDN(
        branch,
        RCANFeatures(**_RCAN[config], unused_tail=config == "official"),
        input_skip=input_skip,
        prior_head=prior_head,
    )
