"""Edits hidden by --assume-unchanged or --skip-worktree are uncommitted work (issue 20, class 3;
DESIGN §7): `clean` refuses without --force, and --force salvages them."""

from __future__ import annotations

import pytest

from tests.conftest import Repo, git
from tests.services.merging.test_merge import start_open


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_clean_keeps_an_edit_hidden_from_git_status(repo: Repo, flag: str) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit_all("sources")
    worktree = start_open(repo, "1", ["src/**"])
    git(worktree, "update-index", flag, "src/a.py")
    (worktree / "src/a.py").write_text("a = 'hidden work'\n")
    assert git(worktree, "status", "--porcelain") == ""  # git itself shows nothing

    refused = repo.cli("clean", "1")

    assert refused.code == 1, refused.out + refused.err
    assert "src/a.py" in refused.err
    assert (worktree / "src/a.py").read_text() == "a = 'hidden work'\n"
    forced = repo.cli("clean", "1", "--force", "--json")
    assert forced.code == 0, forced.out + forced.err
    ref = forced.json()["tasks"][0]["removal"]["salvage_ref"]
    assert repo.git("show", f"{ref}:src/a.py") == "a = 'hidden work'\n"
