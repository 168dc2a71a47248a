"""GSD plans read as get-shit-done writes them: files_modified, task files, waves, summaries."""

from __future__ import annotations

from gitwt.core.formats import gsd
from gitwt.core.formats.plan_units import DONE, OPEN
from gitwt.core.legacy_tokens import TrackedIndex
from tests.core.formats.expected_readings import (
    FIXTURES,
    compare,
    expected,
    false_claims,
    paths_of,
    plan_reading,
)

PHASE = ".planning/phases/02-api"


def plan(
    wave: str = "1", depends: str = "[]", files: str = "[src/a.py]", tasks: str = "", **fields: str
) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return (
        f"---\nphase: 02-api\nplan: 01\ntype: execute\nwave: {wave}\ndepends_on: {depends}\n"
        f"files_modified: {files}\nautonomous: true\n{extra}---\n\n"
        f"<objective>\nDo the thing.\n</objective>\n\n<tasks>\n{tasks}</tasks>\n"
    )


def gsd_task(files: str) -> str:
    return (
        '<task type="auto">\n  <name>Task</name>\n'
        f"  <files>{files}</files>\n  <action>x</action>\n</task>\n"
    )


def test_the_fixture_gives_exactly_its_expected_reading() -> None:
    root = FIXTURES / "gsd"
    reading = plan_reading(gsd.read, root, gsd.plan_of)
    compare(root, reading, lambda unit: f"gsd.{unit['id']}")
    wanted = expected(root)
    assert [list(u.files) for u in reading.units] == [u["bookkeeping"] for u in wanted["units"]]
    assert [(f"{p.source}:{p.line}", p.message) for p in reading.problems] == [
        (problem["source"], f"{problem['kind']}: {problem['path']} (GSD plan {u['id']})")
        for u in wanted["units"]
        for problem in u["problems"]
    ]
    assert {u.group for u in reading.units} == {"gsd." + wanted["group"]["id"]}
    assert [u.native_id for u in reading.units] == wanted["group"]["units"]
    assert [(u.title, u.status) for u in reading.units] == [
        (u["title"], OPEN) for u in wanted["units"]
    ]
    (claim,) = reading.claims
    assert (claim.marker, claim.source) == ("wave", wanted["unit_parallel_claims"][0]["source"][1])


def test_a_summary_beside_the_plan_means_done() -> None:
    files = {
        f"{PHASE}/02-01-PLAN.md": plan(),
        f"{PHASE}/02-01-SUMMARY.md": "---\nphase: 02-api\n---\n# Summary\n",
        f"{PHASE}/02-02-PLAN.md": plan(files="[src/b.py]"),
    }
    units = gsd.read(files).units
    assert [(u.id, u.status, u.files) for u in units] == [
        ("gsd.02-01", DONE, (f"{PHASE}/02-01-SUMMARY.md",)),
        ("gsd.02-02", OPEN, (f"{PHASE}/02-02-SUMMARY.md",)),
    ]


def test_layouts_slugged_names_and_decimal_phases() -> None:
    assert gsd.plan_of(f"{PHASE}/02-01-PLAN.md") == PHASE
    assert (
        gsd.plan_of(".planning/phases/07-x/07-01-cherry-pick-foundation-PLAN.md")
        == ".planning/phases/07-x"
    )
    for other in (
        ".planning/STATE.md",
        ".planning/ROADMAP.md",
        f"{PHASE}/02-CONTEXT.md",
        f"{PHASE}/02-01-PLAN.md.bak",
    ):
        assert gsd.plan_of(other) is None
    files = {
        ".planning/phases/02.1-hotfix/02.1-01-fix-login-PLAN.md": plan(),
        ".planning/phases/02.1-hotfix/02.1-01-fix-login-SUMMARY.md": "done\n",
    }
    (unit,) = gsd.read(files).units
    assert (unit.id, unit.group, unit.status) == ("gsd.02.1-01", "gsd.02.1", DONE)


def test_depends_on_names_plans_of_the_phase_or_of_another() -> None:
    files = {
        f"{PHASE}/02-01-PLAN.md": plan(),
        f"{PHASE}/02-02-PLAN.md": plan("2", '["01"]', "[src/b.py]"),
        f"{PHASE}/02-03-PLAN.md": plan("2", '["02-01", "01-04"]', "[src/c.py]"),
    }
    units = {u.id: u for u in gsd.read(files).units}
    assert units["gsd.02-02"].depends_on == ("gsd.02-01",)
    assert units["gsd.02-03"].depends_on == ("gsd.02-01", "gsd.01-04")


