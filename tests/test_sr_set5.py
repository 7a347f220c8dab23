"""benchmarks/sr_set5.py: the course's SR weights on Set5 x2 by the published protocol (../shared, not shipped)."""

import importlib.util

import numpy as np
import pytest

from conftest import REFERENCE_DATA, REPO

_spec = importlib.util.spec_from_file_location("sr_set5", REPO / "benchmarks" / "sr_set5.py")
sr_set5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sr_set5)
needs_set5 = pytest.mark.skipif(
    len(list((REFERENCE_DATA / "set5" / "HR").glob("*.png"))) != 5, reason="shared/reference_data/set5/HR is absent"
)


@pytest.fixture(scope="module")
def set5():
    return sr_set5.benchmark(REFERENCE_DATA)


@needs_set5
def test_bicubic_reproduces_the_published_33_66_db_and_every_network_beats_it(set5):
    assert abs(set5["bicubic"]["Set5"] - 33.66) < 0.05  # SRCNN's Table 3
    for label in ("espcn", "edsr", "csd, width 1", "csd, width 0.25"):
        assert set5[label]["Set5"] > set5["bicubic"]["Set5"] + 1.0, label


@needs_set5
@pytest.mark.parametrize("label", ["edsr", "csd, width 1"])
def test_full_width_networks_reach_fsrcnns_37_00_db(set5, label):
    assert set5[label]["Set5"] >= 37.00  # FSRCNN, Dong et al. ECCV 2016


@needs_set5
def test_the_csd_student_at_width_0_25_reaches_36_5_db(set5):
    assert set5["csd, width 0.25"]["Set5"] >= 36.5


def test_parameter_counts_are_the_networks_own():
    import numpy as np

    from course_lib.models import get_method

    counts = sr_set5.parameter_counts()
    for label, method in (("espcn", "espcn"), ("edsr", "edsr"), ("csd, width 1", "csd")):
        assert counts[label] == sum(int(np.prod(p.shape)) for p in get_method(method).build().trainable_params())
    # width 0.25: every conv keeps a quarter of its channels, so about 1/16 of the weights
    assert counts["bicubic"] == 0 and 0 < counts["csd, width 0.25"] < counts["csd, width 1"] / 10


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path, capsys):
    assert sr_set5.main(["--data", str(tmp_path)]) == 2
    assert "set5/HR" in capsys.readouterr().err


@needs_set5
def test_a_checkpoint_given_with_ckpt_is_scored_as_its_own_rows(capsys):
    from course_lib import weights

    shipped = str(weights.path("espcn"))
    assert sr_set5.main(["--ckpt", f"espcn again:espcn:{shipped}"]) == 0
    table = capsys.readouterr().out
    row = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()}
    # the shipped file given as a run scores what the shipped row scores
    assert row["espcn again"].split(" | ")[1:] == row["espcn"].split(" | ")[1:]


@needs_set5
def test_a_training_checkpoint_is_scored_on_its_moving_average(tmp_path, capsys):
    import mindspore as ms

    from course_lib import weights

    shipped = weights.read_checkpoint(weights.path("espcn"))
    # the raw weights all zero (a flat output), the average the shipped weights: the average must be scored
    entries = [{"name": k, "data": ms.Tensor(np.zeros(p.shape, np.float32))} for k, p in shipped.items()]
    entries += [{"name": f"ema.{k}", "data": ms.Tensor(p.asnumpy())} for k, p in shipped.items()]
    entries.append({"name": "ema.updates", "data": ms.Tensor(np.float32(750))})
    ms.save_checkpoint(entries, str(tmp_path / "step_00000750.ckpt"))
    assert sr_set5.main(["--ckpt", f"averaged:espcn:{tmp_path / 'step_00000750.ckpt'}"]) == 0
    row = {line.split(" | ")[0].strip("| "): line for line in capsys.readouterr().out.splitlines()}
    assert row["averaged"].split(" | ")[1:] == row["espcn"].split(" | ")[1:]


@pytest.mark.parametrize("item", ["no-colons", "run:vdsr:x.ckpt", "run:csd:/no/such/file.ckpt"])
def test_a_bad_ckpt_is_one_line_and_exit_2(item, capsys):
    with pytest.raises(SystemExit) as stop:
        sr_set5.main(["--ckpt", item])
    assert stop.value.code == 2
    assert "LABEL:METHOD:PATH" in capsys.readouterr().err


@needs_set5  # without the photos the run would also end with exit 2, for another reason
def test_a_checkpoint_of_another_network_is_one_line_and_exit_2(capsys):
    from course_lib import weights

    assert sr_set5.main(["--ckpt", f"wrong:csd:{weights.path('espcn')}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
