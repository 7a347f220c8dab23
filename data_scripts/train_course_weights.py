"""The recipe of the course weights: train every registered method, score it on the held-out photos as it
trains (its learning curve), and write ``METHOD.ckpt`` plus its entry in ``manifest.json`` into an output
folder; ``--install`` then copies finished methods into the package (``course_lib/weights``).

    python data_scripts/get_photos.py                       # once: 24 Debian wallpaper photos (140 MB download)
    python data_scripts/get_photos.py --out ~/.cache/course_lib/photos1024 --max-side 1024   # once, for edsr/csd
    python data_scripts/train_course_weights.py             # every method, in the order below
    python data_scripts/train_course_weights.py edsr csd    # some methods
    python data_scripts/train_course_weights.py edsr --photos ~/my_photos --steps 200   # your photos, a short run
    python data_scripts/train_course_weights.py --install edsr csd   # replace the shipped weights (a summary first)

Nothing is written into the package unless ``--install`` is given: trained weights and their manifest go to
``--out`` (default ``runs/course-weights``), checkpoints to ``--runs`` (default ``runs/course/METHOD``, every
250 steps; a stopped run continues from there when started again, bit-exactly: same batches, same optimiser
state). A checkpoint folder holds one recipe: a run with other settings (``--steps``, ``--set``, an edited
recipe) in the same ``--runs`` folder stops with an error instead of mixing two schedules. ``--install``
refuses short tries (``--steps`` below the recipe's) and refuses to run under CI, so the tests' weights stay.

Each method is trained with the registry's network and loss (``course_lib.models.REGISTRY``) by
``course_lib.train.fit``, exactly as ``python -m course_lib train`` does, on synthetic pairs made from the
training photos with the method's degradation (``python -m course_lib train --data synthetic``'s: bicubic
x2, haze half homogeneous and half non-homogeneous, random low light). The settings of each method are in
:data:`RECIPES` and go into the manifest, with the learning curve: held-out scores every ``eval_every``
steps and the wall seconds spent training up to then (``benchmarks/learning_curves.py`` draws them).

Data: the five training photos bundled with the course and the 24 Debian photos, shrunk to a longer side
of 512 pixels (``--photos DIR`` adds every image in DIR); the super-resolution networks (``large_photos``) also
learn from the same Debian photos at 1024 pixels (:data:`PHOTOS_LARGE`), textures at a second scale. The held-out photos (coffee, chelsea) are never
used. Scores: :func:`course_lib.quality.score` on :mod:`course_lib.data.heldout`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# isort: off
import course_lib  # noqa: E402,F401  (sets the oneDNN ISA cap before MindSpore)
import numpy as np  # noqa: E402

# isort: on

PHOTOS = Path.home() / ".cache" / "course_lib" / "photos"
# the same Debian photos at a longer side of 1024 px (recipe key ``large_photos``): super-resolution learns from
# textures at two scales, 512 and 1024, the scale jitter of the field
PHOTOS_LARGE = Path.home() / ".cache" / "course_lib" / "photos1024"
# 13 further photos, many landscapes with depth (recipe key ``more_photos``; get_photos.py --set more)
PHOTOS_MORE = Path.home() / ".cache" / "course_lib" / "photos_more"
# 14 sharp scenes in focus at every depth, OpenCV's samples (recipe key ``sharp_photos``; get_photos.py --set sharp)
PHOTOS_SHARP = Path.home() / ".cache" / "course_lib" / "photos_sharp"
# steps, peak lr (cosine), batch, HR patch, degraded versions per photo; 'loss' overrides the registry's ('l1':
# the method's L1 terms without its costly perceptual one: AECR-Net's CR, CSD's contrastive term),
# 'pretrain_steps' trains clear -> clear first (its own cosine schedule), 'eval_every' sets the curve's spacing,
# 'init' starts from another method's course weights ('edsr@0be1a09': the ones shipped at that commit, read from
# git history and checked against that commit's manifest), 'teacher' distils from another method's course weights,
# 'compare': 'student_alone' trains the same student without its teacher (same init, steps and batches),
# 'colour_weight' / 'exposure_level' set Zero-DCE's loss weights (course_lib.losses.zero_reference),
# 'haze': 'camera' trains dehazers on course_lib.data.degrade.camera_haze (noise, JPEG, denser clouds), 'noisy' on
# noisy_haze (the course's haze, then the same noise and JPEG), 'sometimes_noisy' on sometimes_noisy_haze (half of them),
# 'more_photos' adds the 13 photos of get_photos.py --set more (PHOTOS_MORE), 'sharp_photos' the 14 sharp scenes of
# --set sharp (PHOTOS_SHARP), 'wallpapers': False leaves the 24 Debian wallpapers out (the bundled five stay),
# 'finetune': a last stage after 'steps' (its own keys override the recipe's: steps, lr, patch, ema,
# more_photos, ...), the field's last stage of smaller steps, larger crops and an average of the weights,
# 'ema': the decay of a moving average of the weights (fit's ``ema``): the curve scores it and it is shipped,
# 'max_shift': HDR brackets move their short and long frames by up to this many pixels (default 1),
# 'network': keyword arguments of EfficientHDR for the HDR methods (tries of other starts, e.g. merge_skip=True)
# or of AECRNet for aecrnet / aecrnet_dcp (e.g. num_feat=32), or of KTDN for ktdn / ktdn_teacher (planes=...),
# 'frequency_weight': the KTDN family's loss (or loss 'l1') plus this times MIMO-UNet's frequency loss
# (course_lib.losses.frequency: L1 of the error's spectrum, against faint periodic patterns),
# 'store': 'float16' halves the file (the scores are measured on the stored weights, read back as float32).
RECIPES = {
    # 2,000 steps on the 512-px photos (2026-11-27): 34.26 dB held-out, Set5 35.11, no curve; now as edsr trains,
    # on the 1024-px photos too, until the curve is flat
    "espcn": dict(steps=4000, lr=1e-3, batch=16, patch=64, per_photo=8, large_photos=True, max_side=1024),
    # 2,500 steps (2026-11-27): 34.89 dB held-out, Set5 36.34; the curve of 2026-12-06 still rose at 4,000 (35.35)
    # 10,000 steps on the 512-px photos: flat at 35.51 dB held-out, Set5 36.87 (below FSRCNN's 37.00)
    # then a last stage (tried 2026-12-06 with 64-px crops: held-out 35.64 -> 35.68, Set5 36.93 -> 36.996)
    "edsr": dict(steps=20000, lr=5e-4, batch=8, patch=64, per_photo=8, store="float16", large_photos=True,
                 max_side=1024, finetune=dict(steps=5000, lr=1e-4, patch=96, ema=0.999, more_photos=True,
                                              eval_every=500)),
    # Zero-DCE trains on dark photos made as real short exposures (``low_light: short exposure``: linear light
    # times 0.02-0.2, no gamma): the per-channel gamma of the literature's synthesis exaggerates every colour cast
    # of the crops, and the grey-world term L_col then teaches the networks to add blue to warm photos (DICM
    # blue/red over the input's: Zero-DCE +12 % with it, +4 % without; Zero-DCE++ +43 % / +33 %;
    # docs/zero_dce_tries.json). Zero-DCE++ kept its tint on short exposures at every colour weight and E tried
    # (+29-33 % at weight 2 or 5, E 0.5 or 0.6; -30 % and 11.98 dB at weight 0): its L_col is measured against the
    # input's own colour balance instead of grey (``colour_reference: input``, a course change): DICM -11 %. On the
    # gamma synthesis at lr 7e-5 (flat from 750 steps); at lr 1e-4 its SSIM fell to 0.337, at 5e-5 it stayed
    # darker than the official weights on DICM (0.141), on short exposures 15.68 dB / 0.326, at E 0.55 too dark.
    "zero_dce_pp": dict(steps=1000, lr=7e-5, batch=8, patch=64, per_photo=8, grad_clip=0.1, colour_weight=5,
                        colour_reference="input"),
    # Zero-DCE: the paper's colour weight 0.5 (the code's 5 pushes every 64-px crop to grey); E 0.5 and lr 5e-5,
    # flat from 350 steps (tried 2026-12-06: E 0.6 ends 0.01 brighter than the ground truth with SSIM 0.318; at
    # lr 1e-4 and E 0.5 SSIM falls to 0.328 by 600 steps; E 0.6 with Zero-DCE++'s TV weight 1600: SSIM 0.3361)
    "zero_dce": dict(steps=600, lr=5e-5, batch=8, patch=64, per_photo=8, grad_clip=0.1, colour_weight=0.5,
                     exposure_level=0.5, low_light="short exposure", eval_every=50),
    # the 0.25 student is held back by its steps, not its width: 800 CSD steps kept 51 % of the teacher's
    # gain, 4,000 kept 72 %, 8,000 keep 80 % (README); CSD's VGG term makes each step ~40x a plain student
    # step. The shipped csd started from the 2,500-step edsr of 2026-11-27 (Set5 36.34). From the later edsr
    # (36.93, 37.01) three tries left the student below the shipped one on Set5 (docs/csd_edsr1024_try.json: photos at
    # 1,024 px too, 36.43 and below the student alone; docs/csd_lr2e4_try.json: lr 2e-4 with EMA, flat at
    # 34.0 dB held-out; docs/csd_finetune_try.json: 6,000 steps and a last stage at lr 1e-4 with EMA, 36.36,
    # the student alone 36.41)
    # the shipped csd's start, the 2,500-step edsr, pinned by its commit (not today's edsr); curve every 500 steps.
    # Then edsr's last stage (5,000 steps at lr 1e-4, 96-px crops, the 13 further photos, EMA), for the student
    # alone too, without the contrastive term (J-T1; with it a 64-px step took 1.9 s, without it a 96-px step 0.5 s,
    # both shared): Set5 37.02 / 36.60, the student alone 36.50 (2026-12-07, 47 min shared). With that term
    # on 64-px crops for 2,000 steps (docs/csd_cr_finetune_try.json): Set5 36.99 / 36.54, the student alone 36.47
    "csd": dict(steps=8000, lr=1e-3, batch=8, patch=48, per_photo=8, init="edsr@0be1a09", compare="student_alone",
                eval_every=500, finetune=dict(steps=5000, lr=1e-4, patch=96, ema=0.999, more_photos=True,
                                              eval_every=500, loss="l1")),
    # the paper's tanh head rebuilds every detail through a 4x bottleneck: it first learns to reproduce clear
    # photos (1,000 steps: 16.7 dB held-out, a blur; 4,000: 18.6 dB, still below the prior's 22.1 / 18.7).
    # Tried 2026-12-06 (docs/aecrnet_tanh_curve.json): after 2,000 clear -> clear steps it rebuilt clear photos at
    # only 25-30 dB (SSIM 0.72-0.79), and the dehazing stage fell from 17.4 / 16.4 dB (step 250) to 15.1 / 13.9
    # (step 3,500, outputs 0.11 too bright): stopped. At the official code's order of lr (1.5e-4, gradients
    # clipped, EMA, the 37 photos; docs/aecrnet_lowlr_try.json) it rose steadily to 17.2 / 16.3 dB at 2,000 steps
    # and stayed flat: the recipe since 2026-12-07. Twice the width (docs/aecrnet_f32_try.json) reached 19.1 / 17.3
    # at 6,000 steps, still a blur below the prior, and would change the registry's network.
    # Since 2026-12-07 a last stage on the weights shipped at cc978b3 (that recipe: 4,000 L1 steps at lr 1.5e-4 with
    # EMA, 17.12 / 16.07 dB; on the real NH-HAZE photos a blur with a stride-2 checkerboard, top band 313x the middle
    # band's gain): 2,000 steps on camera_haze with 96-px crops at lr 1e-4 and 10 x MIMO-UNet's frequency loss.
    # On clean haze with 5 x that loss (docs/aecrnet_freq_try.json) the pattern came back as the head sharpened
    # (1.19x at step 750, 1.83x at 2,000); camera_haze's noise keeps it under 1x
    "aecrnet": dict(steps=2000, lr=1e-4, batch=8, patch=96, per_photo=20, loss="l1", ema=0.999, more_photos=True,
                    grad_clip=0.5, init="aecrnet@cc978b3", frequency_weight=10, haze="camera", eval_every=250),
    "efficient_hdr_teacher": dict(steps=2000, lr=5e-4, batch=8, patch=64, per_photo=8),
    # EfficientHDR from the medium frame (the earlier recipe: 1,500 steps distilled from the teacher, 34.90 dB;
    # 6,000 steps alone, 35.67) never left the medium frame where it is clipped, and from the classical merge it
    # merged misaligned frames (35.4-35.6). The short and long frames aligned first (Ward's bitmaps, in the
    # network) and the merge as the start: 40.62 dB untrained, above AHDRNet (37.11). Trained on brackets moved
    # by up to 2 px, at a low lr (a 20-step smoke run at 5e-4 fell to 23.8 dB), with the average of the weights.
    # No teacher: the course teacher (36.61) is below this student's start (notebook 09, section 7)
    "efficient_hdr": dict(steps=4000, lr=1e-4, batch=8, patch=64, per_photo=8, eval_every=250, ema=0.999,
                          max_shift=2, network={"merge_skip": True, "align_max_shift": 3}),
    # the sigmoid head first has to learn the camera curve: held-out PSNR-mu 28.1 dB after 250 steps (400 steps:
    # below the medium frame's 32.95), 35.7 after 1,500, flat at 37.1 from 2,500 (52 min, 2026-12-06)
    "ahdrnet": dict(steps=3000, lr=5e-4, batch=4, patch=48, per_photo=8, store="float16"),
    # KTDN / SRKTDN train on photos shrunk to 320 px, the held-out photos' size: a crop then holds haze clouds
    # at the scale the test hazes have them (at 512 px SRKTDN reached 16.29 dB non-homogeneous, at 320 16.50)
    # the clear -> clear teacher: 800 steps rebuilt the held-out clear photos at 23.4 dB / SSIM 0.62, its curve
    # still rising (18.5 dB at 100 steps, 23.7 at 700; 2026-12-07); trained until the curve is flat
    "ktdn_teacher": dict(steps=3000, lr=1e-3, batch=8, patch=96, per_photo=8, store="float16", max_side=320),
    # the students' prior head computes the dark channel prior of each crop: 160-px crops of 320-px photos see it
    # as the held-out photos (320 px) do (96-px crops: 19.06 dB non-homogeneous after 400 steps; 160: 19.59)
    "ktdn_dcp": dict(steps=800, lr=2e-4, batch=4, patch=160, per_photo=8, grad_clip=0.5, store="float16", max_side=320,
                     eval_every=100),
    "srktdn_dcp": dict(steps=800, lr=2e-4, batch=4, patch=160, per_photo=8, grad_clip=0.5, store="float16",
                       max_side=320, eval_every=100),
    # the papers' networks (tanh tail, no prior): KTDN starts from its clear -> clear teacher (same network), the
    # two-branch network learns clear -> clear first; then dehazing with the transfer loss. Compact KTDN's decoder
    # reaches full size with 4 channels: tried 2026-12-06, flat at 17.1 / 15.7 dB, SSIM 0.57 after 500 steps (its
    # teacher rebuilds clear photos at SSIM 0.62; docs/ktdn_tanh_curve.json). Tried since (2026-12-07, about 3.2 h in
    # all): on camera_haze with 5 x the frequency loss at lr 2e-4 (swinging, docs/ktdn_camera_try.json) and at 1e-4
    # with EMA (flat at 17.6 / 16.7, docs/ktdn_camera_ema_try.json); with a decoder 16 channels wide and its own
    # teacher (network={'planes': (58, 18, 24)}: 18.6 / 17.5, docs/ktdn_wide_try.json); the same on plain haze with 64
    # hazes of each photo, what lifted srktdn (18.2 / 17.2, flat; docs/ktdn_wide_pp64_try.json). No course weights.
    # SRKTDN's full-resolution RCAN branch carries the detail; it trains on camera_haze for real photos
    "ktdn": dict(steps=4000, lr=2e-4, batch=4, patch=160, per_photo=8, grad_clip=0.5, store="float16", max_side=320,
                 init="ktdn_teacher"),
    # srktdn is three last stages on the weights shipped at 3a5130f (that commit's recipe: 1,000 clear -> clear
    # steps, then 3,000 on camera_haze at lr 2e-4; 18.36 / 17.61 dB, 62 min). The first (shipped at 416b301: 1,500
    # steps on camera_haze at lr 5e-5, an average of the weights, MIMO-UNet's frequency loss; 18.86 / 17.71 dB) took
    # out a faint pattern those weights left on the real NH-HAZE photos (columns alternating, changing sign every 8
    # rows: top band 4.6x the middle band's gain; the average alone, docs/srktdn_ema_try.json: 2.0x; a penalty on
    # 2x2 blocks averaged over 32-px windows: 3.1x at step 500). The second (shipped at 2016c0a: 2,000 steps on the
    # plain haze with 64 hazes of each photo instead of 8) reached 20.62 / 18.84 dB: SyntheticPairs makes
    # per_photo x photos hazy images once, so at 8 the network saw each of 232 clouds and airlights about 35 times
    # and could learn them, not haze (at 8, docs/srktdn_plain_haze_try.json: 20.47 / 18.54 on the held-out photos,
    # +0.4 / +0.04 dB on 14 further photos). It drew faint streaks on real fog (notebook 08's ColdRipple: the finest
    # details gained 1.68x what the middle frequencies gained): it had never seen a camera's noise. On the course's
    # haze with camera_noise on every image they went, but it fell to 20.14 / 18.49 (docs/srktdn_noisy_try.json);
    # this third stage, 1,000 steps with the noise on half the hazes, keeps 20.45 / 18.84 without the streaks (1.05)
    "srktdn": dict(steps=1000, lr=5e-5, batch=4, patch=160, per_photo=64, grad_clip=0.5, store="float16",
                   max_side=320, init="srktdn@2016c0a", ema=0.999, eval_every=250, frequency_weight=5,
                   haze="sometimes_noisy"),
    # the shipped weights of 2026-11-27 had no curve; scored every 200 steps since 2026-12-07
    "aecrnet_dcp": dict(steps=1600, lr=2e-4, batch=4, patch=112, per_photo=20, grad_clip=0.5, max_side=256,
                        eval_every=200),
}
# recipe key 'haze' -> course_lib.data.degrade's function; without the key, the course's haze (the held-out sets')
HAZES = {"camera": "camera_haze", "noisy": "noisy_haze", "sometimes_noisy": "sometimes_noisy_haze"}
RECIPE_KEYS = ("steps", "lr", "batch", "patch", "per_photo", "loss", "pretrain_steps", "eval_every", "init", "teacher",
               "compare", "colour_weight", "exposure_level", "colour_reference", "tv_weight", "low_light", "haze",
               "more_photos", "sharp_photos", "wallpapers", "large_photos", "max_side", "max_shift", "network",
               "finetune", "ema", "store", "grad_clip", "frequency_weight")  # fmt: skip
LICENCES = {
    "bundled": "scikit-image and matplotlib sample photos: public domain / Middlebury (course_lib.data.images)",
    "debian": "mate-backgrounds (GPL-2+) and plasma-workspace-wallpapers (LGPL-3, Volna CC-BY-SA-4.0): "
    "see ~/.cache/course_lib/photos/LICENCES.json (data_scripts/get_photos.py)",
    "debian, more_photos only": "lomiri-wallpapers-16.04 (CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0): see "
    "~/.cache/course_lib/photos_more/LICENCES.json (data_scripts/get_photos.py --set more)",
    "debian, sharp_photos only": "opencv-doc's sample images (Apache-2.0 AND BSD-3-Clause per its debian/copyright): "
    "see ~/.cache/course_lib/photos_sharp/LICENCES.json (data_scripts/get_photos.py --set sharp)",
}


def training_photos(extra: Path | None, max_side: int = 512, wallpapers: bool = True):
    """The bundled training photos + the Debian wallpapers (unless ``wallpapers`` is False) (+ ``extra``), as
    float32 (H, W, 3)."""
    from course_lib.data import load_image, train_images

    photos, names = train_images(max_side=max_side), ["bundled training photos"]
    folders = [f for f in (PHOTOS if wallpapers else None, extra) if f is not None]
    for folder in folders:
        files = sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        if not files and folder == PHOTOS:
            raise FileNotFoundError(f"no photos in {PHOTOS}; run python data_scripts/get_photos.py first")
        for f in files:
            photos.append(shrink(load_image(f), max_side))
        names.append(f"{len(files)} photos from {str(folder).replace(str(Path.home()), '~')}")
    return photos, names


def cached_photos(folder: Path, fix: str):
    """The .png photos in ``folder`` (one of the caches get_photos.py fills), and their line for the manifest;
    FileNotFoundError naming ``fix`` when there are none."""
    from course_lib.data import load_image

    files = sorted(folder.glob("*.png"))
    if not files:
        raise FileNotFoundError(f"no photos in {folder}; run {fix}")
    return [load_image(f) for f in files], f"{len(files)} photos from {str(folder).replace(str(Path.home()), '~')}"


def large_photos():
    """The Debian photos at 1024 px (:data:`PHOTOS_LARGE`), and their line for the manifest."""
    return cached_photos(PHOTOS_LARGE, f"python data_scripts/get_photos.py --out {PHOTOS_LARGE} --max-side 1024")


def more_photos():
    """The 13 further photos (:data:`PHOTOS_MORE`, 512 px), and their line for the manifest."""
    return cached_photos(PHOTOS_MORE, "python data_scripts/get_photos.py --set more")


def sharp_photos():
    """The 14 sharp scenes (:data:`PHOTOS_SHARP`, 512 px), and their line for the manifest."""
    return cached_photos(PHOTOS_SHARP, "python data_scripts/get_photos.py --set sharp")


def shrink(img, max_side):
    """``img`` with its longer side at most ``max_side`` (PIL bicubic with antialiasing)."""
    from PIL import Image

    if max(img.shape[:2]) <= max_side:
        return img
    pil = Image.fromarray(np.round(img * 255).astype(np.uint8))
    pil.thumbnail((max_side, max_side), Image.BICUBIC)
    return np.asarray(pil, dtype=np.float32) / 255.0


def make_data(spec, photos, recipe, seed=0, identity=False):
    """The method's synthetic pairs; ``identity``: clear -> clear pairs (a network learns to reproduce its
    input before it learns to restore: the pre-training stage, as KTDN's teacher is trained)."""
    from course_lib.__main__ import synthetic_degradation
    from course_lib.data.datasets import SyntheticPairs
    from course_lib.data.degrade import modcrop

    if spec.data_kind == "hdr":  # noisy -2/0/+2 EV brackets of the photos as pseudo-HDR (course_lib.data.hdr)
        from functools import partial

        from course_lib.data.hdr import SyntheticBrackets, bracket, random_bracket

        images = [modcrop(shrink(p, recipe.get("max_side", 512)), 16) for p in photos]
        moved = partial(bracket, max_shift=recipe["max_shift"]) if "max_shift" in recipe else random_bracket
        return SyntheticBrackets(
            images, moved, patch=recipe["patch"], count=recipe["per_photo"] * len(images), seed=seed
        )

    degrade_fn, lq_only = synthetic_degradation(spec)
    if recipe.get("haze"):  # one of HAZES (the comment at the top of the file says what each makes)
        from course_lib.data import degrade

        degrade_fn = getattr(degrade, HAZES[recipe["haze"]])
    if recipe.get("low_light") == "short exposure":  # dark photos as real short exposures: no gamma
        from functools import partial

        from course_lib.data.degrade import random_exposure, random_short_exposure

        degrade_fn = partial(random_exposure, dark=random_short_exposure)
    if identity:
        degrade_fn = lambda img, rng: img  # noqa: E731
    images = [modcrop(shrink(p, recipe.get("max_side", 512)), spec.scale) for p in photos]
    return SyntheticPairs(images, degrade_fn, recipe["patch"], count=recipe["per_photo"] * len(images),
                          scale=spec.scale, seed=seed, lq_only=lq_only)  # fmt: skip


