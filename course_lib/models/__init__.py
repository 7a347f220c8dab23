"""Models: one method per file, built from course_lib.layers; and the registry of trainable methods.

``REGISTRY`` is a plain mapping from a method's name to how to train and run it (no import magic: each
entry is written out below). The command line (``python -m course_lib train NAME``), the benchmark and
the notebooks look methods up here::

    spec = REGISTRY["baseline"]
    net = spec.build()
    history = fit(net, spec.loss_fn_factory(), data, steps=100)

Data kinds: ``'paired'`` batches are ``(lq, gt)`` (``lq`` ``scale`` times smaller for super-resolution);
``'unpaired_low_light'`` batches are ``(low,)`` (zero-reference training, no ground truth); ``'hdr'`` batches
are ``(frames, hdr)``: the three LDR exposures stacked on channels ``(N, 9, H, W)`` and the linear HDR
target ``(N, 3, H, W)`` (:mod:`course_lib.data.hdr`).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable, Dict

DATA_KINDS = ("paired", "unpaired_low_light", "hdr")


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """How to build, train and run one method.

    Attributes:
        name: registry key, used on the command line.
        build: ``build() -> nn.Cell`` with the method's default configuration.
        loss_fn_factory: ``loss_fn_factory() -> loss_fn`` with ``loss_fn(net, batch) -> scalar`` (for
            :func:`course_lib.train.fit`).
        data_kind: 'paired', 'unpaired_low_light' or 'hdr' (see the module docstring).
        description: one line for ``python -m course_lib info``.
        pad_multiple: input height and width must be multiples of this (inference pads to it).
        scale: output / input size ratio (super-resolution), else 1.
    """

    name: str
    build: Callable
    loss_fn_factory: Callable
    data_kind: str
    description: str
    pad_multiple: int = 1
    scale: int = 1

    def __post_init__(self):
        if self.data_kind not in DATA_KINDS:
            raise ValueError(f"method {self.name!r}: data_kind {self.data_kind!r} is not one of {DATA_KINDS}")


REGISTRY: Dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add ``spec`` to :data:`REGISTRY` (a name registered twice is an error)."""
    if spec.name in REGISTRY:
        raise ValueError(f"method {spec.name!r} is already registered")
    REGISTRY[spec.name] = spec
    return spec


def get_method(name: str) -> MethodSpec:
    """The registered method ``name``; a ValueError lists the registered names otherwise."""
    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; registered methods: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def _aecr_loss():
    from ..losses.dehaze import aecr_loss_fn

    return aecr_loss_fn()  # L1 + 0.1 CR on VGG features (needs data_scripts/get_vgg.py)


def _csd_loss():
    from ..losses.contrastive import ContrastiveLoss
    from ..losses.distill import csd_loss_fn
    from ..losses.vgg import VGGFeatures

    return csd_loss_fn(ContrastiveLoss(VGGFeatures()))


def _edsr_l1_loss():
    from ..losses.distill import width_l1_loss_fn

    return width_l1_loss_fn(1.0)


ALIGN_MAX_SHIFT = 3  # pixels: the course's hand-held brackets move by up to 2


def _efficient_hdr_course():
    from .hdr import EfficientHDR
    from .hdr_bracket import BracketInput

    # the course weights' start: the short and long frames aligned to the medium one, then their classical
    # radiance merge (course additions, models/hdr.py); the notebook's class run trains EfficientHDR("course")
    return BracketInput(EfficientHDR("course", merge_skip=True, align_max_shift=ALIGN_MAX_SHIFT))


def _efficient_hdr_teacher():
    from .hdr import EfficientHDR
    from .hdr_bracket import BracketInput

    return BracketInput(EfficientHDR("course_teacher"))


def _hdr_distill_loss():
    from .. import weights
    from ..losses.hdr import hdr_distill_loss_fn

    # the frozen teacher's course weights (python data_scripts/train_course_weights.py efficient_hdr_teacher)
    return hdr_distill_loss_fn(weights.load("efficient_hdr_teacher"))


def _ahdrnet():
    from .hdr import AHDRNet
    from .hdr_bracket import BracketInput

    return BracketInput(AHDRNet())


def _hdr_loss():
    from ..losses.hdr import hdr_l1_loss_fn

    return hdr_l1_loss_fn()  # batches (frames (N, 9, H, W), hdr (N, 3, H, W)) through BracketInput


def _edsr_small_x2():
    from .edsr import edsr

    return edsr("small", 2, bicubic_skip=True)


def _espcn_x2():
    from .sr_simple import SubPixelSR

    return SubPixelSR(2)


def _aecrnet_tiny():
    from .aecrnet import aecrnet_tiny

    return aecrnet_tiny()


def _aecrnet_tiny_dcp():
    from .aecrnet import aecrnet_tiny

    return aecrnet_tiny(head="dcp_refine")


def _l1_loss():
    from ..losses.dehaze import aecr_loss_fn

    return aecr_loss_fn(mode="none")


def _zero_dce():
    from .zero_dce import ZeroDCE

    return ZeroDCE()


def _zero_dce_pp():
    from .zero_dce import ZeroDCEPP

    return ZeroDCEPP(scale_factor=1)  # trained at full resolution; enhance at scale 12 for speed


def _ktdn_teacher():
    from .srktdn import ktdn_teacher

    return ktdn_teacher("compact")


