"""The agents' pre-edit hook judges a plan-file edit on content, from the payload (DESIGN §2).

Real payload shapes (tests/fixtures/agent-payloads/, their `tool_input` set per case) go to the
real `git-parallel-hook agent` process in a real task worktree made by `start`. The hook builds
the file as the edit would leave it (Write's `content`; Edit's `old_string` -> `new_string`,
`replace_all`; MultiEdit's `edits` in order; Gemini's `replace` with `expected_replacements`
and `write_file`) and judges it against HEAD's version as the commit hook does: a tick of the
task's own box passes; anything more is refused (exit 2) naming the line. An edit the tool
cannot apply (its `old_string` is not there, or not once) passes: the tool fails by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_plan_bookkeeping import KIRO_PLAN, PLANS, SPECKIT_PLAN, planned
from tests.cli.test_plan_bookkeeping import Plan as BookkeepingPlan
from tests.conftest import Repo, git

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "agent-payloads"
HOOK = str(Path(sys.executable).parent / "git-parallel-hook")


def pre_edit(
    shape: str, worktree: Path, path: str, **tool_input: object
) -> subprocess.CompletedProcess:
    """The recorded payload `shape`, aimed at `path` in `worktree`, its input set as given."""
    data = json.loads((PAYLOADS / shape).read_text())
    data["cwd"] = str(worktree)
    given = data["tool_input"]
    key = "notebook_path" if "notebook_path" in given else "file_path"
    kept = {key: str(worktree / path)} | {
        name: value for name, value in given.items() if name in ("cell_id", "cell_type")
    }
    data["tool_input"] = kept | tool_input
    return subprocess.run(
        [HOOK, "agent"],
        input=json.dumps(data),
        cwd=worktree,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def line_of(worktree: Path, path: str, marker: str) -> int:
    lines = (worktree / path).read_text().splitlines()
    return next(number for number, text in enumerate(lines, 1) if marker in text)


def started(repo: Repo, plan: BookkeepingPlan) -> Path:
    """The first unit's worktree, its task started by `start` (hooks, rules, record)."""
    return planned(repo, plan)[plan.units[0]]


def test_an_edit_ticking_its_own_box_passes_and_one_beyond_is_refused_naming_the_line(
    repo: Repo,
) -> None:
    worktree = started(repo, PLANS["spec-kit-lines"])  # task 010.T002; 010.T003 beside it
    own = pre_edit(
        "claude-edit.json",
        worktree,
        SPECKIT_PLAN,
        old_string="- [ ] T002",
        new_string="- [X] T002",
        replace_all=False,
    )
    assert own.returncode == 0, own.stderr
    assert own.stderr == ""

    theirs = pre_edit(
        "claude-edit.json", worktree, SPECKIT_PLAN, old_string="- [ ] T003", new_string="- [X] T003"
    )
    assert theirs.returncode == 2, theirs.stderr
    line = line_of(worktree, SPECKIT_PLAN, "T003")
    assert theirs.stderr.startswith(
        "git parallel: edit refused: task 010.T002 may not change 1 path (nothing was written)"
    )
    assert f"{SPECKIT_PLAN}  modified  line {line}:" in theirs.stderr, theirs.stderr
    assert "git parallel claim" not in theirs.stderr  # no claim makes a plan line the task's

    wording = pre_edit(
        "claude-edit.json",
        worktree,
        SPECKIT_PLAN,
        old_string="Create the GPX reader",
        new_string="Write the GPX reader",
    )
    assert wording.returncode == 2
    assert f"line {line_of(worktree, SPECKIT_PLAN, 'GPX reader')}:" in wording.stderr

    every = pre_edit(
        "claude-edit.json",
        worktree,
        SPECKIT_PLAN,
        old_string="- [ ] T00",
        new_string="- [X] T00",
        replace_all=True,
    )
    assert every.returncode == 2  # its own box, and every other one
    assert f"line {line_of(worktree, SPECKIT_PLAN, 'T001')}:" in every.stderr
    assert (worktree / SPECKIT_PLAN).read_text() == PLANS["spec-kit-lines"].files[SPECKIT_PLAN]


def test_write_and_multiedit_are_judged_as_the_whole_file_they_leave(repo: Repo) -> None:
    worktree = started(repo, PLANS["spec-kit-lines"])
    text = (worktree / SPECKIT_PLAN).read_text()
    ticked = text.replace("- [ ] T002", "- [X] T002")
    assert pre_edit("claude-write.json", worktree, SPECKIT_PLAN, content=ticked).returncode == 0
    rewritten = pre_edit(
        "claude-write.json",
        worktree,
        SPECKIT_PLAN,
        content=ticked.replace("# Tasks: Trail log", "# Tasks: Trails"),
    )
    assert rewritten.returncode == 2 and "line 1:" in rewritten.stderr, rewritten.stderr

    tick = {"old_string": "- [ ] T002", "new_string": "- [X] T002"}
    assert pre_edit("claude-multiedit.json", worktree, SPECKIT_PLAN, edits=[tick]).returncode == 0
    # In order: the second edit finds what the first wrote, and goes beyond the tick.
    more = {"old_string": "- [X] T002 [P]", "new_string": "- [X] T002"}
    both = pre_edit("claude-multiedit.json", worktree, SPECKIT_PLAN, edits=[tick, more])
    assert both.returncode == 2
    assert f"line {line_of(worktree, SPECKIT_PLAN, 'T002')}:" in both.stderr


