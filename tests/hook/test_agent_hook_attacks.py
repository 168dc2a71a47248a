"""The agents' pre-edit hook against a hostile agent (issue 20, class 4): symlinks judged by
where the write lands, malformed payloads and a deleted rules file block with exit 2 (the only
code Claude Code blocks on), never 0 or 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.services.merging.test_merge import start_open

HOOK = str(Path(sys.executable).parent / "git-parallel-hook")


def agent_hook(data: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [HOOK, "agent"], input=data, cwd=cwd, capture_output=True, timeout=60, check=False
    )


def edit(worktree: Path, path: str | Path, tool: str = "Write") -> bytes:
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    payload = {
        "cwd": str(worktree),
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": {key: str(path), "content": "x\n"},
    }
    return json.dumps(payload).encode()


def refused_with_message(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert err.startswith("git parallel: "), err
    assert "Traceback" not in err
    return err


@pytest.fixture
def worktree(repo: Repo) -> Path:
    repo.write("src/a.py", "a = 1\n")
    repo.write("secret/keys.txt", "base's\n")
    repo.commit_all("sources")
    return start_open(repo, "1", ["src/**"])


def test_a_symlink_at_a_declared_path_to_an_undeclared_file_is_refused(worktree: Path) -> None:
    (worktree / "src/link.py").symlink_to("../secret/keys.txt")

    result = agent_hook(edit(worktree, worktree / "src/link.py"), worktree)

    err = refused_with_message(result)
    assert "secret/keys.txt" in err
    assert (worktree / "secret/keys.txt").read_text() == "base's\n"


def test_a_symlink_at_a_declared_path_leading_out_of_the_worktree_is_refused(
    repo: Repo, worktree: Path
) -> None:
    (worktree / "src/other.py").symlink_to(repo.path / "src/a.py")  # into the main checkout
    (worktree / "src/tmp.py").symlink_to("/tmp/anywhere.py")
    (worktree / "src/dir").symlink_to(repo.path / "secret")  # a folder link

    for target in ("src/other.py", "src/tmp.py", "src/dir/keys.txt"):
        err = refused_with_message(agent_hook(edit(worktree, worktree / target), worktree))
        assert "symbolic link" in err, err


def test_a_symlink_inside_the_declaration_passes(worktree: Path) -> None:
    (worktree / "src/alias.py").symlink_to("a.py")
    result = agent_hook(edit(worktree, worktree / "src/alias.py"), worktree)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "tool_input",
    [
        {"file_path": None},
        {"file_path": ["src/a.py", "Makefile"]},
        {"file_path": 7},
        {"file_path": ""},
        {},
        "src/a.py",
        ["src/a.py"],
        None,
        {"file_path": "src/a.py", "edits": [{"file_path": 3}]},
        {"file_path": "src/a.py", "edits": "Makefile"},
    ],
    ids=repr,
)
def test_malformed_edit_payloads_block(worktree: Path, tool_input: object) -> None:
    data = json.dumps({"cwd": str(worktree), "tool_name": "MultiEdit", "tool_input": tool_input})
    err = refused_with_message(agent_hook(data.encode(), worktree))
    assert "hint: " in err


@pytest.mark.parametrize(
    "data",
    [
        b'{"tool_name": "Write", "tool_input": {"file_path": "src/\\ud800.py"}}',
        b'{"tool_name": "Write", "tool_input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"tool_name": 5, "tool_input": {"file_path": "src/a.py"}}',
        b'{"tool_input": {"file_path": "src/a.py"}}',
        b'{"tool_name": "Write", "cwd": ["x"], "tool_input": {"file_path": "src/a.py"}}',
        b'{"tool_name": "Write", "tool_input": {"file_path": "src/a\\u0000.py"}}',
    ],
    ids=[
        "lone-surrogate",
        "deep-list",
        "deep-object",
        "tool-name-number",
        "no-tool",
        "cwd-list",
        "nul",
    ],
)
def test_unreadable_payloads_block_with_exit_2(worktree: Path, data: bytes) -> None:
    err = refused_with_message(agent_hook(data, worktree))
    assert "hint: " in err


def test_invalid_json_has_a_hint(worktree: Path) -> None:
    err = refused_with_message(agent_hook(b'{"tool_name": "Edit", "tool_input": ', worktree))
    assert err.startswith("git parallel: error: the agent's hook payload is not valid JSON")
    assert "\nhint: " in err


def test_a_deleted_rules_file_blocks_every_edit(worktree: Path) -> None:
    git_dir = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], cwd=worktree, capture_output=True, text=True
    ).stdout.strip()
    os.unlink(Path(git_dir) / "parallel-rules.json")

    err = refused_with_message(agent_hook(edit(worktree, worktree / "src/a.py"), worktree))

    assert "parallel-rules.json" in err and "hint: " in err
    plain = agent_hook(b"src/a.py\n", worktree)
    assert plain.returncode == 2, plain.stderr