def loss_for(method, recipe, spec, out: Path):
    if recipe.get("teacher"):
        from course_lib.losses.hdr import hdr_distill_loss_fn
        from course_lib.models import get_method

        teacher = get_method(recipe["teacher"]).build()
        load_init(teacher, recipe["teacher"], out)
        teacher.set_train(False)
        name = f"mu-law L1 + 1.0 x mu-law L1 to the frozen {recipe['teacher']} (its course weights)"
        return hdr_distill_loss_fn(teacher), name
    if recipe.get("colour_weight") is not None:
        from course_lib.losses import zero_reference as zr

        tv = zr.TV_WEIGHT_ZERO_DCE_PP if method == "zero_dce_pp" else zr.TV_WEIGHT_ZERO_DCE
        tv = recipe.get("tv_weight", tv)
        level = recipe.get("exposure_level", zr.EXPOSURE_LEVEL)
        reference = recipe.get("colour_reference", "grey")
        name = f"zero-reference: {tv:g} L_tvA + L_spa + {recipe['colour_weight']:g} L_col + 10 L_exp (E {level:g})"
        if reference != "grey":
            name += f"; L_col against the {reference}'s colour balance"
        loss = zr.make_loss_fn(tv, colour_weight=recipe["colour_weight"], exposure_level=level,
                               colour_reference=reference)  # fmt: skip
        return loss, name
    w = recipe.get("frequency_weight", 0)
    spectrum = f" + {w:g} x L1 of the error's spectrum (MIMO-UNet's frequency loss, orthonormal FFT)"
    if w and method not in KTDN_FAMILY and recipe.get("loss") != "l1":
        raise ValueError(f"recipe key 'frequency_weight' is for {', '.join(KTDN_FAMILY)} and recipes with "
                         f"loss 'l1', not {method}")  # fmt: skip
    if method in KTDN_FAMILY:
        from course_lib.losses.transfer import transfer_loss_fn

        teacher, whose = transfer_teacher(recipe, out)
        name = f"registry (the frozen teacher: {whose})" + (spectrum if w else "")
        return transfer_loss_fn(teacher, frequency_weight=w), name
    if method == "csd" and recipe.get("loss") == "l1":  # a last stage on large crops: VGG's term is most of a step
        from course_lib.losses.distill import csd_loss_fn

        return csd_loss_fn(None), "L1 at width 1 + L1 at width 0.25 (CSD without its contrastive term: J-T1)"
    if recipe.get("loss") == "l1":
        from course_lib.losses.dehaze import aecr_loss_fn

        name = "L1" + (spectrum if w else "") + " (the paper's 0.1 CR term left out: 10x the step time)"
        return aecr_loss_fn(mode="none", frequency_weight=w), name
    return spec.loss_fn_factory(), "registry"


