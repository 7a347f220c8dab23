"""nbgrader's own workflow on every notebook, as a teacher runs it.

For each notebook: ``generate_assignment`` into a fresh nbgrader course folder (its SQLite gradebook), then
two submissions are autograded (``autograde`` executes them at ``COURSE_BUDGET=ci``):

- ``solution``: the released notebook with the instructor's solution cells put back: every autograded test
  scores full marks;
- ``planted``: the same with one realistic mistake planted in one exercise (below): exactly that exercise's
  test loses its points, the autograded notebook names it (its hidden test's AssertionError carries the
  checker's diagnosis), and every other test keeps full marks.

The written answers are manually graded cells: autograde leaves them for the teacher (``needs_manual_grade``).
"""

import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_lib.editions import nbgrader_meta, source_notebooks

NOTEBOOKS = source_notebooks()

# notebook -> (exercise grade_id, text of its solution, the planted mistake)
PLANTED = {
    "00": ("ex00_psnr", "10 * np.log10", "20 * np.log10"),
    "01": ("ex01_my_clip", "g * min(1.0, max_norm / norm)", "g * max_norm / norm"),
    "02": ("ex02_channel_attention_np", "x.mean(axis=(2, 3))", "x.max(axis=(2, 3))"),
    "03": ("ex03_offsets_to_mindspore", "np.concatenate([dx, dy, mask]", "np.concatenate([dy, dx, mask]"),
    "04": ("ex04_dcp_recover", "np.maximum(t, t0)[..., None]", "t[..., None]"),
    "05": ("ex05_my_overlap_counts", "out[i * s : i * s + k] += 1", "out[i : i + k] += 1"),
    "06": ("ex06_edsr_params", "out * inp * 9 + out", "out * inp * 9"),
    "07": ("ex07_le", "x + alpha * x * (1 - x)", "x - alpha * x * (1 - x)"),
    "08": ("ex08_my_transfer_loss", "teacher_feature_of_clear))", "teacher_feature_of_hazy))"),
    "09": ("ex09_my_separable_macs", "c_in * c_out) * h * w", "c_in * c_out)"),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """An nbgrader course folder; the kernels autograde runs see COURSE_BUDGET=ci."""
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.course_id = 'image-restoration'\n"
        "c.Execute.timeout = 900\n"
    )
    old = {k: os.environ.get(k) for k in ("COURSE_BUDGET", "PATH")}
    os.environ["COURSE_BUDGET"] = "ci"
    # nbgrader runs `alembic` (its gradebook's migrations) from PATH: the one beside this Python
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old["PATH"] or ""])
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _api(root):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "image-restoration"
    config.Execute.timeout = 900
    return NbGraderAPI(config=config)


def _submission(released, source, planted=None):
    """The released notebook with each solution cell of ``source`` put back (``planted``: one changed)."""
    answers = {
        nbgrader_meta(c)["grade_id"]: c.source for c in source.cells if nbgrader_meta(c).get("solution")
    }
    nb = nbformat.from_dict(released)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            cell.source = answers[gid]
            if planted and gid == planted[0]:
                assert planted[1] in cell.source, f"the planted mistake no longer fits {gid}"
                cell.source = cell.source.replace(planted[1], planted[2])
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_autograde_full_and_planted_marks(path, course):
    from nbgrader.api import Gradebook

    key = path.stem[:2]
    assignment = f"nb{key}"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(path, course / "source" / assignment / path.name)
    api = _api(course)
    start = time.perf_counter()
    result = api.generate_assignment(assignment)
    assert result["success"], result.get("error", "") + result.get("log", "")
    released = nbformat.read(course / "release" / assignment / path.name, as_version=4)
    assert "### BEGIN" not in nbformat.writes(released)
    source = nbformat.read(path, as_version=4)
    planted = PLANTED[key]
    for student, plant in (("solution", None), ("planted", planted)):
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(_submission(released, source, plant), folder / path.name)
        result = api.autograde(assignment, student)
        assert result["success"], result.get("error", "") + result.get("log", "")[-3000:]
    seconds = time.perf_counter() - start

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {}
        for student in ("solution", "planted"):
            sub = gb.find_submission_notebook(path.stem, assignment, student)
            scores[student] = {
                g.name: (g.auto_score, g.max_score) for g in sub.grades if not g.needs_manual_grade
            }
            manual = [g.name for g in sub.grades if g.needs_manual_grade]
            assert any("written" in m for m in manual) and f"questions_{key}" in manual, manual
    good, bad = scores["solution"], scores["planted"]
    assert good and all(score == top for score, top in good.values()), f"{path.name}: {good}"
    failed = sorted(name for name, (score, top) in bad.items() if score < top)
    assert failed == [planted[0] + "_test"], f"{path.name}: the planted mistake failed {failed}"
    assert sum(s for s, _ in bad.values()) == sum(s for s, _ in good.values()) - good[failed[0]][1]

    graded = nbformat.read(course / "autograded" / "planted" / assignment / path.name, as_version=4)
    cell = next(c for c in graded.cells if nbgrader_meta(c).get("grade_id") == failed[0])
    error = [o for o in cell.outputs if o.output_type == "error"]
    assert error and error[0].ename == "AssertionError" and error[0].evalue, f"{path.name}: {cell.outputs}"
    assert not re.search(r"reference|BEGIN", error[0].evalue), error[0].evalue
    print(f"{path.name}: generate + 2 autogrades in {seconds:.0f} s; planted mistake -> {error[0].evalue}")
