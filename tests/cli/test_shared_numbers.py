"""Specs that share a number (DESIGN §2): each usable under its file-stem id, the bare number an
error naming both, copies reported; through the real CLI and real git."""

from __future__ import annotations

import pytest

from tests.conftest import Repo

FOLDER = "docs/architecture/specs"
ROADMAP = "# Break down the roadmap editor\n\n**Files to Modify**:\n- `app/roadmap/editor.py`\n"
REFLECTOR = "# Reflector agent\n\n**File**: `app/agents/reflector.py`\n"


@pytest.fixture
def shared(repo: Repo) -> Repo:
    repo.write("app/roadmap/editor.py", "x\n")
    repo.write("app/agents/reflector.py", "x\n")
    repo.write(f"{FOLDER}/SPEC-065-break-down-roadmap-editor.md", ROADMAP)
    repo.write(f"{FOLDER}/SPEC-065-reflector-agent-implementation.md", REFLECTOR)
    repo.commit_all("two specs numbered 65")
    return repo


def test_the_bare_number_is_ambiguous_and_names_both_ids(shared: Repo) -> None:
    before = shared.git("status", "--porcelain", "--ignored")
    result = shared.cli("plan", "65")
    assert result.code == 2, result
    error, hint = result.err.strip().splitlines()[:2]
    assert error.startswith("git parallel: error: task 65 is ambiguous: 2 specs claim it: ")
    assert "SPEC-065-break-down-roadmap-editor" in error
    assert "SPEC-065-reflector-agent-implementation" in error
    assert hint.startswith("hint: name one by its id")
    started = shared.cli("start", "065")
    assert started.code == 2 and "ambiguous" in started.err
    assert shared.git("status", "--porcelain", "--ignored") == before
    assert shared.git("branch", "--list", "parallel/*") == ""


def test_each_spec_is_usable_under_its_file_stem_id(shared: Repo) -> None:
    result = shared.cli(
        "plan", "SPEC-065-break-down-roadmap-editor", "065-reflector-agent-implementation", "--json"
    )
    assert result.code == 0, result
    assert result.json()["task_file_map"] == {
        "SPEC-065-break-down-roadmap-editor": ["app/roadmap/editor.py"],
        "SPEC-065-reflector-agent-implementation": ["app/agents/reflector.py"],
    }
    listed = {spec["file"]: spec["id"] for spec in shared.cli("specs", "--json").json()["specs"]}
    assert listed == {
        f"{FOLDER}/SPEC-065-break-down-roadmap-editor.md": "SPEC-065-break-down-roadmap-editor",
        f"{FOLDER}/SPEC-065-reflector-agent-implementation.md": (
            "SPEC-065-reflector-agent-implementation"
        ),
    }
    text = shared.cli("specs").out
    assert "shared numbers" in text
    started = shared.cli("start", "065-reflector-agent-implementation")
    assert started.code == 0, started
    assert "parallel/SPEC-065-reflector-agent-implementation" in shared.git("branch", "--list")
    cleaned = shared.cli("clean", "065-reflector-agent-implementation")  # the short form too
    assert cleaned.code == 0, cleaned
    assert "parallel/SPEC-065-reflector-agent-implementation" not in shared.git("branch", "--list")


def test_an_exact_copy_is_reported_as_a_copy_and_leaves_the_number_usable(repo: Repo) -> None:
    repo.write("app/agents/reflector.py", "x\n")
    repo.write(f"{FOLDER}/SPEC-066-reflector.md", REFLECTOR)
    repo.write(f"{FOLDER}/old/SPEC-066-reflector-draft.md", REFLECTOR)
    repo.commit_all("a spec and its copy")
    planned = repo.cli("plan", "66", "--json")
    assert planned.code == 0, planned
    assert planned.json()["task_file_map"] == {"66": ["app/agents/reflector.py"]}
    listed = repo.cli("specs")
    assert (
        f"{FOLDER}/old/SPEC-066-reflector-draft.md is an exact copy of "
        f"{FOLDER}/SPEC-066-reflector.md (task 66): it gives no task of its own"
    ) in listed.out
    assert "specs_exclude" in listed.out
    copy = repo.cli("plan", "SPEC-066-reflector-draft")
    assert copy.code == 2 and "exact copy" in copy.err and "specs_exclude" in copy.err


def test_front_matter_writes_the_id_it_used(shared: Repo) -> None:
    spec = shared.path / FOLDER / "SPEC-065-reflector-agent-implementation.md"
    refused = shared.cli("specs", "--front-matter", "65")
    assert refused.code == 2 and "ambiguous" in refused.err
    assert spec.read_text() == REFLECTOR
    result = shared.cli("specs", "--front-matter", "SPEC-065-reflector-agent-implementation")
    assert result.code == 0, result
    text = spec.read_text()
    assert text.startswith("---\n# Declared by")
    assert 'id: "SPEC-065-reflector-agent-implementation"\n' in text and text.endswith(REFLECTOR)
    shared.commit_all("front matter")
    again = shared.cli("plan", "SPEC-065-reflector-agent-implementation", "65", "--json")
    assert again.code == 0, again  # 65 is now the roadmap spec's alone
    assert again.json()["task_file_map"] == {
        "SPEC-065-reflector-agent-implementation": ["app/agents/reflector.py"],
        "65": ["app/roadmap/editor.py"],
    }


def test_names_the_older_system_wrote_give_valid_ids(repo: Repo) -> None:
    """Seen in the older system's repository: one number written SPEC-001-… and SPEC-1-5-…, and
    file names holding characters a task id cannot ('&'): each spec still gets an id."""
    repo.write("app/a.py", "x\n")
    repo.write("app/b.py", "x\n")
    repo.write("app/c.py", "x\n")
    repo.write(f"{FOLDER}/SPEC-001-architect-agent.md", "# A\n\n**File**: `app/a.py`\n")
    repo.write(f"{FOLDER}/SPEC-1-5-db-sync.md", "# B\n\n**File**: `app/b.py`\n")
    repo.write(f"{FOLDER}/SPEC-1-us-072---ux-&-docs.md", "# C\n\n**File**: `app/c.py`\n")
    repo.commit_all("one number, three spellings")
    listed = sorted(spec["id"] for spec in repo.cli("specs", "--json").json()["specs"])
    assert listed == ["SPEC-001-architect-agent", "SPEC-1-5-db-sync", "SPEC-1-us-072---ux---docs"]
    ambiguous = repo.cli("plan", "1")
    assert ambiguous.code == 2 and "3 specs claim it" in ambiguous.err
    started = repo.cli("start", "1-us-072---ux---docs", "SPEC-1-5-db-sync")
    assert started.code == 0, started
    branches = repo.git("branch", "--list", "--format=%(refname:short)", "parallel/*")
    assert branches.split() == [
        "parallel/SPEC-1-5-db-sync",
        "parallel/SPEC-1-us-072---ux---docs",
    ]
