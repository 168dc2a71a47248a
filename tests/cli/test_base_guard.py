"""The base guard beside the real pre-commit framework (issue 11, item 1).

The guard lives in the common hooks folder and keeps whatever was there: `pre-commit install`
works before and after `start`, both run on every commit in the main worktree and in task
worktrees, and nothing of ours is left once the last task has ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli.test_pre_commit_framework import pre_commit
from tests.conftest import Repo, git
from tests.hook.test_commit_hooks import commit, write
from tests.services.merging.test_merge import start_open

NO_TODO = {
    "repos": [
        {
            "repo": "local",
            "hooks": [
                {
                    "id": "no-todo",
                    "name": "no TODO",
                    "entry": "TODO",
                    "language": "pygrep",
                    "types": ["text"],
                }
            ],
        }
    ]
}


def framework_config(repo: Repo) -> None:
    (repo.path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(NO_TODO))
    repo.commit_all("pre-commit config")


def install_framework(repo: Repo) -> str:
    installed = pre_commit(repo.path, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return installed.stdout


def hooks_folder(repo: Repo) -> Path:
    return repo.path / ".git" / "hooks"


def ours(repo: Repo) -> list[str]:
    """Files of git parallel in the common hooks folder (the guard, or a hook it kept)."""
    return sorted(
        path.name
        for path in hooks_folder(repo).iterdir()
        if path.name.endswith(".parallel-saved")
        or b"git parallel: the base guard" in path.read_bytes()[:4096]
    )


def both_run_everywhere(repo: Repo, worktree: Path) -> None:
    """In the main worktree and in the task worktree, the guard or task check and the
    framework's hook both run on the same commit."""
    # Main worktree: the guard refuses a live task's path...
    repo.write("src/a.py", "a = 1\n")
    repo.git("add", "-A")
    refused = commit(repo.path)
    assert refused.returncode == 1
    assert "live task 65" in refused.stderr
    assert "no TODO" in refused.stdout + refused.stderr  # ...and the framework ran as well
    repo.git("rm", "-q", "--cached", "src/a.py")
    (repo.path / "src/a.py").unlink()  # the change belongs in the task's worktree
    # ...the framework refuses a TODO the guard has nothing against...
    repo.write("notes.txt", "TODO later\n")
    repo.git("add", "notes.txt")
    refused = commit(repo.path)
    assert refused.returncode == 1
    assert (
        "no TODO" in refused.stdout + refused.stderr and "Failed" in refused.stdout + refused.stderr
    )
    # ...and a commit both accept lands.
    repo.write("notes.txt", "done\n")
    repo.git("add", "notes.txt")
    passed = commit(repo.path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "no TODO" in passed.stdout + passed.stderr and "Passed" in passed.stdout + passed.stderr
    # Task worktree: the task's check refuses out of bounds; the framework still runs.
    write(worktree, "outside.txt")
    git(worktree, "add", "-A")
    refused = commit(worktree)
    assert refused.returncode == 1 and "outside.txt" in refused.stderr
    git(worktree, "rm", "-q", "--cached", "outside.txt")
    (worktree / "outside.txt").unlink()
    write(worktree, "src/a.py", "x = 1  # TODO\n")
    git(worktree, "add", "-A")
    refused = commit(worktree)
    assert refused.returncode == 1
    assert (
        "no TODO" in refused.stdout + refused.stderr and "Failed" in refused.stdout + refused.stderr
    )
    write(worktree, "src/a.py", "x = 1\n")
    git(worktree, "add", "-A")
    passed = commit(worktree)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout + passed.stderr


def nothing_left(repo: Repo) -> None:
    status = repo.cli("hooks", "status", "--json")
    assert status.code == 0, status.out
    data = status.json()
    assert data["base_guard"]["installed"] is False
    assert all(not entry["installed"] for entry in data["worktrees"])
    assert "base guard: none" in repo.cli("hooks", "status").out
    assert ours(repo) == []
    assert git(repo.path, "config", "--get", "core.hooksPath", check=False).strip() == ""


@pytest.mark.slow
def test_pre_commit_install_before_start(repo: Repo) -> None:
    framework_config(repo)
    install_framework(repo)
    framework_script = (hooks_folder(repo) / "pre-commit").read_bytes()
    worktree = start_open(repo, "65", ["src/**"])
    # The guard took pre-commit's migration slot; pre-commit's script stays as it was.
    assert ours(repo) == ["pre-commit.legacy", "pre-merge-commit", "pre-push"]
    assert (hooks_folder(repo) / "pre-commit").read_bytes() == framework_script
    assert git(repo.path, "config", "--get", "core.hooksPath", check=False).strip() == ""
    both_run_everywhere(repo, worktree)
    assert repo.cli("merge", "65").code == 0
    nothing_left(repo)
    assert (hooks_folder(repo) / "pre-commit").read_bytes() == framework_script
    assert not (hooks_folder(repo) / "pre-commit.legacy").exists()


@pytest.mark.slow
def test_pre_commit_install_after_start(repo: Repo) -> None:
    framework_config(repo)
    worktree = start_open(repo, "65", ["src/**"])
    assert "git parallel: the base guard" in (hooks_folder(repo) / "pre-commit").read_text()
    # pre-commit no longer meets a core.hooksPath: it installs, keeping the guard as legacy.
    said = install_framework(repo)
    assert "migration mode" in said
    assert ours(repo) == ["pre-commit.legacy", "pre-merge-commit", "pre-push"]
    both_run_everywhere(repo, worktree)
    assert repo.cli("merge", "65").code == 0
    nothing_left(repo)
    assert b"File generated by pre-commit" in (hooks_folder(repo) / "pre-commit").read_bytes()
    assert not (hooks_folder(repo) / "pre-commit.legacy").exists()
    # pre-commit's own uninstall still works afterwards, and leaves nothing.
    assert pre_commit(repo.path, "uninstall").returncode == 0
    assert not (hooks_folder(repo) / "pre-commit").exists()


@pytest.mark.slow
def test_a_hook_of_the_users_is_kept_run_and_put_back(repo: Repo) -> None:
    hook = hooks_folder(repo) / "pre-commit"
    hook.write_text('#!/bin/sh\necho "mine $(pwd)" >> "$HOME/mine.log"\n')
    hook.chmod(0o755)
    before = hook.read_bytes()
    worktree = start_open(repo, "65", ["src/**"])
    log = Path(os.environ["HOME"]) / "mine.log"
    log.unlink()  # the spec's commit, before start
    assert ours(repo) == ["pre-commit", "pre-commit.parallel-saved", "pre-merge-commit", "pre-push"]
    repo.write("top.txt")
    repo.git("add", "-A")
    assert commit(repo.path).returncode == 0
    write(worktree, "src/a.py")
    git(worktree, "add", "-A")
    assert commit(worktree).returncode == 0
    ran = log.read_text().splitlines()
    assert ran == [f"mine {repo.path}", f"mine {worktree}"]  # once per commit, both worktrees
    assert repo.cli("clean", "65", "--force").code == 0
    nothing_left(repo)
    assert hook.read_bytes() == before and os.access(hook, os.X_OK)


@pytest.mark.slow
def test_with_core_hooks_path_set_the_guard_is_per_worktree_and_says_so(repo: Repo) -> None:
    husky = repo.path / ".husky"
    husky.mkdir()
    (husky / "pre-commit").write_text('#!/bin/sh\necho husky >> "$HOME/husky.log"\n')
    (husky / "pre-commit").chmod(0o755)
    repo.git("config", "core.hooksPath", ".husky")
    repo.spec("65", ["src/**"])
    repo.commit_all("husky and spec")
    started = repo.cli("start", "65")
    assert started.code == 0, started.err
    assert "note: core.hooksPath is set (.husky)" in started.out
    log = Path(os.environ["HOME"]) / "husky.log"
    log.unlink()  # the spec's commit, before start
    assert ours(repo) == []  # git would never run the common folder
    repo.write("src/a.py")
    repo.git("add", "-A")
    refused = commit(repo.path)
    assert refused.returncode == 1 and "live task 65" in refused.stderr
    repo.git("rm", "-q", "--cached", "src/a.py")
    repo.write("top.txt")
    repo.git("add", "top.txt")
    assert commit(repo.path).returncode == 0
    assert log.read_text() == "husky\n"  # the refused commit stopped before husky
    assert repo.cli("clean", "65", "--force").code == 0
    status = repo.cli("hooks", "status", "--json").json()
    assert all(not entry["installed"] for entry in status["worktrees"])
    assert status["base_guard"]["installed"] is False
    assert repo.git("config", "--get", "core.hooksPath").strip() == ".husky"
    assert repo.git("config", "--get-all", "core.hooksPath") == ".husky\n"  # ours is gone


@pytest.mark.slow
def test_a_guard_from_an_older_start_moves_to_the_common_folder(repo: Repo) -> None:
    """Before issue 11 the guard was the main worktree's own core.hooksPath; the next start
    puts it in the common folder, so `pre-commit install` stops refusing."""
    older = "from gitwt.services.hooks import installer; installer.install('.', 'guard')"
    subprocess.run([sys.executable, "-c", older], cwd=repo.path, check=True)
    assert "parallel-hooks" in repo.git("config", "--get", "core.hooksPath")
    start_open(repo, "65", ["src/**"])
    assert repo.git("config", "--get", "core.hooksPath", check=False).strip() == ""
    assert "git parallel: the base guard" in (hooks_folder(repo) / "pre-commit").read_text()
    repo.write("src/a.py")
    repo.git("add", "-A")
    assert "live task 65" in commit(repo.path).stderr
