"""What limits CSD's 0.25 student on this machine: its width, its steps, or the shared training?

    python benchmarks/csd_student_capacity.py design --feat 64 --steps 800   # ~21 CPU minutes (2-core EPYC)
    python benchmarks/csd_student_capacity.py alone --feat 32 --steps 8000   # ~2 CPU minutes

``design --feat F`` repeats the course recipe of ``csd`` (``data_scripts/train_course_weights.py``) with an
EDSR-small of F channels instead of 32 (F = 64: the MindSpore port's width, so the student has 16
channels): the teacher is first trained alone with L1 at full width by the ``edsr`` recipe (2,500 steps, as
the paper starts CSD from a trained EDSR), then CSD runs N steps from it (``--steps``, default 800: the
recipe's 8,000 CSD steps of a 64-channel network would take hours here), and the same student trained
alone (L1 at width 0.25) runs N steps from the same start. ``alone --feat F --steps N`` trains only that
student alone, from the same start (F = 32: the ``edsr`` course weights), for N steps: a student trained
alone costs ~13 ms a step, CSD's ~550 ms (its VGG term; the recipe run of 2026-11-29), so this asks what more steps alone would give.

Prints one JSON line per run with held-out PSNR-Y (x2, 2 pixels shaved; :func:`course_lib.quality.score`)
and appends it to ``--json FILE`` (default ``docs/csd_student_capacity.json``). Checkpoints go to
``runs/csd_capacity/`` and resume.
"""

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "data_scripts"))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import train_course_weights as recipe_script  # noqa: E402

# isort: on

RUNS = REPO / "runs" / "csd_capacity"


def build(feat):
    from course_lib import device
    from course_lib.models.edsr import edsr

    device.setup(seed=0, verbose=False)
    return edsr("small", 2, bicubic_skip=True, num_feat=feat)


def train(net, loss_fn, photos, recipe, steps, ckpt_dir) -> float:
    from course_lib.models import get_method
    from course_lib.train import fit

    data = recipe_script.make_data(get_method("csd"), photos, recipe)
    history = fit(net, loss_fn, data, steps=steps, lr=recipe["lr"], batch_size=recipe["batch"],
                  ckpt_dir=ckpt_dir, ckpt_every=250, resume=True, progress=False)  # fmt: skip
    return round(float(sum(history.step_time)), 1)  # training seconds, resumed runs included


def scores(net, widths=(1.0, 0.25)):
    import mindspore as ms

    from course_lib import quality

    ms.set_context(mode=ms.PYNATIVE_MODE)
    return {f"width {w}": quality.score("csd", net, width_mult=w)["x2"]["psnr"] for w in widths}


def teacher_start(feat, photos):
    """(path of the start checkpoint, seconds): the ``edsr`` course weights for F = 32, else trained here."""
    import mindspore as ms

    from course_lib.losses.distill import width_l1_loss_fn

    if feat == 32:
        return None, 0.0
    path = RUNS / f"feat{feat}_teacher.ckpt"
    net = build(feat)
    seconds = train(net, width_l1_loss_fn(1.0), photos, recipe_script.RECIPES["edsr"],
                    recipe_script.RECIPES["edsr"]["steps"], RUNS / f"feat{feat}_teacher")  # fmt: skip
    ms.save_checkpoint(net, str(path))
    return path, seconds


def started(feat, start):
    import mindspore as ms

    from course_lib import weights

    net = build(feat)
    if start is None:
        weights.load_into(net, "edsr")
    else:
        ms.load_param_into_net(net, ms.load_checkpoint(str(start)), strict_load=True)
    return net


def design(feat, steps, photos):
    from course_lib.losses.contrastive import ContrastiveLoss
    from course_lib.losses.distill import csd_loss_fn, width_l1_loss_fn
    from course_lib.losses.vgg import VGGFeatures

    recipe = recipe_script.RECIPES["csd"]
    start, teacher_seconds = teacher_start(feat, photos)
    row = {"run": "design", "feat": feat, "teacher_seconds": teacher_seconds, "steps": steps}
    row["start"] = scores(started(feat, start))
    for name, loss_fn in (("csd", csd_loss_fn(ContrastiveLoss(VGGFeatures()))),
                          ("alone", width_l1_loss_fn(0.25))):  # fmt: skip
        net = started(feat, start)
        row[f"{name}_seconds"] = train(
            net, loss_fn, photos, recipe, steps, RUNS / f"feat{feat}_{name}_{steps}"
        )
        row[name] = scores(net, (1.0, 0.25) if name == "csd" else (0.25,))
    return row


def alone(feat, steps, photos):
    from course_lib.losses.distill import width_l1_loss_fn

    recipe = recipe_script.RECIPES["csd"]
    start, _ = teacher_start(feat, photos)
    net = started(feat, start)
    seconds = train(net, width_l1_loss_fn(0.25), photos, recipe, steps, RUNS / f"feat{feat}_alone_{steps}")
    return {"run": "alone", "feat": feat, "steps": steps, "seconds": seconds, "alone": scores(net, (0.25,))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", choices=("design", "alone"))
    parser.add_argument("--feat", type=int, default=64, help="EDSR-small's full width (the recipe's: 32)")
    parser.add_argument(
        "--steps", type=int, default=None, help="steps from the start (design: 800, alone: 8000)"
    )
    parser.add_argument("--json", type=Path, default=REPO / "docs" / "csd_student_capacity.json")
    args = parser.parse_args(argv)
    if args.feat < 4 or args.feat % 4:
        print(f"error: --feat must be a multiple of 4 (the student has feat / 4 channels), got {args.feat}",
              file=sys.stderr)  # fmt: skip
        return 2
    from course_lib import quality

    photos, _ = recipe_script.training_photos(None)
    if args.run == "design":
        row = design(args.feat, args.steps or 800, photos)
    else:
        row = alone(args.feat, args.steps or 8000, photos)
    row["bicubic"] = quality.baselines("csd")["bicubic"]["x2"]["psnr"]
    row["date"], row["machine"] = time.strftime("%Y-%m-%d"), recipe_script.machine()
    print(json.dumps(row), flush=True)
    rows = json.loads(args.json.read_text()) if args.json.is_file() else []
    args.json.write_text(json.dumps(rows + [row], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
