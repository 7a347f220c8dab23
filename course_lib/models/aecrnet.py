"""AECR-Net: a compact autoencoder-like dehazer (Wu et al., CVPR 2021, arXiv 2104.09367).

"Contrastive Learning for Compact Single Image Dehazing". Reference code: GlassyWu/AECR-Net
``models/AECRNet.py`` (class ``Dehaze(3, 3)``, ngf = 64). Input a hazy RGB image in [0, 1] (not
normalised), output the dehazed image through tanh (range (-1, 1): clamp to [0, 1] before metrics).

    x (3, H) -> pre 3x3 conv -> down1: reflect-pad 3, 7x7 conv 3->F, ReLU             (F,  H)
             -> down2: 3x3 s2 conv F->2F, ReLU                                        (2F, H/2)
             -> down3: 3x3 s2 conv 2F->4F, ReLU                                       (4F, H/4)
             -> ONE FA block applied 6 times (weights shared)                         (4F, H/4)
             -> ONE deformable 3x3 conv applied twice (weights shared): the DFE module
             -> mix1 = sigmoid(w1) * down3 + (1 - sigmoid(w1)) * DFE,   w1 init -1
             -> up1: 3x3 s2 transposed conv 4F->2F (output_padding 1), ReLU           (2F, H/2)
             -> mix2 = sigmoid(w2) * down2 + (1 - sigmoid(w2)) * up1,   w2 init -0.6
             -> up2: 3x3 s2 transposed conv 2F->F (output_padding 1), ReLU            (F,  H)
             -> up3: reflect-pad 3, 7x7 conv F->3, tanh                               (3,  H)

What differs from the official network:

* The first layer of the official code is ``FastDeconv`` (network deconvolution, Ye et al. 2020): a 3x3
  conv 3->3 whose im2col patches are whitened with running batch statistics (different in train and
  eval). It is replaced here by a plain 3x3 conv 3->3 with bias, as both MindSpore ports do. Its
  learnable parameters are the same (3*3*9 weights + 3 biases = 84; the whitening statistics are
  buffers), so the official configuration still has exactly the published 2,614,229 parameters.
* The DFE module runs on :func:`course_lib.layers.deform.deform_conv2d` (bilinear sampling), which trains
  faster on CPU than ``ops.deformable_conv2d``; ``deform_impl='op'`` selects the MindSpore op. Both
  compute the same function as DCNv2's ``DCN``.

Parameter count (F = 64): 2,614,229 = 1,205,089 (one FA block) + 652,315 (one DCN with its offset conv)
+ 756,823 (convs of the encoder/decoder, the pre conv included) + 2 (mixup scalars). With six separate
FA blocks and two separate DCNs (``share_weights=False``) it would be 9,291,989.

Output heads (``head=``), an ablation for laptop-scale training, not part of the paper:

* ``'tanh'`` (official): ``tanh(up3(.))``. Every detail of the output must pass through the 4x bottleneck
  and back.
* ``'residual'``: ``x + tanh(up3(.))``, a global residual (as in FFA-Net): the network predicts a correction.
* ``'k_estimate'``: AOD-Net's reformulated scattering model (Li et al., ICCV 2017, Eq. (4) with b = 1):
  ``K = 1 + up3(.)``, ``J = K * (x - 1) + 1``. With A = 1 the exact inverse of ``I = J t + A (1 - t)`` is
  K = 1/t, so the network only has to estimate a smooth map, and the full-resolution product with x
  keeps the detail.

* ``'dcp_refine'``: the dark channel prior, refined. The prior's airlight A and guided-filtered
  transmission t0 are computed from x by differentiable ops (``layers.dark_channel``); the network's
  output is added to the prior's recovered image, ``J = clip((x - A) / max(t0, 0.1) + A, 0, 1) + up3(.)``
  (He et al., Eq. 22). ``up3`` starts at zero, so the untrained network *is* the prior (guided radius 20);
  training only has to learn where the prior is wrong (bright objects, tinted or uneven haze).

``benchmarks/dehaze_quality.py --head`` measures them against the dark channel prior (README).

H and W must be multiples of 4 (two stride-2 convs down, two transposed convs back up).
Slow on CPU: the FA block's two 3x3 convs at 4F channels and the deformable conv; ``AECRNet.tiny()``
(F = 16) trains in minutes on 64x64 patches.
"""

from mindspore import nn, ops

from ..layers.attention import FABlock
from ..layers.conv_transpose import ConvTranspose2d
from ..layers.dark_channel import prior_transmission, recover
from ..layers.deform import DeformConv2d
from ..layers.mixup import MIX1_INIT, MIX2_INIT, AdaptiveMixup

HEADS = ("tanh", "residual", "k_estimate", "dcp_refine")


def _reflect_conv7(in_channels, out_channels):
    return nn.SequentialCell(
        nn.ReflectionPad2d(3), nn.Conv2d(in_channels, out_channels, 7, pad_mode="valid", has_bias=True)
    )


def _down(in_channels, out_channels):
    return nn.Conv2d(in_channels, out_channels, 3, stride=2, pad_mode="pad", padding=1, has_bias=True)


def _up(in_channels, out_channels):
    # PyTorch semantics: MindSpore's nn.Conv2dTranspose leaves the output_padding row at the bias.
    return ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)


