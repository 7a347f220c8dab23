"""Command line: ``python -m course_lib {train,enhance,evaluate,samples,editions,info}``; ``--help`` on each.

Examples::

    python -m course_lib info
    python -m course_lib samples samples        # hazy, low-light, low-resolution photos and a bracket
    python -m course_lib enhance aecrnet --weights course samples/hazy.png clear.png
    python -m course_lib enhance aecrnet --weights course samples/haze_pairs/lq out/   # a folder
    python -m course_lib train baseline --data synthetic --steps 200 --ckpt-dir runs/baseline
    python -m course_lib train baseline --data DIR --resume          # DIR/lq and DIR/gt, same file names
    python -m course_lib evaluate baseline --weights runs/baseline/baseline.ckpt --data DIR --per-image
    python -m course_lib editions --out handout --site   # student + instructor notebooks, HTML site

A dataset folder ``DIR`` holds ``DIR/lq`` (degraded inputs) and ``DIR/gt`` (ground truth) with matching
file names, the layout ``data_scripts/fetch_datasets.py`` writes. ``--data synthetic`` degrades the
bundled photos with the method's degradation (haze, low light, or bicubic downscaling by the scale).
Mistakes in the input (unknown method, missing weights, unreadable image, folder without pairs, a number
out of range) end with one line on stderr and exit code 2; ``--help`` and mistakes in the arguments answer
without importing MindSpore. Outputs that exist are kept unless ``--overwrite``, and nothing is written
through a symbolic link. Data parallel: prefix the ``train`` command with ``msrun ...``
(see :mod:`course_lib.train`).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
import time
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
    if path.suffix.lower() in (".pth", ".pt") and path.is_file():
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
    if path.suffix.lower() == ".ckpt" and path.suffix != ".ckpt":  # MindSpore reads only the lower-case name
        raise UsageError(f"weights file {path}: MindSpore reads checkpoints named *.ckpt only; rename it to "
                         f"{path.with_suffix('.ckpt').name}")  # fmt: skip
    try:
        params = ms.load_checkpoint(str(path), crc_check=True)  # files written by `train` carry a CRC
    except Exception:
        raise UsageError(
            f"weights file {path} is not a readable MindSpore checkpoint (truncated, corrupt or unreadable); "
            f"train again or copy it anew"
        ) from None
    from .train.checkpoint import check_finite_params
    from .weights import read_checkpoint

    params = read_checkpoint(params)  # float16 weights (stored at half size) cast to float32
    check_finite_params(params, f"weights file {path}")
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
def _check_data_source(source: str, spec) -> None:
    """``--data``'s mistakes found before MindSpore is imported (open_data checks the rest)."""
    if source != "synthetic" and not Path(source).is_dir():
        raise UsageError(f"--data {source}: no such folder; give 'synthetic' or a folder with lq/ and gt/ inside"
                         + (" (HDR methods: Kalantari or NTIRE scenes: python data_scripts/fetch_datasets.py "
                            "kalantari-test)" if spec.data_kind == "hdr" else ""))  # fmt: skip


def cmd_train(args) -> None:
    from . import budget as make_budget
    from .models import get_method

    spec = get_method(args.method)  # the argument mistakes first: they need no MindSpore
    b = make_budget(args.budget)
    _check_data_source(args.data, spec)
    from . import device
    from .train import fit, init_data_parallel, save_weights

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


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")  # as course_lib.data.datasets
STEP_FILE = re.compile(r"step_(\d+)\.ckpt$")  # checkpoints that `train` writes beside its final weights


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; outputs are never written through links: remove it or "
                         "choose another name")  # fmt: skip


