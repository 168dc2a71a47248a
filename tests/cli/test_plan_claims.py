"""Plans other tools wrote, through the real CLI: `specs` lists their units, `plan` judges their
parallel claims, `check --claims` fails on a false one (and, staged, only on a new one)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Repo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "agent-formats"
TASKS = "specs/004-loan-renewals/tasks.md"


def copy_plan(repo: Repo, tool: str) -> None:
    """One fixture plan at the path its tool writes (without the expected readings)."""
    for source in (FIXTURES / tool).rglob("*"):
        if source.is_file() and not source.name.endswith(".expected.json"):
            target = repo.path / source.relative_to(FIXTURES / tool)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


@pytest.fixture
def speckit(repo: Repo) -> Repo:
    copy_plan(repo, "spec-kit")
    repo.write("internal/loans/service.go", "package loans\n")
    repo.commit_all("a spec-kit plan")
    return repo


def test_specs_lists_each_unit_with_format_native_id_line_and_claims(speckit: Repo) -> None:
    result = speckit.cli("specs", "--json")
    assert result.code == 0, result
    listed = {entry["id"]: entry for entry in result.json()["specs"]}
    assert set(listed) == {"004.phase1", "004.phase2", "004.US1", "004.US2", "004.phase5"}
    story = listed["004.US1"]
    assert (story["format"], story["native_id"], story["file"]) == ("spec-kit", "US1", TASKS)
    assert story["line"] == 35 and story["depends_on"] == ["004.phase2"]
    assert story["parallel_with"] == ["004.US2"]
    service = next(d for d in story["declarations"] if d["pattern"] == "internal/loans/service.go")
    assert (service["source"], service["line"], service["kind"]) == (TASKS, 44, "plan")
    text = speckit.cli("specs").out
    assert "004.US2" in text and "Phase 4: User Story 2" in text


def test_plan_reports_each_false_claim_with_both_sides_paths_and_lines(speckit: Repo) -> None:
    result = speckit.cli("plan", "004", "--json")
    assert result.code == 1, result  # US1 and US2 conflict: the usual exit
    claims = result.json()["claims"]
    assert {tuple(claim) for claim in claims} == {
        ("level", "between", "unit", "marker", "source", "holds", "shared")
    }
    false = {
        (claim["level"], tuple(claim["between"]), claim["unit"]): claim
        for claim in claims
        if not claim["holds"]
    }
    assert set(false) == {
        ("task", ("T009", "T010"), "004.US1"),
        ("unit", ("004.US1", "004.US2"), None),
    }
    assert false[("task", ("T009", "T010"), "004.US1")]["shared"] == ["internal/loans/service.go"]
    assert false[("unit", ("004.US1", "004.US2"), None)]["shared"] == [
        "internal/loans/service.go",
        "web/src/pages/LoanDetail.tsx",
    ]
    assert any(claim["holds"] for claim in claims)  # true claims are listed too
    text = speckit.cli("plan", "004").out
    section = text.split("Parallel claims", 1)[1]
    assert "T009 ∥ T010" in section and f"{TASKS}:44" in section and f"{TASKS}:45" in section
    assert "004.US1 ∥ 004.US2" in section and "web/src/pages/LoanDetail.tsx" in section


def test_claims_of_units_not_named_are_not_judged(speckit: Repo) -> None:
    result = speckit.cli("plan", "004.US1", "004.phase1", "--json")
    assert result.code == 0, result  # a false claim is a warning for plan
    pairs = {tuple(claim["between"]) for claim in result.json()["claims"]}
    assert ("T009", "T010") in pairs and ("T002", "T003") in pairs
    assert ("004.US1", "004.US2") not in pairs


def test_check_claims_fails_on_a_false_claim(speckit: Repo) -> None:
    result = speckit.cli("check", "--claims")
    assert result.code == 1, result
    assert "T009 ∥ T010" in result.out and "hint:" in result.out
    listed = speckit.cli("check", "--claims", TASKS, "README.md", "--json").json()
    assert listed["schema"] == "git-parallel/check-claims/1"
    assert len(listed["failing"]) == 2 and listed["skipped"] == ["README.md"]
    assert speckit.cli("check", "--claims", "README.md").code == 0


def test_staged_claims_fail_only_on_a_claim_the_change_adds_or_rewrites(speckit: Repo) -> None:
    plan = speckit.path / TASKS
    ticked = (
        plan.read_text().replace("- [ ] T009", "- [X] T009").replace("- [ ] T001", "- [x] T001")
    )
    plan.write_text(ticked)
    speckit.git("add", TASKS)
    result = speckit.cli("check", "--claims", "--staged", TASKS)
    assert result.code == 0, result  # only ticks: the old false claims go through
    assert "2 false already at HEAD" in result.out
    speckit.commit_all("ticked")
    added = ticked.replace(
        "- [ ] T014 [P] [US2] Create web/src/components/RenewalHistory.tsx",
        "- [ ] T014 [P] [US2] Create web/src/components/RenewalHistory.tsx and list it in "
        "internal/loans/service.go",
    )
    plan.write_text(added)
    speckit.git("add", TASKS)
    result = speckit.cli("check", "--claims", "--staged", TASKS, "--json")
    assert result.code == 1, result
    (failing,) = result.json()["failing"]
    assert failing["between"] == ["T013", "T014"]


def test_check_claims_takes_no_other_check(speckit: Repo) -> None:
    assert speckit.cli("check", "--claims", "--task", "65").code == 2
    assert speckit.cli("check", TASKS).code == 2


def test_recognised_plan_folders_are_never_legacy_specs(speckit: Repo) -> None:
    folder = "specs/004-loan-renewals"
    for name in ("spec.md", "plan.md", "research.md", "contracts/api.md", "checklists/ux.md"):
        speckit.write(f"{folder}/{name}", "# Notes\n\n**Files**: `src/x.py`\n")
    speckit.write("specs/notes/tasks.md", "# Not a plan\n\n**Files**: `src/y.py`\n")
    result = speckit.cli("specs", "--json")
    files = {entry["file"] for entry in result.json()["specs"]}
    assert files == {TASKS, "specs/notes/tasks.md"}  # an unrelated tasks.md stays a spec


def test_config_formats_narrows_the_formats(speckit: Repo) -> None:
    copy_plan(speckit, "kiro")
    speckit.write(".gitparallel.toml", 'formats = ["kiro"]\n')
    speckit.commit_all("read Kiro plans only")  # the config is read as committed on base
    listed = speckit.cli("specs", "--json").json()["specs"]
    assert {entry["format"] for entry in listed if entry["format"]} == {"kiro"}
    assert speckit.cli("plan", "004.US1").code == 2  # spec-kit is not read: no such task
    speckit.write(".gitparallel.toml", "formats = []\n")
    speckit.commit_all("no plan formats")
    listed = speckit.cli("specs", "--json").json()["specs"]
    assert not any(entry["format"] for entry in listed)
    speckit.write(".gitparallel.toml", 'formats = ["nope"]\n')
    speckit.commit_all("an unknown format")
    result = speckit.cli("specs")
    assert result.code == 2 and "'formats'" in result.err and "hint:" in result.err


def test_a_claims_json_report_is_one_per_pair(speckit: Repo) -> None:
    claims = speckit.cli("plan", "004", "--json").json()["claims"]
    keys = [json.dumps([c["level"], c["unit"], sorted(c["between"]), c["marker"]]) for c in claims]
    assert len(keys) == len(set(keys))


def test_a_feature_folder_outside_specs_is_read_where_feature_json_points(repo: Repo) -> None:
    plan = (FIXTURES / "spec-kit" / TASKS).read_text()
    repo.write("features/004-loans/tasks.md", plan)
    repo.write(".specify/feature.json", '{"feature_directory": "features/004-loans"}\n')
    repo.commit_all("a feature kept outside specs/")
    listed = {entry["id"]: entry for entry in repo.cli("specs", "--json").json()["specs"]}
    assert listed["004.US1"]["file"] == "features/004-loans/tasks.md"
    result = repo.cli("check", "--claims", "features/004-loans/tasks.md", "--json")
    assert result.code == 1 and len(result.json()["failing"]) == 2
    assert result.json()["skipped"] == []
    repo.write(".specify/feature.json", '{"feature_directory": "features/none"}\n')
    result = repo.cli("specs", "--json")
    (problem,) = [p for entry in result.json()["specs"] for p in entry["problems"]]
    assert problem["source"] == ".specify/feature.json"
    assert "features/none/" in problem["message"]


def test_staged_claims_work_on_a_detached_head(speckit: Repo) -> None:
    """A commit mid-rebase (the main worktree's HEAD detached): no base to tell, HEAD's files."""
    speckit.git("checkout", "-q", "--detach")
    result = speckit.cli("check", "--claims", "--staged", TASKS)
    assert result.code == 0, result
    assert "2 false already at HEAD" in result.out


def test_two_task_lines_named_on_their_own_have_their_claim_judged(speckit: Repo) -> None:
    result = speckit.cli("plan", "004.T009", "004.T010", "--json")
    assert result.code == 1  # they conflict, as their false [P] claim says
    (claim,) = result.json()["claims"]
    assert (claim["between"], claim["unit"], claim["holds"]) == (["T009", "T010"], "004.US1", False)
    result = speckit.cli("plan", "004.T002", "004.T009", "--json")
    assert result.json()["claims"] == []  # no claim between those two