KTDN_FAMILY = ("ktdn", "srktdn", "ktdn_dcp", "srktdn_dcp")  # the registry's transfer loss
MAX_STEPS = 10_000_000  # the schedule holds one learning rate per step: more would not fit in memory
EVAL_EVERY = 250


def flat_scores(scores: dict, prefix: str = "") -> dict:
    """``{'test set/metric': value}`` from :func:`course_lib.quality.score`'s nested dict (and
    ``{'width 1/x2/psnr': value}`` from the slimmable networks' one more level)."""
    flat = {}
    for key, value in scores.items():
        if isinstance(value, dict):
            flat.update(flat_scores(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def learning_curve(history) -> list:
    """The held-out scores recorded during training, each with its step and the training seconds up to it."""
    seconds = np.cumsum(history.step_time)
    return [{"step": m["step"], "seconds": round(float(seconds[m["step"] - history.step[0]]), 1),
             **{k: round(v, 4) for k, v in m.items() if k != "step"}} for m in history.metrics]  # fmt: skip


def pinned_weights(method: str, commit: str, folder: Path, repo: Path = REPO) -> Path:
    """``method``'s course weights as shipped at ``commit`` of ``repo`` (from git history), written into ``folder``
    and checked against that commit's manifest; a ValueError names the fix when git or the commit is missing."""
    import hashlib
    import subprocess

    def show(path: str) -> bytes:
        try:
            return subprocess.run(["git", "-C", str(repo), "show", f"{commit}:course_lib/weights/{path}"],
                                  check=True, capture_output=True).stdout  # fmt: skip
        except (OSError, subprocess.CalledProcessError) as e:
            raise ValueError(f"init {method}@{commit}: cannot read course_lib/weights/{path} at that commit "
                             f"({e}); run the recipe in a git clone of the course that holds the commit") from e

    entry = json.loads(show("manifest.json")).get(method)
    if entry is None:
        raise ValueError(f"init {method}@{commit}: that commit shipped no {method}; pin a commit that did")
    data = show(entry["file"])
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"init {method}@{commit}: the file does not match that commit's manifest")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{method}@{commit}.ckpt"
    target.write_bytes(data)
    return target


def transfer_teacher(recipe: dict, out: Path):
    """The frozen ``ktdn_teacher`` of the KTDN family's transfer loss, as ``init`` finds it: this recipe's run's
    (``out``/ktdn_teacher.ckpt, trained with the same ``--out``) if there is one, else the shipped course
    weights; built with the recipe's ``network`` keywords (a wider student's teacher is as wide).
    Returns (net, where its weights came from)."""
    from course_lib.models import get_method

    teacher = build_network(get_method("ktdn_teacher"), recipe)
    local = out / "ktdn_teacher.ckpt"
    if recipe.get("network") and not local.is_file():
        raise ValueError(f"recipe key 'network' {recipe['network']}: the transfer loss needs a teacher of that "
                         f"network; train it first into the same --out: train_course_weights.py ktdn_teacher "
                         f"--set \"network={recipe['network']}\" --out {out}")  # fmt: skip
    load_init(teacher, "ktdn_teacher", out)
    return teacher, str(local) if local.is_file() else "the course weights"


def load_init(net, method: str, out: Path) -> None:
    """Start ``net`` from ``method``'s weights in ``out`` (this recipe's output), else the shipped ones;
    ``method@commit`` takes the weights shipped at that commit."""
    import mindspore as ms

    from course_lib import weights

    if "@" in method:
        name, commit = method.split("@", 1)
        ms.load_param_into_net(net, weights.read_checkpoint(pinned_weights(name, commit, out)), strict_load=True)
        return
    local = out / f"{method}.ckpt"
    if local.is_file():
        ms.load_param_into_net(net, weights.read_checkpoint(local), strict_load=True)
    else:
        weights.load_into(net, method)


def claim_run_folder(run_root: Path, method: str, recipe: dict) -> None:
    """Record ``recipe`` beside ``method``'s checkpoints in ``run_root``; a ValueError when they hold a run of
    another recipe. ``fit`` resumes any checkpoint it finds, and a run whose steps grew would go on with a
    recomputed schedule: for course weights that is a mixed run, not the recipe."""
    path = run_root / f"{method}_recipe.json"
    wanted = json.loads(json.dumps(recipe))
    if path.is_file():
        found = json.loads(path.read_text())
        if found != wanted:
            raise ValueError(f"--runs {run_root} holds a {method} run of another recipe ({found}, now {wanted}); "
                             "give a new --runs folder, or delete that run to start it over")  # fmt: skip
        return
    run_root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(wanted, indent=1) + "\n")


