"""Removed worktrees go to the trash at once and their files are deleted in the background."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bench.git_processes import git_processes, traced_environment
from gitwt.errors import GitParallelError
from gitwt.services.merging import trash
from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open, work
from tests.services.tasks.test_supervisor import wait_until


def common_dir(repo: Repo) -> str:
    return str(repo.path / ".git")


def registered(repo: Repo) -> str:
    return repo.git("worktree", "list", "--porcelain")


def test_merge_leaves_no_removed_worktree_registered_and_empties_the_trash(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    first = start_open(repo, "1", ["src/a.py"])
    second = start_open(repo, "2", ["src/b.py"])
    work(first, "src/a.py", "a = 2\n")
    work(second, "src/b.py", "b = 2\n")
    log = tmp_path / "trace"
    result = repo.cli("merge", "1", "2", "--json", env=traced_environment(log, {}))
    assert result.code == 0, result.err
    # Right after merge returns: no folder, nothing registered, nothing prunable.
    listing = registered(repo)
    assert not first.exists() and not second.exists()
    assert str(first) not in listing and str(second) not in listing
    assert "prunable" not in listing
    counts = git_processes(log)
    assert counts["worktree remove"] == 0  # the files are not deleted while the user waits
    # Per removed task: one each of unlock, prune, rev-list (branch and HEAD), ls-files
    # (submodules?) and one rev-parse for base, branch, HEAD and the git dir.
    assert [counts[kind] for kind in ("worktree unlock", "worktree prune", "rev-list")] == [2] * 3
    assert counts["ls-files"] == 2
    wait_until(lambda: not trash.leftovers(common_dir(repo)))
    assert (repo.path / "src/a.py").read_text() == "a = 2\n"


def test_an_interrupted_deletion_and_an_unpruned_move_are_finished_by_the_next_command(
    repo: Repo,
) -> None:
    # What a crash leaves: a half-deleted folder in the trash, and a worktree moved there
    # whose registration git still has (the crash came between the move and the prune).
    common = common_dir(repo)
    half_deleted = Path(trash.trash_dir(common)) / "repo-wt9-0123456789ab"
    (half_deleted / "src/deep").mkdir(parents=True)
    (half_deleted / "src/deep/left.txt").write_text("left\n")
    moved = repo.path.parent / "repo-moved"
    git(repo.path, "worktree", "add", "-q", "--detach", str(moved))
    os.rename(moved, Path(trash.trash_dir(common)) / "repo-moved-ba9876543210")
    assert "prunable" in registered(repo)
    result = repo.api.clean()
    assert result.ok, result.to_json()
    assert str(moved) not in registered(repo)
    wait_until(lambda: not trash.leftovers(common))


def test_a_worktree_with_a_checked_out_submodule_is_never_moved_to_the_trash(repo: Repo) -> None:
    # git refuses to remove a worktree holding a repository it tracks as a gitlink (its commits
    # would go with it); the trash must not get around that.
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/"])
    nested = worktree / "src" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q", "-b", "main")
    (nested / "kept.txt").write_text("only in the nested repository\n")
    git(nested, "add", "kept.txt")
    git(nested, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "nested")
    git(worktree, "add", "src/lib")
    git(worktree, "commit", "-q", "-m", "the nested repository as a gitlink")
    assert repo.api.merge(["1"], keep=True).ok
    with contextlib.suppress(GitParallelError):  # whatever clean answers (git refuses, today)
        repo.api.clean(["1"])
    assert (nested / ".git").is_dir() and (nested / "kept.txt").exists()
    assert not trash.leftovers(common_dir(repo))
