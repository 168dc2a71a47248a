"""`git parallel demo`: the newcomer's first command must work and show the real workflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Repo, git


@pytest.mark.slow
def test_demo_runs_the_whole_workflow_and_leaves_the_current_repo_alone(
    repo: Repo, tmp_path: Path
) -> None:
    before = (repo.git("status", "--porcelain", "--ignored"), repo.git("for-each-ref"))
    folder = tmp_path / "demo"
    result = repo.cli("demo", str(folder), timeout=300)
    assert result.code == 0, result.out[-3000:] + result.err
    out = result.out
    assert "$ git parallel plan 101 102 103" in out and "101 ↔ 103" in out
    assert "refused by the commit hook" in out
    assert "merged     101" in out and "merged     102" in out and "merged     103" in out
    assert "measured speedup" in out
    scratch = folder / "coffee-maker"
    merges = git(scratch, "log", "--merges", "--format=%s", "main").splitlines()
    assert merges == [
        "Merge task 103: Recipe search",
        "Merge task 102: Billing",
        "Merge task 101: Recipe catalogue",
    ]
    # the stray README.md edit was refused: the file still has only its first commit
    assert len(git(scratch, "log", "--format=%H", "main", "--", "README.md").split()) == 1
    assert git(scratch, "status", "--porcelain") == ""
    assert str(scratch) in out
    assert (repo.git("status", "--porcelain", "--ignored"), repo.git("for-each-ref")) == before


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path, repo: Repo) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine\n")
    result = repo.cli("demo", str(tmp_path / "busy"))
    assert result.code == 2
    assert "is not empty" in result.err and "hint:" in result.err
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine\n"
