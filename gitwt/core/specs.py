"""Parse one task spec (Markdown with YAML front matter, or a legacy spec) into a Task. Pure.

Front matter is authoritative; a spec without front-matter `files` is read as a legacy spec
(core/legacy_specs.py). Every declared pattern keeps its Origin. Finding the spec files is the
service's job (services/specs/discovery.py): here the texts and the tracked files come in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.core import patterns
from gitwt.core.provenance import CONFIG, FRONT_MATTER, Ignored, Origin
from gitwt.core.task_ids import MAX_ID_LENGTH, TASK_ID
from gitwt.errors import GitParallelError

if TYPE_CHECKING:  # the legacy reader loads only when a legacy spec is read
    from gitwt.core.legacy_tokens import TrackedIndex
    from gitwt.infra.json_payload import JsonObject

SPEC_NAME = re.compile(r"SPEC-(?P<id>[A-Za-z0-9][A-Za-z0-9._]*?)(?:-.*)?\.md", re.IGNORECASE)


class SpecError(GitParallelError):
    """A spec that cannot give a task; `source` and `line` say where (line 0: the whole file)."""

    def __init__(self, message: str, hint: str | None = None, source: str = "", line: int = 0):
        super().__init__(message, hint)
        self.source = source
        self.line = line
        # What was read of a spec that declares nothing: `specs --explain` shows it.
        self.title: str | None = None
        self.ignored: tuple[Ignored, ...] = ()


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    owner: str | None
    files: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    run: str | tuple[str, ...] | None = None
    source: str = ""  # repo-relative spec path, or the config file
    origins: tuple[Origin, ...] = ()  # where each pattern of `files` came from, in that order
    # Tasks its plan says must not run beside it (ccpm's `conflicts_with`): a conflict for `plan`
    # whatever the files declare.
    conflicts_with: tuple[str, ...] = ()
    # The plan group a unit of another tool's plan belongs to (`004`, `kiro.tide`): `merge 004`,
    # `status 004` and the like name every started unit of it.
    group: str | None = None
    # What a plan unit may write into its plan (its status marks): `core.plan_bookkeeping`
    # entries (kind, path, ids), judged on content by `core.bookkeeping`. Never a declared path.
    bookkeeping: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def origin_of(self, pattern: str) -> Origin | None:
        return next((origin for origin in self.origins if origin.pattern == pattern), None)


def check_id(value: object, where: str) -> str:
    task_id = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else None
    )
    if task_id is not None and len(task_id) > MAX_ID_LENGTH:
        raise SpecError(
            f"task id {task_id[:20]!r}... ({len(task_id)} characters){where} is too long",
            f"task ids have at most {MAX_ID_LENGTH} characters (they name branches and files)",
        )
    if not task_id or not TASK_ID.fullmatch(task_id):
        raise SpecError(
            f"invalid task id {value!r}{where}",
            "task ids are letters, digits, '.', '_' and '-', starting with a letter or digit "
            "and not ending with '.' or '.lock'",
        )
    # '065', '65' and 65 are one task everywhere (file names, depends_on, branches, state).
    return str(int(task_id)) if task_id.isdigit() else task_id


def same_id(first: str, second: str) -> bool:
    """'65' and '065' are one task; other ids compare exactly."""
    if first.isdigit() and second.isdigit():
        return int(first) == int(second)
    return first == second


def id_key(task_id: str) -> tuple[int, int | str]:
    """One key per task under `same_id`: '65' and '065' share it."""
    if task_id.isdigit():
        try:
            return (0, int(task_id))
        except ValueError:  # digits int() does not read, such as '²'
            pass
    return (1, task_id)


# --- parsing (pure) --------------------------------------------------------------------------


def split_front_matter(text: str, source: str) -> tuple[JsonObject | None, str]:
    """The front matter's mapping (None without one) and the body after it."""
    from gitwt.core import front_matter

    try:
        found = front_matter.split(text, source)
    except front_matter.FrontMatterError as exc:
        raise SpecError(exc.message, exc.hint, source, exc.line) from exc
    return found.data, found.body


