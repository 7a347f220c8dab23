"""Student and instructor editions of the notebooks, made from one source.

The notebooks in ``notebooks/`` are the source: each exercise's solution sits between nbgrader's markers,

.. code-block:: python

    def psnr(x, ref):
        ### BEGIN SOLUTION
        return 10 * np.log10(1 / np.mean((x - ref) ** 2))
        ### END SOLUTION

so nbgrader users can import them as they are. :func:`write_editions` writes ``DIR/instructor/`` (the source,
markers and all) and ``DIR/student/``, where every marked region becomes nbgrader's stub

.. code-block:: python

        # YOUR CODE HERE
        raise NotImplementedError()

(the checkers answer it with ``NOT YET: ... is not written yet``) and the stored outputs of those cells are
cleared, so no solution survives in a printed value or a picture. Nothing is kept by hand.

Command line: ``python -m course_lib editions --out DIR [--site]``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Dict, List

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

_REGION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$", re.M | re.S)


def has_solution(source: str) -> bool:
    """True when a cell's ``source`` holds at least one marked solution region."""
    return BEGIN in source


def strip_solutions(source: str) -> str:
    """``source`` with every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region replaced by the stub,
    indented as the ``BEGIN`` line was. Unbalanced markers raise ValueError (a stray marker would leak or
    swallow code)."""
    if source.count(BEGIN) != source.count(END):
        raise ValueError(
            f"unbalanced solution markers ({source.count(BEGIN)} BEGIN, {source.count(END)} END) in:\n"
            f"{source[:200]}"
        )
    out = _REGION.sub(lambda m: "\n".join(m.group(1) + line for line in STUB), source)
    if BEGIN in out or END in out:
        raise ValueError(f"solution markers out of order in:\n{source[:200]}")
    return out


def student_notebook(nb):
    """A copy of the nbformat notebook ``nb`` with solutions stubbed and those cells' outputs cleared."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and has_solution(cell.source):
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    nb.metadata.setdefault("course", {})["edition"] = "student"
    return nb


def instructor_notebook(nb):
    """A copy of ``nb`` as it is (solutions between the markers, outputs of the stored run)."""
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


def write_editions(out: Path, folder: Path = NOTEBOOKS) -> Dict[str, List[Path]]:
    """Write ``out/student/`` and ``out/instructor/``; return the written files per edition."""
    import nbformat

    out = Path(out)
    written: Dict[str, List[Path]] = {"student": [], "instructor": []}
    for path in source_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        for edition, make in (("student", student_notebook), ("instructor", instructor_notebook)):
            target = out / edition / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(nb), target)
            written[edition].append(target)
    return written
