"""YAML front matter of a spec: split it off, load it within bounds, find the line of each file.

Bounded because a spec is input from anyone who can push a branch: an alias bomb (`&a [*b, *b,
...]` nested ten deep) composes to a few nodes but expands to billions of values once anything
walks it, so the expanded size is counted on the composed graph before anything is built.
Pure: the text comes in, values go out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitwt.core import flat_yaml
from gitwt.errors import GitParallelError

if TYPE_CHECKING:
    from gitwt.core.specs import Task
    from gitwt.infra.json_payload import JsonObject

MAX_FRONT_MATTER_CHARS = 256 * 1024
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64

# A front-matter `id:` line the fast path may read without YAML: a top-level key and one plain
# or simply quoted id (no escapes, anchors, block scalars or flow values). Anything else that
# could set a top-level `id` (a quoted or indented key, `? id`, a `<<` merge, a flow mapping,
# a second `id:`) sends the reader to the YAML composer, whose reading is the answer.
_ID_LINE = re.compile(r"^id[ \t]*:(?P<value>[^\r\n]*)\r?$", re.MULTILINE)
_SIMPLE_ID = re.compile(
    r" +(?:(?P<plain>[A-Za-z0-9][A-Za-z0-9._-]*)|'(?P<single>[A-Za-z0-9][A-Za-z0-9._-]*)'"
    r"|\"(?P<double>[A-Za-z0-9][A-Za-z0-9._-]*)\")[ \t]*(?:#[^\n]*)?"
)
_MAYBE_ID = re.compile(r"""^[ \t]*(?:['"]?id['"]?[ \t]*:|\?|<<|\{)""", re.MULTILINE)


class FrontMatterError(GitParallelError):
    def __init__(self, message: str, hint: str | None = None, line: int = 0) -> None:
        super().__init__(message, hint)
        self.line = line


@dataclass
class FrontMatter:
    data: JsonObject | None  # None: the spec has no front matter
    body: str
    body_line: int = 1  # the spec line the body starts at (1-based)
    file_lines: list[int] = field(default_factory=list)  # the line of each `files` item
    # The line of each top-level key, and of each item of a top-level list (plan readers give
    # every field they read its own line).
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)


def _loader_class(strings: bool = False) -> Any:
    import yaml  # lazy: only spec-reading commands pay for PyYAML

    # libyaml's composer is several times faster on many specs and builds the same nodes.
    if strings:
        # Every scalar as written: `[001, 010]` stays "001" and "010" (YAML 1.1 would read
        # 010 as octal 8), `true` stays "true". Plan readers interpret the fields themselves.
        return getattr(yaml, "CBaseLoader", None) or yaml.BaseLoader
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def _too_deep(node: Any, source: str, offset: int) -> FrontMatterError:
    return _too_deep_at(node.start_mark.line + offset, source)


def _too_deep_at(line: int, source: str) -> FrontMatterError:
    return FrontMatterError(
        f"YAML of {source} nests deeper than {MAX_DEPTH} levels",
        "write the YAML as flat 'key: value' lines",
        line,
    )


def _check_depth(root: Any, source: str, offset: int) -> None:
    """Without anchors no node is shared: only the depth needs a bound (the size has one)."""
    import yaml

    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if depth > MAX_DEPTH:
            raise _too_deep(node, source, offset)
        if isinstance(node, yaml.MappingNode):
            stack.extend((value, depth + 1) for _, value in node.value)
        else:
            stack.extend((child, depth + 1) for child in node.value)


def _check_bounds(root: Any, source: str, offset: int) -> None:
    """Refuse a node graph whose expansion is too big or too deep (aliases share nodes)."""
    import yaml

    sizes: dict[int, int] = {}
    # Post-order walk without recursion: (node, depth, children done?).
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(node, source, offset)
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [child for pair in node.value for child in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if not done:
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(child), 0) for child in children)
        if total > MAX_EXPANDED_NODES:
            raise FrontMatterError(
                f"YAML of {source} expands to more than {MAX_EXPANDED_NODES} values "
                f"(YAML aliases repeating each other)",
                "spell the values out instead of repeating anchors ('&x' and '*x')",
                node.start_mark.line + offset,
            )
        sizes[id(node)] = total


