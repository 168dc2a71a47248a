"""Units of other tools' plans named on the command line: `specs` finds them, and a reader's
note that leaves every unit usable (GSD's `<files>` entry that `files_modified` lacks) is listed
as a problem without failing the command."""

from __future__ import annotations

from tests.cli.test_plan_claims import copy_plan
from tests.conftest import Repo


def test_specs_names_plan_units_and_groups(repo: Repo) -> None:
    copy_plan(repo, "ccpm")
    copy_plan(repo, "taskmaster")
    repo.commit_all("ccpm and Task Master plans")
    for names in (["invoice-export.101"], ["invoice-export"], ["tm.1", "tm.4"]):
        result = repo.cli("specs", *names, "--json")
        assert result.code == 0, result
        listed = [entry["id"] for entry in result.json()["specs"]]
        assert all(name in listed for name in names if "." in name), listed
    missing = repo.cli("specs", "invoice-export.999")
    assert missing.code == 2 and "no spec found for task invoice-export.999" in missing.err


def test_a_reader_note_is_listed_without_failing(repo: Repo) -> None:
    copy_plan(repo, "gsd")
    repo.commit_all("a GSD phase")
    note = "files_modified lacks a task's file: clinic/scheduler/jobs.py"
    for command in (["specs", "gsd.03-02"], ["specs", "gsd.03-01"], ["plan", "gsd.03-02"]):
        result = repo.cli(*command)
        assert result.code == 0, result
        assert "error:" not in result.err, result
        assert note in result.out, result
    # the unit stays usable and declares the file its task names
    data = repo.cli("plan", "gsd.03-02", "--json").json()
    assert "clinic/scheduler/jobs.py" in data["task_file_map"]["gsd.03-02"]
