"""How much the course EfficientHDR moves from seed to seed, to judge small differences against.

    python benchmarks/hdr_seed_spread.py --seeds 1 2          # ~15 CPU minutes per seed (2-core Xeon)

Trains ``efficient_hdr`` by the course recipe (``data_scripts/train_course_weights.py``: same network, steps,
lr, batch, crops, motion and average of the weights; the registry's mu-law L1) with another seed for the
batches, and prints its held-out PSNR-mu (:func:`course_lib.quality.score`) beside seed 0, the shipped
weights. Checkpoints go to ``runs/seed_spread/`` and resume. (Until 2026-12-06 the recipe distilled a teacher
into a medium-frame-start student; this measured that student without its teacher.)
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


def trained(seed: int, photos) -> dict:
    import mindspore as ms

    from course_lib import device, quality
    from course_lib.models import get_method
    from course_lib.train import fit

    recipe = dict(recipe_script.RECIPES["efficient_hdr"])
    spec = get_method("efficient_hdr")
    device.setup(seed=seed, verbose=False)
    net = recipe_script.build_network(spec, recipe)
    data = recipe_script.make_data(spec, photos, recipe, seed=seed)
    fit(net, spec.loss_fn_factory(), data, steps=recipe["steps"], lr=recipe["lr"], batch_size=recipe["batch"],
        ckpt_dir=REPO / "runs" / "seed_spread" / f"efficient_hdr_seed{seed}", ckpt_every=250, resume=True,
        progress=False, seed=seed, ema=recipe.get("ema"))  # fmt: skip
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return quality.score("efficient_hdr", net)["HDR brackets"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args(argv)
    photos, _ = recipe_script.training_photos(None)
    from course_lib import weights

    entry = weights.manifest()["efficient_hdr"]
    print(f"seed 0 (the shipped weights): {json.dumps(entry['scores']['HDR brackets'])}")
    for seed in args.seeds:
        print(f"seed {seed}: {json.dumps(trained(seed, photos))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
