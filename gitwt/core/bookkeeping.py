"""A unit's bookkeeping in its plan files, judged on content (DESIGN §2, "Plans are living files").

Each tool's implement step writes back to the plan: a tick in a task line's check box (spec-kit,
Kiro/cc-sdd, OpenSpec) and cc-sdd's `_Blocked:_` notes under it, ccpm's `status:`/`updated:`
in a task file's front matter, Task Master's `status` fields, `update-subtask`'s notes appended to
a subtask's `details` and the tag's `metadata.updated`, whole files of its own (GSD's SUMMARY,
ccpm's `updates/<N>/`). What a unit may write is compiled at `start` into its rules
(`extra["bookkeeping"]`, entries `[kind, path, ids]`, see `core.plan_bookkeeping`), so the
commit hook needs no plan reader:

- `markdown`: `ids` are the plan's own ids of the unit's task lines (`T012`, `2.1`; `*`: every
  task line of the file, as in a ccpm task's own file); only their boxes may change (`[ ]`,
  `[x]`/`[X]`, and `[-]`/`[~]` for in progress), `_Blocked:_` lines may come and go under
  them, and in a front matter only the `status:` and `updated:` lines may change (ccpm);
- `json`: `ids` are Task Master task ids (`7`: the task and its subtasks; `7.2`: one subtask);
- `any`: the file (or, for a path ending in `/`, everything below it) is the unit's own.

One judge, `bookkeeping_violations(old, new, entry)`, serves the commit hook, the merge audit,
`check` and the agents' hooks; `core.bookkeeping_merge` writes one plan file from two sides'
bookkeeping at merge (DESIGN §6) with the same alignment, `walk`. Files are compared line by
line, line endings included, so a combination is byte for byte. Stdlib only (the hook imports
this module); `re` is imported on first use.
"""

from __future__ import annotations

from gitwt.core.bookkeeping_json import line_places, string_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Sequence
    from typing import Any

    from gitwt.core.boundaries import Rules, Violation

MARKDOWN, JSON, ANY = "markdown", "json", "any"
EVERY = "*"
BOOKKEEPING = "bookkeeping"  # the provenance kind, and the rules' extra key
SHARED_PROGRESS = "shared-progress"  # a Violation kind
CCPM_FIELDS = ("status", "updated")

# Files a whole plan shares: no task edits them (updated on base after the merge). GSD keeps
# them in `.planning/`, ccpm in each epic's folder `.claude/epics/<epic>/`.
_SHARED = (
    ((".planning",), ("STATE.md", "ROADMAP.md"), "GSD"),
    ((".claude", "epics", None), ("epic.md", "execution-status.md"), "ccpm"),
)

_patterns: dict[str, re.Pattern[str]] = {}


def _regex(name: str) -> re.Pattern[str]:
    if not _patterns:
        import re

        # A task line: a list item with a check box, then the plan's own id (T012, 2.1, 3.);
        # cc-sdd marks an optional task `- [ ]* 2.3`; `[-]` and `[~]` say "in progress" (the
        # marks `next` reads as such).
        _patterns["box"] = re.compile(
            r"([ \t]*(?:[-*+]|\d+[.)])[ \t]+\[)([ xX~-])(\]\*?[ \t]*)(.*)"
        )
        _patterns["blocked"] = re.compile(r"[ \t]*(?:[-*+][ \t]+)?_Blocked:.*")
        _patterns["field"] = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:")
    return _patterns[name]


def shared_progress(path: str) -> str | None:
    """The tool whose shared progress file `path` is (`GSD`, `ccpm`), or None."""
    parts = path.split("/")
    for folders, names, tool in _SHARED:
        if len(parts) != len(folders) + 1 or parts[-1] not in names:
            continue
        if all(want is None or want == part for want, part in zip(folders, parts, strict=False)):
            return tool
    return None


