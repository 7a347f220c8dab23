"""Choose where MindSpore computes (Ascend, GPU or CPU), seed every generator, pick the execution mode.

One call at the top of every notebook and script::

    course_lib.device.setup()                 # auto: Ascend, then GPU, then CPU
    course_lib.device.setup("GPU", seed=1)    # insist on a GPU (error if there is none)

``COURSE_DEVICE`` (``auto``, ``CPU``, ``GPU``, ``Ascend``) overrides the argument, so a teacher moves a
whole class to a server by setting one variable. Tested here: CPU, and the selection and fallback logic
for GPU and Ascend (through :func:`available_targets`); the GPU and Ascend paths themselves need those
machines.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
import warnings
from typing import Optional

import numpy as np

from . import _environment

ENV_VARIABLE = "COURSE_DEVICE"
TARGETS = ("Ascend", "GPU", "CPU")
MODES = ("pynative", "graph")

# One 3x3 conv, 64->64 channels, on (4, 64, 64, 64): 22-36 ms with oneDNN's AVX2 kernel on the
# course's 2-core Xeon, 2.5-4.4 s with the reference kernel that AVX-512 machines pick by default.
SLOW_CONV_SECONDS = 0.5


class DeviceError(RuntimeError):
    """The requested compute target is not available."""


def _canonical(target: str) -> str:
    names = {t.lower(): t for t in TARGETS + ("auto",)}
    key = target.strip().lower()
    if key not in names:
        raise ValueError(f"unknown device {target!r}; choose one of 'auto', 'CPU', 'GPU', 'Ascend'")
    return names[key]


def available_targets() -> list:
    """The compute targets this MindSpore build can use here, best first (always ends with 'CPU')."""
    from mindspore import hal

    found = []
    for target in ("Ascend", "GPU"):
        try:
            if hal.is_available(target):
                found.append(target)
        except Exception:  # a build without that backend raises instead of returning False
            pass
    return found + ["CPU"]


def resolve_target(device: str = "auto", available: Optional[list] = None) -> str:
    """Which target ``setup`` would use, without setting it.

    ``$COURSE_DEVICE``, when set, takes the place of ``device``. 'auto' takes the first available of
    Ascend, GPU, CPU. A target named in the call that is not available raises :class:`DeviceError`
    naming what is; one named only by ``$COURSE_DEVICE`` while the call says 'auto' warns and falls
    back, so a class notebook set up for a GPU server still runs on a laptop.
    """
    from_env = os.environ.get(ENV_VARIABLE)
    requested = _canonical(from_env or device)
    available = available_targets() if available is None else available
    if requested == "auto":
        return available[0]
    if requested in available:
        return requested
    message = f"device {requested!r} is not available here (available: {', '.join(available)})" + (
        f", asked for by ${ENV_VARIABLE}" if from_env else ""
    )
    if from_env and _canonical(device) == "auto":
        warnings.warn(f"{message}; falling back to {available[0]}.", RuntimeWarning, stacklevel=3)
        return available[0]
    raise DeviceError(
        f"{message}. Use device='auto' to fall back to {available[0]}, "
        f"or install the MindSpore build for {requested}."
    )


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and MindSpore."""
    import mindspore as ms

    random.seed(seed)
    np.random.seed(seed)
    ms.set_seed(seed)


def time_reference_conv(repeats: int = 2) -> float:
    """Seconds for one 3x3 conv 64->64 on (4, 64, 64, 64), best of ``repeats`` after a warm-up."""
    import mindspore as ms
    from mindspore import ops

    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.random((4, 64, 64, 64), dtype=np.float32))
    w = ms.Tensor(rng.random((64, 64, 3, 3), dtype=np.float32))
    ops.conv2d(x, w, pad_mode="pad", padding=1).asnumpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ops.conv2d(x, w, pad_mode="pad", padding=1).asnumpy()
        best = min(best, time.perf_counter() - start)
    return best


def check_cpu_speed() -> float:
    """Time the reference conv and warn, with the fix, if oneDNN's slow kernel is in use."""
    seconds = time_reference_conv()
    if seconds > SLOW_CONV_SECONDS and _environment.SET_AFTER_MINDSPORE:
        warnings.warn(
            f"a 3x3 convolution took {seconds * 1000:.0f} ms (expected about 30 ms): MindSpore's oneDNN "
            "is using its slow reference kernel because mindspore was imported before course_lib, too early "
            "for the ONEDNN_MAX_CPU_ISA=AVX2 that course_lib sets. Restart the kernel or process and import "
            "course_lib first (or export ONEDNN_MAX_CPU_ISA=AVX2 before starting Python).",
            RuntimeWarning,
            stacklevel=3,
        )
    elif seconds > SLOW_CONV_SECONDS:
        isa = os.environ.get(_environment.ISA_VARIABLE)
        warnings.warn(
            f"a 3x3 convolution took {seconds * 1000:.0f} ms (expected about 30 ms): MindSpore's oneDNN "
            f"is using its slow reference kernel (ONEDNN_MAX_CPU_ISA={isa!r}). Restart the kernel or "
            "process and set ONEDNN_MAX_CPU_ISA=AVX2 before MindSpore runs anything (importing "
            "course_lib first does this), or unset your own value.",
            RuntimeWarning,
            stacklevel=3,
        )
    return seconds


def setup(device: str = "auto", seed: int = 0, mode: str = "pynative", verbose: bool = True) -> str:
    """Select the compute target, seed all generators and set the execution mode.

    Args:
        device: 'auto', 'CPU', 'GPU' or 'Ascend'; ``$COURSE_DEVICE`` overrides it. With 'auto' a
            missing accelerator falls back to CPU; a named target that is missing raises DeviceError.
        seed: seeds Python, NumPy and MindSpore.
        mode: 'pynative' (eager, for building and debugging) or 'graph' (compiled). Training through
            :mod:`course_lib.train` compiles its own step whatever is chosen here.
        verbose: print one line with the versions and the target.

    Returns:
        The target in use: 'Ascend', 'GPU' or 'CPU'.
    """
    import mindspore as ms

    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose 'pynative' or 'graph'")
    target = resolve_target(device)
    try:
        ms.set_device(target)
    except RuntimeError as err:  # MindSpore fixes the target at its first operation
        current = ms.get_context("device_target")
        if current != target:
            raise DeviceError(
                f"MindSpore already runs on {current} in this process and cannot switch to {target}; "
                "restart the kernel (or process) and call course_lib.device.setup() before anything else"
            ) from err
    ms.set_context(mode=ms.PYNATIVE_MODE if mode == "pynative" else ms.GRAPH_MODE)
    seed_everything(seed)
    if target == "CPU":
        if mode == "pynative":
            # Synchronous kernel launch: PyNative training steps ran 1.3-4.4x faster on the 2-core CPU, while
            # compiled steps moved by -15 % to +40 % (benchmarks/train_step.py, 2026-11-22): eager sessions only.
            try:
                ms.runtime.launch_blocking()
            except RuntimeError:  # set too late in this process: only speed is lost
                pass
        check_cpu_speed()
    if verbose:
        from . import __version__

        print(
            f"course_lib {__version__} | MindSpore {ms.__version__} | Python {platform.python_version()} "
            f"| device {target} | seed {seed}",
            file=sys.stdout,
        )
    return target
