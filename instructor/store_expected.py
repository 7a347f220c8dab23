"""Store the exercises' expected outputs for the students' checkers: ``python instructor/store_expected.py``.

Each checker of ``instructor/exercises/`` runs once with a recorder in place of ``check_function``; for its
fixed cases and its first random ones (the cases the checker has always shown), the recorder keeps the inputs,
the reference output and the output of every planted mistake; for grading, it keeps the inputs of further
random cases (their answer comes from the model answer in the notebook's hidden tests). Everything goes to
``course_lib/exercises/expected.npz`` (arrays and JSON, no pickle).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course_lib.exercises import EXPECTED, pack  # noqa: E402
from instructor.exercises import MODULES  # noqa: E402

GRADING_CASES = 3  # random cases per checker, inputs only


def _small(value):
    """Large float64 arrays as float32 (the file stays small; every tolerance is far above float32's)."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64 and value.size > 256:
        return value.astype(np.float32)
    if isinstance(value, (list, tuple)):
        return type(value)(_small(v) for v in value)
    return value


def _record(key, records):
    def recorder(student_fn, reference_fn, cases, *, name, random_case=None, n_random=3, rtol=1e-4, atol=1e-6,
                 seed=0, quiet=False, known_mistakes=None):  # fmt: skip
        cases = list(cases)
        grading = []
        if random_case is not None:
            rng = np.random.default_rng(seed)
            cases += [random_case(rng) for _ in range(n_random)]
            rng = np.random.default_rng(seed + 1)
            grading = [_small(random_case(rng)) for _ in range(GRADING_CASES)]
        cases = [_small(c) for c in cases]
        mistakes = list((known_mistakes or {}).items())
        expected, wrong = [], []
        for case in cases:
            with np.errstate(all="ignore"):
                expected.append(_small(reference_fn(*case)))
                row = []
                for _, fn in mistakes:
                    try:
                        row.append(_small(fn(*case)))
                    except Exception:  # a mistake that cannot apply to this case
                        row.append(None)
                wrong.append(row)
        records[key] = {
            "name": name, "rtol": rtol, "atol": atol, "explanations": [m for m, _ in mistakes],
            "cases": cases, "expected": expected, "mistakes": wrong, "grading_cases": grading,
        }  # fmt: skip

    return recorder


def compute() -> dict:
    """``{checker name: record}`` for every checker of every instructor module."""
    records = {}
    for name in MODULES:
        module = importlib.import_module(f"instructor.exercises.{name}")
        for attr in sorted(dir(module)):
            fn = getattr(module, attr)
            if (
                attr.startswith("check_")
                and callable(fn)
                and getattr(fn, "__module__", "") == module.__name__
            ):
                key = f"{name}.{attr}"
                saved = module.check_function
                module.check_function = _record(key, records)
                try:
                    getattr(module, attr)(lambda *a: None)
                finally:
                    module.check_function = saved
    return records


def arrays_of(records: dict) -> dict:
    arrays = {}
    for key, record in records.items():
        spec = pack(record, arrays, key)
        arrays[f"{key}/spec"] = np.array(json.dumps(spec))
    return arrays


def main() -> None:
    arrays = arrays_of(compute())
    np.savez_compressed(EXPECTED, **arrays)
    print(
        f"wrote {EXPECTED} ({EXPECTED.stat().st_size / 1e6:.2f} MB, {sum(k.endswith('/spec') for k in arrays)} checkers)"
    )


if __name__ == "__main__":
    main()
