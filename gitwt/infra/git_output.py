"""Parsers of git's NUL-separated (-z) output into paths and changes. Pure: runs nothing.

Stdlib only: the commit hook imports gitwt.infra.git, which uses these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict


def split_z(data: bytes) -> list[str]:
    """Split NUL-terminated output into paths (surrogateescape keeps odd bytes round-trippable)."""
    if not data:
        return []
    # One decode, then split: a NUL byte is never part of a UTF-8 sequence, and surrogateescape
    # maps each undecodable byte alone, so this equals decoding item by item (3x faster).
    return data.rstrip(b"\0").decode("utf-8", "surrogateescape").split("\0")


def parse_tree_entries(data: bytes) -> list[tuple[str, str, str, str]]:
    """`git ls-tree -r -z` entries: (mode, type, object id, path)."""
    found: list[tuple[str, str, str, str]] = []
    for item in split_z(data):
        meta, _, path = item.partition("\t")
        fields = meta.split()
        if len(fields) == 3:
            found.append((fields[0], fields[1], fields[2], path))
    return found


def batch_objects(data: bytes) -> list[tuple[str, bytes, bytes] | None]:
    """`git cat-file --batch` output -> (object id, type, contents) per name asked, in order;
    None for a name git answered `<name> missing` (or `ambiguous`) for. The one parser of that
    output."""
    found: list[tuple[str, bytes, bytes] | None] = []
    at = 0
    while at < len(data):
        end = data.index(b"\n", at)
        header = batch_header(data[at:end])
        at = end + 1
        if header is not None:
            oid, kind, size = header
            found.append((oid, kind, data[at : at + size]))
            at += size + 1
        else:
            found.append(None)
    return found


def batch_header(line: bytes) -> tuple[str, bytes, int] | None:
    """One `cat-file --batch` header line -> (object id, type, size) of the contents that
    follow it; None for `<name> missing` (or `ambiguous`), which no contents follow."""
    header = line.split()
    if len(header) == 3 and header[2].isdigit():
        return header[0].decode(), header[1], int(header[2])
    return None


def _batch_entries(data: bytes) -> list[tuple[bytes, bytes] | None]:
    """`batch_objects` without the object ids."""
    return [entry[1:] if entry is not None else None for entry in batch_objects(data)]


def tree_object_entries(content: bytes, oid_length: int) -> list[tuple[str, str, str]]:
    """A tree object's raw contents (`cat-file --batch` of a tree) -> (mode, name, object id)
    per entry: `<mode> <name>NUL<binary id>`, ids `oid_length` hex digits long."""
    entries = []
    size = oid_length // 2
    at = 0
    while at < len(content):
        space = content.index(b" ", at)
        nul = content.index(b"\0", space)
        oid = content[nul + 1 : nul + 1 + size].hex()
        entries.append(
            (
                content[at:space].decode(),
                content[space + 1 : nul].decode("utf-8", "surrogateescape"),
                oid,
            )
        )
        at = nul + 1 + size
    return entries


def parse_batch(data: bytes) -> list[bytes | None]:
    """The contents `git cat-file --batch` printed, in order (None: a name git has no object
    for)."""
    return [entry[1] if entry is not None else None for entry in _batch_entries(data)]


@dataclass(frozen=True)
class Change:
    """One `git diff --name-status -z` entry: status letter, path, and a rename's old path."""

    status: str  # A, M, D, T, R, C, U
    path: str
    old_path: str | None = None


def parse_name_status(data: bytes) -> list[Change]:
    items = split_z(data)
    changes: list[Change] = []
    index = 0
    while index < len(items):
        change, index = take_change(items, index, items[index])
        changes.append(change)
    return changes


def take_change(items: list[str], index: int, status: str) -> tuple[Change, int]:
    """The change whose status token is at `index`, and the index after it."""
    letter = status[:1]
    if letter in ("R", "C"):
        return Change(letter, items[index + 2], items[index + 1]), index + 3
    return Change(letter, items[index + 1]), index + 2


def changes_by_commit(items: list[str]) -> dict[str, list[Change]]:
    """Parse `diff-tree --stdin` / `log --format=%H` -z output: an OID, then its entries.

    A status token is never 40 hex digits, so an OID always starts the next commit. git log
    puts a newline between the OID and the first status, which is removed here.
    """
    found: dict[str, list[Change]] = {}
    current: list[Change] = []
    after_oid = False
    index = 0
    while index < len(items):
        token = items[index]
        if after_oid and token.startswith("\n"):
            token = token[1:]
        if not token:
            index += 1
            continue
        if len(token) == 40 and all(char in "0123456789abcdef" for char in token):
            current = found.setdefault(token, [])
            after_oid = True
            index += 1
            continue
        after_oid = False
        change, index = take_change(items, index, token)
        current.append(change)
    return found


