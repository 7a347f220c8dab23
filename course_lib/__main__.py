"""Command line: ``python -m course_lib {train,enhance,evaluate,editions,info}``; ``--help`` on each.

Examples::

    python -m course_lib info
    python -m course_lib train baseline --data synthetic --steps 200 --ckpt-dir runs/baseline
    python -m course_lib train baseline --data DIR --resume          # DIR/lq and DIR/gt, same file names
    python -m course_lib enhance baseline --weights runs/baseline/baseline.ckpt hazy.png out.png
    python -m course_lib evaluate baseline --weights runs/baseline/baseline.ckpt --data DIR
    python -m course_lib editions --out handout --site   # student + instructor notebooks, HTML site

A dataset folder ``DIR`` holds ``DIR/lq`` (degraded inputs) and ``DIR/gt`` (ground truth) with matching
file names, the layout ``data_scripts/fetch_datasets.py`` writes. ``--data synthetic`` degrades the
bundled photos with the method's degradation (haze, low light, or bicubic downscaling by the scale).
Mistakes in the input (unknown method, missing weights, unreadable image, folder without pairs) end with
one line on stderr and exit code 2. Data parallel: prefix the ``train`` command with ``msrun ...``
(see :mod:`course_lib.train`).
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np


class UsageError(ValueError):
    """A mistake in the command line's input: reported in one line, exit code 2."""


# ------------------------------------------------------------------------------------------- data
def synthetic_degradation(spec):
    """``(degrade_fn(clean, rng) -> lq, lq_only)`` for a method's data kind and scale."""
    from .data import degrade

    if spec.data_kind == "unpaired_low_light":
        return degrade.random_exposure, True  # mostly dark, a quarter over-exposed (as SICE's sequences)
    if spec.scale > 1:
        return (lambda img, rng: degrade.bicubic_downscale(img, spec.scale)), False

    return degrade.random_haze, False  # homogeneous or non-homogeneous, half each


def _crop_to_scale(images, scale):
    from .data.degrade import modcrop

    return [modcrop(img, scale) for img in images]


