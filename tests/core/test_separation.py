from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core.ownership import parse
from gitwt.core.separation import CycleError, plan
from gitwt.core.specs import Task


def task(
    task_id: str, *files: str, owner: str | None = None, depends_on: tuple[str, ...] = ()
) -> Task:
    return Task(id=task_id, title=task_id, owner=owner, files=files, depends_on=depends_on)


TRACKED = ["src/a/x.py", "src/a/y.py", "src/b/z.py", "docs/guide.md", "README.md"]


def test_independent_tasks_are_valid_and_share_a_wave() -> None:
    result = plan([task("65", "src/a/**"), task("66", "src/b/")], TRACKED)
    assert result.valid
    assert result.conflicts == []
    assert result.independent_pairs == [("65", "66")]
    assert result.waves == [["65", "66"]]
    assert result.matched_files == {"65": ["src/a/x.py", "src/a/y.py"], "66": ["src/b/z.py"]}


def test_a_tracked_file_matched_by_both_is_a_conflict() -> None:
    result = plan([task("65", "src/a/**"), task("66", "src/a/y.py", "docs/")], TRACKED)
    assert not result.valid
    [conflict] = result.conflicts
    assert conflict.tasks == ("65", "66")
    assert conflict.paths == ["src/a/y.py"]
    assert conflict.patterns == [("src/a/**", "src/a/y.py")]
    assert result.waves == [["65"], ["66"]]


def test_a_declared_new_file_is_a_witness() -> None:
    result = plan([task("1", "new/module.py"), task("2", "new/*.py")], TRACKED)
    [conflict] = result.conflicts
    assert conflict.paths == ["new/module.py"]


def test_globs_with_no_file_yet_still_conflict_with_an_example() -> None:
    result = plan([task("1", "pkg/**"), task("2", "pkg/sub/*.rs")], TRACKED)
    [conflict] = result.conflicts
    assert conflict.paths == []
    assert conflict.patterns == [("pkg/**", "pkg/sub/*.rs")]
    assert conflict.examples and conflict.examples[0].startswith("pkg/sub/")


def test_nested_prefixes_that_cannot_match_one_path_are_independent() -> None:
    result = plan([task("1", "pkg/a/*.py"), task("2", "pkg/*.md")], TRACKED)
    assert result.valid


def test_dependencies_order_tasks_and_waves() -> None:
    result = plan(
        [task("3", "c", depends_on=("1",)), task("1", "a"), task("2", "b")],
        TRACKED,
        max_instances=2,
    )
    assert result.order == ["1", "2", "3"]
    assert result.waves == [["1", "2"], ["3"]]
    assert ("1", "3") not in result.independent_pairs


def test_waves_respect_max_instances() -> None:
    tasks = [task(str(number), f"f{number}") for number in range(1, 6)]
    assert plan(tasks, [], max_instances=2).waves == [["1", "2"], ["3", "4"], ["5"]]


def test_zero_padded_dependencies_name_the_same_task(tmp_path) -> None:
    from gitwt.infra.config import Config
    from tests.core.specs_on_disk import find_tasks

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/SPEC-064-a.md").write_text("---\nfiles: [a]\n---\n")
    (tmp_path / "docs/SPEC-65-b.md").write_text("---\nfiles: [b]\ndepends_on: ['064']\n---\n")
    tasks = find_tasks(str(tmp_path), Config(), ["65", "64"])
    result = plan(tasks, [])
    assert result.waves == [["64"], ["65"]]
    assert result.independent_pairs == []


def test_dependency_cycle_is_an_input_error() -> None:
    with pytest.raises(CycleError) as caught:
        plan([task("1", "a", depends_on=("2",)), task("2", "b", depends_on=("1",))], [])
    assert caught.value.exit_code == 2
    assert "1 → 2" in caught.value.message


def test_ownership_problems() -> None:
    owners = parse("* @lead\nsrc/a/ @alice\nsrc/b/ @bob\nvendor/\n", "CODEOWNERS")
    result = plan(
        [
            task("1", "src/a/**", owner="alice"),
            task("2", "src/b/", "src/a/x.py", owner="@bob"),
            task("3", "vendor/lib.c", owner="alice"),
            task("4", "x.py"),
        ],
        TRACKED,
        ownership=owners,
        unowned="deny",
    )
    problems = {(problem.task, problem.kind): problem for problem in result.problems}
    assert problems["2", "ownership"].paths == ["src/a/x.py"]
    assert problems["3", "ownership"].paths == ["vendor/lib.c"]  # unowned, and unowned is denied
    assert ("4", "owner") in problems  # a map exists but the task names no owner
    assert ("1", "ownership") not in problems
    assert not result.valid


# --- properties: the check is symmetric and independent of the order tasks are given in -------

pattern_pool = st.sampled_from(
    [
        "src/a/**",
        "src/a/x.py",
        "src/*.py",
        "src/b/",
        "docs/*",
        "**/x.py",
        "new/f.py",
        "new/*",
        "README.md",
        "src",
        "lib/**/*.rs",
        "lib/core/mod.rs",
    ]
)
task_lists = st.lists(
    st.lists(pattern_pool, min_size=1, max_size=3, unique=True), min_size=1, max_size=6
).map(lambda declarations: [task(str(i + 1), *files) for i, files in enumerate(declarations)])


@settings(max_examples=150, deadline=None)
@given(task_lists, st.randoms(use_true_random=False))
def test_plan_is_symmetric_and_order_independent(tasks: list[Task], random) -> None:
    shuffled = list(tasks)
    random.shuffle(shuffled)
    first, second = plan(tasks, TRACKED), plan(shuffled, TRACKED)
    assert [c.tasks for c in first.conflicts] == [c.tasks for c in second.conflicts]
    assert [c.paths for c in first.conflicts] == [c.paths for c in second.conflicts]
    assert first.waves == second.waves
    assert first.independent_pairs == second.independent_pairs
    conflicting = {c.tasks for c in first.conflicts}
    for pair in first.independent_pairs:
        assert pair not in conflicting
    # every task lands in exactly one wave, and no wave holds a conflicting pair
    placed = [task_id for wave in first.waves for task_id in wave]
    assert sorted(placed) == sorted(t.id for t in tasks)
    for wave in first.waves:
        assert not any((a, b) in conflicting for a in wave for b in wave)
