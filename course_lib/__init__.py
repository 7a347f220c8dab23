"""course_lib: the tested library behind the MindSpore image-restoration course.

Importing it first sets two process-wide defaults that must precede MindSpore's first operation
(see :mod:`course_lib._environment`): the oneDNN CPU kernel cap that avoids a 100-200x slow
convolution on AVX-512 CPUs, and a quiet MindSpore log.
"""

from ._environment import apply_defaults as _apply_defaults

_apply_defaults()

import importlib  # noqa: E402

from . import device  # noqa: E402
from .budget import Budget, budget  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Budget", "budget", "device", "__version__"]

_SUBMODULES = {"baselines", "data", "exercises", "layers", "losses", "metrics", "models", "train", "viz"}


def __getattr__(name):
    """Import submodules on first use (``course_lib.metrics.psnr`` works after ``import course_lib``)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
