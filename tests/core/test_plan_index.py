"""Plan units as tasks: names, group ids, format prefixes, task lines, problems (the catalog)."""

from __future__ import annotations

import pytest

from gitwt.core import spec_catalog, spec_survey
from gitwt.core.formats.plan_units import (
    ParallelClaim,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanTask,
    PlanUnit,
)
from gitwt.core.legacy_tokens import Mention, TrackedIndex
from gitwt.core.plan_index import PlanSource
from gitwt.core.spec_catalog import Catalog, SpecFile
from gitwt.core.specs import SpecError
from gitwt.infra.config import Config

TRACKED = ("internal/loans/service.go", "web/src/pages/LoanDetail.tsx", "harbour/tides/rules.py")


def mention(source: str, path: str, line: int, note: str = "") -> PlanMention:
    return PlanMention(source, Mention(path, path, line, True), note)


def unit(
    unit_id: str,
    group: str,
    source: str,
    paths: list[str],
    line: int = 1,
    depends_on: tuple[str, ...] = (),
    tasks: tuple[PlanTask, ...] = (),
    plan_format: str = "spec-kit",
) -> PlanUnit:
    return PlanUnit(
        id=unit_id,
        native_id=unit_id.rsplit(".", 1)[-1],
        format=plan_format,
        group=group,
        title=f"unit {unit_id}",
        source=source,
        line=line,
        mentions=tuple(mention(source, path, line) for path in paths),
        depends_on=depends_on,
        tasks=tasks,
    )


SPECKIT = "specs/004-loans/tasks.md"
LINE_T9 = PlanTask(
    "004.T009",
    "T009",
    "004.US1",
    "Implement",
    SPECKIT,
    44,
    (mention(SPECKIT, "service.go", 44),),
    parallel="[P]",
)
LINE_T10 = PlanTask(
    "004.T010",
    "T010",
    "004.US1",
    "Enforce",
    SPECKIT,
    45,
    (mention(SPECKIT, "internal/loans/service.go", 45),),
    parallel="[P]",
)
SPECKIT_PLAN = PlanSource(
    "spec-kit",
    "speckit",
    "specs/004-loans",
    PlanReading(
        units=(
            unit("004.phase1", "004", SPECKIT, ["config/defaults.toml"], line=10),
            unit(
                "004.US1",
                "004",
                SPECKIT,
                ["service.go", "internal/loans/service.go"],
                line=40,
                depends_on=("004.phase1",),
                tasks=(LINE_T9, LINE_T10),
            ),
            unit("004.US2", "004", SPECKIT, ["web/src/pages/LoanDetail.tsx"], line=50),
            unit("004.phase9", "004", SPECKIT, [], line=60),
        ),
        claims=(
            ParallelClaim("unit", ("004.US1", "004.US2"), None, "prose", f"{SPECKIT}:70"),
            ParallelClaim("task", ("T009", "T010"), "004.US1", "[P]", f"{SPECKIT}:44"),
        ),
    ),
)


def kiro_and_ccpm() -> list[PlanSource]:
    kiro = PlanSource(
        "kiro",
        "kiro",
        ".kiro/specs/tide",
        PlanReading(
            units=(
                unit(
                    "tide.3", "tide", ".kiro/specs/tide/tasks.md", ["rules.py"], 5, (), (), "kiro"
                ),
            )
        ),
    )
    ccpm = PlanSource(
        "ccpm",
        "ccpm",
        ".claude/epics/tide",
        PlanReading(
            units=(
                unit("tide.2", "tide", ".claude/epics/tide/2.md", ["a.py"], plan_format="ccpm"),
                unit(
                    "tide.3",
                    "tide",
                    ".claude/epics/tide/3.md",
                    ["b.py"],
                    depends_on=("tide.2",),
                    plan_format="ccpm",
                ),
            ),
            problems=(
                PlanProblem(
                    "bad YAML in the front matter", "fix it", ".claude/epics/tide/4.md", 3, "tide.4"
                ),
            ),
        ),
    )
    return [kiro, ccpm]


def catalog(plans: list[PlanSource], specs: tuple[SpecFile, ...] = ()) -> Catalog:
    return Catalog.build(specs, Config(), lambda: TrackedIndex.build(TRACKED), plans)


def test_a_unit_is_a_task_with_resolved_paths_and_provenance() -> None:
    found = spec_survey.survey(catalog([SPECKIT_PLAN]), ["004.US1"])
    assert not found.problems
    (task,) = found.tasks
    assert task.id == "004.US1" and task.title == "unit 004.US1"
    assert task.files == ("internal/loans/service.go",)  # the bare name resolved, once
    assert task.depends_on == ("004.phase1",)
    origin = task.origins[0]
    assert (origin.source, origin.line, origin.kind) == (SPECKIT, 40, "bare_name")
    assert found.units["004.US1"].unit.native_id == "US1"


def test_a_group_names_its_units_and_an_empty_unit_is_a_problem_with_its_line() -> None:
    found = spec_survey.survey(catalog([SPECKIT_PLAN]), ["004"])
    assert [task.id for task in found.tasks] == ["004.phase1", "004.US1", "004.US2"]
    assert found.unusable == ["004.phase9"]
    (problem,) = found.problems
    assert (problem.source, problem.line, problem.task) == (SPECKIT, 60, "004.phase9")
    assert "declares no files" in problem.message


