"""Which spec an id names when real repositories reuse numbers (DESIGN §2, shared numbers). Pure.

Two specs that claim one number (`SPEC-065-break-down-roadmap-editor.md` and
`SPEC-065-reflector-agent-implementation.md`) both stay usable, each under its file-stem id
(`SPEC-065-reflector-agent-implementation`, also accepted without `SPEC-`); the bare number
names neither and is an error that lists both. Every spec's stem id names it (a spec whose
number is its own stays that number's task: `SPEC-009-x` is task 9). A spec whose text is byte
for byte another's of the same number is a copy: it is reported, never a task of its own, and
it does not make the number ambiguous.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gitwt.core.front_matter import FrontMatterError, front_id
from gitwt.core.specs import SPEC_NAME, SpecError, same_id
from gitwt.core.task_ids import MAX_ID_LENGTH, TASK_ID

EXCLUDE_HINT = (
    "keep one spec per task id: delete or rename the copy, or drop such files with "
    '\'specs_exclude\' in the config (e.g. ["**/*-IMPLEMENTATION-*.md", "**/*.backup"])'
)

SPEC_FOLDER = re.compile(r"SPEC-(?P<id>[A-Za-z0-9][A-Za-z0-9._]*?)(?:-.*)?", re.IGNORECASE)
_NOT_ID = re.compile(r"[^A-Za-z0-9._-]+")
_PREFIX = re.compile(r"SPEC-", re.IGNORECASE)
# Names the older system gave its copies and reports (`SPEC-070-IMPLEMENTATION-REPORT.md`,
# `….md.backup`): beside a spec of the same number, such a file is that spec's copy.
_COPY_NAME = re.compile(r"-IMPLEMENTATION-|\.(?:backup|bak|orig)$", re.IGNORECASE)


def claimed_id(text: str, path: str, folder: str | None) -> str | None:
    """The id a spec claims (front matter, else its file or folder name), unvalidated.

    The front matter's id is `front_matter.front_id`'s, the reading `specs.parse_spec` takes
    too. Front matter that says no one id (malformed, two `id:` keys) claims its name's id:
    the spec is found under it and parsing it reports the problem with its line."""
    try:
        declared = front_id(text, path)
    except FrontMatterError:
        declared = None
    if declared is not None and declared.value:
        return declared.value
    return name_id(path, folder)


def name_id(path: str, folder: str | None) -> str | None:
    """The number (or id) of `SPEC-65-x.md`, `SPEC-065-x/`: the file or folder name's."""
    if folder is not None:
        found = SPEC_FOLDER.fullmatch(os.path.basename(folder.rstrip("/")))
        return found.group("id") if found else None
    name = SPEC_NAME.fullmatch(os.path.basename(path))
    return name.group("id") if name else None


def normalized(task_id: str) -> str:
    return str(int(task_id)) if task_id.isascii() and task_id.isdigit() else task_id


def stem_id(path: str, folder: str | None = None) -> str | None:
    """The id a spec's file (or folder) name gives it: the name without `.md`, each run of
    characters a task id cannot hold turned into one '-'; None when nothing valid is left."""
    name = os.path.basename(folder.rstrip("/")) if folder else os.path.basename(path)
    if not folder and name.lower().endswith(".md"):
        name = name[:-3]
    name = re.sub(r"\.{2,}", ".", _NOT_ID.sub("-", name)).lstrip("-._")[:MAX_ID_LENGTH]
    name = name.rstrip(".")
    return name if name and TASK_ID.fullmatch(name) else None


def aliases(stem: str) -> list[str]:
    """The stem id, and the same without its `SPEC-` prefix."""
    short = _PREFIX.sub("", stem, count=1) if _PREFIX.match(stem) else ""
    return [stem, short] if short and TASK_ID.fullmatch(short) else [stem]


def answers_to(task_id: str, typed: str) -> bool:
    """Whether a started task's id is what the user typed: '65' and '065' are one task, and a
    stem id answers to its short form (`065-reflector-agent` for `SPEC-065-reflector-agent`)."""
    return same_id(task_id, typed) or typed in aliases(task_id)[1:]


