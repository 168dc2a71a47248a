"""`start` of several tasks checks their worktrees out side by side: the worktrees must be what
one `git worktree add` each makes (files, index, hooks), and a failed checkout leaves nothing."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import Repo, git
from tests.services.tasks.test_worktrees import specs

NULL = "0" * 40


def three_tasks(repo: Repo) -> str:
    for task in ("1", "2", "3"):
        repo.write(f"pkg{task}/module.py", f"# {task}\n")
    specs(repo, {task: [f"pkg{task}/"] for task in ("1", "2", "3")})
    return repo.git("rev-parse", "HEAD").strip()


def test_each_new_worktree_is_complete_clean_and_hooked(repo: Repo) -> None:
    three_tasks(repo)
    assert repo.api.start(["1", "2", "3"]).ok
    for task in ("1", "2", "3"):
        worktree = repo.path.parent / f"repo-wt{task}"
        assert sorted(path.name for path in worktree.glob("pkg*")) == ["pkg1", "pkg2", "pkg3"]
        assert git(worktree, "status", "--porcelain", "--untracked-files=all") == ""
        assert git(worktree, "ls-files").splitlines() == git(repo.path, "ls-files").splitlines()
        hooks = git(worktree, "config", "--worktree", "core.hooksPath").strip()
        assert Path(hooks, "pre-commit").is_file()


def test_a_post_checkout_hook_runs_once_in_each_new_worktree(repo: Repo, tmp_path: Path) -> None:
    """As `git worktree add` runs it: in the new worktree, with (null, base, 1)."""
    base = three_tasks(repo)
    log = tmp_path / "post-checkout.log"
    hook = repo.path / ".git" / "hooks" / "post-checkout"
    hook.write_text(f'#!/bin/sh\necho "$(pwd) $1 $2 $3" >> "{log}"\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    assert repo.api.start(["1", "2", "3"]).ok
    lines = sorted(log.read_text().splitlines())
    expected = [f"{repo.path.parent / f'repo-wt{task}'} {NULL} {base} 1" for task in "123"]
    assert lines == expected


def test_a_checkout_that_fails_leaves_no_branch_and_no_worktree(repo: Repo) -> None:
    """A required smudge filter that fails: no task gets a worktree, none keeps its branch."""
    repo.write(".gitattributes", "pkg2/* filter=broken\n")
    three_tasks(repo)
    repo.git("config", "filter.broken.smudge", "false")
    repo.git("config", "filter.broken.required", "true")
    result = repo.api.start(["1", "2", "3"])
    assert not result.ok
    assert [(task["id"], task["state"]) for task in result.tasks] == [
        ("1", "failed"),
        ("2", "failed"),
        ("3", "failed"),
    ]
    assert any("smudge filter broken failed" in (task["error"] or "") for task in result.tasks)
    # `git worktree add` alone, failing in its own checkout, left its branch behind.
    assert repo.git("branch", "--list", "parallel/*") == ""
    assert repo.git("worktree", "list").count("\n") == 1, repo.git("worktree", "list")
    assert not any(repo.path.parent.glob("repo-wt*"))
