"""The students' checkers hold no reference implementation, and their stored data is the references' output.

``course_lib/exercises/expected.npz`` must equal what ``instructor/store_expected.py`` computes now from the
instructor-only references (NumPy from the papers' formulas, themselves tested against the course library in
``tests/test_exercises_*.py``); the checker modules students import define no reference and import nothing from
``instructor``.
"""

import json
import re
from pathlib import Path

import numpy as np

import course_lib.exercises as exercises
from instructor import store_expected
from instructor.exercises import MODULES

ROOT = Path(__file__).resolve().parents[1]


def test_stored_outputs_equal_the_instructor_references():
    fresh = store_expected.arrays_of(store_expected.compute())
    with np.load(exercises.EXPECTED, allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(fresh), "run python instructor/store_expected.py"
        for key, value in fresh.items():
            if key.endswith("/spec"):
                assert json.loads(str(stored[key])) == json.loads(str(value)), key
            elif np.issubdtype(np.asarray(value).dtype, np.floating):
                # sums may differ in their last bits between CPUs (NumPy and oneDNN pick SIMD paths per CPU):
                # a few units in the last place of the dtype, nothing a checker's tolerance could notice
                value = np.asarray(value)
                assert stored[key].shape == value.shape and stored[key].dtype == value.dtype, key
                ulps = 16 * np.finfo(value.dtype).eps
                scale = float(np.max(np.abs(value))) if value.size else 0.0
                np.testing.assert_allclose(stored[key], value, rtol=ulps, atol=ulps * scale, err_msg=key)
            else:
                np.testing.assert_array_equal(stored[key], value, err_msg=key)
    assert len([k for k in fresh if k.endswith("/spec")]) >= 29


def test_checker_modules_hold_no_reference():
    for name in MODULES:
        source = (ROOT / "course_lib" / "exercises" / f"{name}.py").read_text()
        answers = (ROOT / "instructor" / "exercises" / f"{name}.py").read_text()
        assert "instructor" not in source and not re.search(
            r"def (\w*_reference|overlap_counts)\(", source
        ), name
        assert set(re.findall(r"^def (check_\w+)", source, re.M)) == set(
            re.findall(r"^def (check_\w+)", answers, re.M)
        )
        assert source.count("stored_check(") == len(re.findall(r"^def check_", source, re.M)), name
    assert not any(hasattr(exercises, n) for n in ("channel_attention_reference", "overlap_counts"))
