"""What a task id may be (DESIGN §1): one definition for specs, plan readers and the server hook.

A task id becomes a branch name (`parallel/{id}`), a worktree folder and a state file name:
bounded well under the 255 bytes a file name may hold, and no component git refuses. Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ID_LENGTH = 100
TASK_ID = re.compile(
    rf"(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID_LENGTH - 1}}}(?<!\.)"
)


def is_task_id(text: str) -> bool:
    return TASK_ID.fullmatch(text) is not None


@lru_cache(maxsize=65536)  # separation.pair() asks for the same few hundred ids over and over
def natural_key(task_id: str) -> tuple[tuple[int, int | str], ...]:
    """Sort '2' before '10' and keep mixed ids in a stable order."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", task_id)
        if part
    )
