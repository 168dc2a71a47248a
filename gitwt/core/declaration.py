"""A task's declaration and its Rules: the one definition every path uses (DESIGN §9).

A task may change what it declares. The declaration has sources, merged in this order, each
pattern kept once, first source first:

1. the **snapshot**: the patterns compiled into the task's worktree at `start`/`claim` (the hook
   reads them from there) or, before a worktree exists, its spec's `files`;
2. the task **record** in state: the spec's `files` copied at `start`, then every accepted claim;
3. the **registry** (team mode, DESIGN §11): patterns another machine published for the task.
   Callers that read it pass them as `registry`; nothing else changes.

Each pattern keeps the kind of source it came from (`Declaration.origins`), the seam for per-
pattern provenance (spec file and line, claim time) that the spec parser adds to `Task`.

A plan unit's bookkeeping (its status marks in its plan, DESIGN §2) is no declared pattern: the
record's `bookkeeping` entries go into the Rules' `extra`, where `core.bookkeeping` judges them.

`task_rules` is the one Rules builder: the CLI's `check`, `start`/`claim` (the worktree
snapshot), the commit hooks (a record whose snapshot is gone), `merge` and `status` all call it.
Stdlib only and no dataclasses: the hook imports this module.
"""

from __future__ import annotations

from gitwt.core.boundaries import Rules, rules_context
from gitwt.errors import GitParallelError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from gitwt.core.boundaries import RulesContext
    from gitwt.core.owner_index import CompiledOwnership
    from gitwt.core.ownership import OwnershipMap

SNAPSHOT, SPEC, CLAIM, REGISTRY = "snapshot", "spec", "claim", "registry"


class DeclarationError(GitParallelError):
    """A task record whose declaration cannot be read: an input error that names the task."""


class Declaration:
    """What one task declares: its patterns, in order, each with the source it came from."""

    __slots__ = ("origins", "owner", "task_id")

    def __init__(self, task_id: str, owner: str | None, origins: Sequence[tuple[str, str]]):
        self.task_id = task_id
        self.owner = owner
        self.origins: tuple[tuple[str, str], ...] = tuple(origins)  # (pattern, source kind)

    @property
    def patterns(self) -> list[str]:
        return [pattern for pattern, _ in self.origins]

    def __repr__(self) -> str:
        return f"Declaration({self.task_id!r}, patterns={self.patterns!r})"


def _string_list(value: object, task_id: str, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise DeclarationError(
        f"task {task_id}: {what} in its state record is not a list of paths: {value!r}",
        f"fix or remove it in the state file parallel/tasks/{task_id}.json under "
        "$(git rev-parse --git-common-dir), or 'git parallel clean --force "
        f"{task_id}' and start it again",
    )


def record_patterns(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The record's declaration: its `files` (from the spec at start), then each claim's paths.

    Raises DeclarationError, naming the task, for anything that is not a list of paths.
    """
    task_id = str(record.get("id"))
    found = [(path, SPEC) for path in _string_list(record.get("files"), task_id, "'files'")]
    return found + [(path, CLAIM) for path, _ in claimed_paths(record)]


def claimed_paths(record: Mapping[str, Any]) -> list[tuple[str, object]]:
    """Each path the record's claims added, with its claim's `time` (as stored, unchecked).

    Raises DeclarationError, naming the task, for claims that are not lists of paths.
    """
    task_id = str(record.get("id"))
    claims = record.get("claims")
    if claims is None:
        return []
    if not isinstance(claims, list):
        _string_list(claims, task_id, "'claims'")  # raises: a list of claims is expected
    found: list[tuple[str, object]] = []
    for number, claim in enumerate(claims or [], start=1):
        if not isinstance(claim, dict):
            raise DeclarationError(
                f"task {task_id}: claim {number} in its state record is malformed: {claim!r}",
                f"fix or remove it in the state file parallel/tasks/{task_id}.json under "
                "$(git rev-parse --git-common-dir)",
            )
        paths = _string_list(claim.get("paths"), task_id, f"claim {number}'s 'paths'")
        found += [(path, claim.get("time")) for path in paths]
    return found


def declaration_of(
    task_id: str,
    owner: str | None,
    *,
    snapshot: Iterable[str] = (),
    snapshot_kind: str = SNAPSHOT,
    record: Mapping[str, Any] | None = None,
    registry: Iterable[str] = (),
) -> Declaration:
    """The task's declaration from every source it has (module docstring), patterns once each."""
    origins: dict[str, str] = {}
    sources = [
        [(pattern, snapshot_kind) for pattern in snapshot],
        record_patterns(record) if record is not None else [],
        [(pattern, REGISTRY) for pattern in registry],
    ]
    for source in sources:
        for pattern, kind in source:
            origins.setdefault(pattern, kind)
    return Declaration(task_id, owner, list(origins.items()))


def task_rules(
    record: Mapping[str, Any],
    *,
    saved: Rules | None = None,
    ownership: OwnershipMap | CompiledOwnership | None = None,
    unowned: str = "allow",
    spec_patterns: Sequence[str] | None = None,
    registry: Iterable[str] = (),
    extra: RulesContext | None = None,
) -> Rules:
    """The Rules of a task: its declaration (every source) and its owner's ownership rules.

    `saved`: the worktree's snapshot. When it is this task's, its owner rules are the ones the
    task agreed to at start and win over `ownership`, and its declaration comes first; claims
    made after it are in `record`, so a crash between writing the two never narrows anything.
    `spec_patterns`: the spec's `files`, for a task with no snapshot yet (`check --task`).
    """
    task_id = str(record["id"])
    if isinstance(record.get("bookkeeping"), list):  # its status marks in its plan (§2)
        marks: RulesContext = {"bookkeeping": record["bookkeeping"]}
        extra = {**marks, **(extra or {})}
    if saved is not None and saved.task_id != task_id:
        saved = None
    if saved is not None:
        snapshot, kind = list(saved.declared or []), SNAPSHOT
    else:
        snapshot, kind = list(spec_patterns or []), SPEC
    declared = declaration_of(
        task_id,
        record.get("owner"),
        snapshot=snapshot,
        snapshot_kind=kind,
        record=record,
        registry=registry,
    )
    if saved is not None:
        return Rules(
            task_id,
            saved.owner,
            declared.patterns,
            ownership=saved.ownership,
            unowned=saved.unowned,
            extra={**saved.extra, **(extra or {})},
        )
    return Rules(
        task_id,
        declared.owner,
        declared.patterns,
        ownership=ownership,
        unowned=unowned,
        extra=extra,
    )


def record_context(record: Mapping[str, Any]) -> RulesContext:
    """Where a task lives (base, branch, worktree), from its record, for its Rules' messages:
    the hook's rules for another task's record and the audit's rules take it from here."""
    return rules_context(record, ("base", "branch", "worktree"))


def role_rules(
    role: str, ownership: OwnershipMap | CompiledOwnership, unowned: str = "allow"
) -> Rules:
    """What a role (no task) may change: only the ownership map applies."""
    return Rules(None, role, None, ownership=ownership, unowned=unowned)


def declared_by(record: Mapping[str, Any]) -> list[str]:
    """A task record's declared patterns (its files and claims), for overlap and sparse checks."""
    return declaration_of(str(record["id"]), record.get("owner"), record=record).patterns
