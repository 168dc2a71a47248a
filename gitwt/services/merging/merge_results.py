"""The result types of a merge and how a task's outcome is recorded (DESIGN §6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from gitwt.infra import state
from gitwt.infra.git_output import LineCount
from gitwt.infra.task_record import ViolationRecord
from gitwt.services.context import Context

MERGED, CONFLICTED, REJECTED, FAILED, SKIPPED, CLEAN = (
    "merged",
    "conflicted",
    "rejected",
    "failed",
    "skipped",
    "clean",
)
MAX_ATTEMPTS = 5  # base moved under us this often: give up on the task for this run


class TaskResultJson(TypedDict):
    """One task in `merge --json` (`results`)."""

    id: str
    result: str
    commit: str | None
    paths: list[str]
    reason: str
    violations: list[ViolationRecord]
    lines: dict[str, LineCount]
    log: str | None


@dataclass
class TaskResult:
    id: str
    result: str
    commit: str | None = None
    paths: list[str] = field(default_factory=list)
    reason: str = ""
    violations: list[ViolationRecord] = field(default_factory=list)
    lines: dict[str, LineCount] = field(default_factory=dict)
    log: str | None = None

    def to_json(self) -> TaskResultJson:
        return {
            "id": self.id,
            "result": self.result,
            "commit": self.commit,
            "paths": self.paths,
            "reason": self.reason,
            "violations": self.violations,
            "lines": self.lines,
            "log": self.log,
        }


@dataclass
class MergeReport:
    base: str
    old: str | None
    new: str | None
    dry_run: bool
    results: list[TaskResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        wanted = CLEAN if self.dry_run else MERGED
        return all(result.result == wanted for result in self.results)


def record_outcome(context: Context, task_id: str, **changes: Any) -> None:
    """Write the task's new state and merge details, and log a merge event."""
    state.update_task(context.repo.common_dir, task_id, **changes)
    state.append_event(
        context.repo.common_dir,
        "merge",
        task=task_id,
        result=changes.get("state"),
        commit=(changes.get("merge") or {}).get("commit"),
    )
