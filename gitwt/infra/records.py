"""Task records (`parallel/tasks/<id>.json` under the common git dir): the task states, what
"live" means, and the one way to read records. Stdlib only and light (`json` is imported when a
record is read): the commit hooks read records through this module, `gitwt.infra.state` writes
them under the lock.

An unreadable record is an error naming its file, for every reader: skipping it would hide a
live task from the checks that protect its paths (fail closed).
"""

from __future__ import annotations

import os

from gitwt.errors import GitParallelError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitwt.infra.task_record import TaskRecord

STATE_DIR = "parallel"

# Task states (DESIGN §4)
QUEUED, RUNNING, SUCCEEDED, FAILED, STOPPED, LOST, OPEN = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "stopped",
    "lost",
    "open",
)
MERGED, CONFLICTED, REJECTED, CLEANED = "merged", "conflicted", "rejected", "cleaned"
# A task is live until it is merged or cleaned: its worktree, branch and declaration still count.
# A state this version does not know counts as live (fail closed).
ENDED_STATES = frozenset({MERGED, CLEANED})


def has_ended(record: TaskRecord) -> bool:
    """The one definition of "ended": merged or cleaned (a record without a state has not)."""
    return record.get("state") in ENDED_STATES


def merged_by_gitwt(record: TaskRecord) -> bool:
    """`merge` brought the task home: it is merged, or was cleaned after its merge (a cleaned
    record keeps its merge outcome). A task cleaned without a merge was not."""
    if record.get("state") == MERGED:
        return True
    return has_ended(record) and (record.get("merge") or {}).get("result") == MERGED


def is_live(record: TaskRecord | None) -> bool:
    """The one definition of "live": a record with a state that is not an ended one."""
    return record is not None and record.get("state") is not None and not has_ended(record)


class StateError(GitParallelError):
    pass


def state_dir(common_dir: str) -> str:
    return os.path.join(common_dir, STATE_DIR)


def task_path(common_dir: str, task_id: str) -> str:
    return os.path.join(state_dir(common_dir), "tasks", f"{task_id}.json")


def read_task(common_dir: str, task_id: str) -> TaskRecord | None:
    """One task's record; None when there is none; StateError when it cannot be read."""
    import json

    path = task_path(common_dir, task_id)
    try:
        with open(path, encoding="utf-8") as handle:
            data: TaskRecord = json.load(handle)  # its shape: checked by the readers
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(
            f"state file {path} is unreadable: {exc}",
            "move it aside; 'git parallel status' rebuilds what it can",
        ) from exc
    if not isinstance(data, dict):
        raise StateError(
            f"state file {path} is not a JSON object",
            "move it aside; 'git parallel status' rebuilds what it can",
        )
    return data


def all_tasks(common_dir: str) -> dict[str, TaskRecord]:
    """Every task's record by id (its file name), in file name order."""
    folder = os.path.join(state_dir(common_dir), "tasks")
    try:
        names = sorted(name for name in os.listdir(folder) if name.endswith(".json"))
    except FileNotFoundError:
        return {}
    found: dict[str, TaskRecord] = {}
    for name in names:
        data = read_task(common_dir, name[: -len(".json")])
        if data is not None:
            found[name[: -len(".json")]] = data
    return found


def live_tasks(common_dir: str) -> dict[str, TaskRecord]:
    return {key: record for key, record in all_tasks(common_dir).items() if is_live(record)}
