"""Regenerate the dehazing references ``tests/reference/srktdn/{ktdn,two_branch}.npz``. Needs PyTorch; CI does not.

The networks below are the official PyTorch code, copied (module names, nesting and forward as there):

* KTDN: GlassyWu/KTDN ``model.py`` (commit 14fca17c): ``Bottle2neck``, ``Res2Net`` (the encoder: layer1-3
  of Res2Net-101 v1b, layers [3, 4, 23, 3], baseWidth 26, scale 4; ``layer4``, ``avgpool`` and ``fc`` are
  commented out there), ``default_conv``, ``PALayer``, ``CALayer``, ``DehazeBlock``, ``Enhancer``,
  ``Dehaze``. Changes: the ImageNet download in ``Dehaze.__init__`` (``Pre_Res2Net`` + ``model_zoo`` +
  ``load_state_dict``) is deleted; ``F.upsample_nearest(x, size=s)`` (deprecated) is written
  ``F.interpolate(x, size=s, mode="nearest")``, which is what ``upsample_nearest`` calls (same result);
  ``super(Cls, self).__init__()`` is ``super().__init__()``, unused loop variables are ``_`` and doubled
  parentheses are single (ruff).
  ``Dehaze.forward`` returns ``(out, x_mid)``; 49,351,930 parameters, 200 of them the InstanceNorm
  ``enhancer.batch1`` that forward never uses. The input is normalised as KTDN's ``test.py`` does:
  ``Normalize(mean=[0.64, 0.6, 0.58], std=[0.14, 0.15, 0.152])`` of the [0, 1] image.
* Two-branch (liuh127/Two-branch-dehazing ``model.py``, NTIRE 2021 NonHomogeneous dehazing; the class
  ``fusion_refine``): the repository is not in the index; the structure is that of a faithful re-typed copy
  (classes ``RC_CALayer``, ``RCAB``, ``ResidualGroup``, ``RCAN``, ``Dehaze``, ``DehazeModel`` with
  attributes ``feature_extract``, ``pre_trained_rcan``, ``tail1``). ``feature_extract`` is the KTDN
  ``Dehaze`` above without ``tail`` (forward returns the enhancer's 28 channels; 49,347,811 parameters),
  built from KTDN's ``Bottle2neck`` / ``Res2Net``: the re-typed copy's downsample
  ``AvgPool2d(stride, stride)`` lacks KTDN's ``ceil_mode=True, count_include_pad=False`` (identical for even
  sizes, as here), and its ``Normal``/``StageBottle2Neck`` are KTDN's ``Bottle2neck(stype=...)`` written
  out. ``pre_trained_rcan`` is RCAN (head conv 3->32, 5 ResidualGroups x 10 RCABs, reduction 8, a body
  conv, and a ``tail`` conv 32->3 that forward does not use; forward ``body(head(x)) + head(x)``, 32
  channels; 996,651 parameters). ``tail1`` = ReflectionPad2d(3), Conv2d(60, 3, 7), Tanh (8,823).
  Forward: ``tail1(cat([feature_extract(x), pre_trained_rcan(x)], 1))``; 50,353,285 parameters. The
  re-typed copy's test-time wrapper (reflect-pad to a multiple of 16, crop, clamp to [0, 1]) is not part of
  the network and is left out. The input is the same normalised one as KTDN's.

Weights are not stored (49M float32 would be 200 MB): each entry ``[official name, shape, scale]`` or
``[official name, shape, scale, offset]`` of the state dict (``num_batches_tracked`` left out, listed in
meta ``unused``) is drawn from one NumPy generator, ``offset + uniform(-1, 1, shape) * scale`` in
state-dict order (``twin_refs.seeded_weights``). Scales, chosen so that the activations neither vanish nor
explode through the 30 Res2Net bottlenecks (layer1-3: 3 + 4 + 23) and the final tanh is not saturated
(measured: meta ``activation_abs_mean``, ``out_frac_abs_gt_0.99``; the script prints them):

* conv weights ``gain * sqrt(3 / fan_in)``, gain sqrt(2) (He-uniform: nearly every conv feeds a ReLU);
  conv biases 0.05. With gain 1 (variance 1 / fan_in) every conv-BN-ReLU shrank the signal by ~0.35:
  bottleneck mean |x| 0.03-0.13 and KTDN's output mean |out| only 0.055.
* BatchNorm weight 0.5 +- 0.2, bias 0.05, running_mean 0.05, running_var 1.0 +- 0.2 (positive). In eval
  mode BN does not renormalise, so its weight is the gain of each residual branch: with 0.5 the encoder's
  mean |x| grows slowly through layer3 (0.07 to 0.25 over 23 blocks); 0.6 gives 1.3 at its end, 0.7 21.
* the unused InstanceNorm ``enhancer.batch1``: weight 1.0 +- 0.2, bias 0.05.
* Two-branch's RCAN: gain 0.5 for its body convs (at gain 1 the 50 RCAB and 5 group residual sums
  compound to mean |x| 285 and tail1's tanh saturates on 99 % of the pixels; at 0.5 each group adds
  ~12 %) and 0.25 for its head conv, which sees the normalised input (rms 2.3) and reaches tail1 through
  the long skip; tail1 gain 1 (it feeds tanh, not a ReLU). Both branches then reach tail1 with rms
  0.2 (enhancer) and 0.5 (RCAN) before the tanh, and no output pixel has |out| > 0.99.

Each file stores a JSON ``meta`` (source, config, seed, entries, abs_sum, the official parameter counts,
the unused tensors, the float32 rounding floor), the network ``input`` (1, 3, 64, 64) already normalised
(the course model takes the same normalised input; 64 is the smallest side that passes the enhancer's
32x32 average pool), and ``out:official:<output>`` computed by PyTorch in float64 (eval mode: BatchNorm
uses the running statistics) and stored as float32. Two-branch's debugging features ``rcan_feature`` and
``dehaze_feature`` are stored as their top-left 16x16 crop (the full maps would be 1 MB).

The files sit in the ``srktdn/`` subfolder because ``twin_refs.names()`` (``tests/test_fidelity.py``)
takes every ``tests/reference/*.npz`` for one of its own converter cases.

Run from the repository root (a separate venv keeps torch out of the project's):

    /work/torchenv/bin/python tests/reference/make_srktdn_refs.py
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import twin_refs  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "srktdn"
SEED_KTDN, SEED_TWO_BRANCH, SEED_INPUT = 2023, 2021, 11
SIZE = 64  # the enhancer's F.avg_pool2d(x, 32) needs at least 32x32 at full resolution
MEAN, STD = (0.64, 0.6, 0.58), (0.14, 0.15, 0.152)  # KTDN test.py tfs.Normalize
CROP = 16  # Two-branch debugging features: [:, :, :CROP, :CROP]

# Seeded-weight scales (see the docstring): conv weights gain * sqrt(3 / fan_in), the gain by name prefix.
CONV_GAIN = math.sqrt(2.0)  # He-uniform: these convs feed ReLUs (or tanh after a ReLU stack)
CONV_GAIN_BY_PREFIX = {"pre_trained_rcan.head.": 0.25, "pre_trained_rcan.": 0.5, "tail1.": 1.0}  # first match
BIAS = 0.05
BN_WEIGHT = (0.2, 0.5)  # (scale, offset): 0.5 +- 0.2
BN_BIAS = 0.05
BN_MEAN = 0.05
BN_VAR = (0.2, 1.0)  # 1.0 +- 0.2
IN_WEIGHT = (0.2, 1.0)

KTDN_PARAMS = 49_351_930
FEATURE_EXTRACT_PARAMS, RCAN_PARAMS, TAIL1_PARAMS = 49_347_811, 996_651, 8_823
TWO_BRANCH_PARAMS = 50_353_285

# ---------------------------------------------------------------------------------------------------
# KTDN (GlassyWu/KTDN model.py)
# ---------------------------------------------------------------------------------------------------


class Bottle2neck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, baseWidth=26, scale=4, stype="normal"):
        super().__init__()

        width = int(math.floor(planes * (baseWidth / 64.0)))
        self.conv1 = nn.Conv2d(inplanes, width * scale, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width * scale)

        if scale == 1:
            self.nums = 1
        else:
            self.nums = scale - 1
        if stype == "stage":
            self.pool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)
        convs = []
        bns = []
        for _ in range(self.nums):
            convs.append(nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False))
            bns.append(nn.BatchNorm2d(width))
        self.convs = nn.ModuleList(convs)
        self.bns = nn.ModuleList(bns)

        self.conv3 = nn.Conv2d(width * scale, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)

        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stype = stype
        self.scale = scale
        self.width = width

    def forward(self, x):
        residual = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        spx = torch.split(out, self.width, 1)
        for i in range(self.nums):
            if i == 0 or self.stype == "stage":
                sp = spx[i]
            else:
                sp = sp + spx[i]
            sp = self.convs[i](sp)
            sp = self.relu(self.bns[i](sp))
            if i == 0:
                out = sp
            else:
                out = torch.cat((out, sp), 1)
        if self.scale != 1 and self.stype == "normal":
            out = torch.cat((out, spx[self.nums]), 1)
        elif self.scale != 1 and self.stype == "stage":
            out = torch.cat((out, self.pool(spx[self.nums])), 1)

        out = self.conv3(out)
        out = self.bn3(out)

        if self.downsample is not None:
            residual = self.downsample(x)

        out += residual
        out = self.relu(out)

        return out


class Res2Net(nn.Module):
    def __init__(self, block, layers, baseWidth=26, scale=4, num_classes=1000):
        self.inplanes = 64
        super().__init__()
        self.baseWidth = baseWidth
        self.scale = scale
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, 1, 1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, 1, 1, bias=False),
        )
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        # self.layer4 = self._make_layer(block, 512, layers[3], stride=2)  # out_channel=512
        # self.avgpool = nn.AdaptiveAvgPool2d(1)
        # self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True, count_include_pad=False),
                nn.Conv2d(self.inplanes, planes * block.expansion, kernel_size=1, stride=1, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )

        layers = []
        layers.append(
            block(
                self.inplanes,
                planes,
                stride,
                downsample=downsample,
                stype="stage",
                baseWidth=self.baseWidth,
                scale=self.scale,
            )
        )
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, baseWidth=self.baseWidth, scale=self.scale))

        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x_layer1 = self.layer1(x)
        x_layer2 = self.layer2(x_layer1)
        x = self.layer3(x_layer2)  # x16

        return x, x_layer1, x_layer2


######################
# decoder
######################
def default_conv(in_channels, out_channels, kernel_size, bias=True):
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=(kernel_size // 2), bias=bias)


class PALayer(nn.Module):
    def __init__(self, channel):
        super().__init__()
        self.pa = nn.Sequential(
            nn.Conv2d(channel, channel // 8, 1, padding=0, bias=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channel // 8, 1, 1, padding=0, bias=True),
            nn.Sigmoid(),
        )

    def forward(self, x):
        y = self.pa(x)
        return x * y


class CALayer(nn.Module):
    def __init__(self, channel):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.ca = nn.Sequential(
            nn.Conv2d(channel, channel // 8, 1, padding=0, bias=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channel // 8, channel, 1, padding=0, bias=True),
            nn.Sigmoid(),
        )

    def forward(self, x):
        y = self.avg_pool(x)
        y = self.ca(y)
        return x * y


class DehazeBlock(nn.Module):
    def __init__(self, conv, dim, kernel_size):
        super().__init__()

        self.conv1 = conv(dim, dim, kernel_size, bias=True)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = conv(dim, dim, kernel_size, bias=True)
        self.calayer = CALayer(dim)
        self.palayer = PALayer(dim)

    def forward(self, x):
        res = self.act1(self.conv1(x))
        res = res + x
        res = self.conv2(res)
        res = self.calayer(res)
        res = self.palayer(res)
        res += x

        return res


def upsample_nearest(x, size):
    """F.upsample_nearest (deprecated) is F.interpolate(..., mode='nearest')."""
    return F.interpolate(x, size=size, mode="nearest")


class Enhancer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()

        self.relu = nn.LeakyReLU(0.2, inplace=True)

        self.tanh = nn.Tanh()

        self.refine1 = nn.Conv2d(in_channels, 20, kernel_size=3, stride=1, padding=1)
        self.refine2 = nn.Conv2d(20, 20, kernel_size=3, stride=1, padding=1)

        self.conv1010 = nn.Conv2d(20, 1, kernel_size=1, stride=1, padding=0)
        self.conv1020 = nn.Conv2d(20, 1, kernel_size=1, stride=1, padding=0)
        self.conv1030 = nn.Conv2d(20, 1, kernel_size=1, stride=1, padding=0)
        self.conv1040 = nn.Conv2d(20, 1, kernel_size=1, stride=1, padding=0)

        self.refine3 = nn.Conv2d(20 + 4, out_channels, kernel_size=3, stride=1, padding=1)
        self.upsample = upsample_nearest  # official: F.upsample_nearest

        self.batch1 = nn.InstanceNorm2d(100, affine=True)

    def forward(self, x):
        dehaze = self.relu(self.refine1(x))
        dehaze = self.relu(self.refine2(dehaze))
        shape_out = dehaze.data.size()

        shape_out = shape_out[2:4]

        x101 = F.avg_pool2d(dehaze, 32)

        x102 = F.avg_pool2d(dehaze, 16)

        x103 = F.avg_pool2d(dehaze, 8)

        x104 = F.avg_pool2d(dehaze, 4)

        x1010 = self.upsample(self.relu(self.conv1010(x101)), size=shape_out)
        x1020 = self.upsample(self.relu(self.conv1020(x102)), size=shape_out)
        x1030 = self.upsample(self.relu(self.conv1030(x103)), size=shape_out)
        x1040 = self.upsample(self.relu(self.conv1040(x104)), size=shape_out)

        dehaze = torch.cat((x1010, x1020, x1030, x1040, dehaze), 1)
        dehaze = self.tanh(self.refine3(dehaze))

        return dehaze


class Dehaze(nn.Module):
    def __init__(self):
        super().__init__()

        self.encoder = Res2Net(Bottle2neck, [3, 4, 23, 3], baseWidth=26, scale=4)
        # (official: the ImageNet res2net101_v1b_26w_4s weights are downloaded and loaded here; deleted)

        self.mid_conv = DehazeBlock(default_conv, 1024, 3)

        self.up_block1 = nn.PixelShuffle(2)
        self.attention1 = DehazeBlock(default_conv, 256, 3)
        self.attention2 = DehazeBlock(default_conv, 192, 3)
        self.enhancer = Enhancer(28, 28)
        self.tail = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(28, 3, kernel_size=7, padding=0), nn.Tanh()
        )

    def forward(self, input):
        x, x_layer1, x_layer2 = self.encoder(input)

        x_mid = self.mid_conv(x)

        x = self.up_block1(x_mid)
        x = self.attention1(x)

        x = torch.cat((x, x_layer2), 1)
        x = self.up_block1(x)
        x = self.attention2(x)

        x = torch.cat((x, x_layer1), 1)
        x = self.up_block1(x)
        x = self.up_block1(x)

        x = self.enhancer(x)
        out = self.tail(x)

        return out, x_mid


# ---------------------------------------------------------------------------------------------------
# Two-branch (liuh127/Two-branch-dehazing model.py, fusion_refine; structure of the re-typed copy)
# ---------------------------------------------------------------------------------------------------


## Channel Attention (CA) Layer
class RC_CALayer(nn.Module):
    def __init__(self, channel, reduction=16):
        super().__init__()
        # global average pooling: feature --> point
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        # feature channel downscale and upscale --> channel weight
        self.conv_du = nn.Sequential(
            nn.Conv2d(channel, channel // reduction, 1, padding=0, bias=True),
            nn.ReLU(),
            nn.Conv2d(channel // reduction, channel, 1, padding=0, bias=True),
            nn.Sigmoid(),
        )

    def forward(self, x):
        y = self.avg_pool(x)
        y = self.conv_du(y)
        return x * y


## Residual Channel Attention Block (RCAB)
class RCAB(nn.Module):
    def __init__(self, conv, n_feat, kernel_size, reduction, bias=True, bn=False):
        super().__init__()
        modules_body = []
        for i in range(2):
            modules_body.append(conv(n_feat, n_feat, kernel_size, bias=bias))
            if bn:
                modules_body.append(nn.BatchNorm2d(n_feat))
            if i == 0:
                modules_body.append(nn.ReLU())
        modules_body.append(RC_CALayer(n_feat, reduction))
        self.body = nn.Sequential(*modules_body)

    def forward(self, x):
        res = self.body(x)
        res = res + x
        return res


## Residual Group (RG)
class ResidualGroup(nn.Module):
    def __init__(self, conv, n_feat, kernel_size, reduction, n_resblocks):
        super().__init__()
        modules_body = [
            RCAB(conv, n_feat, kernel_size, reduction, bias=True, bn=False) for _ in range(n_resblocks)
        ]
        modules_body.append(conv(n_feat, n_feat, kernel_size))
        self.body = nn.Sequential(*modules_body)

    def forward(self, x):
        res = self.body(x)
        return res + x


## Residual Channel Attention Network (RCAN)
class RCAN(nn.Module):
    def __init__(self, conv=default_conv):
        super().__init__()
        n_resgroups = 5
        n_resblocks = 10
        n_feats = 32
        kernel_size = 3
        reduction = 8

        modules_head = [conv(3, n_feats, kernel_size)]

        # define body module
        modules_body = [
            ResidualGroup(conv, n_feats, kernel_size, reduction, n_resblocks=n_resblocks)
            for _ in range(n_resgroups)
        ]

        modules_body.append(conv(n_feats, n_feats, kernel_size))

        # define tail module (unused by forward)
        modules_tail = [conv(n_feats, 3, kernel_size)]

        self.head = nn.Sequential(*modules_head)
        self.body = nn.Sequential(*modules_body)
        self.tail = nn.Sequential(*modules_tail)

    def forward(self, x):
        x_feat = self.head(x)
        res = self.body(x_feat)
        return res + x_feat


class DehazeFeature(nn.Module):
    """Two-branch's ``feature_extract``: KTDN's ``Dehaze`` without ``tail``; returns the enhancer's output."""

    def __init__(self):
        super().__init__()

        self.encoder = Res2Net(Bottle2neck, [3, 4, 23, 3], baseWidth=26, scale=4)
        self.mid_conv = DehazeBlock(default_conv, 1024, 3)

        self.up_block1 = nn.PixelShuffle(2)
        self.attention1 = DehazeBlock(default_conv, 256, 3)
        self.attention2 = DehazeBlock(default_conv, 192, 3)
        self.enhancer = Enhancer(28, 28)

    def forward(self, input):
        x, x_layer1, x_layer2 = self.encoder(input)

        x_mid = self.mid_conv(x)

        x = self.up_block1(x_mid)
        x = self.attention1(x)

        x = torch.cat((x, x_layer2), dim=1)
        x = self.up_block1(x)
        x = self.attention2(x)

        x = torch.cat((x, x_layer1), dim=1)
        x = self.up_block1(x)
        x = self.up_block1(x)

        dout2 = self.enhancer(x)  # 28 channels

        return dout2


