"""Legacy specs read as a careful human reads them: the spec-format fixtures, token by token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gitwt.core import legacy_specs, legacy_tokens, spec_catalog, spec_survey
from gitwt.core.legacy_tokens import TrackedIndex, classify
from gitwt.core.specs import parse_spec
from gitwt.infra.config import Config
from tests.core.specs_on_disk import catalog

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spec-formats"
TRACKED = (FIXTURES / "tracked.txt").read_text().split()
# The imagined repository of README.md: its tracked links, its .gitignore and its folder name.
LINKS = dict(
    line.split(" -> ") for line in (FIXTURES / "symlinks.txt").read_text().splitlines() if line
)
FIXTURE_INDEX = TrackedIndex.build(
    TRACKED,
    symlinks=LINKS,
    gitignore={".gitignore": (FIXTURES / "gitignore.txt").read_text()},
    repo_names=["project"],
)
FIXTURE_IDS = sorted(re.match(r"SPEC-(\d+)", p.name).group(1) for p in FIXTURES.glob("SPEC-*"))


def expectation(spec: Path) -> dict:
    """The `<!-- expect ... -->` comment at the top of a fixture, as YAML."""
    main = spec / "README.md" if spec.is_dir() else spec
    comment = main.read_text().split("-->", 1)[0]
    return yaml.safe_load(comment.split("\n", 1)[1])


@pytest.fixture(scope="module")
def fixture_catalog() -> spec_catalog.Catalog:
    return catalog(FIXTURES, Config(specs=("SPEC-*.md",)), FIXTURE_INDEX)


@pytest.mark.parametrize("task_id", FIXTURE_IDS)
def test_each_fixture_gives_exactly_the_declaration_in_its_comment(
    fixture_catalog: spec_catalog.Catalog, task_id: str
) -> None:
    [spec] = FIXTURES.glob(f"SPEC-{task_id}-*")
    expected = expectation(spec)
    result = spec_survey.survey(fixture_catalog, [task_id])
    if "problem" in expected:
        assert result.unusable == [task_id]
        [problem] = result.problems
        assert "declares no files" in problem.message and spec.name in problem.message
        assert problem.hint
        return
    [task] = result.tasks
    # The fixtures list each declaration once; the order they list them in is not one rule
    # (SPEC-202 and SPEC-208 follow the text, SPEC-209 and SPEC-210 do not), so it is compared
    # as a set of patterns, each declared once.
    assert sorted(task.files) == sorted(expected["files"])
    assert len(set(task.files)) == len(task.files)
    assert list(task.depends_on) == [str(dep) for dep in expected["depends_on"]]
    reported = {token.token: token.reason for token in result.ignored[task_id]}
    for entry in expected["ignored"]:
        token = entry.split(" (", 1)[0]
        assert token in reported, (token, reported)
        assert reported[token]  # a reason a person can read
        assert token not in task.files


def test_the_folder_spec_is_one_spec_with_its_phase_files(
    fixture_catalog: spec_catalog.Catalog,
) -> None:
    [task] = spec_survey.survey(fixture_catalog, ["207"]).tasks
    assert task.source == "SPEC-207-folder-spec/README.md"
    sources = {origin.source for origin in task.origins}
    assert sources == {
        "SPEC-207-folder-spec/phase1-loader.md",
        "SPEC-207-folder-spec/phase2-docs.md",
    }
    listed = [entry.source for entry in spec_catalog.entries(fixture_catalog)]
    assert "SPEC-207-folder-spec/phase1-loader.md" not in listed


def test_provenance_says_where_and_how_each_pattern_was_read(
    fixture_catalog: spec_catalog.Catalog,
) -> None:
    [task] = spec_survey.survey(fixture_catalog, ["203"]).tasks
    daemon = task.origin_of("app/autonomous/daemon.py")
    assert daemon is not None
    assert (daemon.source, daemon.line, daemon.kind) == (
        "SPEC-203-bare-names-and-lines.md",
        13,
        "bare_name",
    )
    assert "daemon.py:1042-1054" in daemon.note
    [task] = spec_survey.survey(fixture_catalog, ["205"]).tasks
    origin = task.origin_of("app/web/logging.py")
    assert origin is not None and "ambiguous" in origin.note
    [task] = spec_survey.survey(fixture_catalog, ["201"]).tasks
    origin = task.origin_of("app/agents/base.py")
    assert origin is not None and (origin.kind, origin.line) == ("legacy_marker", 13)


@pytest.mark.parametrize(
    ("token", "path"),
    [
        ("app/x.py", "app/x.py"),
        ("./app/x.py", "app/x.py"),
        ("daemon.py:1042-1054", "daemon.py"),
        ("app/x.py:12", "app/x.py"),
        ("app/x.py#L12-L30", "app/x.py"),
        ("app/web/static/", "app/web/static/"),
        (".claude/skills/SKILL.md", ".claude/skills/SKILL.md"),
        ("Makefile", "Makefile"),
        ("src/**/*.py", "src/**/*.py"),
        ("app/[id].tsx", "app/[id].tsx"),
    ],
)
def test_plausible_paths_are_kept(token: str, path: str) -> None:
    assert classify(token).path == path


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("build_spec_context()", "function call"),
        ("self.registry.get(name)", "function call"),
        ("REFACTOR_YYYY_MM_DD.md", "placeholder"),
        ("specs/SPEC-<id>-title.md", "placeholder"),
        ("docs/{id}.md", "placeholder"),
        ("tmp/XXX.py", "placeholder"),
        ("https://example.com/a.py", "URL"),
        ("/Users/someone/app/x.py", "absolute"),
        ("~/notes.md", "absolute"),
        ("pytest tests/ -k logging", "command"),
        ("git diff main", "command"),
        ("logging", "identifier"),
        ("logging.config", "identifier"),
        ("../other/x.py", "outside the repository"),
        (".git/config", "inside .git"),
    ],
)
def test_everything_else_is_ignored_with_a_reason(token: str, reason: str) -> None:
    classified = classify(token)
    assert classified.path is None
    assert reason in classified.reason


def read(body: str, tracked: list[str] | None = None) -> tuple[list[str], list[str]]:
    task = parse_spec(
        body, "docs/SPEC-1-x.md", "1", index=lambda: TrackedIndex.build(tracked or [])
    )
    return list(task.task.files), [token.token for token in task.ignored]


def test_move_lists_bold_names_nested_bullets_and_numbered_items() -> None:
    files, _ = read(
        """\
