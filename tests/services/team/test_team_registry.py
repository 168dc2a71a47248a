"""The registry's entry format and the server's branch template, without a remote."""

from __future__ import annotations

import pytest

from gitwt.errors import GitParallelError
from gitwt.services.hooks.server_hook import branch_pattern
from gitwt.services.team.registry import Entry

ENTRY = Entry(
    id="65",
    title="Recipes",
    owner="@backend",
    files=("src/recipes/**", "tests/test_recipes.py"),
    base="main",
    branch="parallel/65",
    machine="laptop-a",
    user="a@example.com",
    clone="c0ffee",
    started_at=1_700_000_000.0,
)


def test_an_entry_survives_the_round_trip_through_its_file() -> None:
    assert Entry.from_bytes("65.json", ENTRY.to_bytes()) == ENTRY


@pytest.mark.parametrize(
    "raw",
    [b"not json", b'{"schema": 99, "id": "1", "files": []}', b'{"schema": 1, "id": "1"}'],
)
def test_a_malformed_entry_is_an_error_that_names_it_and_the_way_out(raw: bytes) -> None:
    with pytest.raises(GitParallelError) as caught:
        Entry.from_bytes("1.json", raw)
    assert "1.json" in caught.value.message
    assert "git parallel release 1 --force" in (caught.value.hint or "")


def test_as_a_record_it_declares_its_files_and_says_where_it_lives() -> None:
    record = ENTRY.as_record()
    assert record["files"] == ["src/recipes/**", "tests/test_recipes.py"]
    assert record["remote"] is True and record["state"] == "remote"
    assert ENTRY.where().startswith("machine laptop-a (user a@example.com, started ")


@pytest.mark.parametrize(
    ("template", "branch", "task"),
    [
        ("parallel/{id}", "parallel/65", "65"),
        ("parallel/{id}", "parallel/web.login-2", "web.login-2"),
        ("team/{repo}/{id}", "team/shop/7", "7"),
        ("parallel/{id}", "parallel/a/b", None),
        ("parallel/{id}", "main", None),
        ("parallel/{id}", "xparallel/1", None),
    ],
)
def test_the_branch_template_tells_which_pushed_branches_are_tasks(
    template: str, branch: str, task: str | None
) -> None:
    match = branch_pattern(template).fullmatch(branch)
    assert (match.group("id") if match else None) == task
