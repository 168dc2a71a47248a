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
    from typing import Any, NotRequired, TypedDict

    from gitwt.core.stored_regex import CompiledForm

    class OwnerRuleJson(TypedDict):
        """One CODEOWNERS rule as plain data for the hook (`compiled` only in the rules file)."""

        regex: str
        owners: list[str]
        line: int
        pattern: str
        compiled: NotRequired[CompiledForm | None]


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
        compiled: CompiledForm | None = None,  # compiled_form(regex), as stored
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
    CODEOWNERS that dominates the hook, and with thousands of `/src/<package>/` lines under one
    top folder, filing rules by first segment alone still tries them all for every path under
    `src/`. Rules anchored under literal leading segments (`/src/pkg/...`, `docs/api/...`) are
    filed under all of those segments, so a path tries only the rules filed under one of its own
    leading segment paths and the floating ones (`*`, `*.js`, `docs/`), newest first, and stops
    at the first match. Works for `ownership.OwnershipMap` and `CompiledOwnership` rules alike.
    """

    def __init__(self, rules: Sequence[Any]) -> None:
        self.rules = rules
        self._anchored: dict[str, list[int]] = {}
        self._floating: list[int] = []
        self._compiled: dict[int, re.Pattern[str]] = {}
        self._directory_candidates: dict[str, list[int]] = {}
        for index, rule in enumerate(rules):
            prefix = _anchor_prefix(rule.pattern)
            if prefix:
                self._anchored.setdefault(prefix, []).append(index)
            else:
                self._floating.append(index)

    def _candidates(self, directory: str) -> list[int]:
        """Rules that may match a path in `directory` (not counting rules filed under the path
        itself), newest first. Cached per directory: paths share their folders."""
        candidates = self._directory_candidates.get(directory)
        if candidates is None:
            if directory:
                parent = directory.rpartition("/")[0]
                filed = self._anchored.get(directory, ())
                candidates = _newest_first(self._candidates(parent), filed)
            else:
                candidates = sorted(self._floating, reverse=True)
            self._directory_candidates[directory] = candidates
        return candidates

    def rule_index(self, path: str) -> int | None:
        candidates = self._candidates(path.rpartition("/")[0])
        filed = self._anchored.get(path)
        if filed:  # a rule naming the path itself (`/docs/readme.md`)
            candidates = _newest_first(candidates, filed)
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


def _newest_first(candidates: list[int], filed: Sequence[int]) -> list[int]:
    return sorted([*candidates, *filed], reverse=True) if filed else candidates


def _anchor_prefix(pattern: str) -> str | None:
    """The literal leading segments (`src/pkg`) a CODEOWNERS pattern is anchored under, or None
    if it floats. Every path the pattern matches starts with those segments.

    gitignore rules: a pattern with a `/` at its start or middle is anchored at the root.
    """
    body = pattern[1:] if pattern.startswith("/") else pattern
    if "/" not in body.rstrip("/") and not pattern.startswith("/"):
        return None
    literal: list[str] = []
    for segment in body.split("/"):
        # gitignore drops unescaped trailing spaces: a segment with edge spaces is not literal.
        if segment in ("", ".", "..") or segment != segment.strip() or _has_wildcard(segment):
            break
        literal.append(segment)
    return "/".join(literal) or None


def _has_wildcard(segment: str) -> bool:
    return any(char in segment for char in "*?[]\\")


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

    def compiled(self) -> list[OwnerRuleJson]:
        return [
            {"regex": rule.regex, "owners": list(rule.owners), "line": rule.line,
             "pattern": rule.pattern}
            for rule in self.rules
        ]  # fmt: skip


def stored_rules(ownership: Any) -> list[OwnerRuleJson]:
    """An ownership map's rules as stored: provenance, regex and its compiled form."""
    rules: list[OwnerRuleJson] = ownership.compiled()
    return [{**rule, "compiled": compiled_form(rule["regex"])} for rule in rules]
