"""A file as it will be after an agent's edit, built from the pre-edit payload (DESIGN §2, §5).

The pre-edit hook judges a write to a plan file that holds the task's bookkeeping on content,
as the commit hook will: the file after the edit against the file at HEAD (the commit hook's
old side; base's version until the task commits), by `core.bookkeeping.settle`. The payload
gives the new text:

- `Write` (Claude Code) and `write_file` (Gemini CLI): `content` is the whole file;
- `Edit` (Claude Code): `old_string` -> `new_string` in the file on disk, the first and only
  match, or every match with `replace_all`;
- `replace` (Gemini CLI): the same, `expected_replacements` matches (default 1), all replaced;
  an empty `old_string` on a missing file creates it with `new_string`;
- `MultiEdit` (Claude Code): its `edits` one after the other, each as `Edit`.

An edit that cannot be applied (its `old_string` is not there, or is there more or fewer times
than the tool requires) is allowed: the tool itself fails and writes nothing, and refusing it
would only hide the tool's own error (and its "read the file again") from the agent; the commit
hook is the last word. The same holds where the payload gives no text (`NotebookEdit`, a plain
list of paths): judged at the commit. A field of the wrong type is no payload an agent sends:
refused (HookError, exit 2), like every malformed payload. Stdlib only.
"""

from __future__ import annotations

from gitwt.hook import git_runner

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from gitwt.hook.plan_contents import Contents

WRITES = frozenset({"Write", "write_file"})  # the whole new text in `content`
REPLACES = frozenset({"Edit", "replace", "MultiEdit"})


def _text(tool_input: dict[str, object], key: str, tool: str) -> str:
    value = tool_input.get(key)
    if not isinstance(value, str):
        raise git_runner.HookError(
            f"the agent's hook payload has a {tool} '{key}' that is not text: {value!r:.60}",
            "a plan file's edit is judged on its content; nothing was written",
        )
    return value


def _replaced(current: str | None, one: dict[str, object], tool: str) -> str | None:
    """`current` after one replacement, or None where the tool would fail."""
    old, new = _text(one, "old_string", tool), _text(one, "new_string", tool)
    if current is None:
        return new if old == "" else None  # a new file, or the tool fails on a missing one
    if old == "":
        return None  # an existing file: no empty string to replace
    count = current.count(old)
    if tool == "replace":
        expected = one.get("expected_replacements", 1)
        if not isinstance(expected, int) or isinstance(expected, bool) or count != expected:
            return None
        return current.replace(old, new)
    every = one.get("replace_all", False)
    if not isinstance(every, bool):
        raise git_runner.HookError(
            f"the agent's hook payload has a {tool} 'replace_all' that is not true or false: "
            f"{every!r:.60}",
            "a plan file's edit is judged on its content; nothing was written",
        )
    if count == 0 or (count > 1 and not every):
        return None
    return current.replace(old, new) if every else current.replace(old, new, 1)


def after_edit(
    tool: str, tool_input: dict[str, object], read: Callable[[], str | None]
) -> str | None:
    """The text of the edited file once the tool has run; None when it cannot be told (the
    tool would fail, or its payload holds no text). `read` gives the file on disk now."""
    if tool in WRITES:
        return _text(tool_input, "content", tool)
    if tool not in REPLACES:
        return None  # NotebookEdit: cells, not text; judged at the commit
    if tool != "MultiEdit":
        return _replaced(read(), tool_input, tool)
    edits = tool_input.get("edits")
    if not isinstance(edits, list):
        raise git_runner.HookError(
            "the agent's hook payload has MultiEdit 'edits' that are not a list",
            "a plan file's edit is judged on its content; nothing was written",
        )
    text = read()
    for one in edits:
        if not isinstance(one, dict):
            raise git_runner.HookError(
                "the agent's hook payload has a MultiEdit edit that is not an object",
                "a plan file's edit is judged on its content; nothing was written",
            )
        text = _replaced(text, one, "Edit")
        if text is None:
            return None  # MultiEdit applies all its edits or none
    return text


def read_text(path: str) -> str | None:
    """The file at `path` as text (bytes kept through surrogateescape), None if absent."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def judged_as_edited(
    tool: tuple[str, dict[str, object]] | None, landed: dict[str, str], top: str
) -> Contents | None:
    """For a path the edit changes: HEAD's text (the commit hook's old side) and the text the
    edit leaves, or None where the payload cannot tell it (judged at the commit). `landed`:
    the tool input's own file, worktree-relative -> where the write lands."""
    if tool is None:
        return None  # a plain list of paths: no text
    from gitwt.hook import plan_contents

    name, tool_input = tool

    def contents(relative: str) -> tuple[list[str | None], str | None] | None:
        if relative not in landed:  # another file named inside the input: no real payload
            raise git_runner.HookError(
                f"the agent's {name} payload names {relative} beside its own file",
                "a plan file's edit is judged on its content; nothing was written",
            )
        new = after_edit(name, tool_input, lambda: read_text(landed[relative]))
        if new is None:
            return None
        return [plan_contents.blob_text(f"HEAD:{relative}", top)], new

    return contents