def entry_for(path: str, entries: object) -> list[Any] | None:
    """The unit's bookkeeping entry that covers `path` (a malformed list covers nothing)."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[1], str)):
            continue
        target = entry[1]
        if path == target or (target.endswith("/") and path.startswith(target)):
            return entry
    return None


# --- the judge -------------------------------------------------------------------------------


def bookkeeping_violations(
    old_text: str | None, new_text: str | None, entry: Sequence[Any]
) -> list[tuple[int, str]]:
    """(line, why) for each change from `old_text` to `new_text` that is not the entry's
    bookkeeping; [] when every change is. None: the file is absent on that side. Lines are
    1-based in the new text (in the old one for a line taken out)."""
    kind = entry[0]
    if kind == ANY:
        return []
    if old_text is None or new_text is None:
        what = "added" if old_text is None else "deleted"
        return [(1, f"the plan file is {what}: only status marks may change in it")]
    found, _ = walk(split_lines(old_text), split_lines(new_text), judges_for(kind, entry[2]))
    return found


def split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# A hunk: base lines [start, end) become `lines` (start == end: an insertion before `start`).
Hunk = tuple[int, int, list[str]]


class _Judges:
    """What may change in one file: a replaced line (pair), an added or removed line."""

    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        self.old = old
        self.new = new

    def pair(self, i: int, j: int) -> str | None:  # why line i may not become line j
        return "changed"

    def insert(self, i: int, j: int) -> bool:  # may new line j come before old line i
        return False

    def delete(self, i: int) -> bool:
        return False

    def added(self, i: int, j: int) -> str:  # why new line j may not come in
        return "line added to the plan"


def judges_for(kind: str, ids: object) -> Callable[[Sequence[str], Sequence[str]], _Judges]:
    allowed = {str(item) for item in ids} if isinstance(ids, list) else set()
    if kind == MARKDOWN:
        return lambda old, new: _MarkdownJudges(old, new, allowed, CCPM_FIELDS)
    if kind == JSON:
        return lambda old, new: _JsonJudges(old, new, allowed)
    return _Judges


def _front_end(lines: Sequence[str]) -> int:
    """The index of the front matter's closing `---` (0: no front matter)."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return index
    return 0


def _task_id(rest: str) -> str:
    word = rest.split(None, 1)[0] if rest.strip() else ""
    return word.strip("*`[]").rstrip(".:")


class _MarkdownJudges(_Judges):
    def __init__(
        self, old: Sequence[str], new: Sequence[str], ids: set[str], fields: Sequence[str]
    ) -> None:
        super().__init__(old, new)
        self.ids = ids
        self.fields = fields
        self.old_front = _front_end(old)
        self.new_front = _front_end(new)
        box = _regex("box")
        owner: list[str | None] = []  # the task line each old line sits under
        current: str | None = None
        for line in old:
            found = box.fullmatch(line.rstrip("\r\n"))
            if found is not None:
                current = _task_id(found.group(4))
            owner.append(current)
        self.owner = owner

    def _own(self, task: str | None) -> bool:
        return task is not None and (EVERY in self.ids or task in self.ids)

    def pair(self, i: int, j: int) -> str | None:
        old, new = self.old[i], self.new[j]
        if 0 < i < self.old_front and 0 < j < self.new_front:
            return self._field(old, new)
        box = _regex("box")
        before, after = box.fullmatch(old.rstrip("\r\n")), box.fullmatch(new.rstrip("\r\n"))
        if before is None or after is None:
            return "changed (only a task line's check box may change)"
        same = before.group(1, 3, 4) == after.group(1, 3, 4) and _ending(old) == _ending(new)
        if not same:
            return "changed beyond its check box"
        task = _task_id(before.group(4))
        if not self._own(task):
            return f"the check box of task {task or '(no id)'}, which is not this task's"
        return None

    def _field(self, old: str, new: str) -> str | None:
        field = _regex("field")
        before, after = field.match(old), field.match(new)
        if before is None or after is None or before.group(1) != after.group(1):
            return "a front-matter line changed"
        if before.group(1) not in self.fields:
            return f"front-matter field {before.group(1)!r} changed (only status marks may)"
        return None

    def insert(self, i: int, j: int) -> bool:
        return _regex("blocked").fullmatch(self.new[j].rstrip("\r\n")) is not None and (
            i > 0 and self._own(self.owner[i - 1])
        )

    def delete(self, i: int) -> bool:
        blocked = _regex("blocked").fullmatch(self.old[i].rstrip("\r\n")) is not None
        return blocked and self._own(self.owner[i])

    def added(self, i: int, j: int) -> str:
        if _regex("blocked").fullmatch(self.new[j].rstrip("\r\n")) is None:
            return "line added to the plan"
        task = self.owner[i - 1] if i > 0 else None
        return f"a _Blocked:_ note under task {task or '(none)'}, which is not this task's"


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


