"""Zero-DCE and Zero-DCE++: a small CNN predicts LE-curve maps; the curves enhance the image.

Zero-DCE: Guo et al., "Zero-Reference Deep Curve Estimation for Low-Light Image Enhancement", CVPR 2020
(arXiv 2001.06826), code Li-Chongyi/Zero-DCE. Zero-DCE++: Li, Guo and Loy, "Learning to Enhance
Low-Light Image via Zero-Reference Deep Curve Estimation", TPAMI 2021 (arXiv 2103.00860), code
Li-Chongyi/Zero-DCE_extension. Course notes: ``methods.md`` section 2.

DCE-Net (Fig. 2 of the paper): 7 convs of 32 features, 3x3, stride 1, ReLU, no down-sampling, with
symmetric skips by concatenation (conv5 sees [x3, x4], conv6 [x2, x5], conv7 [x1, x6]). conv7 ends in
tanh and gives the curve maps: 24 channels = 8 iterations x 3 colours (Zero-DCE). The image is enhanced
by iterating the LE-curve (:mod:`course_lib.layers.curves`) with those maps.

Zero-DCE++ changes three things: every conv becomes depthwise-separable
(:mod:`course_lib.layers.separable`), conv7 gives a single 3-channel map reused by all 8 iterations, and
the maps can be estimated on a copy downsampled by ``scale_factor`` and upsampled back, which makes the
network cost almost independent of the image size (the official test script uses 12).

What follows the official code rather than the paper:
* the curve maps are the official r = -alpha (the code computes x + r (x^2 - x)); the networks return r
  so that the official weights give the official outputs, and pass -r to ``apply_curves``;
* outputs are not clamped (the official ``save_image`` clamps when writing the file);
* Zero-DCE++ downsamples with bilinear, align_corners=False (``F.interpolate``) but upsamples with
  bilinear, align_corners=True (``nn.UpsamplingBilinear2d``). MindSpore's bilinear ``ops.interpolate``
  refuses ``scale_factor`` for 4-D input, so sizes are passed explicitly; H and W must then be multiples
  of ``scale_factor`` (the official test script crops them so), which makes both conventions agree.

Call results (enhanced image first; the curve maps last, so a loss can use ``out[0]`` and ``out[-1]``
for both models):
* ``ZeroDCE()(x)`` -> ``(enhanced, enhanced_after_4, r)`` with r (N, 24, H, W);
* ``ZeroDCEPP()(x)`` -> ``(enhanced, r)`` with r (N, 3, H, W).

Official weights (not shipped: CC BY-NC 4.0; ``data_scripts/fetch_weights.py`` downloads them):
:func:`load_official` reads the PyTorch ``.pth`` through :mod:`course_lib.safe_pickle` (no torch, no
code from the file) or a MindSpore ``.ckpt`` of mindspore-ai/contrib; the names and OIHW layout are
the same, so they copy one-to-one. Tested on CPU, PyNative and GRAPH_MODE. Speed: Zero-DCE++ at scale
12 enhances a 1200x900 image in about 0.2 s (5 FPS) on the course's shared 2-core CPU, compiled
(``benchmarks/zero_dce_speed.py``; the paper reports 11 FPS on its CPU); Zero-DCE costs about 85 GMACs
at that size, far slower on a CPU.
"""

from __future__ import annotations

from pathlib import Path

import mindspore as ms
import numpy as np
from mindspore import nn, ops
from mindspore.common.initializer import Normal

from ..layers.curves import apply_curves
from ..layers.separable import SeparableConv2d

__all__ = ["ZeroDCE", "ZeroDCEPP", "load_official", "load_official_state"]


