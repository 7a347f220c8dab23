"""Process-wide settings that must be in place before MindSpore runs its first operation.

Imported first by ``course_lib/__init__.py``; it imports nothing from MindSpore.

* ``ONEDNN_MAX_CPU_ISA=AVX2``. On x86 CPUs with AVX-512 (Xeons with AVX-512 or AMX), the oneDNN that
  MindSpore 2.10 bundles picks a reference convolution kernel that runs 100-200x slower than its AVX2
  kernel, and nothing warns: one 3x3 conv 64->64 on (4, 64, 64, 64) took 2.5-4.4 s instead of 22-36 ms
  on the course's 2-core test machine. oneDNN reads the variable once, at its first primitive, so it
  must be set before MindSpore computes anything. To opt out, set the variable yourself before
  ``import course_lib`` (for example ``ONEDNN_MAX_CPU_ISA=ALL``); ``course_lib.device.setup`` then
  times one convolution and warns if the slow kernel is back.
* ``GLOG_v=3``: MindSpore's C++ ``[WARNING]`` lines on stderr are silenced. Set ``GLOG_v=2`` (or lower)
  before the import to see them again.
"""

import os
import platform

ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA"


def apply_defaults() -> None:
    """Set the oneDNN ISA cap and the log level unless the user has chosen them."""
    if platform.machine().lower() in ("x86_64", "amd64", "i686", "x86"):
        os.environ.setdefault(ISA_VARIABLE, "AVX2")
    os.environ.setdefault("GLOG_v", "3")
