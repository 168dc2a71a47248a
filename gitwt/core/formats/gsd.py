"""GSD (get-shit-done): one unit per `.planning/phases/<NN-name>/<NN>-<MM>-PLAN.md` (DESIGN §2).

The grammar is GSD's phase-prompt template: front matter `wave`, `depends_on` (plan ids, `"03-01"`
or `"01"` within the phase), `files_modified` (the declaration) and `<task>` elements whose
`<files>` name what each task touches. A task's file that `files_modified` lacks is declared (the
task will change it) and reported: GSD's wave grouping reads only `files_modified`. Plans of one
phase with the same `wave` claim to run side by side. A plan is done when its SUMMARY exists
beside it; that SUMMARY is the plan's own bookkeeping. Plan ids `gsd.03-01`, phase `gsd.03`;
slugged plan names (`07-01-cherry-pick-PLAN.md`) and decimal phases (`02.1-...`) are read too.
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gitwt.core import front_matter, lazy_regex, patterns
from gitwt.core.formats import plan_text
from gitwt.core.formats.layouts import LAYOUTS
from gitwt.core.formats.plan_text import Collected
from gitwt.core.formats.plan_units import (
    DONE,
    OPEN,
    UNIT,
    ParallelClaim,
    PlanFormat,
    PlanMention,
    PlanProblem,
    PlanReading,
    PlanUnit,
)

NAME = "gsd"
ROOT = ".planning/"  # the planning folder: its files are bookkeeping, never a task's work
MARKER = "wave"
_PHASE, _NUMBER = r"[0-9]{1,4}(?:\.[0-9]{1,4})?", r"[0-9]{1,4}[A-Za-z]?"  # `02.1`, `02B`
_FILE = lazy_regex.compile(
    rf"^\.planning/phases/(?P<dir>[^/]+)/(?P<phase>{_PHASE})-(?P<plan>{_NUMBER})"
    r"(?P<slug>(?:-[A-Za-z][A-Za-z0-9]*)*?)-(?P<kind>PLAN|SUMMARY)\.md$"
)
# `03-01`, `01` (same phase), `17-session-ux-05` (the phase folder's name), `03-01-PLAN.md`
_PLAN_ID = lazy_regex.compile(
    rf"^(?:(?P<phase>{_PHASE})(?:-[A-Za-z][A-Za-z0-9-]*?)?-)?(?P<plan>{_NUMBER})"
    r"(?:-PLAN(?:\.md)?)?$"
)
_FILES = lazy_regex.compile(r"<files>(?P<inside>.*?)(?P<close></files>|$)")
_OBJECTIVE = lazy_regex.compile(r"<objective>(?P<inside>.*?)(?:</objective>|\Z)", re.DOTALL)
LACKS = "files_modified lacks a task's file"


def plan_of(path: str) -> str | None:
    found = _FILE.match(path)
    return f".planning/phases/{found.group('dir')}" if found else None


@dataclass
class _Plan:
    id: str
    native_id: str
    group: str
    source: str
    plan: tuple[int, str]  # `02B`: (2, "B"), the order plans sort in
    found: front_matter.FrontMatter
    depends_on: list[str] = field(default_factory=list)

    def line_of(self, key: str) -> int:
        return self.found.key_lines.get(key, 1)

    @property
    def wave(self) -> str | None:
        wave = (self.found.data or {}).get("wave")
        return wave.strip() or None if isinstance(wave, str) else None


def read(files: Mapping[str, str]) -> PlanReading:
    reading = Collected()
    plans: list[_Plan] = []
    summaries: set[str] = set()
    for path in sorted(files):
        found = _FILE.match(path)
        if found is None:
            continue
        if found.group("kind") == "SUMMARY":
            summaries.add(path)
            continue
        native = f"{found.group('phase')}-{found.group('plan')}"
        unit_id = f"gsd.{native}"
        try:
            parsed = front_matter.split(files[path], path, strings=True)
        except front_matter.FrontMatterError as error:
            reading.problems.append(plan_text.front_matter_problem(error, path, unit_id))
            continue
        group = f"gsd.{found.group('phase')}"
        number = _plan_number(found.group("plan"))
        plans.append(_Plan(unit_id, native, group, path, number, parsed))
    known = {plan.id: plan for plan in plans}
    for plan in plans:
        plan.depends_on = _depends_on(plan, known, reading)
    for plan in plans:
        reading.units.append(_unit(plan, summaries, reading))
    reading.claims.extend(_claims(plans, reading))
    return reading.reading()


def _depends_on(plan: _Plan, known: Mapping[str, _Plan], reading: Collected) -> list[str]:
    """Plan ids as GSD writes them: `"03-01"`, or `"01"` for a plan of the same phase."""
    phase = plan.group.removeprefix("gsd.")
    ids: list[str] = []
    value = (plan.found.data or {}).get("depends_on")
    line = plan.line_of("depends_on")
    for item in plan_text.as_strings(value, "depends_on", plan.source, line, reading.problems):
        found = _PLAN_ID.match(item.strip("'\" "))
        if found is None:
            reading.problems.append(
                PlanProblem(
                    f"depends_on of GSD plan {plan.native_id} names {item!r}, not a plan id",
                    'name plans as GSD does, e.g. depends_on: ["03-01"]',
                    plan.source,
                    plan.line_of("depends_on"),
                )
            )
            continue
        target = _plan_id(found.group("phase") or phase, found.group("plan"), known)
        if target != plan.id and target not in ids:
            ids.append(target)
    return ids


def _plan_id(phase: str, number: str, known: Mapping[str, _Plan]) -> str:
    """The id of a plan of this folder however its number is padded (`1`, `01`), else as named."""
    for unit_id, other in known.items():
        if other.group == f"gsd.{phase}" and other.plan == _plan_number(number):
            return unit_id
    return f"gsd.{phase}-{number.zfill(3 if number[-1:].isalpha() else 2)}"


def _plan_number(text: str) -> tuple[int, str]:
    digits = text.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits), text[len(digits) :].upper()


def _unit(plan: _Plan, summaries: set[str], reading: Collected) -> PlanUnit:
    data = plan.found.data or {}
    mentions: list[PlanMention] = []
    declared: list[str] = []
    lines = plan.found.item_lines.get("files_modified", [])
    listed = plan_text.as_strings(
        data.get("files_modified"),
        "files_modified",
        plan.source,
        plan.line_of("files_modified"),
        reading.problems,
    )
    for number, item in enumerate(listed):
        line = lines[number] if number < len(lines) else plan.line_of("files_modified")
        more, ignored = plan_text.mentions(
            _entry(item), plan.source, line, creates=True, note="files_modified", root=ROOT
        )
        mentions += more
        reading.ignored.extend(ignored)
        declared += [mention.mention.path for mention in more]
    mentions += _task_files(plan, declared, reading)
    summary = plan.source.removesuffix("PLAN.md") + "SUMMARY.md"
    return PlanUnit(
        id=plan.id,
        native_id=plan.native_id,
        format=NAME,
        group=plan.group,
        title=_title(plan),
        source=plan.source,
        line=1,
        mentions=tuple(mentions),
        depends_on=tuple(plan.depends_on),
        status=DONE if summary in summaries else OPEN,
        files=(summary,),
    )


def _title(plan: _Plan) -> str:
    """The first line of `<objective>`, GSD's one-sentence statement of the plan."""
    found = _OBJECTIVE.search(plan.found.body)
    lines = found.group("inside").splitlines() if found else []
    return next((line.strip() for line in lines if line.strip()), plan.native_id)


