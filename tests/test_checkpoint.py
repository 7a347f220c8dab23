"""Checkpoints: a run SIGKILLed mid-training (and one killed while writing a checkpoint) resumes to the
weights of an uninterrupted run, stepping through exactly the same steps; damaged files give clear errors.

The reference is the uninterrupted run itself, trained in this process with the same seed."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import mindspore as ms
import numpy as np
import pytest
from toy_data import Toy

from course_lib.models import REGISTRY
from course_lib.train import CheckpointError, fit, latest_checkpoint, load_checkpoint, save_checkpoint
from course_lib.train.checkpoint import list_checkpoints

REPO = Path(__file__).resolve().parents[1]
STEPS, BATCH = 8, 2

# The child trains with checkpoints every 2 steps and resume=True. KILL_AT=sample:N sends itself SIGKILL
# when it draws the first sample of step N; KILL_AT=replace:N when it is about to rename its N-th
# checkpoint into place (the temporary file is complete, the rename has not happened).
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    sys.path.insert(0, {repo!r})
    sys.path.insert(0, {tests!r})
    import course_lib
    import mindspore as ms
    import numpy as np
    from course_lib.models import REGISTRY
    from course_lib.train import fit, checkpoint

    kill_kind, _, kill_n = os.environ.get("KILL_AT", "none:0").partition(":")
    kill_n = int(kill_n)

    from toy_data import Toy as ToyData

    class Toy(ToyData):
        calls = 0
        def sample_batch(self, rng, n):
            self.calls += 1
            if kill_kind == "sample" and self.calls == {batch} * (kill_n - 1) + 1:
                os.kill(os.getpid(), signal.SIGKILL)
            return super().sample_batch(rng, n)

    renames = [0]
    real_replace = os.replace
    def replace(src, dst):
        renames[0] += 1
        if kill_kind == "replace" and renames[0] == kill_n:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
    checkpoint.os.replace = replace

    ms.set_device("CPU")
    ms.set_seed(0)
    net = REGISTRY["baseline"].build(num_feat=8)
    h = fit(net, REGISTRY["baseline"].loss_fn_factory(), Toy(), steps={steps}, lr=1e-2, batch_size={batch},
            ckpt_dir=sys.argv[1], ckpt_every=2, resume=True, seed=3, progress=False)
    np.savez(sys.argv[2], **{{p.name: p.asnumpy() for p in net.get_parameters()}})
    json.dump(h.to_dict(), open(sys.argv[3], "w"))
    """
).format(repo=str(REPO), tests=str(REPO / "tests"), steps=STEPS, batch=BATCH)


@pytest.fixture(scope="module")
def uninterrupted():
    ms.set_seed(0)
    net = REGISTRY["baseline"].build(num_feat=8)
    h = fit(net, REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=STEPS, lr=1e-2, batch_size=BATCH, seed=3,
            progress=False)  # fmt: skip
    return {p.name: p.asnumpy() for p in net.get_parameters()}, h