def _list_of(value: Any, key: str, source: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    raise SpecError(
        f"'{key}' in {source} must be a list, got {type(value).__name__}",
        f"write '{key}:' followed by '- item' lines",
    )


@dataclass
class Legacy:
    """What a legacy spec (no front-matter `files`) declares, read and resolved."""

    origins: list[Origin] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    depends_on: list[tuple[str, str, int]] = field(default_factory=list)  # (token, id, line)
    owner: str | None = None
    title: str | None = None


@dataclass
class ParsedSpec:
    task: Task
    ignored: list[Ignored] = field(default_factory=list)  # tokens that are not declarations


def read_legacy(parts: Sequence[tuple[str, str, int]], index: Callable[[], TrackedIndex]) -> Legacy:
    """Read each part (source, body, first line): a spec file, or a folder's README and the
    phase files it links. Bare names resolve against the tracked files `index` gives."""
    from gitwt.core import legacy_specs, legacy_tokens

    legacy = Legacy()
    for source, body, first_line in parts:
        extraction = legacy_specs.read(body, source, first_line)
        if extraction.too_many:
            raise SpecError(
                f"{source} names more than {legacy_specs.MAX_PATHS} paths (the limit; line "
                f"{extraction.too_many})",
                "declare folders or patterns (app/**) in front matter 'files:' instead",
                source,
                extraction.too_many,
            )
        legacy.ignored += extraction.ignored
        if extraction.mentions:
            origins, unresolved = legacy_tokens.resolve(
                extraction.mentions, source, index(), extraction.package
            )
            legacy.origins += origins
            legacy.ignored += unresolved
        legacy.depends_on += extraction.depends_on
        legacy.owner = legacy.owner or extraction.owner
        legacy.title = legacy.title or extraction.title
    return legacy


def _depends_on(value: Any, source: str) -> list[str]:
    return [check_id(item, f" in {source}") for item in _list_of(value, "depends_on", source)]


def _declared(task_id: str, source: str, origins: Sequence[Origin]) -> list[Origin]:
    """The validated origins of the task's patterns, the first origin of each pattern kept."""
    kept: dict[str, Origin] = {}
    for origin in origins:
        where = f"{source}:{origin.line}" if origin.line else source
        try:
            pattern = patterns.validate(origin.pattern, where)
        except patterns.PatternError as error:
            raise SpecError(error.message, error.hint, source, origin.line) from error
        kept.setdefault(pattern, origin)
    if not kept:
        raise SpecError(
            f"task {task_id} declares no files in {source}",
            "list the paths the task may change under 'files:' in front matter, or under a "
            "'**Files**:' marker ('git parallel specs' shows what was read and ignored)",
            source,
        )
    return list(kept.values())


def _owner(value: Any, task_id: str, source: str) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise SpecError(
            f"'owner' of task {task_id} in {source} must be a non-empty string",
            "write an owner token of the ownership map, e.g. 'owner: @backend'",
            source,
        )
    return value.strip() if isinstance(value, str) else None


def _run(value: Any, task_id: str, source: str) -> str | tuple[str, ...] | None:
    if value is not None and not (
        (isinstance(value, str) and value.strip())
        or (isinstance(value, list) and value and all(isinstance(part, str) for part in value))
    ):
        raise SpecError(
            f"'run' of task {task_id} in {source} must be a command string or list",
            "write e.g. 'run: make test' or remove the key",
            source,
        )
    return tuple(value) if isinstance(value, list) else value


def _legacy_depends(
    task_id: str, legacy: Legacy, source: str, known_ids: Collection[str] | None
) -> tuple[list[str], list[Ignored]]:
    """`**Dependencies**: SPEC-201` gives 201 when task 201 exists; others are reported."""
    found: list[str] = []
    ignored: list[Ignored] = []
    for token, dep, line in legacy.depends_on:
        if same_id(dep, task_id):
            continue
        if known_ids is not None and dep not in known_ids:  # both are normalized ('064' → '64')
            ignored.append(Ignored(token, source, line, "a dependency on no known task"))
        else:
            found.append(dep)
    return found, ignored


def build_task(
    task_id: str,
    fields: Mapping[str, Any],
    source: str,
    *,
    origins: Sequence[Origin] | None = None,
    legacy: Legacy | None = None,
    default_owner: str | None = None,
    known_ids: Collection[str] | None = None,
) -> ParsedSpec:
    """Validate one task's fields (front matter, a [tasks.N] table, or a legacy spec)."""
    ignored: list[Ignored] = []
    if "files" in fields or legacy is None:
        listed = _list_of(fields.get("files"), "files", source)
        lines = list(origins or [])
        kind = FRONT_MATTER if origins is not None else CONFIG
        declared = [
            Origin(item, source, lines[i].line if i < len(lines) else 0, kind)
            for i, item in enumerate(listed)
        ]
        depends = _depends_on(fields.get("depends_on"), source)
    else:
        declared = legacy.origins
        ignored = list(legacy.ignored)
        depends, unknown = _legacy_depends(task_id, legacy, source, known_ids)
        ignored += unknown
        if "depends_on" in fields:
            depends = _depends_on(fields["depends_on"], source)
    title = fields.get("title")
    if title is None and legacy is not None:
        title = legacy.title
    try:
        kept = _declared(task_id, source, declared)
    except SpecError as error:
        error.title = str(title).strip() if title is not None else None
        error.ignored = tuple(ignored)
        raise
    owner = _owner(fields.get("owner"), task_id, source)
    if owner is None and legacy is not None:
        owner = legacy.owner
    task = Task(
        id=task_id,
        title=str(title).strip() if title is not None else task_id,
        owner=owner or default_owner,
        files=tuple(origin.pattern for origin in kept),
        depends_on=tuple(dict.fromkeys(depends)),
        run=_run(fields.get("run"), task_id, source),
        source=source,
        origins=tuple(kept),
    )
    return ParsedSpec(task, ignored)


def parse_spec(
    text: str,
    source: str,
    name_id: str | None,
    *,
    parts: Sequence[tuple[str, str]] = (),
    index: Callable[[], TrackedIndex] | None = None,
    default_owner: str | None = None,
    known_ids: Collection[str] | None = None,
    as_id: str | None = None,
) -> ParsedSpec:
    """One spec's task. `parts` are a folder spec's linked files (path, text); `index` gives
    the files tracked at base, asked for only when a legacy spec names a bare file; `as_id` is
    the id the catalog knows it by (a shared number's spec: its stem id)."""
    from gitwt.core import front_matter

    try:
        found = front_matter.split(text, source)
        declared = front_matter.front_id(text, source)
    except front_matter.FrontMatterError as exc:
        raise SpecError(exc.message, exc.hint, source, exc.line) from exc
    front = found.data or {}
    if declared is not None and declared.problem:
        raise SpecError(declared.problem, "give the spec one 'id:' line", source, declared.line)
    # The id is front_id's reading (as written: `id: 010` is task 10, not YAML 1.1's octal 8),
    # the one the spec catalog found the spec by; `as_id` only for a shared number's stem id.
    raw_id = as_id if as_id is not None else (declared.value if declared else name_id)
    if raw_id is None:
        raise SpecError(
            f"spec {source} has no task id",
            "add 'id: <id>' to its front matter or name it SPEC-<id>-<title>.md",
            source,
        )
    task_id = check_id(raw_id, f" in {source}")
    if "files" in front:
        lines = [Origin("", source, line, FRONT_MATTER) for line in found.file_lines]
        return build_task(task_id, front, source, origins=lines, default_owner=default_owner)
    bodies = [(source, found.body, found.body_line)]
    for part_source, part_text in parts:
        part = front_matter.split(part_text, part_source)
        bodies.append((part_source, part.body, part.body_line))
    legacy = read_legacy(bodies, index or _no_tracked_files)
    return build_task(
        task_id, front, source, legacy=legacy, default_owner=default_owner, known_ids=known_ids
    )


def _no_tracked_files() -> TrackedIndex:
    from gitwt.core.legacy_tokens import TrackedIndex

    return TrackedIndex.build(())
