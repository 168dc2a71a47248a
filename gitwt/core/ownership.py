"""The ownership map: CODEOWNERS semantics, owners_of(path) with file:line provenance.

Patterns follow GitHub: gitignore-style matching (built on pathspec), the last matching line
wins, a line without owners makes its paths unowned, `[`/`]` are literal, `!` is an error, and a
pattern ending in `/*` covers only the files directly in that folder. Owners are arbitrary tokens
compared without a leading `@` and without case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from gitwt.errors import GitParallelError

_DIRECTORY_GROUP = "(?:(?P<ps_d>/)|$)"


class OwnershipError(GitParallelError):
    pass


def normalize_owner(token: str) -> str:
    return token.strip().lstrip("@").casefold()


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

    escaped = pattern.replace("[", "\\[").replace("]", "\\]")
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


_SPECIAL = frozenset("\\.^$*+?{}[]()|")


def _literal_prefix(regex: str) -> str:
    """Text that every path `re.match(regex, path)` accepts starts with ("" when not anchored)."""
    if not regex.startswith("^"):
        return ""
    chars: list[str] = []
    index = 1
    while index < len(regex):
        char = regex[index]
        if char == "\\" and index + 1 < len(regex):
            escaped = regex[index + 1]
            if escaped.isascii() and escaped.isalnum():
                break  # a class such as \d or \w, not a literal
            chars.append(escaped)
            index += 2
            continue
        if char in _SPECIAL:
            break
        chars.append(char)
        index += 1
    if index < len(regex) and regex[index] in "*+?{" and chars:
        chars.pop()  # the quantifier applies to the last literal, which may then be absent
    return "".join(chars)


class _Candidates:
    """The rules one group of paths can match, last line first, as one matcher."""

    ALTERNATION_FROM = 16  # more candidates than this: one alternation instead of a loop

    def __init__(self, rules: tuple[Rule, ...], indexes: list[int]) -> None:
        self.rules = rules
        self.indexes = indexes
        self.single: list[tuple[re.Pattern[str], Rule]] | None = None
        self.alternation: re.Pattern[str] | None = None
        if len(indexes) > self.ALTERNATION_FROM:
            # re takes the first alternative that matches: "the last matching line wins".
            self.alternation = re.compile(
                "|".join(f"(?P<r{index}>{rules[index].regex})" for index in indexes),
                re.DOTALL,  # a path may hold a newline; '.' must match it too
            )
        else:
            self.single = [(_compiled_rule(rules[index].regex), rules[index]) for index in indexes]

    def first_match(self, path: str) -> Rule | None:
        if self.single is not None:
            for regex, rule in self.single:
                if regex.match(path):
                    return rule
            return None
        found = self.alternation.match(path)  # type: ignore[union-attr]
        if found is None or found.lastgroup is None:
            return None
        return self.rules[int(found.lastgroup[1:])]


@lru_cache(maxsize=4096)
def _compiled_rule(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL)


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
    def _index(self) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
        """Rules bucketed by the literal text every path they match starts with.

        A path can only match rules whose prefix it starts with, so it is tried against those
        (a handful, typically) instead of every line of a long CODEOWNERS file.
        """
        buckets: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            buckets.setdefault(_literal_prefix(rule.regex), []).append(index)
        lengths = tuple(sorted({len(prefix) for prefix in buckets}))
        return lengths, {prefix: tuple(indexes) for prefix, indexes in buckets.items()}

    @cached_property
    def _candidates(self) -> dict[tuple[str, ...], _Candidates]:
        return {}

    def _lookup(self, prefixes: tuple[str, ...]) -> _Candidates:
        found = self._candidates.get(prefixes)
        if found is None:
            buckets = self._index[1]
            indexes = sorted((i for prefix in prefixes for i in buckets[prefix]), reverse=True)
            found = self._candidates[prefixes] = _Candidates(self.rules, indexes)
        return found

    def owners_of(self, path: str) -> Match:
        if not self.rules:
            return Match(owners=(), rule=None)
        lengths, buckets = self._index
        prefixes = tuple(
            path[:length] for length in lengths if length <= len(path) and path[:length] in buckets
        )
        rule = self._lookup(prefixes).first_match(path)
        if rule is None:
            return Match(owners=(), rule=None)
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
