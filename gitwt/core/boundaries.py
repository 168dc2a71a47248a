"""A change set against a task's rules -> violations. Pure and stdlib only: the hook runs it.

The rules are compiled once (at `start`/`claim`) into plain JSON: declared patterns as regexes
and the ownership map's rules with provenance. The hook loads that JSON (`gitwt.hook.rules_file`;
the services save it, `gitwt.services.hooks.task_rules`) and calls `violations`. No file I/O here.

Every commit pays for this module, so it imports nothing heavy at load time: no dataclasses
(they pull in `inspect`), no typing, no `gitwt.infra.git` (subprocess), no `gitwt.core.ownership`
(pathspec), and not even `re` or `json`, which cost as much as starting Python: stored regexes
load through `stored_regex`, owner rules are matched by `owner_index.OwnerIndex`, the same
matcher `ownership.OwnershipMap.owners_of` uses.
"""

from __future__ import annotations

from gitwt.core.owner_index import (
    CompiledOwnership,
    OwnerIndex,
    OwnerMatch,
    OwnerRule,
    normalize_owner,
    stored_rules,
)
from gitwt.core.stored_regex import alternation, alternation_text, compile_stored, compiled_form

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing or collections: they cost the hook milliseconds
    import re
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, Literal, Protocol, TypeAlias, TypedDict

    from gitwt.core.ownership import OwnershipMap
    from gitwt.infra.json_payload import JsonObject
    from gitwt.infra.task_record import ViolationRecord

    class RulesContext(TypedDict, total=False):
        """What Rules carry beside the check, for messages and the hooks' records (`extra`)."""

        base: str
        branch: str
        worktree: str
        title: str
        spec: str
        bookkeeping: list[list[object]]  # the unit's status marks in its plan (core.bookkeeping)

    from gitwt.core.owner_index import OwnerRuleJson
    from gitwt.core.stored_regex import CompiledForm

    class DeclaredPattern(TypedDict):
        pattern: str
        regex: str

    class StoredOwnership(TypedDict):
        source: str
        unowned: str
        rules: list[OwnerRuleJson]

    class RulesJson(RulesContext):
        """The rules file a task's hooks read (`RULES_SCHEMA`): the check, then its context."""

        schema: str
        task: str | None
        owner: str | None
        declared: list[DeclaredPattern] | None
        declared_compiled: CompiledForm | None
        ownership: StoredOwnership | None

    ContextKey: TypeAlias = Literal["base", "branch", "worktree", "title", "spec", "bookkeeping"]

    class ChangeLike(Protocol):
        @property
        def status(self) -> str: ...
        @property
        def path(self) -> str: ...
        @property
        def old_path(self) -> str | None: ...


RULES_SCHEMA = "git-parallel/rules/1"

SHOWN_PATTERNS = 4
CONTEXT_KEYS: tuple[ContextKey, ...] = (
    "base",
    "branch",
    "worktree",
    "title",
    "spec",
    "bookkeeping",
)