def train_one(method, photos, run_root, out, steps=None, finetune_photos=()):
    """Train (or resume) one method; returns (net, history, seconds, recipe, loss name). ``finetune_photos`` are
    added for the fine-tuning stage only."""
    import mindspore as ms

    from course_lib import device
    from course_lib.models import get_method
    from course_lib.train import fit

    spec, recipe = get_method(method), dict(RECIPES[method])
    if steps and steps < recipe["steps"] and recipe.pop("finetune", None):
        print(f"--steps {steps}: a short try; the recipe's fine-tuning stage is left out", flush=True)
    recipe["steps"] = steps or recipe["steps"]
    claim_run_folder(run_root, method, recipe)
    device.setup(seed=0, verbose=False)
    net = build_network(spec, recipe)
    if recipe.get("init"):
        load_init(net, recipe["init"], out)
    loss_fn, loss_name = loss_for(method, recipe, spec, out)
    t0, pretrain_seconds = time.perf_counter(), 0.0
    if recipe.get("pretrain_steps"):  # stage 1: clear -> clear, same loss, lr and batch
        # its own loss instance: MindSpore cannot compile a second graph through a closure (the frozen teacher)
        # that an earlier graph captured ("Unsupported statement 'Delete'")
        pretrain = fit(net, loss_for(method, recipe, spec, out)[0], make_data(spec, photos, recipe, identity=True),
                       steps=recipe["pretrain_steps"], lr=recipe["lr"], batch_size=recipe["batch"],
                       grad_clip=recipe.get("grad_clip"), ckpt_dir=run_root / f"{method}_pretrain", ckpt_every=250,
                       resume=True, progress=True)  # fmt: skip
        pretrain_seconds = float(np.sum(pretrain.step_time))  # the checkpoint's history: resumed runs included
        loss_name += f"; after {recipe['pretrain_steps']} steps of clear -> clear pre-training"
    history = fit(net, loss_fn, make_data(spec, photos, recipe), steps=recipe["steps"], lr=recipe["lr"],
                  batch_size=recipe["batch"], grad_clip=recipe.get("grad_clip"), ckpt_dir=run_root / method,
                  ckpt_every=250, resume=True, progress=True, eval_every=recipe.get("eval_every", EVAL_EVERY),
                  eval_fn=lambda n: flat_scores(scores_of(method, n)), ema=recipe.get("ema"))  # fmt: skip
    if recipe.get("finetune"):  # last stage: continues from these weights with its own settings
        stage = finetune_recipe(recipe)
        tuned = fit(net, loss_for(method, stage, spec, out)[0], make_data(spec, photos + list(finetune_photos), stage),
                    steps=stage["steps"], lr=stage["lr"], batch_size=stage["batch"], grad_clip=stage.get("grad_clip"),
                    ckpt_dir=run_root / f"{method}_finetune", ckpt_every=250, resume=True, progress=True,
                    eval_every=stage.get("eval_every", EVAL_EVERY), eval_fn=lambda n: flat_scores(scores_of(method, n)),
                    ema=stage.get("ema"))  # fmt: skip
        history = joined(history, tuned)
        loss_name += f"; then {stage['steps']:,} fine-tuning steps ({describe_finetune(recipe['finetune'])})"
    seconds = time.perf_counter() - t0
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return net, history, seconds, recipe, loss_name, pretrain_seconds


