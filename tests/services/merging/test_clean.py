"""`clean` never loses work: each dirty case is refused; --force keeps it in a salvage ref."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Repo, git
from tests.services.tasks.test_supervisor import UNGATED, record, status_of, stop, wait_until


def open_task(repo: Repo, files: list[str] | None = None) -> Path:
    repo.spec("1", files or ["src/", ".gitignore"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("spec")
    assert repo.api.start(["1"]).ok
    return repo.path.parent / "repo-wt1"


def clean_one(repo: Repo, force: bool = False) -> tuple[bool, dict]:
    """`clean 1`, in-process: whether it exits 0, and task 1's entry of its JSON report (what
    the CLI prints as `not cleaning 1: <refused>` and `hint: <hint>`)."""
    result = repo.api.clean(["1"], force=force)
    [item] = result.to_json()["tasks"]
    assert item["id"] == "1"
    return result.ok, item


def commit_in(worktree: Path, name: str = "src/a.txt", text: str = "a\n") -> None:
    (worktree / name).parent.mkdir(parents=True, exist_ok=True)
    (worktree / name).write_text(text)
    git(worktree, "add", name)
    git(worktree, "commit", "-q", "-m", f"add {name}")


def make_modified(worktree: Path) -> None:
    commit_in(worktree)
    git(worktree.parent / "repo", "merge", "-q", "parallel/1")
    (worktree / "src/a.txt").write_text("changed\n")


def make_staged(worktree: Path) -> None:
    (worktree / "src").mkdir()
    (worktree / "src/new.txt").write_text("new\n")
    git(worktree, "add", "src/new.txt")


def make_untracked(worktree: Path) -> None:
    (worktree / "src").mkdir()
    (worktree / "src/scratch.txt").write_text("notes\n")


def make_ignored(worktree: Path) -> None:
    commit_in(worktree, ".gitignore", "*.log\n")
    git(worktree.parent / "repo", "merge", "-q", "parallel/1")
    (worktree / "debug.log").write_text("precious\n")


def make_unmerged_commit(worktree: Path) -> None:
    commit_in(worktree)


def make_merge_in_progress(worktree: Path) -> None:
    commit_in(worktree, "src/a.txt", "ours\n")
    main = worktree.parent / "repo"
    git(main, "checkout", "-q", "-b", "side", "main~0")
    (main / "src").mkdir(exist_ok=True)
    (main / "src/a.txt").write_text("theirs\n")
    git(main, "add", "src/a.txt")
    git(main, "commit", "-q", "-m", "theirs")
    git(main, "checkout", "-q", "main")
    git(worktree, "merge", "side", check=False)


DIRTY: dict[str, tuple[Callable[[Path], None], str]] = {
    "modified": (make_modified, "uncommitted changes (src/a.txt)"),
    "staged": (make_staged, "uncommitted changes (src/new.txt)"),
    "untracked": (make_untracked, "untracked files (src/scratch.txt)"),
    "ignored": (make_ignored, "ignored files (debug.log)"),
    "unmerged commit": (make_unmerged_commit, "1 commit(s) not merged into main"),
    "merge in progress": (make_merge_in_progress, "a merge is in progress"),
}


@pytest.mark.parametrize("case", sorted(DIRTY))
@pytest.mark.slow
def test_clean_refuses_each_dirty_case(repo: Repo, case: str) -> None:
    worktree = open_task(repo)
    make_dirty, message = DIRTY[case]
    make_dirty(worktree)
    before = sorted(path.name for path in worktree.rglob("*") if ".git" not in path.parts)
    ok, item = clean_one(repo)
    assert not ok
    assert message in item["refused"]
    assert item["hint"] and "--force" in item["refused"] + item["hint"]
    assert worktree.is_dir()
    assert sorted(path.name for path in worktree.rglob("*") if ".git" not in path.parts) == before
    assert repo.git("rev-parse", "--verify", "-q", "parallel/1", check=False).strip()
    assert status_of(repo, "1")["state"] == "open"


def test_rebase_in_progress_is_refused(repo: Repo) -> None:
    worktree = open_task(repo)
    commit_in(worktree, "src/a.txt", "one\n")
    commit_in(worktree, "src/a.txt", "two\n")
    repo.git("merge", "-q", "parallel/1")
    git(worktree, "-c", "sequence.editor=sed -i s/^pick/edit/", "rebase", "-q", "-i", "HEAD~2")
    ok, item = clean_one(repo)
    assert not ok
    assert "a rebase is in progress" in item["refused"]
    assert (worktree / ".git").exists()


@pytest.mark.slow
def test_running_task_is_refused_even_with_force(repo: Repo) -> None:
    repo.spec("1", ["src/"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("spec")
    assert repo.api.start(["1"], run="sleep 600").ok
    ok, item = clean_one(repo, force=True)
    assert not ok
    assert "task 1 is running" in item["refused"]
    assert "git parallel stop 1" in item["refused"] + item["hint"]
    assert (repo.path.parent / "repo-wt1").is_dir()
    assert [stopped.after for stopped in stop(repo, ["1"], timeout=2)] == ["stopped"]


@pytest.mark.slow
def test_force_keeps_everything_in_a_salvage_ref(repo: Repo) -> None:
    worktree = open_task(repo)
    commit_in(worktree, "src/committed.txt", "committed\n")
    (worktree / "src/untracked.txt").write_text("untracked\n")
    (worktree / "src/committed.txt").write_text("edited\n")
    (worktree / ".gitignore").write_text("*.log\n")
    (worktree / "build.log").write_text("ignored\n")
    ok, item = clean_one(repo, force=True)
    assert ok, item
    assert item["removal"]["salvage_ref"].startswith("refs/parallel/salvage/1/")
    assert not worktree.exists()
    assert repo.git("branch", "--list", "parallel/1") == ""
    (ref,) = repo.git("for-each-ref", "--format=%(refname)", "refs/parallel/salvage/1/").split()
    assert repo.git("show", f"{ref}:src/untracked.txt") == "untracked\n"
    assert repo.git("show", f"{ref}:src/committed.txt") == "edited\n"
    assert repo.git("show", f"{ref}:build.log") == "ignored\n"
    # The unmerged commit is still reachable from the salvage ref.
    assert repo.git("log", "--format=%s", ref).splitlines()[1] == "add src/committed.txt"
    assert status_of(repo, "1")["state"] == "cleaned"


def test_the_salvage_keeps_bytes_as_they_are_on_disk(repo: Repo) -> None:
    """A clean filter and line-ending conversion rewrite what `git add` stores; the salvage
    holds the files as the user left them, byte for byte (DESIGN §7)."""
    repo.write(".gitattributes", "*.txt filter=shout\n*.crlf text eol=lf\n")
    git(repo.path, "config", "filter.shout.clean", "tr a-z A-Z")
    worktree = open_task(repo)
    (worktree / "src").mkdir(exist_ok=True)
    (worktree / "src/note.txt").write_bytes(b"quiet words\n")
    (worktree / "src/dos.crlf").write_bytes(b"one\r\ntwo\r\n")
    ok, item = clean_one(repo, force=True)
    assert ok, item
    (ref,) = repo.git("for-each-ref", "--format=%(refname)", "refs/parallel/salvage/1/").split()
    shown = [
        subprocess.run(
            ["git", "cat-file", "blob", f"{ref}:src/{name}"], cwd=repo.path, capture_output=True
        ).stdout
        for name in ("note.txt", "dos.crlf")
    ]
    assert shown == [b"quiet words\n", b"one\r\ntwo\r\n"]


@pytest.mark.parametrize(
    "declared", [["src/app/"], ["src/app/", "tool.cfg"]], ids=["cone", "no-cone"]
)
def test_a_sparse_worktree_is_salvaged_whole_and_what_it_never_checked_out_stays(
    repo: Repo, declared: list[str]
) -> None:
    """In a sparse worktree, git's add refuses paths outside the sparse patterns, and the files
    never checked out are absent: --force must still keep every edit, inside the checkout or
    written outside it by an agent, and keep the files it never had as HEAD has them."""
    for path, text in [("src/app/a.txt", "a\n"), ("src/app/gone.txt", "gone\n")]:
        repo.write(path, text)
    repo.write("src/other/o.txt", "o\n")
    repo.write("src/third/t.txt", "t\n")
    repo.spec("1", declared)
    repo.commit_all("files")
    assert repo.api.start(["1"], sparse=True).ok
    worktree = repo.path.parent / "repo-wt1"
    assert not (worktree / "src/third").exists()
    (worktree / "src/app/a.txt").write_text("changed\n")
    (worktree / "src/app/gone.txt").unlink()
    (worktree / "src/other").mkdir(exist_ok=True)
    (worktree / "src/other/o.txt").write_text("written outside the checkout\n")
    (worktree / "src/other/new.txt").write_text("new outside\n")
    ok, item = clean_one(repo)
    assert not ok and "src/other/new.txt" in item["refused"]
    assert worktree.exists()
    ok, item = clean_one(repo, force=True)
    assert ok, item
    assert not worktree.exists()
    ref = item["removal"]["salvage_ref"]
    tree = repo.git("ls-tree", "-r", "--name-only", ref).split()
    assert "src/app/gone.txt" not in tree  # deleted in the worktree: deleted in the salvage
    assert {
        path: repo.git("show", f"{ref}:{path}") for path in tree if path.startswith("src/")
    } == {
        "src/app/a.txt": "changed\n",
        "src/other/o.txt": "written outside the checkout\n",
        "src/other/new.txt": "new outside\n",
        "src/third/t.txt": "t\n",  # never checked out: as HEAD has it
    }


@pytest.mark.slow
def test_clean_of_a_merged_task_removes_worktree_and_branch(repo: Repo) -> None:
    worktree = open_task(repo)
    commit_in(worktree)
    repo.git("merge", "-q", "parallel/1")
    ok, item = clean_one(repo)
    assert ok, item
    assert item["removal"]["worktree_removed"] and item["removal"]["branch_deleted"]
    assert not worktree.exists()
    assert repo.git("branch", "--list", "parallel/1") == ""
    assert repo.git("for-each-ref", "refs/parallel/") == ""
    assert record(repo, "1")["state"] == "cleaned"
    assert repo.api.status().to_json()["tasks"] == []


@pytest.mark.slow
def test_clean_without_ids_takes_finished_tasks_only(repo: Repo) -> None:
    for task_id in ("1", "2", "3"):
        repo.spec(task_id, [f"f{task_id}.txt"])
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")
    assert repo.api.start(["1", "2"], run="true").ok
    assert repo.api.start(["3"]).ok
    wait_until(lambda: {status_of(repo, key)["state"] for key in "12"} == {"succeeded"})
    result = repo.api.clean()
    assert result.ok, result.to_json()
    cleaned = [item["id"] for item in result.to_json()["tasks"] if item["cleaned"]]
    assert sorted(cleaned) == ["1", "2"]
    assert status_of(repo, "3")["state"] == "open"
    assert (repo.path.parent / "repo-wt3").is_dir()


def test_a_worktree_deleted_by_hand_is_pruned(repo: Repo) -> None:
    worktree = open_task(repo)
    shutil.rmtree(worktree)
    ok, item = clean_one(repo)
    assert ok, item
    assert str(worktree) not in repo.git("worktree", "list")
