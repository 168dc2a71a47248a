"""The one CODEOWNERS lookup: which rule (the last that matches) covers a path.

`core.ownership` parses a CODEOWNERS file into rules (pattern, owners, line, regex) and answers
`owners_of` with `OwnerIndex`; the commit hook answers it with the same `OwnerIndex` over the
rules compiled into the task's rules file (`CompiledOwnership`, generated from the parsed map by
`stored_rules`). One matcher, two ways to get its rules. Stdlib only, no dataclasses: the hook
imports this module.
"""

from __future__ import annotations

from gitwt.core.stored_regex import compile_stored, compiled_form

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence
    from typing import Any


def normalize_owner(token: str) -> str:
    """Owner tokens compare without a leading `@` and without case (DESIGN §2)."""
    return token.strip().lstrip("@").casefold()


class OwnerRule:
    """One compiled CODEOWNERS line: what `ownership.Rule` holds, without dataclasses."""

    __slots__ = ("compiled", "line", "owners", "pattern", "regex")

    def __init__(
        self,
        pattern: str,
        owners: tuple[str, ...],
        line: int,
        regex: str,
        compiled: dict[str, Any] | None = None,  # compiled_form(regex), as stored
    ) -> None:
        self.pattern = pattern
        self.owners = owners
        self.line = line
        self.regex = regex
        self.compiled = compiled


class OwnerMatch:
    __slots__ = ("owners", "rule")

    def __init__(self, owners: tuple[str, ...], rule: OwnerRule | None) -> None:
        self.owners = owners
        self.rule = rule


class OwnerIndex:
    """Which ownership rule (last match wins) covers a path, trying few regexes per path.

    One alternation of every rule costs a try of each branch per path: with a hundred lines of
    CODEOWNERS that dominates the hook. Rules anchored under a literal first segment
    (`/src/...`, `docs/api/...`) are filed under it, so a path tries the rules of its own first
    segment and the floating ones (`*`, `*.js`, `docs/`), newest first, and stops at the first
    match. Works for `ownership.OwnershipMap` and `CompiledOwnership` rules alike.
    """

    def __init__(self, rules: Sequence[Any]) -> None:
        self.rules = rules
        self._anchored: dict[str, list[int]] = {}
        self._floating: list[int] = []
        self._compiled: dict[int, re.Pattern[str]] = {}
        self._candidates: dict[str, list[int]] = {}
        for index, rule in enumerate(rules):
            segment = _anchor_segment(rule.pattern)
            if segment:
                self._anchored.setdefault(segment, []).append(index)
            else:
                self._floating.append(index)

    def rule_index(self, path: str) -> int | None:
        segment = path.split("/", 1)[0]
        candidates = self._candidates.get(segment)
        if candidates is None:
            candidates = sorted([*self._anchored.get(segment, ()), *self._floating], reverse=True)
            self._candidates[segment] = candidates
        for index in candidates:
            compiled = self._compiled.get(index)
            if compiled is None:
                rule = self.rules[index]
                form = getattr(rule, "compiled", None)
                compiled = self._compiled[index] = compile_stored(rule.regex, form)
            if compiled.match(path) is not None:
                return index
        return None

    def owners_of(self, path: str) -> OwnerMatch:
        index = self.rule_index(path)
        if index is None:
            return OwnerMatch((), None)
        rule = self.rules[index]
        return OwnerMatch(tuple(rule.owners), rule)


def _anchor_segment(pattern: str) -> str | None:
    """The literal first segment a CODEOWNERS pattern is anchored under, or None if it floats.

    gitignore rules: a pattern with a `/` at its start or middle is anchored at the root.
    """
    body = pattern[1:] if pattern.startswith("/") else pattern
    if "/" not in body.rstrip("/") and not pattern.startswith("/"):
        return None
    first = body.split("/", 1)[0]
    if not first or any(char in first for char in "*?[]\\"):
        return None
    return first


class CompiledOwnership:
    """An ownership map rebuilt from its compiled JSON: `owners_of` with `re` alone."""

    def __init__(self, source: str, rules: Sequence[OwnerRule]) -> None:
        self.source = source
        self.rules = tuple(rules)
        self._index: OwnerIndex | None = None

    def owners_of(self, path: str) -> OwnerMatch:
        if self._index is None:
            self._index = OwnerIndex(self.rules)
        return self._index.owners_of(path)

    def compiled(self) -> list[dict[str, object]]:
        return [
            {"regex": rule.regex, "owners": list(rule.owners), "line": rule.line,
             "pattern": rule.pattern}
            for rule in self.rules
        ]  # fmt: skip


def stored_rules(ownership: Any) -> list[dict[str, Any]]:
    """An ownership map's rules as stored: provenance, regex and its compiled form."""
    return [
        {**rule, "compiled": compiled_form(str(rule["regex"]))} for rule in ownership.compiled()
    ]
