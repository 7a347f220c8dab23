"""``enhance`` on folders and several files, ``--width``, the flat-output warning, and ``evaluate --per-image
--json --save``: results checked against an identity network (the output must be the input) and PSNR from
its formula in NumPy."""

import json
import os

import mindspore as ms
import numpy as np
import pytest
from mindspore import nn
from PIL import Image
from test_cli import identity_baseline, write_png

from course_lib.__main__ import main
from course_lib.models import REGISTRY, MethodSpec
from course_lib.models.baseline import l1_loss_fn


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "identity.ckpt"
    ms.save_checkpoint(identity_baseline(), str(path))
    return path


def read(path):
    return np.asarray(Image.open(path), dtype=np.float64) / 255


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_goes_through_in_one_process_and_outputs_are_kept(tmp_path, weights, capsys):
    rng = np.random.default_rng(0)
    inputs = {name: write_png(tmp_path / "in" / f"{name}.png", rng, shape)
              for name, shape in (("a", (16, 24, 3)), ("b", (20, 12, 3)), ("c", (16, 24, 3)))}  # fmt: skip
    (tmp_path / "in" / "notes.txt").write_text("not an image: skipped")
    code, out, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "in", tmp_path / "out")
    assert code == 0, err
    assert "wrote 3 image(s)" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c.png"]
    for name, img in inputs.items():
        np.testing.assert_allclose(read(tmp_path / "out" / f"{name}.png"), img, atol=1.5 / 255)  # identity

    marker = np.zeros((4, 4, 3), np.uint8)
    Image.fromarray(marker).save(tmp_path / "out" / "a.png")  # an output the user changed by hand
    code, out, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "in", tmp_path / "out")
    assert code == 0, err
    assert "kept 3 existing" in out
    assert read(tmp_path / "out" / "a.png").shape == (4, 4, 3)  # kept
    code, out, err = run(capsys, "enhance", "baseline", "--weights", weights, "--overwrite", tmp_path / "in" / "a.png",
                         tmp_path / "in" / "b.png", tmp_path / "out")  # fmt: skip
    assert code == 0, err
    np.testing.assert_allclose(read(tmp_path / "out" / "a.png"), inputs["a"], atol=1.5 / 255)


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


def test_outputs_never_go_through_links_onto_inputs_or_twice(tmp_path, weights, capsys):
    rng = np.random.default_rng(1)
    img = write_png(tmp_path / "in" / "a.png", rng, (8, 8, 3))
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"keep me")
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / "a.png")
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, "--overwrite", tmp_path / "in",
                       tmp_path / "out")  # fmt: skip
    assert_one_line_error(code, err, "is a symbolic link")
    os.symlink(tmp_path / "nowhere.png", tmp_path / "dangling.png")
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "in" / "a.png",
                       tmp_path / "dangling.png")  # fmt: skip
    assert_one_line_error(code, err, "is a symbolic link")
    assert victim.read_bytes() == b"keep me" and not (tmp_path / "nowhere.png").exists()

    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, "--overwrite", tmp_path / "in",
                       tmp_path / "in")  # fmt: skip
    assert_one_line_error(code, err, "is also an input")
    np.testing.assert_array_equal(read(tmp_path / "in" / "a.png"), img)
    write_png(tmp_path / "other" / "a.jpg", rng, (8, 8, 3))
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "in", tmp_path / "other",
                       tmp_path / "out2")  # fmt: skip
    assert_one_line_error(code, err, "would both be written to")
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "in", tmp_path / "victim.png")
    assert_one_line_error(code, err, "is a file; with several inputs or a folder give an output folder")
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "enhance", "baseline", "--weights", weights, tmp_path / "empty", tmp_path / "out3")
    assert_one_line_error(code, err, "holds no images")
    assert not (tmp_path / "out2").exists() and not (tmp_path / "out3").exists()


class Flat(nn.Cell):
    """What a diverged or barely trained network gives: the same grey everywhere."""

    def __init__(self):
        super().__init__()
        self.bias = ms.Parameter(ms.Tensor(np.full((1, 3, 1, 1), 0.02, np.float32)), name="bias")

    def construct(self, x):
        return x * 0 + self.bias


def test_a_nearly_constant_output_is_written_with_a_warning(tmp_path, capsys, monkeypatch):
    ms.save_checkpoint(Flat(), str(tmp_path / "flat.ckpt"))
    monkeypatch.setitem(REGISTRY, "flat", MethodSpec("flat", Flat, l1_loss_fn, "paired", "test"))
    write_png(tmp_path / "in.png", np.random.default_rng(2), (16, 16, 3))
    code, out, err = run(capsys, "enhance", "flat", "--weights", tmp_path / "flat.ckpt", tmp_path / "in.png",
                         tmp_path / "out.png")  # fmt: skip
    assert code == 0
    assert "warning: 1 of 1 output(s) nearly constant: out.png (mean 5.1/255" in err
    assert "look untrained or diverged" in err
    np.testing.assert_allclose(read(tmp_path / "out.png"), 5 / 255)  # 0.02 * 255 = 5.1, rounded to 5


