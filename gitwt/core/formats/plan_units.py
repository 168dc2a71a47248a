"""The records every plan-format reader returns (DESIGN §2, "Plans written by other tools").

A reader turns the files of one plan folder into units (what a parallel runner schedules as one
task), their task lines, the plan's own parallel claims and the problems it met. Paths stay
unresolved mentions here: the catalog resolves them against the files tracked at base
(`plan_index.resolve_mentions`), so a reader never needs git. Pure: plain frozen data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gitwt.core.legacy_tokens import Mention
from gitwt.core.provenance import Ignored

UNIT, TASK = "unit", "task"  # ParallelClaim.level
OPEN, DONE, IN_PROGRESS, BLOCKED, DEFERRED = "open", "done", "in_progress", "blocked", "deferred"
STATUSES = (OPEN, DONE, IN_PROGRESS, BLOCKED, DEFERRED)


@dataclass(frozen=True)
class PlanMention:
    """A path mention with the plan file it was read in (a unit may span several files)."""

    source: str  # repo-relative plan file
    mention: Mention  # as `path_mentions.mentions_in` found it (line is in `source`)
    note: str = ""  # how the reader came to it, e.g. "_Boundary: TideRules_ via design.md"


@dataclass(frozen=True)
class PlanTask:
    """A task line inside a unit: `- [ ] T012 [P] [US1] ...`, `- [ ] 2.1 (P) ...`, a subtask."""

    id: str  # gitwt id: `004.T012`, `tide-alerts.2.1`, `tm.7.2`
    native_id: str  # the plan's own: `T012`, `2.1`, `7.2`
    unit: str  # the gitwt id of its unit
    title: str
    source: str
    line: int
    mentions: tuple[PlanMention, ...] = ()
    depends_on: tuple[str, ...] = ()  # gitwt ids, the effective order (the tool's rules applied)
    parallel: str | None = None  # the marker on the line: `[P]`, `(P)`, or None
    done: bool = False


@dataclass(frozen=True)
class PlanUnit:
    """One unit: a spec-kit phase, a Kiro top-level task, a ccpm task file, a GSD plan, ..."""

    id: str  # gitwt id: `004.US1`, `tide-alerts.3`, `invoice-export.101`, `tm.7`, `gsd.03-01`
    native_id: str  # `US1`, `3`, `101`, the change, `7`, `03-01`
    format: str  # the reader's name (`PlanFormat.name`)
    group: str  # `004`, `tide-alerts`, `invoice-export`, `gsd.03`, ...
    title: str
    source: str  # the file (repo-relative) that defines the unit
    line: int  # 1-based line of its heading or first line; 1 for a whole file
    mentions: tuple[PlanMention, ...] = ()  # all its paths, its task lines' included
    depends_on: tuple[str, ...] = ()  # gitwt ids, the effective order
    tasks: tuple[PlanTask, ...] = ()
    status: str = OPEN  # one of STATUSES
    owner: str | None = None
    files: tuple[str, ...] = ()  # the plan files that hold its bookkeeping (issue 25)
    aliases: tuple[str, ...] = ()  # other gitwt ids naming it (ccpm: `shop.001`, its issue number)
    conflicts_with: tuple[str, ...] = ()  # gitwt ids the plan says must not run beside it


@dataclass(frozen=True)
class ParallelClaim:
    """The plan says two units (or two task lines of one unit) may run side by side.

    Whether it holds is judged later from resolved declarations (`formats.claims`).
    """

    level: str  # UNIT or TASK
    between: tuple[str, str]  # gitwt unit ids (unit level); the plan's task ids (task level)
    unit: str | None  # task level: the gitwt id of the unit the lines are in
    marker: str  # `[P]`, `(P)`, `parallel: true`, `wave`, `prose`
    source: str  # `file:line` of the line that makes the claim


@dataclass(frozen=True)
class PlanProblem:
    """A plan that cannot be read as written (the catalog shows it like a SpecProblem)."""

    message: str
    hint: str | None
    source: str
    line: int = 0
    unit: str | None = None  # the gitwt id it makes unusable, when one


@dataclass(frozen=True)
class PlanReading:
    units: tuple[PlanUnit, ...] = ()
    claims: tuple[ParallelClaim, ...] = ()
    problems: tuple[PlanProblem, ...] = ()
    ignored: tuple[Ignored, ...] = ()


@dataclass(frozen=True)
class PlanFormat:
    """One tool's reader: one module in this package, one line in `formats.FORMATS`."""

    name: str  # `spec-kit`, `kiro`, `ccpm`, `openspec`, `taskmaster`, `gsd`
    short: str  # id prefix when two formats give one id (`kiro.tide.3`)
    layouts: tuple[str, ...]  # repo-relative globs of the files it reads
    plan_of: Callable[[str], str | None]  # the plan folder a file belongs to, else None
    read: Callable[[Mapping[str, str]], PlanReading]  # one plan folder's paths and texts
    # A file of the layouts that names a plan folder kept elsewhere (spec-kit's
    # `.specify/feature.json`): (path, text) -> that folder, with a trailing '/', else None.
    points_to: Callable[[str, str], str | None] | None = None