def run_child(tmp_path, ckpt_dir, kill_at=None):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, KILL_AT=kill_at or "none:0", GLOG_v="3")
    weights, hist = tmp_path / "w.npz", tmp_path / "h.json"
    proc = subprocess.run([sys.executable, str(script), str(ckpt_dir), str(weights), str(hist)], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return proc, weights, hist


@pytest.mark.parametrize("kill_at, saved_steps", [("sample:6", [2, 4]), ("replace:3", [2, 4])])
def test_killed_run_resumes_to_the_uninterrupted_weights(tmp_path, uninterrupted, kill_at, saved_steps):
    import json

    ckpt_dir = tmp_path / "ckpt"
    proc, weights, _ = run_child(tmp_path, ckpt_dir, kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert not weights.exists()
    assert [s for s, _ in list_checkpoints(ckpt_dir)] == saved_steps  # step 5 (or 6's write) was lost

    proc, weights, hist = run_child(tmp_path, ckpt_dir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ref_weights, ref_history = uninterrupted
    got = dict(np.load(weights))
    assert got.keys() == ref_weights.keys()
    for name, value in ref_weights.items():
        np.testing.assert_allclose(got[name], value, atol=1e-6, rtol=0, err_msg=name)
    h = json.loads(hist.read_text())
    assert h["step"] == list(range(1, STEPS + 1))  # no step skipped or repeated
    # each step saw the same batch as in the uninterrupted run: same loss at every step
    np.testing.assert_allclose(h["loss"], ref_history.loss, atol=1e-6, rtol=0)
    assert not list(ckpt_dir.glob(".tmp*"))  # the half-written file of the killed writer is cleaned up


def test_truncated_checkpoint_gives_a_clear_error(tmp_path):
    net = REGISTRY["baseline"].build(num_feat=4)
    loss_fn = REGISTRY["baseline"].loss_fn_factory()
    fit(net, loss_fn, Toy(), steps=2, batch_size=2, ckpt_dir=tmp_path, ckpt_every=1, progress=False)
    path = latest_checkpoint(tmp_path)
    data = path.read_bytes()
    os.chmod(path, 0o600)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=f"checkpoint {path} is truncated or corrupt"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="step_00000002.ckpt is truncated"):
        fit(net, loss_fn, Toy(), steps=4, batch_size=2, ckpt_dir=tmp_path, resume=True, progress=False)


def test_checkpoint_contents_and_errors(tmp_path):
    net = REGISTRY["baseline"].build(num_feat=4)
    fit(net, REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=3, batch_size=2, seed=7, ckpt_dir=tmp_path,
        progress=False)  # fmt: skip
    assert [s for s, _ in list_checkpoints(tmp_path)] == [3]  # without ckpt_every: only the last step
    params, meta = load_checkpoint(tmp_path / "step_00000003.ckpt")
    assert meta["step"] == 3 and meta["config"]["seed"] == 7 and meta["history"]["step"] == [1, 2, 3]
    assert int(params["global_step"].asnumpy()[0]) == 3  # Adam's step counter
    for p in net.trainable_params():  # the network and both Adam moments
        np.testing.assert_array_equal(params[p.name].asnumpy(), p.asnumpy())
        assert f"moment1.{p.name}" in params and f"moment2.{p.name}" in params
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.ckpt")
    ms.save_checkpoint(net, str(tmp_path / "plain.ckpt"))
    with pytest.raises(CheckpointError, match="not written by course_lib.train"):
        load_checkpoint(tmp_path / "plain.ckpt")
    with pytest.raises(ValueError, match="resume=True needs ckpt_dir"):
        fit(net, REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=1, resume=True)
    for step in (4, 5, 6, 7):  # only the newest three are kept
        save_checkpoint(net, tmp_path / f"step_{step:08d}.ckpt", {"step": step})
    assert [s for s, _ in list_checkpoints(tmp_path)] == [5, 6, 7]


def test_resuming_another_model_is_refused(tmp_path):
    fit(REGISTRY["baseline"].build(num_feat=4), REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=1,
        batch_size=2, ckpt_dir=tmp_path, progress=False)  # fmt: skip

    class Wider(type(REGISTRY["baseline"].build())):
        def __init__(self):
            super().__init__(num_feat=4)
            self.extra = ms.Parameter(ms.Tensor(np.zeros(1, np.float32)), name="extra")

    with pytest.raises(ValueError, match=r"step_00000001.ckpt is from a different run \(model"):
        fit(Wider(), REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=2, batch_size=2, ckpt_dir=tmp_path,
            resume=True, progress=False)  # fmt: skip


# --- one run per folder, same settings on resume, nothing NaN saved (issue: hardening) ------------------


def _tiny_fit(folder, **kwargs):
    args = dict(steps=2, batch_size=2, ckpt_dir=folder, progress=False)
    args.update(kwargs)
    return fit(REGISTRY["baseline"].build(num_feat=4), REGISTRY["baseline"].loss_fn_factory(), Toy(), **args)


def test_new_run_in_a_folder_with_checkpoints_is_refused_and_deletes_nothing(tmp_path):
    _tiny_fit(tmp_path, steps=6, ckpt_every=1)
    before = list_checkpoints(tmp_path)
    with pytest.raises(CheckpointError, match="already holds checkpoints .* resume=True"):
        _tiny_fit(tmp_path, steps=2, ckpt_every=1)
    assert list_checkpoints(tmp_path) == before


@pytest.mark.parametrize(
    "change, message",
    [(dict(lr=1e-3), "lr 0.0001 there, 0.001 here"), (dict(grad_clip=1.0), "grad_clip None there, 1.0 here"),
     (dict(seed=5), "seed 0 there, 5 here"), (dict(batch_size=4), "batch_size 2 there, 4 here"),
     (dict(steps=1), "past the 1 steps asked for")],
)  # fmt: skip
def test_resuming_with_other_settings_is_refused(tmp_path, change, message):
    _tiny_fit(tmp_path)
    with pytest.raises(CheckpointError, match=message):
        _tiny_fit(tmp_path, resume=True, **{"steps": 4, **change})


def test_resuming_another_network_of_the_same_parameter_names_is_refused(tmp_path):
    _tiny_fit(tmp_path)
    with pytest.raises(CheckpointError, match="model"):
        fit(REGISTRY["baseline"].build(num_feat=8), REGISTRY["baseline"].loss_fn_factory(), Toy(), steps=4,
            batch_size=2, ckpt_dir=tmp_path, resume=True, progress=False)  # fmt: skip


def test_a_second_run_in_a_locked_folder_stops_at_once(tmp_path):
    from course_lib.train import RunLock

    class Untouched(Toy):
        def sample_batch(self, rng, n):
            raise AssertionError("the second run must not train")

    with RunLock(tmp_path):
        with pytest.raises(CheckpointError, match=rf"another run \(process {os.getpid()}\)"):
            fit(REGISTRY["baseline"].build(num_feat=4), REGISTRY["baseline"].loss_fn_factory(), Untouched(),
                steps=2, batch_size=2, ckpt_dir=tmp_path, progress=False)  # fmt: skip
    _tiny_fit(tmp_path)  # released


def test_an_unwritable_checkpoint_folder_is_found_before_the_first_step(tmp_path):
    (tmp_path / "file").write_text("not a folder")

    class Untouched(Toy):
        def sample_batch(self, rng, n):
            raise AssertionError("no step before the folder is known to be writable")

    with pytest.raises(CheckpointError, match="cannot write checkpoints in .*file/run"):
        fit(REGISTRY["baseline"].build(num_feat=4), REGISTRY["baseline"].loss_fn_factory(), Untouched(), steps=2,
            batch_size=2, ckpt_dir=tmp_path / "file" / "run", progress=False)  # fmt: skip


def test_an_unreadable_checkpoint_is_not_called_corrupt(tmp_path, monkeypatch):
    _tiny_fit(tmp_path)
    path = latest_checkpoint(tmp_path)
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)  # tests run as root: chmod is ignored
    with pytest.raises(CheckpointError, match="cannot be read .*permission") as info:
        load_checkpoint(path)
    assert "delete" not in str(info.value)


def test_an_update_that_makes_weights_nan_is_never_saved(tmp_path):
    with pytest.raises(FloatingPointError, match="holds NaN or infinity"):
        _tiny_fit(tmp_path, steps=1, lr=float("inf"))
    assert list_checkpoints(tmp_path) == []
    net = REGISTRY["baseline"].build(num_feat=4)
    net.conv_last.weight.set_data(ms.Tensor(np.full(net.conv_last.weight.shape, np.nan, np.float32)))
    with pytest.raises(FloatingPointError):
        save_checkpoint(net, tmp_path / "step_00000001.ckpt", {"step": 1})
    assert not list(tmp_path.glob("*.ckpt")) and not list(tmp_path.glob(".tmp*"))
