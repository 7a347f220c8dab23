"""Milliseconds per training step and peak memory of every registered method: graph vs PyNative (vs PyTorch).

    python benchmarks/train_step.py                        # all methods, batch 4, 64x64 patches
    python benchmarks/train_step.py --methods baseline --steps 10 --json out.json
    python benchmarks/train_step.py --torch-python /path/to/venv-with-torch/bin/python

Each configuration runs in its own process, so its peak resident memory (``ru_maxrss``) is its own: one
``course_lib.train.TrainStep`` (Adam, the method's default loss) on a fixed random batch, ``--warmup``
steps (the first compiles), then the median of ``--steps`` timed steps. Columns:

* graph      - the step compiled in GRAPH_MODE (what ``fit`` uses by default);
* pynative   - the same step eagerly;
* graph+block - the compiled step after ``launch_blocking()`` (does the setting cost graph mode anything?);
* pyn+block  - PyNative after ``mindspore.runtime.launch_blocking()`` (synchronous kernel launch);
* torch      - the same network and loss in PyTorch eager, for methods with a PyTorch twin below, when
  ``--torch-python`` (default: this interpreter) can import torch. torch is not a course dependency.

Memory is the process's peak resident set (``peak_mb``, what the table shows); the JSON also gives the
peak right after importing the framework (``import_mb``), which MindSpore or torch take before any model.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ("graph", "graph+block", "pynative", "pyn+block", "torch")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def time_steps(one_step, warmup: int, steps: int, import_mb: float) -> dict:
    """Run ``one_step`` ``warmup + steps`` times: median ms of the timed steps, first-step s, peak memory."""
    times = []
    for _ in range(warmup + steps):
        t0 = time.perf_counter()
        one_step()  # returns only when the step has finished
        times.append(time.perf_counter() - t0)
    return {
        "ms": 1000 * float(np.median(times[warmup:])),
        "first_s": times[0],
        "peak_mb": rss_mb(),
        "import_mb": import_mb,
    }


def batch_for(kind: str, scale: int, batch: int, patch: int):
    rng = np.random.default_rng(0)
    gt = rng.random((batch, 3, patch, patch), dtype=np.float32)
    lq = rng.random((batch, 3, patch // scale, patch // scale), dtype=np.float32)
    return (lq,) if kind == "unpaired_low_light" else (lq, gt)


def child_mindspore(method: str, column: str, batch: int, patch: int, warmup: int, steps: int) -> dict:
    sys.path.insert(0, str(REPO))
    # isort: off
    import course_lib  # noqa: F401  (oneDNN ISA cap before MindSpore)
    import mindspore as ms
    from mindspore import nn
    from course_lib.models import get_method
    from course_lib.train import TrainStep

    # isort: on

    ms.set_device("CPU")
    if column.endswith("+block"):
        ms.runtime.launch_blocking()
    ms.set_context(mode=ms.GRAPH_MODE if column.startswith("graph") else ms.PYNATIVE_MODE)
    base = rss_mb()
    spec = get_method(method)
    net = spec.build()
    step = TrainStep(net, spec.loss_fn_factory(), nn.Adam(net.trainable_params(), 1e-4))
    data = [ms.Tensor(a) for a in batch_for(spec.data_kind, spec.scale, batch, patch)]
    return time_steps(lambda: step(*data).asnumpy(), warmup, steps, base)


def torch_baseline():
    import torch

    class Baseline(torch.nn.Module):  # course_lib.models.baseline.BaselineCNN
        def __init__(self, num_feat=16):
            super().__init__()
            self.conv_first = torch.nn.Conv2d(3, num_feat, 3, padding=1)
            self.conv_body = torch.nn.Conv2d(num_feat, num_feat, 3, padding=1)
            self.conv_last = torch.nn.Conv2d(num_feat, 3, 3, padding=1)

        def forward(self, x):
            return x + self.conv_last(torch.relu(self.conv_body(torch.relu(self.conv_first(x)))))

    return Baseline(), lambda net, lq, gt: (net(lq) - gt).abs().mean()


TORCH_TWINS = {"baseline": torch_baseline}  # method -> () -> (net, loss(net, *batch)); add twins here


def child_torch(method: str, kind: str, scale: int, batch: int, patch: int, warmup: int, steps: int) -> dict:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    base = rss_mb()
    net, loss_fn = TORCH_TWINS[method]()
    opt = torch.optim.Adam(net.parameters(), 1e-4)
    data = [torch.from_numpy(a) for a in batch_for(kind, scale, batch, patch)]

    def one_step():
        opt.zero_grad()
        loss = loss_fn(net, *data)
        loss.backward()
        opt.step()
        loss.item()

    return time_steps(one_step, warmup, steps, base)


def run_child(python: str, args: list) -> dict:
    env = dict(os.environ, GLOG_v="3")
    proc = subprocess.run(
        [python, __file__, "--child", *args], capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="*", default=None, help="default: every registered method")
    parser.add_argument("--columns", nargs="*", default=list(COLUMNS), choices=COLUMNS)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument(
        "--patch", type=int, default=64, help="high-quality patch side (SR input is patch/scale)"
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--torch-python", default=sys.executable, help="interpreter that has torch installed")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        framework, method, column, kind, scale = args.child
        sizes = (args.batch, args.patch, args.warmup, args.steps)
        if framework == "torch":
            result = child_torch(method, kind, int(scale), *sizes)
        else:
            result = child_mindspore(method, column, *sizes)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(REPO))
    # isort: off
    import course_lib  # noqa: F401
    import mindspore as ms
    from course_lib.models import REGISTRY

    # isort: on

    methods = args.methods or sorted(REGISTRY)
    common = ["--batch", str(args.batch), "--patch", str(args.patch), "--warmup", str(args.warmup),
              "--steps", str(args.steps)]  # fmt: skip
    results = {}
    for method in methods:
        spec = REGISTRY[method]
        results[method] = {}
        for column in args.columns:
            if column == "torch":
                if method not in TORCH_TWINS:
                    continue
                child = ["torch", method, column, spec.data_kind, str(spec.scale)]
                results[method][column] = run_child(args.torch_python, child + common)
            else:
                child = ["mindspore", method, column, spec.data_kind, str(spec.scale)]
                results[method][column] = run_child(sys.executable, child + common)

    print(f"# {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"MindSpore {ms.__version__}, batch {args.batch}, patch {args.patch}, median of {args.steps} steps")  # fmt: skip
    header = "| method | " + " | ".join(f"{c} ms/step" for c in args.columns) + " | " + " | ".join(
        f"{c} peak MB" for c in args.columns
    ) + " |"  # fmt: skip
    print(header)
    print("|" + "---|" * (1 + 2 * len(args.columns)))

    def cell(r, key, fmt):
        if r is None:
            return "-"
        return r["error"][:40] if "error" in r else fmt.format(r[key])

    for method, row in results.items():
        times = [cell(row.get(c), "ms", "{:.1f}") for c in args.columns]
        mems = [cell(row.get(c), "peak_mb", "{:.0f}") for c in args.columns]
        print(f"| {method} | " + " | ".join(times) + " | " + " | ".join(mems) + " |")
    text = json.dumps({"batch": args.batch, "patch": args.patch, "results": results}, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
