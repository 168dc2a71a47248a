"""A change set against a task's rules -> violations. Pure and stdlib only: the hook runs it.

The rules are compiled once (at `start`/`claim`) into plain JSON: declared patterns as regexes
and the ownership map's rules with provenance. The hook loads that JSON (`gitwt.hook.rules_file`;
the services save it, `gitwt.services.task_rules`) and calls `violations`. No file I/O here.

Every commit pays for this module, so it imports nothing at load time: no dataclasses (they
pull in `inspect`), no typing, no `gitwt.infra.git` (subprocess), no `gitwt.core.ownership`
(pathspec), and not even `re` or `json`, which cost as much as starting Python:

- each stored regex also carries its compiled form (the `_sre` code `re` itself produces, with
  `_sre.MAGIC`), so loading it is one `_sre.compile` call; an interpreter with another MAGIC,
  or no `_sre`, compiles the regex text with `re` as usual;

Compiled ownership rules are matched by `OwnerIndex`, which behaves like
`ownership.OwnershipMap.owners_of` for everything `violations` needs.
"""

from __future__ import annotations

from gitwt.core.display import quote_path  # one definition, stdlib-free; used by the hook too

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing or collections: they cost the hook milliseconds
    import re
    from collections.abc import Iterable, Sequence
    from typing import Any, Protocol

    from gitwt.core.ownership import OwnershipMap

    class ChangeLike(Protocol):
        @property
        def status(self) -> str: ...
        @property
        def path(self) -> str: ...
        @property
        def old_path(self) -> str | None: ...


RULES_SCHEMA = "git-parallel/rules/1"

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
DOTALL = 16  # re.DOTALL: a file name may hold a newline, and `.` means any character


# --- regexes, stored compiled ----------------------------------------------------------------


def compiled_form(regex: str) -> dict[str, Any] | None:
    """What `re.compile(regex, DOTALL)` hands to `_sre.compile`, as JSON; None if unavailable."""
    try:
        import _sre  # type: ignore[import-not-found]
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex, DOTALL)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, number in groupindex.items():
            indexgroup[number] = name
        form = {
            "magic": _sre.MAGIC,
            "codesize": _sre.CODESIZE,
            "flags": DOTALL | parsed.state.flags,
            "code": list(_compiler._code(parsed, DOTALL)),
            "groups": parsed.state.groups - 1,
            "groupindex": groupindex,
            "indexgroup": indexgroup,
        }
        _from_form(regex, form)  # this interpreter must accept what it produced
        return form
    except Exception:  # private API: any change in it only costs the fast path
        return None


def _from_form(regex: str, form: dict[str, Any]) -> re.Pattern[str]:
    import _sre

    pattern: re.Pattern[str] = _sre.compile(
        regex,
        form["flags"],
        form["code"],
        form["groups"],
        form["groupindex"],
        tuple(form["indexgroup"]),
    )
    return pattern


def compile_stored(regex: str, form: dict[str, Any] | None = None) -> re.Pattern[str]:
    """The regex from its stored compiled form when this interpreter can take it, else `re`."""
    if form is not None:
        try:
            import _sre

            if form["magic"] == _sre.MAGIC and form["codesize"] == _sre.CODESIZE:
                return _from_form(regex, form)
        except Exception:
            pass
    import re

    return re.compile(regex, DOTALL)


def normalize_owner(token: str) -> str:
    # Same as ownership.normalize_owner; repeated so the hook does not import that module.
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


def _stored_rules(ownership: Any) -> list[dict[str, Any]]:
    """An ownership map's rules as stored: provenance, regex and its compiled form."""
    return [
        {**rule, "compiled": compiled_form(str(rule["regex"]))} for rule in ownership.compiled()
    ]


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
            from gitwt.core.patterns import compile_regex

            self._declared_regex = _alternation(compile_regex(p) for p in self.declared)
        return self._declared_regex.fullmatch(path) is not None

    def to_json(self) -> dict[str, Any]:
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
            if declared is None
            else compiled_form(_alternation_text(regex for _, regex in declared)),
            "ownership": None
            if self.ownership is None
            else {
                "source": self.ownership.source,
                "unowned": self.unowned,
                "rules": _stored_rules(self.ownership),
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
            extra={
                key: value
                for key, value in data.items()
                if key
                not in {"schema", "task", "owner", "declared", "declared_compiled", "ownership"}
            },
        )
        if declared is not None:
            # The stored regexes, not a recompile: the hook must not need the compiler.
            rules._declared_regex = compile_stored(
                _alternation_text(entry["regex"] for entry in declared),
                data.get("declared_compiled"),
            )
        return rules


def _alternation_text(regexes: Iterable[str]) -> str:
    return "|".join(f"(?:{regex})" for regex in regexes) or "(?!)"


def _alternation(regexes: Iterable[str]) -> re.Pattern[str]:
    return compile_stored(_alternation_text(regexes))


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
    }
    for violation in found:
        template = fixes.get(violation.kind, violation.fix)
        violation.fix = template.format(task=rules.task_id, path=shell_quote(violation.path))
    return found


# --- showing paths on one line ---------------------------------------------------------------

_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+,:=@%^-")


def shell_quote(path: str) -> str:
    """A path a POSIX shell (bash, zsh) reads back exactly, always on one line."""
    if path and _PLAIN.issuperset(path):
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
