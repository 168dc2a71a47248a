"""A change set against a task's rules -> violations. Pure and stdlib only: the hook runs it.

The rules are compiled once (at `start`/`claim`) into plain JSON: declared patterns as regexes
and the ownership map's rules with provenance. The hook loads that JSON and calls `violations`.

Every commit pays for this module's import, so it imports `re` and nothing else at load time:
no dataclasses (they pull in `inspect`), no typing, no `gitwt.git` (subprocess), no
`gitwt.ownership` (pathspec). Compiled ownership rules are matched by `CompiledOwnership`,
which behaves like `ownership.OwnershipMap` for everything `violations` needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing: it costs the hook milliseconds
    from typing import Any, Protocol

    from gitwt.ownership import OwnershipMap

    class ChangeLike(Protocol):
        status: str
        path: str
        old_path: str | None


RULES_SCHEMA = "git-parallel/rules/1"
RULES_FILE = "parallel-rules.json"  # in the task worktree's private git dir

CHANGE_NAMES = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "T": "type changed",
    "R": "renamed",
    "C": "copied",
    "U": "unmerged",
}
SHOWN_PATTERNS = 4


def normalize_owner(token: str) -> str:
    # Same as ownership.normalize_owner; repeated so the hook does not import that module.
    return token.strip().lstrip("@").casefold()


class OwnerRule:
    """One compiled CODEOWNERS line: what `ownership.Rule` holds, without dataclasses."""

    __slots__ = ("line", "owners", "pattern", "regex")

    def __init__(self, pattern: str, owners: tuple[str, ...], line: int, regex: str) -> None:
        self.pattern = pattern
        self.owners = owners
        self.line = line
        self.regex = regex


class OwnerMatch:
    __slots__ = ("owners", "rule")

    def __init__(self, owners: tuple[str, ...], rule: OwnerRule | None) -> None:
        self.owners = owners
        self.rule = rule


class CompiledOwnership:
    """An ownership map rebuilt from its compiled JSON: `owners_of` with `re` alone."""

    def __init__(self, source: str, rules: Sequence[OwnerRule]) -> None:
        self.source = source
        self.rules = tuple(rules)
        self._matcher: re.Pattern[str] | None = None

    def owners_of(self, path: str) -> OwnerMatch:
        if not self.rules:
            return OwnerMatch((), None)
        if self._matcher is None:
            # Last rule first: re takes the first alternative that matches, which is exactly
            # "the last matching line wins" (the same construction as ownership.OwnershipMap).
            self._matcher = re.compile(
                "|".join(
                    f"(?P<r{index}>{rule.regex})"
                    for index, rule in reversed(list(enumerate(self.rules)))
                ),
                re.DOTALL,
            )
        found = self._matcher.match(path)
        if found is None or found.lastgroup is None:
            return OwnerMatch((), None)
        rule = self.rules[int(found.lastgroup[1:])]
        return OwnerMatch(rule.owners, rule)

    def compiled(self) -> list[dict[str, object]]:
        return [
            {"regex": rule.regex, "owners": list(rule.owners), "line": rule.line,
             "pattern": rule.pattern}
            for rule in self.rules
        ]  # fmt: skip


class Rules:
    """What one task (or one role) may change: declared patterns and the owner rules."""

    def __init__(
        self,
        task_id: str | None,  # None: an ownership-only check for a role
        owner: str | None,
        declared: list[str] | None,  # None: no declaration check
        ownership: OwnershipMap | CompiledOwnership | None = None,
        unowned: str = "allow",
        extra: dict[str, Any] | None = None,  # base, branch, worktree... for messages
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.declared = declared
        self.ownership = ownership
        self.unowned = unowned
        self.extra = dict(extra or {})
        self._declared_regex: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Rules(task_id={self.task_id!r}, owner={self.owner!r}, declared={self.declared!r})"

    def declares(self, path: str) -> bool:
        if self.declared is None:
            return True
        if self._declared_regex is None:
            from gitwt.patterns import compile_regex

            self._declared_regex = _alternation(compile_regex(p) for p in self.declared)
        return self._declared_regex.fullmatch(path) is not None

    def to_json(self) -> dict[str, Any]:
        from gitwt.patterns import compile_regex

        return {
            "schema": RULES_SCHEMA,
            "task": self.task_id,
            "owner": self.owner,
            "declared": None
            if self.declared is None
            else [
                {"pattern": pattern, "regex": compile_regex(pattern)} for pattern in self.declared
            ],
            "ownership": None
            if self.ownership is None
            else {
                "source": self.ownership.source,
                "unowned": self.unowned,
                "rules": self.ownership.compiled(),
            },
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rules:
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
                    OwnerRule(rule["pattern"], tuple(rule["owners"]), rule["line"], rule["regex"])
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
            extra={
                key: value
                for key, value in data.items()
                if key not in {"schema", "task", "owner", "declared", "ownership"}
            },
        )
        if declared is not None:
            # The stored regexes, not a recompile: the hook must not need the compiler.
            rules._declared_regex = _alternation(entry["regex"] for entry in declared)
        return rules


def _alternation(regexes: Iterable[str]) -> re.Pattern[str]:
    # DOTALL: a file name may hold a newline, and `.` in a compiled pattern means any character.
    return re.compile("|".join(f"(?:{regex})" for regex in regexes) or "(?!)", re.DOTALL)


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

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "change": CHANGE_NAMES.get(self.change, self.change),
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

    `changes` are `git.Change`s, or anything with `status`, `path` and `old_path`.
    """
    found: list[Violation] = []
    task = rules.task_id
    for letter, path in touched_paths(changes):
        # Before the commit the fix is to unstage; after it, to take the change out of the branch.
        undo = (
            f"git restore --staged -- {shell_quote(path)}"
            if commit is None
            else f"take it out of commit {commit[:10]}"
        )
        if not rules.declares(path):
            found.append(
                Violation(
                    path,
                    letter,
                    "undeclared",
                    f"not declared by task {task}: {_declared_text(rules)}",
                    f"{undo}  or  git parallel claim {task} -- {shell_quote(path)}",
                    commit,
                )
            )
            continue
        if rules.ownership is None or rules.owner is None:
            continue
        match = rules.ownership.owners_of(path)
        who = f"task {task} (owner {rules.owner})" if task else f"role {rules.owner}"
        if match.owners:
            wanted = normalize_owner(rules.owner)
            if not any(normalize_owner(token) == wanted for token in match.owners):
                found.append(
                    Violation(
                        path,
                        letter,
                        "not-owned",
                        f"{who} does not own it: {_owner_text(match, rules.ownership.source)}",
                        f"{undo}  or ask its owner",
                        commit,
                    )
                )
        elif rules.unowned == "deny":
            found.append(
                Violation(
                    path,
                    letter,
                    "unowned",
                    f"unowned paths are denied: {_owner_text(match, rules.ownership.source)}",
                    f"{undo}  or add an owner for it",
                    commit,
                )
            )
    return found


