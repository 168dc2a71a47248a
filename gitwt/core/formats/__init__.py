"""Plans written by other tools (DESIGN §2): one module per format, one table of them.

Each module exposes `FORMAT`, a `plan_units.PlanFormat`: text in, units out; no I/O, no git.
A new format is one module and one line in `FORMATS`. The planner, the hook and the merge audit
never look here: they see tasks, built from these units by the catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanFormat

    FORMATS: tuple[PlanFormat, ...]


def __getattr__(name: str) -> object:
    """`FORMATS`, loaded on first use: importing one module of this package (`plan_units`,
    `layouts`) loads no reader; `formats.layouts` finds plans without them."""
    if name != "FORMATS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from gitwt.core.formats import ccpm, gsd, kiro, openspec, speckit, taskmaster

    table = (
        speckit.FORMAT,
        kiro.FORMAT,
        ccpm.FORMAT,
        openspec.FORMAT,
        taskmaster.FORMAT,
        gsd.FORMAT,
    )
    globals()["FORMATS"] = table
    return table
