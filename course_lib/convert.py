"""Official PyTorch weights -> course_lib parameters: name maps, layouts, and checks that nothing is lost.

A PyTorch checkpoint is a state dict ``{name: array}`` (read it with
:func:`course_lib.safe_pickle.load_torch_state_dict`, never ``torch.load``: a ``.pth`` is a pickle and can
run code). The networks in :mod:`course_lib.models` compute what the official code computes, but their
parameters are named by role and a few are laid out differently, so every model family has a converter
``convert_<family>(state_dict, net) -> {course_lib name: np.ndarray}``, and :func:`convert_state_dict` picks
one by method name. :func:`load_official_weights` reads a file (or takes a dict), converts and loads.

Every conversion is strict: an official tensor that finds no place, a course_lib parameter left unfilled,
or a shape that differs raises a ``ValueError`` naming the tensor and the fix. Nothing is dropped or
invented silently. Common wrappers are undone first: the ``module.`` prefix of ``nn.DataParallel`` and a
checkpoint dict that holds the state dict under ``'model'``, ``'state_dict'``, ``'net'`` or ``'params'``.

What each converter does (official source files in ``tests/reference/make_torch_refs.py``):

* **AECR-Net** (GlassyWu/AECR-Net ``Dehaze``): renames (``block.*`` -> ``fa_blocks.0.*``,
  ``dcn_block.dcn.*`` -> ``dcn_blocks.0.*``, ``down2.0`` -> ``down2``, ...), and
  - permutes the 27 output rows of DCNv2's ``conv_offset_mask``: DCNv2 chunks them into o1, o2, mask and
    reads cat(o1, o2) as (dy_k, dx_k) interleaved per tap; course_lib's ``DeformConv2d`` wants
    [9 dx | 9 dy | 9 mask] (:func:`course_lib.layers.deform.offsets_torch_to_mindspore` does the rows);
  - folds ``FastDeconv`` (network deconvolution) into the plain 3x3 ``pre`` conv: in eval mode it is
    ``conv(x, W D, b - W D mu)`` with its buffers ``running_deconv`` D (27, 27) and ``running_mean`` mu (27,),
    exact. (Its training mode whitens with batch statistics, which course_lib does not model.) Without the
    two buffers ``deconv`` is copied as a plain conv (the MindSpore ports' choice);
  - copies the transposed convs ``up1.0`` / ``up2.0`` unchanged: PyTorch's ``ConvTranspose2d`` and
    :class:`course_lib.layers.conv_transpose.ConvTranspose2d` both store (C_in, C_out, k, k).
* **EDSR / CSD** (Booooooooooo/CSD ``EDSR``): renames (``upsampler.blocks.i`` -> ``upsample.i``,
  ``tail_conv`` -> ``tail``) and consumes the two ``MeanShift`` convs (``sub_mean``, ``add_mean``: frozen
  parameters in the official code, a constant in course_lib). They must hold std 1 and the DIV2K mean
  times ``rgb_range``; with ``rgb_range`` R != 1 (the official default is 255) every conv bias is divided
  by R. That is exact: EDSR without a bicubic skip is positively homogeneous (convs, ReLU, PixelShuffle and
  the skips are), so the network with biases b / R on x / R gives the official output / R. ``res_scale``
  is not stored in a checkpoint: build the course_lib ``EDSR`` with the checkpoint's (0.1 for 32x256).
* **Zero-DCE, Zero-DCE++**: the names and layouts are already the official ones (one-to-one).
* **ESPCN** (no official code): the names of the common PyTorch port (``first_part.0``, ``first_part.2``,
  ``last_part.0``) -> ``feature.0``, ``feature.2``, ``to_subpixels``.

Layering: imports :mod:`course_lib.models` and :mod:`course_lib.layers` only (not ``train`` or the CLI).
"""

from __future__ import annotations

from pathlib import Path

import mindspore as ms
import numpy as np

from .layers.deform import TAPS, offsets_torch_to_mindspore
from .models.edsr import DIV2K_MEAN

__all__ = [
    "FAMILIES",
    "convert_aecrnet",
    "convert_edsr",
    "convert_espcn",
    "convert_ktdn",
    "convert_state_dict",
    "convert_zero_dce",
    "dcn_offset_rows_to_course",
    "fold_fast_deconv",
    "load_official_weights",
    "load_res2net_imagenet",
    "unwrap_state_dict",
]

