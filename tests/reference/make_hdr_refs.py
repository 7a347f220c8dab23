"""Regenerate the HDR-chapter references ``tests/reference/hdr/{ahdrnet,rfdb}.npz``. Needs PyTorch; CI does not.

The networks below are the official PyTorch code, copied from (module names, nesting and forward as there;
only ``nn.functional.sigmoid``, deprecated, is written ``torch.sigmoid``):

* AHDRNet: qingsenyangit/AHDRNet ``model.py`` (``make_dilation_dense``, ``DRDB``, ``AHDR``), run with
  the defaults of ``script_training.py`` (nChannel 6, nDenselayer 6, nFeat 64, growthRate 32).
* RFDB: njulj/RFDN ``block.py`` (``conv_layer``, ``activation``, ``ESA``, ``RFDB``), ``RFDB(50)`` as in RFDN.
  A second case, ``efficient``, is the course's variant (no official code exists): the same block with
  every 3x3 ``conv_layer`` replaced by a depthwise 3x3 + pointwise 1x1 pair (``depth_conv``,
  ``point_conv``, both with bias) and SiLU instead of LeakyReLU(0.05); it checks the MindSpore block's
  wiring of that variant against an independent PyTorch one.

Weights are not stored: each entry ``[official name, shape, scale]`` of the state dict is drawn from one
NumPy generator, ``uniform(-1, 1, shape) * scale`` in state-dict order (``twin_refs.seeded_weights``), with
scale sqrt(3 / fan_in) for conv weights (variance 1 / fan_in: the activations neither vanish nor
explode over the 20-odd layers, and AHDRNet's sigmoid output is not saturated) and 0.1 for biases. The test regenerates them with NumPy alone; ``abs_sum`` catches a change
of NumPy's random stream. Each file stores a JSON ``meta`` (source, config, seed, entries, abs_sum, the
official parameter count, the unused official tensors, the float32 rounding floor), the ``input`` and, per
case, ``out:<case>`` computed by PyTorch in float64 and stored as float32.

The files sit in the ``hdr/`` subfolder because ``twin_refs.names()`` (``tests/test_fidelity.py``) takes
every ``tests/reference/*.npz`` for one of its own converter cases.

Run from the repository root (a separate venv keeps torch out of the project's):

    /work/torchenv/bin/python tests/reference/make_hdr_refs.py
"""

from __future__ import annotations

import json
import math
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import twin_refs  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "hdr"
SEED_AHDRNET, SEED_RFDB, SEED_INPUT = 2019, 2020, 7

# ---------------------------------------------------------------------------------------------------
# AHDRNet (qingsenyangit/AHDRNet model.py)
# ---------------------------------------------------------------------------------------------------


class make_dilation_dense(nn.Module):
    def __init__(self, nChannels, growthRate, kernel_size=3):
        super().__init__()
        self.conv = nn.Conv2d(
            nChannels,
            growthRate,
            kernel_size=kernel_size,
            padding=(kernel_size - 1) // 2 + 1,
            bias=True,
            dilation=2,
        )

    def forward(self, x):
        out = F.relu(self.conv(x))
        out = torch.cat((x, out), 1)
        return out


# Dilation Residual dense block (DRDB)
class DRDB(nn.Module):
    def __init__(self, nChannels, nDenselayer, growthRate):
        super().__init__()
        nChannels_ = nChannels
        modules = []
        for _ in range(nDenselayer):
            modules.append(make_dilation_dense(nChannels_, growthRate))
            nChannels_ += growthRate
        self.dense_layers = nn.Sequential(*modules)
        self.conv_1x1 = nn.Conv2d(nChannels_, nChannels, kernel_size=1, padding=0, bias=True)

    def forward(self, x):
        out = self.dense_layers(x)
        out = self.conv_1x1(out)
        out = out + x
        return out


