"""The ownership map: CODEOWNERS semantics, owners_of(path) with file:line provenance.

Patterns follow GitHub: gitignore-style matching (built on pathspec), the last matching line
wins, a line without owners makes its paths unowned, `[`/`]` are literal, `!` is an error, and a
pattern ending in `/*` covers only the files directly in that folder. Owners are arbitrary tokens
compared without a leading `@` and without case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from gitwt.errors import GitParallelError

_DIRECTORY_GROUP = "(?:(?P<ps_d>/)|$)"


class OwnershipError(GitParallelError):
    pass


def normalize_owner(token: str) -> str:
    return token.strip().lstrip("@").casefold()


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: str  # for re.match against a repo-relative path

    def provenance(self, source: str) -> str:
        owners = " ".join(self.owners) if self.owners else "(no owners)"
        return f"{source}:{self.line} {self.pattern} → {owners}"


@dataclass(frozen=True)
class Match:
    owners: tuple[str, ...]  # as written in the file
    rule: Rule | None  # None: no line matched

    def owned_by(self, owner: str) -> bool:
        wanted = normalize_owner(owner)
        return any(normalize_owner(token) == wanted for token in self.owners)


def _rule_regex(pattern: str) -> str:
    # Imported here so that loading the compiled rules (the hook's job) never imports pathspec.
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    escaped = pattern.replace("[", "\\[").replace("]", "\\]")
    regex = GitIgnoreSpecPattern(escaped).regex
    if regex is None:
        raise OwnershipError(f"pattern {pattern!r} matches nothing", "remove the line")
    text = regex.pattern
    if pattern.endswith("/*"):
        # GitHub: 'docs/*' owns docs/a.md but not docs/sub/b.md (gitignore would take both).
        text = text.replace(_DIRECTORY_GROUP, "$")
    return text.replace("(?P<ps_d>/)", "/")


_SPLIT = re.compile(r"(?<!\\)\s+")


def parse(text: str, source: str) -> OwnershipMap:
    rules: list[Rule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\s+#.*$", "", line)  # trailing comment
        fields = _SPLIT.split(line)
        pattern = fields[0].replace("\\ ", " ")
        if pattern.startswith("\\#"):
            pattern = pattern[1:]
        if pattern.startswith("!"):
            raise OwnershipError(
                f"{source}:{number}: negated pattern {pattern!r} is not supported in CODEOWNERS",
                "GitHub ignores '!' lines; list the paths you mean without '!'",
            )
        owners = tuple(token for token in fields[1:] if token)
        try:
            regex = _rule_regex(pattern)
        except (ValueError, re.error) as exc:
            raise OwnershipError(
                f"{source}:{number}: invalid pattern {pattern!r}: {exc}", "fix or remove the line"
            ) from exc
        rules.append(Rule(pattern=pattern, owners=owners, line=number, regex=regex))
    return OwnershipMap(source=source, rules=tuple(rules))


@dataclass(frozen=True)
class OwnershipMap:
    source: str  # repo-relative path of the file, for provenance
    rules: tuple[Rule, ...]

    @cached_property
    def _matcher(self) -> re.Pattern[str] | None:
        if not self.rules:
            return None
        # One alternation, last rule first: re takes the first alternative that matches, which is
        # exactly "the last matching line wins", in one pass instead of one regex per rule.
        alternatives = [
            f"(?P<r{index}>{rule.regex})" for index, rule in reversed(list(enumerate(self.rules)))
        ]
        return re.compile("|".join(alternatives))

    def owners_of(self, path: str) -> Match:
        matcher = self._matcher
        found = matcher.match(path) if matcher else None
        if found is None or found.lastgroup is None:
            return Match(owners=(), rule=None)
        rule = self.rules[int(found.lastgroup[1:])]
        return Match(owners=rule.owners, rule=rule)

    def compiled(self) -> list[dict[str, object]]:
        """Plain data for the hook: it rebuilds the same matcher with `re` alone."""
        return [
            {
                "regex": rule.regex,
                "owners": list(rule.owners),
                "line": rule.line,
                "pattern": rule.pattern,
            }
            for rule in self.rules
        ]