def build_network(spec, recipe: dict):
    """The registry's network, or with the recipe's ``network`` keywords: EfficientHDR's for the HDR methods,
    AECRNet's for the AECR-Net methods (a try at another width: ``network={'num_feat': 32}``), KTDN's for
    ``ktdn`` and its teacher (a wider decoder: ``network={'planes': (58, 18, 24)}``)."""
    if not recipe.get("network"):
        return spec.build()
    hdr = {"efficient_hdr": "course", "efficient_hdr_teacher": "course_teacher"}
    aecr = {"aecrnet": {}, "aecrnet_dcp": {"head": "dcp_refine"}}
    ktdn = ("ktdn", "ktdn_teacher")
    if spec.name not in {**hdr, **aecr} and spec.name not in ktdn:
        raise ValueError(f"recipe key 'network' is for {', '.join([*hdr, *aecr, *ktdn])}, not {spec.name}")
    try:
        if spec.name in ktdn:
            from course_lib.models import srktdn

            return getattr(srktdn, spec.name)("compact", **recipe["network"])
        if spec.name in aecr:
            from course_lib.models.aecrnet import aecrnet_tiny

            return aecrnet_tiny(**{**aecr[spec.name], **recipe["network"]})
        from course_lib.models.hdr import EfficientHDR
        from course_lib.models.hdr_bracket import BracketInput

        return BracketInput(EfficientHDR(hdr[spec.name], **recipe["network"]))
    except TypeError as err:
        raise ValueError(f"recipe key 'network' {recipe['network']}: {err}") from None


