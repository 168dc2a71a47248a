"""Where each line of a pretty-printed Task Master `tasks.json` sits: task, subtask, metadata.

Task Master writes its file with `JSON.stringify(data, null, 2)`: one field per line. The
bookkeeping judge (`core.bookkeeping`) compares the file line by line, so it needs, for each
line, which field of which task it holds. `line_places` walks the lines once with a stack of
open containers (no JSON parser: a file that is not one field per line places nothing and every
change of it is refused). Stdlib only, no `re`: the commit hook imports it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# A line's place: ("task", task id, "", key), ("subtask", task id, subtask id, key),
# ("metadata", "", "", key), or None for any other line.
Place = tuple[str, str, str, str]


class _Open:
    """One container still open at a line: `{` or `[`, its key in the parent, its id."""

    __slots__ = ("id", "key", "kind", "lines", "parent")

    def __init__(self, kind: str, key: str, parent: _Open | None) -> None:
        self.kind = kind
        self.key = key
        self.parent = parent
        self.id = ""  # a task's or subtask's "id" field, once read
        self.lines: list[tuple[int, str]] = []  # (line index, key) of its scalar fields


def _key_and_rest(text: str) -> tuple[str, str] | None:
    """`"key": rest` -> (key, rest); None when the line does not start with a key."""
    if not text.startswith('"'):
        return None
    index = 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            break
        index += 1
    rest = text[index + 1 :].lstrip()
    if not rest.startswith(":"):
        return None
    return text[1:index], rest[1:].strip()


def _scalar_id(rest: str) -> str:
    value = rest.rstrip(",").strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _is_task_list(container: _Open | None) -> bool:
    """The `tasks` list of the file (untagged) or of one tag."""
    if container is None or container.kind != "[" or container.key != "tasks":
        return False
    holder = container.parent
    return (
        holder is not None
        and holder.kind == "{"
        and (holder.parent is None or (holder.parent.parent is None and holder.parent.kind == "{"))
    )


def _is_metadata(container: _Open) -> bool:
    holder = container.parent
    if container.kind != "{" or container.key != "metadata" or holder is None:
        return False
    return holder.parent is None or holder.parent.parent is None


def _place_of(container: _Open, key: str) -> Place | None:
    parent = container.parent
    if container.kind != "{" or parent is None:
        return None
    if _is_task_list(parent):
        return ("task", container.id, "", key)
    if parent.kind == "[" and parent.key == "subtasks":
        task = parent.parent
        if task is not None and task.parent is not None and _is_task_list(task.parent):
            return ("subtask", task.id, container.id, key)
    if _is_metadata(container):
        return ("metadata", "", "", key)
    return None


def line_places(lines: Sequence[str]) -> list[Place | None]:
    """The place of each line (None: not a task's, subtask's or metadata's own field)."""
    places: list[Place | None] = [None] * len(lines)
    stack: list[_Open] = []

    def close(container: _Open) -> None:
        for index, key in container.lines:
            places[index] = _place_of(container, key)

    for index, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if text[0] in "}]":
            if stack:
                close(stack.pop())
            continue
        keyed = _key_and_rest(text)
        key, rest = keyed if keyed is not None else ("", text)
        parent = stack[-1] if stack else None
        opens = rest[:1] if rest[:1] in ("{", "[") else ""
        if opens and rest.rstrip(",") not in ("{}", "[]"):
            stack.append(_Open(opens, key, parent))
            continue
        if parent is not None and keyed is not None:
            parent.lines.append((index, key))
            if key == "id":
                parent.id = _scalar_id(rest)
    while stack:  # an unclosed file: place what was read
        close(stack.pop())
    return places


def string_value(line: str) -> str | None:
    """The JSON string of a `"key": "value",` line, decoded; None when it holds no string."""
    keyed = _key_and_rest(line.strip())
    if keyed is None:
        return None
    value = keyed[1].rstrip(",").strip()
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return None
    import json  # only when a details field changed

    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None
