"""Every git call that shows changes says --ignore-submodules=none (issue 20, class 2)."""

from __future__ import annotations

import pytest

from gitwt.hook.git_runner import diff_args
from gitwt.infra.real_objects import ALL_SUBMODULES, seeing_submodules


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["diff", "--cached"], ["diff", ALL_SUBMODULES, "--cached"]),
        (
            ["-c", "core.quotePath=false", "diff", "-M"],
            ["-c", "core.quotePath=false", "diff", ALL_SUBMODULES, "-M"],
        ),
        (["-C", "/x", "status", "-z"], ["-C", "/x", "status", ALL_SUBMODULES, "-z"]),
        (["diff-tree", "--stdin"], ["diff-tree", ALL_SUBMODULES, "--stdin"]),
        (["log", "-z"], ["log", ALL_SUBMODULES, "-z"]),
        (["rev-parse", "HEAD"], ["rev-parse", "HEAD"]),
        (["status", "--ignore-submodules=none"], ["status", "--ignore-submodules=none"]),
        ([], []),
    ],
)
def test_the_runner_adds_the_flag_to_every_command_that_shows_changes(
    args: list[str], expected: list[str]
) -> None:
    assert seeing_submodules(args) == expected


def test_the_hooks_diff_says_it_too() -> None:
    assert ALL_SUBMODULES in diff_args(cached=True)
    assert seeing_submodules(diff_args("a", "b")) == diff_args("a", "b")
