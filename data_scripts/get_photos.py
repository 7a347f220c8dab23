"""Training photos for the course weights: 24 photographs from two Debian wallpaper packages (13 more from a third).

    python data_scripts/get_photos.py                 # -> ~/.cache/course_lib/photos (about 140 MB download)
    python data_scripts/get_photos.py --out DIR --max-side 512
    python data_scripts/get_photos.py --set more      # 13 more -> ~/.cache/course_lib/photos_more (16 MB download)
    python data_scripts/get_photos.py --set sharp     # 14 sharp scenes -> ~/.cache/course_lib/photos_sharp (96 MB)

The packages come from Debian's own mirror (a package registry, reachable where PyPI is), pinned by size
and SHA-256; the ``.deb`` (an ``ar`` archive holding ``data.tar.xz``) is read with the standard library,
so neither apt nor dpkg is needed. Only the photographs listed below are kept, shrunk so their longer side
is ``--max-side`` pixels (PIL bicubic with antialiasing: sharp, like the held-out photos), as PNG, with a
``LICENCES.json`` naming each photo's package, author and licence:

* ``mate-backgrounds`` 1.26.0-1, folder ``usr/share/backgrounds/mate/nature``: 12 photos, GPL-2+.
* ``plasma-workspace-wallpapers`` 4:5.27.5-2: 12 photos, LGPL-3 (Volna: CC-BY-SA-4.0), authors from
  each wallpaper's ``metadata.json``.

``--set more`` (recipe key ``more_photos``) takes 13 further photographs, many of them landscapes with depth:

* ``lomiri-wallpapers-16.04`` 20.04.0-2 (Ubuntu 16.04's community wallpapers), ``usr/share/backgrounds``:
  13 photos, CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0, authors and licences from its ``debian/copyright``
  (its two graphic designs are left out).

``--set sharp`` (recipe key ``sharp_photos``) takes 14 sharp, detailed scenes in focus at every depth (streets,
buildings, aerial views, a circuit board, fruit), where many wallpapers are macro shots with soft backgrounds:

* ``opencv-doc`` 4.6.0+dfsg-12, ``usr/share/doc/opencv-doc/examples/data``: OpenCV's sample images, Apache-2.0
  AND BSD-3-Clause as Debian's ``debian/copyright`` records them (the images are of mixed origin; credit OpenCV).
  None of them is in Set5 or Set14 (OpenCV's ``baboon.jpg`` is Set14's ``baboon``: left out; its
  ``butterfly.jpg`` is another photo than Set5's).

None of them is a held-out photo (coffee, chelsea), so quality measured on those stays honest.

A download is moved into place only when it holds every byte the server announced; every .deb, also one
already in the cache, is checked against the pinned size and SHA-256 before it is read. Every failure
(network, a wrong file, an output folder that cannot be written, a full disk) is a :class:`PhotoError`
naming the problem and the fix; the command line prints it as one ``error: ...`` line and exits with 2.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts' shared helpers
from _shared import os_error_boundary, receive  # noqa: E402

MIRROR = "http://deb.debian.org/debian/pool/main"
PACKAGES = {
    "mate-backgrounds": dict(
        url=f"{MIRROR}/m/mate-backgrounds/mate-backgrounds_1.26.0-1_all.deb",
        size=46_638_500,
        sha256="7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
        licence="GPL-2+ (debian/copyright of mate-backgrounds)",
    ),
    "plasma-workspace-wallpapers": dict(
        url=f"{MIRROR}/p/plasma-workspace-wallpapers/plasma-workspace-wallpapers_5.27.5-2_all.deb",
        size=94_047_772,
        sha256="32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
        licence="per wallpaper, from its metadata.json",
    ),
    "lomiri-wallpapers-16.04": dict(
        url=f"{MIRROR}/l/lomiri-wallpapers/lomiri-wallpapers-16.04_20.04.0-2_all.deb",
        size=15_783_184,
        sha256="a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab",
        licence="per photo, from debian/copyright",
    ),
    "opencv-doc": dict(
        url=f"{MIRROR}/o/opencv/opencv-doc_4.6.0+dfsg-12_all.deb",
        size=95_715_012,
        sha256="4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a",
        licence="Apache-2.0 AND BSD-3-Clause (debian/copyright of opencv-doc; images of mixed origin)",
    ),
}
SETS = {
    "course": ("mate-backgrounds", "plasma-workspace-wallpapers"),
    "more": ("lomiri-wallpapers-16.04",),
    "sharp": ("opencv-doc",),
}
MATE = ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
        "TwoWings", "Wood", "YellowFlower")  # fmt: skip
PLASMA = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey", "Kite",
          "OneStandsOut", "Path", "summer_1am", "Volna")  # fmt: skip
# file stem -> (author, licence), as lomiri-wallpapers' debian/copyright gives them
LOMIRI = {
    "aitzgorri_by_Aitzol_Berasategi": ("Aitzol Berasategi", "CC-BY-4.0"),
    "Bridge_by_Sander_Klootwijk": ("Sander Klootwijk", "CC-BY-SA-4.0"),
    "Dragonfly_by_Bolly": ("Bolly", "CC-BY-SA-4.0"),
    "free_by_Peter_Nerlich": ("Peter Nerlich", "CC-BY-SA-4.0"),
    "friends_by_Aitzol_Berasategi": ("Aitzol Berasategi", "CC-BY-4.0"),
    "greentock_by_Peter_Nerlich": ("Peter Nerlich", "CC-BY-SA-4.0"),
    "life_by_Aitzol_Berasategi": ("Aitzol Berasategi", "CC-BY-4.0"),
    "picosdeeuropa_by_Aitzol_Berasategi": ("Aitzol Berasategi", "CC-BY-4.0"),
    "Picture_0B_by_freespace": ('Trevor "Freespace"', "CC-BY-4.0"),
    "Picture_1A_by_freespace": ('Trevor "Freespace"', "CC-BY-4.0"),
    "seeding_by_Clements_Engelhardt": ("Clemens Engelhardt", "CC0-1.0"),
    "sunset_by_Aitzol_Berasategi": ("Aitzol Berasategi", "CC-BY-4.0"),
    "Wine_by_Jakkub_Mede": ("Jakub Mede", "CC-BY-4.0"),
}
# opencv-doc's sharp colour photographs (its drawings, charts, grey frames and Set14's baboon left out)
OPENCV = ("aero1.jpg", "aero3.jpg", "aloeL.jpg", "board.jpg", "building.jpg", "butterfly.jpg", "chicky_512.png",
          "fruits.jpg", "graf1.png", "home.jpg", "leuvenA.jpg", "messi5.jpg", "rubberwhale1.png",
          "squirrel_cls.jpg")  # fmt: skip
DEFAULT_OUT = Path.home() / ".cache" / "course_lib" / "photos"
DEFAULT_OUT_MORE = Path.home() / ".cache" / "course_lib" / "photos_more"
DEFAULT_OUT_SHARP = Path.home() / ".cache" / "course_lib" / "photos_sharp"
DEFAULT_OUTS = {"course": DEFAULT_OUT, "more": DEFAULT_OUT_MORE, "sharp": DEFAULT_OUT_SHARP}


class PhotoError(RuntimeError):
    """A download, archive or folder that is not what was pinned or cannot be used; the message says
    how to fix it."""


_os_errors = os_error_boundary(PhotoError, "--out")  # OSError -> one PhotoError line with the fix


def download(name: str, cache: Path) -> Path:
    """The package's .deb in ``cache``, downloaded if absent, always checked against size and SHA-256.

    A download that stops short of the announced length is not kept; a file that fails the check is
    deleted. Both raise :class:`PhotoError`."""
    spec = PACKAGES[name]
    path = cache / Path(spec["url"]).name
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        print(f"downloading {spec['url']} ({spec['size'] / 1e6:.0f} MB)", flush=True)
        try:
            _receive(spec["url"], part)
        except PhotoError:
            part.unlink(missing_ok=True)
            raise
        part.replace(path)
    size, digest = path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
    if size != spec["size"] or digest != spec["sha256"]:
        path.unlink()
        raise PhotoError(
            f"{path.name}: {size} bytes, SHA-256 {digest}; expected {spec['size']} bytes, SHA-256 "
            f"{spec['sha256']} (deleted it); run again to download it anew"
        )
    return path


def _receive(url: str, part: Path) -> None:
    """Write the body at ``url`` to ``part``; :class:`PhotoError` when the transfer fails or stops short."""
    with open(part, "wb") as f:
        receive(url, f, PhotoError, "check the connection to deb.debian.org and run again")


def deb_members(path: Path) -> tarfile.TarFile:
    """The ``data.tar.xz`` inside a .deb (an ``ar`` archive: 8-byte magic, then 60-byte headers)."""
    data = path.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise PhotoError(f"{path.name} is not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode().strip())
        body = data[pos + 60 : pos + 60 + size]
        if name.startswith("data.tar"):
            if not name.endswith(".xz"):
                raise PhotoError(f"{path.name}: unexpected {name}")
            return tarfile.open(fileobj=io.BytesIO(lzma.decompress(body)))
        pos += 60 + size + (size % 2)
    raise PhotoError(f"{path.name} holds no data.tar")


def _largest(tar: tarfile.TarFile, folder: str):
    members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(folder)]
    best = max(members, key=lambda m: int(Path(m.name).stem.split("x")[0]))
    return best


def collect(out: Path, max_side: int, photo_set: str = "course"):
    """Write the photos of ``photo_set`` ('course', 'more' or 'sharp') as PNG into ``out``; return the licence
    records."""
    from PIL import Image

    cache = out / "_downloads"
    records = {}

    def save(fileobj, name, licence, author, package):
        with Image.open(fileobj) as img:
            img = img.convert("RGB")
            img.thumbnail((max_side, max_side), Image.BICUBIC)
            img.save(out / f"{name}.png")
        records[name] = dict(package=package, author=author, licence=licence)

    if photo_set == "sharp":
        with deb_members(download("opencv-doc", cache)) as tar:
            for file in OPENCV:
                member = tar.getmember(f"./usr/share/doc/opencv-doc/examples/data/{file}")
                save(tar.extractfile(member), Path(file).stem, PACKAGES["opencv-doc"]["licence"], "OpenCV samples",
                     "opencv-doc 4.6.0+dfsg-12")  # fmt: skip
        (out / "LICENCES.json").write_text(json.dumps(records, indent=1))
        return records
    if photo_set == "more":
        with deb_members(download("lomiri-wallpapers-16.04", cache)) as tar:
            for name, (author, licence) in LOMIRI.items():
                member = tar.getmember(f"./usr/share/backgrounds/{name}.jpg")
                save(tar.extractfile(member), name, licence, author, "lomiri-wallpapers-16.04 20.04.0-2")
        (out / "LICENCES.json").write_text(json.dumps(records, indent=1))
        return records
    with deb_members(download("mate-backgrounds", cache)) as tar:
        for name in MATE:
            member = tar.getmember(f"./usr/share/backgrounds/mate/nature/{name}.jpg")
            save(tar.extractfile(member), name, PACKAGES["mate-backgrounds"]["licence"], "see debian/copyright",
                 "mate-backgrounds 1.26.0-1")  # fmt: skip
    with deb_members(download("plasma-workspace-wallpapers", cache)) as tar:
        for name in PLASMA:
            base = f"./usr/share/wallpapers/{name}"
            meta = json.load(tar.extractfile(tar.getmember(f"{base}/metadata.json")))
            plugin = meta.get("KPlugin", meta)
            author = ", ".join(a.get("Name", "?") for a in plugin.get("Authors", []))
            member = _largest(tar, f"{base}/contents/images/")
            save(tar.extractfile(member), name, plugin.get("License", "?"), author,
                 "plasma-workspace-wallpapers 4:5.27.5-2")  # fmt: skip
    (out / "LICENCES.json").write_text(json.dumps(records, indent=1))
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help=f"folder (default {DEFAULT_OUT}; with --set more, {DEFAULT_OUT_MORE}; with --set "
                             f"sharp, {DEFAULT_OUT_SHARP})")  # fmt: skip
    parser.add_argument("--max-side", type=int, default=512, help="longer side of the saved photos (512)")
    parser.add_argument("--set", choices=sorted(SETS), default="course", dest="photo_set",
                        help="course: the 24 photos every recipe uses; more: 13 further ones (recipe key "
                             "more_photos); sharp: 14 sharp scenes (recipe key sharp_photos)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUTS[args.photo_set]
    try:
        if args.max_side < 1:
            raise PhotoError(f"--max-side {args.max_side}: give the longer side in pixels, 1 or more")
        with _os_errors():
            args.out.mkdir(parents=True, exist_ok=True)
            records = collect(args.out, args.max_side, args.photo_set)
    except PhotoError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(records)} photos to {args.out} (licences in {args.out / 'LICENCES.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
