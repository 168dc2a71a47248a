"""`git parallel --help`: git turns it into `man git-parallel`, so a man page must be found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gitwt.cli.manpage import render

SHIPPED = Path(__file__).resolve().parents[2] / "man" / "git-parallel.1"


def test_the_shipped_man_page_matches_the_commands() -> None:
    assert SHIPPED.read_text() == render(), (
        "regenerate: python -m gitwt.cli.manpage > man/git-parallel.1"
    )


def test_git_parallel_dash_dash_help_shows_the_manual(tmp_path: Path) -> None:
    # As on a user's machine: the environment's bin dir is on PATH, so man looks in ../share/man.
    bin_dir = os.path.dirname(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "MANPAGER": "cat",
        "PAGER": "cat",
        "MANWIDTH": "100",
    }
    env.pop("MANPATH", None)
    result = subprocess.run(
        ["git", "parallel", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "GIT-PARALLEL(1)" in result.stdout
    for command in ("plan", "start", "status", "merge", "clean", "check", "claim"):
        assert f"git parallel {command}" in result.stdout


def test_dash_h_works_everywhere(tmp_path: Path) -> None:
    result = subprocess.run(
        ["git", "parallel", "-h"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PATH": (f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"),
        },
    )
    assert result.returncode == 0
    assert "Usage: git parallel" in result.stdout