def recipe_setting(text: str):
    """``--set KEY=VALUE`` -> (key, value): VALUE a Python literal (``lr=2e-4``, ``ema=0.999``,
    ``network={'merge_skip': True}``), or None to drop the key."""
    import ast

    key, sep, value = text.partition("=")
    if not sep or key not in RECIPE_KEYS:
        raise argparse.ArgumentTypeError(f"--set {text!r}: give KEY=VALUE with KEY one of {', '.join(RECIPE_KEYS)}")
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"--set {text!r}: VALUE must be a Python literal (2e-4, True, 'camera', "
                                         "{'merge_skip': True}), or None to drop the key") from None
    if key == "haze" and parsed is not None and parsed not in HAZES:
        raise argparse.ArgumentTypeError(f"--set {text!r}: haze must be one of {', '.join(map(repr, HAZES))} or None")
    return key, parsed


def finetune_recipe(recipe: dict) -> dict:
    """The settings of the fine-tuning stage: the recipe's, with the ``finetune`` keys on top."""
    return {**{k: v for k, v in recipe.items() if k != "finetune"}, **recipe["finetune"]}


def describe_finetune(finetune: dict) -> str:
    """'lr 0.0001, 96-px crops, EMA 0.999, the 13 further photos' from the ``finetune`` keys."""
    words = {"lr": lambda v: f"lr {v:g}", "patch": lambda v: f"{v}-px crops", "ema": lambda v: f"EMA {v:g}",
             "more_photos": lambda v: "the 13 further photos" if v else "", "batch": lambda v: f"batch {v}",
             "frequency_weight": lambda v: f"{v:g} x the frequency loss",
             "loss": lambda v: "L1 only" if v == "l1" else f"loss {v}"}  # fmt: skip
    return ", ".join(w for k, v in finetune.items() if k in words and (w := words[k](v)))