CHECKPOINT_KEYS = ("model", "state_dict", "net", "params")
DATA_PARALLEL_PREFIX = "module."


# ---- common plumbing --------------------------------------------------------------------------------


def unwrap_state_dict(state_dict) -> dict:
    """The plain ``{name: float32 ndarray}`` inside a checkpoint.

    Takes the dict under ``'model'``/``'state_dict'``/``'net'``/``'params'`` when the top level is a
    training checkpoint, and strips ``module.`` (``nn.DataParallel``) when every name carries it.
    """
    if not isinstance(state_dict, dict):
        raise ValueError(f"expected a state dict {{name: array}}, got {type(state_dict).__name__}")
    if not any(isinstance(v, np.ndarray) for v in state_dict.values()):
        for key in CHECKPOINT_KEYS:
            if isinstance(state_dict.get(key), dict):
                return unwrap_state_dict(state_dict[key])
        raise ValueError(
            f"no arrays and none of {CHECKPOINT_KEYS} in this checkpoint (top-level keys {sorted(state_dict)[:8]}); "
            "pass the state dict itself"
        )
    if state_dict and all(k.startswith(DATA_PARALLEL_PREFIX) for k in state_dict):
        state_dict = {k[len(DATA_PARALLEL_PREFIX) :]: v for k, v in state_dict.items()}
    out = {}
    for k, v in state_dict.items():
        if not isinstance(v, np.ndarray):
            raise ValueError(
                f"state dict entry {k!r} is a {type(v).__name__}, not an array; pass tensors only"
            )
        out[k] = v
    return out


def _params(net) -> dict:
    """{name: Parameter} of a course_lib network, names relative to ``net`` (what converters produce)."""
    return dict(net.parameters_and_names())


class _Builder:
    """Collects converted parameters, remembers which official tensors were used, then checks both sides."""

    def __init__(self, family: str, state_dict: dict, net):
        self.family, self.state, self.net = family, state_dict, net
        self.used: set = set()
        self.out: dict = {}
        self.source: dict = {}  # course name -> official name (for error messages)

    def take(self, official: str) -> np.ndarray:
        """The official tensor (float32), marked as used; a clear error when it is missing."""
        if official not in self.state:
            raise ValueError(
                f"{self.family}: the state dict has no {official!r}, needed by course_lib's "
                f"{type(self.net).__name__}; pass the official {self.family} checkpoint of this configuration"
            )
        self.used.add(official)
        value = np.asarray(self.state[official], dtype=np.float32)
        if not np.isfinite(value).all():
            raise ValueError(
                f"{self.family}: official tensor {official!r} holds NaN or infinity "
                f"({value.size - int(np.isfinite(value).sum())} of {value.size} values); the file is damaged or "
                "its training diverged: use other weights"
            )
        return value

    def put(self, course: str, value: np.ndarray, official: str) -> None:
        self.out[course] = np.ascontiguousarray(value, dtype=np.float32)
        self.source[course] = official

    def copy(self, official_module: str, course_module: str, leaves=("weight", "bias")) -> None:
        for leaf in leaves:
            name = f"{official_module}.{leaf}"
            self.put(f"{course_module}.{leaf}", self.take(name), name)

    def finish(self) -> dict:
        """Raise on any unused official tensor, unfilled course_lib parameter or shape mismatch."""
        unused = [k for k in self.state if k not in self.used]
        if unused:
            raise ValueError(
                f"{self.family}: official tensor {unused[0]!r} {tuple(np.shape(self.state[unused[0]]))} has no place in "
                f"course_lib's {type(self.net).__name__} ({len(unused)} unused in all); the checkpoint is for another "
                "model or configuration: build the network with the checkpoint's (num_feat, num_blocks, scale, ...)"
            )
        params = _params(self.net)
        for name, p in params.items():
            if name not in self.out:
                raise ValueError(
                    f"{self.family}: course_lib parameter {name!r} {tuple(p.shape)} is not filled by the state dict; "
                    "build the network with the checkpoint's configuration (e.g. share_weights=True for AECR-Net)"
                )
            if tuple(self.out[name].shape) != tuple(p.shape):
                raise ValueError(
                    f"{self.family}: official {self.source[name]!r} has shape {tuple(self.out[name].shape)} but "
                    f"course_lib's {name!r} needs {tuple(p.shape)}; build the network with the checkpoint's "
                    "configuration (num_feat, num_blocks, scale, ...)"
                )
        invented = sorted(set(self.out) - set(params))
        if invented:  # a converter bug, never the user's
            raise ValueError(
                f"{self.family}: converter produced {invented[0]!r}, which the network does not have"
            )
        return self.out


