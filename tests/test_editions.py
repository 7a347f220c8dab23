"""Student and instructor editions (course_lib.editions), the rendered site and its check in Chromium.

- The solution markers are stripped exactly (indentation kept, several regions, unbalanced markers refused).
- Every exercise cell of the source (= instructor) notebooks holds a solution, and its stored output, from
  the class run, ends with a PASS verdict; CI's nbval run re-executes those cells at ``ci`` and compares
  their output (``# NBVAL_CHECK_OUTPUT``), so the instructor edition says PASS there too.
- Every student-edition notebook executes to the end at ``ci`` and every stubbed exercise says
  ``NOT YET: ... is not written yet``.
- The site builds; where Chromium and the site assets are installed, every page loads in headless
  Chromium with no console error and every image loaded.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.editions import BEGIN, END, has_solution, source_notebooks, strip_solutions, student_notebook

NOTEBOOKS = source_notebooks()
VERDICT = re.compile(r"^(PASS|NOT YET): .*$", re.M)


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_strip_solutions_keeps_indentation_and_code_around():
    src = f"def f(x):\n    {BEGIN}\n    y = x + 1\n    return y\n    {END}\n\n\ncheck(f)\n"
    assert strip_solutions(src) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n\ncheck(f)\n"
    two = f"{BEGIN}\na = 1\n{END}\nb = 2\nfor i in r:\n        {BEGIN}\n        c = i\n        {END}\n"
    assert strip_solutions(two) == (
        "# YOUR CODE HERE\nraise NotImplementedError()\nb = 2\nfor i in r:\n"
        "        # YOUR CODE HERE\n        raise NotImplementedError()\n"
    )


@pytest.mark.parametrize("src", [f"{BEGIN}\nx = 1\n", f"x = 1\n{END}\n", f"{END}\nx\n{BEGIN}\n"])
def test_unbalanced_or_misordered_markers_are_refused(src):
    with pytest.raises(ValueError, match="marker"):
        strip_solutions(src)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_instructor_edition_stored_verdicts_pass(path):
    """Each solution cell of the stored (class-run) notebook ends with PASS; it is checked by nbval at ci."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and has_solution(c.source)]
    assert cells, f"{path.name} has no exercise with a solution"
    for cell in cells:
        assert "NBVAL_CHECK_OUTPUT" in cell.source, cell.source[:80]
        verdicts = VERDICT.findall(_text(cell))
        assert verdicts and verdicts[-1] == "PASS", f"{path.name}: {cell.source[:120]!r} -> {_text(cell)[-300:]}"


