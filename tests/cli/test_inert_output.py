"""Hostile text from specs, plans and paths reaches no terminal raw: every report escapes it.

A title, an owner, a declared path, a plan's task text, a file name in a task's commit and a
spec's own file name carry the sequences that clear a screen, rename a window, or turn text
around; each reporting command runs through the real CLI, and neither stdout nor stderr may
hold one raw control character. JSON keeps the characters, as JSON escapes.
"""

from __future__ import annotations

import json
import unicodedata

import pytest

from tests.conftest import Repo

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"  # renames the window
BIDI = "\u202e"  # right-to-left override
C1 = "\x9b"  # the one-byte CSI of C1
HOSTILE = f"{CLEAR}{TITLE}{BIDI}{C1}\x7f"


def raw_controls(text: str) -> list[str]:
    """The characters of `text` a terminal would act on (a newline ends a line: it may stay)."""
    return [
        repr(char)
        for char in text
        if char != "\n"
        and (
            unicodedata.category(char) in ("Cc", "Cs")
            or char in BIDI
            or "\u2066" <= char <= "\u2069"
        )
    ]


@pytest.fixture
def hostile(repo: Repo) -> Repo:
    """Specs whose every field carries control characters, and a file named with them."""
    repo.write(
        "docs/SPEC-1-hostile.md",
        "---\n"
        f"id: 1\ntitle: {json.dumps('Report ' + HOSTILE)}\n"
        f"owner: {json.dumps('dev' + CLEAR)}\n"
        f"files: [{json.dumps('app/a' + CLEAR + '.py')}, app/b.py]\n"
        "---\n",
    )
    repo.write(
        "docs/SPEC-2-legacy.md",
        f"# Legacy {HOSTILE}\n\n**Files**: `app/c.py`, `x{TITLE}()`, `{CLEAR}y.py`\n\n"
        f"Prose with `app/{BIDI}d.py` in it.\n",
    )
    repo.write(f"docs/SPEC-3-{CLEAR}bad.md", "---\nid: 3\nfiles: [a.py\n---\n")
    repo.write(f"app/a{CLEAR}.py", "x\n")
    repo.commit_all("hostile specs")
    return repo


def assert_inert(result: object, *commands: str) -> None:
    out, err = result.out, result.err  # type: ignore[attr-defined]
    assert raw_controls(out) == [], (commands, out)
    assert raw_controls(err) == [], (commands, err)


@pytest.mark.parametrize(
    "command",
    [
        ("specs",),
        ("specs", "1", "2", "--explain"),
        ("plan", "1", "2"),
        ("plan", "1", "2", "--explain"),
        ("plan", "3"),  # a spec problem: the error and its hint
        ("check", "--path", f"app/a{CLEAR}.py", "--task", "1"),
        ("check", "--path", f"app/e{TITLE}.py", "--role", "dev"),
    ],
)
def test_every_report_escapes_control_characters(hostile: Repo, command: tuple[str, ...]) -> None:
    result = hostile.cli(*command)
    assert result.out or result.err, result
    assert_inert(result, *command)


def test_the_escapes_are_those_git_uses_for_paths(hostile: Repo) -> None:
    shown = hostile.cli("specs", "1").out
    assert "Report \\033[2J\\033]0;owned\\a\\342\\200\\256\\302\\233\\177" in shown


def test_status_of_a_task_that_committed_a_hostile_file(hostile: Repo) -> None:
    assert hostile.cli("start", "1").code == 0
    worktree = next(
        line.split(" ", 1)[1]
        for line in hostile.git("worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ") and line.endswith("wt1")
    )
    from tests.conftest import git

    (hostile.path.parent / worktree.rsplit("/", 1)[-1] / f"app/a{CLEAR}.py").write_text("y\n")
    git(worktree, "commit", "-qam", "change")
    for command in (("status",), ("status", "1"), ("plan", "1", "2")):
        result = hostile.cli(*command)
        assert_inert(result, *command)


def test_json_keeps_the_characters_as_json_escapes(hostile: Repo) -> None:
    result = hostile.cli("specs", "1", "--json")
    assert result.code == 0, result
    assert raw_controls(result.out) == []
    [spec] = result.json()["specs"]
    assert spec["title"] == "Report " + HOSTILE  # the same text, read back from its escapes
    assert f"app/a{CLEAR}.py" in [origin["pattern"] for origin in spec["declarations"]]


def test_our_own_colours_pass_and_input_escapes_do_not() -> None:
    import io

    from gitwt.cli import inert_output

    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    inert_output.install(stream)
    colour, reset = inert_output.escape_sequence("31m"), inert_output.escape_sequence("0m")
    stream.write(f"{colour}refused{reset} {CLEAR}{BIDI}\n")
    stream.flush()
    written = stream.buffer.getvalue()  # type: ignore[attr-defined]
    assert written == b"\x1b[31mrefused\x1b[0m \\033[2J\\342\\200\\256\n"


def test_the_commit_hooks_refusal_is_inert(repo: Repo) -> None:
    from tests.conftest import git
    from tests.hook.test_commit_hooks import commit, task_worktree, write

    worktree = task_worktree(repo, "65", [f"src/{CLEAR}app/**"])
    write(worktree, f"src/other{TITLE}.py")
    git(worktree, "add", "-A")
    result = commit(worktree)
    assert result.returncode == 1 and "commit refused" in result.stderr, result.stderr
    assert raw_controls(result.stderr) == [], result.stderr
    assert "src/\\033[2Japp/**" in result.stderr  # the declared pattern, shown escaped
