"""Print the README's "Fidelity to the official code" table from the PyTorch-twin references.

For every case of ``tests/reference/*.npz`` (written by ``tests/reference/make_torch_refs.py``): the official
weights go through :mod:`course_lib.convert` into the course_lib model, which runs on the stored input
(PyNative, CPU); the table gives the official source file, the parameter counts (course_lib / official)
and the max abs difference to the official network's output (computed by PyTorch in float64), next to the
float32 rounding floor of the official network itself (its float32 run vs float64). No torch needed.

    python benchmarks/fidelity_table.py            # markdown table
    python benchmarks/fidelity_table.py --json     # one JSON object per case
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tests" / "reference"))

import twin_refs  # noqa: E402

import course_lib  # noqa: E402, F401  (sets the oneDNN ISA cap: must come before MindSpore)
from course_lib import convert  # noqa: E402

LABELS = {
    "aecrnet": "AECR-Net (ngf 64)",
    "aecrnet_tiny": "AECR-Net tiny (ngf 16)",
    "edsr_x2": "CSD EDSR x2 (4 blocks, 32 ch)",
    "edsr_x3": "CSD EDSR x3 (2 blocks, 16 ch)",
    "edsr_x4_rgb255": "CSD EDSR x4 (2 blocks, 16 ch, rgb_range 255)",
    "espcn": "ESPCN x2",
    "zero_dce": "Zero-DCE",
    "zero_dce_pp": "Zero-DCE++",
}
CASE_LABELS = {
    "w1.0": "width 1.0",
    "w0.25": "width 0.25",
    "s1": "scale_factor 1",
    "s4": "scale_factor 4",
    "main": "",
}


def measure() -> list:
    rows = []
    for name in twin_refs.names():
        ref = twin_refs.load(name)
        for case in ref.cases:
            net = twin_refs.build_course_model(case)
            convert.load_official_weights(net, ref.state_dict)
            outs = twin_refs.run_course_model(net, ref.input, case)
            expected = ref.outputs[case["name"]]
            err = max(float(np.abs(v - expected[k]).max()) for k, v in outs.items())
            label = ", ".join(
                filter(None, (LABELS.get(name, name), CASE_LABELS.get(case["name"], case["name"])))
            )
            rows.append(
                {
                    "model": label,
                    "reference": f"{name}:{case['name']}",
                    "source": ref.meta["official_source"],
                    "params_ours": twin_refs.course_param_count(net, case),
                    "params_official": case["official_params"],
                    "max_abs_diff": err,
                    "float32_floor": case["torch_float32_max_abs"],
                    "input": "x".join(str(d) for d in ref.input.shape),
                }
            )
    return rows + measure_srktdn()


def measure_srktdn() -> list:
    """The KTDN and two-branch SRKTDN twins (``tests/reference/srktdn/*.npz``, seeded weights, 64x64 input)."""
    import mindspore as ms

    from course_lib.models import srktdn

    rows = []
    for name, build, label in (("ktdn", srktdn.ktdn, "KTDN Dehaze (Res2Net-101 v1b)"),
                               ("two_branch", srktdn.srktdn, "SRKTDN, NTIRE 2021 two-branch layout")):  # fmt: skip
        with np.load(ROOT / "tests" / "reference" / "srktdn" / f"{name}.npz", allow_pickle=False) as data:
            meta, normalised, expected = (
                json.loads(str(data["meta"])),
                data["input"],
                data["out:official:image"],
            )
        state = twin_refs.seeded_weights(meta["seeded"]["entries"], meta["seeded"]["seed"])
        net = convert.load_official_weights(build("official"), state, model="ktdn")
        mean, std = (np.array(v, np.float64).reshape(1, 3, 1, 1) for v in (srktdn.MEAN, srktdn.STD))
        image = (normalised.astype(np.float64) * std + mean).astype(
            np.float32
        )  # the twins take normalised input
        out = net(ms.Tensor(image)).asnumpy()
        rows.append({"model": label, "reference": f"srktdn/{name}", "source": meta["official_source"],
                     "params_ours": sum(p.size for p in net.trainable_params()),
                     "params_official": meta["official_params"], "max_abs_diff": float(np.abs(out - expected).max()),
                     "float32_floor": meta["torch_float32_max_abs"], "input": "x".join(str(d) for d in image.shape)})  # fmt: skip
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per case instead of the table")
    args = parser.parse_args(argv)
    rows = measure()
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(
        "| model | official source | params (ours / official) | max abs diff | official fp32 vs fp64 | input |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['source']} | {r['params_ours']:,} / {r['params_official']:,} | "
            f"{r['max_abs_diff']:.1e} | {r['float32_floor']:.1e} | {r['input']} |"
        )
    worst = max(r["max_abs_diff"] for r in rows)
    print(
        f"\nworst case {worst:.1e} (tolerance {twin_refs.TOLERANCE:.0e}); tests/test_fidelity.py asserts it"
    )


if __name__ == "__main__":
    main()
