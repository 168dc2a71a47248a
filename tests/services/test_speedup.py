"""The measured speedup counts the tasks that ran and did not fail, from one second of run time."""

from __future__ import annotations

from typing import Any

from gitwt.services.tasks.status import speedup


def ran(start: float, end: float, code: int | None = 0, child: float = 0) -> dict[str, Any]:
    ended = {"code": code, "signal": None, "ended_at": 100 + end}
    return {
        "command": ["x"],
        "started_at": 100 + start,
        "ended_at": 100 + end,
        "exit": ended,
        "child": {"pid": 1, "create_time": 100 + (child or start)},
    }


def test_two_overlapping_tasks_give_their_ratio() -> None:
    assert speedup([ran(0, 10), ran(0, 10)]) == 2.0


def test_failed_tasks_do_not_count() -> None:
    assert speedup([ran(0, 10), ran(0, 10, code=1)]) is None  # one task left: nothing to compare
    assert speedup([ran(0, 10), ran(0, 10), ran(0, 30, code=None)]) == 2.0  # lost: not counted


def test_less_than_a_second_of_command_time_measures_nothing() -> None:
    assert speedup([ran(0, 0.3), ran(0, 0.3)]) is None
    # Start-up (the shim, setup) is not the command: `true` after 2 s of setup is trivial.
    assert speedup([ran(0, 2.2, child=2.0), ran(0, 2.2, child=2.0)]) is None
