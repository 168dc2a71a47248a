"""OpenSpec: one unit per change folder `openspec/changes/<change>/` (DESIGN §2).

The grammar is OpenSpec's change scaffold: `tasks.md` (numbered `## N. Group` headings over
`- [ ] N.M ...` check boxes), `proposal.md` (`## Why`, `## What Changes`, `## Impact`),
`design.md` and `.openspec.yaml` (`affected_areas`). Paths come from the task lines, the Impact
section, the design's sections except those that only give context (Context, Goals / Non-Goals,
Risks / Trade-offs, Open Questions, Alternatives), and the affected areas that are paths.
`archive/` holds finished changes and is not read; a change's `specs/` deltas are requirements,
not files. A project config whose `store:` names a store keeps its planning in another
repository: that is reported, so `specs` does not find nothing without a word. Status comes from
the check boxes. OpenSpec has no dependencies and no parallel marker. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from gitwt.core import front_matter, lazy_regex
from gitwt.core.formats import plan_text
from gitwt.core.formats.layouts import LAYOUTS, OPENSPEC_CONFIG
from gitwt.core.formats.plan_text import Collected
from gitwt.core.formats.plan_units import (
    DONE,
    IN_PROGRESS,
    OPEN,
    PlanFormat,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanUnit,
)
from gitwt.core.legacy_specs import NEGATIVE, heading_kind
from gitwt.core.provenance import Ignored
from gitwt.core.task_ids import is_task_id

NAME = "openspec"
ROOT = "openspec/"  # the planning folder: its files are bookkeeping, never a task's work
CONFIG = OPENSPEC_CONFIG
_FILE = lazy_regex.compile(
    r"^openspec/changes/(?P<change>[^/]+)/(?P<name>tasks\.md|proposal\.md|design\.md|\.openspec\.yaml)$"
)
NOT_CHANGES = frozenset({"archive"})
_IMPACT = lazy_regex.compile(r"^impact\b", re.IGNORECASE)
_DESIGN_SKIPPED = lazy_regex.compile(r"^(?:alternatives?|goals?\b)", re.IGNORECASE)
_CREATES = lazy_regex.compile(r"\b(?:new|creates?|add(?:s|ed)?)\b", re.IGNORECASE)
STORE_ELSEWHERE = "planning kept elsewhere"


def plan_of(path: str) -> str | None:
    if path == CONFIG:
        return CONFIG
    found = _FILE.match(path)
    if found is None or found.group("change") in NOT_CHANGES:
        return None
    return f"openspec/changes/{found.group('change')}"


def read(files: Mapping[str, str]) -> PlanReading:
    reading = Collected()
    changes: dict[str, dict[str, str]] = {}
    for path in sorted(files):
        found = _FILE.match(path)
        if found is not None and found.group("change") not in NOT_CHANGES:
            changes.setdefault(found.group("change"), {})[found.group("name")] = files[path]
    if CONFIG in files:
        _store(files[CONFIG], reading)
    for change, texts in changes.items():
        _change(change, texts, reading)
    return reading.reading()


def _store(text: str, reading: Collected) -> None:
    """`store: <id>` in the project config: the changes live in that store, not here."""
    try:
        data, keys, _ = front_matter.load_document(text, CONFIG, strings=True)
    except front_matter.FrontMatterError as error:
        reading.problems.append(plan_text.front_matter_problem(error, CONFIG, None))
        return
    store = data.get("store") if isinstance(data, dict) else None
    if isinstance(store, str) and store.strip():
        line = keys.get("store", 1)
        reading.problems.append(
            PlanProblem(
                f"{STORE_ELSEWHERE}: {CONFIG} says OpenSpec keeps this project's changes in "
                f"the store {store.strip()!r}, so openspec/changes/ here may not hold them",
                "read the changes where the store is checked out, or declare the task's files "
                "in a spec with front matter",
                CONFIG,
                line,
            )
        )


def _change(change: str, texts: dict[str, str], reading: Collected) -> None:
    folder = f"openspec/changes/{change}"
    if not is_task_id(change):
        reading.problems.append(
            PlanProblem(
                f"OpenSpec change {change!r} cannot be a task id: ids use letters, digits, "
                "'.', '_' and '-'",
                "rename the change folder in kebab-case, as 'openspec new change' does",
                folder,
            )
        )
        return
    mentions: list[PlanMention] = []
    boxes: list[bool] = []
    if "tasks.md" in texts:
        mentions += _tasks(texts["tasks.md"], f"{folder}/tasks.md", boxes, reading)
    if "proposal.md" in texts:
        mentions += _sections(texts["proposal.md"], f"{folder}/proposal.md", _impact, reading)
    if "design.md" in texts:
        mentions += _sections(texts["design.md"], f"{folder}/design.md", _design, reading)
    if ".openspec.yaml" in texts:
        mentions += _areas(texts[".openspec.yaml"], f"{folder}/.openspec.yaml", reading)
    status = DONE if boxes and all(boxes) else IN_PROGRESS if any(boxes) else OPEN
    reading.units.append(
        PlanUnit(
            id=change,
            native_id=change,
            format=NAME,
            group=change,
            title=_title(texts.get("proposal.md", ""), change),
            source=f"{folder}/{'tasks.md' if 'tasks.md' in texts else next(iter(texts))}",
            line=1,
            mentions=tuple(mentions),
            status=status,
            files=(f"{folder}/tasks.md",),
        )
    )


def _title(proposal: str, change: str) -> str:
    for line in plan_text.markdown_lines(proposal):
        if line.heading == 1:
            return re.sub(r"^(?:Change|Proposal)\s*:\s*", "", line.title).strip() or change
    return change


def _tasks(text: str, source: str, boxes: list[bool], reading: Collected) -> list[PlanMention]:
    """The check-box lines of tasks.md (their boxes give the status)."""
    mentions: list[PlanMention] = []
    for line in plan_text.markdown_lines(text):
        item = plan_text.list_item(line.text)
        if item is None:
            continue
        words, box = item
        if box is not None:
            boxes.append(box)
        found, ignored = plan_text.declared_or_ignored(
            words, source, line.number, creates=bool(_CREATES.search(words)), root=ROOT
        )
        mentions += found
        reading.ignored.extend(ignored)
    return mentions


def _impact(headings: list[tuple[int, str]]) -> bool:
    return any(_IMPACT.match(text.strip()) for _, text in headings)


def _design(headings: list[tuple[int, str]]) -> bool:
    return not any(
        heading_kind(text) == NEGATIVE or _DESIGN_SKIPPED.match(text.strip())
        for _, text in headings
    )


def _sections(
    text: str,
    source: str,
    wanted: Callable[[list[tuple[int, str]]], bool],
    reading: Collected,
) -> list[PlanMention]:
    """Paths of the lines under the headings `wanted` accepts."""
    mentions: list[PlanMention] = []
    headings: list[tuple[int, str]] = []
    for line in plan_text.markdown_lines(text):
        if line.heading:
            while headings and headings[-1][0] >= line.heading:
                headings.pop()
            headings.append((line.heading, line.title))
            continue
        if not wanted(headings):
            continue
        item = plan_text.list_item(line.text)
        words = item[0] if item is not None else line.text
        found, ignored = plan_text.declared_or_ignored(
            words, source, line.number, creates=bool(_CREATES.search(words)), root=ROOT
        )
        mentions += found
        reading.ignored.extend(ignored)
    return mentions


def _areas(text: str, source: str, reading: Collected) -> list[PlanMention]:
    """`affected_areas` entries that are paths (`auth` names an area, `src/auth/` a folder)."""
    try:
        data, keys, items = front_matter.load_document(text, source, strings=True)
    except front_matter.FrontMatterError as error:
        reading.problems.append(plan_text.front_matter_problem(error, source, None))
        return []
    lines = items.get("affected_areas", [])
    areas = data.get("affected_areas") if isinstance(data, dict) else None
    mentions: list[PlanMention] = []
    line = keys.get("affected_areas", 1)
    listed = plan_text.as_strings(areas, "affected_areas", source, line, reading.problems)
    for index, area in enumerate(listed):
        line = lines[index] if index < len(lines) else 1
        found, ignored = plan_text.mentions(area, source, line, note="affected_areas", root=ROOT)
        mentions += found
        reading.ignored.extend(ignored)
        if not found and not ignored:
            reason = "an area name, not a path (write a folder as 'src/auth/')"
            reading.ignored.append(Ignored(area, source, line, reason))
    return mentions


FORMAT = PlanFormat(
    name=NAME,
    short=NAME,
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
)
