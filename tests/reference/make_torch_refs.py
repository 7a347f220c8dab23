"""Regenerate the PyTorch-twin references ``tests/reference/*.npz`` (issue 10). Needs PyTorch; CI does not.

Every network below is written from its official repository's definition (read there; parameter names,
module nesting and forward kept as the official code has them), given fixed random weights, and run on a
fixed input in float64 (the float32 run is recorded too, as the rounding floor). The files hold the
official-named weights, the input and the outputs; ``twin_refs.py`` reads them without torch and
``tests/test_fidelity.py`` checks that ``course_lib.convert`` + the course_lib model reproduce them.

Sources (commits as crawled for the course's research notes, ``methods.md``):

* AECR-Net: GlassyWu/AECR-Net ``models/AECRNet.py`` (``Dehaze``, ``DehazeBlock``, ``CALayer``,
  ``PALayer``, ``DCNBlock``, ``Mix``) and ``models/deconv.py`` (``FastDeconv``, its eval path: the running
  whitening folded into the conv). ``DCN`` is CharlesShang/DCNv2 ``dcn_v2.py`` (``conv_offset_mask`` ->
  chunk o1, o2, mask; offset = cat(o1, o2); mask = sigmoid) with the sampling of
  ``src/cuda/dcn_v2_im2col_cuda.cu`` (interleaved (dy, dx) per tap, bilinear, zero outside) written out
  here with torch ops (no CUDA extension, no torchvision).
* CSD / EDSR: Booooooooooo/CSD ``PyTorch version/model/edsr.py`` + ``model/common.py`` (width-slimmable).
* Zero-DCE: Li-Chongyi/Zero-DCE ``Zero-DCE_code/model.py`` (``enhance_net_nopool``).
* Zero-DCE++: Li-Chongyi/Zero-DCE_extension ``Zero-DCE++/model.py`` (``enhance_net_nopool(scale_factor)``,
  ``CSDN_Tem``).
* ESPCN: Shi et al., CVPR 2016, Sec. 2 and 3 (no official code): conv5x5 64, tanh, conv3x3 32, tanh,
  conv3x3 3r^2, PixelShuffle; module names of the common PyTorch port (yjn870/ESPCN-pytorch:
  ``first_part``, ``last_part``).

Run (from the repository root; a separate venv keeps torch out of the project's):

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install "torch==2.13.*" "numpy<2"
    /tmp/torchenv/bin/python tests/reference/make_torch_refs.py

It also writes ``zero_dce_pp_dataparallel.pth`` (``torch.save`` of the Zero-DCE++ twin's weights with the
``module.`` prefix of ``nn.DataParallel``), so the tests can read a real ``.pth`` through ``safe_pickle``.
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

OUT_DIR = twin_refs.REFERENCE_DIR

# ---------------------------------------------------------------------------------------------------
# AECR-Net (GlassyWu/AECR-Net models/AECRNet.py, models/deconv.py; DCN from CharlesShang/DCNv2)
# ---------------------------------------------------------------------------------------------------


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
        return x * self.pa(x)


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
        return x * self.ca(self.avg_pool(x))


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
        res = res + x
        return res


def dcn_v2_conv(x, offset, mask, weight, bias, stride=1, padding=1):
    """DCNv2's modulated deformable conv (dcn_v2_im2col_cuda.cu), deformable_groups 1, dilation 1.

    offset (N, 2K, Ho, Wo) interleaved per tap k = i*kw + j: channel 2k is dy_k, 2k+1 is dx_k; mask (N, K,
    Ho, Wo). Tap k of output (h, w) samples x at (h*stride - padding + i + dy_k, w*stride - padding + j +
    dx_k) bilinearly, a neighbour outside the image reading 0, and only if the point lies in (-1, H) x (-1, W).
    """
    n, c, h_in, w_in = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = offset.shape[2:]
    flat = x.reshape(n, c, h_in * w_in)
    base_h = (torch.arange(h_out, dtype=x.dtype) * stride - padding).view(1, h_out, 1)
    base_w = (torch.arange(w_out, dtype=x.dtype) * stride - padding).view(1, 1, w_out)
    columns = []
    for i in range(kh):
        for j in range(kw):
            k = i * kw + j
            hh = base_h + i + offset[:, 2 * k]  # (N, Ho, Wo)
            ww = base_w + j + offset[:, 2 * k + 1]
            h_low, w_low = torch.floor(hh), torch.floor(ww)
            lh, lw = hh - h_low, ww - w_low
            val = torch.zeros(n, c, h_out, w_out, dtype=x.dtype)
            for dh, dw, wgt in (
                (0, 0, (1 - lh) * (1 - lw)),
                (0, 1, (1 - lh) * lw),
                (1, 0, lh * (1 - lw)),
                (1, 1, lh * lw),
            ):
                r, q = h_low + dh, w_low + dw
                ok = (r >= 0) & (r <= h_in - 1) & (q >= 0) & (q <= w_in - 1)
                idx = (
                    (r.clamp(0, h_in - 1) * w_in + q.clamp(0, w_in - 1))
                    .long()
                    .view(n, 1, -1)
                    .expand(n, c, -1)
                )
                v = torch.gather(flat, 2, idx).view(n, c, h_out, w_out)
                val = val + v * (wgt * ok).unsqueeze(1)
            inside = ((hh > -1) & (ww > -1) & (hh < h_in) & (ww < w_in)).to(x.dtype)
            columns.append(val * (inside * mask[:, k]).unsqueeze(1))
    cols = torch.stack(columns, 2)  # (N, C, K, Ho, Wo): DCNv2's data_col, channel-major then tap
    out = torch.einsum("nckhw,ock->nohw", cols, weight.reshape(c_out, c, kh * kw))
    return out + bias.view(1, -1, 1, 1)


class DCN(nn.Module):
    """CharlesShang/DCNv2 ``DCN`` (dcn_v2.py): parameters ``weight``, ``bias``, ``conv_offset_mask``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding):
        super().__init__()
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        channels_ = 3 * self.kernel_size[0] * self.kernel_size[1]
        self.conv_offset_mask = nn.Conv2d(
            in_channels, channels_, kernel_size=self.kernel_size, stride=stride, padding=padding, bias=True
        )

    def forward(self, x):
        out = self.conv_offset_mask(x)
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        mask = torch.sigmoid(mask)
        self.last_offset = offset.detach()
        return dcn_v2_conv(x, offset, mask, self.weight, self.bias, self.stride, self.padding)


