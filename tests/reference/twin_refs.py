"""Read the PyTorch-twin references in this folder; NumPy only (no torch, no MindSpore at import time).

``make_torch_refs.py`` (run with PyTorch, outside CI) builds each official network from its official
definition, gives it fixed random weights under the official parameter names, runs it on a fixed input and
writes ``<name>.npz`` here. Tests (``tests/test_fidelity.py``) and ``benchmarks/fidelity_table.py`` read the
files through :func:`load` and build the matching ``course_lib`` network through :func:`build_course_model`.

Layout of ``<name>.npz``:

* ``meta``: a JSON string: ``name``, ``official_source`` (repository, file, class), ``official_config``,
  ``notes``, ``weights`` ('stored' or 'seeded'), ``cases`` (below), ``dcn_offset_abs_mean`` (AECR-Net).
* ``w:<official name>``: float32 weights when ``weights == 'stored'``. When ``'seeded'`` (the official-size
  AECR-Net: 2.6M float32 would be 10 MB), ``meta['seeded']`` = {``seed``, ``entries``: [[name, shape, scale],
  ...] (or [name, shape, scale, offset]), ``abs_sum``} and :func:`seeded_weights` regenerates them with NumPy alone; ``abs_sum`` (float64 sum
  of |w|) catches a change of NumPy's random stream.
* ``input``: (N, 3, H, W) float32, the input of every case.
* ``out:<case>:<output>``: the official network's outputs, computed in float64 by PyTorch, stored as float32.

Each case of ``meta['cases']`` says how to build and call the course_lib model: ``{"name", "build":
{"class", "kwargs"}, "call": {kwargs}, "outputs": [names of the course model's outputs, in order, or
null to skip one], "official_params": int, "torch_float32_max_abs": float}``. The last is the
difference between the official network run in float32 and in float64: the rounding floor of float32.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

REFERENCE_DIR = Path(__file__).resolve().parent
WEIGHT_PREFIX = "w:"
OUTPUT_PREFIX = "out:"
TOLERANCE = 1e-4  # max abs difference allowed between course_lib and the official network (issue 10)


@dataclasses.dataclass
class Reference:
    """One reference file: official-named weights, the input, the official outputs per case."""

    name: str
    meta: dict
    state_dict: dict  # official name -> float32 ndarray (parameters and buffers)
    input: np.ndarray
    outputs: dict  # case name -> {output name -> ndarray}

    @property
    def cases(self) -> list:
        return self.meta["cases"]


def seeded_weights(entries, seed: int) -> dict:
    """Regenerate seeded weights: ``uniform(-1, 1, shape) * scale`` per entry, in order, from one generator.

    entries: [[official name, shape, scale], ...]; an entry may carry a 4th element ``offset`` (then
    ``offset + uniform(-1, 1, shape) * scale``, e.g. BatchNorm running variances, which must be positive);
    three-element entries give the same values as before the offset existed. Returns {name: float32 ndarray}.
    """
    rng = np.random.default_rng(seed)
    state = {}
    for entry in entries:
        name, shape, scale = entry[:3]
        value = rng.uniform(-1.0, 1.0, size=tuple(shape)) * scale
        if len(entry) > 3:
            value = entry[3] + value
        state[name] = value.astype(np.float32)
    return state


def names() -> list:
    """The reference names (the ``.npz`` files of this folder)."""
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.npz"))


def load(name: str) -> Reference:
    """Read ``<name>.npz``; a seeded file is regenerated and checked against its stored ``abs_sum``."""
    path = REFERENCE_DIR / f"{name}.npz"
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files}
    if meta["weights"] == "seeded":
        seeded = meta["seeded"]
        state = seeded_weights(seeded["entries"], seeded["seed"])
        abs_sum = float(sum(np.abs(v.astype(np.float64)).sum() for v in state.values()))
        if not np.isclose(abs_sum, seeded["abs_sum"], rtol=1e-9):
            raise RuntimeError(
                f"{path.name}: regenerated weights differ from the stored ones (sum |w| {abs_sum} vs "
                f"{seeded['abs_sum']}); NumPy's random stream changed: regenerate with make_torch_refs.py"
            )
    else:
        state = {k[len(WEIGHT_PREFIX) :]: v for k, v in arrays.items() if k.startswith(WEIGHT_PREFIX)}
    outputs = {}
    for key, value in arrays.items():
        if key.startswith(OUTPUT_PREFIX):
            case, out = key[len(OUTPUT_PREFIX) :].split(":", 1)
            outputs.setdefault(case, {})[out] = value
    return Reference(name, meta, state, arrays["input"], outputs)


# ---- the course_lib side (imports MindSpore lazily) --------------------------------------------------


def build_course_model(case: dict):
    """The course_lib network that a case compares with the official one (random init, not yet loaded)."""
    from course_lib.models.aecrnet import AECRNet
    from course_lib.models.edsr import EDSR
    from course_lib.models.sr_simple import SubPixelSR
    from course_lib.models.zero_dce import ZeroDCE, ZeroDCEPP

    classes = {
        "AECRNet": AECRNet,
        "EDSR": EDSR,
        "SubPixelSR": SubPixelSR,
        "ZeroDCE": ZeroDCE,
        "ZeroDCEPP": ZeroDCEPP,
    }
    build = case["build"]
    return classes[build["class"]](**build["kwargs"])


def course_param_count(net, case: dict) -> int:
    """Parameters the course model uses in this case (EDSR: the ones active at the case's width)."""
    if hasattr(net, "count_active_params"):
        return int(net.count_active_params(case["call"].get("width_mult", 1.0)))
    return int(sum(p.size for p in net.trainable_params()))


def run_course_model(net, x: np.ndarray, case: dict) -> dict:
    """Run the course model in inference mode; {output name -> ndarray} for the outputs the case names."""
    import mindspore as ms

    net.set_train(False)
    out = net(ms.Tensor(x), **case["call"])
    out = out if isinstance(out, (tuple, list)) else (out,)
    return {name: o.asnumpy() for name, o in zip(case["outputs"], out) if name is not None}