def _image_files(folder: Path) -> list:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise UsageError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def enhance_jobs(inputs, output, hdr: bool) -> list:
    """``[(input paths, output path)]`` from the command line, checked before anything is computed.

    One input file and an output file name: one job. Several inputs, a folder among them, or an output
    that is a folder (or ends with '/'): every image goes to ``OUTPUT/<its name>.png``. HDR methods take
    the three frames of one bracket and one output file.
    """
    inputs, out = [Path(p) for p in inputs], Path(output)
    for p in inputs:
        if not p.exists():
            raise UsageError(f"{p} does not exist; give image files or folders of images")
    if hdr:
        if len(inputs) != 3 or any(p.is_dir() for p in inputs):
            raise UsageError(f"HDR methods take three LDR frames (short, medium, long exposure) and an output "
                             f"file; got {len(inputs)} input(s)")  # fmt: skip
        jobs = [(inputs, out)]
    elif len(inputs) == 1 and inputs[0].is_file() and not out.is_dir() and not str(output).endswith(("/", os.sep)):
        jobs = [(inputs, out)]
    else:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out} is a file; with several inputs or a folder give an output folder")
        files = [f for p in inputs for f in (_image_files(p) if p.is_dir() else [p])]
        jobs, seen = [], {}
        for f in files:
            target = out / (f.stem + ".png")
            if target in seen:
                raise UsageError(f"{f} and {seen[target]} would both be written to {target}; rename one")
            seen[target] = f
            jobs.append(([f], target))
    sources = {p.resolve() for job_inputs, _ in jobs for p in job_inputs}
    for _, target in jobs:
        if target.resolve() in sources:
            raise UsageError(f"{target} is also an input; choose another output so the input is kept")
        _refuse_link(target)
        if hdr and target.suffix.lower() == ".hdr":  # its tone map is written beside it
            _refuse_link(target.with_name(target.stem + "_tonemapped.png"))
    return jobs


def _at_width(net, width: float):
    """A slimmable network (CSD's EDSR) run at ``width`` (a compile-time constant in graph mode)."""
    from mindspore import nn

    if not hasattr(net, "count_active_params"):
        raise UsageError(f"--width is for width-slimmable networks (csd, edsr); {type(net).__name__} has one width")
    from .models.edsr import active_channels

    active_channels(net.num_feat, width)  # a ValueError naming the smallest width that keeps a channel

    class AtWidth(nn.Cell):
        def __init__(self):
            super().__init__(auto_prefix=False)
            self.net = net

        def construct(self, x):
            return self.net(x, width)

    return AtWidth()


def warn_if_untrained(weights: str, method: str) -> None:
    """Warn when ``--weights`` comes from a short ``train`` run (its step checkpoints sit beside it)."""
    if str(weights) == "course":
        return
    steps = [int(m.group(1)) for p in Path(weights).parent.glob("step_*.ckpt") if (m := STEP_FILE.search(p.name))]
    if not steps:
        return
    from . import weights as course_weights

    course_steps = course_weights.manifest().get(method, {}).get("steps")
    if course_steps and max(steps) < course_steps / 10:
        print(f"warning: {weights} comes from a run of {max(steps)} steps (the course weights took "
              f"{course_steps}): expect a poor, possibly flat result; train longer or use --weights course",
              file=sys.stderr)  # fmt: skip