## Files to Modify

1. **ai_service.py** - split in two
2. `old/name.py` → `new/name.py`
   - `nested/child.py` (NEW)
- `docs/guide.md` - also see `docs/other.md` for the style
""",
        ["app/ai_service.py", "old/name.py"],
    )
    assert files == [
        "app/ai_service.py",
        "old/name.py",
        "new/name.py",
        "nested/child.py",
        "docs/guide.md",
    ]


def test_markers_with_the_paths_on_the_same_line_or_below() -> None:
    files, _ = read(
        """\
**Files to Create**: `a/one.py`, `a/two.py`
**Location**: a/three.py

**Files to Modify**:
- Update: `b/four.py` (the entry point)
- `b/five.py` (no changes needed)

**Estimated effort**: `c/not_a_file.py` is mentioned here
"""
    )
    assert files == ["a/one.py", "a/two.py", "a/three.py", "b/four.py"]


def test_prose_sections_and_fences_never_declare() -> None:
    files, ignored = read(
        """\
**File**: `app/real.py`

## Risks
- `app/risky.py` may break

## Out of Scope
- `app/later.py` (MODIFY)

## Testing Strategy
We will run `tests/test_all.py` and check `app/also.py`.

## Implementation
```markdown
**Files to Modify**:
- `app/template.py`
files:
  - app/yaml_key.py
```
<!-- **Files**: `app/commented.py` -->
"""
    )
    assert files == ["app/real.py"]
    assert {"app/risky.py", "app/later.py", "tests/test_all.py", "app/template.py"} <= set(ignored)
    assert "app/commented.py" not in ignored + files


def test_items_under_a_neutral_heading_declare_only_with_a_note_that_changes_them() -> None:
    files, ignored = read(
        """\
## Implementation
- `app/listed.py` shows how it is done today
- Create `app/created.py`
- `app/changed.py` (MODIFY)
"""
    )
    assert files == ["app/created.py", "app/changed.py"]
    assert "app/listed.py" in ignored


def test_a_bare_name_no_file_has_is_kept_at_the_root_only_when_created() -> None:
    files, ignored = read(
        """\
