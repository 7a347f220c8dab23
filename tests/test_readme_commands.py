"""Every ``python -m course_lib`` command in README.md runs as written, in README order, on the sample photos
(``samples samples`` is one of them) in a fresh folder; and the README's JupyterLab command serves the first
notebook at the address the README gives. The commands are read from the README itself, so an edited example
is tested as edited. ``editions --site`` (minutes) is marked slow; every other command runs by default."""

import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SLOW = ("editions",)  # rendering the site executes nothing but converts every notebook: minutes on 2 cores


def readme_commands():
    """The ``python -m course_lib ...`` lines of the README's fenced bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("python -m course_lib ")]


COMMANDS = readme_commands()


def test_the_readme_shows_the_command_line_on_the_samples():
    assert len(COMMANDS) >= 10
    assert COMMANDS.index("python -m course_lib samples samples") < min(
        i for i, c in enumerate(COMMANDS) if "samples/" in c
    )  # the samples are made before they are used
    for sub in ("info", "samples", "enhance", "evaluate", "train", "editions"):
        assert any(c.split()[3] == sub for c in COMMANDS), sub


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


def marks(command):
    return [pytest.mark.slow] if command.split()[3] in SLOW else []


@pytest.mark.parametrize(
    "command", [pytest.param(c, marks=marks(c), id=f"{i:02d} {' '.join(c.split()[3:5])}") for i, c in enumerate(COMMANDS)]
)
def test_readme_command_runs_as_written(command, workdir):
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "course_lib"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=workdir, capture_output=True, text=True, env=env,
                          timeout=1800)  # fmt: skip
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr and "warning:" not in proc.stderr, proc.stderr[-2000:]
    if argv[3] == "enhance":
        target = workdir / argv[-1]
        assert target.is_file() or (target.is_dir() and any(target.iterdir())), target
    if "--json" in argv:
        assert (workdir / argv[argv.index("--json") + 1]).is_file()
    if argv[3] == "evaluate":
        assert re.search(r"^method +PSNR", proc.stdout, re.M), proc.stdout


def lab_command():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return next(line for block in blocks for line in block.splitlines() if "jupyter lab" in line)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_lab_command_serves_the_first_notebook_at_the_readmes_address():
    command = lab_command()
    lab_args = shlex.split(command.split("&&")[-1])  # .venv/bin/jupyter lab --allow-root
    assert lab_args[:2] == [".venv/bin/jupyter", "lab"] and "--allow-root" in lab_args
    address = re.search(r"`http://localhost:8888(/lab/tree/[^`]+)`", README).group(1)
    notebook = address.removeprefix("/lab/tree/")
    assert (ROOT / notebook).is_file(), notebook
    jupyter = Path(sys.executable).parent / "jupyter"
    # the README's test command installs ".[dev,lab]": JupyterLab must be there
    assert subprocess.run([str(jupyter), "lab", "--version"], capture_output=True).returncode == 0, (
        "JupyterLab is not installed (pip install -e '.[dev,lab]', as the README's test command does)"
    )
    port, token = free_port(), secrets.token_hex(8)
    lab = subprocess.Popen([str(jupyter), *lab_args[1:], "--no-browser", f"--port={port}", f"--ServerApp.token={token}"],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/api/contents/{notebook}?content=0&token={token}", timeout=5) as r:
                    status = r.status
                break
            except OSError:
                time.sleep(1)
        assert lab.poll() is None, lab.stderr.read()[-2000:]  # as root without --allow-root it would exit here
        assert status == 200  # Lab's root is the repository: the README's path is found
        with urllib.request.urlopen(f"{base}{address}?token={token}", timeout=10) as r:
            assert r.status == 200
    finally:
        lab.terminate()
        lab.wait(timeout=30)
