"""What a reader sees without running anything: the outputs stored in the notebooks.

nbval executes every notebook at the ``ci`` budget but compares only the deterministic cells; these tests
read the *stored* outputs, the ones the rendered course shows, and fail when they contradict the text:

* they come from a ``class`` (or ``full``) run, never from a 12-step ``ci`` run;
* no stored error;
* no colour panel of ``viz.show`` is a flat field (an untrained network's grey output): its standard deviation
  is stored with the picture (``viz.PANELS_KEY``). Single-channel maps (attention, transmission) are
  quantities that may legitimately be flat, and are not checked;
* no stored verdict says ``FAIL``: result cells state their claim as a checked line ("PASS: ESPCN beats
  bicubic by +1.06 dB"), so a table whose method loses to its baseline under a cell that says it wins fails;
* the figure rules (``course_lib.viz``): dpi >= 100; image panels >= 3 in wide unless they show a zoomed
  crop; a colour bar on every single-channel map, and no near-constant map; no one-box architecture
  diagram; a matplotlib figure without the record ``viz`` stores is at least 400 pixels wide.
"""

import json
import re
from pathlib import Path

import pytest

from course_lib.viz import FIGURE_KEY, PANELS_KEY, ZOOM_PIXELS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FLAT = 0.01  # std of a panel in [0, 1] units; a photo has about 0.2, a grey field below 0.005


def outputs(path):
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        for out in cell.get("outputs", []):
            yield index, out