def test_a_short_training_run_is_named_in_a_warning(tmp_path, capsys, weights):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "espcn.ckpt").write_bytes(b"")
    (run_dir / "step_00000020.ckpt").write_bytes(b"")
    from course_lib.__main__ import warn_if_untrained
    from course_lib.weights import manifest

    warn_if_untrained(str(run_dir / "espcn.ckpt"), "espcn")
    err = capsys.readouterr().err
    assert f"a run of 20 steps (the course weights took {manifest()['espcn']['steps']})" in err


def test_width_runs_the_slimmable_network_at_that_width(tmp_path, capsys):
    from course_lib import weights
    from course_lib.data import load_image

    write_png(tmp_path / "in.png", np.random.default_rng(3), (12, 16, 3))
    for width in ("0.25", "1"):
        code, out, err = run(capsys, "enhance", "edsr", "--weights", "course", "--width", width, "--mode", "pynative",
                             tmp_path / "in.png", tmp_path / f"w{width}.png")  # fmt: skip
        assert code == 0, err
    net = weights.load("edsr")
    x = ms.Tensor(load_image(tmp_path / "in.png").transpose(2, 0, 1)[None])
    for width in (0.25, 1.0):
        want = np.clip(net(x, width).asnumpy()[0].transpose(1, 2, 0), 0, 1)
        got = read(tmp_path / f"w{width:g}.png")
        assert got.shape == (24, 32, 3)
        np.testing.assert_allclose(got, want, atol=0.51 / 255 + 1e-6)  # 8-bit rounding only
    assert np.abs(read(tmp_path / "w0.25.png") - read(tmp_path / "w1.png")).max() > 2 / 255  # another network
    code, _, err = run(capsys, "enhance", "espcn", "--weights", "course", "--width", "0.5", tmp_path / "in.png",
                       tmp_path / "x.png")  # fmt: skip
    assert_one_line_error(code, err, "--width is for width-slimmable networks")


def test_evaluate_per_image_json_and_saved_outputs(tmp_path, weights, capsys):
    rng = np.random.default_rng(4)
    data = tmp_path / "pairs"
    want = {}
    for name in ("a", "b"):
        gt = write_png(data / "gt" / f"{name}.png", rng, (24, 24, 3))
        lq = np.round(gt * 0.6 * 255) / 255
        (data / "lq").mkdir(exist_ok=True)
        Image.fromarray((lq * 255).round().astype(np.uint8)).save(data / "lq" / f"{name}.png")
        want[name] = 10 * np.log10(1 / np.mean((lq - gt) ** 2))  # the identity network changes nothing
    report = tmp_path / "reports" / "scores.json"
    code, out, err = run(capsys, "evaluate", "baseline", "--weights", weights, "--data", data, "--per-image",
                         "--json", report, "--save", tmp_path / "saved")  # fmt: skip
    assert code == 0, err
    lines = [line.split() for line in out.splitlines() if line.startswith(("a ", "b "))]
    assert [line[0] for line in lines] == ["a"] * 3 + ["b"] * 3
    scores = json.loads(report.read_text())
    for image in scores["images"]:
        assert image["scores"]["baseline"]["psnr"] == pytest.approx(want[image["name"]], abs=0.01)
        assert image["scores"]["input (no processing)"]["psnr"] == pytest.approx(want[image["name"]], abs=0.01)
    assert scores["mean"]["baseline"]["psnr"] == pytest.approx(np.mean(list(want.values())), abs=0.01)
    for name in ("a", "b"):
        np.testing.assert_allclose(read(tmp_path / "saved" / f"{name}.png"), read(data / "lq" / f"{name}.png"),
                                   atol=1.5 / 255)  # fmt: skip


def test_a_size_mismatch_names_input_and_ground_truth_and_the_fix(tmp_path, weights, capsys):
    rng = np.random.default_rng(5)
    write_png(tmp_path / "sr" / "lq" / "comic.png", rng, (125, 180, 3))
    write_png(tmp_path / "sr" / "gt" / "comic.png", rng, (250, 361, 3))
    code, _, err = run(capsys, "evaluate", "espcn", "--weights", "course", "--data", tmp_path / "sr")
    assert_one_line_error(code, err, "lq/comic.png (input) is 125x180", "gt/comic.png (ground truth) is 250x361",
                          "crop it to a multiple of 2")  # fmt: skip
