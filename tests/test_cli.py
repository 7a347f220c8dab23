"""``python -m course_lib``: help on every command, one-line errors with exit code 2, and the commands'
results checked against independent computations (an identity network must give back its input; PSNR
from the formula)."""

import subprocess
import sys

import mindspore as ms
import numpy as np
import pytest
from mindspore import nn
from PIL import Image

from course_lib.__main__ import main
from course_lib.models import REGISTRY, MethodSpec
from course_lib.models.baseline import BaselineCNN, l1_loss_fn


def identity_baseline():
    """The baseline with a zero last layer: y = x + 0."""
    net = BaselineCNN()
    for p in net.conv_last.get_parameters():
        p.set_data(ms.Tensor(np.zeros(p.shape, np.float32)))
    return net


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "identity.ckpt"
    ms.save_checkpoint(identity_baseline(), str(path))
    return path


def write_png(path, rng, shape):
    path.parent.mkdir(parents=True, exist_ok=True)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(a).save(path)
    return a.astype(np.float64) / 255


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize("command", ["train", "enhance", "evaluate", "info"])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"python -m course_lib {command}" in out and "`" not in out  # no raw reST markup


def test_error_cases_are_one_line_with_exit_code_2(tmp_path, weights, capsys):
    rng = np.random.default_rng(0)
    write_png(tmp_path / "in.png", rng, (16, 16, 3))
    out = tmp_path / "out.png"
    code, _, err = run(capsys, "enhance", "nope", "--weights", weights, tmp_path / "in.png", out)
    assert_one_line_error(code, err, "unknown method 'nope'", "baseline")
    code, _, err = run(
        capsys, "enhance", "baseline", "--weights", tmp_path / "missing.ckpt", tmp_path / "in.png", out
    )
    assert_one_line_error(code, err, "missing.ckpt does not exist")
    (tmp_path / "text.png").write_text("not an image")
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "text.png", out)
    assert_one_line_error(code, err, "text.png", "not an image file")
    code, _, err = run(
        capsys, "enhance", "baseline", "--weights", tmp_path / "text.png", tmp_path / "in.png", out
    )
    assert_one_line_error(code, err, "text.png is not a readable MindSpore checkpoint")
    ms.save_checkpoint(nn.Dense(2, 2), str(tmp_path / "other.ckpt"))
    code, _, err = run(
        capsys, "enhance", "baseline", "--weights", tmp_path / "other.ckpt", tmp_path / "in.png", out
    )
    assert_one_line_error(code, err, "does not hold baseline weights")
    ms.save_checkpoint(BaselineCNN(num_feat=4), str(tmp_path / "narrow.ckpt"))
    code, _, err = run(
        capsys, "enhance", "baseline", "--weights", tmp_path / "narrow.ckpt", tmp_path / "in.png", out
    )
    assert_one_line_error(code, err, "conv_first.weight of shape (4, 3, 3, 3) but baseline has (16, 3, 3, 3)")
    (tmp_path / "empty" / "lq").mkdir(parents=True)
    (tmp_path / "empty" / "gt").mkdir()
    code, _, err = run(capsys, "evaluate", "baseline", "--weights", weights, "--data", tmp_path / "empty")
    assert_one_line_error(code, err, "no image pairs found")
    code, _, err = run(capsys, "train", "baseline", "--data", tmp_path / "nowhere", "--steps", "1")
    assert_one_line_error(code, err, "nowhere: no such folder")
    assert not out.exists()


def test_errors_leave_no_traceback_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "course_lib", "evaluate", "nope", "--weights", "w", "--data", "d"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: unknown method 'nope'; registered methods: " + ", ".join(sorted(REGISTRY))
    ]


def test_enhance_pads_to_the_models_multiple_and_crops_back(tmp_path, weights, capsys, monkeypatch):
    class Identity4(nn.Cell):  # refuses sizes that are not multiples of 4, like a U-Net would fail
        def __init__(self):
            super().__init__()
            self.inner = identity_baseline()

        def construct(self, x):
            if x.shape[-1] % 4 or x.shape[-2] % 4:
                raise ValueError("size must be a multiple of 4")
            return self.inner(x)

    ms.save_checkpoint(Identity4(), str(tmp_path / "id4.ckpt"))
    spec = MethodSpec("identity4", Identity4, l1_loss_fn, "paired", "test", pad_multiple=4)
    monkeypatch.setitem(REGISTRY, "identity4", spec)
    img = write_png(tmp_path / "in.png", np.random.default_rng(1), (11, 13, 3))
    code, out, err = run(capsys, "enhance", "identity4", "--weights", tmp_path / "id4.ckpt", tmp_path / "in.png",
                         tmp_path / "out.png")  # fmt: skip
    assert code == 0, err
    result = np.asarray(Image.open(tmp_path / "out.png"), dtype=np.float64) / 255
    assert result.shape == (11, 13, 3)
    np.testing.assert_allclose(result, img, atol=1.5 / 255)  # identity network, 8-bit round trip