## Files to Modify
- `missing.py`
- `new_module.py` (NEW)
- `daemon.py`
""",
        ["app/daemon.py"],
    )
    assert files == ["new_module.py", "app/daemon.py"]
    assert "missing.py" in ignored


def test_package_relative_paths_resolve_like_bare_names() -> None:
    files, _ = read("**Files**:\n- `autonomous/daemon.py`\n- `llm/retry.py`\n", TRACKED)
    assert files == ["app/autonomous/daemon.py", "llm/retry.py"]


def test_tracked_index_resolution() -> None:
    index = legacy_tokens.TrackedIndex.build(TRACKED)
    assert index.resolve("daemon.py") == ["app/autonomous/daemon.py"]
    assert index.resolve("logging.py") == ["app/utils/logging.py", "app/web/logging.py"]
    assert index.resolve("app/cli/") == ["app/cli/"]
    assert index.resolve("cli/") == ["app/cli/"]
    assert index.resolve("absent.py") == []


def test_dependency_markers_name_known_tasks_only() -> None:
    body = "**Dependencies**: SPEC-064, US-7, PRIORITY 9, SPEC-1\n**File**: `src/a.py`\n"
    parsed = parse_spec(body, "docs/SPEC-1-x.md", "1", known_ids=["64", "9", "1"])
    assert parsed.task.depends_on == ("64", "9")
    assert [(t.token, t.reason) for t in parsed.ignored] == [
        ("US-7", "a dependency on no known task")
    ]


def test_the_owner_marker_then_the_default_owner() -> None:
    body = "# T\n**File**: `src/a.py`\n"
    assert parse_spec(body, "s.md", "1", default_owner="@dev").task.owner == "@dev"
    owned = "**Owner**: @web\n" + body
    assert parse_spec(owned, "s.md", "1", default_owner="@dev").task.owner == "@web"
    front = "---\nowner: ops\nfiles: [a.py]\n---\n"
    assert parse_spec(front, "s.md", "1", default_owner="@dev").task.owner == "ops"


def test_read_keeps_line_numbers_after_front_matter() -> None:
    text = "---\nid: 1\ntitle: T\n---\n# T\n\n**File**: `src/a.py`\n"
    [origin] = parse_spec(text, "s.md", None).task.origins
    assert (origin.line, origin.kind) == (7, "legacy_marker")
    assert legacy_specs.read("**File**: `a.py`", "s.md", 10).mentions[0].line == 10


def test_plain_labels_bold_code_spans_and_a_dependencies_section() -> None:
    body = """\
# SPEC-104: Orchestrator

### Files to Create
1. **`pkg/orchestrator/coordinator.py`** (~200 lines)

### Phase 2
Files to modify:
- pkg/cli/main.py
- .claude/agents/orchestrator.md

Location: the user's home folder, never `pkg/secret.py`

## Dependencies
- `psutil` (already installed)
- SPEC-098 must be merged first
"""
    parsed = parse_spec(body, "docs/SPEC-104-x.md", "104", known_ids=["98"])
    assert parsed.task.files == (
        "pkg/orchestrator/coordinator.py",
        "pkg/cli/main.py",
        ".claude/agents/orchestrator.md",
    )
    assert parsed.task.depends_on == ("98",)
    assert parsed.task.title == "Orchestrator"


def ignored_with_reasons(body: str, tracked: list[str] | None = None) -> dict[str, str]:
    task = parse_spec(
        body, "docs/SPEC-1-x.md", "1", index=lambda: TrackedIndex.build(tracked or [])
    )
    return {item.token: item.reason for item in task.ignored}


def test_a_plain_file_line_inside_a_phase_section_declares() -> None:
    files, _ = read("### Phase 2: Loader\n\n- File: `app/loader.py`\n- Notes: keep it small\n")
    assert files == ["app/loader.py"]


def test_branch_names_and_slash_words_are_rejected_with_a_reason() -> None:
    body = """\
**Files**:
- `app/split.py` (new)
- `refactor/split-daemon`
- on branch `roadmap/next`
- and/or add/remove
- `@scope/pkg`
"""
    files, _ = read(body)
    assert files == ["app/split.py"]
    reasons = ignored_with_reasons(body)
    assert reasons["refactor/split-daemon"] == "a branch name, not a path"
    assert reasons["roadmap/next"] == "a branch name, not a path"
    assert (
        "a word with a slash" in reasons["and/or"]
        and "a word with a slash" in reasons["add/remove"]
    )
    assert reasons["@scope/pkg"] == "a package name (@scope/name), not a path"


def test_a_bold_path_line_and_a_code_block_headed_by_its_file_declare() -> None:
    body = """\
## Component Design

### New Test File

**`tests/unit/test_chat.py`**:

```python
# tests/unit/test_chat.py
def test_parse(): ...
```

### 2. Dependency Analyzer

```python
# app/skills/dependency_graph.py
class DependencyGraph: ...
```

## Current Pain Points

```bash
# app/old/script.py
```
"""
    files, _ = read(body)
    assert files == ["tests/unit/test_chat.py", "app/skills/dependency_graph.py"]
    assert "in section 'Current Pain Points'" in ignored_with_reasons(body)["app/old/script.py"]


def test_a_tree_drawn_from_the_repository_folder_and_a_moved_file() -> None:
    index = TrackedIndex.build(["app/old.py", "README.md"], repo_names=["project"])
    body = """\
```
project/
├── app/
│   ├── new.py        # NEW
│   └── old.py        # MOVED from app/legacy/old.py
└── README.md
```
"""
    task = parse_spec(body, "docs/SPEC-1-x.md", "1", index=lambda: index)
    assert list(task.task.files) == ["app/new.py", "app/old.py", "app/legacy/old.py"]
    reasons = {item.token: item.reason for item in task.ignored}
    assert reasons["project/README.md"] == "in a tree diagram, not marked as changed"
