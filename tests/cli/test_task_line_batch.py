"""`batch IDS --task-lines` through the real CLI: a unit's task lines run in waves by the plan's
own order and by the parallel claims that hold; `plan IDS --task-lines` shows the same waves
first and creates nothing.

spec-kit (`[P]` scoped to its `###` subsection) and cc-sdd (order, lifted by `(P)`, plus
`_Depends:_`) are the two tools whose task-level parallel marks users asked to run in worktrees.
Each plan makes one false claim: two lines marked parallel that change one file. They must run
one after the other (the later one sees the earlier one's work), and the report says why,
naming the line that makes the claim. Each line's command does what the tool's implement step
does: writes its file, ticks its own box, commits.
"""

from __future__ import annotations

import shlex
import sys

from tests.conftest import Repo

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"

SPECKIT_PLAN = "specs/010-trail/tasks.md"
SPECKIT = """\
# Tasks: Trail log

## Phase 1: Setup

- [ ] T001 Create the settings in out/settings.txt

## Phase 2: User Story 1 - Import tracks (Priority: P1)

### Tests for User Story 1

- [ ] T002 [P] [US1] Test the reader in out/reader_test.txt
- [ ] T003 [P] [US1] Test the writer in out/writer_test.txt

### Implementation for User Story 1

- [ ] T004 [P] [US1] Create the reader in out/reader.txt
- [ ] T005 [P] [US1] Register the reader in out/registry.txt
- [ ] T006 [P] [US1] Register the writer in out/registry.txt
- [ ] T007 [US1] Create the command in out/command.txt
"""
SPECKIT_FILES = {
    "010.T001": "out/settings.txt",
    "010.T002": "out/reader_test.txt",
    "010.T003": "out/writer_test.txt",
    "010.T004": "out/reader.txt",
    "010.T005": "out/registry.txt",
    "010.T006": "out/registry.txt",
    "010.T007": "out/command.txt",
}

KIRO_PLAN = ".kiro/specs/trail/tasks.md"
KIRO = """\
# Implementation Plan

- [ ] 1. (P) Alerts
- [ ] 1.1 (P) Evaluate the thresholds in `out/rules.txt`
- [ ] 1.2 (P) Send the alerts by SMS in `out/sms.txt`
- [ ] 1.3 (P) Log each alert beside its rule in `out/rules.txt`
- [ ] 1.4 Schedule the checks in `out/jobs.txt`

- [ ] 2. (P) Report
- [ ] 2.1 Write the weekly report in `out/report.txt`
  - _Depends: 1.2_
"""
KIRO_FILES = {
    "trail.1.1": "out/rules.txt",
    "trail.1.2": "out/sms.txt",
    "trail.1.3": "out/rules.txt",
    "trail.1.4": "out/jobs.txt",
    "trail.2.1": "out/report.txt",
}


def line_of(text: str, marker: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if marker in line)


def implement(repo: Repo, plan: str, files: dict[str, str]) -> str:
    """A task command that does what the tool's implement step does for one task line: append
    its id to its file (with what it found there), tick its own box, commit."""
    script = (
        "import pathlib, re, subprocess, sys\n"
        f"files, plan = {files!r}, {plan!r}\n"
        "line = sys.argv[1]\n"
        "target = pathlib.Path(files[line])\n"
        "target.parent.mkdir(parents=True, exist_ok=True)\n"
        "before = target.read_text() if target.exists() else ''\n"
        "target.write_text(before + line + '\\n')\n"
        "native = line.split('.', 1)[1]\n"
        "text = pathlib.Path(plan).read_text()\n"
        "box = re.compile(r'^- \\[ \\] ' + re.escape(native) + r' ', re.M)\n"
        "text = box.sub(lambda m: m.group(0).replace('[ ]', '[x]'), text, count=1)\n"
        "pathlib.Path(plan).write_text(text)\n"
        "subprocess.run(['git', 'add', '-A'], check=True)\n"
        "subprocess.run(['git', 'commit', '-q', '-m', line], check=True)\n"
    )
    path = repo.path.parent / "implement.py"
    path.write_text(script)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))} {{id}}"


def ticked(text: str, lines: list[str]) -> str:
    for line in lines:
        native = line.split(".", 1)[1]
        text = text.replace(f"- [ ] {native} ", f"- [x] {native} ", 1)
    return text


def run_lines(
    repo: Repo, group: str, plan: str, text: str, files: dict[str, str], parents: tuple = ()
) -> dict:
    """`plan --task-lines` (nothing created), then `batch --task-lines`: the same waves. At the
    end every line is ticked, and so is each of `parents` (no agent's own line)."""
    repo.write(plan, text)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("the plan")
    branches = repo.git("branch", "--list")
    shown = repo.cli("plan", group, "--task-lines", "--json")
    assert shown.code == 0, shown
    assert repo.git("branch", "--list") == branches  # plan runs nothing
    assert sorted(task for wave in shown.json()["waves"] for task in wave) == sorted(files)
    ran = repo.cli(
        "batch",
        group,
        "--task-lines",
        "--run",
        implement(repo, plan, files),
        "--json",
        timeout=600,
    )
    assert ran.code == 0, ran
    report = ran.json()
    assert report["waves"] == shown.json()["waves"]
    assert report["task_lines"]["held_apart"] == shown.json()["task_lines"]["held_apart"]
    assert report["merge_results"] == {line: "merged" for line in files}
    assert repo.git("show", f"main:{plan}") == ticked(text, [*files, *parents])
    return report


