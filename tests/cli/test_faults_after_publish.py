"""Faults on the paths issue 20 added (DESIGN §7, §13), through the real CLI:

- a crash or an internal error while the merge audit derives a task's authority fails closed:
  nothing is published, and gitwt's state, the branch and the work are as they were; the next
  `merge` rejects the tampered task as if nothing had happened;
- after base moved, a clean-up that dies or fails never unsays the merge: the report says merged
  (exit 0), the failure is its own line, and a later `merge` or `clean` finishes the job with
  nothing lost.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gitwt.infra import failpoints
from tests.cli.test_faults import assert_fsck_clean, assert_status_explains
from tests.cli.test_tampered_state import edit_record, record_file, smuggle, two_tasks
from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open, work

pytestmark = pytest.mark.slow


def contains(repo: Repo, commit: str) -> bool:
    ancestor = ["git", "merge-base", "--is-ancestor", commit, "main"]
    return subprocess.run(ancestor, cwd=repo.path, check=False).returncode == 0


def snapshot(repo: Repo) -> dict[str, str]:
    """Everything a refused merge must leave alone: refs, records, rules files."""
    files = sorted((repo.path / ".git" / "parallel" / "tasks").glob("*.json"))
    return {
        "refs": repo.git("for-each-ref", "--format=%(refname) %(objectname)"),
        **{path.name: path.read_text() for path in files},
    }


# --- a fault while the audit derives authority --------------------------------------------------


@pytest.mark.parametrize(
    "variable", [failpoints.VARIABLE, failpoints.RAISE_VARIABLE], ids=["killed", "raised"]
)
def test_a_fault_while_the_audit_derives_authority_publishes_nothing(
    repo: Repo, variable: str
) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    edit_record(repo, "1", files=["src/**", "README.md"])  # widened by hand
    tip = smuggle(one, "README.md", "rewritten\n")
    before = snapshot(repo)

    crashed = repo.cli("merge", "1", env={variable: "merge:authority"})

    if variable == failpoints.VARIABLE:
        assert crashed.code == -9, crashed.out + crashed.err
    else:
        assert crashed.code == 3, crashed.out + crashed.err
        assert crashed.err.startswith("git parallel: error: internal error: InjectedFault")
    assert snapshot(repo) == before  # base, branch, records: nothing moved
    assert (one / "README.md").read_text() == "rewritten\n"
    assert_fsck_clean(repo)
    assert_status_explains(repo)
    rerun = repo.cli("merge", "1", "--json")
    assert rerun.code == 1, rerun.out + rerun.err
    [task] = rerun.json()["results"]
    assert task["result"] == "rejected"
    assert "tampered" in {v["kind"] for v in task["violations"]}
    assert repo.git("rev-parse", "main").strip() == base
    assert repo.git("rev-parse", "parallel/1").strip() == tip


def test_a_fault_in_the_audit_of_one_task_publishes_no_task_of_the_batch(repo: Repo) -> None:
    one, two = two_tasks(repo)
    work(one, "src/a.py", "a = 2\n")
    work(two, "lib/b.py", "b = 2\n")
    before = snapshot(repo)

    crashed = repo.cli("merge", "1", "2", env={failpoints.RAISE_VARIABLE: "merge:authority"})

    assert crashed.code == 3, crashed.out + crashed.err
    assert snapshot(repo) == before
    finished = repo.cli("merge", "1", "2")
    assert finished.code == 0, finished.out + finished.err
    assert repo.git("show", "main:src/a.py") == "a = 2\n"
    assert repo.git("show", "main:lib/b.py") == "b = 2\n"


# --- clean-up after the publish -----------------------------------------------------------------

CLEAN_UP_POINTS = ["clean:worktree-removed", "clean:before-branch-delete", "clean:branch-deleted"]


def merged_state(repo: Repo, task_id: str) -> str:
    return json.loads(record_file(repo, task_id).read_text())["state"]


@pytest.mark.parametrize("finisher", ["merge", "clean"])
@pytest.mark.parametrize("point", CLEAN_UP_POINTS)
def test_killed_during_the_clean_up_after_publish_then_finished(
    repo: Repo, point: str, finisher: str
) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    tip = work(worktree, "src/a.py", "one\n")

    killed = repo.cli("merge", "1", env={failpoints.VARIABLE: point})

    assert killed.code == -9, killed.out + killed.err
    assert contains(repo, tip), "base moved before the clean-up"
    assert merged_state(repo, "1") == "merged"
    assert_fsck_clean(repo)
    assert {t["id"]: t["state"] for t in assert_status_explains(repo)}["1"] == "merged"
    finished = repo.cli(finisher, "1")
    assert finished.code == 0, finished.out + finished.err
    assert not worktree.exists()
    assert repo.git("branch", "--list", "parallel/1") == ""
    assert repo.git("show", "main:src/a.py") == "one\n"
    assert merged_state(repo, "1") in ("merged", "cleaned")
    assert repo.git("log", "--merges", "--format=%s").count("Merge task 1") == 1


def lock_branch(repo: Repo, task_id: str) -> Path:
    """A stale lock on the branch's ref, as a crashed git leaves one: deleting it fails."""
    lock = repo.path / ".git" / "refs" / "heads" / "parallel" / f"{task_id}.lock"
    lock.write_text("")
    return lock