def test_a_group_and_one_of_its_units_load_it_once() -> None:
    found = spec_survey.survey(catalog([SPECKIT_PLAN]), ["004.US2", "004"])
    assert [task.id for task in found.tasks].count("004.US2") == 1


def test_a_task_line_is_addressable() -> None:
    found = spec_survey.survey(catalog([SPECKIT_PLAN]), ["004.T010"])
    (task,) = found.tasks
    assert task.files == ("internal/loans/service.go",)
    assert task.origins[0].line == 45


def test_two_formats_giving_one_id_are_both_usable_with_their_short_name() -> None:
    plans = kiro_and_ccpm()
    found = spec_survey.survey(catalog(plans), ["tide.3"])
    assert found.unusable == ["tide.3"]
    assert "kiro.tide.3" in (found.problems[0].hint or "")
    assert "ccpm.tide.3" in (found.problems[0].hint or "")
    found = spec_survey.survey(catalog(plans), ["kiro.tide.3", "ccpm.tide.3"])
    assert [task.id for task in found.tasks] == ["kiro.tide.3", "ccpm.tide.3"]
    assert found.tasks[0].files == ("harbour/tides/rules.py",)
    assert found.tasks[1].depends_on == ("ccpm.tide.2",)  # the prefix carries over
    entries = spec_catalog.entries(catalog(plans))
    listed = [entry.id for entry in entries]
    assert {"kiro.tide.3", "ccpm.tide.3", "tide.2"} <= set(listed)


def test_a_group_two_formats_give_needs_the_prefix() -> None:
    found = spec_survey.survey(catalog(kiro_and_ccpm()), ["tide"])
    assert found.unusable == ["tide"]
    found = spec_survey.survey(catalog(kiro_and_ccpm()), ["ccpm.tide"])
    assert [task.id for task in found.tasks] == ["ccpm.tide.2", "ccpm.tide.3"]
    assert found.unusable == ["tide.4"]  # unreadable, and meant with its group
    assert [problem.line for problem in found.problems] == [3]


def test_a_unit_its_reader_could_not_read_names_file_and_line() -> None:
    found = spec_survey.survey(catalog(kiro_and_ccpm()), ["tide.4"])
    assert found.unusable == ["tide.4"]
    problem = found.problems[0]
    assert (problem.source, problem.line) == (".claude/epics/tide/4.md", 3)
    assert "bad YAML" in problem.message


def test_a_bad_plan_elsewhere_never_makes_a_named_unit_unusable() -> None:
    found = spec_survey.survey(catalog([SPECKIT_PLAN, *kiro_and_ccpm()]), ["004.US1"])
    assert not found.unusable and not found.problems
    found = spec_survey.survey(catalog([SPECKIT_PLAN, *kiro_and_ccpm()]), ["nothing.here"])
    assert found.unusable == ["nothing.here"]
    assert any("bad YAML" in problem.message for problem in found.problems)  # may be why


def test_a_legacy_spec_and_a_unit_with_one_id_are_both_named() -> None:
    spec = SpecFile("docs/SPEC-x.md", "---\nid: 004.US1\nfiles: [a.py]\n---\n")
    found = spec_survey.survey(catalog([SPECKIT_PLAN], (spec,)), ["004.US1"])
    assert found.unusable == ["004.US1"]
    assert "docs/SPEC-x.md" in found.problems[0].message
    assert f"{SPECKIT}:40" in found.problems[0].message


def test_parallel_with_comes_from_unit_claims() -> None:
    entries = {entry.id: entry for entry in spec_catalog.entries(catalog([SPECKIT_PLAN]))}
    assert entries["004.US1"].unit is not None
    assert entries["004.US1"].unit.parallel_with == ["004.US2"]
    assert entries["004.phase9"].problems and entries["004.phase9"].task is None


def test_legacy_depends_on_may_name_a_unit() -> None:
    spec = SpecFile("docs/SPEC-7-x.md", "---\nid: 7\nfiles: [a.py]\ndepends_on: [004.US1]\n---\n")
    (task,) = spec_survey.survey(catalog([SPECKIT_PLAN], (spec,)), ["7"]).tasks
    assert task.depends_on == ("004.US1",)


@pytest.mark.parametrize("name", ["004.", "..", "004..US1"])
def test_invalid_names_are_usage_errors(name: str) -> None:
    with pytest.raises(SpecError):
        spec_survey.survey(catalog([SPECKIT_PLAN]), [name])


def test_a_unit_id_no_branch_can_carry_is_a_problem_at_its_line() -> None:
    plan = PlanSource(
        "kiro",
        "kiro",
        ".kiro/specs/x",
        PlanReading(units=(unit("x y.1", "x", ".kiro/specs/x/tasks.md", ["a.py"], 7),)),
    )
    found = spec_survey.survey(catalog([plan]), ["x"])
    assert found.unusable == ["x y.1"] and not found.tasks
    (problem,) = found.problems
    assert "invalid task id" in problem.message and problem.source == ".kiro/specs/x/tasks.md"
