"""What a spec-kit `tasks.md` says in prose: phase order and parallel claims. Pure.

Order: the section headed "Dependencies" (or "Execution Order") states who waits for whom:
`**Foundational (Phase 2)**: Depends on Setup completion - BLOCKS all user stories`,
`Phase 2 depends on Phase 1; both stories depend on Phase 2`, `Can start after Foundational`.
A phase is named by number (`Phase 2`, `Phase 3+`: the story phases from 3 on), by story
(`User Story 1`, `US1`, `stories`: all of them), by the first word of its name (`Setup`,
`Polish`) or as the final phase. A phase the section says nothing about follows the default
rule: a user-story phase waits for the non-story phases before it (not for other stories), any
other phase for every phase before it.

Claims (marker `prose`, one per pair, on the line that makes them): a sentence naming two or more
stories (or "all/different user stories") with "in parallel", "concurrently" or "simultaneously";
"No dependencies on other stories" (that story with every other); "Developer A: User Story 1"
lines (stories of different developers); two task ids "can run together" or "in parallel" (task
level, within one phase); "Parallel Example" blocks, whose `Task: "..."` lines name tasks by
their text (one group per run of lines). A sentence with "not", "cannot" or "never" claims nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitwt.core import lazy_regex
from gitwt.core.formats import ordering
from gitwt.core.formats.markdown_lines import MarkdownLine
from gitwt.core.formats.plan_units import TASK, UNIT, ParallelClaim, PlanProblem

PROSE = "prose"
_DEPENDENCY_SECTION = lazy_regex.compile(r"dependenc|execution order", re.I)
_EXAMPLE_SECTION = lazy_regex.compile(r"parallel example", re.I)
_LABELLED = lazy_regex.compile(
    r"^\s*(?:[-*+]|\d+[.)])?\s*\*\*(?P<label>[^*]+?):?\*\*\s*:?\s*(?P<rest>.*)$"
)
_ITEM_MARK = lazy_regex.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_CLAUSE = lazy_regex.compile(r";|\.\s+|\s[-–—]+\s|\bbut\b")
_SENTENCE = lazy_regex.compile(r";|\.(?:\s+|$)")
_VERB = lazy_regex.compile(
    r"\b(?:depends?\s+on|requires?|(?:can\s+)?start\s+after|after|blocked\s+by|waits?\s+(?:for|on))\b",
    re.I,
)
_BLOCKS = lazy_regex.compile(r"\bblocks?\b", re.I)
_NO_DEPENDENCIES = lazy_regex.compile(
    r"\bno\s+dependenc(?:y|ies)\b|\bcan\s+start\s+immediately\b", re.I
)
_NO_STORY_DEPENDENCIES = lazy_regex.compile(
    r"\bno\s+dependenc(?:y|ies)\s+on\s+other\s+(?:user\s+)?stor", re.I
)
_PARALLEL = lazy_regex.compile(
    r"\bin\s+parallel\b|\bconcurrent(?:ly)?\b|\bsimultaneous(?:ly)?\b"
    r"|\b(?:run|runs|work|build|proceed)\s+parallel\b|\bparallel\s+(?:with|to)\b",
    re.I,
)
_CLAIM_CLAUSE = lazy_regex.compile(r";|\.(?:\s+|$)|\s[-–—]+\s")
_TOGETHER = lazy_regex.compile(
    r"\btogether\b|\bside\s+by\s+side\b|\bin\s+parallel\b|\bconcurrent|\bsimultaneous", re.I
)
_CONDITION = lazy_regex.compile(r"\b(?:once|after|when|until|before|waits?)\b", re.I)
_NEGATION = lazy_regex.compile(r"\b(?:not|cannot|can't|never|don't|avoid)\b", re.I)
_PHASE_NUMBER = lazy_regex.compile(r"\bPhases?\s+(?P<number>\d+(?:\.\d+)*)(?P<plus>\+)?", re.I)
_STORY = lazy_regex.compile(r"\b(?:User\s+Story|US)[\s-]?(?P<n>\d+)\b", re.I)
_STORIES = lazy_regex.compile(r"\bstories\b(?!\s+\d)", re.I)
_STORY_LIST = lazy_regex.compile(r"\bstories\s+(?P<list>\d+(?:\s*(?:,|and|&|or)\s*\d+)*)", re.I)
_FINAL = lazy_regex.compile(r"\b(?:final|last)\s+phase\b", re.I)
_TASK_ID = lazy_regex.compile(
    r"\b(?P<first>T\d{2,})(?:\s*(?:-|–|—|\.\.|to)\s*T(?P<last>\d{2,}))?\b"
)
_TASK_VERB = lazy_regex.compile(
    r"(?P<after>\bdepends?\s+on\b|\brequires?\b|\bafter\b)|(?P<before>\bblocks?\b|\bbefore\b)",
    re.I,
)
_DEVELOPER = lazy_regex.compile(
    r"^\s*(?:[-*+]|\d+[.)])?\s*\**(?:Developer|Dev|Engineer|Agent|Team)\s+(?P<who>\w+)\**\s*:\s*(?P<what>.*)$",
    re.I,
)
_EXAMPLE_TASK = lazy_regex.compile(r"""Task:?\s*["“'](?P<text>[^"”']+)["”']""")


@dataclass(frozen=True)
class PhaseRef:
    """A phase as prose may name it."""

    unit: str  # its gitwt id
    native: str  # `US1`, `Phase 2`
    number: str  # `2`, `3.1`
    story: str | None  # `US1` for a user-story phase
    name: str  # the first word of its name, lowercased (`setup`, `polish`)


def _number(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def refs(text: str, phases: Sequence[PhaseRef]) -> list[str]:
    """The units a piece of prose names, in the order named."""
    found: list[tuple[int, str]] = []
    stories = [phase for phase in phases if phase.story]
    for match in _PHASE_NUMBER.finditer(text):
        number = _number(match.group("number"))
        plus = bool(match.group("plus"))
        for phase in phases:
            own = _number(phase.number)
            if (plus and phase.story and own >= number) or (not plus and own == number):
                found.append((match.start(), phase.unit))
    for match in _STORY.finditer(text):
        story = f"US{int(match.group('n'))}"
        found += [(match.start(), phase.unit) for phase in stories if phase.story == story]
    for match in _STORY_LIST.finditer(text):
        numbers = {f"US{int(n)}" for n in re.findall(r"\d+", match.group("list"))}
        found += [(match.start(), phase.unit) for phase in stories if phase.story in numbers]
    for match in _STORIES.finditer(text):
        found += [(match.start(), phase.unit) for phase in stories]
    for match in _FINAL.finditer(text):
        found += [(match.start(), phases[-1].unit)] if phases else []
    for phase in phases:
        if phase.name and not phase.story:
            for match in re.finditer(rf"\b{re.escape(phase.name)}\b", text, re.I):
                found.append((match.start(), phase.unit))
    return list(dict.fromkeys(unit for _, unit in sorted(found, key=lambda item: item[0])))


def task_ids(text: str) -> list[str]:
    """The task ids a text names, ranges spelled out (`T004-T007`: T004, T005, T006, T007)."""
    found: list[str] = []
    for match in _TASK_ID.finditer(text):
        first = match.group("first")
        if match.group("last") is None:
            found.append(first)
            continue
        start, end, width = int(first[1:]), int(match.group("last")), len(first) - 1
        found += [f"T{number:0{width}d}" for number in range(start, min(end, start + 500) + 1)]
    return found


def task_dependencies(outside: Sequence[MarkdownLine]) -> dict[str, list[str]]:
    """What the dependency section says of task lines: `T008 blocks T009, T015`,
    `Tests (T004-T007) before implementation (T008-T014)`, `T016 depends on T012`."""
    stated: dict[str, list[str]] = {}
    for line in _section(outside, _DEPENDENCY_SECTION):
        if line.fenced or line.heading:
            continue
        for clause in _CLAUSE.split(line.text):
            verb = _TASK_VERB.search(clause)
            if verb is None:
                continue
            left, right = task_ids(clause[: verb.start()]), task_ids(clause[verb.end() :])
            later, earlier = (left, right) if verb.group("after") else (right, left)
            for task in later:
                stated.setdefault(task, []).extend(e for e in earlier if e != task)
    return stated


def _section(lines: Sequence[MarkdownLine], title: re.Pattern[str]) -> list[MarkdownLine]:
    """The lines under every heading whose title matches, down to the next heading as high."""
    kept: list[MarkdownLine] = []
    level = 0
    for line in lines:
        if line.heading and (not level or line.heading <= level):
            level = line.heading if title.search(line.title) else 0
            continue
        if level:
            kept.append(line)
    return kept


def phase_dependencies(
    outside: Sequence[MarkdownLine], phases: Sequence[PhaseRef]
) -> dict[str, list[str]]:
    """Each unit's phase dependencies: as the dependency section states, else the default."""
    stated: dict[str, list[str]] = {}
    for line in _section(outside, _DEPENDENCY_SECTION):
        if not line.fenced and not line.heading:
            _statement(line.text, phases, stated)
    result: dict[str, list[str]] = {}
    for index, phase in enumerate(phases):
        if phase.unit in stated:
            result[phase.unit] = stated[phase.unit]
        else:
            before = phases[:index]
            result[phase.unit] = [p.unit for p in before if not (phase.story and p.story)]
    return result


