"""Wall-clock minutes of every notebook, executed end to end under a budget (for the README's course map).

    python benchmarks/notebook_times.py --budget ci class --json runs/notebook_times.json
    python benchmarks/notebook_times.py --budget class --store          # also store the outputs in notebooks/

Each notebook runs in a fresh kernel with ``COURSE_BUDGET`` set; outputs go to a temporary copy (or to
``--keep DIR``); ``--store`` (one budget only) writes the executed notebooks back over ``notebooks/``, so the
outputs a reader sees and the minutes in the README come from the same run.

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
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", str(out_dir), str(notebook)],
        check=True, env=env, cwd=notebook.parent, capture_output=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    printed = re.search(r"Budget\(name='(\w+)'", (out_dir / notebook.name).read_text())
    return seconds, printed.group(1) if printed else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", nargs="+", default=["ci", "class"])
    parser.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 00 04")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the executed notebooks in KEEP/BUDGET/")
    parser.add_argument("--store", action="store_true", help="write the executed notebooks over notebooks/")
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
        times = results["seconds"][nb.name]
        print(f"{nb.name:45s} " + " ".join(f"{times[b] / 60:8.1f}" for b in args.budget), flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
