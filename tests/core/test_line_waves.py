"""Task lines expanded and put in waves (`core.line_waves`): a pure function of the plan's
reading and its claims, checked on generated spec-kit plans.

Whatever the plan says, the waves hold: every open line runs once; a line runs after every line
it depends on (a dependency on a unit is one on each of that unit's lines); no two lines of one
wave change one path; and two lines the plan marks `[P]` that change one path are held apart,
with the line that makes the claim.
"""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core import separation, spec_survey
from gitwt.core.formats import ccpm, kiro, speckit, taskmaster
from gitwt.core.legacy_tokens import TrackedIndex
from gitwt.core.line_waves import expand, line_waves
from gitwt.core.plan_claims import plan_claims
from gitwt.core.plan_index import Named, PlanSource, parse_named
from gitwt.core.spec_catalog import Catalog
from gitwt.infra.config import Config

PLAN = "specs/007-log/tasks.md"
POOL = ("src/a.py", "src/b.py", "src/c.py", "src/d.py", "src/e.py")
INDEX = TrackedIndex.build(POOL)

# One line: [P] or not, done or not, and the file it changes.
LINE = st.tuples(st.booleans(), st.booleans(), st.sampled_from(POOL))
# A phase: one or two ### subsections of one to four lines each.
PHASE = st.lists(st.lists(LINE, min_size=1, max_size=4), min_size=1, max_size=2)


def plan_text(phases: list[list[list[tuple[bool, bool, str]]]]) -> str:
    text = ["# Tasks: Log\n"]
    number = 0
    for index, phase in enumerate(phases, 1):
        text.append(f"\n## Phase {index}: Step {index}\n")
        for part, lines in enumerate(phase, 1):
            text.append(f"\n### Part {part}\n\n")
            for parallel, done, path in lines:
                number += 1
                box = "X" if done else " "
                mark = "[P] " if parallel else ""
                text.append(f"- [{box}] T{number:03d} {mark}Change {path}\n")
    return "".join(text)


def scheduled(
    text: str,
) -> tuple[list[list[str]], list, dict[str, Named], PlanSource, dict[str, set[str]]]:
    """What `plan 007 --task-lines` computes, without git: the reading, the expansion, the
    tasks with their dependencies rewritten, the claims judged, the waves."""
    source = PlanSource("spec-kit", "speckit", "specs/007-log/", speckit.read({PLAN: text}))
    units = [Named(unit.id, unit, source) for unit in source.reading.units]
    expansion = expand(units)
    depends = expansion.depends()
    tasks = [
        replace(parse_named(item, lambda: INDEX).task, depends_on=depends[item.id])
        for item in expansion.items
    ]
    named = {item.id: item for item in expansion.items}
    lines = {item.line.id for item in expansion.items if item.line is not None}
    claims = plan_claims(source, lambda: INDEX, set(), {}, lines)
    plan = separation.plan(tasks, POOL, max_instances=len(tasks) or 1)
    levels, held = line_waves(plan, claims, named)
    return levels, held, named, source, separation.ancestors(tasks)


@settings(max_examples=150, deadline=None)
@given(st.lists(PHASE, min_size=1, max_size=3))
def test_task_line_waves_keep_every_rule(phases: list) -> None:
    text = plan_text(phases)
    levels, held, named, source, ancestry = scheduled(text)
    wave_of = {task: number for number, wave in enumerate(levels) for task in wave}

    every = [line for unit in source.reading.units for line in unit.tasks]
    assert sorted(wave_of) == sorted(line.id for line in every if not line.done)
    assert sum(len(wave) for wave in levels) == len(wave_of)  # each line once

    lines_of = {unit.id: [t.id for t in unit.tasks if not t.done] for unit in source.reading.units}
    for task_id, item in named.items():
        assert item.line is not None
        for dependency in item.line.depends_on:
            for before in lines_of.get(dependency, [dependency]):
                if before in wave_of:
                    assert wave_of[before] < wave_of[task_id], (before, task_id)

    path_of = {item_id: item.line.mentions[0].mention.path for item_id, item in named.items()}
    for wave in levels:
        paths = [path_of[task] for task in wave]
        assert len(paths) == len(set(paths)), wave

    apart = {frozenset(h.tasks): h for h in held}
    for claim in source.reading.claims:
        if claim.level != "task":
            continue
        first, second = (f"007.{native}" for native in claim.between)
        if first in wave_of and second in wave_of and path_of[first] == path_of[second]:
            assert wave_of[first] != wave_of[second]
            if first in ancestry[second] or second in ancestry[first]:
                continue  # ordered anyway (a line between them is no [P]): nothing to hold
            found = apart[frozenset((first, second))]
            assert found.claim == (claim.marker, claim.source)
            assert found.paths == (path_of[first],)
            assert found.reason().endswith(f"claim at {claim.source} is false")