# ---- AECR-Net -----------------------------------------------------------------------------------------


def dcn_offset_rows_to_course(rows: np.ndarray) -> np.ndarray:
    """Permute the 27 output rows of DCNv2's offset conv (weight (27, C, 3, 3) or bias (27,)).

    DCNv2 ``DCN``: rows [o1 | o2 | mask], offset = cat(o1, o2) read as [dy_0, dx_0, dy_1, dx_1, ...];
    course_lib ``DeformConv2d``: [dx_0..dx_8 | dy_0..dy_8 | m_0..m_8]. Returns the same shape. Uses
    :func:`course_lib.layers.deform.offsets_torch_to_mindspore` on the rows seen as (1, 27, -1, 1).
    """
    if rows.shape[0] != 3 * TAPS:
        raise ValueError(f"expected 27 offset/mask rows, got shape {rows.shape}")
    t = ms.Tensor(rows.reshape(1, 3 * TAPS, -1, 1).astype(np.float32))
    out = offsets_torch_to_mindspore(t[:, : 2 * TAPS], t[:, 2 * TAPS :]).asnumpy()
    return out.reshape(rows.shape)


def fold_fast_deconv(weight, bias, running_mean, running_deconv, block=None):
    """``FastDeconv`` (AECR-Net ``models/deconv.py``, groups 1) in eval mode as a plain conv.

    weight (C_out, C_in, k, k), bias (C_out,), running_mean (k*k*B,), running_deconv (k*k*B, k*k*B) with
    B = block = min(64, C_in) (C_in divisible by B). Returns (W', b') with conv(x, W', b') = FastDeconv(x):
    W' = W D on each block of B input channels (in the official im2col order), b' = b - sum W' mu.
    """
    c_out, c_in, kh, kw = weight.shape
    block = block or min(64, c_in)
    nf = kh * kw * block
    if c_in % block or running_mean.shape != (nf,) or running_deconv.shape != (nf, nf):
        raise ValueError(
            f"FastDeconv buffers do not fit weight {weight.shape}: running_mean {running_mean.shape}, running_deconv "
            f"{running_deconv.shape}, expected ({nf},) and ({nf}, {nf}) for block {block}"
        )
    g = c_in // block  # the official view (C_out, nf, g) -> (C_out * g, nf), times D
    w = weight.astype(np.float64).reshape(c_out, nf, g).transpose(0, 2, 1).reshape(-1, nf) @ running_deconv
    b = bias - (w @ running_mean[:, None]).reshape(c_out, -1).sum(1)
    w = w.reshape(c_out, g, nf).transpose(0, 2, 1).reshape(weight.shape)
    return w.astype(np.float32), b.astype(np.float32)


# official module -> course_lib module (weights and biases), shared FA block and DCN as in the official net
_AECR_MODULES = (
    ("down1.1", "down1.1"),
    ("down2.0", "down2"),
    ("down3.0", "down3"),
    ("block.conv1", "fa_blocks.0.conv1"),
    ("block.conv2", "fa_blocks.0.conv2"),
    ("block.calayer.ca.0", "fa_blocks.0.ca.squeeze"),
    ("block.calayer.ca.2", "fa_blocks.0.ca.excite"),
    ("block.palayer.pa.0", "fa_blocks.0.pa.squeeze"),
    ("block.palayer.pa.2", "fa_blocks.0.pa.to_map"),
    ("dcn_block.dcn", "dcn_blocks.0"),
    ("up1.0", "up1"),  # ConvTranspose2d: (C_in, C_out, 3, 3) in both
    ("up2.0", "up2"),
    ("up3.1", "up3.1"),
)


