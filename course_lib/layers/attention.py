"""Feature attention: channel attention, pixel attention, the FA block (FFA-Net) and ESA (RFDN).

Qin et al., "FFA-Net: Feature Fusion Attention Network for Single Image Dehazing" (AAAI 2020,
arXiv 1911.07559), reused as the "FA block" of AECR-Net (Wu et al., CVPR 2021):

* Channel attention (CA): squeeze each channel to its mean g_c, then
  CA_c = sigmoid(conv1x1(ReLU(conv1x1(g)))) with a C -> C/8 -> C bottleneck, and F*_c = CA_c * F_c.
  Haze is not uniform across feature channels; CA re-weights whole channels.
* Pixel attention (PA): PA = sigmoid(conv1x1(ReLU(conv1x1(F*)))) with C -> C/8 -> 1,
  one weight per pixel shared by all channels, and F~ = F* * PA. Thick haze is not uniform across
  the image; PA re-weights pixels.
* FA block (the paper's Fig. 3): conv3x3 + ReLU, add the input (local residual), conv3x3, CA, PA, add the input.
  All convs have biases and zero padding, as in the official code (``DehazeBlock``).

Liu, Tang and Wu, "Residual Feature Distillation Network for Lightweight Image Super-Resolution"
(RFDN, ECCV-W 2020, arXiv 2009.11551; ESA itself is from RFANet, Liu et al., CVPR 2020): enhanced
spatial attention (ESA) as released in njulj/RFDN
``block.py``: f = C/4; c1 = conv1x1(C -> f); a strided conv (3x3, stride 2, no padding), max-pool 7/3,
three 3x3 convs (the first two with ReLU) give a coarse map, bilinearly upsampled (align_corners=False)
to the input size; add conv1x1(c1); conv1x1(f -> C), sigmoid, multiply the input. Needs H, W >= 15.

Shapes: x (N, C, H, W) float32 -> same shape. Cheap on CPU apart from the two 3x3 convs of the FA block.
"""

from mindspore import nn, ops


def _conv(in_channels, out_channels, kernel_size, stride=1, padding=None):
    """Conv with bias and zero padding (PyTorch-style 'same' padding k // 2 unless given)."""
    padding = kernel_size // 2 if padding is None else padding
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        pad_mode="pad" if padding else "valid",
        padding=padding,
        has_bias=True,
    )


def _check_reduction(channels, reduction):
    if channels % reduction != 0 or channels < reduction:
        raise ValueError(
            f"channels ({channels}) must be a positive multiple of reduction ({reduction}); "
            "choose num_feat accordingly"
        )


class ChannelAttention(nn.Cell):
    """CA (FFA-Net): x * sigmoid(W2 ReLU(W1 mean_hw(x))), bottleneck C -> C/reduction -> C.

    ``weights(x)`` returns the (N, C, 1, 1) attention in (0, 1); ``construct(x)`` the re-weighted x.
    """

    def __init__(self, channels, reduction=8):
        super().__init__()
        _check_reduction(channels, reduction)
        self.squeeze = _conv(channels, channels // reduction, 1)
        self.excite = _conv(channels // reduction, channels, 1)

    def weights(self, x):
        g = x.mean(axis=(2, 3), keep_dims=True)  # g_c: global average pooling, (N, C, 1, 1)
        return ops.sigmoid(self.excite(ops.relu(self.squeeze(g))))  # CA_c = sigmoid(W2 ReLU(W1 g))

    def construct(self, x):
        return x * self.weights(x)  # F*_c = CA_c * F_c


class PixelAttention(nn.Cell):
    """PA (FFA-Net): x * sigmoid(W2 ReLU(W1 x)), 1x1 convs C -> C/reduction -> 1.

    ``weights(x)`` returns the (N, 1, H, W) attention map in (0, 1); ``construct(x)`` the re-weighted x.
    """

    def __init__(self, channels, reduction=8):
        super().__init__()
        _check_reduction(channels, reduction)
        self.squeeze = _conv(channels, channels // reduction, 1)
        self.to_map = _conv(channels // reduction, 1, 1)

    def weights(self, x):
        return ops.sigmoid(self.to_map(ops.relu(self.squeeze(x))))  # PA = sigmoid(W2 ReLU(W1 F*))

    def construct(self, x):
        return x * self.weights(x)  # F~ = F* * PA


class FABlock(nn.Cell):
    """Feature-attention block (FFA-Net Fig. 3, AECR-Net's ``DehazeBlock``).

    y = PA(CA(conv2(ReLU(conv1(x)) + x))) + x. Parameters for C = 256: 1,205,089.
    """

    def __init__(self, channels, kernel_size=3, reduction=8):
        super().__init__()
        self.conv1 = _conv(channels, channels, kernel_size)
        self.conv2 = _conv(channels, channels, kernel_size)
        self.ca = ChannelAttention(channels, reduction)
        self.pa = PixelAttention(channels, reduction)

    def construct(self, x):
        res = ops.relu(self.conv1(x)) + x  # local residual learning
        res = self.pa(self.ca(self.conv2(res)))
        return res + x


class ESA(nn.Cell):
    """Enhanced spatial attention (RFDN ``block.py``), f = channels // 4. Input H, W >= 15."""

    def __init__(self, channels):
        super().__init__()
        f = channels // 4
        if f < 1:
            raise ValueError(f"ESA needs channels >= 4 (it works on channels // 4), got {channels}")
        self.conv1 = _conv(channels, f, 1)
        self.conv_f = _conv(f, f, 1)
        self.conv_max = _conv(f, f, 3)
        self.conv2 = _conv(f, f, 3, stride=2, padding=0)
        self.conv3 = _conv(f, f, 3)
        self.conv3_ = _conv(f, f, 3)
        self.conv4 = _conv(f, channels, 1)
        self.max_pool = nn.MaxPool2d(kernel_size=7, stride=3, pad_mode="valid")

    def weights(self, x):
        """(N, C, H, W) attention in (0, 1)."""
        h, w = x.shape[2], x.shape[3]
        if h < 15 or w < 15:
            raise ValueError(
                f"ESA needs H, W >= 15 (stride-2 conv then 7x7 max-pool), got {h}x{w}; use larger patches"
            )
        c1_ = self.conv1(x)
        c1 = self.conv2(c1_)
        v_max = self.max_pool(c1)
        v_range = ops.relu(self.conv_max(v_max))
        c3 = ops.relu(self.conv3(v_range))
        c3 = self.conv3_(c3)
        c3 = ops.interpolate(c3, size=(h, w), mode="bilinear", align_corners=False)
        cf = self.conv_f(c1_)
        return ops.sigmoid(self.conv4(c3 + cf))

    def construct(self, x):
        return x * self.weights(x)
