"""The discovered specs as tasks: which spec gives which id, and every problem on the way. Pure.

One bad spec never hides the rest: each spec is parsed on its own, and what goes wrong becomes
a SpecProblem with the spec's file and line. The files come in already read
(services/specs/discovery.py); the tracked files come as a callable, asked for only when a legacy
spec names a bare file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitwt.core import spec_ids, specs
from gitwt.core.plan_index import PlanIndex
from gitwt.core.provenance import Ignored
from gitwt.core.spec_ids import EXCLUDE_HINT as _EXCLUDE_HINT
from gitwt.core.spec_ids import SPEC_FOLDER as SPEC_FOLDER
from gitwt.core.spec_ids import SharedNumbers
from gitwt.core.spec_ids import normalized as _normalized
from gitwt.core.specs import SpecError, Task, check_id, id_key
from gitwt.errors import GitParallelError
from gitwt.infra.config import Config

if TYPE_CHECKING:
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.core.plan_index import Named, PlanSource


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
    # Shown, never fatal: a plan's reader noted it but no unit is unusable (a GSD task file that
    # files_modified lacks is declared anyway; OpenSpec's planning kept in a store elsewhere).
    warning: bool = False

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
    shares: list[str] = field(default_factory=list)  # the other specs of its number (ids)
    title: str | None = None  # the title read even when the spec gives no task


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
    known: set[str] = field(default_factory=set)  # every usable id, normalized like check_id
    plans: PlanIndex = field(default_factory=lambda: PlanIndex([]))
    shared: SharedNumbers = field(default_factory=SharedNumbers)  # stem ids, copies
    by_path: dict[str, SpecFile] = field(default_factory=dict)

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
            catalog.by_path[spec.path] = spec
            catalog.shared.name(spec.path, spec.folder)
            claimed = spec_ids.claimed_id(spec.text, spec.path, spec.folder)
            if claimed is not None:
                catalog.by_key.setdefault(id_key(claimed.strip()), []).append(spec)
                catalog.known.add(_normalized(claimed.strip()))
        for key in config.tasks:
            catalog.inline.setdefault(id_key(key), []).append(key)
            catalog.known.add(_normalized(key))
        for number, group in catalog.by_key.items():
            if len(group) > 1:
                members = [
                    (spec.path, spec.text + "".join(t for _, t in spec.parts)) for spec in group
                ]
                catalog.shared.add_group(members, len(catalog.inline.get(number, [])))
        catalog.known.update(catalog.shared.stem_ids())
        return catalog

    def sources(self, task_id: str) -> list[str]:
        """Every source that claims this id (number, front matter, config table or stem id)."""
        key = id_key(task_id)
        return (
            [spec.path for spec in self.by_key.get(key, [])]
            + [f"{self.config.source} [tasks.{name}]" for name in self.inline.get(key, [])]
            + [path for path in self.shared.aliases.get(task_id, []) if key not in self.by_key]
        )

    def id_of(self, spec: SpecFile) -> str | None:
        """The id other commands use for this spec; None for a copy, or a claim that is no id."""
        if spec.path in self.shared.copies:
            return None
        if spec.path in self.shared.shared:
            return self.shared.stem_of[spec.path]
        claimed = spec_ids.claimed_id(spec.text, spec.path, spec.folder)
        return _normalized(claimed.strip()) if claimed and claimed.strip() else None

    def named(self, task_id: str) -> list[SpecFile]:
        """The specs an id names: those claiming it, else the one whose stem id it is."""
        key = id_key(task_id)
        if key in self.by_key:
            return list(self.by_key[key])
        return [self.by_path[path] for path in self.shared.aliases.get(task_id, [])]

    def parse(self, spec: SpecFile, task_id: str | None = None) -> specs.ParsedSpec:
        if spec.unreadable:
            raise SpecError(spec.unreadable, "make it a readable UTF-8 file", spec.path)
        return specs.parse_spec(
            spec.text,
            spec.path,
            spec_ids.name_id(spec.path, spec.folder),
            parts=spec.parts,
            index=self.index,
            default_owner=self.config.default_owner,
            known_ids=self.known,
            as_id=task_id if task_id is not None else self.id_of(spec),
        )

    def _copy_error(self, path: str) -> SpecError:
        original = self.shared.copies[path]
        return spec_ids.copy_error(path, original, self.id_of(self.by_path[original]), self.shared)

    def load(self, task_id: str) -> specs.ParsedSpec:
        """The task with this id; SpecError when no spec, two specs or a bad spec gives it."""
        sources = self.sources(task_id)
        if not sources:
            raise SpecError(f"no spec found for task {task_id}", self.missing_hint(task_id))
        key = id_key(task_id)
        inline = self.inline.get(key)
        if key not in self.by_key and not inline:  # a spec's stem id
            spec = self.by_path[self.shared.by_stem(task_id, sources)]
            return self.parse(spec, self.id_of(spec))
        usable = [path for path in sources if path not in self.shared.copies]
        if len(usable) > 1:
            raise spec_ids.ambiguity(task_id, usable, self.shared.stem_of, bool(inline))
        if not usable:
            raise self._copy_error(sources[0])
        if inline:
            return specs.build_task(
                task_id,
                self.config.tasks[inline[0]],
                sources[0],
                default_owner=self.config.default_owner,
            )
        return self.parse(self.by_path[usable[0]], task_id)

    def missing_hint(self, task_id: str) -> str:
        return spec_ids.missing_hint(task_id, self.config.specs, self.config.source)

    def parse_unit(self, unit: Named) -> specs.ParsedSpec:
        from gitwt.core import plan_index

        return plan_index.parse_named(unit, self.index, self.config.default_owner, self.known)


def plan_units(catalog: Catalog, task_id: str) -> list[Named]:
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
        SpecProblem(
            problem.message,
            problem.hint,
            problem.source,
            problem.line,
            problem.unit,
            warning=problem.unit is None,
        )
        for problem in plan.reading.problems
    ]


def entries(catalog: Catalog, ids: Iterable[str] | None = None) -> list[SpecEntry]:
    """Every discovered spec (or those the `ids` name), parsed, with its problems; a number
    that several specs share names them all."""
    chosen: set[str] | None = None
    wanted: set[tuple[int, int | str]] = set()
    if ids is not None:
        named = [check_id(task_id, "") for task_id in ids]
        wanted = {id_key(task_id) for task_id in named}
        chosen = {spec.path for task_id in named for spec in catalog.named(task_id)}
    found: list[SpecEntry] = []
    for spec in catalog.files:
        if chosen is not None and spec.path not in chosen:
            continue
        entry = SpecEntry(catalog.id_of(spec), spec.path)
        entry.shares = [
            catalog.shared.stem_of.get(path) or path for path in catalog.shared.partners(spec.path)
        ]
        if spec.path in catalog.shared.copies:
            entry.problems.append(problem_of(catalog._copy_error(spec.path), spec.path, None))
            found.append(entry)
            continue
        try:
            parsed = catalog.parse(spec)
            entry.id, entry.task, entry.ignored = parsed.task.id, parsed.task, parsed.ignored
        except GitParallelError as error:
            entry.problems.append(problem_of(error, spec.path, entry.id))
            if isinstance(error, SpecError):
                entry.ignored, entry.title = list(error.ignored), error.title
        found.append(entry)
    for name in catalog.config.tasks:
        if ids is not None and id_key(name) not in wanted:
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
            listed += plan_units(catalog, check_id(name, ""))
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