def convert_aecrnet(state_dict: dict, net) -> dict:
    """Official AECR-Net ``Dehaze`` state dict -> parameters of :class:`course_lib.models.aecrnet.AECRNet`.

    Official names (ngf F = 64): ``deconv.{weight (3,3,3,3), bias, running_mean (27,), running_deconv
    (27,27)}``, ``down1.1`` (F,3,7,7), ``down2.0`` (2F,F,3,3), ``down3.0`` (4F,2F,3,3), ``block.conv1/conv2``
    (4F,4F,3,3), ``block.calayer.ca.{0,2}``, ``block.palayer.pa.{0,2}``, ``dcn_block.dcn.{weight (4F,4F,3,3),
    bias}``, ``dcn_block.dcn.conv_offset_mask`` (27,4F,3,3), ``mix1.w``/``mix2.w`` (1,), ``up1.0`` (4F,2F,3,3),
    ``up2.0`` (2F,F,3,3), ``up3.1`` (3,F,7,7). The net must be built with ``share_weights=True`` (official).
    """
    b = _Builder("aecrnet", unwrap_state_dict(state_dict), net)
    w, bias = b.take("deconv.weight"), b.take("deconv.bias")
    if "deconv.running_mean" in b.state or "deconv.running_deconv" in b.state:
        mean, deconv = b.take("deconv.running_mean"), b.take("deconv.running_deconv")
        if w.shape != (3, 3, 3, 3):
            raise ValueError(
                f"aecrnet: official 'deconv.weight' has shape {w.shape}, course_lib's 'pre.weight' needs (3, 3, 3, 3)"
            )
        w, bias = fold_fast_deconv(w, bias, mean, deconv)
    b.put("pre.weight", w, "deconv.weight")
    b.put("pre.bias", bias, "deconv.bias")
    for official, course in _AECR_MODULES:
        b.copy(official, course)
    for leaf in ("weight", "bias"):  # DCNv2 offset rows -> [dx | dy | mask]
        name = f"dcn_block.dcn.conv_offset_mask.{leaf}"
        rows = b.take(name)
        if rows.shape[:1] != (3 * TAPS,):
            raise ValueError(
                f"aecrnet: official {name!r} has shape {rows.shape}; DCNv2's 3x3 offset conv has 27 rows"
            )
        b.put(f"dcn_blocks.0.conv_offset.{leaf}", dcn_offset_rows_to_course(rows), name)
    b.copy("mix1", "mix1", leaves=("w",))
    b.copy("mix2", "mix2", leaves=("w",))
    return b.finish()


# ---- EDSR / CSD ---------------------------------------------------------------------------------------


def _edsr_rgb_range(b: _Builder) -> float:
    """Check the official MeanShift convs against course_lib's constant and return their rgb_range."""
    mean = np.asarray(DIV2K_MEAN, np.float64)
    ranges = []
    for name, sign in (("sub_mean", -1.0), ("add_mean", 1.0)):
        w, bias = b.take(f"{name}.weight"), b.take(f"{name}.bias")
        if w.shape != (3, 3, 1, 1) or not np.allclose(w.reshape(3, 3), np.eye(3), atol=1e-6):
            raise ValueError(
                f"edsr: {name}.weight is not the identity (rgb_std != 1); course_lib's EDSR uses std 1: "
                "convert only checkpoints trained with the default rgb_std"
            )
        ranges.append(sign * bias.astype(np.float64) / mean)
    ranges = np.concatenate(ranges)
    if not np.allclose(ranges, ranges[0], rtol=1e-4) or ranges[0] <= 0:
        raise ValueError(
            f"edsr: sub_mean/add_mean biases are not -/+ rgb_range * DIV2K mean {DIV2K_MEAN} (implied rgb_range "
            f"{np.round(ranges, 3).tolist()}); course_lib's EDSR uses that mean: convert only such checkpoints"
        )
    return float(ranges[0])


def convert_edsr(state_dict: dict, net) -> dict:
    """CSD's width-slimmable EDSR (also plain EDSR) -> :class:`course_lib.models.edsr.EDSR` parameters.

    Official names (n_feats F, scale r, x2/x4): ``sub_mean``/``add_mean`` (MeanShift: weight (3,3,1,1),
    bias (3,)), ``head`` (F,3,3,3), ``body.{i}.conv1``/``conv2`` (F,F,3,3), ``body_conv`` (F,F,3,3),
    ``upsampler.blocks.{j}`` (r^2 F, F, 3, 3) with r^2 = 4 (or 9 for x3), ``tail_conv`` (3,F,3,3), each with
    a bias. The biases are divided by the MeanShift's rgb_range (module docstring) so the course_lib net
    takes images in [0, 1]. Build the net with the checkpoint's num_blocks, num_feat, scale and res_scale.
    """
    b = _Builder("edsr", unwrap_state_dict(state_dict), net)
    rgb_range = _edsr_rgb_range(b)
    modules = [("head", "head"), ("body_conv", "body_conv"), ("tail_conv", "tail")]
    modules += [(f"body.{i}.{c}", f"body.{i}.{c}") for i in range(len(net.body)) for c in ("conv1", "conv2")]
    modules += [(f"upsampler.blocks.{j}", f"upsample.{j}") for j in range(len(net.upsample))]
    for official, course in modules:
        b.copy(official, course)
    for name in list(b.out):
        if name.endswith(".bias"):
            b.out[name] = (b.out[name] / rgb_range).astype(np.float32)  # exact rescaling to images in [0, 1]
    return b.finish()