class fusion_refine(nn.Module):  # the official class name
    def __init__(self):
        super().__init__()
        self.feature_extract = DehazeFeature()
        self.pre_trained_rcan = RCAN()
        self.tail1 = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(60, 3, kernel_size=7, padding=0),
            nn.Tanh(),
        )

    def forward(self, input):
        feature = self.feature_extract(input)
        rcan_out = self.pre_trained_rcan(input)
        x = torch.cat([feature, rcan_out], dim=1)
        feat_hazy = self.tail1(x)
        return feat_hazy


# ---------------------------------------------------------------------------------------------------


def count(module):
    return int(sum(p.numel() for p in module.parameters()))


def seeded_entries(model):
    """([[name, shape, scale(, offset)], ...] in state-dict order, [num_batches_tracked names])."""
    modules = dict(model.named_modules())
    entries, unused = [], []
    for name, tensor in model.state_dict().items():
        owner, attr = name.rsplit(".", 1)
        module = modules[owner]
        shape = list(tensor.shape)
        if attr == "num_batches_tracked":
            unused.append(name)
        elif isinstance(module, nn.Conv2d):
            fan_in = int(np.prod(shape[1:]))
            gain = next((g for p, g in CONV_GAIN_BY_PREFIX.items() if name.startswith(p)), CONV_GAIN)
            entries.append([name, shape, gain * math.sqrt(3.0 / fan_in) if attr == "weight" else BIAS])
        elif isinstance(module, nn.BatchNorm2d):
            spec = {
                "weight": BN_WEIGHT,
                "bias": (BN_BIAS,),
                "running_mean": (BN_MEAN,),
                "running_var": BN_VAR,
            }
            entries.append([name, shape, *spec[attr]])
        elif isinstance(module, nn.InstanceNorm2d):
            entries.append([name, shape, *({"weight": IN_WEIGHT, "bias": (BIAS,)}[attr])])
        else:
            raise TypeError(f"no seeded scale for {name} ({type(module).__name__})")
    return entries, unused