# Attention Guided HDR, AHDR-Net
class AHDR(nn.Module):
    def __init__(self, args):
        super().__init__()
        nChannel = args.nChannel
        nDenselayer = args.nDenselayer
        nFeat = args.nFeat
        growthRate = args.growthRate
        self.args = args

        # F-1
        self.conv1 = nn.Conv2d(nChannel, nFeat, kernel_size=3, padding=1, bias=True)
        # F0
        self.conv2 = nn.Conv2d(nFeat * 3, nFeat, kernel_size=3, padding=1, bias=True)
        self.att11 = nn.Conv2d(nFeat * 2, nFeat * 2, kernel_size=3, padding=1, bias=True)
        self.att12 = nn.Conv2d(nFeat * 2, nFeat, kernel_size=3, padding=1, bias=True)
        self.attConv1 = nn.Conv2d(nFeat, nFeat, kernel_size=3, padding=1, bias=True)
        self.att31 = nn.Conv2d(nFeat * 2, nFeat * 2, kernel_size=3, padding=1, bias=True)
        self.att32 = nn.Conv2d(nFeat * 2, nFeat, kernel_size=3, padding=1, bias=True)
        self.attConv3 = nn.Conv2d(nFeat, nFeat, kernel_size=3, padding=1, bias=True)

        # DRDBs 3
        self.RDB1 = DRDB(nFeat, nDenselayer, growthRate)
        self.RDB2 = DRDB(nFeat, nDenselayer, growthRate)

        self.RDB3 = DRDB(nFeat, nDenselayer, growthRate)
        # feature fusion (GFF)
        self.GFF_1x1 = nn.Conv2d(nFeat * 3, nFeat, kernel_size=1, padding=0, bias=True)
        self.GFF_3x3 = nn.Conv2d(nFeat, nFeat, kernel_size=3, padding=1, bias=True)
        # fusion
        self.conv_up = nn.Conv2d(nFeat, nFeat, kernel_size=3, padding=1, bias=True)

        # conv
        self.conv3 = nn.Conv2d(nFeat, 3, kernel_size=3, padding=1, bias=True)
        self.relu = nn.LeakyReLU()

    def forward(self, x1, x2, x3):
        F1_ = self.relu(self.conv1(x1))
        F2_ = self.relu(self.conv1(x2))
        F3_ = self.relu(self.conv1(x3))

        F1_i = torch.cat((F1_, F2_), 1)
        F1_A = self.relu(self.att11(F1_i))
        F1_A = self.att12(F1_A)
        F1_A = torch.sigmoid(F1_A)
        F1_ = F1_ * F1_A

        F3_i = torch.cat((F3_, F2_), 1)
        F3_A = self.relu(self.att31(F3_i))
        F3_A = self.att32(F3_A)
        F3_A = torch.sigmoid(F3_A)
        F3_ = F3_ * F3_A

        F_ = torch.cat((F1_, F2_, F3_), 1)

        F_0 = self.conv2(F_)
        F_1 = self.RDB1(F_0)
        F_2 = self.RDB2(F_1)
        F_3 = self.RDB3(F_2)
        FF = torch.cat((F_1, F_2, F_3), 1)
        FdLF = self.GFF_1x1(FF)
        FGF = self.GFF_3x3(FdLF)
        FDF = FGF + F2_
        us = self.conv_up(FDF)

        output = self.conv3(us)
        output = torch.sigmoid(output)

        return output


# ---------------------------------------------------------------------------------------------------
# RFDB (njulj/RFDN block.py)
# ---------------------------------------------------------------------------------------------------


def conv_layer(in_channels, out_channels, kernel_size, stride=1, dilation=1, groups=1):
    padding = int((kernel_size - 1) / 2) * dilation
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=padding,
        bias=True,
        dilation=dilation,
        groups=groups,
    )


def activation(act_type, inplace=True, neg_slope=0.05, n_prelu=1):
    act_type = act_type.lower()
    if act_type == "relu":
        layer = nn.ReLU(inplace)
    elif act_type == "lrelu":
        layer = nn.LeakyReLU(neg_slope, inplace)
    elif act_type == "prelu":
        layer = nn.PReLU(num_parameters=n_prelu, init=neg_slope)
    else:
        raise NotImplementedError(f"activation layer [{act_type:s}] is not found")
    return layer