def joined(first, second):
    """One History of two stages run one after the other: the second's steps continue the first's numbering."""
    from course_lib.train import History

    offset = first.step[-1] if first.step else 0
    return History(step=first.step + [s + offset for s in second.step], loss=first.loss + second.loss,
                   lr=first.lr + second.lr, step_time=first.step_time + second.step_time,
                   metrics=first.metrics + [{**m, "step": m["step"] + offset} for m in second.metrics])  # fmt: skip


# what the student is trained with when alone, and the key of its scores in the manifest
ALONE = {"csd": ("width 0.25", 0.25), "efficient_hdr": ("without distillation", None)}


def student_alone(method, photos, run_root, out, recipe, finetune_photos=()):
    """The comparison run: CSD's 0.25 student trained alone (L1 at width 0.25), or the HDR student without
    its teacher (the registry's mu-law L1); same init, steps, batches and stages (the recipe's fine-tuning
    stage too). Returns {key: held-out scores}."""
    import mindspore as ms

    from course_lib import device, quality
    from course_lib.losses.distill import width_l1_loss_fn
    from course_lib.models import get_method
    from course_lib.train import fit

    spec, (key, width) = get_method(method), ALONE[method]
    device.setup(seed=0, verbose=False)
    net = build_network(spec, recipe)
    if recipe.get("init"):
        load_init(net, recipe["init"], out)
    def alone_loss():  # one instance per stage, as in train_one
        return width_l1_loss_fn(width) if width else spec.loss_fn_factory()

    fit(net, alone_loss(), make_data(spec, photos, recipe), steps=recipe["steps"], lr=recipe["lr"],
        batch_size=recipe["batch"], grad_clip=recipe.get("grad_clip"), ckpt_dir=run_root / f"{method}_student_alone",
        ckpt_every=250, resume=True, progress=True, ema=recipe.get("ema"))  # fmt: skip
    if recipe.get("finetune"):
        stage = finetune_recipe(recipe)
        fit(net, alone_loss(), make_data(spec, photos + list(finetune_photos), stage), steps=stage["steps"],
            lr=stage["lr"], batch_size=stage["batch"], grad_clip=stage.get("grad_clip"),
            ckpt_dir=run_root / f"{method}_student_alone_finetune", ckpt_every=250, resume=True, progress=True,
            ema=stage.get("ema"))  # fmt: skip
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return {key: quality.score(method, net, **({"width_mult": width} if width else {}))}


def scores_of(method, net):
    from course_lib import quality

    if method == "ktdn_teacher":  # the teacher reconstructs clear images: score that, not dehazing
        return {"clear -> clear": teacher_scores(net)}
    if method in ("edsr", "csd"):
        return {f"width {w:g}": quality.score(method, net, width_mult=w) for w in (1.0, 0.25)}
    return quality.score(method, net)


def save_weights(net, target: Path, store: str = "float32") -> None:
    """Write ``net``'s parameters to ``target`` as float32 or float16 (MindSpore casts them back on load)."""
    import mindspore as ms

    if store not in ("float32", "float16"):
        raise ValueError(f"store must be 'float32' or 'float16', got {store!r}")
    params = [{"name": p.name, "data": ms.Tensor(p.asnumpy().astype(store))} for p in net.get_parameters()]
    target.unlink(missing_ok=True)  # MindSpore writes checkpoints read-only
    ms.save_checkpoint(params, str(target))
    target.chmod(0o644)


def teacher_scores(net):
    """PSNR/SSIM of the teacher's reconstruction of the held-out clear photos (input = target)."""
    from course_lib import metrics, quality
    from course_lib.data import heldout

    restore = quality.restorer("ktdn_teacher", net)
    clean = [gt for _, _, gt in heldout.haze_homogeneous()[::2]]  # each held-out photo once
    outs = [restore(gt) for gt in clean]
    rows = [(metrics.psnr(out, gt), metrics.ssim(out, gt)) for out, gt in zip(outs, clean)]
    p, s = np.mean(rows, axis=0)
    return {"psnr": round(float(p), 3), "ssim": round(float(s), 4)}


def machine() -> str:
    """CPU model and core count (what the minutes in the manifest were measured on)."""
    import os

    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()}"


def main(argv=None) -> int:
    """Every mistake or environment problem ends as one ``error:`` line on stderr and exit code 2."""
    from course_lib.train import CheckpointError

    try:
        return _main(argv)
    except (ValueError, FileNotFoundError, CheckpointError, FloatingPointError, OSError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2


def positive_steps(text: str) -> int:
    steps = int(text)
    if not 1 <= steps <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"--steps must be between 1 and {MAX_STEPS:,}, got {text}")
    return steps


def install(methods, out: Path) -> int:
    """Copy ``methods``' weights and manifest entries from ``out`` into the package, after a summary."""
    from course_lib import weights

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise ValueError("--install refuses to run under CI (CI=true): the tests check the shipped weights")
    found = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").is_file() else {}
    shipped = weights.manifest()
    for method in methods:
        entry = found.get(method)
        if entry is None:
            raise FileNotFoundError(f"{out} has no trained {method}; train it first (without --install)")
        if entry["steps"] < RECIPES[method]["steps"] + RECIPES[method].get("finetune", {}).get("steps", 0):
            raise ValueError(f"{method} in {out} is a short try ({entry['steps']} of the recipe's "
                             f"{RECIPES[method]['steps']} steps and its fine-tuning); train the full recipe "
                             "before installing")
        if entry.get("recipe") != json.loads(json.dumps(RECIPES[method])):
            raise ValueError(f"{method} in {out} was trained with another recipe ({entry.get('recipe')}) than "
                             f"this script's ({RECIPES[method]}); write the try's settings into RECIPES and "
                             "retrain before installing")
        if weights.sha256(out / entry["file"]) != entry["sha256"]:
            raise ValueError(f"{out / entry['file']} does not match its SHA-256 in {out / 'manifest.json'}")
        before = shipped.get(method, {}).get("scores", "none")
        print(f"{method}: {entry['steps']} steps; held-out {json.dumps(entry['scores'])}\n"
              f"   replaces {json.dumps(before)}", flush=True)
    for method in methods:
        shutil.copyfile(out / found[method]["file"], weights.FOLDER / found[method]["file"])
        shipped[method] = found[method]
    weights.MANIFEST.write_text(json.dumps(shipped, indent=1) + "\n")
    print(f"installed {', '.join(methods)} into {weights.FOLDER}", flush=True)
    return 0


