"""ccpm task files read as ccpm writes them: ids, files, order, claims and conflicts."""

from __future__ import annotations

from gitwt.core.formats import ccpm
from gitwt.core.formats.plan_units import DONE, IN_PROGRESS, OPEN, PlanReading
from gitwt.core.legacy_tokens import TrackedIndex
from tests.core.formats.expected_readings import (
    FIXTURES,
    compare,
    expected,
    false_claims,
    paths_of,
    plan_reading,
)

EPIC = ".claude/epics/shop"


def task(
    depends: str = "[]",
    parallel: str = "true",
    conflicts: str = "[]",
    body: str = "",
    **fields: str,
) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return (
        f"---\nname: A task\nstatus: open\n{extra}depends_on: {depends}\nparallel: {parallel}\n"
        f"conflicts_with: {conflicts}\n---\n\n# Task: A task\n\n{body}"
    )


def files_affected(*paths: str) -> str:
    return "## Technical Details\n\n### Files Affected\n" + "".join(f"- `{p}`\n" for p in paths)


def read(files: dict[str, str]) -> PlanReading:
    return ccpm.read({path: text for path, text in files.items() if ccpm.plan_of(path)})


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    root = FIXTURES / "ccpm"
    reading = plan_reading(ccpm.read, root, ccpm.plan_of)
    compare(root, reading, lambda unit: f"invoice-export.{unit['id']}")
    wanted = expected(root)
    assert [(u.native_id, u.group, u.title, u.source) for u in reading.units] == [
        (u["id"], "invoice-export", u["title"], *u["files"]) for u in wanted["units"]
    ]
    # the claim is the one line that makes it: the later task's `parallel: true`
    assert [(c.between, c.marker, c.source) for c in reading.claims] == [
        (
            ("invoice-export.101", "invoice-export.102"),
            "parallel: true",
            ".claude/epics/invoice-export/102.md:8",
        )
    ]
    assert not reading.problems


def test_depends_on_is_read_as_written_not_as_yaml_octal() -> None:
    files = {
        f"{EPIC}/001.md": task(body=files_affected("src/a.py")),
        f"{EPIC}/008.md": task(body=files_affected("src/h.py")),
        f"{EPIC}/010.md": task(body=files_affected("src/j.py")),
        f"{EPIC}/011.md": task("[001, 010]", body=files_affected("src/k.py")),
    }
    units = {u.id: u for u in read(files).units}
    # YAML 1.1 reads 010 as octal 8: that would make shop.11 wait for shop.8
    assert units["shop.11"].depends_on == ("shop.1", "shop.10")
    assert units["shop.1"].native_id == "001"


def test_only_numbered_task_files_are_units() -> None:
    files = {
        f"{EPIC}/epic.md": task(body=files_affected("src/epic.py")),
        f"{EPIC}/1.md": task(body=files_affected("src/a.py")),
        f"{EPIC}/1-analysis.md": "### Stream A: API\n**Files**: `src/api.py`\n",
        f"{EPIC}/github-mapping.md": "# GitHub Issue Mapping\n- #1: x\n",
        f"{EPIC}/execution-status.md": "## Active Agents\n",
        f"{EPIC}/updates/1/stream-A.md": task(body=files_affected("src/s.py")),
        ".claude/epics/archived/old/2.md": task(body=files_affected("src/old.py")),
    }
    assert [path for path in files if ccpm.plan_of(path)] == [
        f"{EPIC}/1.md",
        f"{EPIC}/1-analysis.md",
    ]
    reading = read(files)
    assert [u.id for u in reading.units] == ["shop.1"]
    # the analysis file is read with its task: its streams' files are the task's too
    assert paths_of(reading.units[0].mentions) == ["src/a.py", "src/api.py"]


def test_the_streams_of_the_analysis_add_their_files() -> None:
    analysis = (
        "---\nissue: 7\n---\n\n# Parallel Work Analysis: Issue #7\n\n## Parallel Streams\n\n"
        "### Stream A: Database\n**Scope**: schema\n"
        "**Files**:\n- `db/schema.sql`\n- `db/models/*.py`\n**Can Start**: immediately\n\n"
        "### Stream B: API\n**Files**: `api/routes.py`, `api/auth.py`\n"
        "**Dependencies**: Stream A\n\n## Coordination Points\n### Shared Files\n- `README.md`\n"
    )
    reading = read(
        {f"{EPIC}/7.md": task(body="## Description\nNo list.\n"), f"{EPIC}/7-analysis.md": analysis}
    )
    (unit,) = reading.units
    assert paths_of(unit.mentions) == [
        "db/schema.sql",
        "db/models/*.py",
        "api/routes.py",
        "api/auth.py",
    ]
    assert {m.note for m in unit.mentions} == {
        "Stream A: Database of 7-analysis.md",
        "Stream B: API of 7-analysis.md",
    }
    assert {m.source for m in unit.mentions} == {f"{EPIC}/7-analysis.md"}