class _DCENet(nn.Cell):
    """The shared 7-conv body; ``conv(cin, cout)`` builds each of e_conv1..e_conv7.

    The convs are attributes of the model itself, so the parameter names are the official ones.
    """

    def _build(self, conv, in_channels: int, num_feat: int, out_channels: int):
        f = num_feat
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()
        self.e_conv1 = conv(in_channels, f)
        self.e_conv2 = conv(f, f)
        self.e_conv3 = conv(f, f)
        self.e_conv4 = conv(f, f)
        self.e_conv5 = conv(2 * f, f)
        self.e_conv6 = conv(2 * f, f)
        self.e_conv7 = conv(2 * f, out_channels)

    def diagram_flow(self):
        """The wiring for ``viz.architecture``: the three symmetric concatenation skips of DCE-Net (Fig. 2),
        then the curve applied to the input (Eq. (2)), with Zero-DCE++'s resampling when it has one."""
        s = getattr(self, "scale_factor", 1)
        start, end = (
            ("input -> @downsample /" + str(s), "@upsample x" + str(s) + " -> ") if s > 1 else ("input", "")
        )
        curves = f"@LE-curve x{self.iterations} (alpha = -r)"
        return [
            f"{start} -> e_conv1 -> e_conv2 -> e_conv3 -> e_conv4 -> @concat#5 -> e_conv5 -> @concat#6 -> e_conv6"
            f" -> @concat#7 -> e_conv7 -> @tanh: curve maps r -> {end}{curves} -> output",
            "e_conv3 -> @concat#5",
            "e_conv2 -> @concat#6",
            "e_conv1 -> @concat#7",
            f"input -> {curves}",
        ]

    def curve_maps(self, x):
        """x: (N, 3, H, W) -> r: (N, out_channels, H, W) in (-1, 1), official sign (r = -alpha)."""
        x1 = self.relu(self.e_conv1(x))
        x2 = self.relu(self.e_conv2(x1))
        x3 = self.relu(self.e_conv3(x2))
        x4 = self.relu(self.e_conv4(x3))
        x5 = self.relu(self.e_conv5(ops.cat((x3, x4), 1)))  # symmetric skips
        x6 = self.relu(self.e_conv6(ops.cat((x2, x5), 1)))
        return self.tanh(self.e_conv7(ops.cat((x1, x6), 1)))


def _check_input(x, multiple: int = 1) -> None:
    if len(x.shape) != 4 or x.shape[1] != 3:
        raise ValueError(f"expected x of shape (N, 3, H, W) in [0, 1], got {tuple(x.shape)}")
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(
            f"H and W ({x.shape[2]}, {x.shape[3]}) must be multiples of scale_factor={multiple}; crop "
            f"the image, e.g. x[..., :H - H % {multiple}, :W - W % {multiple}] (the official test script "
            "does the same), or use scale_factor=1"
        )


class ZeroDCE(_DCENet):
    """Zero-DCE (CVPR 2020): DCE-Net with 32 features and 8 curve iterations, 79,416 parameters.

    num_feat: features per conv (32); iterations: LE-curve iterations (8; the net outputs 3 * 8 maps).
    Weights are initialised N(0, 0.02) as in the official ``lowlight_train.py``.
    Call: x (N, 3, H, W) float32 in [0, 1] -> (enhanced (N, 3, H, W), enhanced after iterations // 2
    (N, 3, H, W), r (N, 3 * iterations, H, W) in (-1, 1)). r is the official curve map, r = -alpha.
    """

    def __init__(self, num_feat: int = 32, iterations: int = 8):
        super().__init__()
        if iterations < 2 or iterations % 2:
            raise ValueError(f"iterations must be an even int >= 2, got {iterations}")
        self.iterations = iterations

        def conv(cin, cout):
            return nn.Conv2d(cin, cout, 3, pad_mode="pad", padding=1, has_bias=True, weight_init=Normal(0.02))

        self._build(conv, 3, num_feat, 3 * iterations)

    def construct(self, x):
        _check_input(x)
        r = self.curve_maps(x)
        half = self.iterations // 2
        enhanced_half = apply_curves(x, -r[:, : 3 * half], half)  # Eq. (2)-(3), alpha = -r
        enhanced = apply_curves(enhanced_half, -r[:, 3 * half :], self.iterations - half)
        return enhanced, enhanced_half, r


