"""KTDN / SRKTDN ablation: with and without the transfer loss, with and without the SR branch.

    python benchmarks/srktdn_ablation.py                      # the recipe's steps; about 25 minutes on 2 cores
    python benchmarks/srktdn_ablation.py --json docs/srktdn_ablation.json
    python benchmarks/srktdn_ablation.py --steps 20           # a smoke test
    python benchmarks/srktdn_ablation.py --only prior --steps 400                 # the prior-head probes (README)
    python benchmarks/srktdn_ablation.py --only prior --steps 400 --patch 96 --batch 8 --grad-clip 0

Four compact students, each trained by the course recipe's settings for ``ktdn_dcp`` / ``srktdn_dcp``
(``data_scripts/train_course_weights.py``: same photos, same synthetic haze, same seed, same steps, same
batches): KTDN and SRKTDN, each with the transfer loss (L1 + 0.1 L1 to the frozen ``ktdn_teacher``'s feature
of the clear image) and without it (L1 alone). The two "with transfer" runs are the recipe's own runs: at the
recipe's steps their course weights are scored instead of training them again (bit-identical runs). Scores:
:func:`course_lib.quality.score` on the held-out photos (homogeneous and non-homogeneous haze), beside the
hazy input and the dark channel prior (:func:`course_lib.quality.baselines`). Checkpoints in
``runs/ablation/``: a stopped run resumes.

``--only prior`` trains one more variant instead: compact KTDN with the prior head (``ktdn(prior_head=True)``:
a learned correction added to the dark channel prior's recovered image), L1 + transfer.
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

VARIANTS = {  # name: (registry method, transfer loss?)
    "KTDN, L1 only": ("ktdn_dcp", False),
    "KTDN, L1 + transfer": ("ktdn_dcp", True),
    "SRKTDN, L1 only": ("srktdn_dcp", False),
    "SRKTDN, L1 + transfer": ("srktdn_dcp", True),
}
PRIOR = {"KTDN prior head, L1 + transfer": ("ktdn_prior", True)}


def train_variant(method, transfer, photos, steps, runs, lr=None):
    import mindspore as ms

    from course_lib import device, weights
    from course_lib.losses.transfer import transfer_loss_fn
    from course_lib.models import get_method
    from course_lib.train import fit

    prior = method == "ktdn_prior"
    if prior:
        method = "ktdn_dcp"
    spec, recipe = get_method(method), dict(recipe_script.RECIPES[method])
    device.setup(seed=0, verbose=False)
    if prior:
        from course_lib.models.srktdn import ktdn

        net = ktdn("compact", prior_head=True)
    else:
        net = spec.build()
    loss = transfer_loss_fn(weights.load("ktdn_teacher") if transfer else None)
    t0 = time.perf_counter()
    fit(net, loss, recipe_script.make_data(spec, photos, recipe), steps=steps, lr=lr or recipe["lr"],
        batch_size=recipe["batch"], grad_clip=recipe.get("grad_clip"),
        ckpt_dir=runs / (f"{method}{'_prior' if prior else ''}_{'transfer' if transfer else 'l1'}_{steps}"
                         f"_p{recipe['patch']}b{recipe['batch']}lr{lr or recipe['lr']}c{recipe.get('grad_clip')}"),
        ckpt_every=250, resume=True,
        progress=True)  # fmt: skip
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return net, time.perf_counter() - t0


def main(argv=None):
    from course_lib import quality, weights

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="default: the recipe's steps")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=REPO / "runs" / "ablation")
    parser.add_argument("--only", choices=["ablation", "prior"], default="ablation")
    parser.add_argument("--lr", type=float, default=None, help="default: the recipe's")
    parser.add_argument("--patch", type=int, default=None, help="crop side; default: the recipe's")
    parser.add_argument("--batch", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--grad-clip", type=float, default=None, help="0: none; default: the recipe's")
    args = parser.parse_args(argv)
    for method in ("ktdn_dcp", "srktdn_dcp"):  # overrides of the recipe, for probes
        overrides = {"patch": args.patch, "batch": args.batch, "grad_clip": args.grad_clip}
        recipe_script.RECIPES[method].update({k: (v or None) if k == "grad_clip" else v
                                              for k, v in overrides.items() if v is not None})  # fmt: skip
    photos, _ = recipe_script.training_photos(None)
    rows = {name: by_set for name, by_set in quality.baselines("ktdn").items()}
    minutes = {}
    for name, (method, transfer) in (VARIANTS if args.only == "ablation" else PRIOR).items():
        steps = args.steps or recipe_script.RECIPES["ktdn_dcp" if method == "ktdn_prior" else method]["steps"]
        as_recipe = args.lr is None and args.patch is None and args.batch is None and args.grad_clip is None
        if transfer and as_recipe and steps == weights.manifest().get(method, {}).get("steps"):
            rows[name] = weights.manifest()[method]["scores"]  # the recipe's run itself
            minutes[name] = round(weights.manifest()[method]["train_seconds_total"] / 60, 1)
            continue
        net, seconds = train_variant(method, transfer, photos, steps, args.runs, args.lr)
        rows[name] = quality.score("ktdn", net)
        minutes[name] = round(seconds / 60, 1)
    sets = list(next(iter(rows.values())))
    print(f"| method | {' | '.join(f'{s} PSNR / SSIM' for s in sets)} | train min |")
    print("|---|" + "---|" * (len(sets) + 1))
    for name, by_set in rows.items():
        cells = " | ".join(f"{by_set[s]['psnr']:.2f} / {by_set[s]['ssim']:.3f}" for s in sets)
        print(f"| {name} | {cells} | {minutes.get(name, '')} |")
    result = {"students": "prior_head=True (the registry's), recipes: "
              + json.dumps({m: recipe_script.RECIPES[m] for m in ("ktdn_dcp", "srktdn_dcp")}),
              "steps": {m: args.steps or recipe_script.RECIPES[m]["steps"] for m in ("ktdn_dcp", "srktdn_dcp")},
              "lr": args.lr,
              "scores": rows, "train_minutes": minutes, "machine": recipe_script.machine(),
              "date": time.strftime("%Y-%m-%d")}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