def test_same_wave_claims_unless_depends_on_orders_them() -> None:
    files = {
        f"{PHASE}/02-01-PLAN.md": plan(),
        f"{PHASE}/02-02-PLAN.md": plan(files="[src/b.py]"),
        f"{PHASE}/02-03-PLAN.md": plan(depends='["02-01"]', files="[src/c.py]"),
        f"{PHASE}/02-04-PLAN.md": plan("2", files="[src/a.py]"),
    }
    reading = gsd.read(files)
    assert [(c.between, c.source) for c in reading.claims] == [
        (("gsd.02-01", "gsd.02-02"), f"{PHASE}/02-02-PLAN.md:5"),
        (("gsd.02-02", "gsd.02-03"), f"{PHASE}/02-03-PLAN.md:5"),
    ]
    assert false_claims(reading, TrackedIndex.build(())) == set()


def test_plans_of_two_phases_never_claim_each_other() -> None:
    reading = gsd.read(
        {f"{PHASE}/02-01-PLAN.md": plan(), ".planning/phases/03-ui/03-01-PLAN.md": plan()}
    )
    assert reading.claims == ()


def test_task_files_that_files_modified_covers_are_not_reported() -> None:
    tasks = gsd_task("src/models/user.py, src/a.py") + gsd_task(
        "\n    src/new.py,\n    src/b.py\n  "
    )
    reading = gsd.read(
        {f"{PHASE}/02-01-PLAN.md": plan(files="[src/a.py, src/models/]", tasks=tasks)}
    )
    (unit,) = reading.units
    assert paths_of(unit.mentions) == ["src/a.py", "src/models/**", "src/new.py", "src/b.py"]
    assert [(p.line, p.message) for p in reading.problems] == [
        (24, f"{gsd.LACKS}: src/new.py (GSD plan 02-01)"),
        (25, f"{gsd.LACKS}: src/b.py (GSD plan 02-01)"),
    ]


def test_context_and_read_first_files_are_read_not_declared() -> None:
    body = (
        "---\nwave: 1\nfiles_modified: [src/a.py]\n---\n<context>\n@src/reference.py\n</context>\n"
        "<tasks>\n<task>\n<files>src/a.py</files>\n<read_first>src/source_of_truth.py</read_first>\n"
        "</task>\n</tasks>\n"
    )
    (unit,) = gsd.read({f"{PHASE}/02-01-PLAN.md": body}).units
    assert paths_of(unit.mentions) == ["src/a.py"]


def test_bad_yaml_is_a_problem_naming_the_plan_and_the_phase_still_reads() -> None:
    files = {f"{PHASE}/02-01-PLAN.md": "---\nwave: [1\n---\n", f"{PHASE}/02-02-PLAN.md": plan()}
    reading = gsd.read(files)
    assert [u.id for u in reading.units] == ["gsd.02-02"]
    (problem,) = reading.problems
    assert (problem.source, problem.unit) == (f"{PHASE}/02-01-PLAN.md", "gsd.02-01")
    assert problem.line >= 2 and problem.hint


def test_lettered_plans_and_dependencies_named_by_the_phase_folder() -> None:
    # seen in real plans: `plan: 02B` (03-02B-PLAN.md), `depends_on: [03-01, 03-02A]`, and
    # `17-console-session-restore-ux-05` (the phase folder's name before the plan number)
    phase = ".planning/phases/03-design-system"
    files = {
        f"{phase}/03-01-PLAN.md": plan(),
        f"{phase}/03-02A-PLAN.md": plan(files="[src/b.py]"),
        f"{phase}/03-02B-PLAN.md": plan("2", "[03-01, 03-02A]", "[src/c.py]"),
        f"{phase}/03-02B-SUMMARY.md": "done\n",
        f"{phase}/03-03-PLAN.md": plan("3", "[03-design-system-02B]", "[src/d.py]"),
    }
    units = {u.id: u for u in gsd.read(files).units}
    assert list(units) == ["gsd.03-01", "gsd.03-02A", "gsd.03-02B", "gsd.03-03"]
    assert units["gsd.03-02B"].depends_on == ("gsd.03-01", "gsd.03-02A")
    assert units["gsd.03-02B"].status == DONE
    assert units["gsd.03-03"].depends_on == ("gsd.03-02B",)


def test_a_malformed_list_is_reported_not_dropped() -> None:
    text = plan(depends="{a: 1}", files="[src/a.py, [nested]]")
    reading = gsd.read({f"{PHASE}/02-01-PLAN.md": text})
    assert [(p.line, p.message) for p in reading.problems] == [
        (6, f"depends_on in {PHASE}/02-01-PLAN.md is not a list of plain values"),
        (7, f"files_modified in {PHASE}/02-01-PLAN.md is not a list of plain values"),
    ]
    assert paths_of(reading.units[0].mentions) == ["src/a.py"]


def test_entries_with_a_note_after_the_path() -> None:
    tasks = gsd_task("src/app.ts (new), `src/a.py`")
    text = plan(files='["src/a.py", "src/lib/util.ts - helpers"]', tasks=tasks)
    (unit,) = gsd.read({f"{PHASE}/02-01-PLAN.md": text}).units
    assert paths_of(unit.mentions) == ["src/a.py", "src/lib/util.ts", "src/app.ts"]
