"""Student and instructor editions (course_lib.editions, through nbgrader), the rendered site and its check.

- nbgrader's ClearSolutions strips the solution markers exactly (indentation kept, unbalanced markers refused).
- The source notebooks carry valid nbgrader metadata: every exercise is a solution cell followed by a locked
  autograded test cell with points, a unique grade_id and a hidden-test block; every notebook has a written
  exercise and model answers to its closing questions (manually graded cells).
- The stored (class-run) test cells end with PASS; CI's nbval run re-executes them at ``ci`` and compares
  their output (``# NBVAL_CHECK_OUTPUT``), hidden tests included.
- Every student-edition notebook executes to the end at ``ci`` and every test cell says
  ``NOT YET: ... is not written yet``.
- Nothing of a solution (code lines, model answers) is in the student edition, its outputs or the site; no
  ``# NBVAL_CHECK_OUTPUT`` comment or course-weight verdict line either.
- ``editions --out`` refuses symbolic links inside the output folder, an output in the course's source tree
  and an empty ``--out`` (one line, exit 2), and writes nothing then.
- The site builds; where Chromium and the site assets are installed, every page loads in headless
  Chromium with no console error and every image loaded.
"""

import html
import os
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.editions import (
    BEGIN,
    END,
    HIDDEN,
    has_solution,
    nbgrader_meta,
    source_notebooks,
    strip_solutions,
    student_notebook,
)

NOTEBOOKS = source_notebooks()
VERDICT = re.compile(r"^(PASS|NOT YET): .*$", re.M)


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _cells(nb, kind):
    """Solution ('solution'), autograded test ('test') or manually graded ('manual') cells of ``nb``."""
    out = []
    for c in nb.cells:
        m = nbgrader_meta(c)
        if (kind == "solution" and m.get("solution") and not m.get("grade")) or (
            kind == "test" and m.get("grade") and not m.get("solution")) or (
            kind == "manual" and m.get("grade") and m.get("solution")):  # fmt: skip
            out.append(c)
    return out


def test_strip_solutions_keeps_indentation_and_code_around():
    src = f"def f(x):\n    {BEGIN}\n    y = x + 1\n    return y\n    {END}\n\n\ncheck(f)\n"
    assert (
        strip_solutions(src)
        == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n\ncheck(f)\n"
    )
    two = f"{BEGIN}\na = 1\n{END}\nb = 2\nfor i in r:\n        {BEGIN}\n        c = i\n        {END}\n"
    assert strip_solutions(two) == (
        "# YOUR CODE HERE\nraise NotImplementedError()\nb = 2\nfor i in r:\n"
        "        # YOUR CODE HERE\n        raise NotImplementedError()\n"
    )
    assert strip_solutions(f"Why?\n{BEGIN}\nBecause.\n{END}", "markdown") == "Why?\nYOUR ANSWER HERE"