def _header_size(path: Path) -> tuple:
    """An image's (width, height) from its header (unreadable: (0, 0); load_image reports it later)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.size
    except Exception:
        return (0, 0)


def nearly_constant(img, out) -> bool:
    """An output with almost no contrast (spread under 2/255) from an input that has some (over 8/255)."""
    return float(np.std(out)) < 2 / 255 and float(np.std(img)) > 8 / 255


def cmd_enhance(args) -> None:
    from .models import get_method

    spec = get_method(args.method)  # the argument mistakes first: they need no MindSpore
    hdr = spec.data_kind == "hdr"
    jobs = enhance_jobs(args.input, args.output, hdr)
    if not (str(args.weights) == "course" or Path(args.weights).is_file()):
        raise UsageError(f"weights file {args.weights} does not exist; train first (python -m course_lib train "
                         f"{args.method}) or use --weights course")  # fmt: skip
    todo = [job for job in jobs if args.overwrite or not job[1].exists()]
    kept = len(jobs) - len(todo)
    if not todo:
        print(f"kept {kept} existing output(s), e.g. {jobs[0][1]}; --overwrite replaces them")
        return
    todo.sort(key=lambda job: _header_size(job[0][0]))  # photos of one size one after another
    from . import device
    from .data import load_image, save_image
    from .train import predict

    device.setup(args.device, mode=args.mode, verbose=False)  # graph: one compilation per image size
    net = load_weights(spec.build(), args.weights, args.method)
    net.set_train(False)
    warn_if_untrained(args.weights, args.method)
    if args.width is not None:
        net = _at_width(net, args.width)
        net.set_train(False)
    flat, start, first = [], time.perf_counter(), None
    from tqdm import tqdm

    bar = tqdm(todo, unit="image", file=sys.stderr, disable=len(todo) == 1, dynamic_ncols=True)
    for inputs, target in bar:
        bar.set_postfix_str(inputs[0].name, refresh=False)
        frames = [load_image(path) for path in inputs]
        if len({f.shape for f in frames}) > 1:
            raise UsageError(
                f"the frames differ in size ({', '.join(str(f.shape[:2]) for f in frames)}); align them first"
            )
        img = np.concatenate(frames, axis=-1)
        out = predict(net, img, pad_multiple=spec.pad_multiple, scale=spec.scale)[0].transpose(1, 2, 0)
        _refuse_link(target)
        if hdr:
            _save_hdr_result(target, out)
        else:
            save_image(target, out)
        if nearly_constant(img, out):
            flat.append(f"{target.name} (mean {255 * float(np.mean(out)):.1f}/255, spread "
                        f"{255 * float(np.std(out)):.1f}/255)")  # fmt: skip
        first = first or time.perf_counter() - start
        if len(todo) == 1:
            print(f"{' + '.join(str(p) for p in inputs)} ({img.shape[1]}x{img.shape[0]}) -> {target} "
                  f"({out.shape[1]}x{out.shape[0]})")  # fmt: skip
    bar.close()
    if len(todo) > 1 or kept:
        seconds = time.perf_counter() - start
        print(f"wrote {len(todo)} image(s) to {Path(args.output)} in {seconds:.1f} s (first {first:.1f} s)"
              + (f"; kept {kept} existing (--overwrite replaces them)" if kept else ""))  # fmt: skip
    if flat:
        print(f"warning: {len(flat)} of {len(todo)} output(s) nearly constant: {', '.join(flat[:3])}: the weights "
              "look untrained or diverged; train longer or use --weights course", file=sys.stderr)  # fmt: skip


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
    from .models import get_method

    spec = get_method(args.method)  # the argument mistakes first: they need no MindSpore
    _check_data_source(args.data, spec)
    _check_report_paths(args)
    from . import device
    from .metrics import psnr, psnr_mu, ssim
    from .train import predict

    device.setup(args.device, verbose=False)
    net = load_weights(spec.build(), args.weights, args.method)
    net.set_train(False)
    if args.data == "synthetic":  # the held-out test sets every quality figure uses (course_lib.data.heldout)
        from .quality import test_sets

        pairs = [(lq, gt) for triples in test_sets(args.method).values() for _, lq, gt in triples]
        names = [name for triples in test_sets(args.method).values() for name, _, _ in triples]
    else:
        source = open_data(args.data, spec, make_budget(args.budget), train=False)
        pairs, names = list(eval_pairs(source)), pair_names(source)
    base_name, base_fn = classical_baseline(spec)
    hdr = spec.data_kind == "hdr"
    first = ("medium frame", _medium_frame) if hdr else ("input (no processing)", lambda lq: lq)
    rows = {base_name: [], args.method: []}
    if spec.scale == 1:
        rows = {first[0]: [], **rows}
    for image_name, (lq, gt) in zip(names, pairs):
        outputs = {base_name: base_fn(lq), args.method: predict(net, lq, pad_multiple=spec.pad_multiple,
                                                                  scale=spec.scale)[0].transpose(1, 2, 0)}  # fmt: skip
        if args.save:
            save_output(Path(args.save), image_name, outputs[args.method], hdr, args.overwrite)
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
    report_per_image(args, names, rows, columns)


def pair_names(source) -> list:
    """A name per evaluation pair: the low-quality file's stem, an HDR scene's name, else its index."""
    if hasattr(source, "pairs"):
        return [Path(lq).stem for lq, _ in source.pairs]
    if hasattr(source, "names"):
        return list(source.names)
    return [f"image_{i:03d}" for i in range(len(source))]


def _check_report_paths(args) -> None:
    """``--json FILE`` and ``--save DIR``: refused before any work when they cannot be written."""
    if args.json:
        _refuse_link(Path(args.json))
        if Path(args.json).is_dir():
            raise UsageError(f"--json {args.json} is a folder; give a file name, e.g. scores.json")
        parent = Path(args.json).parent
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"--json {args.json}: {parent} is a file, not a folder")
    if args.save:
        if Path(args.save).exists() and not Path(args.save).is_dir():
            raise UsageError(f"--save {args.save} is a file; give a folder (it is created if missing)")


def save_output(folder: Path, name: str, out, hdr: bool, overwrite: bool) -> None:
    """``--save``: the method's output as ``FOLDER/<name>.png`` (HDR: ``.hdr`` and its tone map); an
    existing file is kept unless ``overwrite``."""
    from .data import save_image

    target = folder / (re.sub(r"[^\w.+-]+", "_", name) + (".hdr" if hdr else ".png"))
    if target.exists() and not overwrite:
        return
    _refuse_link(target)
    if hdr:
        _refuse_link(target.with_name(target.stem + "_tonemapped.png"))
        _save_hdr_result(target, out)
    else:
        save_image(target, out)


def report_per_image(args, names, rows, columns) -> None:
    """``--per-image``: one line per image and method; ``--json FILE``: every score and the means."""
    if args.per_image:
        print(f"\n{'image':<28} {'method':<24} {columns[0]:>12} {columns[1]:>10}")
        for i, image_name in enumerate(names):
            for method, scores in rows.items():
                print(f"{image_name[:28]:<28} {method:<24} {scores[i][0]:>12.2f} {scores[i][1]:>10.4f}")
    if args.json:
        import json

        keys = [c.split(" (")[0].lower().replace("-", "_") for c in columns]  # psnr, ssim / psnr_mu, psnr
        report = {
            "method": args.method, "data": str(args.data), "weights": str(args.weights),
            "mean": {m: dict(zip(keys, (float(v) for v in np.mean(s, axis=0)))) for m, s in rows.items()},
            "images": [{"name": n, "scores": {m: dict(zip(keys, (float(v) for v in s[i]))) for m, s in rows.items()}}
                       for i, n in enumerate(names)],
        }  # fmt: skip
        path = Path(args.json)
        _refuse_link(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(report, indent=1) + "\n")
        os.replace(tmp, path)
        print(f"scores written to {path}")


def _medium_frame(frames):
    from .quality import hdr_baseline

    return hdr_baseline("medium frame")(frames)


def cmd_info(args) -> None:
    from importlib import metadata

    from . import __version__
    from . import budget as make_budget
    from .models import REGISTRY  # no MindSpore: the networks are imported when built

    b = make_budget()
    print(f"course_lib {__version__} | MindSpore {metadata.version('mindspore')} | NumPy {np.__version__} | "
          f"Python {platform.python_version()} | {platform.machine()}")  # fmt: skip
    print(f"budget: {b.name} (steps {b.steps}, batch {b.batch}, patch {b.patch})")
    print("methods:")
    for name, spec in sorted(REGISTRY.items()):
        extra = f", x{spec.scale}" if spec.scale > 1 else ""
        print(f"  {name:<14} [{spec.data_kind}{extra}] {spec.description}")
    sys.stdout.flush()
    from .device import available_targets  # imports MindSpore (a few seconds): asked last

    print(f"devices available: {', '.join(available_targets())}")


def cmd_samples(args) -> None:
    from .samples import write_samples

    written = write_samples(args.folder)
    print(f"wrote {len(written)} sample images to {args.folder}: " + ", ".join(
        str(p.relative_to(args.folder)) for p in written if "haze_pairs" not in p.parts)
        + ", and 4 pairs in haze_pairs/lq, haze_pairs/gt")  # fmt: skip


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
class Parser(argparse.ArgumentParser):
    """argparse with the course's one-line errors: ``error: argument --steps: ...; see ... --help``, exit 2."""

    def error(self, message):
        self.exit(2, f"error: {' '.join(message.split())}; see {self.prog} --help\n")


