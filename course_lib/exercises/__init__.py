"""Checkers for the notebooks' exercises: run the student's function and say precisely what is wrong,
without holding the answer.

A checker runs the student's function on fixed cases and prints one line: ``PASS: ...`` or ``NOT YET: <what
is wrong>``, where the diagnosis names the most likely mistake - it returned nothing, the shape differs (and
whether a transpose would fix it), the values are outside the expected range or scaled by 255, the answer is
off by a constant factor, one of the exercise's known mistakes, or simply the relative error.

The notebooks' checkers (``course_lib.exercises.foundations`` for notebook 00, ...) hold no reference
implementation: they compare with the expected outputs of their fixed cases and of each known mistake,
stored in ``expected.npz`` beside this file (no pickle). Those are computed by the instructor-only references
in the repository's ``instructor/exercises/`` (NumPy from the papers' formulas, tested against the course
library), which the package does not install: ``python instructor/store_expected.py`` rewrites the file and
``tests/test_exercises_stored.py`` checks that it agrees with them. What decides a grade runs in the
notebooks' hidden tests (nbgrader), against the model answer written there (:func:`graded_against`), on the
fixed cases and on stored grading cases.

This module also holds the framework they share::

    from course_lib.exercises import check_function
    check_function(my_fn, reference_fn, cases=[(x,)], name="my function")
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np


@dataclasses.dataclass
class Verdict:
    """The outcome of a checker: ``passed`` and a one-line ``message`` (printed by the checker)."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("PASS: " if self.passed else "NOT YET: ") + self.message

    def _ipython_display_(self) -> None:
        # As a cell's last value it shows nothing: the checker has printed it. (A trailing ';' is not enough:
        # nbval executes cells without storing history, and IPython then ignores the semicolon.)
        pass


def as_array(x: Any) -> Optional[np.ndarray]:
    """NumPy view of a NumPy array, MindSpore tensor, number or nested list; None stays None."""
    if x is None:
        return None
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return np.asarray(x)


def relative_error(actual: Any, expected: Any) -> float:
    """``max|actual - expected| / max(max|expected|, 1e-12)``: the largest error relative to the scale."""
    a, e = as_array(actual).astype(np.float64), as_array(expected).astype(np.float64)
    return float(np.max(np.abs(a - e)) / max(float(np.max(np.abs(e))) if e.size else 0.0, 1e-12))


def diagnose(actual: Any, expected: Any, rtol: float = 1e-4, atol: float = 1e-6) -> Optional[str]:
    """What is wrong with ``actual`` compared with ``expected``, or None when they agree."""
    if actual is None:
        return "the function returned None: did you forget the `return` statement?"
    try:
        a = as_array(actual).astype(np.float64)
    except (TypeError, ValueError):
        return f"the function returned a {type(actual).__name__}, not an array or number"
    e = as_array(expected).astype(np.float64)
    if a.shape != e.shape:
        if a.ndim == e.ndim and a.ndim > 1:
            for perm in itertools.permutations(range(a.ndim)):
                if a.transpose(perm).shape == e.shape and np.allclose(
                    a.transpose(perm), e, rtol=rtol, atol=atol
                ):
                    return f"off by a transpose: the values are right but the shape is {a.shape}, expected {e.shape} (axes {perm})"
        if a.size == e.size and np.allclose(a.reshape(e.shape), e, rtol=rtol, atol=atol):
            return f"right values in the wrong shape {a.shape}; expected {e.shape}"
        return f"wrong shape {a.shape}; expected {e.shape}"
    if not np.all(np.isfinite(a)):
        return "the result contains NaN or inf values"
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return None
    if e.min() >= 0 and e.max() <= 1 and (a.min() < -1e-6 or a.max() > 1 + 1e-6):
        if np.allclose(a, e * 255, rtol=1e-3, atol=1e-3):
            return "the values are 255 times too large: work with images in [0, 1]"
        return f"values outside [0, 1] (min {a.min():.3g}, max {a.max():.3g}); expected images in [0, 1]"
    if (
        a.ndim >= 2
        and a.shape == a.swapaxes(-1, -2).shape
        and np.allclose(a.swapaxes(-1, -2), e, rtol=rtol, atol=atol)
    ):
        return "off by a transpose: the last two axes are swapped"
    denom = np.vdot(a, a)
    if denom > 0:
        factor = float(np.vdot(a, e) / denom)
        if abs(factor - 1) > 1e-3 and np.allclose(factor * a, e, rtol=rtol, atol=atol):
            return f"off by a constant factor: multiplying your result by {factor:.4g} gives the reference"
    if np.allclose(a, -e, rtol=rtol, atol=atol):
        return "the sign is flipped"
    return f"relative error {relative_error(a, e):.3g} (tolerance {rtol:g})"