@pytest.mark.parametrize("src", [f"{BEGIN}\nx = 1\n", f"x = 1\n{END}\n", f"{END}\nx\n{BEGIN}\n"])
def test_unbalanced_or_misordered_markers_are_refused(src):
    with pytest.raises(ValueError, match="marker"):
        strip_solutions(src)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_nbgrader_metadata(path):
    """Each exercise: a solution cell, then a locked test cell with points and hidden tests; ids unique."""
    nb = nbformat.read(path, as_version=4)
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_id"
    for k, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if has_solution(cell.source) or HIDDEN[0] in cell.source:
            assert meta, f"{path.name} cell {k}: solution or hidden tests outside an nbgrader cell"
        if meta and meta.get("schema_version") != 3:
            raise AssertionError(
                f"{path.name} cell {k}: nbgrader schema_version {meta.get('schema_version')}"
            )
        if cell.cell_type == "code" and meta.get("solution"):
            test = nb.cells[k + 1]
            tmeta = nbgrader_meta(test)
            assert tmeta.get("grade") and tmeta.get("locked") and tmeta.get("points", 0) > 0, (path.name, k)
            assert test.source.count(HIDDEN[0]) == 1 and test.source.count(HIDDEN[1]) == 1, (path.name, k)
            visible = test.source.split(HIDDEN[0])[0]
            assert "graded_against" not in visible and "_model" not in visible, (path.name, k)
    written = _cells(nb, "manual")
    assert len(written) >= 2 and all(c.cell_type == "markdown" and has_solution(c.source) for c in written)
    assert any("written" in nbgrader_meta(c)["grade_id"] for c in written), (
        f"{path.name}: no written exercise"
    )
    assert nbgrader_meta(nb.cells[-1])["grade_id"].startswith("questions_"), f"{path.name}: no model answers"
    assert nb.cells[-2].source.startswith("## Recap, questions and references")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_instructor_edition_stored_verdicts_pass(path):
    """Each test cell of the stored (class-run) notebook ends with PASS; it is checked by nbval at ci."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in _cells(nb, "test") if c.cell_type == "code"]
    assert cells, f"{path.name} has no exercise with a test"
    for cell in cells:
        assert "NBVAL_CHECK_OUTPUT" in cell.source, cell.source[:80]
        verdicts = VERDICT.findall(_text(cell))
        assert verdicts and verdicts[-1] == "PASS", (
            f"{path.name}: {cell.source[:120]!r} -> {_text(cell)[-300:]}"
        )


def test_the_course_has_its_exercises():
    count = sum(len(_cells(nbformat.read(p, as_version=4), "test")) for p in NOTEBOOKS)
    assert count >= 29


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_student_edition_runs_and_every_exercise_says_not_yet(path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_BUDGET", "ci")
    student = student_notebook(nbformat.read(path, as_version=4))
    text = nbformat.writes(student)
    assert (
        BEGIN not in text and END not in text and "### BEGIN" not in text and "NBVAL_CHECK_OUTPUT" not in text
    )
    NotebookClient(student, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    stubs = [c for c in _cells(student, "solution") if c.cell_type == "code"]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)
    for cell in _cells(student, "test"):
        verdicts = VERDICT.findall(_text(cell))
        last = [line for line in _text(cell).splitlines() if line.startswith(("PASS", "NOT YET"))][-1]
        assert verdicts[-1] == "NOT YET" and "not written yet" in last, f"{path.name}: {last}"


# ------------------------------------------------------------------------------------------- leaks
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _regions(source: str):
    return re.findall(rf"{re.escape(BEGIN)}[^\n]*\n(.*?)\n[^\n]*{re.escape(END)}", source, re.S)


def _solution_fragments(nb):
    """Pieces of every solution region that the student must not see: each code line without its comment
    (24-character windows of it, whitespace removed) and each sentence of a model answer. Code that the
    notebook shows outside solutions and hidden tests (a first guess, a helper, a tool the exercise's statement
    names) is not a leak; hints are not exempt."""
    statements = [
        c
        for c, nxt in zip(nb.cells, nb.cells[1:])
        if c.cell_type == "markdown" and nbgrader_meta(nxt).get("solution")
    ]
    shown = "".join(
        _squash(
            re.sub(
                rf"{re.escape(BEGIN)}.*?{re.escape(END)}|{HIDDEN[0]}.*?{HIDDEN[1]}", "", c.source, flags=re.S
            )
        )
        for c in nb.cells
        if c.cell_type == "code" or any(c is s for s in statements)
    )
    fragments = set()
    for cell in nb.cells:
        for region in _regions(cell.source):
            if cell.cell_type == "code":
                for line in region.splitlines():
                    code = _squash(line.split("  #")[0].split("# ")[0] if "#" in line else line)
                    windows = (
                        [code[i : i + 24] for i in range(max(len(code) - 23, 1))] if len(code) >= 12 else []
                    )
                    fragments |= {w for w in windows if w not in shown}
            else:
                fragments |= {_squash(s) for s in re.split(r"(?<=[.:;])\s", region) if len(s) >= 40}
    return fragments


def _student_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [
                v for k, v in out.get("data", {}).items() if k.startswith("text/") and isinstance(v, str)
            ]
    return _squash("\n".join(parts))


def _page_text(page: Path) -> str:
    return _squash(html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    from course_lib.__main__ import main

    out = tmp_path_factory.mktemp("handout")
    assert main(["editions", "--out", str(out), "--site"]) == 0
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_no_solution_leaks_into_the_student_edition_or_the_site(path, handout):
    source = nbformat.read(path, as_version=4)
    fragments = _solution_fragments(source)
    assert len(fragments) > 20, f"{path.name}: the leak test found almost nothing to look for"
    student = nbformat.read(handout / "student" / path.name, as_version=4)
    for where, text in (("student edition", _student_text(student)),
                        ("site", _page_text(handout / "site" / f"{path.stem}.html"))):  # fmt: skip
        leaked = sorted(f for f in fragments if f in text)
        assert not leaked, f"{path.name}: {len(leaked)} solution fragments in the {where}, e.g. {leaked[:3]}"
        assert "BEGINHIDDENTESTS" not in text and "graded_against" not in text
        assert not re.search(r"(check|ex)\.(\w*_reference|overlap_counts)\(", text), (
            f"{path.name}: a reference in the {where}"
        )
    printed = "".join(o.get("text", "") for c in student.cells for o in c.get("outputs", []))
    assert not re.search(r"^NOTE: ", printed, re.M), f"{path.name}: an instructor NOTE in the outputs"
    raw = (handout / "student" / path.name).read_text()
    assert "NBVAL_CHECK_OUTPUT" not in raw and not re.search(r"(PASS|NOTE): [^\n]*course weights", raw)


def test_leak_test_finds_a_planted_leak():
    """The fragment search is not vacuous: a hint that quotes a solution line is caught."""
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and has_solution(c.source))
    line = next(x for x in _regions(cell.source)[0].splitlines() if len(x.strip()) > 20)
    student = student_notebook(nb)
    student.cells.append(nbformat.v4.new_markdown_cell(f"Hint: `{line.strip()}`"))
    assert any(f in _student_text(student) for f in _solution_fragments(nb))


# ------------------------------------------------------------------------------------------- command
def test_editions_command_writes_both_editions(handout):
    for path in NOTEBOOKS:
        student = (handout / "student" / path.name).read_text()
        instructor = (handout / "instructor" / path.name).read_text()
        assert (
            BEGIN not in student
            and "raise NotImplementedError()" in student
            and "YOUR ANSWER HERE" in student
        )
        assert BEGIN in instructor and HIDDEN[0] in instructor
    assert (handout / "site" / "index.html").is_file()


def test_editions_refuses_symlinks_and_the_source_tree(tmp_path, capsys):
    from course_lib.__main__ import main

    (tmp_path / "file").write_text("x")
    assert main(["editions", "--out", str(tmp_path / "file")]) == 2
    before = {p: p.read_bytes() for p in NOTEBOOKS}
    cases = []
    linked = tmp_path / "linked"  # DIR/student -> notebooks/ (the review's repro)
    linked.mkdir()
    (linked / "student").symlink_to(NOTEBOOKS[0].parent, target_is_directory=True)
    cases.append(linked)
    one = tmp_path / "one"  # a notebook symlink inside DIR/instructor -> a file outside DIR
    (one / "instructor").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (one / "instructor" / NOTEBOOKS[0].name).symlink_to(victim)
    cases.append(one)
    site = tmp_path / "site_link"  # DIR/site/index.html -> a file outside DIR
    (site / "site").mkdir(parents=True)
    (site / "site" / "index.html").symlink_to(victim)
    for out in cases:
        capsys.readouterr()
        assert main(["editions", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "symbolic link" in err, err
        assert not (out / "student").is_dir() or (out / "student").is_symlink()
    assert main(["editions", "--out", str(site), "--site"]) == 2
    for inside in (
        NOTEBOOKS[0].parent,
        NOTEBOOKS[0].parent / "handout",
        Path(__file__).resolve().parents[1] / "course_lib",
        Path(__file__).resolve().parents[1],  # DIR/instructor would land in the repository's instructor/
    ):
        capsys.readouterr()
        assert main(["editions", "--out", str(inside)]) == 2
        assert "source tree" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["editions", "--out", ""]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out is empty" in err
    assert victim.read_text() == "precious"
    assert {p: p.read_bytes() for p in NOTEBOOKS} == before
    assert not (NOTEBOOKS[0].parent / "handout").exists()


def test_site_builds_and_links_every_chapter(handout):
    site = handout / "site"
    index = (site / "index.html").read_text()
    assert 'href="syllabus.html"' in index
    syllabus = (site / "syllabus.html").read_text()
    assert "<table>" in syllabus and all(f'href="{p.stem}.html"' in syllabus for p in NOTEBOOKS)
    for path in NOTEBOOKS:
        assert f'href="{path.stem}.html"' in index
        page = (site / f"{path.stem}.html").read_text()
        assert 'href="index.html"' in page
        assert BEGIN not in page  # the site shows the student edition
    second = (site / f"{NOTEBOOKS[1].stem}.html").read_text()
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
    notebooks = {p.with_suffix(".html").name: p for p in NOTEBOOKS}
    with_widgets = [
        n
        for n in reports
        if n in notebooks and "widgets" in nbformat.read(notebooks[n], as_version=4).metadata
    ]
    assert all(reports[n]["widgets"] > 0 for n in with_widgets), {
        n: reports[n]["widgets"] for n in with_widgets
    }


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
        assert set(minutes) >= {"ci", "class"}, (
            f"{path.name}: run benchmarks/notebook_times.py (--record / --store)"
        )
        row = re.search(rf"^\| `{path.stem}` \|.*\| ([\d.]+) \| ([\d.]+) \|$", readme, re.M)
        assert row, f"README's course map has no row for {path.stem}"
        assert (float(row.group(1)), float(row.group(2))) == (minutes["ci"], minutes["class"]), path.name
        stated = re.search(r"computing: \*\*([\d.]+) minutes\*\*", nb.cells[0].source)
        assert stated and float(stated.group(1)) == minutes["class"], path.name
        sections = nb.metadata["course"].get("section_minutes")
        assert sections, f"{path.name}: no per-section minutes (benchmarks/notebook_times.py --store)"
        line = re.search(
            r"^\*\*Per section\*\* \(computing minutes at `class`\): (.*)$", nb.cells[0].source, re.M
        )
        assert line, f"{path.name}: the first cell does not state the per-section minutes"
        assert [float(m) for m in re.findall(r" ([\d.]+)(?: ·|$)", line.group(1))] == [m for _, m in sections]
        # the cells' own time is part of the notebook's wall time (kernel start-up is the rest)
        assert sum(m for _, m in sections) <= minutes["class"] + 0.05 * len(sections), path.name


def test_every_notebook_closes_with_recap_questions_and_references():
    for path in NOTEBOOKS:
        last = nbformat.read(path, as_version=4).cells[
            -2
        ]  # the last is the (graded) answers to the questions
        assert last.cell_type == "markdown" and last.source.startswith("## Recap, questions and references")
        assert "**Questions.**" in last.source and re.search(r"\n1\. .*\n2\. ", last.source)
        assert "https://" in last.source, f"{path.name}: references without links"