def at_least_one(text: str) -> int:
    """``--steps``, ``--batch``: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive(text: str) -> float:
    """``--lr``, ``--grad-clip``: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def width(text: str) -> float:
    """``--width``: a fraction of the full width in (0, 1]."""
    value = positive(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1] (1 is the full network, 0.25 CSD's student), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    commands = "{train,enhance,evaluate,samples,editions,info}"
    parser = Parser(prog="python -m course_lib", description=__doc__.split("\n")[0].replace("``", ""))
    sub = parser.add_subparsers(dest="command", required=True, metavar=commands)

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
    p.add_argument("--steps", type=at_least_one, default=None, help="optimisation steps (default: the budget's)")
    p.add_argument("--batch", type=at_least_one, default=None, help="global batch size (default: the budget's)")
    p.add_argument("--lr", type=positive, default=1e-4, help="peak learning rate of the cosine schedule (1e-4)")
    p.add_argument("--grad-clip", type=positive, default=None,
                   help="clip the global gradient norm at this value (default: no clipping)")  # fmt: skip
    p.add_argument(
        "--mode", choices=("graph", "pynative"), default="graph", help="compiled (default) or eager"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-dir", default=None, help="checkpoint folder (default: runs/METHOD)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --ckpt-dir")
    common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "enhance", help="restore images",
        description="Run a trained method on image files or folders of any size, in one process: IN OUT for "
        "one image, IN_DIR (or several files) OUT_DIR for many (OUT_DIR/<name>.png, a progress bar, one "
        "compilation per image size). Existing outputs are kept unless --overwrite.",
    )  # fmt: skip
    p.add_argument("method")
    p.add_argument("--weights", required=True,
                   help="'course' (shipped course weights), a MindSpore .ckpt, or an official PyTorch .pth")  # fmt: skip
    p.add_argument(
        "input", nargs="+", help="image files or folders of images (HDR methods: the short, medium and long frames)"
    )
    p.add_argument("output", help="output file (PNG recommended; HDR methods: .hdr, plus a tone-mapped PNG), or "
                   "a folder for several inputs")  # fmt: skip
    p.add_argument("--width", type=width, default=None,
                   help="slimmable networks (csd, edsr): run at this fraction of the width, e.g. 0.25 (CSD's student)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist (default: keep them)")
    p.add_argument("--mode", choices=("graph", "pynative"), default="graph",
                   help="compiled once per image size (default) or eager")  # fmt: skip
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
    p.add_argument("--per-image", action="store_true", help="also print every image's scores")
    p.add_argument("--json", default=None, metavar="FILE", help="write every score and the means to FILE (JSON)")
    p.add_argument("--save", default=None, metavar="DIR", help="keep the method's outputs in DIR (<image>.png)")
    p.add_argument("--overwrite", action="store_true", help="with --save: replace files that exist")
    common(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "samples", help="sample inputs to try every command on",
        description="Write a hazy photo (uniform and uneven haze), a low-light photo, a low-resolution photo, "
        "an exposure bracket and four hazy/clear pairs, made from the bundled held-out photos, into FOLDER. "
        "Existing files are never overwritten.",
    )  # fmt: skip
    p.add_argument("folder", help="output folder (created if missing)")
    p.set_defaults(func=cmd_samples)

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
    from .device import DeviceError  # course_lib.train's CheckpointError is a ValueError

    mode = sys.modules["mindspore"].get_context("mode") if "mindspore" in sys.modules else None
    try:
        args.func(args)
    except MemoryError:
        print("error: out of memory; use fewer --steps, a smaller --batch or smaller images", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, DeviceError, FloatingPointError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)  # one line, no traceback
        return 2
    except OSError as e:  # an output under a file, a read-only folder, a full disk
        where = f": {e.filename}" if e.filename else ""
        print(
            f"error: {e.strerror or e}{where}; choose a path you can write to (and free space)",
            file=sys.stderr,
        )
        return 2
    finally:  # called from Python (a notebook, a test), leave MindSpore's execution mode as it was
        if "mindspore" in sys.modules:
            ms = sys.modules["mindspore"]
            ms.set_context(mode=ms.PYNATIVE_MODE if mode is None else mode)  # PyNative: MindSpore's default
    return 0


if __name__ == "__main__":
    sys.exit(main())