class Rules:
    """What one task (or one role) may change: declared patterns and the owner rules."""

    def __init__(
        self,
        task_id: str | None,  # None: an ownership-only check for a role
        owner: str | None,
        declared: list[str] | None,  # None: no declaration check
        ownership: OwnershipMap | CompiledOwnership | None = None,
        unowned: str = "allow",
        extra: RulesContext | None = None,
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.declared = declared
        self.ownership = ownership
        self.unowned = unowned
        self.extra: RulesContext = {**(extra or {})}
        self._declared_regex: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Rules(task_id={self.task_id!r}, owner={self.owner!r}, declared={self.declared!r})"

    def declares(self, path: str) -> bool:
        if self.declared is None:
            return True
        if self._declared_regex is None:
            from gitwt.core.patterns import compile_regex

            self._declared_regex = alternation(compile_regex(p) for p in self.declared)
        return self._declared_regex.fullmatch(path) is not None

    def to_json(self, compiled: bool = True) -> RulesJson:
        """The rules file's JSON; `compiled=False` leaves out the regexes' compiled form (a key
        of the rules needs only their text, and compiling is most of the cost)."""
        from gitwt.core.patterns import compile_regex

        declared = None
        if self.declared is not None:
            declared = [(pattern, compile_regex(pattern)) for pattern in self.declared]
        return {
            "schema": RULES_SCHEMA,
            "task": self.task_id,
            "owner": self.owner,
            "declared": None
            if declared is None
            else [{"pattern": pattern, "regex": regex} for pattern, regex in declared],
            "declared_compiled": None
            if declared is None or not compiled
            else compiled_form(alternation_text(regex for _, regex in declared)),
            "ownership": None
            if self.ownership is None
            else {
                "source": self.ownership.source,
                "unowned": self.unowned,
                "rules": stored_rules(self.ownership) if compiled else self.ownership.compiled(),
            },
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> Rules:
        if not isinstance(data, dict) or data.get("schema") != RULES_SCHEMA:
            schema = data.get("schema") if isinstance(data, dict) else None
            raise ValueError(f"unknown rules schema {schema!r}")
        declared = data["declared"]
        ownership_data = data.get("ownership")
        ownership = None
        unowned = "allow"
        if ownership_data is not None:
            ownership = CompiledOwnership(
                ownership_data["source"],
                [
                    OwnerRule(
                        rule["pattern"],
                        tuple(rule["owners"]),
                        rule["line"],
                        rule["regex"],
                        rule.get("compiled"),
                    )
                    for rule in ownership_data["rules"]
                ],
            )
            unowned = ownership_data.get("unowned", "allow")
        rules = cls(
            task_id=data.get("task"),
            owner=data.get("owner"),
            declared=None if declared is None else [entry["pattern"] for entry in declared],
            ownership=ownership,
            unowned=unowned,
            extra=rules_context(data),
        )
        if declared is not None:
            # The stored regexes, not a recompile: the hook must not need the compiler.
            rules._declared_regex = compile_stored(
                alternation_text(entry["regex"] for entry in declared),
                data.get("declared_compiled"),
            )
        return rules


def rules_context(
    data: Mapping[str, Any], keys: Iterable[ContextKey] = CONTEXT_KEYS
) -> RulesContext:
    """The context (`keys` of it) a rules file or a task record carries beside the check."""
    context: RulesContext = {}
    for key in keys:
        if key in data:
            context[key] = data[key]
    return context


class Violation:
    """One path a change set may not touch, why, and how to fix it."""

    __slots__ = ("change", "commit", "fix", "kind", "path", "rule")

    def __init__(
        self,
        path: str,
        change: str,  # A, M, D, R, ...
        kind: str,  # "undeclared" | "not-owned" | "unowned"
        rule: str,  # what forbids it, with its source
        fix: str,
        commit: str | None = None,
    ) -> None:
        self.path = path
        self.change = change
        self.kind = kind
        self.rule = rule
        self.fix = fix
        self.commit = commit

    def _key(self) -> tuple[str, str, str, str, str, str | None]:
        return (self.path, self.change, self.kind, self.rule, self.fix, self.commit)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Violation) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Violation({self.path!r}, {self.change!r}, {self.kind!r}, commit={self.commit!r})"

    def to_json(self) -> ViolationRecord:
        return {
            "path": self.path,
            "change": _change_name(self.change),
            "kind": self.kind,
            "rule": self.rule,
            "fix": self.fix,
            "commit": self.commit,
        }


def touched_paths(changes: Iterable[ChangeLike]) -> list[tuple[str, str]]:
    """(change letter, path) for every side of every change: a rename touches both paths."""
    touched: list[tuple[str, str]] = []
    for change in changes:
        if change.old_path is not None and change.status == "R":
            touched.append(("R", change.old_path))
        touched.append((change.status, change.path))
    return touched


def _owner_text(match: OwnerMatch, source: str) -> str:
    if match.rule is None:
        return f"no line of {source} matches"
    owners = " ".join(match.owners) if match.owners else "(no owners)"
    return f"{source}:{match.rule.line} → {owners}"


def _declared_text(rules: Rules) -> str:
    declared = rules.declared or []
    shown = ", ".join(declared[:SHOWN_PATTERNS])
    if len(declared) > SHOWN_PATTERNS:
        shown += f", +{len(declared) - SHOWN_PATTERNS} more"
    spec = rules.extra.get("spec")
    return f"declared ({shown}){f' in {spec}' if spec else ''}"


def violations(
    changes: Sequence[ChangeLike], rules: Rules, commit: str | None = None
) -> list[Violation]:
    """Every touched path the rules forbid, in the order of the change set.

    `changes` are `git.Change`s, or anything with `status`, `path` and `old_path`. The loop
    allocates nothing for a path that passes: the commit hook runs it on every staged path.
    """
    found: list[Violation] = []
    ownership = rules.ownership if rules.owner is not None else None
    owner_index = OwnerIndex(ownership.rules) if ownership is not None else None
    owned: dict[int, bool] = {}  # rule index -> does rules.owner own what it covers
    wanted = normalize_owner(rules.owner or "")
    for letter, path in touched_paths(changes):
        if not rules.declares(path):
            found.append(_undeclared(rules, letter, path, commit))
            continue
        if owner_index is None:
            continue
        index = owner_index.rule_index(path)
        if index is not None and owner_index.rules[index].owners:
            allowed = owned.get(index)
            if allowed is None:
                owners = owner_index.rules[index].owners
                allowed = owned[index] = any(normalize_owner(o) == wanted for o in owners)
            if allowed:
                continue
        elif rules.unowned != "deny":
            continue
        found.append(_not_owned(rules, letter, path, commit, owner_index.owners_of(path)))
    return found


def _change_name(letter: str) -> str:
    from gitwt.core.display import CHANGE_NAMES  # imported on a violation only: the hook's time

    return CHANGE_NAMES.get(letter, letter)


def shell_quote(path: str) -> str:
    from gitwt.core.display import shell_quote as quote

    return quote(path)


def _undo(path: str, commit: str | None) -> str:
    # Before the commit the fix is to unstage; after it, to take the change out of the branch.
    if commit is None:
        return f"git restore --staged -- {shell_quote(path)}"
    return f"take it out of commit {commit[:10]}"


def _undeclared(rules: Rules, letter: str, path: str, commit: str | None) -> Violation:
    task = rules.task_id
    return Violation(
        path,
        letter,
        "undeclared",
        f"not declared by task {task}: {_declared_text(rules)}",
        f"{_undo(path, commit)}  or  git parallel claim {task} -- {shell_quote(path)}",
        commit,
    )


def _not_owned(
    rules: Rules, letter: str, path: str, commit: str | None, match: OwnerMatch
) -> Violation:
    source = rules.ownership.source  # type: ignore[union-attr]
    if match.owners:
        task = rules.task_id
        who = f"task {task} (owner {rules.owner})" if task else f"role {rules.owner}"
        return Violation(
            path,
            letter,
            "not-owned",
            f"{who} does not own it: {_owner_text(match, source)}",
            f"{_undo(path, commit)}  or ask its owner",
            commit,
        )
    return Violation(
        path,
        letter,
        "unowned",
        f"unowned paths are denied: {_owner_text(match, source)}",
        f"{_undo(path, commit)}  or add an owner for it",
        commit,
    )


def before_the_edit(found: list[Violation], rules: Rules) -> list[Violation]:
    """The verdicts on paths not changed yet (`check --path`, the agents' pre-edit hook):
    there is nothing to unstage, so the fix is to claim the path first, or leave it."""
    fixes = {
        "undeclared": "git parallel claim {task} -- {path}  (then edit it)",
        "not-owned": "leave it to its owner, or ask them",
        "unowned": "add an owner for it to the ownership map",
        # The pre-edit hook judged the file as the edit would leave it: nothing is written yet.
        "not-bookkeeping": "change only task {task}'s own status marks in it (tick its own "
        "boxes); the rest of the plan is not the task's to edit",
    }
    for violation in found:
        template = fixes.get(violation.kind, violation.fix)
        violation.fix = template.format(task=rules.task_id, path=shell_quote(violation.path))
    return found


def after_the_command(found: list[Violation], rules: Rules) -> list[Violation]:
    """The verdicts on paths a shell command already changed in the worktree (the agents'
    after-shell hook): the fix is to undo the change on disk, or to claim the path."""
    for violation in found:
        if violation.kind != "undeclared":
            continue  # not-owned / unowned: their own fixes already say what to do
        path = shell_quote(violation.path)
        undo = (
            f"rm -- {path}"
            if violation.change == "A"
            else f"git restore --source=HEAD --staged --worktree -- {path}"
        )
        violation.fix = f"{undo}  or  git parallel claim {rules.task_id} -- {path}"
    return found
