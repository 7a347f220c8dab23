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
* At exit, MindSpore 2.10's ``Cell.__del__`` runs for networks still alive while Python tears its modules
  down, finds its own module's globals already ``None`` and prints ``Exception ignored in: Cell.__del__ ...
  AttributeError`` once per network (80 tracebacks after pytest's summary). An ``atexit`` handler, which
  runs before that teardown, makes ``Cell.__del__`` silent from then on.
"""

import atexit
import os
import platform
import sys

ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA"


# True when course_lib set the ISA cap itself while MindSpore was already imported: its oneDNN may have
# read the variable already, so the cap may come too late (device.check_cpu_speed's advice depends on it).
SET_AFTER_MINDSPORE = False


def apply_defaults() -> None:
    """Set the oneDNN ISA cap and the log level unless the user has chosen them."""
    global SET_AFTER_MINDSPORE
    if platform.machine().lower() in ("x86_64", "amd64", "i686", "x86") and ISA_VARIABLE not in os.environ:
        os.environ[ISA_VARIABLE] = "AVX2"
        SET_AFTER_MINDSPORE = "mindspore" in sys.modules
    os.environ.setdefault("GLOG_v", "3")


def _quiet_cell_teardown() -> None:
    cell_module = sys.modules.get("mindspore.nn.cell")
    if cell_module is None:
        return
    original = cell_module.Cell.__del__

    def quiet_del(self):
        try:
            original(self)
        except Exception:  # module globals already gone: nothing left to release
            pass

    cell_module.Cell.__del__ = quiet_del


atexit.register(_quiet_cell_teardown)
