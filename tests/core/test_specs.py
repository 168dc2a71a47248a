from __future__ import annotations

from pathlib import Path

import pytest

from gitwt.core import legacy_specs
from gitwt.core.spec_ids import name_id
from gitwt.core.specs import SpecError, parse_spec
from gitwt.errors import GitParallelError
from gitwt.infra.config import Config
from tests.core.specs_on_disk import catalog, find_tasks


def write(root: Path, relative: str, text: str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


FRONT_MATTER = """\
---
id: 65
title: Recipe management
owner: code_developer          # an owner token
files:
  - coffee_maker/recipes.py
  - coffee_maker/recipes/**
depends_on: [64]
run: code-developer --priority=65
---
# Body
**File**: `ignored/because/front/matter/has/files.py`
"""


def test_front_matter_is_authoritative() -> None:
    task = parse_spec(FRONT_MATTER, "docs/SPEC-65-x.md", "65").task
    assert task.id == "65"
    assert task.title == "Recipe management"
    assert task.owner == "code_developer"
    assert task.files == ("coffee_maker/recipes.py", "coffee_maker/recipes/**")
    assert task.depends_on == ("64",)
    assert task.run == "code-developer --priority=65"
    assert [(o.line, o.kind) for o in task.origins] == [(6, "front_matter"), (7, "front_matter")]


def test_legacy_markers_any_extension_dot_folders_and_hyphens() -> None:
    body = """\
# Task separator skill
**Owner**: @architect
**File**: `.claude/skills/task-separator/SKILL.md`
**Files**: `scripts/run-me.sh`, `config/app.yaml`
**File**: plain/path-without-backticks.toml

## Files to change
- `src/module.rs` — the implementation
* `tests/test_module.py`

## Other notes
- `not/a/declared/path.py`

```
**File**: `inside/a/code/fence.py`
```
"""
    read = legacy_specs.read(body, "s.md")
    files, owner, title = [m.path for m in read.mentions], read.owner, read.title
    assert files == [
        ".claude/skills/task-separator/SKILL.md",
        "scripts/run-me.sh",
        "config/app.yaml",
        "plain/path-without-backticks.toml",
        "src/module.rs",
        "tests/test_module.py",
    ]
    assert owner == "@architect"
    assert title == "Task separator skill"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nid: 1\nfiles: [a.py\n---\n", "malformed YAML front matter in s.md"),
        ("---\nid: 1\nfiles: []\n---\n", "declares no files"),
        ("---\nid: 1\n---\nno markers here\n", "declares no files"),
        ("---\nid: 1\nfiles: [../x]\n---\n", "escapes the repository"),
        ("---\nid: 1\nfiles: a.py\nowner: [x]\n---\n", "'owner'"),
        ("---\nid: a/b\nfiles: [a.py]\n---\n", "invalid task id"),
        ("---\nid: 1\nfiles: [a.py]\n", "is not closed"),
        ("---\n- a\n- b\n---\n", "is not a mapping"),
        ("---\nid: 1\nfiles: {a: 1}\n---\n", "must be a list"),
    ],
)
def test_malformed_specs_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(GitParallelError) as caught:
        parse_spec(text, "s.md", None)
    assert message in caught.value.message
    assert caught.value.hint
    assert "\n" not in caught.value.render().split("\n")[0]


def test_find_by_file_name_zero_padded_and_front_matter(tmp_path: Path) -> None:
    write(tmp_path, "docs/roadmap/SPEC-065-recipes.md", "---\nfiles: [a.py]\n---\n")
    write(tmp_path, "specs/whatever.md", "---\nid: 66\nfiles: [b.py]\n---\n")
    write(tmp_path, "docs/SPEC-7.md", "---\nfiles: [c.py]\n---\n")
    tasks = find_tasks(str(tmp_path), Config(), ["65", "66", "7"])
    assert [(task.id, task.files, task.source) for task in tasks] == [
        ("65", ("a.py",), "docs/roadmap/SPEC-065-recipes.md"),
        ("66", ("b.py",), "specs/whatever.md"),
        ("7", ("c.py",), "docs/SPEC-7.md"),
    ]


