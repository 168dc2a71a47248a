"""`merge` exits 0 only when base contains the task, and says merged once base moved (issue 20,
class 3; DESIGN §7): a merge run before the agent committed, a branch that moved after its merge,
a clean-up that fails after the publish."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open


def contains(repo: Repo, commit: str) -> bool:
    ancestor = ["git", "merge-base", "--is-ancestor", commit, "main"]
    return subprocess.run(ancestor, cwd=repo.path, check=False).returncode == 0


def commit_in(worktree: Path, relative: str, text: str) -> str:
    (worktree / relative).parent.mkdir(parents=True, exist_ok=True)
    (worktree / relative).write_text(text)
    git(worktree, "add", relative)
    git(worktree, "commit", "-q", "-m", f"work on {relative}")
    return git(worktree, "rev-parse", "HEAD").strip()


def state_of(repo: Repo, task_id: str) -> str:
    return next(t for t in repo.cli("status", "--json").json()["tasks"] if t["id"] == task_id)[
        "state"
    ]


def test_a_merge_before_the_agent_committed_does_not_mark_the_task_merged(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    (worktree / "src").mkdir()
    (worktree / "src/a.py").write_text("work in progress\n")
    base = repo.git("rev-parse", "main").strip()

    early = repo.cli("merge", "1")

    assert early.code == 1, early.out + early.err
    assert "nothing" in early.out and "commit" in early.out
    assert state_of(repo, "1") != "merged"
    assert repo.git("rev-parse", "main").strip() == base
    assert (worktree / "src/a.py").read_text() == "work in progress\n"
    tip = commit_in(worktree, "src/a.py", "done\n")
    later = repo.cli("merge", "1")
    assert later.code == 0, later.out + later.err
    assert contains(repo, tip)


def test_a_branch_that_moved_after_its_merge_is_merged_again(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    commit_in(worktree, "src/a.py", "one\n")
    assert repo.cli("merge", "1", "--keep").code == 0
    tip = commit_in(worktree, "src/b.py", "after the merge\n")

    again = repo.cli("merge", "1", "--keep")

    assert again.code == 0, again.out + again.err
    assert contains(repo, tip), again.out
    assert repo.git("show", "main:src/b.py") == "after the merge\n"


def test_a_clean_up_that_fails_after_the_publish_still_reports_merged(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    tip = commit_in(worktree, "src/a.py", "one\n")
    (worktree / ".git").write_text("gitdir: /nonexistent/broken\n")  # git cannot look inside

    result = repo.cli("merge", "1", "--json")

    assert result.code == 0, result.out + result.err
    [task] = result.json()["results"]
    assert task["result"] == "merged"
    assert contains(repo, tip)
    text = repo.cli("merge", "1")
    assert text.code == 0, text.out + text.err
    lines = text.out.splitlines()
    assert any(line.lstrip().startswith("clean-up failed") for line in lines), text.out