def test_a_branch_deletion_that_fails_after_publish_is_its_own_line(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    tip = work(worktree, "src/a.py", "one\n")
    lock = lock_branch(repo, "1")

    result = repo.cli("merge", "1")

    assert result.code == 0, result.out + result.err
    assert contains(repo, tip)
    assert merged_state(repo, "1") == "merged"
    assert repo.git("rev-parse", "parallel/1").strip() == tip  # kept, and merged: nothing lost
    assert "merged" in result.out
    failure = [line for line in result.out.splitlines() if "branch" in line and "kept" in line]
    assert failure, result.out
    lock.unlink()
    cleaned = repo.cli("clean", "1")
    assert cleaned.code == 0, cleaned.out + cleaned.err
    assert repo.git("branch", "--list", "parallel/1") == ""


def test_an_internal_error_in_the_clean_up_after_publish_still_reports_merged(
    repo: Repo,
) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    tip = work(worktree, "src/a.py", "one\n")

    result = repo.cli(
        "merge", "1", "--json", env={failpoints.RAISE_VARIABLE: "clean:before-branch-delete"}
    )

    assert result.code == 0, result.out + result.err
    [task] = result.json()["results"]
    assert task["result"] == "merged"
    assert "clean-up failed" in task["reason"] and "internal error" in task["reason"]
    assert contains(repo, tip)
    assert merged_state(repo, "1") == "merged"
    finished = repo.cli("merge", "1")
    assert finished.code == 0, finished.out + finished.err
    assert repo.git("branch", "--list", "parallel/1") == ""
    assert not worktree.exists()


def test_an_internal_error_after_publish_in_a_batch_records_every_landed_task(
    repo: Repo,
) -> None:
    """The first task's clean-up fails with a bug: the second, published in the same move of
    base, is still recorded merged and cleaned up."""
    one, two = two_tasks(repo)
    work(one, "src/a.py", "a = 2\n")
    work(two, "lib/b.py", "b = 2\n")

    result = repo.cli(
        "merge", "1", "2", "--json", env={failpoints.RAISE_VARIABLE: "clean:before-branch-delete"}
    )

    assert result.code == 0, result.out + result.err
    assert [t["result"] for t in result.json()["results"]] == ["merged", "merged"]
    assert merged_state(repo, "1") == merged_state(repo, "2") == "merged"
    assert git(repo.path, "show", "main:lib/b.py") == "b = 2\n"


def test_a_clean_whose_branch_deletion_fails_is_not_recorded_cleaned(repo: Repo) -> None:
    worktree = start_open(repo, "1", ["src/**"])
    work(worktree, "src/a.py", "one\n")
    assert repo.cli("merge", "1", "--keep").code == 0
    lock = lock_branch(repo, "1")

    refused = repo.cli("clean", "1")

    assert refused.code == 1, refused.out + refused.err
    assert "branch parallel/1 kept" in refused.out + refused.err
    assert merged_state(repo, "1") == "merged"  # not `cleaned`: the next clean finishes
    assert repo.git("branch", "--list", "parallel/1") != ""
    lock.unlink()
    cleaned = repo.cli("clean", "1")
    assert cleaned.code == 0, cleaned.out + cleaned.err
    assert repo.git("branch", "--list", "parallel/1") == ""
    assert merged_state(repo, "1") == "cleaned"