class ESA(nn.Module):
    def __init__(self, n_feats, conv):
        super().__init__()
        f = n_feats // 4
        self.conv1 = conv(n_feats, f, kernel_size=1)
        self.conv_f = conv(f, f, kernel_size=1)
        self.conv_max = conv(f, f, kernel_size=3, padding=1)
        self.conv2 = conv(f, f, kernel_size=3, stride=2, padding=0)
        self.conv3 = conv(f, f, kernel_size=3, padding=1)
        self.conv3_ = conv(f, f, kernel_size=3, padding=1)
        self.conv4 = conv(f, n_feats, kernel_size=1)
        self.sigmoid = nn.Sigmoid()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        c1_ = self.conv1(x)
        c1 = self.conv2(c1_)
        v_max = F.max_pool2d(c1, kernel_size=7, stride=3)
        v_range = self.relu(self.conv_max(v_max))
        c3 = self.relu(self.conv3(v_range))
        c3 = self.conv3_(c3)
        c3 = F.interpolate(c3, (x.size(2), x.size(3)), mode="bilinear", align_corners=False)
        cf = self.conv_f(c1_)
        c4 = self.conv4(c3 + cf)
        m = self.sigmoid(c4)

        return x * m


class RFDB(nn.Module):
    def __init__(self, in_channels, distillation_rate=0.25):
        super().__init__()
        self.dc = self.distilled_channels = in_channels // 2
        # self.rc = self.remaining_channels = int(in_channels - self.distilled_channels)
        self.rc = self.remaining_channels = in_channels
        self.c1_d = conv_layer(in_channels, self.dc, 1)
        self.c1_r = conv_layer(in_channels, self.rc, 3)
        self.c2_d = conv_layer(self.remaining_channels, self.dc, 1)
        self.c2_r = conv_layer(self.remaining_channels, self.rc, 3)
        self.c3_d = conv_layer(self.remaining_channels, self.dc, 1)
        self.c3_r = conv_layer(self.remaining_channels, self.rc, 3)
        self.c4 = conv_layer(self.remaining_channels, self.dc, 3)
        self.act = activation("lrelu", neg_slope=0.05)
        self.c5 = conv_layer(self.dc * 4, in_channels, 1)
        self.esa = ESA(in_channels, nn.Conv2d)

    def forward(self, input):
        distilled_c1 = self.act(self.c1_d(input))
        r_c1 = self.c1_r(input)
        r_c1 = self.act(r_c1 + input)

        distilled_c2 = self.act(self.c2_d(r_c1))
        r_c2 = self.c2_r(r_c1)
        r_c2 = self.act(r_c2 + r_c1)

        distilled_c3 = self.act(self.c3_d(r_c2))
        r_c3 = self.c3_r(r_c2)
        r_c3 = self.act(r_c3 + r_c2)

        r_c4 = self.act(self.c4(r_c3))

        out = torch.cat([distilled_c1, distilled_c2, distilled_c3, r_c4], dim=1)
        out_fused = self.esa(self.c5(out))

        return out_fused


# ---- the course's efficient variant (no official code): separable 3x3 convs, SiLU --------------------