# ---- Zero-DCE, Zero-DCE++, ESPCN --------------------------------------------------------------------------


def convert_zero_dce(state_dict: dict, net) -> dict:
    """Zero-DCE (``e_convN.{weight,bias}``, 79,416 parameters) or Zero-DCE++ (``e_convN.depth_conv`` /
    ``point_conv``, 10,561): the official names and OIHW layouts are course_lib's, one-to-one."""
    b = _Builder("zero_dce", unwrap_state_dict(state_dict), net)
    for name in _params(net):
        b.put(name, b.take(name), name)
    return b.finish()


_ESPCN_MODULES = (
    ("first_part.0", "feature.0"),
    ("first_part.2", "feature.2"),
    ("last_part.0", "to_subpixels"),
)


def convert_espcn(state_dict: dict, net) -> dict:
    """ESPCN in the common PyTorch port's names -> :class:`course_lib.models.sr_simple.SubPixelSR`.

    ``first_part.0`` (64,3,5,5), ``first_part.2`` (32,64,3,3), ``last_part.0`` (3 r^2, 32, 3, 3), with biases.
    The paper's ESPCN is ``SubPixelSR(residual=False)``; with ``residual=True`` the course adds a bicubic
    upsampling of its own (MindSpore's bicubic), which no PyTorch checkpoint was trained with.
    """
    b = _Builder("espcn", unwrap_state_dict(state_dict), net)
    for official, course in _ESPCN_MODULES:
        b.copy(official, course)
    return b.finish()


# ---- KTDN / SRKTDN (two-branch) ---------------------------------------------------------------------------

_KTDN_RENAMES = (  # official module path piece -> course_lib's, applied in order
    ("feature_extract.", "dehaze_branch."),
    ("pre_trained_rcan.", "sr_branch."),
    ("tail1.", "fusion."),
    (".calayer.ca.0", ".ca.squeeze"),
    (".calayer.ca.2", ".ca.excite"),
    (".palayer.pa.0", ".pa.squeeze"),
    (".palayer.pa.2", ".pa.to_map"),
    (".conv1010", ".reduce.0"),
    (".conv1020", ".reduce.1"),
    (".conv1030", ".reduce.2"),
    (".conv1040", ".reduce.3"),
    (".batch1.weight", ".batch1_gamma"),
    (".batch1.bias", ".batch1_beta"),
)
# a PyTorch leaf -> the MindSpore leaves it may be (Conv2d keeps weight/bias; BatchNorm2d renames them)
_TORCH_LEAVES = {"weight": ("weight", "gamma"), "bias": ("bias", "beta"), "running_mean": ("moving_mean",),
                 "running_var": ("moving_variance",)}  # fmt: skip


def _rename_torch_leaf(b: _Builder, official: str, course: str, params: dict) -> None:
    module, _, leaf = course.rpartition(".")
    if leaf == "num_batches_tracked":  # a PyTorch BatchNorm counter: MindSpore keeps none
        b.take(official)
        return
    for candidate in _TORCH_LEAVES.get(leaf, (leaf,)):
        name = f"{module}.{candidate}" if module else candidate
        if name in params:
            b.put(name, b.take(official), official)
            return
    # no place for it: left untaken, finish() names it


