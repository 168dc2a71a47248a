"""Options shared by several commands."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gitwt.infra.config import LOCAL_VARIABLE

F = TypeVar("F", bound=Callable[..., Any])

# `start` and `batch` take the same two options, with the same words.
run_option = click.option(
    "--run",
    "run_command",
    metavar="CMD",
    help="Run CMD in each task worktree ({id}, {worktree}, {spec} are replaced).",
)
max_option = click.option(
    "--max",
    "max_instances",
    type=click.IntRange(min=1),
    metavar="N",
    help="Run at most N task commands at once (default: config max_instances).",
)

# `start --next` and `batch --next`: the set `git parallel next` picks, instead of IDS.
next_option = click.option(
    "--next",
    "use_next",
    is_flag=True,
    help="Run what 'git parallel next' picks: the open units that can run together now.",
)

# `plan --task-lines` shows the waves `batch --task-lines` runs.
task_lines_option = click.option(
    "--task-lines",
    is_flag=True,
    help="Each named plan unit stands for its open task lines ('004' or '004.US1': T007, "
    "T008...), in waves by the plan's own order and the parallel claims that hold; two lines "
    "that change one path go in successive waves, and the report says why.",
)

# Checked by the service, not by click: an unknown name is git parallel's error with its hint.
agent_option = click.option(
    "--agent",
    metavar="NAME",
    help="Wire this agent into each task worktree: its hooks and a note telling it its task "
    "(claude, gemini; default: config agent).",
)


def local_option(command: F) -> F:
    """Add `--local`: run on this machine alone, without the team registry, and say so."""

    @click.option(
        "--local",
        is_flag=True,
        help="Team mode off for this run: other machines' tasks are not consulted.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, local: bool, **kwargs: Any) -> Any:
        if local:
            # An environment variable, so that what this command spawns (shims) agrees.
            os.environ[LOCAL_VARIABLE] = "1"
            click.echo(
                "git parallel: warning: --local: tasks of other machines are not consulted",
                err=True,
            )
        return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
