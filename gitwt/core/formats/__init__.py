"""Plans written by other tools (DESIGN §2): one module per format, one table of them.

Each module exposes `FORMAT`, a `plan_units.PlanFormat`: text in, units out; no I/O, no git.
A new format is one module and one line in `FORMATS`. The planner, the hook and the merge audit
never look here: they see tasks, built from these units by the catalog.
"""

from __future__ import annotations

from gitwt.core.formats import ccpm, gsd, kiro, openspec, speckit, taskmaster
from gitwt.core.formats.plan_units import PlanFormat

FORMATS: tuple[PlanFormat, ...] = (
    speckit.FORMAT,
    kiro.FORMAT,
    ccpm.FORMAT,
    openspec.FORMAT,
    taskmaster.FORMAT,
    gsd.FORMAT,
)
