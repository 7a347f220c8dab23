"""Third hardening round (issue 29), weights and checkpoints: the run lock never writes through a link; every
weights loader refuses NaN/inf naming the tensor; float16 checkpoints are cast to float32; damaged metadata,
manifests and shapes give one clear line instead of a traceback.

References: values written here with NumPy (float16 rounding by ``astype``), files changed byte by byte.
"""

import json
import os
import shutil
import zipfile
from pathlib import Path

import mindspore as ms
import numpy as np
import pytest
from toy_data import Toy

from course_lib import weights
from course_lib.__main__ import main
from course_lib.models import REGISTRY
from course_lib.train import CheckpointError, RunLock, fit, save_checkpoint
from course_lib.train.checkpoint import load_checkpoint

PTH = Path(__file__).resolve().parent / "reference" / "zero_dce_pp_dataparallel.pth"


def _tiny_fit(folder, **kwargs):
    args = dict(steps=2, batch_size=2, ckpt_dir=folder, progress=False)
    args.update(kwargs)
    return fit(REGISTRY["baseline"].build(num_feat=4), REGISTRY["baseline"].loss_fn_factory(), Toy(), **args)


# --- the run lock -------------------------------------------------------------------------------------


def test_the_run_lock_never_writes_through_a_symlink(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(victim)
    with pytest.raises(CheckpointError, match=r"\.lock is a symbolic link"):
        _tiny_fit(run)
    assert victim.read_text() == "precious"
    (run / ".lock").unlink()
    (run / ".lock").symlink_to(tmp_path / "missing")  # a dangling link is not created through either
    with pytest.raises(CheckpointError, match="symbolic link"):
        with RunLock(run):
            pass
    assert not (tmp_path / "missing").exists()


def test_the_run_lock_refuses_a_fifo(tmp_path):
    os.mkfifo(tmp_path / ".lock")
    with pytest.raises(CheckpointError, match="not a regular file"):
        with RunLock(tmp_path):
            pass


# --- non-finite weights ------------------------------------------------------------------------------


def _write_in_png(path):
    from course_lib.data import save_image

    save_image(path, np.random.default_rng(0).uniform(0.1, 0.9, (16, 16, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_cli_refuses_a_ckpt_with_nan_or_inf_naming_the_tensor(tmp_path, capsys, bad):
    net = REGISTRY["baseline"].build()
    w = net.conv_last.weight.asnumpy().copy()
    w[0, 0, 0, 0] = bad
    net.conv_last.weight.set_data(ms.Tensor(w))
    ms.save_checkpoint(net, str(tmp_path / "bad.ckpt"))
    _write_in_png(tmp_path / "in.png")
    rc = main(["enhance", "baseline", "--weights", str(tmp_path / "bad.ckpt"), str(tmp_path / "in.png"),
               str(tmp_path / "out.png")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "conv_last.weight holds NaN or infinity (1 of" in err and err.count("\n") == 1
    assert not (tmp_path / "out.png").exists()


def _pth_with(tmp_path, value, name="bad.pth"):
    """The test's zero_dce_pp .pth with the first float of storage 0 replaced by ``value``."""
    out = tmp_path / name
    with zipfile.ZipFile(PTH) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data/0"):
                data = np.float32(value).tobytes() + data[4:]
            dst.writestr(info, data)
    return out


@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_official_pth_with_nan_or_inf_is_refused_in_the_api_and_on_the_cli(tmp_path, capsys, bad):
    from course_lib import convert
    from course_lib.models.zero_dce import ZeroDCEPP

    pth = _pth_with(tmp_path, bad)
    with pytest.raises(ValueError, match=r"official tensor '.*' holds NaN or infinity \(1 of"):
        convert.load_official_weights(ZeroDCEPP(), pth)
    _write_in_png(tmp_path / "in.png")
    rc = main(
        ["enhance", "zero_dce_pp", "--weights", str(pth), str(tmp_path / "in.png"), str(tmp_path / "o.png")]
    )
    assert rc == 2 and "holds NaN or infinity" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_upper_case_pth_suffix_is_read_as_pth(tmp_path, capsys):
    upper = tmp_path / "ZD.PTH"
    shutil.copy(PTH, upper)
    _write_in_png(tmp_path / "in.png")
    assert main(["enhance", "zero_dce_pp", "--weights", str(upper), str(tmp_path / "in.png"),
                 str(tmp_path / "o.png")]) == 0  # fmt: skip
    shutil.copy(PTH, tmp_path / "ZD.pth")
    ref = tmp_path / "ref.png"
    assert main(["enhance", "zero_dce_pp", "--weights", str(tmp_path / "ZD.pth"), str(tmp_path / "in.png"),
                 str(ref)]) == 0  # fmt: skip
    assert (tmp_path / "o.png").read_bytes() == ref.read_bytes()


def test_upper_case_ckpt_suffix_names_the_fix(tmp_path, capsys):
    ms.save_checkpoint(REGISTRY["baseline"].build(), str(tmp_path / "W.ckpt"))
    (tmp_path / "W.ckpt").rename(tmp_path / "W.CKPT")
    _write_in_png(tmp_path / "in.png")
    rc = main(["enhance", "baseline", "--weights", str(tmp_path / "W.CKPT"), str(tmp_path / "in.png"),
               str(tmp_path / "o.png")])  # fmt: skip
    assert rc == 2 and "rename it to W.ckpt" in capsys.readouterr().err


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    copy = tmp_path / "weights"
    shutil.copytree(weights.FOLDER, copy)
    monkeypatch.setattr(weights, "FOLDER", copy)
    monkeypatch.setattr(weights, "MANIFEST", copy / "manifest.json")
    return copy


def test_course_weights_with_nan_and_a_matching_sha_are_refused(weights_copy):
    params = ms.load_checkpoint(str(weights_copy / "espcn.ckpt"))
    name = sorted(params)[0]
    a = params[name].asnumpy().copy()
    a.flat[0] = np.nan
    ms.save_checkpoint([{"name": k, "data": ms.Tensor(a) if k == name else v} for k, v in params.items()],
                       str(weights_copy / "espcn.ckpt"))  # fmt: skip
    manifest = json.loads((weights_copy / "manifest.json").read_text())
    manifest["espcn"]["sha256"] = weights.sha256(weights_copy / "espcn.ckpt")
    (weights_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match=f"tensor {name} holds NaN or infinity"):
        weights.load("espcn")


@pytest.mark.parametrize(
    "text, message",
    [("[1, 2]", "not a {method: {...}} object"), ("{not json", "not readable JSON"),
     ("DROP-SHA", "entry of 'espcn' lacks sha256"), ("ESCAPE", "not a file of")],
)  # fmt: skip
def test_damaged_manifests_give_one_line_on_the_cli(weights_copy, tmp_path, capsys, text, message):
    manifest = json.loads((weights_copy / "manifest.json").read_text())
    if text == "DROP-SHA":
        del manifest["espcn"]["sha256"]
        text = json.dumps(manifest)
    elif text == "ESCAPE":
        manifest["espcn"]["file"] = "../../etc/passwd"
        text = json.dumps(manifest)
    (weights_copy / "manifest.json").write_text(text)
    _write_in_png(tmp_path / "in.png")
    rc = main(["enhance", "espcn", "--weights", "course", str(tmp_path / "in.png"), str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1


def test_an_upper_case_manifest_sha_is_the_same_digest(weights_copy):
    manifest = json.loads((weights_copy / "manifest.json").read_text())
    manifest["espcn"]["sha256"] = manifest["espcn"]["sha256"].upper()
    (weights_copy / "manifest.json").write_text(json.dumps(manifest))
    assert weights.path("espcn") == weights_copy / "espcn.ckpt"


# --- float16 checkpoints ------------------------------------------------------------------------------


def test_a_float16_checkpoint_is_accepted_and_cast_to_float32(tmp_path):
    from course_lib.__main__ import load_weights

    net = REGISTRY["baseline"].build()
    f32 = {p.name: p.asnumpy() for p in net.get_parameters()}
    ms.save_checkpoint([{"name": k, "data": ms.Tensor(v.astype(np.float16))} for k, v in f32.items()],
                       str(tmp_path / "f16.ckpt"))  # fmt: skip
    loaded = load_weights(REGISTRY["baseline"].build(), tmp_path / "f16.ckpt", "baseline")
    for p in loaded.get_parameters():
        assert p.dtype == ms.float32
        np.testing.assert_array_equal(p.asnumpy(), f32[p.name].astype(np.float16).astype(np.float32))


# --- resume: damaged metadata, other shapes; batch size -----------------------------------------------


@pytest.mark.parametrize("meta", [{"step": 2}, {"step": 2, "config": {}}, {"config": {}, "history": {}},
                                  {"step": "2", "config": {}, "history": {}}])  # fmt: skip
def test_resume_with_incomplete_metadata_is_a_clear_error(tmp_path, meta):
    save_checkpoint(REGISTRY["baseline"].build(num_feat=4), tmp_path / "step_00000002.ckpt", meta)
    with pytest.raises(CheckpointError, match="step_00000002.ckpt"):
        _tiny_fit(tmp_path, steps=4, resume=True)


def test_resume_of_same_names_other_shapes_is_a_clear_error(tmp_path, capsys):
    meta = {"step": 1, "config": {"steps": 4}, "history": {}}  # no model signature (an older or edited file)
    save_checkpoint(REGISTRY["baseline"].build(num_feat=8), tmp_path / "step_00000001.ckpt", meta)
    with pytest.raises(CheckpointError, match=r"holds .* of shape \(8, .*another configuration"):
        _tiny_fit(tmp_path, steps=4, resume=True)


def test_a_nan_checkpoint_is_not_resumed(tmp_path):
    net = REGISTRY["baseline"].build(num_feat=4)
    w = net.conv_first.weight.asnumpy().copy()
    w[0, 0, 0, 0] = np.nan
    net.conv_first.weight.set_data(ms.Tensor(w))
    meta = {"step": 1, "config": {}, "history": {}}
    ms.save_checkpoint(
        net,
        str(tmp_path / "step_00000001.ckpt"),
        append_dict={"course_meta": json.dumps(meta)},
        crc_check=True,
    )  # save_checkpoint refuses NaN: written around it, as a damaged file would be
    with pytest.raises(CheckpointError, match="tensor conv_first.weight holds NaN"):
        load_checkpoint(tmp_path / "step_00000001.ckpt")


@pytest.mark.parametrize("batch", [0, -1, 2.5])
def test_fit_refuses_a_batch_size_below_one(tmp_path, batch, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MindSpore dumps a failed graph compile into ./rank_0
    with pytest.raises(ValueError, match="batch_size must be a whole number of at least 1"):
        _tiny_fit(None, batch_size=batch)
    assert not list(tmp_path.glob("rank_0"))  # refused before any graph is compiled


def test_a_training_checkpoint_with_metadata_works_as_weights(tmp_path):
    from course_lib.__main__ import load_weights

    _tiny_fit(tmp_path, steps=2)
    net = REGISTRY["baseline"].build(num_feat=4)
    want = {p.name: p.asnumpy() for p in net.get_parameters()}
    params, _ = load_checkpoint(sorted(tmp_path.glob("step_*.ckpt"))[-1])
    got = load_weights(net, sorted(tmp_path.glob("step_*.ckpt"))[-1], "baseline")
    for p in got.get_parameters():
        np.testing.assert_array_equal(p.asnumpy(), params[p.name].asnumpy())
    assert any(not np.array_equal(want[k], params[k].asnumpy()) for k in want)  # trained values, not fresh


def test_a_training_checkpoint_with_an_average_loads_the_average(tmp_path):
    """A run with ``ema`` ships its moving average (fit ends with it in the network); its step checkpoints given
    as ``--weights`` load that average too, not the raw weights of the last step."""
    from course_lib.__main__ import load_weights

    _tiny_fit(tmp_path, steps=3, ema=0.5)
    params, _ = load_checkpoint(sorted(tmp_path.glob("step_*.ckpt"))[-1])
    got = load_weights(REGISTRY["baseline"].build(num_feat=4), sorted(tmp_path.glob("step_*.ckpt"))[-1], "baseline")
    differs = False
    for p in got.get_parameters():
        np.testing.assert_array_equal(p.asnumpy(), params[f"ema.{p.name}"].asnumpy())
        differs |= not np.array_equal(params[f"ema.{p.name}"].asnumpy(), params[p.name].asnumpy())
    assert differs  # the average is not the last step's weights


def test_an_averaged_checkpoint_of_a_batchnorm_network_keeps_its_running_statistics(tmp_path):
    """The average covers the trained weights only; BatchNorm's running mean and variance come from the step's
    checkpoint as they are (the KTDN family's step checkpoints, as real_photos.py --ckpt reads them)."""
    from mindspore import nn

    from course_lib import weights as course_weights

    def network():
        return nn.SequentialCell([nn.Conv2d(3, 4, 3, has_bias=True), nn.BatchNorm2d(4), nn.Conv2d(4, 3, 3)])

    fit(network(), REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=3, batch_size=2, ckpt_dir=tmp_path,
        progress=False, ema=0.5)  # fmt: skip
    step = sorted(tmp_path.glob("step_*.ckpt"))[-1]
    params, _ = load_checkpoint(step)
    net = course_weights.load_file_into(network(), step, "step checkpoint")
    for p in net.get_parameters():
        want = params[f"ema.{p.name}"] if f"ema.{p.name}" in params else params[p.name]
        np.testing.assert_array_equal(p.asnumpy(), want.asnumpy())
    stats = [p for p in net.get_parameters() if "moving_mean" in p.name]
    assert stats and f"ema.{stats[0].name}" not in params and np.abs(stats[0].asnumpy()).sum() > 0  # trained stats


def test_the_run_lock_never_writes_into_a_hard_link(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    os.link(victim, run / ".lock")
    with pytest.raises(CheckpointError, match=r"\.lock is a hard link to another file"):
        _tiny_fit(run)
    assert victim.read_text() == "precious"


def test_a_link_planted_at_the_temporary_checkpoint_name_is_not_written_through(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    (run / f".tmp{os.getpid()}_step_00000001.ckpt").symlink_to(victim)
    save_checkpoint(REGISTRY["baseline"].build(num_feat=4), run / "step_00000001.ckpt", {"step": 1})
    assert victim.read_text() == "precious" and (run / "step_00000001.ckpt").is_file()


def test_official_zero_dce_loader_refuses_nan(tmp_path):
    from course_lib.models.zero_dce import ZeroDCEPP, load_official

    net = ZeroDCEPP()
    name = sorted(p.name for p in net.get_parameters())[0]
    values = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    values[name].flat[0] = np.nan
    ms.save_checkpoint(
        [{"name": k, "data": ms.Tensor(v)} for k, v in values.items()], str(tmp_path / "zd.ckpt")
    )
    with pytest.raises(ValueError, match=f"tensor {name} holds NaN or infinity"):
        load_official(tmp_path / "zd.ckpt")