class ZeroDCEPP(_DCENet):
    """Zero-DCE++ (TPAMI 2021): separable DCE-Net, one shared curve map, 10,561 parameters.

    scale_factor: the maps are estimated on x downsampled by this factor (bilinear, align_corners=False)
    and upsampled back (bilinear, align_corners=True); 1 for training, 12 in the official test script.
    num_feat: 32; iterations: 8. Init: MindSpore's defaults (the official init call is commented out).
    Call: x (N, 3, H, W) float32 in [0, 1], H and W multiples of scale_factor ->
    (enhanced (N, 3, H, W), r (N, 3, H, W) in (-1, 1)), r = -alpha.
    """

    def __init__(self, scale_factor: int = 1, num_feat: int = 32, iterations: int = 8):
        super().__init__()
        if not isinstance(scale_factor, int) or scale_factor < 1:
            raise ValueError(f"scale_factor must be a positive int, got {scale_factor!r}")
        self.scale_factor = scale_factor
        self.iterations = iterations
        self._build(SeparableConv2d, 3, num_feat, 3)

    def construct(self, x):
        s = self.scale_factor
        _check_input(x, s)
        h, w = x.shape[2], x.shape[3]
        if s == 1:
            r = self.curve_maps(x)
        else:
            x_down = ops.interpolate(x, size=(h // s, w // s), mode="bilinear", align_corners=False)
            r = self.curve_maps(x_down)
            r = ops.interpolate(r, size=(h, w), mode="bilinear", align_corners=True)
        enhanced = apply_curves(x, -r, self.iterations)  # one map reused 8 times
        return enhanced, r


def load_official_state(path) -> dict:
    """The weights of an official file as {official name: float32 ndarray} (optimiser state dropped).

    path: a PyTorch ``Epoch99.pth`` (Zero-DCE or Zero-DCE++) or a mindspore-ai/contrib ``.ckpt``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; download the official weights with data_scripts/fetch_weights.py"
        )
    if path.suffix.lower() == ".ckpt":
        if path.suffix != ".ckpt":
            raise ValueError(f"{path}: MindSpore reads checkpoints named *.ckpt only; rename it to "
                             f"{path.with_suffix('.ckpt').name}")  # fmt: skip
        params = ms.load_checkpoint(str(path))
        state = {k: v.asnumpy() for k, v in params.items()}
    else:
        from ..safe_pickle import load_torch_state_dict

        state = load_torch_state_dict(path)
    return {k: np.asarray(v, dtype=np.float32) for k, v in state.items() if k.startswith("e_conv")}


def load_official(path, scale_factor: int = 12):
    """Build Zero-DCE or Zero-DCE++ (told apart by the weight names) and load the official weights.

    path: PyTorch ``.pth`` or MindSpore contrib ``.ckpt``; scale_factor: used only by Zero-DCE++
    (12 as in the official test script; 1 as in training). Returns the network in inference mode.
    """
    state = load_official_state(path)
    if "e_conv1.depth_conv.weight" in state:
        net = ZeroDCEPP(scale_factor=scale_factor)
    elif "e_conv1.weight" in state:
        net = ZeroDCE()
    else:
        raise ValueError(f"{path} holds neither Zero-DCE nor Zero-DCE++ weights (keys: {list(state)[:5]})")
    ours = [p.name for p in net.get_parameters()]
    missing = sorted(set(ours) - set(state))
    unexpected = sorted(set(state) - set(ours))
    if missing or unexpected:
        raise ValueError(f"{path}: weight names do not match; missing {missing}, unexpected {unexpected}")
    for p in net.get_parameters():
        value = state[p.name]
        if tuple(value.shape) != tuple(p.shape):
            raise ValueError(f"{path}: {p.name} has shape {value.shape}, the model wants {p.shape}")
        if not np.isfinite(value).all():
            raise ValueError(
                f"{path}: tensor {p.name} holds NaN or infinity; the file is damaged: use other weights"
            )
        p.set_data(ms.Tensor(value))
    net.set_train(False)
    return net