def test_the_course_has_its_exercises():
    count = sum(has_solution(c.source) for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells)
    assert count >= 29


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_student_edition_runs_and_every_exercise_says_not_yet(path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_BUDGET", "ci")
    student = student_notebook(nbformat.read(path, as_version=4))
    text = nbformat.writes(student)
    assert BEGIN not in text and END not in text and "### BEGIN" not in text
    NotebookClient(student, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    stubs = [c for c in student.cells if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
    assert stubs
    for cell in stubs:
        verdicts = VERDICT.findall(_text(cell))
        last = [line for line in _text(cell).splitlines() if line.startswith(("PASS", "NOT YET"))][-1]
        assert verdicts[-1] == "NOT YET" and "not written yet" in last, f"{path.name}: {last}"


def test_editions_command_writes_both_editions(tmp_path):
    from course_lib.__main__ import main

    assert main(["editions", "--out", str(tmp_path)]) == 0
    for path in NOTEBOOKS:
        student = (tmp_path / "student" / path.name).read_text()
        instructor = (tmp_path / "instructor" / path.name).read_text()
        assert BEGIN not in student and "raise NotImplementedError()" in student
        assert BEGIN in instructor
    (tmp_path / "file").write_text("x")
    assert main(["editions", "--out", str(tmp_path / "file")]) == 2


def test_site_builds_and_links_every_chapter(tmp_path):
    from course_lib.site import build_site

    pages = build_site(tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert len(pages) == len(NOTEBOOKS) + 2  # the index, the syllabus and one page per notebook
    assert 'href="syllabus.html"' in index
    syllabus = (tmp_path / "syllabus.html").read_text()
    assert "<table>" in syllabus and all(f'href="{p.stem}.html"' in syllabus for p in NOTEBOOKS)
    for path in NOTEBOOKS:
        assert f'href="{path.stem}.html"' in index
        page = (tmp_path / f"{path.stem}.html").read_text()
        assert 'href="index.html"' in page
        assert BEGIN not in page  # the site shows the student edition
    second = (tmp_path / f"{NOTEBOOKS[1].stem}.html").read_text()
    assert f'href="{NOTEBOOKS[0].stem}.html"' in second and f'href="{NOTEBOOKS[2].stem}.html"' in second


def _browser_skip_reason():
    from course_lib.browser_check import find_chromium
    from course_lib.site import ASSETS

    if find_chromium() is None:
        return "no Chromium here (Debian: apt install chromium; .ci/run installs it where it can)"
    if not (ASSETS / "require.js").is_file():
        return "no site assets (python data_scripts/get_site_assets.py, from the npm registry)"
    return None


@pytest.mark.skipif(_browser_skip_reason() is not None, reason=str(_browser_skip_reason()))
def test_every_page_loads_in_chromium_without_errors(tmp_path):
    from course_lib.browser_check import check_pages
    from course_lib.site import build_site

    pages = build_site(tmp_path)
    reports = check_pages(pages, screenshot=tmp_path / "index.png")
    assert (tmp_path / "index.png").stat().st_size > 10_000
    for name, r in reports.items():
        assert not r["errors"], f"{name}: {r['errors'][:3]}"
        assert not r["broken"], f"{name}: images that did not load: {r['broken']}"
        if name not in ("index.html", "syllabus.html"):
            assert r["images"] > 0 and r["formulas"] > 0, f"{name}: {r}"
    with_widgets = [n for n in reports if n != "index.html" and "widgets" in nbformat.read(
        NOTEBOOKS[0].parent / n.replace(".html", ".ipynb"), as_version=4).metadata]  # fmt: skip
    assert all(reports[n]["widgets"] > 0 for n in with_widgets), {n: reports[n]["widgets"] for n in with_widgets}


if os.environ.get("COURSE_SITE_SCREENSHOT"):  # python -m pytest ... writes the README's screenshot

    def test_write_readme_screenshot(tmp_path):
        from course_lib.browser_check import check_pages
        from course_lib.site import build_site

        build_site(tmp_path)
        check_pages([tmp_path / "index.html"], screenshot=Path(os.environ["COURSE_SITE_SCREENSHOT"]))


def test_minutes_agree_everywhere():
    """README's course map, each notebook's first cell and the stored run's metadata give the same minutes."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        minutes = nb.metadata.get("course", {}).get("minutes", {})
        assert set(minutes) >= {"ci", "class"}, f"{path.name}: run benchmarks/notebook_times.py (--record / --store)"
        row = re.search(rf"^\| `{path.stem}` \|.*\| ([\d.]+) \| ([\d.]+) \|$", readme, re.M)
        assert row, f"README's course map has no row for {path.stem}"
        assert (float(row.group(1)), float(row.group(2))) == (minutes["ci"], minutes["class"]), path.name
        stated = re.search(r"computing: \*\*([\d.]+) minutes\*\*", nb.cells[0].source)
        assert stated and float(stated.group(1)) == minutes["class"], path.name
        sections = nb.metadata["course"].get("section_minutes")
        assert sections, f"{path.name}: no per-section minutes (benchmarks/notebook_times.py --store)"
        line = re.search(r"^\*\*Per section\*\* \(computing minutes at `class`\): (.*)$", nb.cells[0].source, re.M)
        assert line, f"{path.name}: the first cell does not state the per-section minutes"
        assert [float(m) for m in re.findall(r" ([\d.]+)(?: ·|$)", line.group(1))] == [m for _, m in sections]
        # the cells' own time is part of the notebook's wall time (kernel start-up is the rest)
        assert sum(m for _, m in sections) <= minutes["class"] + 0.05 * len(sections), path.name


def test_every_notebook_closes_with_recap_questions_and_references():
    for path in NOTEBOOKS:
        last = nbformat.read(path, as_version=4).cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("## Recap, questions and references")
        assert "**Questions.**" in last.source and re.search(r"\n1\. .*\n2\. ", last.source)
        assert "https://" in last.source, f"{path.name}: references without links"