def convert_ktdn(state_dict: dict, net) -> dict:
    """KTDN ``Dehaze`` (GlassyWu/KTDN) or the NTIRE 2021 two-branch ``fusion_refine`` -> :mod:`course_lib.models.srktdn`.

    Names are the official ones apart from: FA blocks ``calayer.ca.{0,2}`` / ``palayer.pa.{0,2}`` ->
    ``ca.squeeze/excite``, ``pa.squeeze/to_map``; the enhancer's ``conv10{1..4}0`` -> ``reduce.{0..3}`` and
    its unused ``batch1`` -> ``batch1_gamma/beta``; two-branch ``feature_extract`` / ``pre_trained_rcan`` /
    ``tail1`` -> ``dehaze_branch`` / ``sr_branch`` / ``fusion``; BatchNorm ``weight/bias/running_mean/running_var``
    -> ``gamma/beta/moving_mean/moving_variance`` (``num_batches_tracked`` is dropped). Build the net with
    ``ktdn('official')`` or ``srktdn('official')``.
    """
    b = _Builder("ktdn", unwrap_state_dict(state_dict), net)
    params = _params(net)
    for official in list(b.state):
        course = official
        for old, new in _KTDN_RENAMES:
            course = course.replace(old, new)
        _rename_torch_leaf(b, official, course, params)
    return b.finish()


def load_res2net_imagenet(encoder, source) -> None:
    """Load ImageNet Res2Net v1b weights (``res2net101_v1b_26w_4s-0812c246.pth``) into a
    :class:`course_lib.layers.res2net.Res2NetEncoder`; the classifier's ``layer4`` and ``fc`` are not used.

    source: a ``.pth`` path (read with :mod:`course_lib.safe_pickle`) or a state dict.
    """
    if isinstance(source, (str, Path)):
        from .safe_pickle import load_torch_state_dict

        if not Path(source).is_file():
            raise FileNotFoundError(f"{source} does not exist; give the path of the ImageNet Res2Net weights")
        source = load_torch_state_dict(source)
    state = {k: v for k, v in unwrap_state_dict(source).items() if not k.startswith(("layer4.", "fc."))}
    values = convert_ktdn(state, encoder)
    for name, p in _params(encoder).items():
        p.set_data(ms.Tensor(values[name]))


# ---- dispatch -----------------------------------------------------------------------------------------

FAMILIES = {
    "aecrnet": convert_aecrnet,
    "edsr": convert_edsr,
    "csd": convert_edsr,
    "zero_dce": convert_zero_dce,
    "zero_dce_pp": convert_zero_dce,
    "espcn": convert_espcn,
    "ktdn": convert_ktdn,
    "srktdn": convert_ktdn,
}
_BY_CLASS = {"AECRNet": "aecrnet", "EDSR": "edsr", "ZeroDCE": "zero_dce", "ZeroDCEPP": "zero_dce_pp",
             "SubPixelSR": "espcn", "KTDN": "ktdn", "SRKTDN": "srktdn"}  # fmt: skip


def _family(model, net) -> str:
    if model is None:
        model = _BY_CLASS.get(type(net).__name__)
        if model is None:
            raise ValueError(f"no converter for {type(net).__name__}; pass model= one of {sorted(FAMILIES)}")
    if model not in FAMILIES:
        raise ValueError(f"unknown model {model!r}; converters exist for {sorted(FAMILIES)}")
    return model


def convert_state_dict(model, state_dict: dict, net) -> dict:
    """Convert an official state dict for ``net``: {course_lib parameter name: float32 ndarray}.

    model: a method name (``'aecrnet'``, ``'edsr'``/``'csd'``, ``'zero_dce'``, ``'zero_dce_pp'``,
    ``'espcn'``) or None to choose by the network's class. Raises ValueError as described in the module
    docstring; ``net`` is not modified.
    """
    return FAMILIES[_family(model, net)](state_dict, net)


def load_official_weights(net, source, model=None):
    """Load official PyTorch weights into a built course_lib network and return it in inference mode.

    source: a ``.pth`` path (read with :mod:`course_lib.safe_pickle`; no code in the file runs), a
    mindspore-ai/contrib Zero-DCE ``.ckpt`` path (through
    :func:`course_lib.models.zero_dce.load_official_state`), or a state dict {name: ndarray}.
    model: as in :func:`convert_state_dict`.
    """
    family = _family(model, net)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        if path.suffix.lower() == ".ckpt" and family in ("zero_dce", "zero_dce_pp"):
            from .models.zero_dce import load_official_state

            state = load_official_state(path)
        else:
            from .safe_pickle import load_torch_state_dict

            state = load_torch_state_dict(path)
    else:
        state = source
    values = convert_state_dict(family, state, net)
    for name, p in _params(net).items():
        p.set_data(ms.Tensor(values[name]))
    net.set_train(False)
    return net
