"""A worktree's own config file written without git: git must read back every value as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitwt.infra import worktree_config
from tests.conftest import Repo, git

ODD_VALUES = [
    "/plain/path/parallel-hooks",
    "/with space/and a trailing space ",
    ' leading space, "quotes" and a back\\slash',
    "/hash#and;semicolon",
    "tab\tand\nnewline",
    "/caf\u00e9/\u65e5\u672c",
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_git_reads_back_each_value_appended(repo: Repo, tmp_path: Path, value: str) -> None:
    git(repo.path, "config", "extensions.worktreeConfig", "true")
    git(repo.path, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    git_dir = git(tmp_path / "side", "rev-parse", "--absolute-git-dir").strip()
    worktree_config.append_values(git_dir, [("core.hooksPath", "/earlier")])
    entries = worktree_config.append_values(git_dir, [("core.hooksPath", value)])
    # The last value of a key wins, as with `git config --worktree` setting it again.
    assert git(tmp_path / "side", "config", "--worktree", "--get", "core.hooksPath") == value + "\n"
    assert [(e.scope, e.key, e.value) for e in entries] == [("worktree", "core.hookspath", value)]
    assert git(repo.path, "config", "--get", "core.hooksPath", check=False) == "", "main unaffected"


def test_sparse_patterns_written_as_files_select_what_read_tree_checks_out(
    repo: Repo, tmp_path: Path
) -> None:
    for path in ("keep/a.txt", "drop/b.txt", "top.txt"):
        repo.write(path)
    repo.commit_all("three places")
    git(repo.path, "config", "extensions.worktreeConfig", "true")
    side = tmp_path / "side"
    git(repo.path, "worktree", "add", "-q", "--no-checkout", "-b", "side", str(side))
    git_dir = git(side, "rev-parse", "--absolute-git-dir").strip()
    worktree_config.write_sparse_patterns(git_dir, ["/*", "!/*/", "/keep/"])
    git(side, "read-tree", "-mu", "HEAD")
    assert (side / "keep/a.txt").exists() and (side / "top.txt").exists()
    assert not (side / "drop").exists()
    assert git(side, "sparse-checkout", "list").splitlines() == ["/*", "!/*/", "/keep/"]
    assert git(side, "status", "--porcelain") == ""
    assert (repo.path / "drop/b.txt").exists(), "the main worktree keeps everything"
