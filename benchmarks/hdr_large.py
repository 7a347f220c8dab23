"""EfficientHDR on one large bracket: seconds and peak memory, with and without the alignment.

    python benchmarks/hdr_large.py                       # a 12-megapixel bracket (needs about 12 GB of memory)
    python benchmarks/hdr_large.py --megapixels 3 --json docs/hdr_large.json

The bracket is the held-out coffee photo enlarged (bicubic) to the given size, exposed at -2/0/+2 EV with
noise and the short and long frames moved by up to 2 px (:func:`course_lib.data.hdr.bracket`). Each variant of
``EfficientHDR("course")``, untrained (the cost does not depend on the weights), runs once through
:func:`course_lib.train.predict` in a fresh process; the seconds are that call's, the memory the process's peak
resident size (``ru_maxrss``): the medium-frame start, the merge start, and the merge start with Ward's
alignment (the course weights' network).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = {  # name: EfficientHDR("course", ...) keywords
    "medium-frame start": {},
    "merge start": {"merge_skip": True},
    "merge start + alignment (the course weights' network)": {"merge_skip": True, "align_max_shift": 3},
}
CHILD = """
import resource, sys, time
sys.path.insert(0, {repo!r})
import course_lib
import numpy as np
from PIL import Image
from course_lib.data import hdr
from course_lib.data.images import heldout_images
from course_lib.models.hdr import EfficientHDR
from course_lib.models.hdr_bracket import BracketInput
from course_lib.train import predict

photo = heldout_images()[0]
scale = ({megapixels} * 1e6 / (photo.shape[0] * photo.shape[1])) ** 0.5
size = (round(photo.shape[1] * scale / 16) * 16, round(photo.shape[0] * scale / 16) * 16)
big = Image.fromarray((photo * 255).round().astype(np.uint8)).resize(size, Image.BICUBIC)
stack = hdr.bracket(hdr.photo_to_hdr(np.asarray(big, np.float32) / 255), np.random.default_rng(0), max_shift=2)
net = BracketInput(EfficientHDR("course", **{keywords!r}))
net.set_train(False)
start = time.perf_counter()
predict(net, stack, pad_multiple=16)
print(size[0] * size[1], time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    if not 0.1 <= args.megapixels <= 40:
        parser.error(f"--megapixels must be between 0.1 and 40, got {args.megapixels}")
    rows = {}
    print("| EfficientHDR course | pixels | seconds | peak memory (GB) |\n|---|---|---|---|")
    for name, keywords in VARIANTS.items():
        code = CHILD.format(repo=str(REPO), megapixels=args.megapixels, keywords=keywords)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"error: {name} failed: {done.stderr.strip().splitlines()[-1]}", file=sys.stderr)
            return 2
        pixels, seconds, gigabytes = done.stdout.split()[-3:]
        rows[name] = {"pixels": int(pixels), "seconds": round(float(seconds), 1), "peak_gb": round(float(gigabytes), 1)}
        print(f"| {name} | {int(pixels):,} | {rows[name]['seconds']} | {rows[name]['peak_gb']} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
