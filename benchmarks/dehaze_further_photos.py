"""Dehazers on further photos under the held-out set's exact hazes: a check on more than two test photos.

    python benchmarks/dehaze_further_photos.py [--photos DIR | --training-photos] [--json FILE] [--ckpt ...]

The held-out sets hold two photos (coffee, chelsea), so one dehazer can lead another there by chance. This
script puts the same two uniform and two non-homogeneous hazes (:func:`course_lib.data.heldout.uniform_hazes`,
:func:`~course_lib.data.heldout.nonhomogeneous_hazes`, fixed seeds) over each photo of ``DIR`` (default: the
14 sharp OpenCV scenes of ``data_scripts/get_photos.py --set sharp``, which no shipped dehazer's recipe trains
on), shrunk to 320 px as the held-out photos are, and prints mean PSNR / SSIM of the dark channel prior, every
dehazer with course weights (marked "trained on these photos" where its manifest lists ``DIR``) and the tries
given with ``--ckpt`` (as in ``benchmarks/real_photos.py``). ``--training-photos`` scores the five bundled
training photos instead, which every dehazer trained on: one that loses to the prior there under-fits.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

SHARP = Path.home() / ".cache" / "course_lib" / "photos_sharp"


def further_photos(folder: Path, max_side: int = 320) -> list:
    """The .png photos of ``folder`` as float32 (H, W, 3), longest side ``max_side``, cropped to multiples of 32
    (every dehazer's input size)."""
    from course_lib.data import load_image
    from course_lib.data.images import _shrunk as shrunk

    files = sorted(folder.glob("*.png"))
    if not files:
        fix = "run python data_scripts/get_photos.py --set sharp" if folder == SHARP else "give a folder of .png photos"
        raise FileNotFoundError(f"no .png photos in {folder}; {fix}")
    return [_crop32(shrunk(load_image(f), max_side)) for f in files]


def training_photos(max_side: int = 320) -> list:
    """The five bundled training photos, which every shipped dehazer trained on, as :func:`further_photos`
    gives its photos: a dehazer that loses to the prior even here under-fits rather than generalises badly."""
    from course_lib.data import train_images

    return [_crop32(img) for img in train_images(max_side=max_side)]


def _crop32(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[: img.shape[0] // 32 * 32, : img.shape[1] // 32 * 32])


def trained_on(method: str, folder: Path) -> bool:
    """Whether the shipped ``method``'s last stage trained on the photos of ``folder`` (its manifest's list)."""
    from course_lib import weights

    photos = weights.manifest().get(method, {}).get("data", {}).get("photos", [])
    return any(line.endswith(f"/{folder.name}") for line in photos)


def scores(restorers: dict, photos: list) -> dict:
    """``{name: {set: {'psnr', 'ssim'}}}``, means over every photo and both hazes of each set."""
    from course_lib.data import heldout
    from course_lib.metrics import psnr, ssim

    sets = {"homogeneous haze": heldout.uniform_hazes, "non-homogeneous haze": heldout.nonhomogeneous_hazes}
    rows = {name: {s: [] for s in sets} for name in restorers}
    for clean in photos:
        for set_name, make in sets.items():
            for _, hazy in make(clean):
                for name, restore in restorers.items():
                    out = np.clip(restore(hazy), 0.0, 1.0)
                    rows[name][set_name].append((psnr(out, clean), ssim(out, clean)))
    return {name: {s: {"psnr": round(float(np.mean([r[0] for r in v])), 3),
                       "ssim": round(float(np.mean([r[1] for r in v])), 4)} for s, v in by_set.items()}
            for name, by_set in rows.items()}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=SHARP, help="a folder of clear .png photos")
    parser.add_argument("--training-photos", action="store_true",
                        help="score on the five bundled training photos instead (every dehazer trained on them)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--ckpt", action="append", default=[], metavar="LABEL:KEYWORDS:PATH",
                        help="also score a dehazing try, as in benchmarks/real_photos.py")  # fmt: skip
    args = parser.parse_args(argv)
    from hdr_regions import parse_ckpts
    from real_photos import DEHAZERS, course_restorers, try_restorers

    from course_lib import baselines
    from course_lib.weights import WeightsError

    ckpts = parse_ckpts(parser, args.ckpt)
    try:
        photos = training_photos() if args.training_photos else further_photos(args.photos)
        restorers = {"dark channel prior": baselines.dark_channel_prior, **course_restorers(DEHAZERS),
                     **try_restorers(ckpts)}  # fmt: skip
    except (FileNotFoundError, TypeError, ValueError, WeightsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    seen = [m for m in DEHAZERS if m in restorers and (args.training_photos or trained_on(m, args.photos))]
    restorers = {(f"{k} (trained on these photos)" if k in seen else k): v for k, v in restorers.items()}
    table = scores(restorers, photos)
    where = "the bundled training photos" if args.training_photos else args.photos.name
    print(f"| dehazer ({len(photos)} photos of {where}, 2 hazes each) | uniform PSNR / SSIM "
          "| non-homogeneous PSNR / SSIM |\n|---|---|---|")
    for name, by_set in table.items():
        u, nh = by_set["homogeneous haze"], by_set["non-homogeneous haze"]
        print(f"| {name} | {u['psnr']:.2f} / {u['ssim']:.3f} | {nh['psnr']:.2f} / {nh['ssim']:.3f} |")
    if args.json:
        command = "python benchmarks/dehaze_further_photos.py " + shlex.join(argv or sys.argv[1:])
        record = {"command": command.replace(str(Path.home()), "~"),
                  "photos": f"{len(photos)} from {where}", "scores": table}  # fmt: skip
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