def load_seeded(model, seed):
    entries, unused = seeded_entries(model)
    state = twin_refs.seeded_weights(entries, seed)
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state.items()}, strict=False
    )
    assert set(missing) <= set(unused) and not unexpected, (
        missing,
        unexpected,
    )  # BatchNorm fills its counter
    abs_sum = float(sum(np.abs(v.astype(np.float64)).sum() for v in state.values()))
    return {"seed": seed, "entries": entries, "abs_sum": abs_sum}, unused


def run_both(model, x, call):
    """({output: float64 ndarray}, {output: max |float32 - float64|}); call(model, tensor) -> {output: tensor}."""
    model = model.eval()
    with torch.no_grad():
        out32 = {k: v.double().numpy() for k, v in call(model.float(), torch.from_numpy(x)).items()}
        out64 = {k: v.numpy() for k, v in call(model.double(), torch.from_numpy(x).double()).items()}
    return out64, {k: float(np.abs(out32[k] - out64[k]).max()) for k in out64}


def check_unused_in_forward(model, x, call, names):
    """Changing the tensors of ``names`` must leave every output as it is."""
    state = model.state_dict()
    with torch.no_grad():
        before = call(model, torch.from_numpy(x).double())
        saved = {n: state[n].clone() for n in names}
        for n in names:
            state[n].add_(3.0)
        after = call(model, torch.from_numpy(x).double())
        for n in names:
            state[n].copy_(saved[n])
    for k in before:
        assert torch.equal(before[k], after[k]), f"{k} depends on {names}"