def test_train_resume_and_evaluate_on_a_folder(tmp_path, weights, capsys):
    rng = np.random.default_rng(2)
    data = tmp_path / "pairs"
    (data / "lq").mkdir(parents=True)
    for name in ("a", "b"):
        gt = write_png(data / "gt" / f"{name}.png", rng, (48, 48, 3))
        Image.fromarray(np.round(gt * 0.6 * 255).astype(np.uint8)).save(data / "lq" / f"{name}.png")
    ckpt = tmp_path / "run"
    common = ["--data", data, "--budget", "ci", "--ckpt-dir", ckpt, "--batch", "2"]
    code, out, err = run(capsys, "train", "baseline", "--steps", "2", *common)
    assert code == 0, err
    assert "trained steps 1-2" in out and (ckpt / "baseline.ckpt").is_file()
    code, out, err = run(capsys, "train", "baseline", "--steps", "3", "--resume", *common)
    assert code == 0, err
    assert "trained steps 3-3" in out  # continued at step 3

    code, out, err = run(
        capsys, "evaluate", "baseline", "--weights", weights, "--data", data, "--budget", "ci"
    )
    assert code == 0, err
    table = {line[:24].strip(): line[24:].split() for line in out.splitlines()[2:]}
    assert set(table) == {"input (no processing)", "dark channel prior", "baseline"}
    psnrs = []
    for name in ("a", "b"):
        gt = np.asarray(Image.open(data / "gt" / f"{name}.png"), dtype=np.float64) / 255
        lq = np.asarray(Image.open(data / "lq" / f"{name}.png"), dtype=np.float64) / 255
        psnrs.append(10 * np.log10(1 / np.mean((lq - gt) ** 2)))
    assert float(table["input (no processing)"][0]) == pytest.approx(np.mean(psnrs), abs=0.006)
    assert table["baseline"] == table["input (no processing)"]  # the identity network changes nothing


def test_info_lists_versions_and_methods(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert f"MindSpore {ms.__version__}" in out and "baseline" in out and "devices available: " in out


# --- hardening: nothing NaN or damaged is saved or loaded, every mistake is one line ----------------------


def test_an_update_that_diverges_saves_no_weights(tmp_path, capsys):
    ckpt = tmp_path / "run"  # --lr inf is refused by the parser (test_cli_arguments.py); 1e38 overflows the loss
    code, out, err = run(capsys, "train", "baseline", "--steps", "2", "--lr", "1e38", "--budget", "ci",
                         "--ckpt-dir", ckpt)  # fmt: skip
    assert_one_line_error(code, err, "loss is inf at step 2", "lower lr")
    assert not (ckpt / "baseline.ckpt").exists()


def test_final_weights_carry_a_crc_and_a_flipped_bit_is_refused(tmp_path, capsys):
    ckpt = tmp_path / "run"
    code, out, err = run(capsys, "train", "baseline", "--steps", "1", "--budget", "ci", "--ckpt-dir", ckpt)
    assert code == 0, err
    final = ckpt / "baseline.ckpt"
    raw = bytearray(final.read_bytes())
    weight = ms.load_checkpoint(str(final))["conv_last.weight"].asnumpy()
    at = bytes(raw).find(weight.astype("<f4").tobytes()[:8])
    assert at > 0
    raw[at + 3] ^= 0x40  # an exponent bit of the first float of conv_last.weight
    final.write_bytes(bytes(raw))
    img = tmp_path / "in.png"
    write_png(img, np.random.default_rng(0), (16, 16, 3))
    code, out, err = run(capsys, "enhance", "baseline", "--weights", final, img, tmp_path / "out.png")
    assert_one_line_error(code, err, "not a readable MindSpore checkpoint")
    assert not (tmp_path / "out.png").exists()


def test_weights_of_another_dtype_are_refused(tmp_path, capsys):
    net = identity_baseline()
    for p in net.get_parameters():
        p.set_dtype(ms.int32)
    path = tmp_path / "int.ckpt"
    ms.save_checkpoint(net, str(path))
    img = tmp_path / "in.png"
    write_png(img, np.random.default_rng(0), (16, 16, 3))
    code, out, err = run(capsys, "enhance", "baseline", "--weights", path, img, tmp_path / "out.png")
    assert_one_line_error(code, err, "Int32", "float32")


def test_an_output_path_under_a_file_is_one_line(tmp_path, weights, capsys):
    img = tmp_path / "in.png"
    write_png(img, np.random.default_rng(0), (16, 16, 3))
    code, out, err = run(capsys, "enhance", "baseline", "--weights", weights, img, img / "out.png")
    assert_one_line_error(code, err, "in.png/out.png", "cannot write")
    code, out, err = run(capsys, "enhance", "baseline", "--weights", weights, img, tmp_path / "out.xyz")
    assert_one_line_error(code, err, "out.xyz", ".png")


def test_a_resumed_run_says_from_where(tmp_path, capsys):
    common = ["--budget", "ci", "--ckpt-dir", tmp_path / "run", "--batch", "2"]
    assert run(capsys, "train", "baseline", "--steps", "2", *common)[0] == 0
    code, out, err = run(capsys, "train", "baseline", "--steps", "3", "--resume", *common)
    assert code == 0, err
    assert "resuming from" in out and "step_00000002.ckpt (step 2 of 3)" in out
    code, out, err = run(capsys, "train", "baseline", "--steps", "3", *common)  # a new run, same folder
    assert_one_line_error(code, err, "already holds checkpoints", "--resume")