def test_files_lists_in_any_case_and_bold_markers() -> None:
    body = (
        "## Technical Details\n- Reuse the existing `src/util.py`\n\n"
        "### FILES AFFECTED\n- `src/a.py` (new)\n- `src/docs.md` (read only)\n\n"
        "## Notes\n**Files**:\n- `src/b.py`\n\n## Effort Estimate\n- Size: S\n"
    )
    reading = read({f"{EPIC}/3.md": task(body=body)})
    (unit,) = reading.units
    assert paths_of(unit.mentions) == ["src/a.py", "src/b.py"]
    assert [(i.token, i.reason) for i in reading.ignored] == [
        ("src/docs.md", "read, not changed: read only")
    ]


def test_without_a_files_list_the_paths_of_the_text_are_read() -> None:
    body = (
        "## Description\nAdd retries to `app/http/client.py`.\n\n"
        "## Technical Details\n- Reuse the existing `app/http/backoff.py`\n"
        "- Change app/http/session.py\n\n"
        "## Acceptance Criteria\n- [ ] `tests/test_client.py` passes\n"
    )
    (unit,) = read({f"{EPIC}/4.md": task(body=body)}).units
    assert paths_of(unit.mentions) == [
        "app/http/client.py",
        "app/http/session.py",
        "tests/test_client.py",
    ]
    assert {m.note for m in unit.mentions} == {
        "named in the task's text (it has no Files Affected list)"
    }


def test_parallel_claims_skip_ordered_and_conflicting_pairs() -> None:
    files = {
        f"{EPIC}/1.md": task(body=files_affected("src/a.py")),
        f"{EPIC}/2.md": task(body=files_affected("src/b.py")),
        f"{EPIC}/3.md": task("[2]", body=files_affected("src/c.py")),
        f"{EPIC}/4.md": task("[3]", body=files_affected("src/d.py")),
        f"{EPIC}/5.md": task(conflicts="[1]", body=files_affected("src/a.py")),
        f"{EPIC}/6.md": task(parallel="false", body=files_affected("src/a.py")),
    }
    reading = read(files)
    pairs = [c.between for c in reading.claims]
    # 2 -> 3 -> 4 are ordered (4 waits for 2 through 3); 5 names 1 in conflicts_with;
    # 6 claims nothing
    assert pairs == [
        ("shop.1", "shop.2"),
        ("shop.1", "shop.3"),
        ("shop.1", "shop.4"),
        ("shop.2", "shop.5"),
        ("shop.3", "shop.5"),
        ("shop.4", "shop.5"),
    ]
    units = {u.id: u for u in reading.units}
    assert units["shop.5"].conflicts_with == ("shop.1",)
    assert false_claims(reading, TrackedIndex.build(())) == set()


def test_a_renamed_task_answers_to_both_numbers() -> None:
    files = {
        f"{EPIC}/001.md": task(
            github="https://github.com/acme/shop/issues/1234", body=files_affected("src/a.py")
        ),
        f"{EPIC}/002.md": task("[1234]", body=files_affected("src/b.py")),
    }
    units = {u.id: u for u in read(files).units}
    assert set(units["shop.1"].aliases) == {"shop.001", "shop.1234"}
    assert units["shop.2"].depends_on == ("shop.1",)


def test_status_and_bookkeeping_files() -> None:
    files = {
        f"{EPIC}/1.md": task(body=files_affected("src/a.py")).replace(
            "status: open", "status: closed"
        ),
        f"{EPIC}/2.md": task(body=files_affected("src/b.py")).replace(
            "status: open", "status: in-progress"
        ),
        f"{EPIC}/3.md": task(body=files_affected("src/c.py")),
    }
    units = read(files).units
    assert [u.status for u in units] == [DONE, IN_PROGRESS, OPEN]
    assert units[0].files == (f"{EPIC}/1.md", f"{EPIC}/updates/1/**")