class AECRNet(nn.Cell):
    """AECR-Net dehazer (official ``Dehaze(3, 3)`` with ``num_feat=64``; see the module docstring).

    Args:
        in_channels, out_channels: image channels (3, 3).
        num_feat: F, channels at full resolution (64 official; 2F and 4F below).
        num_blocks: how many times the (single, shared) FA block is applied (6).
        num_dcn: how many times the (single, shared) deformable conv is applied (2).
        share_weights: True (official) reuses one FA block and one DCN; False builds separate ones,
            a different and about 3.6x larger model, for the ablation of the sharing.
        deform_impl: 'sampling' (default, faster on CPU) or 'op' (``ops.deformable_conv2d``).
        head: 'tanh' (official), 'residual', 'k_estimate' or 'dcp_refine' (module docstring); all but tanh need
            in_channels == out_channels and add no parameters.

    Input x: (N, in_channels, H, W) float32 in [0, 1], H and W multiples of 4.
    Output: (N, out_channels, H, W) float32; in (-1, 1) with the official tanh head. The clean image
    lives in [0, 1]: clamp before metrics.
    """

    def __init__(
        self,
        in_channels=3,
        out_channels=3,
        num_feat=64,
        num_blocks=6,
        num_dcn=2,
        share_weights=True,
        deform_impl="sampling",
        head="tanh",
    ):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        if head != "tanh" and in_channels != out_channels:
            raise ValueError(f"head {head!r} combines input and output: needs in_channels == out_channels")
        self.head = head
        if num_feat < 2 or (4 * num_feat) % 8 != 0:
            raise ValueError(
                f"num_feat must be an even number >= 2 (4*num_feat divisible by 8), got {num_feat}"
            )
        deep = 4 * num_feat
        self.num_blocks = num_blocks
        self.num_dcn = num_dcn
        self.share_weights = share_weights
        # Official: FastDeconv(3, 3, kernel_size=3, padding=1); a plain conv here (module docstring).
        self.pre = nn.Conv2d(in_channels, in_channels, 3, pad_mode="pad", padding=1, has_bias=True)
        self.down1 = _reflect_conv7(in_channels, num_feat)
        self.down2 = _down(num_feat, 2 * num_feat)
        self.down3 = _down(2 * num_feat, deep)
        n_fa = 1 if share_weights else num_blocks
        n_dcn = 1 if share_weights else num_dcn
        self.fa_blocks = nn.CellList([FABlock(deep) for _ in range(n_fa)])
        self.dcn_blocks = nn.CellList([DeformConv2d(deep, deep, impl=deform_impl) for _ in range(n_dcn)])
        self.mix1 = AdaptiveMixup(MIX1_INIT)
        self.up1 = _up(deep, 2 * num_feat)
        self.mix2 = AdaptiveMixup(MIX2_INIT)
        self.up2 = _up(2 * num_feat, num_feat)
        self.up3 = _reflect_conv7(num_feat, out_channels)
        if head == "dcp_refine":  # start exactly at the prior: zero correction
            for p in self.up3.trainable_params():
                p.set_data(ops.zeros(p.shape, p.dtype))

    @classmethod
    def tiny(cls, **kwargs):
        """CPU-sized AECR-Net: num_feat 16 (channels 16/32/64), same topology; 179,021 parameters."""
        kwargs.setdefault("num_feat", 16)
        return cls(**kwargs)

    def construct(self, x):
        h, w = x.shape[2], x.shape[3]
        if h % 4 != 0 or w % 4 != 0:
            raise ValueError("AECRNet needs H and W to be multiples of 4; crop or pad the input")
        x_down1 = ops.relu(self.down1(self.pre(x)))
        x_down2 = ops.relu(self.down2(x_down1))
        x_down3 = ops.relu(self.down3(x_down2))
        feat = x_down3
        for i in range(self.num_blocks):
            feat = self.fa_blocks[0 if self.share_weights else i](feat)  # one block, applied 6x
        for i in range(self.num_dcn):
            feat = self.dcn_blocks[0 if self.share_weights else i](feat)  # DFE: one DCN, applied 2x
        mixed = self.mix1(x_down3, feat)
        x_up1 = ops.relu(self.up1(mixed))
        x_up1 = self.mix2(x_down2, x_up1)
        x_up2 = ops.relu(self.up2(x_up1))
        out = self.up3(x_up2)
        if self.head == "residual":
            return x + ops.tanh(out)
        if self.head == "k_estimate":
            return (1.0 + out) * (x - 1.0) + 1.0  # J = K (I - 1) + 1, K = 1 + out (AOD-Net, b = 1)
        if self.head == "dcp_refine":
            a, t0 = prior_transmission(x)  # no parameters: keep it out of the backward pass
            a, t0 = ops.stop_gradient(a), ops.clip(ops.stop_gradient(t0), 0.05, 0.95)
            # the prior's J (Eq. 22), clipped (it overshoots wherever t is small), plus a learned correction
            return ops.clip(recover(x, a, t0), 0.0, 1.0) + out
        return ops.tanh(out)


def aecrnet(**kwargs):
    """The official configuration (num_feat 64, 2,614,229 parameters)."""
    return AECRNet(**kwargs)


def aecrnet_tiny(**kwargs):
    """The CPU configuration (num_feat 16), for the notebooks and the ``class`` budget."""
    return AECRNet.tiny(**kwargs)
