"""A change set against a task's rules -> violations. Pure and stdlib only: the hook runs it.

The rules are compiled once (at `start`/`claim`) into plain JSON: declared patterns as regexes
and the ownership map's rules with provenance. The hook loads that JSON and calls `violations`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitwt.git import Change
from gitwt.ownership import Match, OwnershipMap, Rule, normalize_owner

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


@dataclass
class Rules:
    task_id: str | None  # None: an ownership-only check for a role
    owner: str | None
    declared: list[str] | None  # None: no declaration check
    ownership: OwnershipMap | None = None
    unowned: str = "allow"
    extra: dict[str, Any] = field(default_factory=dict)  # base, branch, worktree... for messages
    _declared_regex: re.Pattern[str] | None = field(default=None, repr=False)

    def declares(self, path: str) -> bool:
        if self.declared is None:
            return True
        if self._declared_regex is None:
            from gitwt.patterns import compile_regex

            self._declared_regex = re.compile(
                "|".join(f"(?:{compile_regex(pattern)})" for pattern in self.declared) or "(?!)"
            )
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
        if data.get("schema") != RULES_SCHEMA:
            raise ValueError(f"unknown rules schema {data.get('schema')!r}")
        declared = data["declared"]
        ownership_data = data.get("ownership")
        ownership = None
        unowned = "allow"
        if ownership_data is not None:
            ownership = OwnershipMap(
                source=ownership_data["source"],
                rules=tuple(
                    Rule(
                        pattern=rule["pattern"],
                        owners=tuple(rule["owners"]),
                        line=rule["line"],
                        regex=rule["regex"],
                    )
                    for rule in ownership_data["rules"]
                ),
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
            rules._declared_regex = re.compile(
                "|".join(f"(?:{entry['regex']})" for entry in declared) or "(?!)"
            )
        return rules


@dataclass(frozen=True)
class Violation:
    path: str
    change: str  # A, M, D, R, ...
    kind: str  # "undeclared" | "not-owned" | "unowned"
    rule: str  # what forbids it, with its source
    fix: str
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "change": CHANGE_NAMES.get(self.change, self.change),
            "kind": self.kind,
            "rule": self.rule,
            "fix": self.fix,
            "commit": self.commit,
        }


def touched_paths(changes: Iterable[Change]) -> list[tuple[str, str]]:
    """(change letter, path) for every side of every change: a rename touches both paths."""
    touched: list[tuple[str, str]] = []
    for change in changes:
        if change.old_path is not None and change.status == "R":
            touched.append(("R", change.old_path))
        touched.append((change.status, change.path))
    return touched


def _owner_text(match: Match, source: str) -> str:
    if match.rule is None:
        return f"no line of {source} matches"
    owners = " ".join(match.owners) if match.owners else "(no owners)"
    return f"{source}:{match.rule.line} → {owners}"


def violations(
    changes: Sequence[Change], rules: Rules, commit: str | None = None
) -> list[Violation]:
    found: list[Violation] = []
    task = rules.task_id
    for letter, path in touched_paths(changes):
        if not rules.declares(path):
            declared = ", ".join(rules.declared or [])
            found.append(
                Violation(
                    path,
                    letter,
                    "undeclared",
                    f"not declared by task {task} ({declared})",
                    f"git restore --staged -- {_shell_quote(path)}   or   "
                    f"git parallel claim {task} -- {_shell_quote(path)}",
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
                        f"git restore --staged -- {_shell_quote(path)}   or ask its owner",
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
                    f"git restore --staged -- {_shell_quote(path)}   or add an owner for it",
                    commit,
                )
            )
    return found


def _shell_quote(path: str) -> str:
    import shlex

    return shlex.quote(path)


def save_rules(git_dir: str, rules: Rules) -> None:
    """Store the compiled rules in a worktree's private git dir, where its hooks read them."""
    import os

    from gitwt.state import write_json_atomic

    write_json_atomic(os.path.join(git_dir, RULES_FILE), rules.to_json())


def load_rules(git_dir: str) -> Rules | None:
    """The rules of the task whose worktree this is, or None outside task worktrees."""
    import json
    import os

    try:
        with open(os.path.join(git_dir, RULES_FILE), encoding="utf-8") as handle:
            return Rules.from_json(json.load(handle))
    except FileNotFoundError:
        return None
