"""Test settings: quiet MindSpore, the 'ci' budget, and course_lib imported before MindSpore."""

import os
from pathlib import Path

os.environ.setdefault("GLOG_v", "3")
os.environ.setdefault("COURSE_BUDGET", "ci")
os.environ.setdefault("MPLBACKEND", "Agg")

import course_lib  # noqa: E402,F401  (sets ONEDNN_MAX_CPU_ISA before MindSpore's first op)
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DATA = REPO.parent / "shared" / "reference_data"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    return REFERENCE_DATA
