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


@pytest.mark.parametrize("late", [True, False])
def test_slow_kernel_advice_names_the_import_order_when_that_is_the_cause(monkeypatch, late):
    from course_lib import _environment

    monkeypatch.setattr(device, "time_reference_conv", lambda: 3.0)
    monkeypatch.setattr(_environment, "SET_AFTER_MINDSPORE", late)
    with pytest.warns(RuntimeWarning) as record:
        device.check_cpu_speed()
    text = str(record[0].message)
    assert ("imported before course_lib" in text) == late
    assert ("import course_lib first" in text) == late


def test_import_order_is_detected_in_a_fresh_process():
    import subprocess
    import sys

    code = "import mindspore, course_lib._environment as e; print(e.SET_AFTER_MINDSPORE)"
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ("True" if os.uname().machine in ("x86_64", "amd64") else "False")


def test_the_test_command_output_ends_with_its_summary():
    # These two files together left 31 "Exception ignored in: Cell.__del__" tracebacks after the summary
    # (MindSpore's Cell.__del__ at interpreter teardown); course_lib._environment silences them at exit.
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "tests/test_edsr.py",
        "tests/test_contrastive.py",
        "-k",
        "not slow",
    ]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 0 and " passed" in lines[-1], lines[-5:]
    assert "Exception ignored" not in proc.stdout + proc.stderr
