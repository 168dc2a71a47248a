"""`git-parallel-hook agent-shell`: what an agent's shell command left out of bounds, reported
right after the command (Claude Code PostToolUse on Bash, Gemini CLI AfterTool on
run_shell_command); and Gemini CLI's file tools through the pre-edit hook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open

HOOK = str(Path(sys.executable).parent / "git-parallel-hook")
PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "agent-payloads"


def hook(verb: str, data: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOOK, verb],
        input=data.decode("utf-8", "surrogateescape"),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def after(worktree: Path, name: str = "claude-bash-after.json") -> bytes:
    text = (PAYLOADS / name).read_text()
    return text.replace("@WORKTREE@", str(worktree)).replace("@COMMAND@", "make").encode()


@pytest.fixture
def worktree(repo: Repo) -> Path:
    repo.write("src/a.py", "a = 1\n")
    repo.write("docs/guide.md", "guide\n")
    repo.write(".gitignore", "build/\n")
    repo.commit_all("sources")
    return start_open(repo, "1", ["src/**"])


def test_changes_inside_the_declaration_and_ignored_files_pass(worktree: Path) -> None:
    (worktree / "src" / "a.py").write_text("a = 2\n")
    (worktree / "src" / "new.py").write_text("n = 1\n")
    (worktree / "build").mkdir()
    (worktree / "build" / "out.o").write_text("object\n")  # ignored: never committed
    result = hook("agent-shell", after(worktree), worktree)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_every_kind_of_out_of_bounds_change_is_reported(worktree: Path) -> None:
    (worktree / "README.md").write_text("edited by sed -i\n")  # modified, unstaged
    (worktree / "tools").mkdir()
    (worktree / "tools" / "gen.py").write_text("generated\n")  # new, untracked
    git(worktree, "mv", "docs/guide.md", "src/guide.md")  # staged rename: both sides
    result = hook("agent-shell", after(worktree), worktree)
    assert result.returncode == 2  # Claude Code shows stderr to the model on 2
    err = result.stderr
    assert err.startswith("git parallel: the command left 3 paths in this worktree")
    assert re.search(r"README\.md +modified", err)
    assert "git restore --source=HEAD --staged --worktree -- README.md" in err
    assert re.search(r"tools/gen\.py +added", err) and "rm -- tools/gen.py" in err
    assert re.search(r"docs/guide\.md +deleted", err)
    assert "src/guide.md" not in err  # the declared side of the rename is fine
    assert "git parallel claim 1 -- PATH" in err


def test_gemini_gets_json_on_stdout_and_the_same_verdicts(worktree: Path) -> None:
    clean = hook("agent-shell", after(worktree, "gemini-shell.json"), worktree)
    assert clean.returncode == 0 and json.loads(clean.stdout) == {}
    (worktree / "Makefile").write_text("all:\n")
    dirty = hook("agent-shell", after(worktree, "gemini-shell.json"), worktree)
    assert dirty.returncode == 2 and "Makefile" in dirty.stderr and dirty.stdout == ""


def test_outside_a_task_worktree_the_answer_is_zero(repo: Repo, worktree: Path) -> None:
    (repo.path / "stray.txt").write_text("the main checkout is not a task's\n")
    result = hook("agent-shell", after(repo.path), worktree)
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize(
    "data",
    [
        b'{"cwd": ',  # not JSON
        b"[1, 2]",  # not an object
        b'{"cwd": 7, "tool_name": "Bash"}',  # cwd of the wrong type
    ],
)
def test_an_unreadable_payload_fails_closed_with_a_hint(worktree: Path, data: bytes) -> None:
    result = hook("agent-shell", data, worktree)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("git parallel: error: the agent's hook payload")
    assert lines[1].startswith("hint: the hook expects an agent's after-shell JSON")
    assert "Traceback" not in result.stderr


def test_a_task_worktree_without_readable_rules_fails_closed(worktree: Path) -> None:
    git_dir = Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    rules = git_dir / "parallel-rules.json"
    rules.write_text("{not json")
    broken = hook("agent-shell", after(worktree), worktree)
    assert broken.returncode == 2 and "unreadable" in broken.stderr
    rules.unlink()
    missing = hook("agent-shell", after(worktree), worktree)
    assert missing.returncode == 2 and "rules file is missing" in missing.stderr


def test_gemini_file_tools_meet_the_pre_edit_hook(worktree: Path) -> None:
    def edit(name: str, path: str) -> subprocess.CompletedProcess[str]:
        text = (PAYLOADS / name).read_text()
        text = text.replace("@WORKTREE@", str(worktree)).replace("@PATH@", path)
        return hook("agent", text.encode(), worktree)

    allowed = edit("gemini-write-file.json", "src/b.py")
    assert allowed.returncode == 0 and json.loads(allowed.stdout) == {}
    refused = edit("gemini-replace.json", "docs/guide.md")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "docs/guide.md" in refused.stderr and "not declared by task 1" in refused.stderr
