"""How much the EfficientHDR course student moves from seed to seed, to judge distillation's gain against.

    python benchmarks/hdr_seed_spread.py --seeds 1 2          # ~7 CPU minutes per seed (2-core EPYC)

Trains the ``efficient_hdr`` student *without* its teacher (the registry's mu-law L1) by the course recipe
(``data_scripts/train_course_weights.py``: same steps, lr, batch and crops), with another seed for the
initial weights and the batches, and prints its held-out PSNR-mu (:func:`course_lib.quality.score`). Seed 0
is the recipe's own comparison run (manifest: ``efficient_hdr.student_alone``). Checkpoints go to
``runs/seed_spread/`` and resume.
"""

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "data_scripts"))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import train_course_weights as recipe_script  # noqa: E402

# isort: on


def student_alone(seed: int, photos) -> dict:
    import mindspore as ms

    from course_lib import device, quality
    from course_lib.models import get_method
    from course_lib.train import fit

    recipe = dict(recipe_script.RECIPES["efficient_hdr"])
    spec = get_method("efficient_hdr")
    device.setup(seed=seed, verbose=False)
    net = spec.build()
    data = recipe_script.make_data(spec, photos, recipe, seed=seed)
    fit(net, spec.loss_fn_factory(), data, steps=recipe["steps"], lr=recipe["lr"], batch_size=recipe["batch"],
        ckpt_dir=REPO / "runs" / "seed_spread" / f"efficient_hdr_alone_seed{seed}", ckpt_every=250, resume=True,
        progress=False, seed=seed)  # fmt: skip
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return quality.score("efficient_hdr", net)["HDR brackets"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args(argv)
    photos, _ = recipe_script.training_photos(None)
    from course_lib import weights

    entry = weights.manifest()["efficient_hdr"]
    print(f"seed 0 (recipe, alone): {json.dumps(entry['student_alone']['without distillation']['HDR brackets'])}")
    print(f"seed 0 (recipe, distilled): {json.dumps(entry['scores']['HDR brackets'])}")
    for seed in args.seeds:
        print(f"seed {seed} (alone): {json.dumps(student_alone(seed, photos))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
