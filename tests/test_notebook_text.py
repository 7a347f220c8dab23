"""Numbers in the notebooks' text come from code or from a cited constant, never typed from a run.

A number a run produced (a PSNR, a speed-up, a loss, a time) must be printed by the cell that produced it, so
that re-running the notebook updates it. This test reads the markdown of every notebook and fails on each
number with a unit (dB, %, ms, s, min, GMACs, parameters, x or ×) that is not inside one of the pieces of text
listed, with its source, in ``tests/markdown_constants.py``.

Not scanned: LaTeX (``$...$``: symbols such as ``4s`` are algebra), code spans (backticks), the model answers
of written exercises and questions (between nbgrader's solution markers: instructor-only derivations whose
numbers follow from the working shown beside them), and the first
cell's two machine-written time fields, "computing: **N minutes**" and the "**Per section**" line, which
``benchmarks/notebook_times.py`` writes from the stored run and ``tests/test_editions.py`` checks against the
notebook's metadata. The class-time estimate on the same "**Time:**" line is labelled as an estimate there.
"""

import json
import re
from pathlib import Path

import pytest
from markdown_constants import CONSTANTS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_UNIT = r"(?:dB|%|ms|s|min|minutes|GMACs?|GFLOPs|parameters|params|×|x)"
# "27.44 / 24.04 / 22.10 dB", "2.6–3.2×", "3 dB": a number (or a list or range of them) and its unit. Not
# "3×3" (a kernel size), "x4" (a scale written before the number) or "1,000 steps" (the unit must end a word).
NUMBER_WITH_UNIT = re.compile(
    rf"(?<![\w.]){_NUMBER}(?:\s*(?:[-–/]|to)\s*{_NUMBER})*\s*{_UNIT}(?![\w×])(?!\s*\d)", re.IGNORECASE
)
_NOT_PROSE = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION|\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`", re.S)
_MACHINE_WRITTEN = re.compile(
    r"computing: \*\*[\d.]+ minutes\*\*|^\*\*Per section\*\*.*$|^\*\*Time:\*\*.*$", re.M
)


def numbers_in(text: str) -> list:
    """The (start, end, text) of every number with a unit that the allow-list does not cover."""
    text = _MACHINE_WRITTEN.sub(lambda m: " " * len(m.group(0)), text)
    text = _NOT_PROSE.sub(lambda m: " " * len(m.group(0)), text)
    allowed = [(m.start(), m.end()) for key in CONSTANTS for m in re.finditer(re.escape(key), text)]
    return [
        (m.start(), m.end(), m.group(0))
        for m in NUMBER_WITH_UNIT.finditer(text)
        if not any(a <= m.start() and m.end() <= b for a, b in allowed)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_numbers_in_markdown_are_printed_by_code_or_cited(path):
    found = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] == "markdown":
            found += [f"cell {index}: {text!r}" for _, _, text in numbers_in("".join(cell["source"]))]
    assert not found, (
        f"{path.name}: numbers typed into the text; print them from the cell that computes them, or add the "
        f"constant and its source to tests/markdown_constants.py: " + "; ".join(found)
    )


def test_the_scanner_finds_units_and_skips_shapes_math_and_allowed_constants():
    """Independent cases written by hand, not the notebooks' own text."""
    hits = [t for _, _, t in numbers_in(
        "gains 0.95 dB, 4.1× slower, 2.5 s per step, 45 ms, 12 %, 74.02 GMACs, 348,052 parameters, 68x, "
        "from 16.90 to 16.21 dB; a 3×3 conv, ×4 bicubic, 1,000 steps, $4s$ taps, `lr=1e-3 s`, 2 photos"
    )]  # fmt: skip
    assert hits == ["0.95 dB", "4.1×", "2.5 s", "45 ms", "12 %", "74.02 GMACs", "348,052 parameters", "68x",
                    "16.90 to 16.21 dB"]  # fmt: skip
    key = next(iter(CONSTANTS))
    assert numbers_in(f"as published, {key}.") == []
    assert CONSTANTS and all(isinstance(v, str) and len(v) > 10 for v in CONSTANTS.values()), (
        "each needs a source"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_first_cell_gives_student_minutes_and_the_recap_five_key_takeaways(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    # the recap closes the notebook; only the graded cell for the answers to its questions follows it
    last = "".join(cells[-2]["source"])
    assert last.startswith("## Recap, questions and references"), f"{path.name}: the recap is not second to last"
    minutes = re.search(r"^\*\*Student minutes per section\*\* \(an estimate[^)]*\): (.*)$", first, re.M)
    assert minutes, (
        f"{path.name}: the first cell gives no 'Student minutes per section (an estimate ...)' line"
    )
    assert re.findall(r"\d+/\d+/\d+", minutes.group(1)), (
        f"{path.name}: student minutes not as reading/running/exercises"
    )
    box = re.search(r"^> \*\*Key takeaways\*\*\n((?:> \d\. .*\n?)+)", last, re.M)
    assert box and len(box.group(1).strip().splitlines()) == 5, (
        f"{path.name}: no five-line 'Key takeaways' box"
    )
