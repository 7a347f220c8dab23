"""benchmarks/gpu_check.py on CPU: trains, resumes, compares with its CPU reference subprocess, times (< 60 s)."""

import json
import math
import os
import subprocess
import sys

from conftest import REPO


def test_gpu_check_smoke_on_cpu(tmp_path):
    out = tmp_path / "gpu_check.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--device", "CPU",
           "--methods", "espcn", "zero_dce_pp", "--steps", "3", "--resume-steps", "2", "--size", "64",
           "--json", str(out)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DEVICE"}
    env["GLOG_v"] = "3"
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (
        "| method | steps ok | resume ok | max rel loss diff vs CPU | ms/train step | ms/enhance |"
        in run.stdout
    )

    report = json.loads(out.read_text())
    assert report["device"] == "CPU" and "error" not in report.get("cpu_reference", {})
    assert set(report["methods"]) == {"espcn", "zero_dce_pp"}
    for name, r in report["methods"].items():
        assert r["status"] == "ok", (name, r)
        assert r["steps_ok"] and r["resume_ok"], (name, r)
        assert len(r["losses"]) == 5 and all(math.isfinite(v) for v in r["losses"]), (name, r["losses"])
        assert len(r["cpu_losses"]) == 5
        assert r["max_rel_diff_vs_cpu"] < 1e-4, (name, r["rel_diff_per_step"])
        assert r["ms_per_step"] > 0 and r["ms_enhance"] > 0, (name, r)
        assert r["enhance_shape"] == [1, 3, 64, 64]  # espcn: 32x32 input, x2