@dataclass
class _Lines:
    keys: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)


def _top_level_lines(root: Any, offset: int) -> _Lines:
    """Spec lines (1-based, counting the opening '---') of each top-level key and list item."""
    import yaml

    found = _Lines()
    if not isinstance(root, yaml.MappingNode):
        return found
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode):  # a repeated key: its last value wins, as in data
            found.keys[key.value] = key.start_mark.line + offset
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            found.items[key.value] = [item.start_mark.line + offset for item in items]
    return found


def load_yaml(raw: str, source: str) -> tuple[Any, list[int]]:
    """The front matter's value and the line of each `files` item; errors name the spec."""
    data, lines = _load(raw, source)
    return data, lines.items.get("files", [])


def load_document(
    raw: str, source: str, *, strings: bool = False
) -> tuple[Any, dict[str, int], dict[str, list[int]]]:
    """A whole YAML file within the same bounds: its value, the line of each top-level key and
    of each item of a top-level list (a plan reader's `.openspec.yaml`, `config.yaml`)."""
    data, lines = _load(raw, source, strings, offset=1)
    return data, lines.keys, lines.items


def _load(raw: str, source: str, strings: bool = False, offset: int = 2) -> tuple[Any, _Lines]:
    """`offset`: the file line of the YAML's first line (2 in front matter, after '---')."""
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise FrontMatterError(
            f"front matter of {source} is larger than {MAX_FRONT_MATTER_CHARS // 1024} KiB",
            "keep the declaration short; long notes belong in the body of the spec",
        )
    try:  # most front matter is flat: read without importing PyYAML, the same answer
        data, keys, items = flat_yaml.read(raw, strings)
    except ValueError:
        return compose(raw, source, strings, offset)
    lines = _Lines({key: line + offset for key, line in keys.items()})
    lines.items = {key: [line + offset for line in found] for key, found in items.items()}
    return data, lines