def encoder_stats(encoder):
    """Hooks recording mean |x| after the stem and after each bottleneck of layer1-3."""
    stats = {}

    def hook(name):
        return lambda module, inputs, output: stats.__setitem__(name, float(output.abs().mean()))

    encoder.maxpool.register_forward_hook(hook("stem"))
    for layer in ("layer1", "layer2", "layer3"):
        for i, block in enumerate(getattr(encoder, layer)):
            block.register_forward_hook(hook(f"{layer}.{i}"))
    return stats


def network_input():
    """(1, 3, 64, 64) float32: a uniform [0, 1] image, normalised as KTDN's test.py."""
    image = np.random.default_rng(SEED_INPUT).uniform(0.0, 1.0, (1, 3, SIZE, SIZE))
    mean = np.array(MEAN).reshape(1, 3, 1, 1)
    std = np.array(STD).reshape(1, 3, 1, 1)
    return ((image - mean) / std).astype(np.float32)


def saturation(out):
    return float((np.abs(out) > 0.99).mean())


def save(name, meta, x, outputs):
    arrays = {"meta": np.array(json.dumps(meta)), "input": x.astype(np.float32)}
    arrays.update({f"out:official:{k}": v.astype(np.float32) for k, v in outputs.items()})
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {path.stat().st_size:,} bytes, outputs {sorted(outputs)}")


