"""The detached processes `start` leaves behind, as command lines:

    python -m gitwt.cli.task_process COMMON_DIR TASK_ID    the task runner of one task
    python -m gitwt.cli.task_process --wait TOPLEVEL       the queue waiter

Parse, call the service (`services.task_runner`, `services.scheduler`), print what it returns:
stdout is the task's log, so an auto-merge's report is written there as `merge` prints it.
"""

from __future__ import annotations

import sys
from typing import Any


def _show_merge(result: Any) -> None:
    from gitwt.cli import inert_output, merge_report

    inert_output.install(sys.stdout)
    merge_report.merge_text(result, sys.stdout)
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--wait":
        from gitwt.services.tasks.scheduler import wait_loop

        return wait_loop(args[1])
    if len(args) != 2:
        sys.stderr.write(
            "usage: python -m gitwt.cli.task_process COMMON_DIR TASK_ID | --wait TOPLEVEL\n"
        )
        return 2
    from gitwt.services.tasks.task_runner import run_task

    return run_task(args[0], args[1], show_merge=_show_merge)


if __name__ == "__main__":
    raise SystemExit(main())