def _ktdn():
    from .srktdn import ktdn

    return ktdn("compact")  # the paper's network: its own 7x7 conv + tanh tail, no prior inside


def _srktdn():
    from .srktdn import srktdn

    return srktdn("compact")


def _ktdn_dcp():
    from .srktdn import ktdn

    return ktdn("compact", prior_head=True)  # course variant: learns a correction of the dark channel prior


def _srktdn_dcp():
    from .srktdn import srktdn

    return srktdn("compact", prior_head=True)


def _teacher_loss():
    from ..losses.transfer import teacher_loss_fn

    return teacher_loss_fn()  # clear -> clear reconstruction, L1


def _transfer_loss():
    from .. import weights
    from ..losses.transfer import transfer_loss_fn

    # stage 2: the frozen stage-1 teacher's course weights (python data_scripts/train_course_weights.py ktdn_teacher)
    return transfer_loss_fn(weights.load("ktdn_teacher"))


def _zero_reference_loss(tv_weight):
    def factory():
        from ..losses.zero_reference import make_loss_fn

        return make_loss_fn(tv_weight)

    return factory


class _Lazy:
    """Stands for a submodule in the entries below: ``baseline.l1_loss_fn`` is a function that imports
    ``course_lib.models.baseline`` when called, so importing the registry (the command line's method check,
    ``info``) does not import MindSpore."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, attr: str):
        def call(*args, **kwargs):
            return getattr(importlib.import_module(f"{__name__}.{self._module}"), attr)(*args, **kwargs)

        call.__name__ = call.__qualname__ = attr
        return call


def _register_all() -> None:
    baseline = _Lazy("baseline")

    entries = [
        MethodSpec("baseline", baseline.baseline, baseline.l1_loss_fn, "paired",
                   "3-conv residual CNN with L1 loss: the reference every method must beat"),
        MethodSpec("aecrnet", _aecrnet_tiny, _aecr_loss, "paired",
                   "AECR-Net (CVPR 2021) dehazing, tiny width; L1 + 0.1 contrastive regularisation", pad_multiple=4),
        MethodSpec("aecrnet_dcp", _aecrnet_tiny_dcp, _l1_loss, "paired",
                   "AECR-Net tiny correcting the dark channel prior's output image (course variant), L1", pad_multiple=4),
        MethodSpec("ktdn_teacher", _ktdn_teacher, _teacher_loss, "paired",
                   "KTDN teacher (stage 1), compact: the KTDN network trained clear -> clear, L1", pad_multiple=32),
        MethodSpec("ktdn", _ktdn, _transfer_loss, "paired",
                   "KTDN (CVPRW 2020) dehazing, compact, the paper's tanh tail: L1 + 0.1 L1 to the frozen teacher's feature", pad_multiple=32),
        MethodSpec("srktdn", _srktdn, _transfer_loss, "paired",
                   "KTDN branch + RCAN branch + fusion (Yu et al.'s two-branch layout), compact, tanh tail; L1 + 0.1 transfer",
                   pad_multiple=32),
        MethodSpec("ktdn_dcp", _ktdn_dcp, _transfer_loss, "paired",
                   "KTDN compact whose tail corrects the dark channel prior's output image (course variant); L1 + 0.1 transfer",
                   pad_multiple=32),
        MethodSpec("srktdn_dcp", _srktdn_dcp, _transfer_loss, "paired",
                   "two-branch KTDN + RCAN compact correcting the dark channel prior's output image (course variant)",
                   pad_multiple=32),
        MethodSpec("zero_dce", _zero_dce, _zero_reference_loss(200.0), "unpaired_low_light",
                   "Zero-DCE (CVPR 2020) low-light enhancement, four non-reference losses"),
        MethodSpec("zero_dce_pp", _zero_dce_pp, _zero_reference_loss(1600.0), "unpaired_low_light",
                   "Zero-DCE++ (TPAMI 2021): depthwise-separable DCE-Net, one shared curve map"),
        MethodSpec("espcn", _espcn_x2, baseline.l1_loss_fn, "paired",
                   "sub-pixel CNN (ESPCN) x2 super-resolution, L1", scale=2),
        MethodSpec("edsr", _edsr_small_x2, _edsr_l1_loss, "paired",
                   "width-slimmable EDSR x2 (small config), L1 at full width", scale=2),
        MethodSpec("csd", _edsr_small_x2, _csd_loss, "paired",
                   "CSD (IJCAI 2021): slimmable EDSR x2, L1 student + L1 teacher + contrastive", scale=2),
        MethodSpec("efficient_hdr", _efficient_hdr_course, _hdr_loss, "hdr",
                   "Efficient HDR (NTIRE 2022 winner's design), course width, from the aligned classical merge: "
                   "3 exposures -> HDR, mu-law L1", pad_multiple=16),
        MethodSpec("efficient_hdr_teacher", _efficient_hdr_teacher, _hdr_loss, "hdr",
                   "Efficient HDR distillation teacher, course size: plain 3x3 convs, 48 channels, 3 RFDBs, mu-law L1",
                   pad_multiple=16),
        MethodSpec("ahdrnet", _ahdrnet, _hdr_loss, "hdr",
                   "AHDRNet (CVPR 2019) multi-exposure HDR, official width (1.44 M parameters), mu-law L1"),
    ]  # fmt: skip
    for spec in entries:
        register(spec)


_register_all()