def test_bad_yaml_is_a_problem_naming_file_and_line_and_the_rest_is_read() -> None:
    files = {
        f"{EPIC}/1.md": "---\nname: broken\ndepends_on: [1, 2\nparallel: true\n---\nbody\n",
        f"{EPIC}/2.md": task(body=files_affected("src/b.py")),
    }
    reading = read(files)
    assert [u.id for u in reading.units] == ["shop.2"]
    (problem,) = reading.problems
    assert (problem.source, problem.unit) == (f"{EPIC}/1.md", "shop.1")
    assert problem.line > 1 and f"{EPIC}/1.md" in problem.message and problem.hint


def test_unknown_dependencies_are_reported_not_dropped_silently() -> None:
    files = {f"{EPIC}/1.md": task("[9, setup]", body=files_affected("src/a.py"))}
    reading = read(files)
    assert reading.units[0].depends_on == ()
    assert [(p.source, p.line, p.unit) for p in reading.problems] == [
        (f"{EPIC}/1.md", 4, None),
        (f"{EPIC}/1.md", 4, None),
    ]
    assert "'9'" in reading.problems[0].message and "'setup'" in reading.problems[1].message


def test_the_catalog_finds_a_renamed_task_by_either_number() -> None:
    from gitwt.core.plan_index import PlanIndex, PlanSource

    files = {
        f"{EPIC}/001.md": task(
            github="https://github.com/acme/shop/issues/1234", body=files_affected("src/a.py")
        ),
        f"{EPIC}/002.md": task(body=files_affected("src/b.py")),
    }
    index = PlanIndex.build([PlanSource("ccpm", "ccpm", EPIC, read(files))])
    for name in ("shop.1", "shop.001", "shop.1234", "ccpm.shop.1234"):
        (found,) = index.resolve(name)
        assert found.unit.id == "shop.1" and found.id.endswith("shop.1"), name
    assert [named.id for named in index.resolve("shop")] == ["shop.1", "shop.2"]


def test_without_a_files_list_the_acceptance_criteria_name_what_the_task_delivers() -> None:
    body = (
        "## Description\nDocument the triggers.\n\n## Acceptance Criteria\n"
        "- [ ] New `docs/guides/triggers.mdx` with examples\n"
        "- [ ] Update `docs/reference/architecture.mdx`\n\n"
        "## References\n- `docs/old/triggers.md`\n"
    )
    (unit,) = read({f"{EPIC}/5.md": task(body=body)}).units
    assert paths_of(unit.mentions) == [
        "docs/guides/triggers.mdx",
        "docs/reference/architecture.mdx",
    ]


def test_too_many_parallel_tasks_to_pair_are_reported_not_enumerated() -> None:
    files = {f"{EPIC}/{n}.md": task(body=files_affected(f"src/m{n}.py")) for n in range(1, 451)}
    reading = read(files)
    assert len(reading.units) == 450 and reading.claims == ()
    (problem,) = reading.problems
    assert (problem.source, problem.unit) == (EPIC, None)
    assert "450 units may run side by side" in problem.message and "not checked" in problem.message


def test_what_a_task_must_leave_alone_is_never_declared() -> None:
    # as real task files write it: an ownership section, a "do not touch" line, a section of
    # protected files, a pointer to the epic, and the task's own progress file
    body = (
        "Read `.claude/epics/shop/epic.md` first (read the whole document).\n\n"
        "## What this task owns\n- `src/styles/**`\n- `.claude/epics/shop/updates/6.md`\n\n"
        "**Do not touch** `src/theme.css` (task 001 owns it).\n\n"
        "### Files You MUST NOT Modify or Delete\n- `src/storage/db.ts` - DO NOT MODIFY\n"
    )
    reading = read({f"{EPIC}/6.md": task(body=body)})
    (unit,) = reading.units
    assert paths_of(unit.mentions) == ["src/styles/**"]
    reasons = {i.token: i.reason for i in reading.ignored}
    assert reasons[".claude/epics/shop/updates/6.md"].startswith("a file of the plan itself")


def test_without_a_list_prohibitions_and_pointers_declare_nothing() -> None:
    body = (
        "## Description\nFull source of truth: `docs/epic-notes.md` (read the whole document).\n"
        "Restyle `src/decks/week-11.mdx`.\n**Do not touch** `src/decks/theme.css`.\n\n"
        "### Files You MUST NOT Modify or Delete\n- `src/storage/db.ts`\n"
    )
    (unit,) = read({f"{EPIC}/7.md": task(body=body)}).units
    assert paths_of(unit.mentions) == ["src/decks/week-11.mdx"]
