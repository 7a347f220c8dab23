"""Test settings for tests/ and notebooks/ (nbval kernels inherit them): quiet MindSpore, the `ci` budget,
and course_lib imported before MindSpore."""

import os
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")
os.environ.setdefault("COURSE_BUDGET", "ci")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

import course_lib  # noqa: E402,F401  (sets ONEDNN_MAX_CPU_ISA before MindSpore's first op)
from course_lib import kernel_wakeup  # noqa: E402

kernel_wakeup.install()  # nbgrader's and the editions tests' notebook runs: no stall on a missed wake-up

REPO = Path(__file__).resolve().parent
REFERENCE_DATA = REPO.parent / "shared" / "reference_data"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    return REFERENCE_DATA


def pytest_sessionfinish(session, exitstatus):
    """Free MindSpore cells while their module is alive: at interpreter exit their ``__del__`` prints noise."""
    import gc

    gc.collect()