def _statement(text: str, phases: Sequence[PhaseRef], stated: dict[str, list[str]]) -> None:
    labelled = _LABELLED.match(text)
    subjects = refs(labelled.group("label"), phases) if labelled else []
    rest = labelled.group("rest") if labelled else _ITEM_MARK.sub("", text)
    for clause in _CLAUSE.split(rest):
        verb = _VERB.search(clause)
        blocks = _BLOCKS.search(clause)
        if verb:
            who = refs(clause[: verb.start()], phases) or subjects
            on = refs(clause[verb.end() :], phases)
            for unit in who:
                stated.setdefault(unit, []).extend(
                    o for o in on if o != unit and o not in stated[unit]
                )
        elif blocks:
            who = refs(clause[: blocks.start()], phases) or subjects
            for unit in refs(clause[blocks.end() :], phases):
                stated.setdefault(unit, []).extend(
                    o for o in who if o != unit and o not in stated[unit]
                )
        elif _NO_DEPENDENCIES.search(clause) and not _NO_STORY_DEPENDENCIES.search(clause):
            for unit in subjects or refs(clause, phases):
                stated.setdefault(unit, [])


def claims(
    outside: Sequence[MarkdownLine],
    phases: Sequence[PhaseRef],
    tasks: Mapping[str, tuple[str, str]],
    source: str,
    problems: list[PlanProblem],
) -> list[ParallelClaim]:
    """The parallel claims the prose makes (`tasks`: id -> (title, unit)); a group too large
    to pair is reported in `problems`."""
    found: list[ParallelClaim] = []
    stories = [phase.unit for phase in phases if phase.story]
    developers: list[tuple[str, list[str], int]] = []
    for line in outside:
        if line.fenced or line.heading or not line.text.strip():
            found += _developer_claims(developers, source)
            developers = []
            continue
        developer = _DEVELOPER.match(line.text)
        if developer:
            named = [u for u in refs(developer.group("what"), phases) if u in stories]
            developers.append((developer.group("who").lower(), named, line.number))
            continue
        found += _developer_claims(developers, source)
        developers = []
        found += _sentence_claims(line, phases, stories, tasks, source, problems)
    found += _developer_claims(developers, source)
    return found + _example_claims(outside, tasks, source, problems)


