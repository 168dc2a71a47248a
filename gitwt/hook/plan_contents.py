"""A plan file's texts on both sides of a change, for judging a task's bookkeeping (DESIGN §2).

The commit hooks read them only when a change set touches a file that holds the task's
bookkeeping (a `git cat-file` per side then); every other commit pays nothing. The judge is
`core.bookkeeping.settle`, imported only then.
"""

from __future__ import annotations

from gitwt.hook.git_runner import run_git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gitwt.core.boundaries import Rules, Violation

    # (old texts, new text) of a path; None: the new text is not known (judged at commit)
    Contents = Callable[[str], tuple[Sequence[str | None], str | None] | None]


def blob_text(name: str, folder: str | None = None) -> str | None:
    """The text of `name` (`REV:path`, `:path` for the index), None when there is none."""
    code, out = run_git(["cat-file", "blob", name], check=False, folder=folder)
    return out.decode("utf-8", "surrogateescape") if code == 0 else None


def between(olds: Sequence[str], new: str | None, folder: str | None = None) -> Contents:
    """Texts of a path in the revisions `olds` and in `new` (None: the index)."""

    def contents(path: str) -> tuple[list[str | None], str | None]:
        before = [blob_text(f"{old}:{path}", folder) for old in olds]
        return before, blob_text(f"{new or ''}:{path}", folder)

    return contents


def judged(found: list[Violation], rules: Rules, contents: Contents) -> list[Violation]:
    """The violations with the task's bookkeeping in its plan files judged on content."""
    if not found:
        return found
    from gitwt.core import bookkeeping

    return bookkeeping.settle(found, rules, contents)
