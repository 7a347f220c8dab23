"""Can AECR-Net's own head reproduce its input? Clear -> clear training at two widths, with and without parts.

    python benchmarks/aecrnet_width.py                          # about 10 minutes on 2 cores
    python benchmarks/aecrnet_width.py --json docs/aecrnet_width.json
    python benchmarks/aecrnet_width.py --steps 10 --only "F=16"  # a smoke test

Before a dehazer can restore detail it must be able to pass detail through. Each variant of
:class:`course_lib.models.aecrnet.AECRNet` trains the same clear -> clear task (input = target: the bundled
training photos, 64-px crops, batch 8, L1, Adam at a constant 5e-4, seed 0, the same batches for every variant)
and is scored on how well it reproduces the two held-out clear photos (coffee, chelsea; PSNR / SSIM of output
against input). The paper's head (tanh of the last conv, no skip from input to output) must rebuild every
pixel through a 4x bottleneck; the residual head (output = input + correction) only learns a correction and
is shown as the upper bound of the task. Prints a Markdown table; ``--json`` also writes it with the command.
"""

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

VARIANTS = {  # name: AECRNet keyword arguments
    "F=16 (the course's tiny network)": dict(num_feat=16),
    "F=16 without FA blocks and DCN": dict(num_feat=16, num_blocks=0, num_dcn=0, share_weights=False),
    "F=32": dict(num_feat=32),
    "F=16, residual head": dict(num_feat=16, head="residual"),
}


def clear_pairs(seed: int = 0):
    """Clear -> clear 64-px crops of the bundled training photos (input = target)."""
    from course_lib.data import train_images
    from course_lib.data.datasets import SyntheticPairs

    return SyntheticPairs(train_images(), lambda img, rng: img, 64, count=64 * 8, seed=seed)


def reproduce_scores(net) -> dict:
    """PSNR / SSIM of ``net``'s output against its input on the held-out clear photos."""
    import mindspore as ms

    from course_lib import metrics
    from course_lib.data import heldout

    net.set_train(False)
    clear = [gt for _, _, gt in heldout.haze_homogeneous()[::2]]  # each held-out photo once
    outs = [np.clip(net(ms.Tensor(c.transpose(2, 0, 1)[None].copy())).asnumpy()[0].transpose(1, 2, 0), 0, 1)
            for c in clear]  # fmt: skip
    return {"psnr": round(float(np.mean([metrics.psnr(o, c) for o, c in zip(outs, clear)])), 2),
            "ssim": round(float(np.mean([metrics.ssim(o, c) for o, c in zip(outs, clear)])), 3)}  # fmt: skip


def run(name: str, steps: int) -> dict:
    import mindspore as ms

    from course_lib import device, metrics
    from course_lib.losses.dehaze import aecr_loss_fn
    from course_lib.models.aecrnet import AECRNet
    from course_lib.train import fit

    device.setup(seed=0, verbose=False)
    net = AECRNet(**VARIANTS[name])
    history = fit(net, aecr_loss_fn(mode="none"), clear_pairs(), steps=steps, lr=5e-4, batch_size=8,
                  schedule="constant", progress=False)  # fmt: skip
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return {"parameters": metrics.count_params(net), "train_l1_last_30": round(float(np.mean(history.loss[-30:])), 4),
            "seconds_per_step": round(float(np.median(history.step_time)), 3), **reproduce_scores(net)}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=300, help="clear -> clear steps per variant (default 300)"
    )
    parser.add_argument(
        "--only", nargs="+", default=None, metavar="NAME", help=f"some of: {', '.join(VARIANTS)}"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be a positive number of steps, got {args.steps}")
    names = args.only or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from: {', '.join(VARIANTS)}")
    start, rows = time.time(), {}
    print(f"| variant | parameters | training L1 (last 30 of {args.steps}) | held-out PSNR / SSIM | s/step |")
    print("|---|---|---|---|---|")
    for name in names:
        r = rows[name] = run(name, args.steps)
        print(f"| {name} | {r['parameters']:,} | {r['train_l1_last_30']:.4f} | {r['psnr']:.2f} / {r['ssim']:.3f} "
              f"| {r['seconds_per_step']:.2f} |", flush=True)  # fmt: skip
    if args.json:
        sys.path.insert(0, str(REPO / "data_scripts"))
        from train_course_weights import machine

        command = "python benchmarks/aecrnet_width.py " + " ".join(
            a if " " not in a else repr(a) for a in (argv if argv is not None else sys.argv[1:])
        )
        args.json.write_text(json.dumps({"command": command.strip(), "steps": args.steps, "rows": rows,
                                         "machine": machine(), "date": datetime.date.today().isoformat(), "minutes": round((time.time() - start) / 60, 1)},
                                        indent=1) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
