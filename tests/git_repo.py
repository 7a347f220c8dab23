"""A throwaway git repository for tests of what reads course weights from git history."""

import shutil
import subprocess

import pytest

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo, *args) -> str:
    """Run ``git -C repo ARGS`` with a fixed identity; its stripped standard output."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip()


def commit_all(repo) -> str:
    """Commit everything in ``repo`` (made a repository if it is not one); the commit's short hash."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "weights")
    return git(repo, "rev-parse", "--short", "HEAD")
