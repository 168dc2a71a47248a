"""Hostile ids, templates and paths cannot make gitwt write outside the repository and the
configured worktree root; repository commands need trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Repo


def snapshot(repo: Repo, tmp_path: Path) -> tuple[str, list[str]]:
    return repo.git("for-each-ref"), sorted(
        str(p) for p in tmp_path.rglob("*") if ".git" not in p.parts
    )


@pytest.mark.parametrize("hostile", ["../../escape", "a/b", "..", "-rf", "x\ny", "$(touch pwned)"])
def test_hostile_task_ids_are_refused_and_create_nothing(
    repo: Repo, tmp_path: Path, hostile: str
) -> None:
    repo.write("docs/SPEC-1-x.md", f"---\nid: {hostile!r}\nfiles: [a.py]\n---\n")
    repo.commit_all("hostile spec")
    before = snapshot(repo, tmp_path)
    for ids in (["1"], [hostile]):
        result = repo.cli("start", *(["--"] if hostile.startswith("-") else []), *ids)
        assert result.code == 2, result
        assert "Traceback" not in result.err and "hint:" in result.err
    assert snapshot(repo, tmp_path) == before
    assert not (tmp_path / "pwned").exists() and not (repo.path / "pwned").exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("worktree", ".git/{id}", "inside the git directory"),
        ("branch", "bad..name/{id}", "not a valid git branch name"),
        ("branch", "{id}.lock", "not a valid git branch name"),
        ("worktree", "../wt-{nope}-{id}", "'worktree'"),
    ],
)
def test_hostile_templates_are_refused_and_create_nothing(
    repo: Repo, tmp_path: Path, key: str, value: str, message: str
) -> None:
    repo.write(".gitparallel.toml", f"{key} = {value!r}\n")
    repo.spec("1", ["a.py"])
    repo.commit_all("config")
    before = snapshot(repo, tmp_path)
    result = repo.cli("start", "1")
    assert result.code == 2, result
    assert message in result.err
    assert snapshot(repo, tmp_path) == before


@pytest.mark.parametrize(
    "declared", ["../outside.txt", "/etc/passwd", "a/../../b", ".git/hooks/x", "app/\\[id\\].tsx"]
)
def test_hostile_declared_paths_are_refused(repo: Repo, tmp_path: Path, declared: str) -> None:
    repo.spec("1", [declared])
    repo.commit_all("spec")
    before = snapshot(repo, tmp_path)
    result = repo.cli("start", "1")
    assert result.code == 2
    assert snapshot(repo, tmp_path) == before


@pytest.mark.slow
def test_a_spec_run_command_needs_trust_and_never_goes_through_a_shell(
    repo: Repo, tmp_path: Path
) -> None:
    import time

    literal = tmp_path / "ran$(echo X)"  # what a plain argv creates
    expanded = tmp_path / "ranX"  # what a shell would create
    repo.spec("1", ["a.py"], run=f"touch '{literal}'")
    repo.write(".gitparallel.toml", "cpu_max = 100\nmemory_max = 100\n")
    repo.commit_all("spec with run")
    refused = repo.cli("start", "1")
    assert refused.code == 1
    assert "trust" in refused.err
    assert not literal.exists()
    assert repo.cli("trust", "1").code == 0
    assert repo.cli("start", "1").code == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not literal.exists():
        time.sleep(0.1)
    assert literal.exists()
    assert not expanded.exists()
