"""Device selection and fallback, the oneDNN speed guard, and budgets."""

import os
import warnings

import pytest

import course_lib
from course_lib import budget, device


def test_auto_picks_the_best_available_target(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert device.resolve_target("auto", ["Ascend", "GPU", "CPU"]) == "Ascend"
    assert device.resolve_target("auto", ["GPU", "CPU"]) == "GPU"
    assert device.resolve_target("auto", ["CPU"]) == "CPU"
    assert device.resolve_target("gpu", ["GPU", "CPU"]) == "GPU"


def test_a_missing_target_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    with pytest.raises(device.DeviceError, match=r"'Ascend' is not available here \(available: GPU, CPU\)"):
        device.resolve_target("Ascend", ["GPU", "CPU"])
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        device.resolve_target("tpu", ["CPU"])


def test_environment_overrides_and_auto_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "GPU")
    with pytest.warns(RuntimeWarning, match=r"asked for by \$COURSE_DEVICE; falling back to CPU"):
        assert device.resolve_target("auto", ["CPU"]) == "CPU"
    with pytest.raises(device.DeviceError):
        device.resolve_target("GPU", ["CPU"])
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert device.resolve_target("auto", ["GPU", "CPU"]) == "CPU"


def test_setup_on_this_machine(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert device.available_targets()[-1] == "CPU"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the slow-kernel warning must not fire
        target = device.setup(seed=3)
    line = capsys.readouterr().out
    assert (
        target in ("CPU", "GPU", "Ascend")
        and "MindSpore 2.10" in line
        and f"course_lib {course_lib.__version__}" in line
    )
    with pytest.raises(ValueError, match="unknown mode"):
        device.setup(mode="eager")


def test_import_sets_the_onednn_cap_and_the_conv_is_fast():
    # Fast kernel on the course's 2-core Xeon: 22-36 ms; the reference kernel takes 2.5-4.4 s.
    assert os.environ.get("ONEDNN_MAX_CPU_ISA") == "AVX2"
    assert device.time_reference_conv() < 10 * 0.036


def test_budget_levels_environment_and_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "ci")
    b = budget()
    assert b.name == "ci" and b.steps < budget("class").steps < budget("full").steps
    assert b.choose(ci=1, class_=2, full=3) == 1 and budget(steps=5).steps == 5
    monkeypatch.setenv("COURSE_BUDGET", "huge")
    with pytest.raises(ValueError, match="unknown budget 'huge'.*COURSE_BUDGET"):
        budget()
    monkeypatch.delenv("COURSE_BUDGET")
    assert budget().name == "class"
