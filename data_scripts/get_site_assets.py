"""The JavaScript the rendered course site needs, from the npm registry, so the site works offline.

    python data_scripts/get_site_assets.py            # into ~/.cache/course_lib/site_assets (about 2 MB)

nbconvert's HTML pages load MathJax, require.js and the Jupyter widget manager from CDNs; a classroom
without internet (and this project's CI) would show raw LaTeX, console errors and no sliders. This script
``npm pack``s three pinned packages from the npm registry, checks each tarball's SHA-256, and copies only the
files the pages use:

- ``mathjax@2.7.9`` (Apache-2.0): ``MathJax.js``, the ``TeX-AMS_CHTML-full`` configuration, the TeX input,
  CommonHTML output, its extensions and the TeX web fonts (nbconvert's templates use MathJax 2's API);
- ``@jupyter-widgets/html-manager@1.0.15`` (BSD-3-Clause): ``embed-amd.js`` (ipywidgets 8 state) and its fonts;
- ``requirejs@2.3.6`` (MIT): ``require.js``.

``python -m course_lib editions --out DIR --site`` copies them beside the pages. A later run that finds the
assets with the recorded hashes does nothing. Failures (npm missing, the registry unreachable, a tarball with
another hash) print one ``error:`` line and exit with status 2.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts' shared helpers
from _shared import sha256_of  # noqa: E402

CACHE = Path.home() / ".cache" / "course_lib" / "site_assets"
PACKAGES = {  # npm spec: (tarball SHA-256, [(path in the package, path in the cache)])
    "mathjax@2.7.9": (
        "7131e739848edc14aa661a5516995866b81a477fab8b039d7cc324930e71f786",
        [
            ("MathJax.js", "mathjax/MathJax.js"),
            ("config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
            ("config/Safe.js", "mathjax/config/Safe.js"),
            ("extensions", "mathjax/extensions"),
            ("jax/input/TeX", "mathjax/jax/input/TeX"),
            ("jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
            ("jax/element", "mathjax/jax/element"),
            ("fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
            ("package.json", "mathjax/package.json"),
        ],
    ),
    "@jupyter-widgets/html-manager@1.0.15": (
        "2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638",
        [("dist", "html-manager"), ("package.json", "html-manager/package.json")],
    ),
    "requirejs@2.3.6": (
        "1d1a8a5ea21b941f5c80f7caf3ac7f3e1cb8cf2903a706d5c0d15434eaedd326",
        [("require.js", "require.js"), ("package.json", "require.package.json")],
    ),
}
MANIFEST = CACHE / "assets.json"
SKIP = (".map", "dist/embed.js", "extensions/a11y/")  # source maps, the non-AMD bundle, accessibility add-ons


class AssetError(RuntimeError):
    """A failure with its fix, printed as one line."""



def _manifest() -> dict:
    """What a complete cache records: the pinned packages, their hashes and the files taken from each."""
    return {spec: {"sha256": digest, "files": [p for p, _ in pairs]} for spec, (digest, pairs) in PACKAGES.items()}


def ready() -> bool:
    """True when the cache holds the assets of the pinned packages."""
    try:
        recorded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return False
    return recorded == _manifest() and (CACHE / "require.js").is_file()


def fetch(spec: str, expected: str, folder: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm not found: install Node.js (Debian: apt install npm), then run this again")
    run = subprocess.run([npm, "pack", spec, "--silent"], cwd=folder, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        reason = (run.stderr.strip() or run.stdout.strip() or f"exit status {run.returncode}")[-200:]
        raise AssetError(f"npm pack {spec} failed ({reason}); check access to the npm registry")
    tarball = folder / run.stdout.strip().splitlines()[-1]
    got = sha256_of(tarball)
    if got != expected:
        raise AssetError(f"{spec}: SHA-256 {got}, expected {expected}; the registry served another file")
    return tarball


def extract(tarball: Path, pairs, folder: Path) -> None:
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
        for inside, target in pairs:
            prefix = f"package/{inside}"
            chosen = [m for name, m in members.items() if name == prefix or name.startswith(prefix + "/")]
            if not chosen:
                raise AssetError(f"{tarball.name} has no {inside}")
            for m in chosen:
                if not m.isfile() or ".." in Path(m.name).parts or any(x in m.name for x in SKIP):
                    continue
                out = folder / target / Path(m.name).relative_to(prefix) if m.name != prefix else folder / target
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(m).read())


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("``", ""))
    parser.parse_args(argv)  # no options: an unknown one stops here (exit 2) before anything is downloaded
    if ready():
        print(f"site assets ready in {CACHE}")
        return 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            staging = Path(tmp) / "assets"
            for spec, (expected, pairs) in PACKAGES.items():
                extract(fetch(spec, expected, Path(tmp)), pairs, staging)
            (staging / "assets.json").write_text(json.dumps(_manifest()))
            if CACHE.exists():
                shutil.rmtree(CACHE)
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staging, CACHE)
    except (AssetError, OSError, subprocess.TimeoutExpired, tarfile.TarError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    size = sum(f.stat().st_size for f in CACHE.rglob("*") if f.is_file())
    print(f"site assets in {CACHE} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
