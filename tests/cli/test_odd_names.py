"""File names with spaces, unicode, newlines and leading dashes go through every command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo, git

ODD = [
    "with space.txt",
    "ünïcødé-файл.md",
    "line\nbreak.txt",
    "-leading-dash.txt",
    "quote\"and'apostrophe.txt",
]


@pytest.mark.slow
def test_odd_names_through_plan_start_commit_check_claim_status_merge_clean(repo: Repo) -> None:
    folder = "odd dir"
    for name in ODD:
        repo.write(f"{folder}/{name}", "before\n")
    repo.spec("1", [f"{folder}/{name}" for name in ODD[:3]], title="Odd names")
    repo.commit_all("odd names")

    plan = repo.cli("plan", "1", "--json")
    assert plan.code == 0, plan.err
    assert sorted(plan.json()["matched_files"]["1"]) == sorted(f"{folder}/{n}" for n in ODD[:3])

    assert repo.cli("start", "1").code == 0
    worktree = Path(repo.cli("status", "--json").json()["tasks"][0]["worktree"])

    # declared odd names commit through the hook
    for name in ODD[:3]:
        (worktree / folder / name).write_text("after\n")
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "declared odd names")

    # an undeclared one is refused, and the message names it on one line
    (worktree / folder / ODD[3]).write_text("after\n")
    git(worktree, "add", "--", f"{folder}/{ODD[3]}")
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "undeclared"],
        cwd=worktree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "-leading-dash.txt" in refused.stderr
    assert git(worktree, "log", "-1", "--format=%s") == "declared odd names\n"
    check = repo.cli("check", "--staged", "--task", "1", "--json", cwd=worktree)
    assert check.code == 1
    assert [v["path"] for v in check.json()["violations"]] == [f"{folder}/{ODD[3]}"]

    # claim it, then it commits
    claim = repo.cli("claim", "1", "--", f"{folder}/{ODD[3]}")
    assert claim.code == 0, claim.err
    git(worktree, "commit", "-q", "-m", "claimed dash file")

    status = repo.cli("status", "--json")
    assert status.code == 0
    [task] = status.json()["tasks"]
    assert task["ahead"] == 2 and task["violations"] == []
    assert f"{folder}/line\nbreak.txt" in task["files"]
    assert repo.cli("status").code == 0

    merge = repo.cli("merge", "1", "--json")
    assert merge.code == 0, merge.out + merge.err
    for name in ODD[:4]:
        assert (repo.path / folder / name).read_text() == "after\n"
    assert (repo.path / folder / ODD[4]).read_text() == "before\n"
    assert not worktree.exists()
    clean = repo.cli("clean", "1")
    assert clean.code == 0, clean.err
    assert "Traceback" not in clean.err + merge.err + status.err