def _sentence_claims(
    line: MarkdownLine,
    phases: Sequence[PhaseRef],
    stories: list[str],
    tasks: Mapping[str, tuple[str, str]],
    source: str,
    problems: list[PlanProblem],
) -> list[ParallelClaim]:
    """`**User Story 2**: ... can run parallel with US1` claims US2 with US1 (the label is the
    subject); an unlabelled sentence claims every pair it names."""
    found: list[ParallelClaim] = []
    where = f"{source}:{line.number}"
    labelled = _LABELLED.match(line.text)
    subjects = (
        [u for u in refs(labelled.group("label"), phases) if u in stories] if labelled else []
    )
    body = labelled.group("rest") if labelled else _ITEM_MARK.sub("", line.text)
    for sentence in _CLAIM_CLAUSE.split(body.replace("**", "")):
        if _NO_STORY_DEPENDENCIES.search(sentence):
            named = subjects or [u for u in refs(sentence, phases) if u in stories]
            for unit in named[:1]:
                found += [
                    ParallelClaim(UNIT, (unit, o), None, PROSE, where) for o in stories if o != unit
                ]
            continue
        sentence = _unconditioned(sentence)
        if _NEGATION.search(sentence):
            continue
        if _PARALLEL.search(sentence):
            named = [u for u in refs(sentence, phases) if u in stories]
            pairs = (
                [(s, o) for s in subjects for o in named if o not in subjects]
                if subjects
                else ordering.pairs(named, problems, source, line.number)
            )
            found += [ParallelClaim(UNIT, pair, None, PROSE, where) for pair in pairs]
        if _TOGETHER.search(sentence):
            found += _task_pairs(task_ids(sentence), tasks, source, line.number, problems)
    return found


