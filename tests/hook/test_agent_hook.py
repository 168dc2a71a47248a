"""Agents told before they write: `check --path` and `git-parallel-hook agent` (issue 11, item 8).

The payloads are recorded shapes (tests/fixtures/agent-payloads/): Claude Code's PreToolUse
input for Edit, Write, MultiEdit, NotebookEdit and a non-edit tool, and a plain list of paths.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.hook.test_commit_hooks import task_worktree, write
from tests.services.merging.test_merge import start_open

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "agent-payloads"
HOOK = str(Path(sys.executable).parent / "git-parallel-hook")
CLAUDE_SHAPES = {
    "claude-edit.json": ("src/app.py", "config/settings.py"),
    "claude-write.json": ("src/new/module.py", "Dockerfile"),
    "claude-multiedit.json": ("src/app.py", "README.md"),
    "claude-notebookedit.json": ("src/analysis.ipynb", "notebooks/scratch.ipynb"),
}


def payload(name: str, worktree: Path | str, path: str) -> bytes:
    text = (PAYLOADS / name).read_text()
    return text.replace("@WORKTREE@", str(worktree)).replace("@PATH@", path).encode()


def agent_hook(data: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOOK, "agent"],
        input=data.decode(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("shape", sorted(CLAUDE_SHAPES))
def test_claude_code_edits_inside_pass_and_outside_are_blocked(repo: Repo, shape: str) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    write(worktree, "src/app.py", "x = 1\n")
    inside, outside = CLAUDE_SHAPES[shape]
    existed = (worktree / outside).exists()
    allowed = agent_hook(payload(shape, worktree, inside), repo.path)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stderr == ""
    blocked = agent_hook(payload(shape, worktree, outside), repo.path)
    assert blocked.returncode == 2  # what Claude Code blocks on; stderr goes to the model
    assert blocked.stderr.startswith("git parallel: edit refused: task 65 may not change 1 path")
    assert outside in blocked.stderr and "not declared by task 65" in blocked.stderr
    assert f"git parallel claim 65 -- {outside}" in blocked.stderr
    assert "git restore" not in blocked.stderr  # nothing is staged before an edit
    assert (worktree / outside).exists() == existed  # the hook only judges


def test_tools_that_do_not_edit_pass(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    result = agent_hook(payload("claude-bash.json", worktree, "Dockerfile"), worktree)
    assert result.returncode == 0 and result.stderr == ""


def test_a_plain_list_of_paths(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    allowed = agent_hook(payload("paths.txt", worktree, "src/a.py"), worktree)
    assert allowed.returncode == 0, allowed.stderr
    blocked = agent_hook(b"src/a.py\nMakefile\n", worktree)
    assert blocked.returncode == 1
    assert "Makefile" in blocked.stderr and "src/a.py" not in blocked.stderr
    (worktree / "src").mkdir()
    relative = agent_hook(b"../../repo-x/elsewhere.txt\n", worktree / "src")  # outside: passes
    assert relative.returncode == 0


def test_paths_outside_the_repository_pass_and_other_worktrees_are_blocked(
    repo: Repo, tmp_path: Path
) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    outside = tmp_path / "scratch" / "notes.md"
    result = agent_hook(payload("claude-write.json", tmp_path, "scratch/notes.md"), worktree)
    assert result.returncode == 0, result.stderr
    assert not outside.exists()
    # The agent works in the task worktree but writes into the main checkout, by mistake.
    data = payload("claude-edit.json", worktree, "src/app.py").replace(
        f"{worktree}/src".encode(), f"{repo.path}/src".encode()
    )
    blocked = agent_hook(data, worktree)
    assert blocked.returncode == 2
    assert "another worktree of this repository" in blocked.stderr
    assert f"{worktree}/src/app.py" in blocked.stderr  # where to make the edit instead


def test_agents_outside_task_worktrees_pass(repo: Repo) -> None:
    result = agent_hook(payload("claude-edit.json", repo.path, "anything.py"), repo.path)
    assert result.returncode == 0 and result.stderr == ""


def test_an_agent_in_the_main_checkout_meets_the_base_guard(repo: Repo) -> None:
    """The main checkout is guarded for live tasks' files before the edit, as at the commit."""
    start_open(repo, "65", ["src/**"])
    refused = agent_hook(payload("claude-edit.json", repo.path, "src/app.py"), repo.path)
    assert refused.returncode == 2, refused.stderr
    assert "edit refused: 1 path belongs to live task 65 (based on main)" in refused.stderr
    assert "declared by live task 65 (src/**)" in refused.stderr
    assert "make the change in " in refused.stderr and "git restore" not in refused.stderr
    assert not (repo.path / "src" / "app.py").exists()
    # A path no live task declares passes; so does every path once the task is gone.
    free = agent_hook(payload("claude-edit.json", repo.path, "docs/notes.md"), repo.path)
    assert free.returncode == 0 and free.stderr == ""
    plain = agent_hook(b"src/app.py\n", repo.path)
    assert plain.returncode == 1 and "live task 65" in plain.stderr
    assert repo.cli("clean", "65").code == 0
    after = agent_hook(payload("claude-edit.json", repo.path, "src/app.py"), repo.path)
    assert after.returncode == 0 and after.stderr == ""


def test_an_unreadable_payload_blocks(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    result = agent_hook(b'{"tool_name": "Edit", "tool_input": ', worktree)
    assert result.returncode == 2
    assert result.stderr.startswith("git parallel: error: the agent's hook payload is not valid")


@pytest.mark.slow
def test_check_path_inside_a_task_worktree_and_with_task(repo: Repo) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    result = repo.cli("check", "--path", "src/a.py", cwd=worktree)
    assert result.code == 0, result.err
    assert result.out == "ok: task 65 may change src/a.py\n"
    result = repo.cli("check", "--path", "src/a.py", "--path", "README.md", "--json", cwd=worktree)
    assert result.code == 1
    data = result.json()
    assert data["scope"] == "paths" and data["paths"] == ["src/a.py", "README.md"]
    [violation] = data["violations"]
    assert violation["path"] == "README.md" and violation["change"] == "modified"
    assert violation["kind"] == "undeclared"
    assert violation["fix"].startswith("git parallel claim 65 -- README.md")
    text = repo.cli("check", "--path", "docs/new.md", "--task", "65")  # from the main checkout
    assert text.code == 1
    assert "task 65 may not change 1 of these paths" in text.out and "docs/new.md" in text.out
    (worktree / "src").mkdir()
    relative = repo.cli("check", "--path", "app.py", cwd=worktree / "src")  # src/app.py
    assert relative.code == 0 and "src/app.py" in relative.out


def test_check_path_outside_the_repository_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    worktree = task_worktree(repo, "65", ["src/**"])
    result = repo.cli("check", "--path", str(tmp_path / "elsewhere.txt"), cwd=worktree)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("git parallel: error: --path") and "outside" in lines[0]
    assert lines[1].startswith("hint: ")


@pytest.mark.slow
def test_a_claim_lets_the_agent_write(repo: Repo) -> None:
    worktree = start_open(repo, "65", ["src/**"])
    data = payload("claude-write.json", worktree, "docs/api.md")
    assert agent_hook(data, worktree).returncode == 2
    assert repo.cli("check", "--path", "docs/api.md", cwd=worktree).code == 1
    claimed = repo.cli("claim", "65", "docs/api.md")
    assert claimed.code == 0, claimed.err
    assert repo.cli("check", "--path", "docs/api.md", cwd=worktree).code == 0
    assert agent_hook(data, worktree).returncode == 0
    assert not (worktree / "docs" / "api.md").exists()  # asking writes nothing