# --- showing paths on one line ---------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z0-9_./+,:=@%^-]+")


def quote_path(path: str) -> str:
    """A path on one line: as is when plain, else C-style quoted like git (newlines as \\n)."""
    if path and path == path.strip() and all(c.isprintable() and c not in '"\\' for c in path):
        return path
    escaped = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    for raw, shown in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r")):
        escaped = escaped.replace(raw, shown)
    return f'"{escaped}"'


def shell_quote(path: str) -> str:
    """A path a POSIX shell (bash, zsh) reads back exactly, always on one line."""
    if _PLAIN.fullmatch(path):
        return path
    if all(c.isprintable() and not "\udc80" <= c <= "\udcff" for c in path):
        return "'" + path.replace("'", "'\\''") + "'"
    # Control characters or undecodable bytes: ANSI-C quoting keeps the fix one copyable line.
    out = []
    for byte in path.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        if char == "'" or char == "\\":
            out.append("\\" + char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def violation_lines(found: Sequence[Violation]) -> list[str]:
    """One aligned line per violation: path, change, rule with its source, fix."""
    paths = [quote_path(violation.path) for violation in found]
    width = min(max((len(path) for path in paths), default=0), 40)
    changes = [CHANGE_NAMES.get(violation.change, violation.change) for violation in found]
    change_width = max((len(change) for change in changes), default=0)
    return [
        f"  {path.ljust(width)}  {change.ljust(change_width)}  {violation.rule}"
        f"  fix: {violation.fix}\n"
        for path, change, violation in zip(paths, changes, found, strict=True)
    ]


# --- storage ---------------------------------------------------------------------------------


def save_rules(git_dir: str, rules: Rules) -> None:
    """Store the compiled rules in a worktree's private git dir, where its hooks read them."""
    import os

    from gitwt.state import write_json_atomic

    write_json_atomic(os.path.join(git_dir, RULES_FILE), rules.to_json())


def load_rules(git_dir: str) -> Rules | None:
    """The rules of the task whose worktree this is, or None outside task worktrees.

    Raises ValueError (or OSError) when the file exists but cannot be used: callers fail closed.
    """
    import json

    try:
        with open(f"{git_dir}/{RULES_FILE}", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    try:
        return Rules.from_json(data)
    except (KeyError, TypeError, re.error) as exc:
        raise ValueError(f"malformed rules: {exc!r}") from exc
