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
from typing import TYPE_CHECKING

from gitwt.core.owner_index import OwnerIndex, normalize_owner
from gitwt.errors import GitParallelError

if TYPE_CHECKING:
    from gitwt.core.owner_index import OwnerRuleJson

_DIRECTORY_GROUP = "(?:(?P<ps_d>/)|$)"


class OwnershipError(GitParallelError):
    pass


def owner_token(ownership: object, identity: str) -> str | None:
    """The owner token of the map that names `identity` (e.g. a user.email), as written; None
    when no line lists it. Works on the parsed map and on the hook's compiled one alike."""
    wanted = normalize_owner(identity)
    if not wanted:
        return None
    for rule in getattr(ownership, "rules", ()):
        for token in rule.owners:
            if normalize_owner(token) == wanted:
                return str(token)
    return None


def choose_role(
    explicit: str | None,
    variable: str | None,
    configured: str | None,
    task_owner: str | None,
    email: str | None,
    ownership: object | None,
) -> str | None:
    """The one answer to "whose role is this?" (DESIGN §2), for `check`, the hooks and the
    pre-commit framework: --role, GIT_PARALLEL_ROLE, parallel.role, the task's owner (in a
    task worktree), else user.email when the ownership map names that email as an owner."""
    for candidate in (explicit, variable, configured, task_owner):
        if candidate:
            return candidate
    if email and ownership is not None:
        return owner_token(ownership, email)
    return None


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

    escaped = _literal_brackets(pattern)
    if escaped.startswith("#"):
        escaped = "\\" + escaped  # a literal '#', not a comment
    regex = GitIgnoreSpecPattern(escaped).regex
    if regex is None:
        raise ValueError("it matches nothing")
    text: str = regex.pattern
    if pattern.endswith("/*"):
        # GitHub: 'docs/*' owns docs/a.md but not docs/sub/b.md (gitignore would take both).
        text = text.replace(_DIRECTORY_GROUP, "$")
    return text.replace("(?P<ps_d>/)", "/")


def _literal_brackets(pattern: str) -> str:
    """The pattern for gitignore matching with `[`/`]` literal (GitHub's CODEOWNERS has no
    character classes) and `\\` escaping the next character, as in gitignore: `\\[id\\]` and
    `[id]` both name `[id]`, `\\*` a literal `*`."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        out.append("\\" + char if char in "[]" else char)
        index += 1
    return "".join(out)


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
    def _index(self) -> OwnerIndex:
        return OwnerIndex(self.rules)

    def owners_of(self, path: str) -> Match:
        """The owners of `path`: the last line that matches wins (`owner_index`, the one lookup
        the commit hook shares through the compiled rules)."""
        index = self._index.rule_index(path)
        if index is None:
            return Match(owners=(), rule=None)
        rule = self.rules[index]
        return Match(owners=rule.owners, rule=rule)

    def compiled(self) -> list[OwnerRuleJson]:
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