def test_inline_tasks_from_config(tmp_path: Path) -> None:
    config = Config(
        source=".gitparallel.toml",
        tasks={"70": {"title": "Inline", "files": ["x/**"], "owner": "@me"}},
    )
    [task] = find_tasks(str(tmp_path), config, ["70"])
    assert (task.id, task.title, task.files, task.owner) == ("70", "Inline", ("x/**",), "@me")


def test_two_specs_claiming_one_id_stay_usable_under_their_stem_ids(tmp_path: Path) -> None:
    write(tmp_path, "docs/SPEC-65-a.md", "---\nfiles: [a.py]\n---\n")
    write(tmp_path, "specs/other.md", "---\nid: 65\nfiles: [b.py]\n---\n")
    with pytest.raises(SpecError) as caught:
        find_tasks(str(tmp_path), Config(), ["65"])
    assert caught.value.message == (
        "task 65 is ambiguous: 2 specs claim it: SPEC-65-a (docs/SPEC-65-a.md) and "
        "other (specs/other.md)"
    )
    assert "'SPEC-65-a'" in (caught.value.hint or "")
    tasks = find_tasks(str(tmp_path), Config(), ["SPEC-65-a", "other"])
    assert [(task.id, task.files) for task in tasks] == [
        ("SPEC-65-a", ("a.py",)),
        ("other", ("b.py",)),
    ]
    [short] = find_tasks(str(tmp_path), Config(), ["65-a"])  # the stem id without 'SPEC-'
    assert short.id == "SPEC-65-a"


def test_unknown_id_names_where_to_declare_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        find_tasks(str(tmp_path), Config(), ["99"])
    assert caught.value.message == "no spec found for task 99"
    assert "SPEC-99-" in (caught.value.hint or "")


@pytest.mark.parametrize("bad", ["../65", "a/b", "-x", "", "a..b"])
def test_hostile_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SpecError):
        find_tasks(str(tmp_path), Config(), [bad])


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        # YAML 1.1 reads 010 as octal 8: the id is what is written, as in SPEC-010-x.md.
        ("specs/octal.md", "---\nid: 010\nfiles: [a.py]\n---\n", "10"),
        # A block scalar: a line regex would read '>-' as the id.
        ("specs/block.md", "---\nid: >-\n  72\nfiles: [a.py]\n---\n", "72"),
        # A quoted key is still the key `id`.
        ("specs/quoted.md", '---\n"id": 73\nfiles: [a.py]\n---\n', "73"),
        # The front matter ends at '...': an `id:` line in the body is prose.
        ("docs/SPEC-5-x.md", "---\nfiles: [a.py]\n...\nid: 99\n", "5"),
        # Windows line ends.
        ("specs/crlf.md", "---\r\nid: 75\r\nfiles: [a.py]\r\n---\r\n", "75"),
        # A flow mapping as front matter.
        ("specs/flow.md", "---\n{id: '74', files: [a.py]}\n---\n", "74"),
    ],
)
def test_a_spec_id_is_read_once_the_same_by_the_catalog_and_the_parser(
    tmp_path: Path, path: str, text: str, expected: str
) -> None:
    write(tmp_path, path, text)
    [task] = find_tasks(str(tmp_path), Config(), [expected])
    assert (task.id, task.source) == (expected, path)
    assert parse_spec(text, path, name_id(path, None)).task.id == expected
    assert catalog(tmp_path, Config()).known == {expected}


def test_two_id_keys_in_front_matter_are_a_spec_problem_with_their_lines(tmp_path: Path) -> None:
    text = "---\nid: 13\ntitle: t\nid: 14\nfiles: [a.py]\n---\n"
    write(tmp_path, "docs/SPEC-12-twice.md", text)
    with pytest.raises(SpecError) as caught:
        find_tasks(str(tmp_path), Config(), ["12"])
    problem = caught.value
    assert (
        problem.message == "front matter of docs/SPEC-12-twice.md sets 'id' twice (lines 2 and 4)"
    )
    assert (problem.source, problem.line) == ("docs/SPEC-12-twice.md", 4)
    for other in ("13", "14"):  # neither value names it: YAML's last-wins is not taken silently
        with pytest.raises(SpecError, match=f"no spec found for task {other}"):
            find_tasks(str(tmp_path), Config(), [other])