def text_of(out):
    if out.get("output_type") == "stream":
        return "".join(out.get("text", ""))
    return "".join(out.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_come_from_a_class_run(path):
    budgets = set(re.findall(r"Budget\(name='(\w+)'", "".join(text_of(o) for _, o in outputs(path))))
    assert budgets, f"{path.name}: no stored budget line; execute it with COURSE_BUDGET=class and store it"
    assert budgets <= {"class", "full"}, f"{path.name}: stored outputs come from a {budgets} run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_stored_error_flat_panel_or_failed_claim(path):
    for index, out in outputs(path):
        assert out.get("output_type") != "error", f"{path.name} cell {index}: stored error {out.get('ename')}"
        for panel in out.get("metadata", {}).get(PANELS_KEY, []):
            assert not panel.get("rgb", True) or panel["std"] >= FLAT, (
                f"{path.name} cell {index}: panel {panel['title']!r} is a flat field (std {panel['std']})"
            )
        failed = [line for line in text_of(out).splitlines() if line.startswith("FAIL")]
        assert not failed, f"{path.name} cell {index}: stored result contradicts its claim: {failed[0]}"


def test_every_picture_of_show_carries_its_panel_statistics():
    """The metadata the flat-field test reads is really written by viz.show inside a kernel."""
    import io
    from contextlib import redirect_stdout
    from unittest import mock

    import numpy as np

    from course_lib import viz

    shown = []
    with (
        mock.patch.object(viz, "_in_notebook", return_value=True),
        mock.patch("IPython.display.display", side_effect=lambda obj, metadata=None: shown.append(metadata)),
        redirect_stdout(io.StringIO()),
    ):
        viz.show(
            [np.full((8, 8, 3), 0.5), np.random.default_rng(0).uniform(size=(8, 8, 3))], ["flat", "noise"]
        )
    (panels,) = [m[PANELS_KEY] for m in shown]
    assert [p["title"] for p in panels] == ["flat", "noise"]
    assert panels[0]["std"] == 0.0 and panels[1]["std"] > 0.2


MIN_DPI = 100
MIN_PANEL_INCHES = 3.0
MIN_WIDTH_PX = 400  # a plain matplotlib figure: 4 in at 100 dpi
MAP_FLAT = 0.02  # a map whose std is under 2 % of its colour range shows one colour


def figure_problems(index, out):
    """What breaks the figure rules in one stored output (empty when none, or when it is no picture)."""
    import base64
    import io

    from PIL import Image

    data = out.get("data", {})
    mime = next((m for m in ("image/png", "image/jpeg") if m in data), None)
    if mime is None:
        return []
    meta = out.get("metadata", {})
    figure = meta.get(FIGURE_KEY)
    if figure is None and PANELS_KEY in meta:
        return [f"cell {index}: a viz.show figure stored before the figure rules (no {FIGURE_KEY} record)"]
    if figure is None:
        width = Image.open(io.BytesIO(base64.b64decode(data[mime]))).size[0]
        return [
            f"cell {index}: a {width}-pixel-wide figure (draw it at dpi >= {MIN_DPI}, {MIN_WIDTH_PX} px or more)"
        ] * (width < MIN_WIDTH_PX)
    problems = [f"cell {index}: dpi {figure['dpi']:g} < {MIN_DPI}"] * (figure["dpi"] < MIN_DPI)
    if figure["kind"] == "architecture" and figure.get("boxes", 0) < 3:
        problems.append(
            f"cell {index}: a diagram of {figure.get('boxes')} box(es): draw the network's blocks"
        )
    for panel in meta.get(PANELS_KEY, []):
        name = f"cell {index}: panel {panel['title']!r}"
        if panel.get("inches", 0) < MIN_PANEL_INCHES and panel.get("pixels", [1e9])[0] > ZOOM_PIXELS:
            problems.append(f"{name} is {panel.get('inches')} in wide: 3 in or more, or show a zoomed crop")
        if not panel["rgb"]:
            if not panel.get("colorbar"):
                problems.append(f"{name} is a map without a colour bar")
            if panel.get("range", 0) <= 0 or panel["std"] < MAP_FLAT * panel["range"]:
                problems.append(
                    f"{name} is a near-constant map (std {panel['std']}, range {panel.get('range')})"
                )
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_figures_follow_the_figure_rules(path):
    """Fails on notebooks stored before the figure rules (dpi 72, 2-inch panels) until they are re-stored."""
    problems = [p for index, out in outputs(path) for p in figure_problems(index, out)]
    assert not problems, f"{path.name}: " + "; ".join(problems[:8]) + (" ..." if len(problems) > 8 else "")


def test_figure_rules_catch_thumbnails_bare_maps_and_one_box_diagrams():
    """The rules on hand-made outputs (what a stored notebook holds), and on what viz really stores."""
    import base64
    import io
    from unittest import mock

    import numpy as np
    from PIL import Image

    def png(width):
        buffer = io.BytesIO()
        Image.new("RGB", (width, 50)).save(buffer, format="PNG")
        return {"image/png": base64.b64encode(buffer.getvalue()).decode()}

    def panel(**kw):
        return {"title": "p", "std": 0.2, "rgb": True, "range": 1.0, "colorbar": False, "inches": 3.0,
                "pixels": [300, 400], **kw}  # fmt: skip

    def out(panels=(), kind="show", dpi=100, **figure):
        return {
            "data": png(600),
            "metadata": {PANELS_KEY: list(panels), FIGURE_KEY: {"kind": kind, "dpi": dpi, **figure}},
        }

    assert figure_problems(0, {"data": png(396)})  # a 5.5-in figure at 72 dpi
    assert not figure_problems(0, {"data": png(550)}) and not figure_problems(
        0, {"data": {"text/plain": "x"}}
    )
    assert figure_problems(0, out(dpi=72))
    assert figure_problems(0, out([panel(inches=2.2)]))  # a thumbnail
    assert not figure_problems(0, out([panel(inches=2.2, pixels=[48, 48])]))  # a zoomed crop may be small
    assert figure_problems(0, out([panel(rgb=False, colorbar=False)]))  # a map without its scale
    assert figure_problems(0, out([panel(rgb=False, colorbar=True, std=0.001)]))  # 02's flat PA map
    assert not figure_problems(0, out([panel(rgb=False, colorbar=True)]))
    assert figure_problems(0, out(kind="architecture", boxes=1)) and not figure_problems(
        0, out(kind="architecture", boxes=7)
    )

    from course_lib import viz
    from course_lib.models import REGISTRY

    shown = []
    with (
        mock.patch.object(viz, "_in_notebook", return_value=True),
        mock.patch("IPython.display.display", side_effect=lambda obj, metadata=None: shown.append(metadata)),
    ):
        viz.show(
            [np.random.default_rng(0).uniform(size=(200, 300, 3)), np.linspace(0, 1, 400).reshape(20, 20)]
        )
        viz.architecture(REGISTRY["efficient_hdr"].build(), (1, 9, 32, 32))
    problems = [
        p
        for k, metadata in enumerate(shown)
        for p in figure_problems(k, {"data": png(600), "metadata": metadata})
    ]
    assert problems == [], problems


# The students' own training runs must succeed: each method notebook's class run prints
# "class run: start X dB -> end Y dB (input Z dB)" (another unit for another metric, higher is better), and the
# stored run must end better than it started and not below the untouched input.
CLASS_RUN = re.compile(
    r"^class run: start (-?\d+(?:\.\d+)?) (\S+) -> end (-?\d+(?:\.\d+)?) (\S+) \(input (-?\d+(?:\.\d+)?) (\S+)\)$"
)
CLASS_RUN_NOTEBOOKS = ("01", "02", "04", "05", "06", "07", "08", "09")
MIN_GAIN = {"dB": 0.1}  # "visibly better": at least this much for a PSNR; any gain for other metrics


def class_runs(path):
    """[(cell index, start, end, input, unit)] of every ``class run:`` line in the stored outputs."""
    found = []
    for index, out in outputs(path):
        for line in text_of(out).splitlines():
            if line.startswith("class run:"):
                match = CLASS_RUN.match(line.strip())
                assert match, f"{path.name} cell {index}: malformed class-run line {line!r}"
                start, u1, end, u2, given, u3 = match.groups()
                assert u1 == u2 == u3, f"{path.name} cell {index}: mixed units in {line!r}"
                found.append((index, float(start), float(end), float(given), u1))
    return found


def test_class_run_line_format_is_read_as_written():
    line = "class run: start 12.07 dB -> end 18.60 dB (input 12.46 dB)"
    assert CLASS_RUN.match(line).groups() == ("12.07", "dB", "18.60", "dB", "12.46", "dB")
    assert CLASS_RUN.match("class run: start 0.52 SSIM -> end 0.61 SSIM (input 0.50 SSIM)")
    assert not CLASS_RUN.match("class run: 12.07 -> 18.60 dB")


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if p.name[:2] in CLASS_RUN_NOTEBOOKS], ids=lambda p: p.stem
)
def test_the_students_class_run_ends_better_than_it_started_and_not_below_the_input(path):
    runs = class_runs(path)
    assert runs, f"{path.name}: no stored 'class run: start X dB -> end Y dB (input Z dB)' line"
    for index, start, end, given, unit in runs:
        assert end - start >= MIN_GAIN.get(unit, 1e-9), (
            f"{path.name} cell {index}: the class run does not improve visibly ({start} -> {end} {unit})"
        )
        assert end >= given, (
            f"{path.name} cell {index}: the class run ends below the input ({end} < {given} {unit})"
        )