INPUT_NOTE = (
    "input: a uniform [0, 1] image normalised as KTDN test.py (mean (0.64, 0.6, 0.58), std (0.14, 0.15, "
    "0.152)); stored already normalised: the course model takes the same normalised input"
)


def make_ktdn(x):
    torch.manual_seed(0)
    model = Dehaze()
    params = count(model)
    assert params == KTDN_PARAMS, params
    seeded, unused = load_seeded(model, SEED_KTDN)
    stats = encoder_stats(model.encoder)
    unused_in_forward = ["enhancer.batch1.weight", "enhancer.batch1.bias"]

    def call(m, t):
        out, x_mid = m(t)
        return {"image": out, "x_mid": x_mid}

    outs, floors = run_both(model, x, call)
    check_unused_in_forward(model, x, call, unused_in_forward)
    out, x_mid = outs["image"], outs["x_mid"]
    blocks = [v for k, v in stats.items() if k.startswith("layer")]
    activation = {
        "encoder": stats,
        "x_mid": float(np.abs(x_mid).mean()),
        "image": float(np.abs(out).mean()),
    }
    meta = {
        "name": "ktdn",
        "official_source": "GlassyWu/KTDN model.py (commit 14fca17c), class Dehaze; forward returns (out, x_mid)",
        "official_config": {
            "encoder": "Res2Net(Bottle2neck, [3, 4, 23, 3], baseWidth=26, scale=4), layer1-3 only",
            "mid_conv": 1024,
            "attention1": 256,
            "attention2": 192,
            "enhancer": [28, 28],
        },
        "notes": "ImageNet Res2Net-101 download removed from Dehaze.__init__; F.upsample_nearest written "
        "F.interpolate(mode='nearest'); eval mode (BatchNorm running statistics), float64. " + INPUT_NOTE,
        "weights": "seeded",
        "seeded": seeded,
        "official_params": params,
        "unused": unused,
        "unused_in_forward": unused_in_forward,
        "torch_float32_max_abs": floors["image"],
        "torch_float32_max_abs_by_output": floors,
        "activation_abs_mean": activation,
        "out_frac_abs_gt_0.99": saturation(out),
        "output_range": [float(out.min()), float(out.max())],
    }
    print(
        f"KTDN: params {params:,}; mean |x| stem {stats['stem']:.3f}, bottlenecks "
        f"{min(blocks):.3f}..{max(blocks):.3f} (layer3.22 {stats['layer3.22']:.3f}), x_mid "
        f"{activation['x_mid']:.3f}, out {activation['image']:.3f} in [{out.min():.3f}, {out.max():.3f}], "
        f"|out| > 0.99: {saturation(out):.4f}; float32 floor {floors}"
    )
    save("ktdn", meta, x, {"image": out, "x_mid": x_mid})