class SeparableConv(nn.Module):
    """Depthwise 3x3 (bias) then pointwise 1x1 (bias), as course_lib's SeparableConv2d."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.depth_conv = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=True)
        self.point_conv = nn.Conv2d(in_channels, out_channels, 1, bias=True)

    def forward(self, x):
        return self.point_conv(self.depth_conv(x))


def efficient_rfdb(channels):
    block = RFDB(channels)
    for name in ("c1_r", "c2_r", "c3_r", "c4"):
        old = getattr(block, name)
        setattr(block, name, SeparableConv(old.in_channels, old.out_channels))
    block.act = nn.SiLU()
    return block


# ---------------------------------------------------------------------------------------------------


def seeded_entries(model):
    """[[name, shape, scale], ...] in state-dict order: He-uniform bound for weights, 0.1 for biases."""
    entries = []
    for name, tensor in model.state_dict().items():
        shape = list(tensor.shape)
        if name.endswith("weight"):
            fan_in = int(np.prod(shape[1:]))
            entries.append([name, shape, math.sqrt(3.0 / fan_in)])
        else:
            entries.append([name, shape, 0.1])
    return entries


def load_seeded(model, seed):
    entries = seeded_entries(model)
    state = twin_refs.seeded_weights(entries, seed)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    abs_sum = float(sum(np.abs(v.astype(np.float64)).sum() for v in state.values()))
    return {"seed": seed, "entries": entries, "abs_sum": abs_sum}


def run_both(model, inputs):
    """(float64 output, max |float32 output - float64 output|)."""
    model = model.eval()
    with torch.no_grad():
        out32 = model.float()(*[torch.from_numpy(x) for x in inputs]).numpy()
        out64 = model.double()(*[torch.from_numpy(x).double() for x in inputs]).numpy()
    return out64, float(np.abs(out32 - out64).max())


def frames(rng, n, h, w, exposures=(1.0, 4.0, 16.0)):
    """Three 6-channel frames cat(L, L^2.2 / t) from one random LDR scene, brighter with longer t."""
    scene = rng.uniform(0.0, 0.6, (n, 3, h, w))
    out = []
    for t in exposures:
        ldr = np.clip(scene * t / 4.0 + rng.normal(0, 0.01, scene.shape), 0, 1)
        out.append(np.concatenate([ldr, ldr**2.2 / t], axis=1).astype(np.float32))
    return out


def save(name, meta, inputs, outputs):
    arrays = {"meta": np.array(json.dumps(meta)), "input": inputs}
    arrays.update({f"out:{case}": out.astype(np.float32) for case, out in outputs.items()})
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {path.stat().st_size:,} bytes, cases {sorted(outputs)}")


def make_ahdrnet():
    torch.manual_seed(0)
    args = Namespace(nChannel=6, nDenselayer=6, nFeat=64, growthRate=32)
    model = AHDR(args)
    seeded = load_seeded(model, SEED_AHDRNET)
    x1, x2, x3 = frames(np.random.default_rng(SEED_INPUT), 1, 20, 24)
    out, floor = run_both(model, (x1, x2, x3))
    unused = ["attConv1.weight", "attConv1.bias", "attConv3.weight", "attConv3.bias"]
    all_params = sum(p.numel() for p in model.parameters())
    unused_params = sum(model.state_dict()[k].numel() for k in unused)
    meta = {
        "name": "ahdrnet",
        "official_source": "qingsenyangit/AHDRNet model.py, class AHDR",
        "official_config": vars(args),
        "weights": "seeded",
        "seeded": seeded,
        "unused": unused,
        "official_params_all": all_params,
        "official_params_used": all_params - unused_params,
        "input_layout": "cat(x1, x2, x3) on channels, each cat(L, L^2.2 / t), t = 1, 4, 16; x2 the reference",
        "torch_float32_max_abs": floor,
        "output_range": [float(out.min()), float(out.max())],
    }
    print(f"AHDRNet: params {all_params:,} ({all_params - unused_params:,} used), output in "
          f"[{out.min():.3f}, {out.max():.3f}], std {out.std():.3f}, float32 floor {floor:.2e}")  # fmt: skip
    save("ahdrnet", meta, np.concatenate([x1, x2, x3], axis=1), {"official": out})


def make_rfdb():
    rng = np.random.default_rng(SEED_INPUT + 1)
    x = rng.standard_normal((1, 50, 21, 24)).astype(np.float32)  # 21x24: ESA's coarse map is 2x2
    meta = {
        "name": "rfdb",
        "official_source": "njulj/RFDN block.py, class RFDB (ESA with nn.Conv2d)",
        "official_config": {"in_channels": 50},
        "weights": "seeded",
        "cases": {},
    }
    outputs = {}
    for case, build, seed in (("official", RFDB, SEED_RFDB), ("efficient", efficient_rfdb, SEED_RFDB + 1)):
        torch.manual_seed(0)
        model = build(50)
        seeded = load_seeded(model, seed)
        out, floor = run_both(model, (x,))
        params = sum(p.numel() for p in model.parameters())
        meta["cases"][case] = {"seeded": seeded, "params": params, "torch_float32_max_abs": floor}
        outputs[case] = out
        print(f"RFDB {case}: params {params:,}, output std {out.std():.3f}, float32 floor {floor:.2e}")
    save("rfdb", meta, x, outputs)


if __name__ == "__main__":
    torch.set_num_threads(2)
    make_ahdrnet()
    make_rfdb()
