"""Student and instructor editions of the notebooks, made by nbgrader from one source.

The notebooks in ``notebooks/`` are an nbgrader source: each exercise is a *solution* cell (nbgrader
metadata ``solution: true``) whose answer sits between the markers,

.. code-block:: python

    def psnr(x, ref):
        ### BEGIN SOLUTION
        return 10 * np.log10(1 / np.mean((x - ref) ** 2))
        ### END SOLUTION

followed by a locked, autograded *test* cell (``grade: true``, ``points``, ``grade_id``): its visible part
prints the checker's feedback (shape, range, a named mistake; never the answer), and what decides the grade
runs between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. Written questions are manually graded
markdown cells whose model answer sits between the same solution markers. ``nbgrader generate_assignment``
and ``nbgrader autograde`` use the notebooks as they are (``tests/test_grading.py`` does so for every one).

:func:`write_editions` runs nbgrader's own preprocessors (ClearSolutions, ClearHiddenTests, ClearMarkScheme,
LockCells) and writes ``DIR/student/`` (stubs ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` and
``YOUR ANSWER HERE``, the graded cells' outputs cleared, no ``# NBVAL_CHECK_OUTPUT`` comment, no
``PASS:``/``NOTE:`` line about the course weights or the stored runs) and ``DIR/instructor/`` (the source with its nbgrader
metadata, model answers and hidden tests).

Nothing is written through a symbolic link inside ``DIR`` or into the course's own source tree
(``notebooks/``, ``course_lib/``, ``instructor/``): such an output is refused with one line (:class:`OutputRefused`).

Command line: ``python -m course_lib editions --out DIR [--site]``.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Dict, Iterable, List

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PACKAGE = Path(__file__).resolve().parent
INSTRUCTOR = PACKAGE.parent / "instructor"  # the exercises' references, beside the package (not installed)

# verdict lines about the course's own runs (section 0's course weights, the stored ablation): they grade the
# shipped weights and recorded runs, not the student, and read as instructor notes
_RUN_NOTE = re.compile(r"^(PASS|NOTE|FAIL): .*\n?", re.M)
_ABOUT_RUNS = re.compile(r"course weights|\bweights\.|quality\.score|ablation")


class OutputRefused(ValueError):
    """An output path that would write through a symbolic link or into the course's source tree."""


def has_solution(source: str) -> bool:
    """True when a cell's ``source`` holds at least one marked solution region."""
    return BEGIN in source


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata (empty when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_graded(cell) -> bool:
    """A solution or grade cell (its output depends on the student's answer)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution") or meta.get("grade"))


def _preprocessors():
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions, LockCells

    return [ClearSolutions(), ClearHiddenTests(), ClearMarkScheme(), LockCells()]


def strip_solutions(source: str, cell_type: str = "code") -> str:
    """``source`` as nbgrader's ClearSolutions leaves it: each solution region becomes the stub, indented as
    the ``BEGIN`` line was. Unbalanced markers raise ValueError (a stray marker would leak or swallow code)."""
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    if source.count(BEGIN) != source.count(END):
        raise ValueError(
            f"unbalanced solution markers ({source.count(BEGIN)} BEGIN, {source.count(END)} END) in: {source[:200]}"
        )
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "x"}})
    try:
        ClearSolutions()._replace_solution_region(cell, "python")
    except RuntimeError as err:
        raise ValueError(f"solution markers out of order ({err}) in: {source[:200]}") from None
    return cell.source


def _clean_student_outputs(cell) -> None:
    if is_graded(cell):
        cell.outputs, cell.execution_count = [], None
        return
    about_runs = _ABOUT_RUNS.search(cell.source)
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            if about_runs or "course weights" in out.get("text", ""):
                out["text"] = _RUN_NOTE.sub("", out["text"])
            out["text"] = re.sub(r"^NOTE: .*\n?", "", out["text"], flags=re.M)
    cell.outputs = [o for o in cell.outputs if o.get("output_type") != "stream" or o.get("text")]


def student_notebook(nb):
    """A copy of the nbformat notebook ``nb`` as nbgrader releases it: solutions stubbed, hidden tests and
    mark schemes removed, graded cells locked as their metadata says and their outputs cleared; no
    ``# NBVAL_CHECK_OUTPUT`` comment and no verdict line about the course weights."""
    nb = copy.deepcopy(nb)
    resources: dict = {}
    for pre in _preprocessors():
        nb, resources = pre.preprocess(nb, resources)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = re.sub(r"^# NBVAL_CHECK_OUTPUT[ \t]*\n", "", cell.source, flags=re.M)
        _clean_student_outputs(cell)
    nb.metadata.setdefault("course", {})["edition"] = "student"
    return nb


def instructor_notebook(nb):
    """A copy of ``nb`` as it is (solutions, model answers and hidden tests, outputs of the stored run)."""
    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("course", {})["edition"] = "instructor"
    return nb


def source_notebooks(folder: Path = NOTEBOOKS) -> List[Path]:
    """The course's notebooks in order (``NN_name.ipynb``)."""
    folder = Path(folder)
    files = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not files:
        raise FileNotFoundError(
            f"no notebooks in {folder}: run this from a clone of the course repository (pip install -e .)"
        )
    return files


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def check_outputs(out: Path, parts: Iterable[str], source: Path = NOTEBOOKS) -> None:
    """Refuse (:class:`OutputRefused`) when writing ``out/<part>/...`` could go through a symbolic link below
    ``out`` (``out`` itself may be one: the user named it) or land in the course's source tree."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputRefused(f"--out {out} is a file; give a folder (it is created if missing)")
    real = out.resolve()
    for tree in {Path(source).resolve(), NOTEBOOKS, PACKAGE, INSTRUCTOR}:
        if any(_inside(path, tree) for path in [real] + [real / part for part in parts]):
            raise OutputRefused(
                f"--out {out} would write into the course's source tree ({tree}); choose a folder outside it"
            )
    for part in parts:
        top = out / part
        if top.is_symlink():
            raise OutputRefused(
                f"{top} is a symbolic link; remove it or choose another --out (nothing was written)"
            )
        for root, dirs, files in os.walk(top):  # does not follow links
            for name in dirs + files:
                if (Path(root) / name).is_symlink():
                    raise OutputRefused(
                        f"{Path(root) / name} is a symbolic link; remove it or choose another --out (nothing was written)"
                    )


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, never through a symbolic link (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def write_editions(out: Path, folder: Path = NOTEBOOKS) -> Dict[str, List[Path]]:
    """Write ``out/student/`` and ``out/instructor/``; return the written files per edition."""
    import nbformat

    out = Path(out)
    paths = source_notebooks(folder)
    check_outputs(out, ("student", "instructor"), folder)
    made = {}
    for path in paths:  # everything is made before anything is written
        nb = nbformat.read(path, as_version=4)
        made[path.name] = {"student": student_notebook(nb), "instructor": instructor_notebook(nb)}
    written: Dict[str, List[Path]] = {"student": [], "instructor": []}
    for name, editions in made.items():
        for edition, nb in editions.items():
            target = out / edition / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text(target, nbformat.writes(nb) + "\n")
            written[edition].append(target)
    return written