def test_gemini_replace_and_write_file_are_judged_the_same_way(repo: Repo) -> None:
    worktree = started(repo, PLANS["spec-kit-lines"])
    own = pre_edit(
        "gemini-replace.json",
        worktree,
        SPECKIT_PLAN,
        old_string="- [ ] T002",
        new_string="- [x] T002",
        expected_replacements=1,
    )
    assert own.returncode == 0 and own.stdout == "{}\n", own.stderr
    theirs = pre_edit(
        "gemini-replace.json",
        worktree,
        SPECKIT_PLAN,
        old_string="- [ ] T003",
        new_string="- [x] T003",
    )
    assert theirs.returncode == 2
    assert f"line {line_of(worktree, SPECKIT_PLAN, 'T003')}:" in theirs.stderr
    text = (worktree / SPECKIT_PLAN).read_text()
    wrote = pre_edit(
        "gemini-write-file.json",
        worktree,
        SPECKIT_PLAN,
        content=text.replace("- [ ] T002", "- [x] T002"),
    )
    assert wrote.returncode == 0 and wrote.stdout == "{}\n", wrote.stderr


def test_an_edit_the_tool_cannot_apply_passes_and_a_malformed_one_is_refused(repo: Repo) -> None:
    """Not there, or there twice without replace_all, or not the count Gemini expects: the
    tool fails and writes nothing, and its own error tells the agent to read the file again.
    A field of the wrong type is no agent's payload: refused (fail closed)."""
    worktree = started(repo, PLANS["spec-kit-lines"])
    for shape, tool_input in (
        ("claude-edit.json", {"old_string": "- [ ] T999", "new_string": "- [X] T999"}),
        ("claude-edit.json", {"old_string": "- [ ] T00", "new_string": "rewritten"}),
        (
            "gemini-replace.json",
            {"old_string": "- [ ] T00", "new_string": "rewritten", "expected_replacements": 2},
        ),
        (
            "claude-multiedit.json",
            {
                "edits": [
                    {"old_string": "- [ ] T002", "new_string": "- [X] T002"},
                    {"old_string": "no such text", "new_string": "anything"},
                ]
            },
        ),
    ):
        passed = pre_edit(shape, worktree, SPECKIT_PLAN, **tool_input)
        assert passed.returncode == 0, (tool_input, passed.stderr)
    # NotebookEdit carries cells, not the file's text: the commit judges what it writes.
    notebook = pre_edit("claude-notebookedit.json", worktree, SPECKIT_PLAN, new_source="x")
    assert notebook.returncode == 0, notebook.stderr
    malformed = pre_edit(
        "claude-edit.json",
        worktree,
        SPECKIT_PLAN,
        old_string=["- [ ] T002"],
        new_string="- [X] T002",
    )
    assert malformed.returncode == 2
    assert "'old_string' that is not text" in malformed.stderr


def test_judged_against_head_with_what_is_on_disk_already(repo: Repo) -> None:
    """A shell command already rewrote a line (not bookkeeping): an Edit that ticks the task's
    own box leaves a file the commit would refuse, and is refused naming that line. Once the
    tick is committed, HEAD holds it: the next edit is judged from there."""
    worktree = started(repo, PLANS["spec-kit-lines"])
    path = worktree / SPECKIT_PLAN
    original = path.read_text()
    path.write_text(original.replace("Create the GPX writer", "Write the GPX writer"))
    tick = {"old_string": "- [ ] T002", "new_string": "- [X] T002"}
    refused = pre_edit("claude-edit.json", worktree, SPECKIT_PLAN, **tick)
    assert refused.returncode == 2
    assert f"line {line_of(worktree, SPECKIT_PLAN, 'GPX writer')}:" in refused.stderr

    path.write_text(original.replace("- [ ] T002", "- [X] T002"))
    git(worktree, "commit", "-q", "-am", "T002 done")  # the commit hook accepts it
    undo = pre_edit(
        "claude-edit.json", worktree, SPECKIT_PLAN, old_string="- [X] T002", new_string="- [ ] T002"
    )
    assert undo.returncode == 0, undo.stderr  # unticking its own box is bookkeeping too


def test_a_cc_sdd_tick_with_a_blocked_note_passes_and_another_line_is_refused(repo: Repo) -> None:
    """cc-sdd's implement step ticks its sub-task and may add a _Blocked:_ note under it."""
    worktree = started(repo, PLANS["kiro-lines"])  # task trail.1.1
    line = "- [ ] 1.1 (P) Evaluate the thresholds in `out/rules.txt`\n"
    note = pre_edit(
        "claude-edit.json",
        worktree,
        KIRO_PLAN,
        old_string=line,
        new_string=line.replace("[ ]", "[x]") + "  - _Blocked: no feed_\n",
    )
    assert note.returncode == 0, note.stderr
    other = "- [ ] 1.2 (P)"
    refused = pre_edit(
        "claude-edit.json",
        worktree,
        KIRO_PLAN,
        old_string=other,
        new_string=other + " (done by 1.1)",
    )
    assert refused.returncode == 2 and "line 5:" in refused.stderr, refused.stderr


def test_a_gsd_summary_of_its_own_passes_and_another_plans_is_refused(repo: Repo) -> None:
    worktree = started(repo, PLANS["gsd"])  # gsd.01-01
    phase = ".planning/phases/01-trail"
    own = pre_edit("claude-write.json", worktree, f"{phase}/01-01-SUMMARY.md", content="# Done\n")
    assert own.returncode == 0, own.stderr
    other = pre_edit("claude-write.json", worktree, f"{phase}/01-02-SUMMARY.md", content="# Done\n")
    assert other.returncode == 2, other.stderr
