"""The course weights shipped in course_lib/weights: present for every method, SHA-256 checked, small, and
really better than the classical baselines on the held-out photos, measured now.

The baselines are independent implementations: MATLAB-style bicubic (``degrade.imresize``, tested against
published Set5 values), the dark channel prior in NumPy/SciPy, gamma correction; the official Zero-DCE and
Zero-DCE++ weights (``../shared/reference_data``, not shipped) when present.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from course_lib import quality, weights
from course_lib.__main__ import main
from course_lib.models import REGISTRY

METHODS = sorted(name for name in REGISTRY if name != "baseline" and name not in weights.NOT_YET)
OFFICIAL = Path(__file__).resolve().parents[2] / "shared" / "reference_data" / "zerodce"


def test_every_method_has_course_weights_with_a_complete_manifest_entry():
    manifest = weights.manifest()
    assert sorted(manifest) == METHODS
    total = 0
    for method, entry in manifest.items():
        for key in ("recipe", "data", "steps", "train_seconds_total", "machine", "date", "scores", "sha256"):
            assert key in entry, f"{method}: manifest lacks {key}"
        assert "coffee" not in json.dumps(entry["data"]["photos"])  # held-out photos never in training
        path = weights.path(method)  # checks the SHA-256
        total += path.stat().st_size
    assert total <= 10 * 2**20, f"course weights take {total / 2**20:.1f} MB; the budget is 10 MB"


def test_altered_weights_are_refused_with_one_clear_line(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "weights"
    shutil.copytree(weights.FOLDER, copy)
    with open(copy / "espcn.ckpt", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02\x03")
    monkeypatch.setattr(weights, "FOLDER", copy)
    monkeypatch.setattr(weights, "MANIFEST", copy / "manifest.json")
    with pytest.raises(weights.WeightsError, match="SHA-256"):
        weights.load("espcn")
    code = main(["evaluate", "espcn", "--weights", "course", "--data", "synthetic"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "SHA-256" in err[0]


def test_unknown_course_weights_name_the_fix():
    with pytest.raises(weights.WeightsError, match="train_course_weights.py"):
        weights.path("no_such_method")
    assert set(weights.NOT_YET) <= set(REGISTRY) and not set(weights.NOT_YET) & set(weights.manifest())


@pytest.fixture(scope="module")
def sr_scores():
    net = weights.load("csd")
    edsr = weights.load("edsr")
    return {
        "bicubic": quality.baselines("edsr")["bicubic"]["x2"]["psnr"],
        "edsr": quality.score("edsr", edsr, width_mult=1.0)["x2"]["psnr"],
        "teacher": quality.score("csd", net, width_mult=1.0)["x2"]["psnr"],
        "student": quality.score("csd", net, width_mult=0.25)["x2"]["psnr"],
        "alone": weights.manifest()["csd"]["student_alone"]["width 0.25"]["x2"]["psnr"],
    }


def test_edsr_beats_bicubic_by_a_decibel(sr_scores):
    assert sr_scores["edsr"] >= sr_scores["bicubic"] + 1.0


def test_espcn_beats_bicubic():
    gain = (
        quality.score("espcn", weights.load("espcn"))["x2"]["psnr"]
        - quality.baselines("espcn")["bicubic"]["x2"]["psnr"]
    )
    assert gain > 0.5


@pytest.mark.parametrize("method", [m for m in METHODS if REGISTRY[m].data_kind != "hdr"])
def test_cli_evaluates_the_course_weights_on_a_folder(method, tmp_path, capsys):
    """``evaluate METHOD --weights course --data DIR`` with DIR/lq and DIR/gt, for every method."""
    from course_lib.data import save_image

    scale = REGISTRY[method].scale
    _, lq, gt = quality.test_sets(method)[next(iter(quality.test_sets(method)))][0]
    save_image(tmp_path / "lq" / "a.png", lq[: 48 // scale, : 48 // scale])
    save_image(tmp_path / "gt" / "a.png", gt[:48, :48])
    assert main(["evaluate", method, "--weights", "course", "--data", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.rsplit(maxsplit=2)[0].strip(): float(line.split()[-2]) for line in lines[2:]}
    assert method in rows and len(rows) >= 2, lines
    assert all(np.isfinite(v) for v in rows.values())


def test_csd_student_keeps_80_percent_of_the_teacher_gain_and_beats_the_student_alone(sr_scores):
    """Issue 11: the width-0.25 student keeps >= 80 % of the teacher's gain over bicubic, and scores above
    the same student trained alone (same start, steps and batches; the recipe's run, in the manifest)."""
    teacher_gain = sr_scores["teacher"] - sr_scores["bicubic"]
    assert teacher_gain >= 1.0
    assert sr_scores["student"] - sr_scores["bicubic"] >= 0.8 * teacher_gain
    assert sr_scores["student"] > sr_scores["alone"]


def test_zero_dce_beats_gamma_correction_on_psnr():
    ours = quality.score("zero_dce", weights.load("zero_dce"))["low light"]
    gamma = quality.baselines("zero_dce")["gamma 0.5"]["low light"]
    assert ours["psnr"] > gamma["psnr"]
    assert abs(ours["brightness_error"]) < abs(gamma["brightness_error"])


@pytest.mark.skipif(
    not (OFFICIAL / "zero_dce_pp_official" / "Epoch99.pth").is_file(),
    reason=f"the official Zero-DCE weights (CC BY-NC, not shippable) are not at {OFFICIAL}",
)
@pytest.mark.parametrize("method, scale", [("zero_dce", 1), ("zero_dce_pp", 12)])
def test_zero_dce_course_weights_against_the_official_weights(method, scale):
    """At least the official weights' PSNR, closer to the ground truth's brightness; the official weights are
    CC BY-NC, not shipped: this runs where ../shared/reference_data is."""
    from course_lib.models.zero_dce import load_official

    path = OFFICIAL / f"{method}_official" / "Epoch99.pth"
    official = quality.score(method, load_official(path, scale_factor=scale))["low light"]
    ours = quality.score(method, weights.load(method))["low light"]
    assert ours["psnr"] >= official["psnr"]
    assert abs(ours["brightness_error"]) < abs(official["brightness_error"])


@pytest.mark.skipif(
    not (OFFICIAL / "zero_dce_pp_official" / "Epoch99.pth").is_file(),
    reason=f"the official Zero-DCE weights (CC BY-NC, not shippable) are not at {OFFICIAL}",
)
@pytest.mark.parametrize("method, scale", [("zero_dce", 1), ("zero_dce_pp", 12)])
def test_zero_dce_course_weights_reach_the_official_ssim(method, scale):
    from course_lib.models.zero_dce import load_official

    official = quality.score(method, load_official(OFFICIAL / f"{method}_official" / "Epoch99.pth", scale_factor=scale))
    assert quality.score(method, weights.load(method))["low light"]["ssim"] >= official["low light"]["ssim"]


def test_dehazing_weights_against_the_dark_channel_prior():
    """The prior head beats the default dark channel prior on non-homogeneous haze; the official head beats
    the hazy input (and, at this scale, not the prior: README)."""
    base = quality.baselines("aecrnet")
    prior_head = quality.score("aecrnet_dcp", weights.load("aecrnet_dcp"))
    official_head = quality.score("aecrnet", weights.load("aecrnet"))
    nh = "non-homogeneous haze"
    assert prior_head[nh]["psnr"] > base["dark channel prior"][nh]["psnr"] + 0.5
    for kind in ("homogeneous haze", nh):
        assert official_head[kind]["psnr"] > base["input"][kind]["psnr"] + 3.0


AECRNET_BELOW_THE_PRIOR = pytest.mark.xfail(
    strict=True, reason="measured 2026-12-07: aecrnet 16.98 dB, the prior 18.70 on non-homogeneous haze "
    "(docs/results.md, the curves in the manifest and docs/*_try.json)")  # fmt: skip


@pytest.mark.parametrize("method", [pytest.param("aecrnet", marks=AECRNET_BELOW_THE_PRIOR), "srktdn"])
def test_the_papers_dehazing_networks_beat_the_dark_channel_prior_on_non_homogeneous_haze(method):
    """Issue 26: PSNR and SSIM above the default dark channel prior's on the held-out non-homogeneous haze."""
    nh = "non-homogeneous haze"
    prior = quality.baselines(method)["dark channel prior"][nh]
    ours = quality.score(method, weights.load(method))[nh]
    assert ours["psnr"] > prior["psnr"] and ours["ssim"] > prior["ssim"]


def test_the_papers_srktdn_dehazes():
    """The paper's two-branch network (tanh tail, no prior; camera_haze, then plain haze, then camera noise on half
    the hazes) beats the hazy input by 3 dB in PSNR and in SSIM on both held-out hazes."""
    base = quality.baselines("srktdn")["input"]
    ours = quality.score("srktdn", weights.load("srktdn"))
    for kind in ("homogeneous haze", "non-homogeneous haze"):
        assert ours[kind]["psnr"] > base[kind]["psnr"] + 3.0 and ours[kind]["ssim"] > base[kind]["ssim"]


def test_knowledge_transfer_dehazing_weights():
    """The teacher reconstructs clear photos; KTDN and SRKTDN beat the hazy input by 3 dB in PSNR and in SSIM, and
    SRKTDN beats the dark channel prior (the paper's settings) on non-homogeneous haze (issue 13). The students
    start from the prior with a radius-20 guided filter; what training adds is not asserted: README,
    "Knowledge-transfer dehazing"."""
    from course_lib import metrics

    clean = [gt for _, _, gt in quality.test_sets("ktdn")["homogeneous haze"][::2]]
    teacher = quality.restorer("ktdn_teacher", weights.load("ktdn_teacher"))
    assert np.mean([metrics.psnr(teacher(gt), gt) for gt in clean]) > 20
    base = quality.baselines("srktdn_dcp")
    ktdn, srktdn = (quality.score(m, weights.load(m)) for m in ("ktdn_dcp", "srktdn_dcp"))
    for kind in ("homogeneous haze", "non-homogeneous haze"):
        for scores in (ktdn, srktdn):
            assert scores[kind]["psnr"] > base["input"][kind]["psnr"] + 3.0
            assert scores[kind]["ssim"] > base["input"][kind]["ssim"]
    nh = "non-homogeneous haze"
    assert srktdn[nh]["psnr"] > base["dark channel prior"][nh]["psnr"] + 0.5
    assert srktdn[nh]["ssim"] > base["dark channel prior"][nh]["ssim"]


def test_efficient_hdr_beats_the_classical_answers_and_ahdrnet():
    """Issues 14 and 26: the shipped EfficientHDR above the medium frame, exposure fusion and the course's
    AHDRNet in PSNR-mu on the held-out brackets (static and hand-held), at a thirtieth of its parameters.
    Its start, the aligned classical merge, is in its network (the registry's build); the recipe has no
    teacher: the course teacher is below that start (notebook 09, section 7)."""
    from course_lib import metrics

    net = weights.load("efficient_hdr")
    score = quality.score("efficient_hdr", net)["HDR brackets"]["psnr_mu"]
    base = {k: v["HDR brackets"]["psnr_mu"] for k, v in quality.baselines("efficient_hdr").items()}
    ahdrnet = weights.load("ahdrnet")
    assert score > quality.score("ahdrnet", ahdrnet)["HDR brackets"]["psnr_mu"] > base["medium frame"]
    assert base["medium frame"] > base["exposure fusion"]
    assert metrics.count_params(ahdrnet) > 30 * metrics.count_params(net)
    recipe = weights.manifest()["efficient_hdr"]["recipe"]
    assert recipe["network"] == {"merge_skip": True, "align_max_shift": 3} and "teacher" not in recipe


def test_ahdrnet_beats_the_medium_frame():
    """Issue 26's must-show: the baseline AHDRNet's course weights above the medium frame alone in PSNR-mu on
    the held-out brackets (EfficientHDR's own test above holds it above both classical answers)."""
    base = quality.baselines("ahdrnet")["medium frame"]["HDR brackets"]["psnr_mu"]
    ahdrnet = quality.score("ahdrnet", weights.load("ahdrnet"))["HDR brackets"]["psnr_mu"]
    assert ahdrnet > base, f"AHDRNet {ahdrnet:.2f} dB PSNR-mu, medium frame {base:.2f}"

def test_efficient_hdr_merges_three_frames_on_the_command_line(tmp_path, capsys):
    """enhance takes the short, medium and long frames and writes a Radiance .hdr plus its tone map;
    evaluate --data synthetic prints PSNR-mu of the method and its baselines; a folder is one clear line."""
    from course_lib.data import hdr_io, save_image

    _, frames, target = quality.test_sets("efficient_hdr")["HDR brackets"][0]
    paths = []
    for k, name in enumerate(("short", "medium", "long")):
        paths.append(tmp_path / f"{name}.png")
        save_image(paths[-1], frames[:64, :96, 3 * k : 3 * k + 3])
    out = tmp_path / "merged.hdr"
    assert main(["enhance", "efficient_hdr", "--weights", "course", *map(str, paths), str(out)]) == 0
    merged = hdr_io.load_hdr(out)
    assert merged.shape == (64, 96, 3) and (tmp_path / "merged_tonemapped.png").is_file()
    assert quality_psnr_mu(merged, target[:64, :96]) > 20
    capsys.readouterr()
    assert main(["enhance", "efficient_hdr", "--weights", "course", str(paths[1]), str(out)]) == 2
    assert "three LDR frames" in capsys.readouterr().err
    assert main(["evaluate", "efficient_hdr", "--weights", "course", "--data", "synthetic"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "PSNR-mu" in lines[1] and {"medium frame", "exposure fusion", "efficient_hdr"} <= {
        l[:24].strip() for l in lines[2:]
    }
    assert main(["evaluate", "efficient_hdr", "--weights", "course", "--data", str(tmp_path)]) == 2
    assert "--data synthetic" in capsys.readouterr().err


def quality_psnr_mu(out, ref):
    from course_lib.metrics import psnr_mu

    return psnr_mu(np.clip(out, 0, 1), ref)