def write_entry(out: Path, method: str, entry: dict) -> None:
    """Add ``entry`` to ``out/manifest.json`` (the output folder's own manifest)."""
    path = out / "manifest.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[method] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


def _main(argv=None) -> int:
    from course_lib import weights

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("``", ""))
    parser.add_argument("methods", nargs="*", default=list(RECIPES), help=f"default: {' '.join(RECIPES)}")
    parser.add_argument("--photos", type=Path, default=None, help="a folder of extra training photos")
    parser.add_argument("--steps", type=positive_steps, default=None,
                        help="override every method's steps (short tries; never installed)")
    parser.add_argument("--runs", type=Path, default=REPO / "runs" / "course", help="checkpoint folder")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "course-weights",
                        help="where the trained weights and their manifest go (default runs/course-weights)")
    parser.add_argument("--install", action="store_true",
                        help="copy the named methods from --out into course_lib/weights (no training)")
    parser.add_argument("--set", type=recipe_setting, action="append", default=[], metavar="KEY=VALUE",
                        help="change one recipe key for this run (a try; repeatable; KEY=None drops it); the "
                        "manifest records the recipe used, and --install takes only runs of the recipe as written")
    args = parser.parse_args(argv)
    unknown = [m for m in args.methods if m not in RECIPES]
    if unknown:
        print(f"error: no recipe for {unknown}; choose from {', '.join(RECIPES)}", file=sys.stderr)
        return 2
    out = args.out.expanduser()
    if out.resolve() == weights.FOLDER.resolve():
        raise ValueError(f"--out {out} is the package's weights folder; train elsewhere and use --install")
    if args.install:
        if args.set:
            raise ValueError("--set changes a training run; --install takes runs of the recipe as written")
        return install(args.methods, out)
    written = {method: dict(RECIPES[method]) for method in args.methods}
    try:
        for method in args.methods:
            for key, value in args.set:
                if value is None:
                    RECIPES[method].pop(key, None)
                else:
                    RECIPES[method][key] = value
        return _train(args, out)
    finally:
        RECIPES.update(written)


def method_photos(method: str, extra: Path | None, steps: int | None):
    """``(photos, their lines for the manifest, the fine-tuning stage's extra photos)`` of ``method``'s recipe."""
    keys = RECIPES[method]
    photos, names = training_photos(extra, wallpapers=keys.get("wallpapers", True))
    for key, load in (("large_photos", large_photos), ("more_photos", more_photos), ("sharp_photos", sharp_photos)):
        if keys.get(key):
            more, name = load()
            photos, names = photos + more, names + [name]
    finetune_photos = []
    full = not steps or steps >= keys["steps"]  # short tries leave the last stage out
    if full and (keys.get("finetune") or {}).get("more_photos") and not keys.get("more_photos"):
        finetune_photos, name = more_photos()
        names.append(f"{name} (fine-tuning stage only)")
    return photos, names, finetune_photos


def _train(args, out: Path) -> int:
    import mindspore as ms

    from course_lib import quality, weights

    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder")
    if args.photos is not None and not args.photos.is_dir():
        raise FileNotFoundError(f"--photos {args.photos}: no such folder; give a folder of .png/.jpg photos")
    chosen = {method: method_photos(method, args.photos, args.steps) for method in args.methods}  # every cache first
    out.mkdir(parents=True, exist_ok=True)
    for method in args.methods:
        print(f"== {method}: {RECIPES[method]}", flush=True)
        photos, photo_names, finetune_photos = chosen.pop(method)
        net, history, seconds, recipe, loss_name, pretrain_seconds = train_one(method, photos, args.runs, out, args.steps,
                                                                               finetune_photos)  # fmt: skip
        entry = {
            "file": f"{method}.ckpt",
            "recipe": recipe,
            "loss": loss_name,
            "data": {
                "photos": photo_names,
                "count": len(photos) + len(finetune_photos),
                "licences": LICENCES,
                "held_out": "coffee, chelsea (never trained on)",
            },  # fmt: skip
            "steps": recipe["steps"] + (recipe.get("finetune") or {}).get("steps", 0),
            "final_loss": round(float(np.mean(history.loss[-50:])), 6),
            "loss_curve": [[s, round(float(v), 6)] for s, v in zip(history.step[::25], history.loss[::25])],
            "learning_curve": learning_curve(history),
            "train_seconds_this_run": round(seconds, 1),
            "train_seconds_total": round(float(np.sum(history.step_time)) + pretrain_seconds, 1),
            "pretrain_seconds": round(pretrain_seconds, 1),
            "machine": machine(),
            "mindspore": ms.__version__,
            "date": datetime.date.today().isoformat(),
        }
        target = out / entry["file"]
        save_weights(net, target, recipe.get("store", "float32"))
        entry["sha256"] = weights.sha256(target)
        entry["bytes"] = target.stat().st_size
        ms.load_param_into_net(net, weights.read_checkpoint(target), strict_load=True)  # score what is stored
        entry["scores"] = scores_of(method, net)
        entry["baselines"] = {} if method == "ktdn_teacher" else quality.baselines(method)
        if recipe.get("compare") == "student_alone":
            entry["student_alone"] = student_alone(method, photos, args.runs, out, recipe, finetune_photos)
        write_entry(out, method, entry)
        print(f"{method}: {seconds / 60:.1f} min, scores {json.dumps(entry['scores'])}", flush=True)
        print(f"   baselines {json.dumps(entry['baselines'])}", flush=True)
        print(f"   written to {out}; install with --install {method}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