class _JsonJudges(_Judges):
    def __init__(self, old: Sequence[str], new: Sequence[str], ids: set[str]) -> None:
        super().__init__(old, new)
        self.ids = ids
        self.old_places = line_places(old)
        self.new_places = line_places(new)

    def _own(self, task: str, subtask: str) -> bool:
        return bool({EVERY, task, f"{task}.{subtask}" if subtask else task} & self.ids)

    def pair(self, i: int, j: int) -> str | None:
        place = self.old_places[i]
        if place is None or place != self.new_places[j]:
            return "changed (only status fields may change in tasks.json)"
        old, new = self.old[i], self.new[j]
        if old[: old.index('"')] != new[: new.index('"')] or _ending(old) != _ending(new):
            return "re-indented"
        kind, task, subtask, key = place
        if kind == "metadata":
            return None if key == "updated" else f"metadata field {key!r} changed"
        label = f"task {task}" + (f".{subtask}" if subtask else "")
        if key == "status" or (key == "details" and kind == "subtask"):
            if not self._own(task, subtask if kind == "subtask" else ""):
                return f"the {key} of {label}, which is not this task's"
            if key == "status":
                return None
            before, after = string_value(old), string_value(new)
            if before is None or after is None or not after.startswith(before):
                return f"the details of {label} rewritten (notes may only be appended)"
            return None
        return f"field {key!r} of {label} changed (only its status may change)"


def walk(
    old: Sequence[str], new: Sequence[str], make: Callable[[Sequence[str], Sequence[str]], _Judges]
) -> tuple[list[tuple[int, str]], list[Hunk]]:
    """Align the two versions (bookkeeping keeps lines in place, adding or taking out only
    allowed ones) and judge each difference: the violations and the hunks against `old`."""
    judges = make(old, new)
    found: list[tuple[int, str]] = []
    hunks: list[Hunk] = []
    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and old[i] == new[j]:
            i, j = i + 1, j + 1
        elif j < len(new) and judges.insert(i, j):
            hunks.append((i, i, [new[j]]))
            j += 1
        elif i < len(old) and judges.delete(i):
            hunks.append((i, i + 1, []))
            i += 1
        elif i < len(old) and j < len(new):
            if j + 1 < len(new) and old[i] == new[j + 1]:  # new line j came in
                found.append((j + 1, judges.added(i, j)))
                j += 1
            elif i + 1 < len(old) and old[i + 1] == new[j]:  # base's line i went
                found.append((j + 1, f"base's line {i + 1} taken out of the plan"))
                i += 1
            else:
                why = judges.pair(i, j)
                if why is None:
                    hunks.append((i, i + 1, [new[j]]))
                else:
                    found.append((j + 1, why))
                i, j = i + 1, j + 1
        elif j < len(new):
            found.append((j + 1, judges.added(i, j)))
            j += 1
        else:
            found.append((max(len(new), 1), f"base's line {i + 1} taken out of the plan"))
            i += 1
    return found, hunks


# --- violations of a change set ----------------------------------------------------------------


def settle(
    found: list[Violation],
    rules: Rules,
    contents: Callable[[str], tuple[Sequence[str | None], str | None] | None] | None,
) -> list[Violation]:
    """The change set's violations with the task's bookkeeping judged on content: a plan-file
    change that is only the unit's own bookkeeping is dropped; any other names its line.

    `contents(path)` gives (the old texts, the new text): the file in each parent of the change
    (a merge has several: the change is bookkeeping when it is so against any of them) and
    after it; None (for every path, or from `contents` for one): the new text is not known
    (`check --path`; the agents' pre-edit hook when the payload gives no text, or an edit the
    tool cannot apply), and a file holding the task's bookkeeping is allowed, judged at commit.
    A shared progress file is refused for a task, with the hint to update it on base.
    """
    if not found or rules.task_id is None:
        return found
    entries = rules.extra.get(BOOKKEEPING)
    kept: list[Violation] = []
    for violation in found:
        if violation.kind != "undeclared":
            kept.append(violation)
            continue
        tool = shared_progress(violation.path)
        if tool is not None:
            kept.append(_shared(violation, tool))
            continue
        entry = entry_for(violation.path, entries)
        if entry is None:
            kept.append(violation)
            continue
        given = contents(violation.path) if contents is not None else None
        if given is None:
            continue
        olds, new = given
        verdicts = [bookkeeping_violations(old, new, entry) for old in olds or [None]]
        if all(verdicts):
            kept += [_outside(violation, rules, line, why) for line, why in verdicts[0][:3]]
    return kept


def _shared(violation: Violation, tool: str) -> Violation:
    violation.kind = SHARED_PROGRESS
    violation.rule = f"a shared progress file of the {tool} plan: no task edits it"
    violation.fix = (
        f"leave it to base: update it on base after the merge, by hand or with {tool}'s own command"
    )
    return violation


def _outside(violation: Violation, rules: Rules, line: int, why: str) -> Violation:
    from gitwt.core.boundaries import Violation

    return Violation(
        violation.path,
        violation.change,
        "not-bookkeeping",
        f"line {line}: {why}; task {rules.task_id} may change only its own status marks "
        "in this plan file",
        "undo the rest of the change to it ('git diff' shows it): only the task's own status "
        "marks may change",
        violation.commit,
    )
