"""Arbitrary Markdown and JSON into the ccpm, OpenSpec, Task Master and GSD readers: no reader
crashes, every path it returns is a valid declared pattern, every id a valid task id."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitwt.core import patterns
from gitwt.core.formats import ccpm, gsd, openspec, taskmaster
from gitwt.core.formats.plan_units import STATUSES, PlanReading
from gitwt.core.legacy_tokens import TrackedIndex
from gitwt.core.task_ids import TASK_ID
from tests.core.formats.expected_readings import paths_of

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines built from the grammar's own pieces, so the readers' branches are reached, not only
# their "no match" paths.
PIECES = [
    "---",
    "...",
    "name: x",
    "status: closed",
    "depends_on: [001, 010]",
    "depends_on: [",
    "parallel: true",
    "conflicts_with: [2]",
    "github: https://x/issues/12",
    "wave: 1",
    'depends_on: ["02-01", "01"]',
    "files_modified:",
    "  - src/a.py",
    "  - ../up.py",
    "  - /abs.py",
    "files_modified: [src/*.py, src/]",
    "affected_areas: [auth, src/auth/]",
    "store: other",
    "&a [*a, *a]",
    "### Files Affected",
    "## Impact",
    "## Context",
    "**Files**:",
    "**Files**: `a.py`, b/c.py",
    "- `x/y.py` (new)",
    "- `docs/z.md` (read only)",
    "- [ ] 1.1 Change `api/x.py`",
    "- [x] 2.1 and/or @scope/pkg",
    "<task>",
    "</task>",
    "<files>a.py, src/b.py, , `c d`</files>",
    "<files>",
    "</files>",
    "<objective>",
    "```",
    "~~~",
    "<!--",
    "-->",
    "src/\x00nul.py",
    "C:\\win\\x.py",
    "http://x/y.py",
    "src/[id].tsx",
    "**/deep/**",
    "a//b.py",
    "./rel/x.py",
    "f(x).py",
    "<name>.py",
    "  ",
]
lines = st.one_of(st.sampled_from(PIECES), st.text(max_size=30))
markdown = st.lists(lines, max_size=25).map("\n".join)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from(["7.2", "1", "a b", "src/x.py"]),
    st.text(max_size=15),
)
task_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": json_scalars,
        "status": st.sampled_from(["pending", "done", "cancelled", 3, None]),
        "details": st.one_of(markdown, json_scalars),
        "testStrategy": json_scalars,
        "dependencies": st.one_of(st.lists(json_scalars, max_size=4), json_scalars),
        "relevantFiles": st.one_of(
            json_scalars,
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "path": st.one_of(
                            json_scalars, st.sampled_from(["src/a.py", "../x", "/y"])
                        ),
                        "action": st.sampled_from(["create", "modify", "reference", None, 1]),
                    },
                ),
                max_size=3,
            ),
        ),
    },
)
json_tasks = st.lists(
    st.one_of(task_fields, task_fields.map(lambda t: {**t, "subtasks": [t, t]}), json_scalars),
    max_size=5,
)
json_documents = st.one_of(
    json_tasks.map(lambda tasks: {"tasks": tasks}),
    st.tuples(st.sampled_from(["master", "feature", "tasks"]), json_tasks).map(
        lambda pair: {pair[0]: {"tasks": pair[1]}, "metadata": {}}
    ),
    json_scalars,
    st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=8),
)


def check(reading: PlanReading) -> None:
    """What the catalog relies on: valid ids, valid patterns, problems that say where."""
    index = TrackedIndex.build(["src/a.py", "a.py", "docs/z.md"])
    for unit in reading.units:
        assert TASK_ID.fullmatch(unit.id), unit.id
        assert unit.status in STATUSES
        for pattern in paths_of(unit.mentions, index.paths):
            assert patterns.validate(pattern) == pattern
        for task in unit.tasks:
            assert TASK_ID.fullmatch(task.id) and task.unit == unit.id
    for claim in reading.claims:
        assert len(claim.between) == 2 and ":" in claim.source
    for problem in reading.problems:
        assert problem.message and problem.hint and problem.source
        assert "\n" not in problem.message


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["1", "001", "7", "7-analysis", "epic"]), markdown, max_size=4)
)
def test_ccpm_on_arbitrary_markdown(texts: dict[str, str]) -> None:
    check(ccpm.read({f".claude/epics/e/{name}.md": text for name, text in texts.items()}))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["tasks.md", "proposal.md", "design.md", ".openspec.yaml", "config"]),
        markdown,
        max_size=4,
    )
)
def test_openspec_on_arbitrary_markdown(texts: dict[str, str]) -> None:
    files = {
        ("openspec/config.yaml" if name == "config" else f"openspec/changes/c/{name}"): text
        for name, text in texts.items()
    }
    check(openspec.read(files))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["02-01-PLAN", "02-02-PLAN", "02-01-SUMMARY", "02-3-x-PLAN"]),
        markdown,
        max_size=4,
    )
)
def test_gsd_on_arbitrary_markdown(texts: dict[str, str]) -> None:
    check(gsd.read({f".planning/phases/02-api/{name}.md": text for name, text in texts.items()}))


@FUZZ
@given(json_documents, st.one_of(st.none(), json_scalars, st.just({"currentTag": "feature"})))
def test_taskmaster_on_arbitrary_json(document: Any, state: Any) -> None:
    files = {taskmaster.TASKS: json.dumps(document)}
    if state is not None:
        files[taskmaster.STATE] = json.dumps(state)
    check(taskmaster.read(files))


@FUZZ
@given(st.text(max_size=300))
def test_taskmaster_on_arbitrary_text(text: str) -> None:
    check(taskmaster.read({taskmaster.TASKS: text, taskmaster.STATE: text}))
    check(taskmaster.read({taskmaster.LEGACY: text}))