def test_speckit_task_lines_run_in_waves_and_a_false_p_claim_runs_in_order(repo: Repo) -> None:
    report = run_lines(repo, "010", SPECKIT_PLAN, SPECKIT, SPECKIT_FILES)
    # Setup first; [P] holds inside each ### subsection and the tests come before the
    # implementation; T005 and T006 both change the registry: one after the other.
    assert report["waves"] == [
        ["010.T001"],
        ["010.T002", "010.T003"],
        ["010.T004", "010.T005"],
        ["010.T006"],
        ["010.T007"],
    ]
    (held,) = report["task_lines"]["held_apart"]
    source = f"{SPECKIT_PLAN}:{line_of(SPECKIT, 'T006')}"
    assert held["tasks"] == ["010.T005", "010.T006"]
    assert held["paths"] == ["out/registry.txt"]
    assert held["claim"] == {"marker": "[P]", "source": source}
    assert repo.git("show", "main:out/registry.txt") == "010.T005\n010.T006\n"


def test_speckit_task_lines_report_in_text_why_two_lines_wait(repo: Repo) -> None:
    repo.write(SPECKIT_PLAN, SPECKIT)
    repo.commit_all("the plan")
    shown = repo.cli("plan", "010.US1", "--task-lines")
    assert shown.code == 0, shown
    source = f"{SPECKIT_PLAN}:{line_of(SPECKIT, 'T006')}"
    assert (
        f"010.T006 runs after 010.T005: both change out/registry.txt; the plan's [P] claim at "
        f"{source} is false"
    ) in shown.out
    assert "  1: 010.T002 010.T003\n  2: 010.T004 010.T005\n  3: 010.T006\n" in shown.out


def test_ccsdd_task_lines_run_by_order_p_and_depends(repo: Repo) -> None:
    # the merge of a numbered task's last sub-task ticks it, as cc-sdd users tick it by hand
    report = run_lines(repo, "trail", KIRO_PLAN, KIRO, KIRO_FILES, ("trail.1.", "trail.2."))
    # 1.1 and 1.2 lift each other's order; 1.3 would too, but changes 1.1's file; 2. is (P)
    # beside 1., so 2.1 waits only for what _Depends: names; 1.4 waits for the whole run.
    assert report["waves"] == [
        ["trail.1.1", "trail.1.2"],
        ["trail.1.3", "trail.2.1"],
        ["trail.1.4"],
    ]
    (held,) = report["task_lines"]["held_apart"]
    assert held["tasks"] == ["trail.1.1", "trail.1.3"]
    assert held["claim"] == {"marker": "(P)", "source": f"{KIRO_PLAN}:{line_of(KIRO, '1.3 (P)')}"}
    assert repo.git("show", "main:out/rules.txt") == "trail.1.1\ntrail.1.3\n"


def test_task_lines_of_a_unit_already_ticked_are_not_run_again(repo: Repo) -> None:
    repo.write(SPECKIT_PLAN, SPECKIT.replace("- [ ] T002", "- [X] T002"))
    repo.commit_all("the plan, T002 done")
    shown = repo.cli("plan", "010.US1", "--task-lines", "--json")
    assert shown.code == 0, shown
    assert shown.json()["task_lines"]["done"] == ["010.T002"]
    assert shown.json()["waves"][0] == ["010.T003"]
    everything = SPECKIT.replace("- [ ] ", "- [X] ")
    repo.write(SPECKIT_PLAN, everything)
    repo.commit_all("every task done")
    refused = repo.cli("batch", "010.US1", "--task-lines", "--run", "true")
    assert refused.code == 2, refused
    assert "nothing to run: every task line of 010.US1 is ticked done" in refused.err


def test_a_line_that_names_no_path_runs_last_with_its_units_paths(repo: Repo) -> None:
    """spec-kit's closing "run the tests and fix what fails" line names no file: batch still
    runs the unit's lines, that one alone after the others, and its fix to a file of the unit
    is in bounds (the commit hook and the merge audit read the same declaration)."""
    plan = "specs/011-log/tasks.md"
    text = (
        "# Tasks: Log\n\n## Phase 3: User Story 1 - Read (Priority: P1)\n\n"
        "- [ ] T020 [P] [US1] Create the reader in out/reader.txt\n"
        "- [ ] T021 [P] [US1] Create the writer in out/writer.txt\n"
        "- [ ] T022 [US1] Run the integration tests and fix what fails\n"
    )
    files = {
        "011.T020": "out/reader.txt",
        "011.T021": "out/writer.txt",
        "011.T022": "out/reader.txt",
    }
    report = run_lines(repo, "011.US1", plan, text, files)
    assert report["waves"] == [["011.T020", "011.T021"], ["011.T022"]]
    assert report["task_lines"]["unit_wide"] == {
        "011.T022": "names no path: declared as its unit 011.US1, so no other line of it runs "
        f"beside it ({plan}:7)"
    }
    assert repo.git("show", "main:out/reader.txt") == "011.T020\n011.T022\n"
    shown = repo.cli("plan", "011.US1", "--task-lines")
    assert "011.T022 names no path: declared as its unit 011.US1" not in shown.out  # all ticked
