"""Text reports of `wait` and `batch` (their JSON is the API results' `to_json()`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from gitwt.cli.merge_report import merge_text
from gitwt.cli.report import duration, paint

if TYPE_CHECKING:
    from gitwt.services.tasks.batch import BatchReport
    from gitwt.services.tasks.waiting import WaitReport


def _when(stamp: str | None) -> str:
    return (stamp or "-").replace("T", " ")


def wait_text(result: WaitReport, stream: TextIO = sys.stdout) -> None:
    if not result.tasks:
        stream.write("nothing to wait for: no task is queued or running\n")
        return
    for task in result.tasks:
        colour = (
            "green" if task.ok else ("yellow" if task.state in ("queued", "running") else "red")
        )
        how = (
            f"signal {task.exit_signal}"
            if task.exit_signal
            else ("-" if task.exit_code is None else f"exit {task.exit_code}")
        )
        stream.write(
            f"  {task.id}  {paint(f'{task.state:<10}', colour, stream)} {how:<8} "
            f"{duration(task.runtime)}\n"
        )
    data = result.to_json()
    summary = (
        f"{result.completed} completed, {result.failed} failed"
        + (f", {result.pending} not ended" if result.pending else "")
        + f" of {len(result.tasks)} in {duration(result.duration)}"
        + f" ({_when(data['start_time'])} to {_when(data['end_time'])})"
    )
    if result.timed_out:
        summary = "timed out: " + summary
    stream.write(paint(summary, "green" if result.ok else "red", stream) + "\n")


def batch_text(result: BatchReport, stream: TextIO = sys.stdout) -> None:
    data = result.to_json()
    stream.write(f"batch of {len(result.ids)} task(s) on {result.base}\n")
    if result.expansion is not None:
        for unit, why in result.expansion.whole.items():
            stream.write(f"{unit} runs whole: {why}\n")
        for line, why in result.expansion.unit_wide.items():
            stream.write(f"{line} {why}\n")
        if result.expansion.done:
            stream.write(f"not run (ticked done): {' '.join(result.expansion.done)}\n")
    for held in result.held_apart:
        stream.write(f"held apart: {held.reason()}\n")
    if len(result.waves) > 1:
        waves = " | ".join(" ".join(wave) for wave in result.waves)
        stream.write(f"waves: {waves}\n")
    wait_text(result.waited, stream)
    if result.merged is not None:
        merge_text(result.merged, stream)
    for task_id in result.cleaned:
        stream.write(f"cleaned {task_id}: it failed and left no work\n")
    for task_id, why in result.kept.items():
        stream.write(f"kept {task_id}: {why}\n")
    if result.not_run:
        stream.write(f"not run (an earlier wave did not merge): {' '.join(result.not_run)}\n")
    monitoring = data["monitoring_result"]
    speedup = f", speedup {result.speedup:.2f}x" if result.speedup else ""
    line = (
        f"{'success' if result.success else 'not every task merged'}: "
        f"{monitoring['completed']} of {monitoring['total']} succeeded, "
        f"{sum(1 for value in result.merge_results.values() if value == 'merged')} merged, "
        f"{result.worktrees_created} worktree(s) in {duration(result.duration)}{speedup}"
    )
    stream.write(paint(line, "green" if result.success else "red", stream) + "\n")