def _task_files(plan: _Plan, declared: list[str], reading: Collected) -> list[PlanMention]:
    """Each task's `<files>`; an entry `files_modified` lacks is declared and reported."""
    mentions: list[PlanMention] = []
    in_task = in_files = False
    for line in plan_text.markdown_lines(plan.found.body, plan.found.body_line):
        in_task = in_task or "<task" in line.text
        entries: str | None = None
        if in_task and in_files:
            entries, in_files = line.text.split("</files>", 1)[0], "</files>" not in line.text
        elif in_task and (found := _FILES.search(line.text)) is not None:
            entries, in_files = found.group("inside"), not found.group("close")
        if entries is not None:
            mentions += _entries(plan, entries, line.number, declared, reading)
        in_task = in_task and "</task>" not in line.text
    return mentions


def _entries(
    plan: _Plan, text: str, line: int, declared: list[str], reading: Collected
) -> list[PlanMention]:
    regexes = [regex for regex in map(_regex, declared) if regex is not None]
    mentions: list[PlanMention] = []
    for entry in re.split(r",", text):
        item = plan_text.list_item(entry)
        entry = (item[0] if item else entry).strip().strip("`").strip()
        if not entry:
            continue
        found, ignored = plan_text.mentions(
            _entry(entry), plan.source, line, creates=True, root=ROOT
        )
        reading.ignored.extend(ignored)
        for mention in found:
            path = mention.mention.path
            if path in declared or any(regex.fullmatch(path) for regex in regexes):
                continue
            declared.append(path)
            note = "a task's <files>; files_modified lacks it"
            mentions.append(PlanMention(plan.source, mention.mention, note))
            reading.problems.append(
                PlanProblem(
                    f"{LACKS}: {path} (GSD plan {plan.native_id})",
                    "add it to files_modified in the plan's front matter: GSD groups waves "
                    "by files_modified only",
                    plan.source,
                    line,
                )
            )
    return mentions


