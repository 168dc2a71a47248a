"""The server reads a task's declaration from the specs committed on its base branch, in a
bare repository, the way `start` reads them from a checkout; a hostile tree writes nothing
outside the temporary folder it is read into."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitwt.errors import GitParallelError
from gitwt.infra.config import ConfigError
from gitwt.services.team.base_declarations import config_at, declarations
from tests.conftest import Repo, api_error, git


def bare_copy(repo: Repo, tmp_path: Path) -> Path:
    bare = tmp_path / "served.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    return bare


def test_the_specs_on_base_give_the_declaration_as_start_reads_it(
    repo: Repo, tmp_path: Path
) -> None:
    repo.spec("a", ["src/a/**", "README.md"])
    repo.write("docs/SPEC-f-folder/README.md", "---\nid: f\nfiles:\n  - lib/f.py\n---\n")
    commit = repo.commit_all("specs")
    assert repo.api.plan(["a"]).to_json()["task_file_map"]["a"] == ["src/a/**", "README.md"]
    found = declarations(commit, ["a", "f"], str(bare_copy(repo, tmp_path)))
    assert {key: task.files for key, task in found.items()} == {
        "a": ("src/a/**", "README.md"),
        "f": ("lib/f.py",),
    }


def test_a_spec_that_links_out_of_the_tree_is_not_read_and_nothing_is_written_outside(
    repo: Repo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("---\nid: b\nfiles:\n  - '**'\n---\n")
    repo.spec("a", ["src/a/**"])
    os.symlink(outside, repo.path / "docs" / "SPEC-b-task.md")
    os.symlink("../../../../outside-written", repo.path / "docs" / "SPEC-c-task.md")
    commit = repo.commit_all("specs")
    bare = str(bare_copy(repo, tmp_path))
    assert declarations(commit, ["a"], bare)["a"].files == ("src/a/**",)
    with pytest.raises(GitParallelError) as caught:
        declarations(commit, ["b"], bare)
    assert "task b: no spec found for task b" in caught.value.message
    assert not (tmp_path / "outside-written").exists()


def test_the_server_reads_the_committed_config_as_a_clone_does(repo: Repo, tmp_path: Path) -> None:
    """One rule for the config in both places: what `start` refuses, the server refuses too."""
    repo.write("pyproject.toml", '[tool.git-parallel]\nbase = "main"\nmax_instances = 3\n')
    first = repo.commit_all("config in pyproject.toml")
    repo.write(".gitparallel.toml", "max_instances = 5\n")
    both = repo.commit_all("config in two places")
    bare = str(bare_copy(repo, tmp_path))
    assert config_at(first, bare).max_instances == 3
    refused = api_error(repo.api.status)
    assert refused.exit_code == 2 and "config in two places" in refused.render()
    with pytest.raises(ConfigError) as caught:
        config_at(both, bare)
    assert "config in two places" in caught.value.message
