"""Submodules cannot blind the audit (issue 20, class 2; DESIGN §13): whatever `.gitmodules`
`ignore = ...` or `diff.ignoreSubmodules` (in any config an agent can write) say, the commit
hook, `status` and `merge` see a gitlink the task moves, and merge reports its path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open


def library(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository to use as a submodule, with two commits; (path, first, second)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q", "-b", "main")
    (lib / "f.txt").write_text("1\n")
    git(lib, "add", "f.txt")
    git(lib, "commit", "-q", "-m", "one")
    first = git(lib, "rev-parse", "HEAD").strip()
    (lib / "f.txt").write_text("2\n")
    git(lib, "commit", "-q", "-am", "two")
    return lib, first, git(lib, "rev-parse", "HEAD").strip()


def with_submodule(repo: Repo, tmp_path: Path) -> str:
    """vendor/lib as a submodule at its first commit, `ignore = all` in .gitmodules."""
    lib, first, second = library(tmp_path)
    git(
        repo.path,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(lib),
        "vendor/lib",
    )
    git(repo.path / "vendor/lib", "checkout", "-q", first)
    git(repo.path, "config", "-f", ".gitmodules", "submodule.vendor/lib.ignore", "all")
    repo.commit_all("vendor/lib at its first commit, ignored by diff and status")
    return second


def move_gitlink(worktree: Path, oid: str, *, verify: bool) -> subprocess.CompletedProcess[str]:
    git(worktree, "update-index", "--cacheinfo", f"160000,{oid},vendor/lib")
    return subprocess.run(
        # --allow-empty: git's own "nothing to commit" check obeys the ignore settings too
        ["git", "commit", "-q", "--allow-empty", "-m", "move the library"]
        + ([] if verify else ["--no-verify"]),
        cwd=worktree,
        capture_output=True,
        text=True,
        check=False,
    )


BLINDERS = {
    "gitmodules": [],
    "shared-config": ["config", "diff.ignoreSubmodules", "all"],
    "worktree-config": ["config", "--worktree", "diff.ignoreSubmodules", "all"],
    "global-config": ["config", "--global", "diff.ignoreSubmodules", "all"],
    "status-config": ["config", "status.submoduleSummary", "false"],
}


@pytest.mark.parametrize("blinder", sorted(BLINDERS))
def test_an_undeclared_gitlink_is_refused_by_the_hook_and_rejected_by_merge(
    repo: Repo, tmp_path: Path, blinder: str
) -> None:
    second = with_submodule(repo, tmp_path)
    worktree = start_open(repo, "1", ["src/**"])
    if BLINDERS[blinder]:
        git(worktree, *BLINDERS[blinder])
    base = repo.git("rev-parse", "main").strip()

    refused = move_gitlink(worktree, second, verify=True)
    assert refused.returncode != 0, "the commit hook let the gitlink through"
    assert "vendor/lib" in refused.stderr
    assert move_gitlink(worktree, second, verify=False).returncode == 0

    status = repo.cli("status", "--json")
    [task] = [t for t in status.json()["tasks"] if t["id"] == "1"]
    assert "vendor/lib" in {v["path"] for v in task["violations"]}
    merged = repo.cli("merge", "1", "--json")
    assert merged.code == 1, merged.out + merged.err
    [result] = merged.json()["results"]
    assert result["result"] == "rejected" and result["paths"] == ["vendor/lib"]
    assert repo.git("rev-parse", "main").strip() == base


def test_a_declared_gitlink_merges_and_the_report_names_it(repo: Repo, tmp_path: Path) -> None:
    second = with_submodule(repo, tmp_path)
    worktree = start_open(repo, "1", ["vendor/lib"])
    git(worktree, "config", "diff.ignoreSubmodules", "all")
    assert move_gitlink(worktree, second, verify=True).returncode == 0

    merged = repo.cli("merge", "1", "--json")

    assert merged.code == 0, merged.out + merged.err
    [result] = merged.json()["results"]
    assert result["result"] == "merged" and result["paths"] == ["vendor/lib"]
    assert repo.git("rev-parse", "main:vendor/lib").strip() == second