def _entry(text: str) -> str:
    """One path entry as the tokenizer reads it: a code span, unless a note follows the path
    (`src/app.ts (new)`), which the tokenizer then reads as words."""
    text = text.strip().strip("`").strip()
    return text if any(char.isspace() for char in text) else f"`{text}`"


def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(patterns.compile_regex(patterns.validate(pattern)))
    except patterns.PatternError:
        return None


def _claims(plans: list[_Plan], reading: Collected) -> list[ParallelClaim]:
    """Plans of one phase with the same wave, unless `depends_on` orders them."""
    ordered = sorted(plans, key=lambda plan: (plan.group, plan.plan, plan.id))
    rank = {plan.id: number for number, plan in enumerate(ordered)}
    waves: dict[tuple[str, str], list[_Plan]] = {}
    for plan in ordered:
        wave = plan.wave
        if wave is not None:
            waves.setdefault((plan.group, wave), []).append(plan)
    pairs = sum(len(members) * (len(members) - 1) // 2 for members in waves.values())
    if pairs > plan_text.MAX_CLAIM_PAIRS:
        folder = ordered[0].source.rsplit("/", 1)[0]
        reading.problems.append(plan_text.too_many_claims(folder, len(ordered), MARKER))
        return []
    waiting = [plan.id for members in waves.values() if len(members) > 1 for plan in members]
    after = plan_text.transitive({plan.id: plan.depends_on for plan in plans}, waiting)
    claims: list[ParallelClaim] = []
    for members in waves.values():
        for index, second in enumerate(members):
            source = f"{second.source}:{second.line_of('wave')}"
            for first in members[:index]:
                if second.id in after[first.id] or first.id in after[second.id]:
                    continue
                claims.append(ParallelClaim(UNIT, (first.id, second.id), None, MARKER, source))
    claims.sort(key=lambda claim: (rank[claim.between[0]], rank[claim.between[1]]))
    return claims


FORMAT = PlanFormat(
    name=NAME,
    short=NAME,
    layouts=LAYOUTS[NAME],
    plan_of=plan_of,
    read=read,
)