def _unconditioned(sentence: str) -> str:
    """The sentence without its condition, which states an order, not a side: "Once Phase 2
    completes, US1 and US2 ..." keeps what follows the comma; "US1 + US2 ... once US3 is
    done" what comes before "once"."""
    condition = _CONDITION.search(sentence)
    if condition is None:
        return sentence
    if sentence[: condition.start()].strip(" -*:"):
        return sentence[: condition.start()]
    comma = sentence.find(",", condition.end())
    return sentence[comma + 1 :] if comma >= 0 else ""


def _task_pairs(
    ids: Sequence[str],
    tasks: Mapping[str, tuple[str, str]],
    source: str,
    line: int,
    problems: list[PlanProblem],
) -> list[ParallelClaim]:
    known = [native for native in ids if native in tasks]
    return [
        ParallelClaim(TASK, (first, second), tasks[first][1], PROSE, f"{source}:{line}")
        for first, second in ordering.pairs(known, problems, source, line)
        if tasks[first][1] == tasks[second][1]
    ]


def _developer_claims(
    developers: list[tuple[str, list[str], int]], source: str
) -> list[ParallelClaim]:
    found: list[ParallelClaim] = []
    for index, (who, named, number) in enumerate(developers):
        for other_who, other_named, _ in developers[:index]:
            if other_who == who:
                continue
            where = f"{source}:{number}"
            found += [
                ParallelClaim(UNIT, (first, second), None, PROSE, where)
                for first in other_named
                for second in named
                if first != second
            ]
    return found


def _example_claims(
    outside: Sequence[MarkdownLine],
    tasks: Mapping[str, tuple[str, str]],
    source: str,
    problems: list[PlanProblem],
) -> list[ParallelClaim]:
    """`## Parallel Example: User Story 1` blocks: each run of task lines (`Task: "..."`, or a
    line led by a task id) is a group; a `# comment` ends one, and starts one when it says
    "together" of task ids (`# Launch T004-T007 together`)."""
    found: list[ParallelClaim] = []
    group: list[str] = []
    last = 0
    for line in [*_section(outside, _EXAMPLE_SECTION), MarkdownLine(0, "")]:
        text = line.text.strip()
        named = [m.group("text") for m in _EXAMPLE_TASK.finditer(text)]
        lead = _TASK_ID.match(text)
        ids = [_by_text(name, tasks) for name in named] or (task_ids(lead.group(0)) if lead else [])
        if ids and not text.startswith("#"):
            group += [native for native in ids if native and native in tasks]
            last = line.number
            continue
        found += _task_pairs(group, tasks, source, last, problems)
        group, last = [], line.number
        if text.startswith("#") and _TOGETHER.search(text):
            group = [n for n in task_ids(_CONDITION.split(text, maxsplit=1)[0]) if n in tasks]
    return found


def _normal(text: str) -> str:
    return " ".join(re.sub(r"\[[^\]]*\]\s*", "", text).lower().split())


def _by_text(text: str, tasks: Mapping[str, tuple[str, str]]) -> str | None:
    """The one task whose description is (or starts with, or holds) the text; None if unsure."""
    wanted = _normal(text)
    for test in (str.__eq__, str.startswith, str.__contains__):
        matches = [native for native, (title, _) in tasks.items() if test(_normal(title), wanted)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None
    return None