def parse_status_entries(data: bytes) -> list[tuple[str, str]]:
    """(XY code, path) of each entry of `git status --porcelain=v1 -z` output."""
    items = split_z(data)
    entries = []
    index = 0
    while index < len(items):
        code, path = items[index][:2], items[index][3:]
        entries.append((code, path))
        index += 2 if code[0] in "RC" else 1  # a rename or copy carries its old path next
    return entries


@dataclass(frozen=True)
class Worktree:
    path: str
    head: str | None
    branch: str | None  # full ref name, e.g. refs/heads/main
    bare: bool = False
    locked: str | None = None
    prunable: bool = False


def parse_worktrees(data: bytes) -> list[Worktree]:
    """The entries of `git worktree list --porcelain -z` output, in git's order."""
    found: list[Worktree] = []
    fields: dict[str, str] = {}
    for item in [*split_z(data), ""]:
        if item:
            key, _, value = item.partition(" ")
            fields[key] = value
            continue
        if "worktree" in fields:
            found.append(
                Worktree(
                    path=fields["worktree"],
                    head=fields.get("HEAD"),
                    branch=fields.get("branch"),
                    bare="bare" in fields,
                    locked=fields.get("locked") if "locked" in fields else None,
                    prunable="prunable" in fields,
                )
            )
        fields = {}
    return found


@dataclass(frozen=True)
class ConfigEntry:
    scope: str  # system, global, local, worktree, command
    key: str  # as git lists it: section and name lower-cased
    value: str | None  # None: a key written without '=' (true as a boolean)


def parse_config_entries(data: bytes) -> list[ConfigEntry]:
    """The entries of `git config --show-scope -z --list`: scope NUL key LF value NUL."""
    items = data.split(b"\0")
    entries = []
    for scope, item in zip(items[0::2], items[1::2], strict=False):
        key, newline, value = item.decode("utf-8", "surrogateescape").partition("\n")
        entries.append(ConfigEntry(scope.decode(), key, value if newline else None))
    return entries


def config_values(entries: Sequence[ConfigEntry], key: str, *scopes: str) -> list[str | None]:
    """The values of `key` (any case) in `entries`, of the given scopes (all when none)."""
    wanted = key.lower()
    return [
        entry.value
        for entry in entries
        if entry.key.lower() == wanted and (not scopes or entry.scope in scopes)
    ]


def config_bool(value: str | None) -> bool | None:
    """A config value as git's --type=bool reads it; None for one git would refuse."""
    if value is None:
        return True  # `[section] key` alone means true
    text = value.strip().lower()
    if text in ("true", "yes", "on"):
        return True
    if text in ("false", "no", "off", ""):
        return False
    try:
        return int(text, 0) != 0
    except ValueError:
        return None


def parse_commit_graph(text: str) -> tuple[dict[str, list[str]], set[str]]:
    """`rev-list --parents --boundary` lines -> {commit: parents}, and the boundary commits
    (the lines that start with `-`), newest first as rev-list gives them."""
    parents: dict[str, list[str]] = {}
    boundary: set[str] = set()
    for line in text.splitlines():
        oid, *rest = line.split()
        if oid.startswith("-"):
            boundary.add(oid[1:])
        else:
            parents[oid] = rest
    return parents, boundary


class LineCount(TypedDict, total=False):
    """One path's +/- lines in a diff (what `merge` reports per file)."""

    added: int
    removed: int
    binary: bool  # git counts no lines (added and removed are 0)
    renamed_from: str


def parse_numstat(data: bytes) -> dict[str, LineCount]:
    """`git diff --numstat -z -M`: +/- lines per path (`binary` when git counts none), and the
    old path of a rename. A rename is `added<TAB>removed<TAB>` then NUL, old path, NUL, new path."""
    items = split_z(data)
    counts: dict[str, LineCount] = {}
    index = 0
    while index < len(items):
        added, removed, path = items[index].split("\t", 2)
        entry: LineCount = {
            "added": int(added) if added != "-" else 0,
            "removed": int(removed) if removed != "-" else 0,
            "binary": added == "-",
        }
        index += 1
        if not path:  # a rename: its two paths follow
            entry["renamed_from"], path = items[index], items[index + 1]
            index += 2
        counts[path] = entry
    return counts


def parse_named_batch(data: bytes, count: int) -> list[bytes | None]:
    """`cat-file --batch` output for `count` names -> each blob's bytes (None: missing, not a
    blob, or a name git could not take)."""
    found = [
        entry[1] if entry is not None and entry[0] == b"blob" else None
        for entry in _batch_entries(data)[:count]
    ]
    return found + [None] * (count - len(found))