def make_two_branch(x):
    torch.manual_seed(0)
    model = fusion_refine()
    components = {
        "feature_extract": count(model.feature_extract),
        "pre_trained_rcan": count(model.pre_trained_rcan),
        "tail1": count(model.tail1),
    }
    params = count(model)
    assert components == {
        "feature_extract": FEATURE_EXTRACT_PARAMS,
        "pre_trained_rcan": RCAN_PARAMS,
        "tail1": TAIL1_PARAMS,
    }, components
    assert params == TWO_BRANCH_PARAMS, params
    seeded, unused = load_seeded(model, SEED_TWO_BRANCH)
    stats = encoder_stats(model.feature_extract.encoder)
    unused_in_forward = [
        "feature_extract.enhancer.batch1.weight",
        "feature_extract.enhancer.batch1.bias",
        "pre_trained_rcan.tail.0.weight",
        "pre_trained_rcan.tail.0.bias",
    ]

    def call(m, t):
        return {
            "image": m(t),
            "dehaze_feature": m.feature_extract(t),
            "rcan_feature": m.pre_trained_rcan(t),
        }

    outs, floors = run_both(model, x, call)
    check_unused_in_forward(model, x, call, unused_in_forward)
    out = outs["image"]
    blocks = [v for k, v in stats.items() if k.startswith("layer")]
    activation = {
        "encoder": stats,
        "dehaze_feature": float(np.abs(outs["dehaze_feature"]).mean()),
        "rcan_feature": float(np.abs(outs["rcan_feature"]).mean()),
        "image": float(np.abs(out).mean()),
    }
    meta = {
        "name": "two_branch",
        "official_source": "liuh127/Two-branch-dehazing model.py, class fusion_refine (NTIRE 2021); "
        "structure of a faithful re-typed copy (DehazeModel: feature_extract, pre_trained_rcan, tail1), "
        "feature_extract built from GlassyWu/KTDN model.py (Bottle2neck, Res2Net, Dehaze without tail)",
        "official_config": {
            "feature_extract": "KTDN Dehaze without tail (returns the enhancer's 28 channels)",
            "pre_trained_rcan": {
                "n_resgroups": 5,
                "n_resblocks": 10,
                "n_feats": 32,
                "kernel_size": 3,
                "reduction": 8,
                "forward": "body(head(x)) + head(x); tail unused",
            },
            "tail1": "ReflectionPad2d(3), Conv2d(60, 3, 7), Tanh",
            "forward": "tail1(cat([feature_extract(x), pre_trained_rcan(x)], 1))",
        },
        "notes": "test-time wrapper of the re-typed copy (reflect-pad to a multiple of 16, crop, clamp) left "
        "out; Res2Net downsample AvgPool2d(ceil_mode=True, count_include_pad=False) as KTDN (same for even "
        f"sizes); eval mode, float64. rcan_feature and dehaze_feature are stored as [:, :, :{CROP}, :{CROP}] "
        f"of the full (1, C, {SIZE}, {SIZE}) maps (size). " + INPUT_NOTE,
        "debug_crop": [CROP, CROP],
        "weights": "seeded",
        "seeded": seeded,
        "official_params": params,
        "component_params": components,
        "unused": unused,
        "unused_in_forward": unused_in_forward,
        "torch_float32_max_abs": floors["image"],
        "torch_float32_max_abs_by_output": floors,
        "activation_abs_mean": activation,
        "out_frac_abs_gt_0.99": saturation(out),
        "output_range": [float(out.min()), float(out.max())],
    }
    print(
        f"Two-branch: params {params:,} {components}; mean |x| bottlenecks {min(blocks):.3f}..{max(blocks):.3f}, "
        f"dehaze feature {activation['dehaze_feature']:.3f}, rcan feature {activation['rcan_feature']:.3f}, "
        f"out {activation['image']:.3f} in [{out.min():.3f}, {out.max():.3f}], |out| > 0.99: "
        f"{saturation(out):.4f}; float32 floor {floors}"
    )
    crop = (Ellipsis, slice(0, CROP), slice(0, CROP))
    save(
        "two_branch",
        meta,
        x,
        {
            "image": out,
            "dehaze_feature": outs["dehaze_feature"][crop],
            "rcan_feature": outs["rcan_feature"][crop],
        },
    )


if __name__ == "__main__":
    torch.set_num_threads(2)
    x = network_input()
    make_ktdn(x)
    make_two_branch(x)