_GRADING: list = []  # the model answer while a hidden test grades (graded_against)


@contextlib.contextmanager
def graded_against(model: Callable, n_random: int = 10):
    """Inside the block, every checker compares the student's function with ``model`` (the instructor's answer,
    written in the notebook's hidden tests) on its fixed cases and ``n_random`` random ones, and prints nothing::

        with graded_against(_model):
            verdict = check.check_haze(haze)
        assert verdict, verdict.message
    """
    _GRADING.append((model, n_random))
    try:
        yield
    finally:
        _GRADING.pop()


def _run_student(name, student_fn, case, number, adapt=lambda out: out):
    """``(what student_fn returns on a copy of case, None)``, or ``(None, the Verdict)`` when it raises: a stub's
    NotImplementedError reads "not written yet", any other exception is the student's bug, reported with its
    line rather than raised."""
    copies = [np.copy(c) if isinstance(c, np.ndarray) else c for c in case]
    try:
        return adapt(student_fn(*copies)), None
    except NotImplementedError:
        return None, Verdict(False, f"{name} is not written yet (it raises NotImplementedError)")
    except Exception as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        return None, Verdict(
            False, f"{name} raised {type(err).__name__}: {err} (line {where.lineno}) on case {number}"
        )


def check_function(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Iterable[Sequence[Any]],
    *,
    name: str,
    random_case: Optional[Callable[[np.random.Generator], Sequence[Any]]] = None,
    n_random: int = 3,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    seed: int = 0,
    quiet: bool = False,
    known_mistakes: Optional[dict] = None,
) -> Verdict:
    """Compare ``student_fn(*case)`` with ``reference_fn(*case)`` on fixed and random cases.

    ``known_mistakes`` maps an explanation to a function that makes that mistake (e.g. ``t`` and ``1 - t``
    swapped); when the student's result equals one of them, the verdict names the mistake.

    Returns a :class:`Verdict` (truthy when passed) and prints it unless ``quiet``. Inside
    :func:`graded_against`, ``reference_fn`` is the model answer given there.
    """
    if _GRADING:
        model, n_random = _GRADING[-1]
        quiet, seed = True, seed + 1

        def reference_fn(*case):  # a list of arrays (e.g. clipped gradients) is compared flattened
            out = model(*case)
            return np.concatenate([np.ravel(a) for a in out]) if isinstance(out, (list, tuple)) else out

    all_cases = list(cases)
    if random_case is not None:
        rng = np.random.default_rng(seed)
        all_cases += [random_case(rng) for _ in range(n_random)]
    worst = 0.0
    for number, case in enumerate(all_cases, 1):
        actual, verdict = _run_student(name, student_fn, case, number)
        if verdict is not None:
            break
        expected = reference_fn(*case)
        problem = diagnose(actual, expected, rtol=rtol, atol=atol)
        if problem:
            for explanation, mistake_fn in (known_mistakes or {}).items():
                if diagnose(actual, mistake_fn(*case), rtol=rtol, atol=atol) is None:
                    problem = explanation
                    break
            verdict = Verdict(False, f"{name}, case {number}: {problem}")
            break
        worst = max(worst, relative_error(actual, expected))
    else:
        verdict = Verdict(
            True,
            f"{name} matches the reference on {len(all_cases)} cases (largest relative error {worst:.1e})",
        )
    if not quiet:
        print(verdict)
    return verdict


