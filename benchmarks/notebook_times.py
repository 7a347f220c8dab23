"""Wall-clock minutes of every notebook, executed end to end under a budget (for the README's course map).

    python benchmarks/notebook_times.py --budget ci class --json runs/notebook_times.json

Each notebook runs in a fresh kernel with ``COURSE_BUDGET`` set; outputs go to a temporary copy (or to
``--keep DIR``), the stored notebooks are not touched. Prints a table (minutes) and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(notebook: Path, budget: str, timeout: int, keep: Path = None) -> float:
    env = dict(os.environ, COURSE_BUDGET=budget, GLOG_v="3")
    with tempfile.TemporaryDirectory() as tmp:
        out = keep / budget if keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", str(out), str(notebook)],
            check=True, env=env, cwd=notebook.parent, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", nargs="+", default=["ci", "class"])
    parser.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 00 04")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the executed notebooks in KEEP/BUDGET/")
    args = parser.parse_args()
    books = sorted(
        p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not args.only or p.name[:2] in args.only
    )
    results = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.processor() or platform.machine()}, "
               f"{os.cpu_count()} cores", "seconds": {}}  # fmt: skip
    print(f"{'notebook':45s} " + " ".join(f"{b:>8s}" for b in args.budget) + "   (minutes)")
    for nb in books:
        times = {b: run(nb, b, args.timeout, args.keep) for b in args.budget}
        results["seconds"][nb.name] = times
        print(f"{nb.name:45s} " + " ".join(f"{times[b] / 60:8.1f}" for b in args.budget), flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
