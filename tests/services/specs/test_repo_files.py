"""Spec discovery stays inside the repository: links out, FIFOs and oversized files are reported
with their path and never opened; a link to a folder outside, or a loop, is never walked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitwt.services.specs import repo_files
from tests.conftest import Repo


@pytest.fixture
def hostile_tree(repo: Repo, tmp_path: Path) -> Repo:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.md").write_text("**Files**: `stolen.py`\n")
    (outside / "deep" / "SPEC-9-far.md").write_text("**Files**: `far.py`\n")
    repo.spec("3", ["ok.py"], name="docs/SPEC-3-ok.md")
    docs = repo.path / "docs"
    (docs / "SPEC-1-out.md").symlink_to(outside / "secret.md")
    (docs / "external").symlink_to(outside / "deep")
    (docs / "loop").symlink_to(".")  # docs/loop/loop/loop/...
    repo.write("notes/four.md", "**Files**: `app/four.py`\n")
    (docs / "SPEC-4-inside.md").symlink_to("../notes/four.md")  # a link that stays inside
    repo.commit_all("specs and links")
    os.mkfifo(docs / "SPEC-2-fifo.md")  # git keeps no FIFO: it is only in the working tree
    return repo


def test_specs_reports_links_out_and_fifos_and_walks_no_link(hostile_tree: Repo) -> None:
    result = hostile_tree.cli("specs", "--json", timeout=60)  # a FIFO opened would wait forever
    assert result.code == 0, result
    listed = {spec["file"]: spec for spec in result.json()["specs"]}
    assert sorted(listed) == [
        "docs/SPEC-1-out.md",
        "docs/SPEC-2-fifo.md",
        "docs/SPEC-3-ok.md",
        "docs/SPEC-4-inside.md",
    ]
    [out] = listed["docs/SPEC-1-out.md"]["problems"]
    assert "symbolic link leading outside the repository" in out["message"]
    [fifo] = listed["docs/SPEC-2-fifo.md"]["problems"]
    assert "docs/SPEC-2-fifo.md is a FIFO, not a file: not read" in fifo["message"]
    assert listed["docs/SPEC-4-inside.md"]["problems"] == []
    assert listed["docs/SPEC-4-inside.md"]["patterns"] == 1
    plan = hostile_tree.cli("plan", "1", timeout=60)
    assert plan.code == 2 and "outside the repository" in plan.err, plan
    assert "stolen.py" not in plan.out + plan.err


def test_glob_inside_never_enters_a_link_to_a_folder_outside(hostile_tree: Repo) -> None:
    found = repo_files.glob_inside(str(hostile_tree.path), "docs/**/SPEC-*.md")
    assert "docs/external/SPEC-9-far.md" not in found
    assert not any(path.startswith("docs/loop/") for path in found)


def test_a_file_past_the_size_limit_is_a_problem_not_a_read(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("docs/SPEC-5-big.md", "**Files**: `a.py`\n" * 100)
    monkeypatch.setattr(repo_files, "MAX_FILE_BYTES", 1024)
    data, problem = repo_files.read_inside(str(repo.path), "docs/SPEC-5-big.md")
    assert data == b"" and problem == "spec docs/SPEC-5-big.md is larger than 1 KiB: not read"
