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


@pytest.fixture(autouse=True)
def same_random_state_for_every_test():
    """Every test starts from seed 0, whichever files ran before it on its pytest-xdist worker: with
    ``--dist loadfile`` that order changes from run to run, and a network's initial weights (MindSpore's global
    seed) depended on it."""
    import mindspore as ms
    import numpy as np

    ms.set_seed(0)
    np.random.seed(0)


def pytest_sessionfinish(session, exitstatus):
    """Free MindSpore cells while their module is alive: at interpreter exit their ``__del__`` prints noise."""
    import gc

    gc.collect()


# Under pytest-xdist (README: -n 2 --dist loadfile) a unit of work runs whole, in order, in one worker. Each file
# is one unit (nbval runs a notebook's cells in order in one kernel; module fixtures are built once), except
# these independent per-notebook runs, the suite's slowest tests: each is a unit of its own, and they go
# first, slowest first, so that the two workers share them and end together.
ONE_UNIT_PER_TEST = {
    "tests/test_grading.py::test_autograde_full_and_planted_marks": 2,  # notebook executions per test
    "tests/test_editions.py::test_student_edition_runs_and_every_exercise_says_not_yet": 1,
}


def _notebook_seconds() -> dict:
    """A notebook's seconds at the ``ci`` budget by its number ('04'), from the stored measurement."""
    import json

    try:
        measured = json.loads((REPO / "docs" / "notebook_times.json").read_text())["ci"]["seconds"]
    except (OSError, KeyError, ValueError):
        return {}
    return {name[:2]: times["ci"] for name, times in measured.items()}


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    seconds = _notebook_seconds()

    def cost(item):  # the notebook runs' expected seconds; 0 for every other test (keeps their order)
        function, _, param = item.nodeid.partition("[")
        return ONE_UNIT_PER_TEST.get(function, 0) * seconds.get(param[:2], 1.0)

    items.sort(key=cost, reverse=True)  # stable: the other tests keep their order


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: ignored without it
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndSlowRuns(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return nodeid if nodeid.split("[")[0] in ONE_UNIT_PER_TEST else nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False  # the order of the collection above, not by file size
    return FilesAndSlowRuns(config, log)
