"""The discovered specs as tasks: which spec gives which id, and every problem on the way. Pure.

One bad spec never hides the rest: each spec is parsed on its own, and what goes wrong becomes
a SpecProblem with the spec's file and line. The files come in already read
(services/spec_catalog.py); the tracked files come as a callable, asked for only when a legacy
spec names a bare file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitwt.core import specs
from gitwt.core.plan_index import PlanIndex
from gitwt.core.provenance import Ignored
from gitwt.core.specs import SpecError, Task, check_id, id_key
from gitwt.errors import GitParallelError
from gitwt.infra.config import Config

if TYPE_CHECKING:
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.core.plan_claims import ClaimCheck
    from gitwt.core.plan_index import Named, PlanSource

SPEC_FOLDER = re.compile(r"SPEC-(?P<id>[A-Za-z0-9][A-Za-z0-9._]*?)(?:-.*)?", re.IGNORECASE)
_FRONT_ID = re.compile(r"^id\s*:\s*['\"]?(?P<id>[^'\"#\n]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)
_EXCLUDE_HINT = (
    "keep one spec per task id: delete or rename the copy, or drop such files with "
    '\'specs_exclude\' in the config (e.g. ["**/*-IMPLEMENTATION-*.md", "**/*.backup"])'
)


@dataclass(frozen=True)
class SpecFile:
    path: str  # the spec's file: a folder spec's README.md (else index.md)
    text: str
    parts: tuple[tuple[str, str], ...] = ()  # a folder spec's linked files: (path, text)
    folder: str | None = None  # a folder spec's folder, with a trailing '/'
    unreadable: str | None = None  # why the file (or a part) could not be read as UTF-8


@dataclass(frozen=True)
class SpecProblem:
    message: str
    hint: str | None
    source: str  # the spec file, the config file, or "" for a task no spec gives
    line: int = 0
    task: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    @property
    def located(self) -> str:
        """The message, led by file:line unless it names the file already."""
        if not self.source or self.source in self.message:
            return self.message
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "task": self.task,
            "source": self.source,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class SpecEntry:
    """One spec (or one unit of a plan another tool wrote) as `git parallel specs` lists it."""

    id: str | None
    source: str
    task: Task | None = None
    ignored: list[Ignored] = field(default_factory=list)
    problems: list[SpecProblem] = field(default_factory=list)
    unit: Named | None = None  # a plan's unit: its format, native id, line, claims


@dataclass
class Survey:
    """The named tasks that could be read, and every problem of those that could not."""

    tasks: list[Task]
    problems: list[SpecProblem]
    ignored: dict[str, list[Ignored]]
    unusable: list[str]
    units: dict[str, Named] = field(default_factory=dict)  # the named plan units, by task id
    claims: list[ClaimCheck] = field(default_factory=list)  # their parallel claims, judged


def claimed_id(spec: SpecFile) -> str | None:
    """The id a spec claims (front matter, else its file or folder name), unvalidated."""
    text = spec.text
    if text.startswith(("---", "\ufeff---")):
        match = _FRONT_ID.search(text.split("\n---", 1)[0])
        if match:
            return match.group("id").strip()
    return name_id(spec)


def name_id(spec: SpecFile) -> str | None:
    if spec.folder is not None:
        folder = SPEC_FOLDER.fullmatch(os.path.basename(spec.folder.rstrip("/")))
        return folder.group("id") if folder else None
    name = specs.SPEC_NAME.fullmatch(os.path.basename(spec.path))
    return name.group("id") if name else None


def _normalized(task_id: str) -> str:
    return str(int(task_id)) if task_id.isascii() and task_id.isdigit() else task_id


def problem_of(error: GitParallelError, source: str, task: str | None) -> SpecProblem:
    line = error.line if isinstance(error, SpecError) else 0
    where = error.source if isinstance(error, SpecError) and error.source else source
    return SpecProblem(error.message, error.hint, where, line, task)


@dataclass
class Catalog:
    files: Sequence[SpecFile]
    config: Config
    index: Callable[[], TrackedIndex]
    by_key: dict[tuple[int, int | str], list[SpecFile]] = field(default_factory=dict)
    inline: dict[tuple[int, int | str], list[str]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # every claimed id, normalized like check_id
    plans: PlanIndex = field(default_factory=lambda: PlanIndex([]))

    @classmethod
    def build(
        cls,
        files: Sequence[SpecFile],
        config: Config,
        index: Callable[[], TrackedIndex],
        plans: Sequence[PlanSource] = (),
    ) -> Catalog:
        catalog = cls(files, config, index, plans=PlanIndex.build(plans))
        catalog.known |= catalog.plans.ids()
        for spec in files:
            claimed = claimed_id(spec)
            if claimed is not None:
                catalog.by_key.setdefault(id_key(claimed.strip()), []).append(spec)
                catalog.known.add(_normalized(claimed.strip()))
        for key in config.tasks:
            catalog.inline.setdefault(id_key(key), []).append(key)
            catalog.known.add(_normalized(key))
        return catalog

    def sources(self, task_id: str) -> list[str]:
        key = id_key(task_id)
        return [spec.path for spec in self.by_key.get(key, [])] + [
            f"{self.config.source} [tasks.{name}]" for name in self.inline.get(key, [])
        ]

    def parse(self, spec: SpecFile, task_id: str | None = None) -> specs.ParsedSpec:
        if spec.unreadable:
            raise SpecError(spec.unreadable, "make it a readable UTF-8 file", spec.path)
        parsed = specs.parse_spec(
            spec.text,
            spec.path,
            name_id(spec),
            parts=spec.parts,
            index=self.index,
            default_owner=self.config.default_owner,
            known_ids=self.known,
        )
        if task_id is not None and parsed.task.id != task_id:
            parsed.task = Task(**{**parsed.task.__dict__, "id": task_id})
        return parsed

    def load(self, task_id: str) -> specs.ParsedSpec:
        """The task with this id; SpecError when no spec, two specs or a bad spec gives it."""
        sources = self.sources(task_id)
        if not sources:
            raise SpecError(
                f"no spec found for task {task_id}",
                f"add docs/SPEC-{task_id}-<title>.md (or 'id: {task_id}' in a spec's front "
                f"matter), or [tasks.{task_id}] in {self.config.source or '.gitparallel.toml'}",
            )
        if len(sources) > 1:
            raise SpecError(
                f"task {task_id} is declared "
                f"{'twice' if len(sources) == 2 else f'{len(sources)} times'}: "
                f"{' and '.join(sources)}",
                _EXCLUDE_HINT,
                sources[0],
            )
        inline = self.inline.get(id_key(task_id))
        if inline:
            return specs.build_task(
                task_id,
                self.config.tasks[inline[0]],
                sources[0],
                default_owner=self.config.default_owner,
            )
        return self.parse(self.by_key[id_key(task_id)][0], task_id)

    def parse_unit(self, unit: Named) -> specs.ParsedSpec:
        from gitwt.core import plan_index

        return plan_index.parse_named(unit, self.index, self.config.default_owner, self.known)


def _plan_units(catalog: Catalog, task_id: str) -> list[Named]:
    """The plan units `task_id` names; [] when a spec or config table gives it (or nothing)."""
    legacy = catalog.sources(task_id)
    units = catalog.plans.task(task_id)
    if legacy and units:
        sources = [*legacy, *(unit.where for unit in units)]
        raise SpecError(
            f"task {task_id} is declared {len(sources)} times: {' and '.join(sources)}",
            _EXCLUDE_HINT,
            sources[0],
        )
    return [] if legacy else catalog.plans.resolve(task_id)


def plan_problems(plan: PlanSource) -> list[SpecProblem]:
    """What went wrong reading a plan folder: files that could not be read, then what its
    reader found malformed (each naming the unit it makes unusable, when one)."""
    found = [
        SpecProblem(why, "make it a readable UTF-8 file", path) for path, why in plan.unreadable
    ]
    return found + [
        SpecProblem(problem.message, problem.hint, problem.source, problem.line, problem.unit)
        for problem in plan.reading.problems
    ]


def _plan_problems(catalog: Catalog, result: Survey, groups: set[str], everything: bool) -> None:
    """The reading problems of the plans the named units are in (of every plan when a name
    was not found: a plan that could not be read may be why). A unit its reader could not read
    in a group named whole is unusable: the group was meant with it."""
    folders = {unit.plan.folder for unit in result.units.values()}
    for plan in catalog.plans.sources:
        if not (everything or plan.folder in folders):
            continue
        for problem in plan_problems(plan):
            result.problems.append(problem)
            if plan.folder in groups and problem.task and problem.task not in result.unusable:
                result.unusable.append(problem.task)


def survey(catalog: Catalog, ids: Iterable[str]) -> Survey:
    """Load each named task on its own; a task that cannot be read is reported, not fatal.
    A group id stands for its units (a unit named twice, by its group and itself, loads once)."""
    wanted = [check_id(task_id, "") for task_id in ids]
    result = Survey([], [], {}, [])
    seen: dict[tuple[int, int | str], str] = {}
    loaded: set[tuple[int, int | str]] = set()
    groups: set[str] = set()  # the plan folders of the groups named whole
    missing = False
    for task_id in wanted:
        if id_key(task_id) in seen:
            raise SpecError(
                f"task {task_id} is named twice ({seen[id_key(task_id)]} and {task_id})",
                "name each task once",
            )
        seen[id_key(task_id)] = task_id
        try:
            units = _plan_units(catalog, task_id)
            if not units:
                missing = missing or not catalog.sources(task_id)
                _add(result, [catalog.load(task_id)])
                continue
        except GitParallelError as error:
            result.problems.append(problem_of(error, "", task_id))
            result.unusable.append(task_id)
            continue
        if len(units) > 1 or units[0].id != task_id:
            groups |= {unit.plan.folder for unit in units}
        for unit in units:
            if id_key(unit.id) in loaded:
                continue
            loaded.add(id_key(unit.id))
            result.units[unit.id] = unit
            try:
                _add(result, [catalog.parse_unit(unit)])
            except GitParallelError as error:
                result.problems.append(problem_of(error, unit.source, unit.id))
                result.unusable.append(unit.id)
    _plan_problems(catalog, result, groups, missing)
    return result


def _add(result: Survey, parsed: list[specs.ParsedSpec]) -> None:
    for item in parsed:
        result.tasks.append(item.task)
        result.ignored[item.task.id] = item.ignored


def entries(catalog: Catalog, ids: Iterable[str] | None = None) -> list[SpecEntry]:
    """Every discovered spec (or those giving `ids`), parsed, with its problems."""
    wanted = {id_key(check_id(task_id, "")) for task_id in ids} if ids is not None else None
    found: list[SpecEntry] = []
    for spec in catalog.files:
        claimed = claimed_id(spec)
        key = id_key(claimed.strip()) if claimed is not None else None
        if wanted is not None and key not in wanted:
            continue
        entry = SpecEntry(claimed.strip() if claimed else None, spec.path)
        try:
            parsed = catalog.parse(spec)
            entry.id, entry.task, entry.ignored = parsed.task.id, parsed.task, parsed.ignored
        except GitParallelError as error:
            entry.problems.append(problem_of(error, spec.path, entry.id))
        if key is not None and len(catalog.sources(claimed or "")) > 1:
            others = [path for path in catalog.sources(claimed or "") if path != spec.path]
            entry.problems.append(
                SpecProblem(
                    f"task {entry.id} is also declared in {' and '.join(others)}",
                    _EXCLUDE_HINT,
                    spec.path,
                    0,
                    entry.id,
                )
            )
        found.append(entry)
    for name in catalog.config.tasks:
        if wanted is not None and id_key(name) not in wanted:
            continue
        entry = SpecEntry(name, f"{catalog.config.source} [tasks.{name}]")
        try:
            parsed = catalog.load(name)
            entry.task, entry.ignored = parsed.task, parsed.ignored
        except GitParallelError as error:
            entry.problems.append(problem_of(error, entry.source, name))
        found.append(entry)
    return found + _unit_entries(catalog, ids)


def _unit_entries(catalog: Catalog, ids: Iterable[str] | None) -> list[SpecEntry]:
    """Each unit of the plans (or those `ids` name), then each plan's reading problems."""
    listed: list[Named] = []
    found: list[SpecEntry] = []
    if ids is None:
        listed = catalog.plans.listed()
    for name in ids or []:
        try:
            listed += _plan_units(catalog, check_id(name, ""))
        except GitParallelError as error:
            found.append(SpecEntry(name, "", problems=[problem_of(error, "", name)]))
    folders = {unit.plan.folder for unit in listed}
    for unit in listed:
        entry = SpecEntry(unit.id, unit.source, unit=unit)
        try:
            parsed = catalog.parse_unit(unit)
            entry.task, entry.ignored = parsed.task, parsed.ignored
        except GitParallelError as error:
            entry.problems.append(problem_of(error, unit.source, unit.id))
        found.append(entry)
    for plan in catalog.plans.sources:
        if ids is None or plan.folder in folders:
            found += [
                SpecEntry(problem.task, problem.source, problems=[problem])
                for problem in plan_problems(plan)
            ]
    return found
