"""Frames per second of Zero-DCE++ (scale 12) on a 1200x900 image, compiled (GRAPH_MODE via ms.jit).

    python benchmarks/zero_dce_speed.py                       # Zero-DCE++ scale 12, 1200x900, 10 runs
    python benchmarks/zero_dce_speed.py --models zero_dce_pp zero_dce --repeats 5 --json out.json

The paper (TPAMI 2021, arXiv 2103.00860) reports 11 FPS on CPU and 1000 FPS on one GPU at 1200x900x3.
Each row: one warm-up call (compilation) timed separately, then the median and best of ``--repeats``
calls, each ending with ``.asnumpy()`` (so the time includes the copy back to the host). The weights
are random (speed does not depend on them). ``zero_dce`` (79k parameters, ~85 GMACs at this size) is
much slower on a CPU; include it only if you have a minute to spare.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
# isort: off
import course_lib  # noqa: E402  (sets the oneDNN ISA cap: must come before MindSpore)
import mindspore as ms  # noqa: E402
from course_lib.models.zero_dce import ZeroDCE, ZeroDCEPP  # noqa: E402

# isort: on

BUILDERS = {
    "zero_dce_pp": lambda scale: ZeroDCEPP(scale_factor=scale),
    "zero_dce": lambda scale: ZeroDCE(),
}


def time_model(name, height, width, scale, repeats):
    net = BUILDERS[name](scale)
    net.set_train(False)

    @ms.jit
    def enhance(x):
        return net(x)[0]

    x = ms.Tensor(np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32) * 0.2)
    start = time.perf_counter()
    enhance(x).asnumpy()
    warmup = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        enhance(x).asnumpy()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "model": name,
        "scale": scale if name == "zero_dce_pp" else 1,
        "size": f"{width}x{height}",
        "params": int(sum(p.size for p in net.get_parameters())),
        "warmup_s": round(warmup, 3),
        "median_ms": round(median * 1000, 1),
        "best_ms": round(min(times) * 1000, 1),
        "fps": round(1 / median, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["zero_dce_pp"], choices=sorted(BUILDERS))
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--scale", type=int, default=12, help="Zero-DCE++ scale_factor (official test: 12)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="auto", help="auto, CPU, GPU or Ascend")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    target = course_lib.device.setup(args.device, seed=0, mode="graph", verbose=False)
    rows = [time_model(m, args.height, args.width, args.scale, args.repeats) for m in args.models]
    header = (
        f"{'model':12s} {'scale':>5s} {'size':>9s} {'params':>7s} {'warm-up s':>9s} {'median ms':>9s} "
        f"{'FPS':>7s}"
    )
    print(f"device: {target} ({platform.processor() or platform.machine()}), MindSpore {ms.__version__}")
    print(header)
    for r in rows:
        print(
            f"{r['model']:12s} {r['scale']:5d} {r['size']:>9s} {r['params']:7d} {r['warmup_s']:9.2f} "
            f"{r['median_ms']:9.1f} {r['fps']:7.2f}"
        )
    result = {"device": target, "mindspore": ms.__version__, "rows": rows}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
