"""Data parallelism with MindSpore's own launcher: ``msrun`` with 2 CPU workers trains to the weights of
one process on the combined batch (the reference, trained in this process), identical on both ranks,
with a checkpoint written by rank 0 only."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import mindspore as ms
import numpy as np
from toy_data import Toy

from course_lib.models import REGISTRY
from course_lib.train import fit
from course_lib.train.checkpoint import list_checkpoints

REPO = Path(__file__).resolve().parents[1]
STEPS, BATCH = 4, 4

WORKER = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {repo!r})
    sys.path.insert(0, {tests!r})
    import course_lib
    import mindspore as ms
    import numpy as np
    from course_lib.models import REGISTRY
    from course_lib.train import fit

    from toy_data import Toy

    out = sys.argv[1]
    ms.set_device("CPU")
    ms.set_seed(0)
    net = REGISTRY["baseline"].build(num_feat=8)
    h = fit(net, REGISTRY["baseline"].loss_fn_factory(), Toy(), steps={steps}, lr=1e-2, batch_size={batch},
            ckpt_dir=os.path.join(out, "ckpt"), progress=False)
    rank = os.environ["RANK_ID"]
    np.savez(os.path.join(out, f"w{{rank}}.npz"), **{{p.name: p.asnumpy() for p in net.get_parameters()}})
    """
).format(repo=str(REPO), tests=str(REPO / "tests"), steps=STEPS, batch=BATCH)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MSRUN = Path(sys.executable).with_name("msrun")  # installed with mindspore, beside python


def test_two_workers_match_one_process_on_the_combined_batch(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, GLOG_v="3")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # msrun starts `python`
    cmd = [str(MSRUN) if MSRUN.exists() else "msrun", "--worker_num=2", "--local_worker_num=2",
           f"--master_port={free_port()}", f"--log_dir={tmp_path / 'logs'}", "--join=True",
           "python", str(script), str(tmp_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    logs = "".join(p.read_text()[-1500:] for p in sorted((tmp_path / "logs").glob("*.log")))
    assert proc.returncode == 0, logs

    ms.set_seed(0)
    net = REGISTRY["baseline"].build(num_feat=8)
    fit(
        net,
        REGISTRY["baseline"].loss_fn_factory(),
        Toy(),
        steps=STEPS,
        lr=1e-2,
        batch_size=BATCH,
        progress=False,
    )
    ranks = [dict(np.load(tmp_path / f"w{r}.npz")) for r in range(2)]
    for p in net.get_parameters():
        np.testing.assert_array_equal(ranks[0][p.name], ranks[1][p.name], err_msg=p.name)
        np.testing.assert_allclose(ranks[0][p.name], p.asnumpy(), atol=1e-5, rtol=0, err_msg=p.name)
    assert [s for s, _ in list_checkpoints(tmp_path / "ckpt")] == [STEPS]  # one writer: rank 0
