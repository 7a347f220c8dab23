"""Milliseconds per forward + backward of the deformable 3x3 conv: bilinear-sampling form vs the MindSpore op.

    python benchmarks/deform_speed.py                 # batch 4, 64 -> 64 channels, 32x32 and 128x128
    python benchmarks/deform_speed.py --sizes 32 --repeats 5 --mode pynative

Each row times one call of the gradient of sum(y * g) wrt (x, weight, offset_mask), y = DCN(x), with
random non-integer offsets and masks, best of ``--repeats`` calls after one warm-up (compilation) call.
'sampling' is ``deform_conv2d_by_sampling`` (gather + matmul), 'sampling+conv' the ports' form (taps
expanded to a (3H, 3W) map, then a stride-3 conv), 'op' is ``ops.deformable_conv2d``. The winner is what
``course_lib.layers.deform.deform_conv2d`` names. A row whose warm-up call exceeds ``--max-seconds`` is
reported as such and not repeated.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
# isort: off
import course_lib  # noqa: E402, F401  (sets the oneDNN ISA cap: must come before MindSpore)
import mindspore as ms  # noqa: E402
from mindspore import ops  # noqa: E402
from course_lib.layers.deform import deform_conv2d_by_sampling, deform_conv2d_op, expand_taps  # noqa: E402

# isort: on


def _sampling_conv(x, weight, offset_mask, bias=None, stride=1, padding=1):
    y = ops.conv2d(expand_taps(x, offset_mask, stride, padding), weight, stride=3)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


IMPLS = {"sampling": deform_conv2d_by_sampling, "sampling+conv": _sampling_conv, "op": deform_conv2d_op}


def time_impl(fn, batch, channels, size, repeats, mode, max_seconds):
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((batch, channels, size, size), dtype=np.float32))
    w = ms.Tensor(rng.standard_normal((channels, channels, 3, 3), dtype=np.float32) * 0.05)
    om = np.concatenate(
        [rng.uniform(-2, 2, (batch, 18, size, size)), rng.uniform(0, 1, (batch, 9, size, size))], axis=1
    )
    om = ms.Tensor(om.astype(np.float32))
    g = ms.Tensor(rng.standard_normal((batch, channels, size, size), dtype=np.float32))

    def objective(x, w, om):
        return (fn(x, w, om) * g).sum()

    step = ms.grad(objective, grad_position=(0, 1, 2))
    if mode == "graph":
        step = ms.jit(step)
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        grads = step(x, w, om)
        for t in grads:
            t.asnumpy()
        times.append(time.perf_counter() - start)
        if i == 0 and times[0] > max_seconds:
            return {"first_call_s": times[0], "ms": None}
    return {"first_call_s": times[0], "ms": 1000 * min(times[1:])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", choices=("graph", "pynative"), default="graph")
    parser.add_argument("--impls", nargs="+", default=list(IMPLS), choices=list(IMPLS))
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--device", default="CPU")
    args = parser.parse_args(argv)
    ms.set_device(args.device)
    rows = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"forward+backward, batch {args.batch}, {args.channels}->{args.channels} ch, mode {args.mode}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} (timings on a busy machine are noisy)"
    )
    print(f"{'size':>6} {'impl':>14} {'ms/call':>10} {'first call s':>13}")
    for size in args.sizes:
        for name in args.impls:
            r = time_impl(
                IMPLS[name], args.batch, args.channels, size, args.repeats, args.mode, args.max_seconds
            )
            rows.append({"size": size, "impl": name, **r})
            ms_txt = "n/a" if r["ms"] is None else f"{r['ms']:.1f}"
            print(f"{size:>6} {name:>14} {ms_txt:>10} {r['first_call_s']:>13.2f}", flush=True)
    print(json.dumps(rows))
    return rows


if __name__ == "__main__":
    main()