class DCNBlock(nn.Module):
    def __init__(self, in_channel, out_channel):
        super().__init__()
        self.dcn = DCN(in_channel, out_channel, kernel_size=(3, 3), stride=1, padding=1)

    def forward(self, x):
        return self.dcn(x)


class Mix(nn.Module):
    def __init__(self, m=-0.80):
        super().__init__()
        self.w = torch.nn.Parameter(torch.FloatTensor([m]), requires_grad=True)
        self.mix_block = nn.Sigmoid()

    def forward(self, fea1, fea2):
        mix_factor = self.mix_block(self.w)
        return fea1 * mix_factor.expand_as(fea1) + fea2 * (1 - mix_factor.expand_as(fea2))


class FastDeconv(nn.Conv2d):
    """models/deconv.py ``FastDeconv`` in eval mode (groups 1): the running whitening folded into the conv.

    Buffers ``running_mean`` (k*k*B,) and ``running_deconv`` (k*k*B, k*k*B), B = block = min(64, C_in).
    The training path (batch statistics, Newton-Schulz) is not needed for a forward reference.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, block=64):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=True)
        if block > in_channels:
            block = in_channels
        elif in_channels % block != 0:
            block = math.gcd(block, in_channels)
        self.block = block
        self.num_features = kernel_size**2 * block
        self.register_buffer("running_mean", torch.zeros(self.num_features))
        self.register_buffer("running_deconv", torch.eye(self.num_features))

    def forward(self, x):
        assert not self.training, "the twin implements FastDeconv's eval path only"
        c = x.shape[1]
        b = self.block
        x_mean, deconv = self.running_mean, self.running_deconv
        w = (
            self.weight.view(-1, self.num_features, c // b)
            .transpose(1, 2)
            .contiguous()
            .view(-1, self.num_features)
            @ deconv
        )
        bias = self.bias - (w @ (x_mean.unsqueeze(1))).view(self.weight.shape[0], -1).sum(1)
        w = w.view(-1, c // b, self.num_features).transpose(1, 2).contiguous()
        w = w.view(self.weight.shape)
        return F.conv2d(x, w, bias, self.stride, self.padding, self.dilation, self.groups)


class Dehaze(nn.Module):
    """models/AECRNet.py ``Dehaze(input_nc, output_nc, ngf)``. The official code hard-codes
    ``DCNBlock(256, 256)`` (right for ngf 64 only); here it is ``DCNBlock(4 ngf, 4 ngf)`` so the tiny
    configuration (ngf 16) can be built too."""

    def __init__(self, input_nc, output_nc, ngf=64):
        super().__init__()
        self.down1 = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0), nn.ReLU(True)
        )
        self.down2 = nn.Sequential(nn.Conv2d(ngf, ngf * 2, kernel_size=3, stride=2, padding=1), nn.ReLU(True))
        self.down3 = nn.Sequential(
            nn.Conv2d(ngf * 2, ngf * 4, kernel_size=3, stride=2, padding=1), nn.ReLU(True)
        )
        self.block = DehazeBlock(default_conv, ngf * 4, 3)
        self.up1 = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf * 2, kernel_size=3, stride=2, padding=1, output_padding=1),
            nn.ReLU(True),
        )
        self.up2 = nn.Sequential(
            nn.ConvTranspose2d(ngf * 2, ngf, kernel_size=3, stride=2, padding=1, output_padding=1),
            nn.ReLU(True),
        )
        self.up3 = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()
        )
        self.dcn_block = DCNBlock(ngf * 4, ngf * 4)
        self.deconv = FastDeconv(3, 3, kernel_size=3, stride=1, padding=1)
        self.mix1 = Mix(m=-1)
        self.mix2 = Mix(m=-0.6)

    def forward(self, input):
        x_deconv = self.deconv(input)
        x_down1 = self.down1(x_deconv)
        x_down2 = self.down2(x_down1)
        x_down3 = self.down3(x_down2)
        x1 = self.block(x_down3)
        x2 = self.block(x1)
        x3 = self.block(x2)
        x4 = self.block(x3)
        x5 = self.block(x4)
        x6 = self.block(x5)
        x_dcn1 = self.dcn_block(x6)
        offsets = [self.dcn_block.dcn.last_offset]
        x_dcn2 = self.dcn_block(x_dcn1)
        offsets.append(self.dcn_block.dcn.last_offset)
        self.last_offsets = offsets
        x_out_mix = self.mix1(x_down3, x_dcn2)
        x_up1 = self.up1(x_out_mix)
        x_up1_mix = self.mix2(x_down2, x_up1)
        x_up2 = self.up2(x_up1_mix)
        return self.up3(x_up2)


# ---------------------------------------------------------------------------------------------------
# CSD's width-slimmable EDSR (Booooooooooo/CSD "PyTorch version/model/edsr.py", "model/common.py")
# ---------------------------------------------------------------------------------------------------


class MeanShift(nn.Conv2d):
    def __init__(self, rgb_range, rgb_mean=(0.4488, 0.4371, 0.4040), rgb_std=(1.0, 1.0, 1.0), sign=-1):
        super().__init__(3, 3, kernel_size=1)
        std = torch.Tensor(rgb_std)
        self.weight.data = torch.eye(3).view(3, 3, 1, 1) / std.view(3, 1, 1, 1)
        self.bias.data = sign * rgb_range * torch.Tensor(rgb_mean) / std
        for p in self.parameters():
            p.requires_grad = False


class ResidualBlock(nn.Module):
    def __init__(self, n_feats, kernel_size, act, res_scale):
        super().__init__()
        self.n_feats, self.res_scale, self.kernel_size = n_feats, res_scale, kernel_size
        self.conv1 = nn.Conv2d(n_feats, n_feats, kernel_size=kernel_size, padding=1)
        self.act = act
        self.conv2 = nn.Conv2d(n_feats, n_feats, kernel_size=kernel_size, padding=1)

    def forward(self, x, width_mult=1):
        width = int(self.n_feats * width_mult)
        residual = F.conv2d(
            x, self.conv1.weight[:width, :width], self.conv1.bias[:width], padding=self.kernel_size // 2
        )
        residual = self.act(residual)
        residual = F.conv2d(
            residual,
            self.conv2.weight[:width, :width],
            self.conv2.bias[:width],
            padding=self.kernel_size // 2,
        )
        return x + residual.mul(self.res_scale)


class Upsampler(nn.Sequential):
    def __init__(self, scale_factor, nf):
        super().__init__()
        block = []
        self.nf, self.scale = nf, scale_factor
        if scale_factor == 3:
            block += [nn.Conv2d(nf, nf * 9, 3, padding=1, bias=True)]
            self.pixel_shuffle = nn.PixelShuffle(3)
        else:
            self.block_num = scale_factor // 2  # official: x8 would get 4 stages (x16); x2 and x4 are right
            self.pixel_shuffle = nn.PixelShuffle(2)
            for _ in range(self.block_num):
                block += [nn.Conv2d(nf, nf * (2**2), 3, padding=1, bias=True)]
        self.blocks = nn.ModuleList(block)

    def forward(self, x, width_mult=1):
        res = x
        width = int(width_mult * self.nf)
        rr = 9 if self.scale == 3 else 4
        for block in self.blocks:
            res = F.conv2d(res, block.weight[: rr * width, :width], block.bias[: rr * width], padding=1)
            res = self.pixel_shuffle(res)
        return res


class EDSR(nn.Module):
    def __init__(self, n_resblocks, n_feats, scale, res_scale, rgb_range, n_colors=3):
        super().__init__()
        self.n_colors, self.n_feats, self.kernel_size = n_colors, n_feats, 3
        act = nn.ReLU(True)
        self.sub_mean = MeanShift(rgb_range)
        self.add_mean = MeanShift(rgb_range, sign=1)
        self.head = nn.Conv2d(n_colors, n_feats, 3, padding=1, bias=True)
        self.body = nn.ModuleList(
            [ResidualBlock(n_feats, 3, act=act, res_scale=res_scale) for _ in range(n_resblocks)]
        )
        self.body_conv = nn.Conv2d(n_feats, n_feats, 3, padding=1, bias=True)
        self.upsampler = Upsampler(scale, n_feats)
        self.tail_conv = nn.Conv2d(n_feats, n_colors, 3, padding=1, bias=True)

    def forward(self, x, width_mult=1):
        fw = int(self.n_feats * width_mult)
        x = self.sub_mean(x)
        x = F.conv2d(x, self.head.weight[:fw, : self.n_colors], self.head.bias[:fw], padding=1)
        residual = x
        for block in self.body:
            residual = block(residual, width_mult)
        residual = F.conv2d(residual, self.body_conv.weight[:fw, :fw], self.body_conv.bias[:fw], padding=1)
        residual = residual + x
        x = self.upsampler(residual, width_mult)
        x = F.conv2d(
            x, self.tail_conv.weight[: self.n_colors, :fw], self.tail_conv.bias[: self.n_colors], padding=1
        )
        return self.add_mean(x)

    def active_params(self, width_mult):
        """Parameters the official forward reads at this width (the slices above; MeanShift is frozen)."""
        fw, c = int(self.n_feats * width_mult), self.n_colors
        rr = 9 if self.upsampler.scale == 3 else 4
        n = fw * c * 9 + fw  # head
        n += len(self.body) * 2 * (fw * fw * 9 + fw) + fw * fw * 9 + fw  # body + body_conv
        n += len(self.upsampler.blocks) * (rr * fw * fw * 9 + rr * fw)
        return n + c * fw * 9 + c  # tail_conv


# ---------------------------------------------------------------------------------------------------
# Zero-DCE (Li-Chongyi/Zero-DCE Zero-DCE_code/model.py) and Zero-DCE++ (Zero-DCE_extension Zero-DCE++/model.py)
# ---------------------------------------------------------------------------------------------------


class ZeroDCENet(nn.Module):
    """``enhance_net_nopool`` of Zero-DCE (maxpool / upsample modules are defined there but unused)."""

    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU(inplace=True)
        number_f = 32
        self.e_conv1 = nn.Conv2d(3, number_f, 3, 1, 1, bias=True)
        self.e_conv2 = nn.Conv2d(number_f, number_f, 3, 1, 1, bias=True)
        self.e_conv3 = nn.Conv2d(number_f, number_f, 3, 1, 1, bias=True)
        self.e_conv4 = nn.Conv2d(number_f, number_f, 3, 1, 1, bias=True)
        self.e_conv5 = nn.Conv2d(number_f * 2, number_f, 3, 1, 1, bias=True)
        self.e_conv6 = nn.Conv2d(number_f * 2, number_f, 3, 1, 1, bias=True)
        self.e_conv7 = nn.Conv2d(number_f * 2, 24, 3, 1, 1, bias=True)

    def forward(self, x):
        x1 = self.relu(self.e_conv1(x))
        x2 = self.relu(self.e_conv2(x1))
        x3 = self.relu(self.e_conv3(x2))
        x4 = self.relu(self.e_conv4(x3))
        x5 = self.relu(self.e_conv5(torch.cat([x3, x4], 1)))
        x6 = self.relu(self.e_conv6(torch.cat([x2, x5], 1)))
        x_r = torch.tanh(self.e_conv7(torch.cat([x1, x6], 1)))
        r1, r2, r3, r4, r5, r6, r7, r8 = torch.split(x_r, 3, dim=1)
        x = x + r1 * (torch.pow(x, 2) - x)
        x = x + r2 * (torch.pow(x, 2) - x)
        x = x + r3 * (torch.pow(x, 2) - x)
        enhance_image_1 = x + r4 * (torch.pow(x, 2) - x)
        x = enhance_image_1 + r5 * (torch.pow(enhance_image_1, 2) - enhance_image_1)
        x = x + r6 * (torch.pow(x, 2) - x)
        x = x + r7 * (torch.pow(x, 2) - x)
        enhance_image = x + r8 * (torch.pow(x, 2) - x)
        r = torch.cat([r1, r2, r3, r4, r5, r6, r7, r8], 1)
        return enhance_image_1, enhance_image, r


class CSDN_Tem(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.depth_conv = nn.Conv2d(in_ch, in_ch, kernel_size=3, stride=1, padding=1, groups=in_ch)
        self.point_conv = nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=1, padding=0, groups=1)

    def forward(self, input):
        return self.point_conv(self.depth_conv(input))


class ZeroDCEPPNet(nn.Module):
    """``enhance_net_nopool(scale_factor)`` of Zero-DCE++."""

    def __init__(self, scale_factor):
        super().__init__()
        self.relu = nn.ReLU(inplace=True)
        self.scale_factor = scale_factor
        self.upsample = nn.UpsamplingBilinear2d(scale_factor=self.scale_factor)  # align_corners=True
        number_f = 32
        self.e_conv1 = CSDN_Tem(3, number_f)
        self.e_conv2 = CSDN_Tem(number_f, number_f)
        self.e_conv3 = CSDN_Tem(number_f, number_f)
        self.e_conv4 = CSDN_Tem(number_f, number_f)
        self.e_conv5 = CSDN_Tem(number_f * 2, number_f)
        self.e_conv6 = CSDN_Tem(number_f * 2, number_f)
        self.e_conv7 = CSDN_Tem(number_f * 2, 3)

    def enhance(self, x, x_r):
        for _ in range(8):
            x = x + x_r * (torch.pow(x, 2) - x)
        return x

    def forward(self, x):
        if self.scale_factor == 1:
            x_down = x
        else:
            x_down = F.interpolate(x, scale_factor=1 / self.scale_factor, mode="bilinear")
        x1 = self.relu(self.e_conv1(x_down))
        x2 = self.relu(self.e_conv2(x1))
        x3 = self.relu(self.e_conv3(x2))
        x4 = self.relu(self.e_conv4(x3))
        x5 = self.relu(self.e_conv5(torch.cat([x3, x4], 1)))
        x6 = self.relu(self.e_conv6(torch.cat([x2, x5], 1)))
        x_r = torch.tanh(self.e_conv7(torch.cat([x1, x6], 1)))
        if self.scale_factor != 1:
            x_r = self.upsample(x_r)
        return self.enhance(x, x_r), x_r


# ---------------------------------------------------------------------------------------------------
# ESPCN (Shi et al., CVPR 2016; no official code)
# ---------------------------------------------------------------------------------------------------


class ESPCN(nn.Module):
    def __init__(self, scale_factor, num_channels=3):
        super().__init__()
        self.first_part = nn.Sequential(
            nn.Conv2d(num_channels, 64, kernel_size=5, padding=5 // 2),
            nn.Tanh(),
            nn.Conv2d(64, 32, kernel_size=3, padding=3 // 2),
            nn.Tanh(),
        )
        self.last_part = nn.Sequential(
            nn.Conv2d(32, num_channels * (scale_factor**2), kernel_size=3, padding=3 // 2),
            nn.PixelShuffle(scale_factor),
        )

    def forward(self, x):
        return self.last_part(self.first_part(x))


# ---------------------------------------------------------------------------------------------------
# weights, runs, files
# ---------------------------------------------------------------------------------------------------


def weight_entries(model, gain=1.0, overrides=None):
    """[[name, shape, scale]] for every tensor of the state dict: uniform(-scale, scale) weights.

    Weights get the bound gain / sqrt(fan_in) (gain 1 is PyTorch's default init, sqrt(6) He's), biases
    1 / sqrt(fan_in) (fan_in from the weight of the same module). The gain is chosen per network so that
    its output is of order 0.1-1 without saturating: a tiny output would make the 1e-4 tolerance loose, a
    huge one would lift float32 rounding towards it. ``overrides`` {name: scale} changes single entries
    (offset convs, mixup scalars, buffers).
    """
    overrides = overrides or {}
    state = model.state_dict()
    entries = []
    for name, tensor in state.items():
        shape = list(tensor.shape)
        if name in overrides:
            scale = overrides[name]
        else:
            module = name.rsplit(".", 1)[0]
            weight = state.get(module + ".weight", tensor)
            fan_in = int(np.prod(weight.shape[1:])) if weight.dim() > 1 else 1
            scale = (gain if tensor.dim() > 1 else 1.0) / math.sqrt(fan_in)
        entries.append([name, shape, float(scale)])
    return entries


def load_numpy_weights(model, weights):
    state = {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in weights.items()}
    model.load_state_dict(state, strict=True)


def run_both(make, weights, x, call):
    """Outputs in float64 (stored) and the max abs difference of a float32 run (the rounding floor)."""
    outs = {}
    for dtype in (torch.float64, torch.float32):
        model = make().to(dtype).eval()
        load_numpy_weights(model, weights)
        with torch.no_grad():
            out = call(model, torch.from_numpy(x).to(dtype))
        outs[dtype] = out if isinstance(out, (tuple, list)) else (out,)
        if dtype == torch.float64:
            model64 = model
    floor = max(float((a.double() - b).abs().max()) for a, b in zip(outs[torch.float32], outs[torch.float64]))
    return [o.numpy().astype(np.float32) for o in outs[torch.float64]], floor, model64


def write(name, meta, x, outputs, weights=None):
    arrays = {"meta": np.array(json.dumps(meta, indent=1)), "input": x.astype(np.float32)}
    if weights is not None:
        arrays.update({twin_refs.WEIGHT_PREFIX + k: v.astype(np.float32) for k, v in weights.items()})
    for case, outs in outputs.items():
        for out_name, value in outs.items():
            arrays[f"{twin_refs.OUTPUT_PREFIX}{case}:{out_name}"] = value
    path = OUT_DIR / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")


def count(model):
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def make_aecrnet(name, ngf, shape, seed, stored, gain, offset_gain):
    make = lambda: Dehaze(3, 3, ngf=ngf)  # noqa: E731
    model = make()
    fan = int(np.prod(model.dcn_block.dcn.conv_offset_mask.weight.shape[1:]))
    overrides = {
        "mix1.w": 1.0,
        "mix2.w": 1.0,
        "deconv.running_mean": 0.5,  # a whitening far from the identity, so the fold is tested
        "deconv.running_deconv": 0.3,
        "dcn_block.dcn.conv_offset_mask.bias": 1.0,  # offsets of about a pixel: non-zero, fractional
        "dcn_block.dcn.conv_offset_mask.weight": offset_gain / math.sqrt(fan),
    }
    entries = weight_entries(model, gain, overrides)
    weights = twin_refs.seeded_weights(entries, seed)
    x = np.random.default_rng(seed + 1).random(shape, dtype=np.float32)
    (out,), floor, model64 = run_both(make, weights, x, lambda m, t: m(t))
    offsets = torch.cat([o.flatten() for o in model64.last_offsets]).abs()
    meta = {
        "name": name,
        "official_source": "GlassyWu/AECR-Net models/AECRNet.py (Dehaze)",
        "official_config": {"input_nc": 3, "output_nc": 3, "ngf": ngf},
        "notes": "FastDeconv (models/deconv.py) in eval mode with a random running whitening, which "
        "course_lib.convert folds into the pre conv; DCN of CharlesShang/DCNv2 (dcn_v2.py, sampling of "
        "dcn_v2_im2col_cuda.cu written with torch ops); DCNBlock(4 ngf, 4 ngf) (official: 256, right for ngf 64 only)",
        "dcn_offset_abs_mean": float(offsets.mean()),
        "dcn_offset_abs_max": float(offsets.max()),
        "weights": "stored" if stored else "seeded",
        "cases": [
            {
                "name": "main",
                "build": {"class": "AECRNet", "kwargs": {"num_feat": ngf}},
                "call": {},
                "outputs": ["out"],
                "official_params": count(model),
                "torch_float32_max_abs": floor,
            }
        ],
    }
    if not stored:
        abs_sum = float(sum(np.abs(v.astype(np.float64)).sum() for v in weights.values()))
        meta["seeded"] = {"seed": seed, "entries": entries, "abs_sum": abs_sum}
    print(f"{name}: params {count(model):,}, |offset| mean {meta['dcn_offset_abs_mean']:.3f} "
          f"max {meta['dcn_offset_abs_max']:.3f}, float32 floor {floor:.2e}")  # fmt: skip
    write(name, meta, x, {"main": {"out": out}}, weights if stored else None)


def make_edsr(name, n_resblocks, n_feats, scale, rgb_range, shape, seed, gain, widths=(1.0, 0.25)):
    cfg = dict(n_resblocks=n_resblocks, n_feats=n_feats, scale=scale, res_scale=1.0, rgb_range=rgb_range)
    make = lambda: EDSR(**cfg)  # noqa: E731
    model = make()
    frozen = {n: None for n in ("sub_mean.weight", "sub_mean.bias", "add_mean.weight", "add_mean.bias")}
    entries = [e for e in weight_entries(model, gain) if e[0] not in frozen]
    weights = twin_refs.seeded_weights(entries, seed)
    for n in frozen:  # MeanShift keeps its official constants (rgb_range, DIV2K mean, std 1)
        weights[n] = model.state_dict()[n].numpy()
    x = np.random.default_rng(seed + 1).random(shape, dtype=np.float32)
    cases, outputs = [], {}
    for w in widths:
        # The official network sees images in [0, rgb_range]; the course's in [0, 1]: compare in [0, 1].
        (out,), floor, _ = run_both(make, weights, x * rgb_range, lambda m, t, w=w: m(t, w))
        case = f"w{w}"
        outputs[case] = {"out": out / rgb_range}
        cases.append(
            {
                "name": case,
                "build": {"class": "EDSR", "kwargs": {"num_blocks": n_resblocks, "num_feat": n_feats, "scale": scale,
                                                      "res_scale": 1.0}},
                "call": {"width_mult": w},
                "outputs": ["out"],
                "official_params": model.active_params(w),
                "torch_float32_max_abs": floor / rgb_range,
            }
        )  # fmt: skip
        print(f"{name} {case}: params {model.active_params(w):,}, float32 floor {floor / rgb_range:.2e}")
    meta = {
        "name": name,
        "official_source": "Booooooooooo/CSD PyTorch version/model/edsr.py (EDSR)",
        "official_config": {**cfg, "n_colors": 3},
        "notes": f"input x in [0, 1] fed to the official net as {rgb_range} x; outputs divided by {rgb_range}",
        "weights": "stored",
        "cases": cases,
    }
    write(name, meta, x, outputs, weights)


def make_zero_dce(seed, gain):
    model = ZeroDCENet()
    weights = twin_refs.seeded_weights(weight_entries(model, gain), seed)
    x = 0.3 * np.random.default_rng(seed + 1).random((1, 3, 24, 32), dtype=np.float32)  # a dark image
    (e1, e, r), floor, _ = run_both(ZeroDCENet, weights, x, lambda m, t: m(t))
    meta = {
        "name": "zero_dce",
        "official_source": "Li-Chongyi/Zero-DCE Zero-DCE_code/model.py",
        "official_config": {},
        "notes": "official returns (enhance_image_1, enhance_image, r); course_lib (enhanced, enhanced_half, r)",
        "weights": "stored",
        "cases": [
            {"name": "main", "build": {"class": "ZeroDCE", "kwargs": {}}, "call": {},
             "outputs": ["enhance_image", "enhance_image_1", "r"], "official_params": count(model),
             "torch_float32_max_abs": floor}
        ],
    }  # fmt: skip
    print(f"zero_dce: params {count(model):,}, float32 floor {floor:.2e}")
    write("zero_dce", meta, x, {"main": {"enhance_image_1": e1, "enhance_image": e, "r": r}}, weights)


def make_zero_dce_pp(seed, gain, scales=(1, 4)):
    model = ZeroDCEPPNet(1)
    weights = twin_refs.seeded_weights(weight_entries(model, gain), seed)
    x = 0.3 * np.random.default_rng(seed + 1).random((1, 3, 24, 32), dtype=np.float32)
    cases, outputs = [], {}
    for s in scales:
        (e, r), floor, _ = run_both(lambda s=s: ZeroDCEPPNet(s), weights, x, lambda m, t: m(t))
        outputs[f"s{s}"] = {"enhance_image": e, "x_r": r}
        cases.append(
            {"name": f"s{s}", "build": {"class": "ZeroDCEPP", "kwargs": {"scale_factor": s}}, "call": {},
             "outputs": ["enhance_image", "x_r"], "official_params": count(model), "torch_float32_max_abs": floor}
        )  # fmt: skip
        print(f"zero_dce_pp s{s}: params {count(model):,}, float32 floor {floor:.2e}")
    meta = {
        "name": "zero_dce_pp",
        "official_source": "Li-Chongyi/Zero-DCE_extension Zero-DCE++/model.py",
        "official_config": {"scale_factor": list(scales)},
        "notes": "scale_factor s: bilinear down (align_corners=False), UpsamplingBilinear2d up (align_corners=True)",
        "weights": "stored",
        "cases": cases,
    }
    write("zero_dce_pp", meta, x, outputs, weights)
    # A real .pth as nn.DataParallel saves it ('module.' prefix), torch's zip format.
    state = {"module." + k: torch.from_numpy(v) for k, v in weights.items()}
    path = OUT_DIR / "zero_dce_pp_dataparallel.pth"
    torch.save(state, path)
    print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")


def make_espcn(seed, gain, scale=2):
    make = lambda: ESPCN(scale)  # noqa: E731
    model = make()
    weights = twin_refs.seeded_weights(weight_entries(model, gain), seed)
    x = np.random.default_rng(seed + 1).random((1, 3, 16, 20), dtype=np.float32)
    (out,), floor, _ = run_both(make, weights, x, lambda m, t: m(t))
    meta = {
        "name": "espcn",
        "official_source": "Shi et al., CVPR 2016 (no official code)",
        "official_config": {"scale_factor": scale, "num_channels": 3},
        "notes": "module names of yjn870/ESPCN-pytorch; course_lib SubPixelSR(residual=False) is the paper's "
        "ESPCN; residual=True adds MindSpore's "
        "bicubic, which is not PyTorch's (Keys a=-0.5 vs a=-0.75), so it has no PyTorch twin",
        "weights": "stored",
        "cases": [
            {"name": "main", "build": {"class": "SubPixelSR", "kwargs": {"scale": scale, "residual": False}},
             "call": {}, "outputs": ["out"], "official_params": count(model), "torch_float32_max_abs": floor}
        ],
    }  # fmt: skip
    print(f"espcn: params {count(model):,}, float32 floor {floor:.2e}")
    write("espcn", meta, x, {"main": {"out": out}}, weights)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    # gains: outputs of order 0.1-1 (weight_entries); offset gains: DCN offsets of about a pixel
    make_aecrnet("aecrnet", 64, (1, 3, 32, 32), seed=10, stored=False, gain=2.0, offset_gain=0.3)
    make_aecrnet("aecrnet_tiny", 16, (1, 3, 24, 32), seed=11, stored=True, gain=2.0, offset_gain=0.3)
    make_edsr("edsr_x2", 4, 32, 2, 1, (1, 3, 16, 20), seed=20, gain=1.0)
    make_edsr("edsr_x4_rgb255", 2, 16, 4, 255, (1, 3, 12, 16), seed=21, gain=1.0)
    make_edsr("edsr_x3", 2, 16, 3, 1, (1, 3, 10, 12), seed=22, gain=1.0)
    make_zero_dce(seed=30, gain=2.0)
    make_zero_dce_pp(seed=31, gain=1.5)
    make_espcn(seed=40, gain=1.5)
    total = sum(p.stat().st_size for p in OUT_DIR.iterdir() if p.is_file())
    print(f"tests/reference: {total / 1024:.0f} KiB in all")


if __name__ == "__main__":
    main()
