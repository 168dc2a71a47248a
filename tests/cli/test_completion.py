"""Shell completion: `git parallel me<TAB>` completes to `merge`, as docs/completion.md says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "completion.md"


def bash_snippet() -> str:
    text = DOCS.read_text()
    return text.split("```bash\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("git parallel me", "merge"),
        ("git parallel merge --dr", "--dry-run"),
        ("git parallel st", "start status stop"),
    ],
)
def test_bash_completion_through_git(words: str, expected: str) -> None:
    assert shutil.which("bash")
    script = (
        bash_snippet() + f"COMP_WORDS=({words}); COMP_CWORD={len(words.split()) - 1}; COMPREPLY=();"
        ' _git_parallel; echo "${COMPREPLY[*]}"\n'
    )
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected.split()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_generated(shell: str) -> None:
    env = {**os.environ, "_GIT_PARALLEL_COMPLETE": f"{shell}_source"}
    result = subprocess.run(
        [sys.executable, "-m", "gitwt"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0
    assert "_GIT_PARALLEL_COMPLETE" in result.stdout