def open_data(source: str, spec, budget, *, train: bool, seed: int = 0):
    """Training source (with ``sample_batch``) or evaluation pairs for ``--data synthetic|DIR``."""
    from .data import heldout_images, train_images
    from .data.datasets import PairedFolder, SyntheticPairs

    patch = None
    if train:  # crops whose sides the network accepts (KTDN/SRKTDN: multiples of 32)
        patch = -(-budget.patch // spec.pad_multiple) * spec.pad_multiple
    if spec.data_kind == "hdr":
        return _open_hdr_data(source, budget, train=train, seed=seed)
    if source == "synthetic":
        degrade_fn, lq_only = synthetic_degradation(spec)
        photos = (
            train_images(budget.demo_size, budget.num_images) if train else heldout_images(budget.demo_size)
        )
        return SyntheticPairs(_crop_to_scale(photos, spec.scale), degrade_fn, patch, scale=spec.scale, seed=seed,
                              augment=train, lq_only=lq_only and train)  # fmt: skip
    folder = Path(source)
    if not folder.is_dir():
        raise UsageError(
            f"--data {source}: no such folder; give 'synthetic' or a folder with lq/ and gt/ inside"
        )
    lq_only = spec.data_kind == "unpaired_low_light" and train
    return PairedFolder(folder / "lq", folder / "gt", patch, scale=spec.scale, seed=seed, augment=train,
                        lq_only=lq_only)  # fmt: skip


def _open_hdr_data(source: str, budget, *, train: bool, seed: int):
    """``(frames (9, h, w), hdr (3, h, w))`` examples: synthetic brackets from the bundled photos
    (course_lib.data.hdr), or a real set's folder (Kalantari 2017, NTIRE 2022: course_lib.data.hdr_sets)."""
    from .data import heldout_images, train_images
    from .data.degrade import modcrop
    from .data.hdr import SyntheticBrackets
    from .data.hdr_sets import HDRSceneFolder

    if source != "synthetic":
        if not Path(source).is_dir():
            raise UsageError(
                f"--data {source}: no such folder; give 'synthetic' or a folder of Kalantari or NTIRE HDR scenes "
                "(python data_scripts/fetch_datasets.py kalantari-test)"
            )
        try:
            scenes = HDRSceneFolder(source, patch=budget.patch if train else None, seed=seed, augment=train)
        except ValueError as err:
            raise UsageError(f"--data {source}: {err}; or give --data synthetic") from None
        if scenes.skipped:
            print(f"note: {len(scenes.skipped)} scene(s) shot at other exposures skipped: "
                  f"{', '.join(scenes.skipped[:5])}{' ...' if len(scenes.skipped) > 5 else ''}", file=sys.stderr)  # fmt: skip
        return scenes
    photos = train_images(budget.demo_size, budget.num_images) if train else heldout_images(budget.demo_size)
    return SyntheticBrackets([modcrop(p, 16) for p in photos], patch=budget.patch if train else None, seed=seed,
                             augment=train)  # fmt: skip


def eval_pairs(source):
    """``(lq, gt)`` ``(H, W, 3)`` pairs of an evaluation source."""
    for i in range(len(source)):
        lq, gt = source[i]
        yield lq.transpose(1, 2, 0), gt.transpose(1, 2, 0)


# ------------------------------------------------------------------------------------------- model
def load_weights(net, path, method: str):
    """``--weights``: 'course' (the shipped course weights), an official PyTorch ``.pth`` (converted through
    ``course_lib.convert``, read without running pickled code) or a MindSpore ``.ckpt``."""
    import mindspore as ms

    if str(path) == "course":
        from . import weights

        return weights.load_into(net, method)
    path = Path(path)
    if path.suffix in (".pth", ".pt") and path.is_file():
        import pickle

        from .convert import load_official_weights

        try:
            return load_official_weights(net, path)
        except (pickle.UnpicklingError, EOFError, KeyError) as e:
            raise UsageError(f"{path}: not a PyTorch state dict course_lib can read safely ({e})") from None
    if not path.is_file():
        raise UsageError(
            f"weights file {path} does not exist; train first (python -m course_lib train {method})"
        )
    try:
        params = ms.load_checkpoint(str(path), crc_check=True)  # files written by `train` carry a CRC
    except Exception:
        raise UsageError(
            f"weights file {path} is not a readable MindSpore checkpoint (truncated, corrupt or unreadable); "
            f"train again or copy it anew"
        ) from None
    for p in net.get_parameters():
        if p.name not in params:
            raise UsageError(f"weights file {path} does not hold {method} weights (no {p.name})")
        if tuple(params[p.name].shape) != tuple(p.shape):
            raise UsageError(
                f"weights file {path} holds {p.name} of shape {tuple(params[p.name].shape)} but {method} has "
                f"{tuple(p.shape)}: it was trained with another configuration"
            )
        if params[p.name].dtype != p.dtype:
            raise UsageError(f"weights file {path} holds {p.name} as {params[p.name].dtype}, not {p.dtype}; "
                             "save float32 weights")  # fmt: skip
    ms.load_param_into_net(net, params)
    return net


def classical_baseline(spec):
    """``(name, fn(lq (H, W, 3)) -> (H*s, W*s, 3))``: what every method is compared with."""
    from . import baselines

    if spec.data_kind == "hdr":
        from .quality import hdr_baseline

        return "exposure fusion", hdr_baseline("exposure fusion")
    if spec.data_kind == "unpaired_low_light":
        return "gamma correction (0.5)", lambda img: baselines.gamma_correction(img, 0.5)
    if spec.scale > 1:
        return "bicubic", lambda img: baselines.bicubic(img, spec.scale)
    return "dark channel prior", baselines.dark_channel_prior


# ------------------------------------------------------------------------------------------- commands
def cmd_train(args) -> None:
    from . import budget as make_budget
    from . import device
    from .models import get_method
    from .train import fit, init_data_parallel, save_weights

    spec = get_method(args.method)
    b = make_budget(args.budget)
    device.setup(args.device, seed=args.seed, verbose=True)
    rank, _ = init_data_parallel()  # under msrun; the scheduler process ends here
    data = open_data(args.data, spec, b, train=True, seed=args.seed)
    val = None
    if args.data == "synthetic" and spec.data_kind == "paired":
        val = list(eval_pairs(open_data("synthetic", spec, b, train=False, seed=args.seed)))
    ckpt_dir = Path(args.ckpt_dir or Path("runs") / args.method)
    net = spec.build()
    predict_fn = None
    if spec.pad_multiple > 1 or spec.scale > 1:
        from .train import predict

        predict_fn = lambda net, lq: predict(net, lq, pad_multiple=spec.pad_multiple, scale=spec.scale)  # noqa: E731
    history = fit(
        net, spec.loss_fn_factory(), data, steps=args.steps or b.steps, lr=args.lr, batch_size=args.batch or b.batch,
        val_data=val, eval_every=b.eval_every, predict_fn=predict_fn, ckpt_dir=ckpt_dir, ckpt_every=b.eval_every,
        resume=args.resume, mode=args.mode, seed=args.seed, grad_clip=args.grad_clip,
    )  # fmt: skip
    if rank == 0:
        weights = save_weights(net, ckpt_dir / f"{args.method}.ckpt")  # atomic, with CRC, never NaN
        print(f"final loss {history.loss[-1]:.4g}; weights: {weights}")


def cmd_enhance(args) -> None:
    from . import device
    from .data import load_image, save_image
    from .models import get_method
    from .train import predict

    spec = get_method(args.method)
    wanted = 3 if spec.data_kind == "hdr" else 1
    if len(args.input) != wanted:
        what = "three LDR frames (short, medium, long exposure)" if wanted == 3 else "one input image"
        raise UsageError(f"{args.method} takes {what} and an output path; got {len(args.input)} input(s)")
    device.setup(args.device, verbose=False)
    frames = [load_image(path) for path in args.input]
    if len({f.shape for f in frames}) > 1:
        raise UsageError(
            f"the frames differ in size ({', '.join(str(f.shape[:2]) for f in frames)}); align them first"
        )
    img = np.concatenate(frames, axis=-1)
    net = load_weights(spec.build(), args.weights, args.method)
    net.set_train(False)
    out = predict(net, img, pad_multiple=spec.pad_multiple, scale=spec.scale)[0].transpose(1, 2, 0)
    if spec.data_kind == "hdr":
        _save_hdr_result(Path(args.output), out)
    else:
        save_image(args.output, out)
    print(
        f"{' + '.join(args.input)} ({img.shape[1]}x{img.shape[0]}) -> {args.output} ({out.shape[1]}x{out.shape[0]})"
    )


def _save_hdr_result(output: Path, hdr) -> None:
    """``.hdr``: the linear result (Radiance RGBE, in units of the brightest radiance the course models)
    and its mu-law tone map beside it as ``NAME_tonemapped.png``; any other suffix: the tone map only."""
    from .data import save_image
    from .data.hdr_io import save_hdr
    from .metrics import mu_law

    tone = mu_law(np.clip(hdr, 0, 1))
    if output.suffix.lower() == ".hdr":
        save_hdr(output, hdr)
        save_image(output.with_name(output.stem + "_tonemapped.png"), tone)
    else:
        save_image(output, tone)


def cmd_evaluate(args) -> None:
    from . import budget as make_budget
    from . import device
    from .metrics import psnr, psnr_mu, ssim
    from .models import get_method
    from .train import predict

    spec = get_method(args.method)
    device.setup(args.device, verbose=False)
    net = load_weights(spec.build(), args.weights, args.method)
    net.set_train(False)
    if args.data == "synthetic":  # the held-out test sets every quality figure uses (course_lib.data.heldout)
        from .quality import test_sets

        pairs = [(lq, gt) for triples in test_sets(args.method).values() for _, lq, gt in triples]
    else:
        pairs = list(eval_pairs(open_data(args.data, spec, make_budget(args.budget), train=False)))
    base_name, base_fn = classical_baseline(spec)
    hdr = spec.data_kind == "hdr"
    first = ("medium frame", _medium_frame) if hdr else ("input (no processing)", lambda lq: lq)
    rows = {base_name: [], args.method: []}
    if spec.scale == 1:
        rows = {first[0]: [], **rows}
    for lq, gt in pairs:
        outputs = {base_name: base_fn(lq), args.method: predict(net, lq, pad_multiple=spec.pad_multiple,
                                                                  scale=spec.scale)[0].transpose(1, 2, 0)}  # fmt: skip
        if spec.scale == 1:
            outputs[first[0]] = first[1](lq)
        for name, out in outputs.items():
            out = np.clip(out, 0, 1)
            if hdr:  # PSNR after the mu-law (the HDR challenges' score) and linear PSNR
                rows[name].append((psnr_mu(out, gt), psnr(out, gt)))
                continue
            border = spec.scale if spec.scale > 1 else 0  # SR convention: crop `scale` pixels, Y channel
            knobs = dict(crop_border=border, y_channel=spec.scale > 1)
            rows[name].append((psnr(out, gt, **knobs), ssim(out, gt, **knobs)))
    print(f"{args.method} on {args.data} ({len(pairs)} images)")
    columns = ("PSNR-mu (dB)", "PSNR (dB)") if hdr else ("PSNR (dB)", "SSIM")
    print(f"{'method':<24} {columns[0]:>12} {columns[1]:>10}")
    for name, scores in rows.items():
        a, b = np.mean(scores, axis=0)
        print(f"{name:<24} {a:>12.2f} {b:>10.4f}" if not hdr else f"{name:<24} {a:>12.2f} {b:>10.2f}")


def _medium_frame(frames):
    from .quality import hdr_baseline

    return hdr_baseline("medium frame")(frames)


def cmd_info(args) -> None:
    import mindspore as ms

    from . import __version__
    from . import budget as make_budget
    from .device import available_targets
    from .models import REGISTRY

    b = make_budget()
    print(f"course_lib {__version__} | MindSpore {ms.__version__} | NumPy {np.__version__} | "
          f"Python {platform.python_version()} | {platform.machine()}")  # fmt: skip
    print(f"devices available: {', '.join(available_targets())}")
    print(f"budget: {b.name} (steps {b.steps}, batch {b.batch}, patch {b.patch})")
    print("methods:")
    for name, spec in sorted(REGISTRY.items()):
        extra = f", x{spec.scale}" if spec.scale > 1 else ""
        print(f"  {name:<14} [{spec.data_kind}{extra}] {spec.description}")


def cmd_editions(args) -> None:
    from .editions import check_outputs, write_editions

    if not args.out.strip():
        raise ValueError("--out is empty; give the folder to write, e.g. --out handout")
    out = Path(args.out)
    check_outputs(out, ("student", "instructor", "site") if args.site else ("student", "instructor"))
    written = write_editions(out)
    print(f"wrote {len(written['student'])} notebooks to {out / 'student'} and {out / 'instructor'}")
    if args.site:
        from .site import build_site

        pages = build_site(out / "site", edition=args.site_edition)
        print(f"wrote the site ({args.site_edition} edition): {pages[0]} and {len(pages) - 1} pages")


# ------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib", description=__doc__.split("\n")[0].replace("``", "")
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,enhance,evaluate,editions,info}")

    def common(p, budget=True):
        p.add_argument("--device", default="auto", help="auto (default), CPU, GPU or Ascend")
        if budget:
            p.add_argument(
                "--budget", default=None, help="ci, class or full (default: $COURSE_BUDGET or class)"
            )

    p = sub.add_parser(
        "train", help="train a method", description="Train a registered method with course_lib.train.fit."
    )
    p.add_argument("method", help="registered method name (python -m course_lib info lists them)")
    p.add_argument(
        "--data", default="synthetic",
        help="'synthetic' (bundled photos) or a folder DIR with DIR/lq, DIR/gt (HDR methods: Kalantari or NTIRE scenes)",
    )
    p.add_argument("--steps", type=int, default=None, help="optimisation steps (default: the budget's)")
    p.add_argument("--batch", type=int, default=None, help="global batch size (default: the budget's)")
    p.add_argument("--lr", type=float, default=1e-4, help="peak learning rate of the cosine schedule (1e-4)")
    p.add_argument("--grad-clip", type=float, default=None, help="clip the global gradient norm")
    p.add_argument(
        "--mode", choices=("graph", "pynative"), default="graph", help="compiled (default) or eager"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-dir", default=None, help="checkpoint folder (default: runs/METHOD)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --ckpt-dir")
    common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "enhance", help="restore one image", description="Run a trained method on one image of any size."
    )
    p.add_argument("method")
    p.add_argument("--weights", required=True,
                   help="'course' (shipped course weights), a MindSpore .ckpt, or an official PyTorch .pth")  # fmt: skip
    p.add_argument(
        "input", nargs="+", help="input image file (HDR methods: the short, medium and long frames)"
    )
    p.add_argument(
        "output", help="output image file (PNG recommended; HDR methods: .hdr, plus a tone-mapped PNG)"
    )
    common(p, budget=False)
    p.set_defaults(func=cmd_enhance)

    p = sub.add_parser("evaluate", help="PSNR/SSIM table against a classical baseline",
                       description="Score a trained method and its classical baseline on image pairs.")  # fmt: skip
    p.add_argument("method")
    p.add_argument(
        "--weights", required=True, help="'course', a MindSpore .ckpt, or an official PyTorch .pth"
    )
    p.add_argument(
        "--data", required=True,
        help="folder DIR with DIR/lq and DIR/gt (HDR methods: a folder of Kalantari or NTIRE scenes from "
        "data_scripts/fetch_datasets.py), or 'synthetic' (held-out photos)",
    )
    common(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "editions", help="student and instructor notebooks (and the HTML site)",
        description="Write DIR/student (solutions replaced by stubs) and DIR/instructor from notebooks/; "
        "--site also writes DIR/site (static HTML with an index).",
    )  # fmt: skip
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--site", action="store_true", help="also render the notebooks as HTML in OUT/site")
    p.add_argument("--site-edition", choices=("student", "instructor"), default="student",
                   help="which edition the site shows (default: student)")  # fmt: skip
    p.set_defaults(func=cmd_editions)

    p = sub.add_parser(
        "info", help="versions, devices and registered methods", description="Show the set-up."
    )
    p.set_defaults(func=cmd_info)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from .device import DeviceError
    from .train import CheckpointError

    try:
        args.func(args)
    except (ValueError, FileNotFoundError, DeviceError, CheckpointError, FloatingPointError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)  # one line, no traceback
        return 2
    except OSError as e:  # an output under a file, a read-only folder, a full disk
        where = f": {e.filename}" if e.filename else ""
        print(
            f"error: {e.strerror or e}{where}; choose a path you can write to (and free space)",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
