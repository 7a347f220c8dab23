"""Course weights: every registered method trained by the project's own recipe, shipped with the package.

    from course_lib import weights
    net = weights.load("edsr")             # built from the registry, SHA-256 checked, inference mode
    weights.manifest()["edsr"]             # configuration, data, steps, wall time, machine, held-out scores

The recipe is ``data_scripts/train_course_weights.py``: it calls the same ``course_lib.train.fit`` and the
same ``course_lib.models.REGISTRY`` as ``python -m course_lib train``, on the bundled training photos plus
24 photos from Debian's wallpaper packages (``data_scripts/get_photos.py``), never on the held-out photos
that the scores are measured on (:mod:`course_lib.data.heldout`). ``manifest.json`` beside the weights
records, per method: the configuration, the data and its licences, steps, wall time, machine, held-out
scores and the SHA-256 of the ``.ckpt``. On the command line: ``--weights course``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
MANIFEST = FOLDER / "manifest.json"


# Registered methods without course weights yet, and why.
NOT_YET: dict = {
    "ktdn": "the paper's network (its own tanh tail, no prior inside) has no course weights: about 3.2 CPU-hours "
    "of tries, at the compact size and with a decoder four times wider, on camera haze and on 64 plain hazes of "
    "each photo, stay blurs below the dark channel prior (at best 18.6 / 17.5 dB on uniform / non-homogeneous "
    "haze against 22.1 / 18.7; docs/ktdn_*_try.json); use srktdn (the paper's two-branch network) or ktdn_dcp "
    "(the course variant that corrects the dark channel prior), or train it with python data_scripts/train_course_weights.py ktdn",
}


class WeightsError(ValueError):
    """Course weights that are missing, altered, or not for this method."""


def manifest() -> dict:
    """The manifest: ``{method: {...}}`` (empty if no course weights were trained yet)."""
    if not MANIFEST.is_file():
        return {}
    try:
        data = json.loads(MANIFEST.read_text())
    except (ValueError, OSError) as err:
        raise WeightsError(f"{MANIFEST} is not readable JSON ({err}); reinstall course_lib") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise WeightsError(f"{MANIFEST} is not a {{method: {{...}}}} object; reinstall course_lib")
    return data


def available() -> list:
    """Methods with course weights."""
    return sorted(manifest())


def loss_curve(method: str):
    """``(steps, losses)`` of the recipe's training run (every 25th step), for plotting beside a class run."""
    entry = manifest().get(method)
    if entry is None:
        raise WeightsError(f"no course weights for {method!r}; available: {', '.join(available()) or 'none'}")
    steps, losses = zip(*entry["loss_curve"])
    return list(steps), list(losses)


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def path(method: str) -> Path:
    """The checked ``.ckpt`` of ``method``'s course weights (WeightsError if missing or altered)."""
    entry = manifest().get(method)
    if entry is None and method in NOT_YET:
        raise WeightsError(f"no course weights for {method!r} yet: {NOT_YET[method]}")
    if entry is None:
        raise WeightsError(
            f"no course weights for {method!r}; available: {', '.join(available()) or 'none'} "
            f"(train them with python data_scripts/train_course_weights.py {method})"
        )
    missing = [k for k in ("file", "sha256") if not isinstance(entry.get(k), str)]
    if missing:
        raise WeightsError(
            f"{MANIFEST}: the entry of {method!r} lacks {' and '.join(missing)}; reinstall course_lib"
        )
    file = FOLDER / entry["file"]
    if file.parent != FOLDER:  # a manifest entry never points outside the weights folder
        raise WeightsError(
            f"{MANIFEST}: the entry of {method!r} names {entry['file']!r}, not a file of {FOLDER}"
        )
    if not file.is_file():
        raise WeightsError(f"course weights {file} are missing; reinstall course_lib or rerun the recipe")
    digest = sha256(file)
    if digest != entry["sha256"].strip().lower():  # hex digests are case-insensitive
        raise WeightsError(
            f"course weights {file.name} do not match their SHA-256 in the manifest (file altered or "
            f"truncated); reinstall course_lib or rerun data_scripts/train_course_weights.py {method}"
        )
    return file


def read_checkpoint(file) -> dict:
    """``{name: Parameter}`` of a ``.ckpt`` (or of an already loaded ``{name: Parameter}``), float16 entries
    (weights stored at half size) cast to float32. A training checkpoint of a run that kept a moving average of
    its weights (``fit(..., ema=...)``: entries ``ema.<name>``) gives that average, the weights such a run ships,
    with the entries no average is kept of (BatchNorm's running statistics) as the checkpoint holds them."""
    import mindspore as ms

    params = file if isinstance(file, dict) else ms.load_checkpoint(str(file))
    average = {name[len("ema.") :]: p for name, p in params.items() if name.startswith("ema.") and name != "ema.updates"}
    if average:
        params = {**{name: p for name, p in params.items() if not name.startswith("ema.")}, **average}
    # entries without a dtype (a training checkpoint's metadata string) are kept as they are
    return {name: ms.Parameter(p.astype(ms.float32), name=name) if getattr(p, "dtype", None) == ms.float16 else p
            for name, p in params.items()}  # fmt: skip


def load_into(net, method: str):
    """Load ``method``'s course weights into an already built ``net`` (all parameters must match)."""
    return load_file_into(net, path(method), f"course weights of {method!r}")


def load_file_into(net, file, label: str):
    """Load a ``.ckpt`` into ``net``: finite values, and every parameter of ``net`` present with its shape, or a
    WeightsError naming ``label`` and the first parameter that does not fit."""
    import mindspore as ms

    from ..train.checkpoint import check_finite_params

    params = read_checkpoint(file)
    check_finite_params(params, f"{label} ({file})")
    for p in net.get_parameters():
        if p.name not in params or tuple(params[p.name].shape) != tuple(p.shape):
            raise WeightsError(f"{label} do not fit this network (parameter {p.name})")
    ms.load_param_into_net(net, params, strict_load=True)
    return net


def load(method: str):
    """``method``'s network (registry configuration) with its course weights, in inference mode."""
    from ..models import get_method

    net = load_into(get_method(method).build(), method)
    net.set_train(False)
    return net