def test_a_unit_that_names_paths_no_line_names_stays_whole() -> None:
    """A Task Master task whose own details name a file none of its subtasks names: split, no
    line could change it; so it runs whole, and says why."""
    subtask = {"id": 1, "title": "Step", "details": "Edit src/b.py.", "dependencies": []}
    data = {
        "master": {
            "tasks": [
                {"id": 1, "title": "Both", "details": "Edit src/a.py.", "subtasks": [subtask]},
                {"id": 2, "title": "Lines", "details": "", "subtasks": [subtask]},
            ]
        }
    }
    path = ".taskmaster/tasks/tasks.json"
    source = PlanSource(
        "taskmaster", "tm", ".taskmaster/", taskmaster.read({path: json.dumps(data)})
    )
    expansion = expand([Named(unit.id, unit, source) for unit in source.reading.units])
    assert expansion.whole == {"tm.1": "it names paths none of its task lines names: src/a.py"}
    assert [item.id for item in expansion.items] == ["tm.1", "tm.2.1"]


def test_a_prefixed_name_keeps_its_prefix_on_every_line_and_dependency() -> None:
    """A Kiro feature and a ccpm epic both called `tide`: `kiro.tide` names the feature, and its
    lines and their dependencies carry the prefix, a unit's dependency rewritten to its lines."""
    kiro_plan = ".kiro/specs/tide/tasks.md"
    text = (
        "# Implementation Plan\n\n- [ ] 1. Rules\n- [ ] 1.1 (P) Write `src/a.py`\n"
        "- [ ] 1.2 (P) Write `src/b.py`\n\n- [ ] 2. Jobs\n- [ ] 2.1 Write `src/c.py`\n"
    )
    sources = [
        PlanSource("kiro", "kiro", ".kiro/specs/tide/", kiro.read({kiro_plan: text})),
        PlanSource(
            "ccpm",
            "ccpm",
            ".claude/epics/tide/",
            ccpm.read(
                {".claude/epics/tide/1.md": "---\nname: x\nstatus: open\n---\n\n`src/d.py`\n"}
            ),
        ),
    ]
    found = spec_survey.survey(
        Catalog.build((), Config(), lambda: INDEX, sources), ["kiro.tide"], task_lines=True
    )
    assert found.unusable == [], found.problems
    depends = {task.id: task.depends_on for task in found.tasks}
    assert depends == {
        "kiro.tide.1.1": (),
        "kiro.tide.1.2": (),
        "kiro.tide.2.1": ("kiro.tide.1.1", "kiro.tide.1.2"),
    }
    assert found.expansion is not None and found.expansion.whole == {}


def test_a_line_that_names_no_path_is_declared_as_its_unit_and_runs_alone() -> None:
    """spec-kit's "T012 Run the integration tests and fix what fails": no path of its own. It
    takes its phase's paths (each shown with the line that names it) and so runs in a wave of
    its own, after the lines it shares them with; the expansion says why."""
    plan = "specs/004-x/tasks.md"
    text = (
        "# Tasks: X\n\n## Phase 3: User Story 1 - Thing (Priority: P1)\n\n"
        "- [ ] T010 [P] [US1] Create the model in src/a.py\n"
        "- [ ] T011 [P] [US1] Create the view in src/b.py\n"
        "- [ ] T012 [US1] Run the integration tests and fix what fails\n"
    )
    sources = [PlanSource("spec-kit", "speckit", "specs/004-x/", speckit.read({plan: text}))]
    found = spec_survey.survey(
        Catalog.build((), Config(), lambda: INDEX, sources), ["004.US1"], task_lines=True
    )
    assert found.unusable == [], found.problems
    declared = {task.id: sorted(task.files) for task in found.tasks}
    assert declared["004.T012"] == ["src/a.py", "src/b.py"]
    origins = {(o.pattern, o.line) for t in found.tasks if t.id == "004.T012" for o in t.origins}
    assert origins == {("src/a.py", 5), ("src/b.py", 6)}
    assert found.expansion is not None
    assert found.expansion.unit_wide == {
        "004.T012": "names no path: declared as its unit 004.US1, so no other line of it runs "
        f"beside it ({plan}:7)"
    }
    waves, _ = line_waves(separation.plan(found.tasks, POOL))
    assert waves == [["004.T010", "004.T011"], ["004.T012"]]
