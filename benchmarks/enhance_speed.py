"""``enhance`` on a folder of photos: the first photo's latency and the seconds per photo after it, per method.

Each method runs the real command line in a fresh process, ``python -m course_lib enhance METHOD --weights
course IN_DIR OUT_DIR``, on a folder of ``--count`` photos of 640x480 (the bundled photos, resized and flipped
into distinct images). Latency is the whole process up to the first photo written (interpreter, MindSpore
import, weights, compilation, the photo); the per-photo time is the rest of the folder divided by the photos in
it; the process's CPU time (user + system) is given too, as a busy machine stretches wall time. The
command prints its own timings (``wrote N image(s) ... in X s (first Y s)``); the process's wall time
gives the start-up before them. HDR methods take brackets, not single photos, and are not timed here::

    python benchmarks/enhance_speed.py                          # every method with course weights
    python benchmarks/enhance_speed.py aecrnet_dcp csd --json docs/enhance_speed.json
    python benchmarks/enhance_speed.py --count 5 --mode pynative espcn
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from notebook_times import cpu_model  # benchmarks/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (method, extra enhance arguments): every method with course weights that takes one photo
DEFAULT = [("aecrnet", []), ("aecrnet_dcp", []), ("ktdn_dcp", []), ("srktdn_dcp", []), ("zero_dce", []), ("zero_dce_pp", []),
           ("espcn", []), ("edsr", []), ("csd", []), ("csd", ["--width", "0.25"])]  # fmt: skip
TIMINGS = re.compile(r"wrote (\d+) image\(s\) to .* in ([\d.]+) s \(first ([\d.]+) s\)")


def write_photos(folder: Path, count: int, size=(640, 480)) -> None:
    """``count`` distinct 640x480 PNGs from the bundled photos (resized, flipped, rolled)."""
    from PIL import Image

    from course_lib.data import photo, photo_names

    names = photo_names()
    folder.mkdir(parents=True)
    for i in range(count):
        img = Image.fromarray(np.round(photo(names[i % len(names)]) * 255).astype(np.uint8)).resize(size, Image.BICUBIC)
        a = np.asarray(img)
        a = a[:, ::-1] if (i // len(names)) % 2 else a
        Image.fromarray(np.ascontiguousarray(np.roll(a, 37 * (i // (2 * len(names))), axis=1))).save(
            folder / f"photo_{i:02d}.png"
        )


def time_method(method: str, extra: list, photos: Path, out: Path, mode: str) -> dict:
    command = [sys.executable, "-m", "course_lib", "enhance", method, "--weights", "course", *extra, "--mode", mode,
               str(photos), str(out)]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    start, cpu_start = time.perf_counter(), _children_cpu()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu_start
    found = TIMINGS.search(proc.stdout)
    if proc.returncode != 0 or not found:
        raise SystemExit(f"{method}: enhance failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    n, loop, first = int(found.group(1)), float(found.group(2)), float(found.group(3))
    return {"method": method + (" " + " ".join(extra) if extra else ""), "photos": n,
            "first_photo_latency_s": round(wall - (loop - first), 2),
            "seconds_per_photo_after_first": round((loop - first) / max(n - 1, 1), 3),
            "process_wall_s": round(wall, 1), "process_cpu_s": round(cpu, 1)}  # fmt: skip


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (less sensitive to a busy machine than wall time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("methods", nargs="*", help="methods to time (default: every method with course weights)")
    parser.add_argument("--count", type=int, default=20, help="photos in the folder (default 20)")
    parser.add_argument("--mode", choices=("graph", "pynative"), default="graph")
    parser.add_argument("--json", default=None, help="also write the rows and the machine to this file")
    args = parser.parse_args(argv)
    todo = [(m, e) for m, e in DEFAULT if not args.methods or m in args.methods]
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        write_photos(Path(tmp) / "photos", args.count)
        for i, (method, extra) in enumerate(todo):
            rows.append(time_method(method, extra, Path(tmp) / "photos", Path(tmp) / f"out{i}", args.mode))
            print(rows[-1], file=sys.stderr, flush=True)
    print(f"| method | first photo (s) | per photo after it (s) | {args.count} photos, wall (s) | CPU time (s) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r['method']}` | {r['first_photo_latency_s']:.1f} | {r['seconds_per_photo_after_first']:.2f} | "
              f"{r['process_wall_s']:.0f} | {r['process_cpu_s']:.0f} |")  # fmt: skip
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg(),
               "python": platform.python_version(), "mode": args.mode, "date": time.strftime("%Y-%m-%d")}  # fmt: skip
    print(f"\n{machine}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
    return 0



if __name__ == "__main__":
    sys.exit(main())
