"""Wall-clock minutes of every notebook, executed end to end under a budget (for the README's course map).

    python benchmarks/notebook_times.py --budget ci class --json runs/notebook_times.json
    python benchmarks/notebook_times.py --budget ci --record            # the ci minutes into each notebook
    python benchmarks/notebook_times.py --budget class --store          # also store the outputs in notebooks/

Each notebook runs in a fresh kernel with ``COURSE_BUDGET`` set; outputs go to a temporary copy (or to
``--keep DIR``); ``--store`` (one budget only) writes the executed notebooks back over ``notebooks/`` with the
run's minutes, date and machine in ``metadata.course``, so the outputs a reader sees, the site's course map and
the minutes in the README come from the same run.

Minutes depend on the machine much more than on its core count: on AVX-512 Xeons MindSpore's oneDNN falls back
to a reference convolution 100-200x slower unless ``ONEDNN_MAX_CPU_ISA=AVX2`` is set before its first op
(``course_lib`` sets it). So the JSON records the CPU model, the ISA cap in force, the milliseconds of one
reference convolution in a fresh process (``course_lib.device.time_reference_conv``) and the budget each
notebook actually printed (its first cell prints ``course_lib.budget()``). Compare minutes only between
machines whose reference convolution times agree.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def reference_conv_ms(env) -> float:
    """One 3x3 conv, 64 -> 64 channels on (4, 64, 64, 64), in a fresh process with ``env`` (milliseconds)."""
    code = "import course_lib; print(course_lib.device.time_reference_conv() * 1000)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(notebook: Path, budget: str, timeout: int, out_dir: Path) -> tuple:
    """Execute ``notebook`` into ``out_dir``; (seconds, the budget name its first cell printed)."""
    env = dict(os.environ, COURSE_BUDGET=budget, GLOG_v="3")
    start = time.perf_counter()
    # nbconvert, with the client's missed-wake-up stall mended (course_lib/kernel_wakeup.py)
    nbconvert = "import sys, course_lib.kernel_wakeup as k; k.install(); from nbconvert.nbconvertapp import main; sys.exit(main())"
    subprocess.run(
        [sys.executable, "-c", nbconvert, "--to", "notebook", "--execute",
         f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", str(out_dir), str(notebook)],
        check=True, env=env, cwd=notebook.parent, capture_output=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    printed = re.search(r"Budget\(name='(\w+)'", (out_dir / notebook.name).read_text())
    return seconds, printed.group(1) if printed else "?"


COMPUTING = re.compile(r"computing: \*\*[\d.]+ minutes\*\*")
PER_SECTION = re.compile(r"\n\*\*Per section\*\*[^\n]*")


def section_minutes(nb) -> dict:
    """Computing minutes per ``## `` section, from the cell timestamps nbclient stores in
    ``metadata.execution`` (the set-up cells before the first section count as "set-up")."""
    from datetime import datetime

    def stamp(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    sections, current = {}, "set-up"
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            current = cell.source.splitlines()[0][3:].strip()
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            seconds = (stamp(timing["shell.execute_reply"]) - stamp(timing["iopub.execute_input"])).total_seconds()
            sections[current] = sections.get(current, 0.0) + seconds
    return {name: round(s / 60, 1) for name, s in sections.items()}


def record(stored: Path, budget: str, seconds: float, results: dict) -> None:
    """Write the run's minutes into ``metadata.course.minutes[budget]`` of the notebook (with the date,
    machine and reference conv time of the stored run); for the ``class`` budget also the "computing: **N
    minutes**" of its first cell. The site's course map, the README table and the tests read them there."""
    import nbformat

    nb = nbformat.read(stored, as_version=4)
    course = nb.metadata.setdefault("course", {})
    course.setdefault("minutes", {})[budget] = round(seconds / 60, 1)
    if budget == "class":
        course.update(date=results["date"], machine=results["machine"],
                      reference_conv_ms=results["reference_conv_ms"])  # fmt: skip
        first = nb.cells[0]
        first.source = COMPUTING.sub(f"computing: **{seconds / 60:.1f} minutes**", first.source)
        per_section = section_minutes(nb)
        if per_section:  # only a stored run (--store) has the cells' timestamps
            course["section_minutes"] = [[name, m] for name, m in per_section.items()]  # a list keeps the order
            line = "\n**Per section** (computing minutes at `class`): " + " · ".join(
                f"{'§' + name.split('.')[0] if name[0].isdigit() else name} {m}" for name, m in per_section.items()
            )
            first.source = PER_SECTION.sub("", first.source).rstrip("\n")
            time_line = next(i for i, t in enumerate(first.source.split("\n")) if t.startswith("**Time:**"))
            lines = first.source.split("\n")
            lines.insert(time_line + 1, line.strip("\n"))
            first.source = "\n".join(lines)
    nbformat.write(nb, stored)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", nargs="+", default=["ci", "class"])
    parser.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 00 04")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the executed notebooks in KEEP/BUDGET/")
    parser.add_argument("--store", action="store_true", help="write the executed notebooks over notebooks/")
    parser.add_argument("--record", action="store_true",
                        help="write only the minutes into the notebooks' metadata (e.g. for --budget ci)")  # fmt: skip
    args = parser.parse_args()
    if args.store and len(args.budget) != 1:
        parser.error("--store needs exactly one --budget (the outputs a reader will see)")
    books = sorted(
        p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not args.only or p.name[:2] in args.only
    )
    env = dict(os.environ, GLOG_v="3")
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores",
        "ONEDNN_MAX_CPU_ISA": os.environ.get("ONEDNN_MAX_CPU_ISA", "unset (course_lib sets AVX2)"),
        "reference_conv_ms": round(reference_conv_ms(env), 1),
        "seconds": {},
        "budget_printed": {},
    }
    print(f"{results['machine']}; reference conv {results['reference_conv_ms']} ms")
    print(f"{'notebook':45s} " + " ".join(f"{b:>8s}" for b in args.budget) + "   (minutes)")
    for nb in books:
        results["seconds"][nb.name], results["budget_printed"][nb.name] = {}, {}
        for b in args.budget:
            with tempfile.TemporaryDirectory() as tmp:
                out = NOTEBOOKS if args.store else (args.keep / b if args.keep else Path(tmp))
                out.mkdir(parents=True, exist_ok=True)
                seconds, printed = run(nb, b, args.timeout, out)
            if printed != b:
                print(f"warning: {nb.name} printed budget {printed!r}, not {b!r}", file=sys.stderr)
            results["seconds"][nb.name][b] = round(seconds, 1)
            results["budget_printed"][nb.name][b] = printed
            if args.store or args.record:
                record(NOTEBOOKS / nb.name, b, seconds, results)
        times = results["seconds"][nb.name]
        print(f"{nb.name:45s} " + " ".join(f"{times[b] / 60:8.1f}" for b in args.budget), flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
