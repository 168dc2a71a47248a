"""Hostile agents (issue 9): each attack through the real CLI and real git, and what stops it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Repo, git


def start_open(repo: Repo, task_id: str, files: list[str]) -> Path:
    """Declare a task, commit its spec on main, start it without a command; its worktree."""
    repo.spec(task_id, files)
    repo.commit_all(f"spec {task_id}")
    result = repo.cli("start", task_id)
    assert result.code == 0, result.err
    record = next(t for t in repo.cli("status", "--json").json()["tasks"] if t["id"] == task_id)
    return Path(record["worktree"])


# --- replace refs and grafts -----------------------------------------------------------------


def forge_base(worktree: Path, relative: str, text: str) -> tuple[str, str]:
    """`git replace <base> <fake>`, fake's tree holding an out-of-bounds change; (base, fake)."""
    base = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / relative).write_text(text)
    git(worktree, "add", relative)
    tree = git(worktree, "write-tree").strip()
    parents = git(worktree, "rev-list", "--parents", "-n", "1", base).split()[1:]
    args = [arg for parent in parents for arg in ("-p", parent)]
    fake = git(worktree, "commit-tree", tree, *args, "-m", "looks like base").strip()
    git(worktree, "reset", "-q", "--hard", base)
    git(worktree, "replace", base, fake)
    git(worktree, "reset", "-q", "--hard", "HEAD")  # the index now holds the fake tree
    return base, fake


def test_a_replace_ref_on_base_cannot_smuggle_a_change_past_merge(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    base, _fake = forge_base(worktree, "src/b.py", "b = 'not yours'\n")
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "in bounds, it seems")
    # Through the replaced objects the task changes only its own file:
    assert git(worktree, "diff", "--name-only", base, "HEAD") == "src/a.py\n"
    before = repo.git("rev-parse", "main").strip()

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected"
    assert "src/b.py" in task["paths"]
    replaced = [v for v in task["violations"] if v["kind"] == "replace-ref"]
    assert [v["path"] for v in replaced] == [f"refs/replace/{base}"]
    assert repo.git("rev-parse", "main").strip() == before
    assert repo.git("--no-replace-objects", "show", "main:src/b.py") == "b = 1\n"
    text = repo.cli("merge", "1")
    assert f"refs/replace/{base}" in text.out and "git replace -d" in text.out


def test_the_commit_hook_sees_through_a_replaced_head(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    forge_base(worktree, "src/b.py", "b = 'not yours'\n")
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "add", "src/a.py")

    refused = git(worktree, "commit", "-q", "-m", "in bounds, it seems", check=False)

    assert git(worktree, "rev-list", "--count", "HEAD", "^main") == "0\n", refused


def test_a_graft_cannot_hide_commits_from_the_merge_audit(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    base = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / "src/b.py").write_text("b = 'not yours'\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "out of bounds")
    smuggled = git(worktree, "rev-parse", "HEAD").strip()
    (worktree / "src/a.py").write_text("a = 2\n")
    git(worktree, "commit", "-q", "--no-verify", "-am", "in bounds")
    tip = git(worktree, "rev-parse", "HEAD").strip()
    # The graft makes the tip's parent the base: the smuggling commit vanishes from history.
    grafts = Path(git(worktree, "rev-parse", "--git-common-dir").strip()) / "info" / "grafts"
    if not grafts.is_absolute():
        grafts = worktree / grafts
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{tip} {base}\n")
    assert smuggled not in git(worktree, "rev-list", "HEAD")
    before = repo.git("rev-parse", "main").strip()

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.err + result.out
    task = result.json()["results"][0]
    assert task["result"] == "rejected"
    assert smuggled in {v["commit"] for v in task["violations"]}
    assert repo.git("rev-parse", "main").strip() == before
