"""`git parallel merge` end to end: real repositories, real worktrees, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import git as gitpython
import pytest

from tests.conftest import Repo, api_error, git


def start_open(repo: Repo, task_id: str, files: list[str], title: str | None = None) -> Path:
    """Declare a task, commit the spec on main, start it without a command; its worktree."""
    repo.spec(task_id, files, title=title)
    repo.commit_all(f"spec {task_id}")
    result = repo.api.start([task_id])
    assert result.ok, result.to_json()
    record = next(t for t in repo.api.status().to_json()["tasks"] if t["id"] == task_id)
    return Path(record["worktree"])


def work(worktree: Path, relative: str, text: str, message: str = "work") -> str:
    target = worktree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", message)
    return git(worktree, "rev-parse", "HEAD").strip()


def head(repo: Repo, ref: str = "main") -> str:
    return repo.git("rev-parse", ref).strip()


def branches(repo: Repo) -> list[str]:
    return repo.git("branch", "--format=%(refname:short)").split()


def state_of(repo: Repo, task_id: str) -> str:
    return next(t["state"] for t in repo.api.status().to_json()["tasks"] if t["id"] == task_id)


@pytest.fixture
def two_tasks(repo: Repo) -> tuple[Repo, Path, Path]:
    repo.write("src/a.py", "a = 1\n")
    repo.write("src/b.py", "b = 1\n")
    repo.commit_all("sources")
    first = start_open(repo, "1", ["src/a.py"], title="First")
    second = start_open(repo, "2", ["src/b.py"], title="Second")
    work(first, "src/a.py", "a = 2\n")
    work(second, "src/b.py", "b = 2\n")
    return repo, first, second


@pytest.mark.slow
def test_two_clean_tasks_merge_and_clean_up(two_tasks) -> None:
    repo, first, second = two_tasks
    tips = [head(repo, "parallel/1"), head(repo, "parallel/2")]
    result = repo.api.merge(["1", "2"])
    data = result.to_json()
    assert result.ok, data
    assert data["schema"] == "git-parallel/merge/1"
    # Read by GitPython, not by our git layer: two chained two-parent merges onto the old base.
    published = gitpython.Repo(repo.path).commit("main")
    assert [p.hexsha for p in published.parents] == [data["results"][0]["commit"], tips[1]]
    assert [p.hexsha for p in published.parents[0].parents] == [data["old"], tips[0]]
    assert (published.tree / "src" / "a.py").data_stream.read() == b"a = 2\n"
    assert [(r["id"], r["result"]) for r in data["results"]] == [("1", "merged"), ("2", "merged")]
    assert data["new"] == head(repo) != data["old"]
    assert (repo.path / "src/a.py").read_text() == "a = 2\n"  # the checkout of main is current
    assert (repo.path / "src/b.py").read_text() == "b = 2\n"
    assert repo.git("status", "--porcelain") == ""
    assert (
        repo.git("log", "-1", "--format=%s", data["results"][1]["commit"])
        == "Merge task 2: Second\n"
    )
    assert not first.exists() and not second.exists()
    assert "parallel/1" not in branches(repo) and "parallel/2" not in branches(repo)
    assert data["results"][0]["lines"] == {"src/a.py": {"added": 1, "removed": 1, "binary": False}}


@pytest.mark.slow
def test_conflict_leaves_everything_and_the_other_task_merges(two_tasks) -> None:
    repo, first, _second = two_tasks
    repo.write("src/a.py", "a = 'changed on main'\n")
    # The main-worktree guard refuses this commit; someone bypasses it (or pushes from elsewhere).
    repo.git("commit", "-q", "--no-verify", "-am", "main moves on")
    before = head(repo)
    task_head = head(repo, "parallel/1")
    result = repo.api.merge(["1", "2"])
    assert not result.ok
    results = {r["id"]: r for r in result.to_json()["results"]}
    assert results["1"]["result"] == "conflicted"
    assert results["1"]["paths"] == ["src/a.py"]
    assert f"cd {first}" in results["1"]["reason"]
    assert results["2"]["result"] == "merged"
    assert repo.git("rev-parse", "main^1").strip() == before  # only task 2 landed on top
    assert head(repo, "parallel/1") == task_head
    assert (first / "src/a.py").read_text() == "a = 2\n"
    assert state_of(repo, "1") == "conflicted"


@pytest.mark.parametrize("bypass", ["--no-verify", "hooksPath", "amend"])
@pytest.mark.slow
def test_out_of_bounds_commits_are_rejected(repo: Repo, bypass: str) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    work(worktree, "src/a.py", "a = 2\n")
    before = head(repo)
    stray = worktree / "stray.txt"
    stray.write_text("outside\n")
    git(worktree, "add", "stray.txt")
    if bypass == "--no-verify":
        git(worktree, "commit", "-q", "--no-verify", "-m", "sneak")
    elif bypass == "hooksPath":
        git(worktree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "sneak")
    else:
        git(worktree, "commit", "-q", "--amend", "--no-verify", "--no-edit")
    result = repo.api.merge(["1"])
    assert not result.ok
    [task] = result.to_json()["results"]
    assert task["result"] == "rejected"
    assert task["paths"] == ["stray.txt"]
    assert task["violations"][0]["commit"] == head(repo, "parallel/1")
    assert head(repo) == before
    assert worktree.exists() and "parallel/1" in branches(repo)
    assert state_of(repo, "1") == "rejected"


@pytest.mark.slow
def test_failing_tests_leave_base_and_passing_tests_publish_the_tested_commit(
    two_tasks, tmp_path: Path
) -> None:
    repo, _first, _second = two_tasks
    before = head(repo)
    failed = repo.api.merge(["1"], test="sh -c 'exit 3'")
    assert not failed.ok
    [task] = failed.to_json()["results"]
    assert task["result"] == "failed"
    assert "3" in task["reason"] and os.path.exists(task["log"])
    assert head(repo) == before
    assert state_of(repo, "1") == "failed"

    tested = tmp_path / "tested"
    script = f"git rev-parse HEAD > {tested} && test -f src/a.py"
    passed = repo.api.merge(["1"], test=f"sh -c '{script}'")
    assert passed.ok, passed.to_json()
    assert tested.read_text().strip() == head(repo) == passed.to_json()["new"]


@pytest.mark.slow
def test_dirty_checkout_of_base_refuses_before_anything(two_tasks) -> None:
    repo, first, _ = two_tasks
    (repo.path / "README.md").write_text("uncommitted\n")
    before = head(repo)
    refused = api_error(repo.api.merge, ["1", "2"])
    assert refused.exit_code == 1
    assert "uncommitted changes" in refused.message and refused.hint
    assert head(repo) == before
    assert first.exists()
    assert (repo.path / "README.md").read_text() == "uncommitted\n"
    assert state_of(repo, "1") == "open"


@pytest.mark.slow
def test_dry_run_changes_nothing(two_tasks) -> None:
    repo, first, _ = two_tasks
    before_refs = repo.git("for-each-ref")
    result = repo.api.merge(["1", "2"], dry_run=True)
    assert result.ok, result.to_json()
    assert [r["result"] for r in result.to_json()["results"]] == ["clean", "clean"]
    assert repo.git("for-each-ref") == before_refs
    assert first.exists()
    assert state_of(repo, "1") == "open"


@pytest.mark.parametrize(
    "point", ["merge:candidate", "merge:before-publish", "merge:after-publish", "merge:recorded"]
)
@pytest.mark.slow
def test_crash_at_any_step_leaves_old_or_new_and_a_rerun_finishes(two_tasks, point: str) -> None:
    repo, first, _ = two_tasks
    before = head(repo)
    crashed = repo.cli("merge", "1", env={"GIT_PARALLEL_FAILPOINT": point})
    assert crashed.code == -9
    after_crash = head(repo)
    if point in ("merge:candidate", "merge:before-publish"):
        assert after_crash == before
    else:
        assert repo.git("rev-parse", f"{after_crash}^1").strip() == before
        assert repo.git("status", "--porcelain") == ""
    repo.git("fsck", "--no-progress")
    rerun = repo.api.merge(["1"])
    assert rerun.ok, rerun.to_json()
    assert (repo.path / "src/a.py").read_text() == "a = 2\n"
    assert state_of(repo, "1") == "merged"
    assert not first.exists()
    assert repo.git("log", "--merges", "--format=%s").count("Merge task 1") == 1


@pytest.mark.slow
def test_base_moving_during_the_test_gate_restarts_and_lands(two_tasks, tmp_path: Path) -> None:
    repo, _first, _ = two_tasks
    marker = tmp_path / "moved-once"
    # The first test run commits to main behind the merge's back; the second run just passes.
    script = (
        f"test -e {marker} || (touch {marker} && cd {repo.path} && echo late > late.txt && "
        "git add late.txt && git commit -q -m 'concurrent commit')"
    )
    result = repo.api.merge(["1"], test=f'sh -c "{script}"')
    assert result.ok, result.to_json()
    assert repo.git("log", "-1", "--format=%s", "main^1") == "concurrent commit\n"
    assert (repo.path / "late.txt").exists() and (repo.path / "src/a.py").read_text() == "a = 2\n"
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.slow
def test_base_checked_out_nowhere_only_the_ref_moves(two_tasks) -> None:
    repo, _first, _ = two_tasks
    repo.git("checkout", "-q", "--detach")
    result = repo.api.merge(["1"])
    assert result.ok, result.to_json()
    assert head(repo) == result.to_json()["new"]
    assert (repo.path / "src/a.py").read_text() == "a = 1\n"  # the detached checkout is untouched


def test_unknown_task_is_an_input_error(repo: Repo) -> None:
    error = api_error(repo.api.merge, ["42"])
    assert error.exit_code == 2
    assert "task 42 has not been started" in error.message


@pytest.mark.parametrize(
    "claims", [["src/c.py"], [{"paths": "src/c.py"}], [{"paths": [7]}], {"paths": ["src/c.py"]}]
)
@pytest.mark.slow
def test_a_malformed_claim_is_an_error_naming_the_task(two_tasks, claims: object) -> None:
    """Issue 9 item 8: a claim that is not {"paths": [path, ...]} crashed merge."""
    repo, _, _ = two_tasks
    record_file = Path(repo.git("rev-parse", "--git-common-dir").strip())
    record_file = (repo.path / record_file / "parallel" / "tasks" / "2.json").resolve()
    record = json.loads(record_file.read_text())
    record["claims"] = claims
    record_file.write_text(json.dumps(record))
    before = head(repo)
    result = repo.cli("merge", "1", "2")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("git parallel: error: task 2:") and "claim" in lines[0]
    assert lines[1].startswith("hint: ") and "2.json" in lines[1]
    assert head(repo) == before  # nothing merged, not even the good task
    assert state_of(repo, "1") == "open"


def test_line_report_counts_renames_and_binary_files(repo: Repo) -> None:
    repo.write("data/old.txt", "one\ntwo\n")
    repo.commit_all("data")
    worktree = start_open(repo, "1", ["data/"])
    git(worktree, "mv", "data/old.txt", "data/new.txt")
    (worktree / "data/blob.bin").write_bytes(bytes(range(256)))
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "rename and binary")
    result = repo.api.merge(["1"])
    assert result.ok, result.to_json()
    lines = result.to_json()["results"][0]["lines"]
    assert lines["data/new.txt"]["renamed_from"] == "data/old.txt"
    assert lines["data/blob.bin"]["binary"] is True


@pytest.mark.slow
def test_merge_without_ids_takes_succeeded_tasks_only(two_tasks) -> None:
    repo, _first, _ = two_tasks
    result = repo.api.merge()
    assert result.ok
    assert result.to_json()["results"] == []  # nothing to merge: both are open, none succeeded
    assert subprocess.run(["git", "-C", str(repo.path), "diff", "--quiet"]).returncode == 0


def wait_for_state(repo: Repo, task_id: str, wanted: str, timeout: float = 60) -> str:
    import time

    deadline = time.monotonic() + timeout
    current = ""
    while time.monotonic() < deadline:
        current = state_of(repo, task_id)
        if current == wanted:
            return current
        time.sleep(0.2)
    return current


@pytest.mark.slow
def test_auto_merge_lands_a_task_when_its_command_succeeds(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.write(".gitparallel.toml", "cpu_max = 100\nmemory_max = 100\n")
    repo.spec("1", ["src/a.py"], title="Auto")
    repo.commit_all("spec")
    command = "sh -c 'echo \"a = 2\" > src/a.py && git commit -q -am work'"
    result = repo.api.start(["1"], auto_merge=True, run=command)
    assert result.ok, result.to_json()
    assert wait_for_state(repo, "1", "merged") == "merged"
    assert repo.git("log", "-1", "--format=%s", "main") == "Merge task 1: Auto\n"
    assert (repo.path / "src/a.py").read_text() == "a = 2\n"
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.slow
def test_start_guards_the_main_worktree_until_the_task_merges(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    (repo.path / "src/a.py").write_text("edited on main by mistake\n")
    refused = subprocess.run(
        ["git", "commit", "-q", "-am", "oops"], cwd=repo.path, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "task 1" in refused.stderr
    repo.git("checkout", "--", "src/a.py")
    work(worktree, "src/a.py", "a = 2\n")
    assert repo.api.merge(["1"]).ok
    (repo.path / "src/a.py").write_text("a = 3\n")
    repo.git("commit", "-q", "-am", "allowed again")


def test_a_task_cleaned_without_a_merge_is_not_reported_merged(repo: Repo) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/a.py"])
    work(worktree, "src/a.py", "a = 2\n")
    [cleaned] = repo.api.clean(["1"], force=True).report  # its commit is kept in a salvage ref
    assert cleaned.cleaned
    before = head(repo)
    [task] = repo.api.merge(["1"]).to_json()["results"]
    assert (task["result"], task["reason"]) == (
        "skipped",
        "task 1 was cleaned without a merge by git parallel",
    )
    assert head(repo) == before