def compose(raw: str, source: str, strings: bool = False, offset: int = 2) -> tuple[Any, _Lines]:
    """PyYAML's reading of `raw` (safe loader; base loader with `strings`), within bounds."""
    import yaml

    loader = _loader_class(strings)(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, _Lines()
        # An alias needs an anchor: without '&' the fast depth check is enough.
        (_check_bounds if "&" in raw else _check_depth)(node, source, offset)
        return loader.construct_document(node), _top_level_lines(node, offset)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in str(problem):  # PyYAML's own bound, past ours: name ours
            raise _too_deep_at(mark.line + offset if mark is not None else 1, source) from exc
        raise FrontMatterError(
            f"malformed YAML {'front matter ' if offset == 2 else ''}in {source}"
            f"{f':{mark.line + offset}' if mark is not None else ''}: {problem}",
            "fix the YAML between the '---' lines (quote values that contain ': ' or '#')",
            mark.line + offset if mark is not None else 1,
        ) from exc
    except RecursionError as exc:
        raise _too_deep_at(1, source) from exc
    finally:
        loader.dispose()


def _block(text: str) -> tuple[list[str], int | None]:
    """The text's lines (BOM dropped) and the index of the line closing its front matter;
    ([], None) without front matter, (lines, None) when it is not closed."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return [], None
    closing = next(
        (number for number, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")),
        None,
    )
    return lines, closing


@dataclass(frozen=True)
class FrontId:
    """A spec's front-matter `id` as written (`010` stays "010": YAML 1.1 would read 8) and its
    line; `problem` when the front matter says two things (two `id:` keys, or no single id)."""

    value: str | None
    line: int
    problem: str | None = None


def front_id(text: str, source: str) -> FrontId | None:
    """The one reading of a spec's front-matter `id` (None: no front matter or no `id` key).

    The spec catalog (which spec an id names) and the spec parser both take the id from here.
    A single simple `id:` line is read without YAML; anything else is composed by YAML with
    every scalar as written, the same bounds as `split`. FrontMatterError on malformed YAML."""
    lines, closing = _block(text)
    if closing is None:
        return None
    raw = "".join(lines[1:closing])
    keys = list(_ID_LINE.finditer(raw))
    if len(keys) == len(_MAYBE_ID.findall(raw)) == 1:
        simple = _SIMPLE_ID.fullmatch(keys[0].group("value"))
        after = next((line for line in raw[keys[0].end() :].splitlines() if line.strip()), "")
        if simple and not after.startswith((" ", "\t")):  # else a plain scalar may go on
            value = simple.group("plain") or simple.group("single") or simple.group("double")
            return FrontId(value, raw.count("\n", 0, keys[0].start()) + 2)
    if not keys and not _MAYBE_ID.search(raw):
        return None
    data, found = _load(raw, source, strings=True)
    if not isinstance(data, dict) or "id" not in data:
        return None
    line = found.keys.get("id", 1)
    written = {match.group("value").split("#", 1)[0].strip(" \t'\"") for match in keys}
    if len(written) > 1:
        shown = " and ".join(str(raw.count("\n", 0, key.start()) + 2) for key in keys)
        return FrontId(None, line, f"front matter of {source} sets 'id' twice (lines {shown})")
    value = data["id"]
    if not isinstance(value, str):
        return FrontId(None, line, f"'id' in the front matter of {source} is not one id")
    return FrontId(value.strip(), line)


def split(text: str, source: str, *, strings: bool = False) -> FrontMatter:
    """Separate the front matter (between '---' lines at the very top) from the body.

    `strings`: every scalar as the text written (no YAML 1.1 ints, octals or booleans).
    """
    text = text.removeprefix("\ufeff")
    lines, closing = _block(text)
    if not lines:
        return FrontMatter(None, text)
    if closing is None:
        raise FrontMatterError(
            f"front matter of {source} is not closed",
            "end the front matter with a line containing only '---'",
            1,
        )
    data, found = _load("".join(lines[1:closing]), source, strings)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"front matter of {source} is not a mapping",
            "write 'key: value' lines between the '---' lines",
            1,
        )
    return FrontMatter(
        data,
        "".join(lines[closing + 1 :]),
        closing + 2,
        found.items.get("files", []),
        found.keys,
        found.items,
    )


def _yaml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string


def declaration_lines(found: FrontMatter, task: Task) -> list[str]:
    """YAML lines for what the spec's front matter lacks: id, title, owner, files, depends_on."""
    present = found.data or {}
    lines = [
        "# Declared by 'git parallel specs --front-matter' from the legacy text below:",
        "# review each path, then commit. Front matter is authoritative from now on.",
    ]
    if "id" not in present:  # the id it was read under: a shared number's stem id stays
        lines.append(f"id: {_yaml_string(task.id)}")
    if "title" not in present:
        lines.append(f"title: {_yaml_string(task.title)}")
    if "owner" not in present and task.owner:
        lines.append(f"owner: {_yaml_string(task.owner)}")
    lines.append("files:")
    for pattern in task.files:
        origin = task.origin_of(pattern)
        comment = ""
        if origin is not None:
            where = f"line {origin.line}" if origin.source == task.source else origin.where
            note = f": {origin.note}" if origin.note else ""
            comment = f"  # {where}, {origin.kind.replace('_', ' ')}{note}"
        lines.append(f"  - {_yaml_string(pattern)}{' '.join(comment.splitlines())}")
    if "depends_on" not in present and task.depends_on:
        lines.append(f"depends_on: [{', '.join(_yaml_string(dep) for dep in task.depends_on)}]")
    return lines


def with_declaration(text: str, source: str, task: Task) -> str:
    """The spec with the task's declaration as front matter; the rest of the text unchanged."""
    found = split(text, source)
    lines = declaration_lines(found, task)
    newline = "\r\n" if "\r\n" in text else "\n"
    if found.data is None:
        return newline.join(["---", *lines, "---"]) + newline + text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    kept = text.removeprefix("\ufeff").splitlines(keepends=True)
    closing = found.body_line - 2  # the index of the closing '---' line
    inserted = "".join(line + newline for line in lines)
    return bom + "".join(kept[:closing]) + inserted + "".join(kept[closing:])
