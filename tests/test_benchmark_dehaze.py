"""benchmarks/dehaze_quality.py runs end to end (ci budget, 2 steps) and scores against independent metrics."""

import json
import os
import subprocess
import sys

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

from conftest import REPO


def test_dehaze_benchmark_smoke(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import dehaze_quality
    finally:
        sys.path.pop(0)
    tests = dehaze_quality.test_set(128)
    assert len(tests) == 4  # two held-out photos x two fixed haze levels
    for _, hazy, clean in tests:
        assert hazy.shape == clean.shape and hazy.shape[0] % 4 == 0 and hazy.shape[1] % 4 == 0

    out = tmp_path / "report.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "dehaze_quality.py"), "--budget", "ci", "--modes", "none",
           "--head", "k_estimate", "--steps", "2", "--repeats", "1", "--json", str(out)]  # fmt: skip
    env = {**os.environ, "COURSE_BUDGET": "ci", "GLOG_v": "3"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    methods = [r["method"] for r in report["results"]]
    assert methods == ["hazy input", "dark channel prior", "AECR-Net tiny, L1, k_estimate head"]
    hazy_rows = report["results"][0]["rows"]
    for row, (_, hazy, clean) in zip(hazy_rows, tests):
        assert abs(row["psnr"] - peak_signal_noise_ratio(clean, hazy, data_range=1.0)) < 1e-4
    assert all(np.isfinite(r["psnr"]) and 0 < r["ssim"] <= 1 for r in report["results"])