def numerical_gradient(
    fn: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-3, indices=None
) -> np.ndarray:
    """Central finite differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` at flat ``indices``."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    indices = range(flat.size) if indices is None else indices
    grad = np.zeros(flat.size)
    for i in indices:
        old = flat[i]
        flat[i] = old + eps
        up = float(fn(x.copy()))
        flat[i] = old - eps
        down = float(fn(x.copy()))
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad.reshape(x.shape)


def gradient_check(
    fn: Callable,
    x: np.ndarray,
    *,
    eps: float = 1e-3,
    rtol: float = 2e-2,
    atol: float = 1e-4,
    n_points: int = 12,
    seed: int = 0,
    quiet: bool = True,
) -> Verdict:
    """Check MindSpore's gradient of a scalar function against finite differences.

    ``fn`` maps a float32 MindSpore tensor to a scalar tensor (built from MindSpore ops). The analytic
    gradient comes from ``mindspore.grad``; the numerical one from central differences in float64 inputs
    cast to float32, at ``n_points`` random entries.
    """
    import mindspore as ms

    x = np.asarray(x, dtype=np.float32)
    analytic = ms.grad(fn)(ms.Tensor(x)).asnumpy().astype(np.float64)
    rng = np.random.default_rng(seed)
    points = rng.choice(x.size, size=min(n_points, x.size), replace=False)
    scalar = lambda v: float(fn(ms.Tensor(v.astype(np.float32))).asnumpy())
    numeric = numerical_gradient(scalar, x, eps=eps, indices=points).reshape(-1)[points]
    got = analytic.reshape(-1)[points]
    err = np.abs(got - numeric)
    bad = err > atol + rtol * np.abs(numeric)
    if bad.any():
        i = int(np.argmax(bad))
        v = Verdict(
            False,
            f"gradient mismatch at entry {points[i]}: analytic {got[i]:.6g}, numerical {numeric[i]:.6g}",
        )
    else:
        v = Verdict(
            True,
            f"gradient agrees with finite differences at {len(points)} point{'s' if len(points) > 1 else ''} (max error {err.max():.2g})",
        )
    if not quiet:
        print(v)
    return v


# ------------------------------------------------------------------------------ stored expected outputs
EXPECTED = Path(__file__).with_name("expected.npz")
_STORE: dict = {}


def pack(value: Any, arrays: dict, prefix: str) -> Any:
    """A JSON description of ``value`` (arrays, numbers, strings, lists, tuples, dicts, None); arrays go into
    ``arrays``."""
    if isinstance(value, (np.ndarray, np.generic)):
        key = f"{prefix}/{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"a": key, "scalar": isinstance(value, np.generic)}
    if isinstance(value, (list, tuple)):
        return {"l" if isinstance(value, list) else "t": [pack(v, arrays, prefix) for v in value]}
    if isinstance(value, dict):
        return {"d": {str(k): pack(v, arrays, prefix) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"v": value}
    raise TypeError(f"cannot store a {type(value).__name__}")


def unpack(spec: Any, arrays) -> Any:
    """The value :func:`pack` described."""
    if "a" in spec:
        a = arrays[spec["a"]]
        return a[()] if spec["scalar"] else np.array(a)
    if "l" in spec:
        return [unpack(v, arrays) for v in spec["l"]]
    if "t" in spec:
        return tuple(unpack(v, arrays) for v in spec["t"])
    if "d" in spec:
        return {k: unpack(v, arrays) for k, v in spec["d"].items()}
    return spec["v"]


def stored(key: str) -> dict:
    """The stored record of checker ``key``: name, tolerances, explanations, fixed and grading cases."""
    if not _STORE:
        if not EXPECTED.is_file():
            raise FileNotFoundError(
                f"{EXPECTED} is missing: run python instructor/store_expected.py in the repository"
            )
        with np.load(EXPECTED, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        for k in [k for k in arrays if k.endswith("/spec")]:
            _STORE[k[: -len("/spec")]] = unpack(json.loads(str(arrays[k])), arrays)
    return _STORE[key]


def stored_check(key: str, student_fn: Callable, output: Optional[Callable] = None) -> Verdict:
    """Run the student's function on checker ``key``'s fixed cases and compare with the stored outputs
    (``output`` adapts what the student returns, e.g. a list of arrays to one flat array). Inside
    :func:`graded_against`, compare with the model answer there on the fixed and the stored grading cases
    instead, and print nothing. Prints and returns the :class:`Verdict`."""
    rec = stored(key)
    name, rtol, atol = rec["name"], rec["rtol"], rec["atol"]
    adapt = (lambda out: out) if output is None else (lambda out: None if out is None else output(out))
    grading = bool(_GRADING)
    cases = rec["cases"] + (rec["grading_cases"] if grading else [])
    worst = 0.0
    for number, case in enumerate(cases, 1):
        actual, verdict = _run_student(name, student_fn, case, number, adapt)
        if verdict is not None:
            break
        if grading:
            out = _GRADING[-1][0](*case)
            expected = np.concatenate([np.ravel(a) for a in out]) if isinstance(out, (list, tuple)) else out
        else:
            expected = rec["expected"][number - 1]
        problem = diagnose(actual, expected, rtol=rtol, atol=atol)
        if problem:
            mistakes = rec["mistakes"][number - 1] if number <= len(rec["mistakes"]) else {}
            for explanation, wrong in zip(rec["explanations"], mistakes):
                if wrong is not None and diagnose(actual, wrong, rtol=rtol, atol=atol) is None:
                    problem = explanation
                    break
            verdict = Verdict(False, f"{name}, case {number}: {problem}")
            break
        worst = max(worst, relative_error(actual, expected))
    else:
        verdict = Verdict(
            True, f"{name} matches the reference on {len(cases)} cases (largest relative error {worst:.1e})"
        )
    if not grading:
        print(verdict)
    return verdict