@dataclass
class SharedNumbers:
    """The specs of each shared number, and the copies among them."""

    shared: set[str] = field(default_factory=set)  # specs known by their stem id
    stem_of: dict[str, str | None] = field(default_factory=dict)  # spec path -> its stem id
    aliases: dict[str, list[str]] = field(default_factory=dict)  # stem id (short too) -> paths
    copies: dict[str, str] = field(default_factory=dict)  # copy's path -> the original's path
    exact: set[str] = field(default_factory=set)  # the copies that are byte for byte the same
    groups: dict[str, list[str]] = field(default_factory=dict)  # spec path -> its group's paths

    def name(self, path: str, folder: str | None) -> None:
        """Note a spec's stem id: every spec answers to it."""
        stem = self.stem_of[path] = stem_id(path, folder)
        for alias in aliases(stem) if stem else []:
            self.aliases.setdefault(alias, []).append(path)

    def by_stem(self, task_id: str, sources: list[str]) -> str:
        """The one spec whose stem id `task_id` is (SpecError for two, or for a copy)."""
        if len(sources) > 1:
            raise SpecError(
                f"id {task_id} is the file name of {listing(sources)}",
                "give each of them its own 'id:' in front matter",
                sources[0],
            )
        if sources[0] in self.copies:
            raise copy_error(sources[0], self.copies[sources[0]], None, self)
        return sources[0]

    def stem_ids(self) -> list[str]:
        return [stem for path, stem in self.stem_of.items() if stem and path in self.shared]

    def add_group(self, members: Sequence[tuple[str, str]], inline: int = 0) -> list[str]:
        """Record one number's specs, (path, text with parts), and how many config tables
        claim it too; the paths that stay tasks (copies left out)."""
        originals: dict[str, str] = {}  # text -> the original's path
        kept: list[str] = []
        for path, text in sorted(members, key=lambda m: (looks_like_a_copy(m[0]), m[0])):
            first = originals.setdefault(text, path)
            if first != path:
                self.copies[path] = first
                self.exact.add(path)
            elif looks_like_a_copy(path) and kept:
                self.copies[path] = kept[0]
            else:
                kept.append(path)
        for path, _ in members:
            self.groups[path] = [other for other, _ in members]
        if len(kept) + inline > 1:
            self.shared.update(kept)
        return sorted(kept)

    def partners(self, path: str) -> list[str]:
        """The other usable specs of its number."""
        return [
            other
            for other in self.groups.get(path, [])
            if other != path and other not in self.copies
        ]


def looks_like_a_copy(path: str) -> bool:
    return bool(_COPY_NAME.search(os.path.basename(path.rstrip("/"))))


def listing(ids: Iterable[str]) -> str:
    ids = list(ids)
    return ", ".join(ids[:-1]) + f" and {ids[-1]}" if len(ids) > 1 else "".join(ids)


def ambiguity(
    task_id: str, usable: list[str], stem_of: Mapping[str, str | None], inline: bool
) -> SpecError:
    """The bare number several specs claim: an error naming each one's id."""
    if inline:  # a config table has no stem id: the old rule, one source per id
        return SpecError(
            f"task {task_id} is declared "
            f"{'twice' if len(usable) == 2 else f'{len(usable)} times'}: "
            f"{' and '.join(usable)}",
            EXCLUDE_HINT,
            usable[0],
        )
    named = [f"{stem_of.get(path) or '?'} ({path})" for path in usable]
    example = next(filter(None, (stem_of.get(path) for path in usable)), "")
    return SpecError(
        f"task {task_id} is ambiguous: {len(usable)} specs claim it: {listing(named)}",
        f"name one by its id, e.g. '{example}'; or drop copies with 'specs_exclude'",
        usable[0],
    )


def copy_error(
    path: str, original: str, original_id: str | None, shared: SharedNumbers
) -> SpecError:
    what = "an exact copy" if path in shared.exact else "by its name, a copy or report"
    return SpecError(
        f"{path} is {what} of {original}"
        + (f" (task {original_id})" if original_id else "")
        + ": it gives no task of its own",
        EXCLUDE_HINT,
        path,
    )


def missing_hint(task_id: str, globs: Sequence[str], config_file: str) -> str:
    """Where a spec for a new id would be found: the configured `specs` globs."""
    pattern = globs[0] if globs else "SPEC-*.md"
    folder = pattern.split("*", 1)[0].rpartition("/")[0]
    example = f"{folder + '/' if folder else ''}SPEC-{task_id}-<title>.md"
    return (
        f"add {example} (config 'specs' looks in {', '.join(globs) or '-'}), "
        f"or 'id: {task_id}' in a spec's front matter, or [tasks.{task_id}] in "
        f"{config_file or '.gitparallel.toml'}"
    )
