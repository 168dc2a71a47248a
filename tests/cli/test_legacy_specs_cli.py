"""Legacy specs, spec problems and `git parallel specs` through the real CLI and real git."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Repo

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spec-formats"
SPECS = "docs/architecture/specs"


def imagined(repo: Repo) -> Repo:
    """The fixtures' imagined repository (README.md): its tracked files, its symbolic links,
    its .gitignore, and the spec-format fixtures as its legacy specs."""
    links = dict(
        line.split(" -> ") for line in (FIXTURES / "symlinks.txt").read_text().splitlines() if line
    )
    for path in (FIXTURES / "tracked.txt").read_text().split():
        if path in links:
            (repo.path / path).parent.mkdir(parents=True, exist_ok=True)
            (repo.path / path).symlink_to(links[path])
        elif path == ".gitignore":
            repo.write(path, (FIXTURES / "gitignore.txt").read_text())
        elif path != "pyproject.toml":
            repo.write(path, "x\n")
    for spec in FIXTURES.glob("SPEC-*"):
        target = repo.path / SPECS / spec.name
        if spec.is_dir():
            shutil.copytree(spec, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(spec, target)
    repo.commit_all("legacy specs")
    return repo


@pytest.fixture
def legacy(repo: Repo) -> Repo:
    return imagined(repo)


def test_absolute_paths_ignored_files_and_links_read_through_the_repository_itself(
    tmp_path: Path,
) -> None:
    project = Repo(tmp_path / "project")  # the imagined repository's own folder name
    project.write("README.md", "scratch\n")
    imagined(project)
    result = project.cli("plan", "211", "--json")
    assert result.code == 0, result
    data = result.json()
    assert data["task_file_map"]["211"] == [
        "app/scheduler/__init__.py",
        "app/scheduler/queue.py",
        "tests/unit/test_queue.py",
        "docs/roadmap/ROADMAP.md",
    ]
    reasons = {item["token"]: item["reason"] for item in data["ignored"]["211"]}
    assert "ignored by git at base" in reasons["data/queue.db"]
    assert "symbolic link to docs/roadmap/ROADMAP.md" in reasons["docs/ROADMAP.md"]
    notes = {origin["pattern"]: origin["note"] for origin in data["declarations"]["211"]}
    assert "/home/dev/src/project/app/scheduler/queue.py" in notes["app/scheduler/queue.py"]
    # The same spec in a repository of another name: those paths lead outside it.
    elsewhere = imagined(Repo(tmp_path / "elsewhere")).cli("specs", "211", "--json")
    assert elsewhere.code == 0, elsewhere
    [spec] = elsewhere.json()["specs"]
    declared = [origin["pattern"] for origin in spec["declarations"]]
    assert declared == ["docs/roadmap/ROADMAP.md"]
    ignored = {item["token"]: item["reason"] for item in spec["ignored"]}
    assert "absolute path" in ignored["/home/dev/src/project/app/scheduler/queue.py"]


def test_plan_reads_legacy_specs_and_finds_the_real_conflict(legacy: Repo) -> None:
    result = legacy.cli("plan", "201", "203", "204", "--json")
    assert result.code == 1, result
    data = result.json()
    assert data["task_file_map"]["203"] == [
        "app/autonomous/daemon.py",
        "app/autonomous/daemon_lifecycle.py",
        "tests/unit/test_daemon.py",
    ]
    # 201 modifies the daemon that 203 changes: a conflict, not two independent tasks.
    assert data["conflicts"][0]["tasks"] == ["201", "203"]
    assert data["conflicts"][0]["paths"] == ["app/autonomous/daemon.py"]
    [first, *_] = data["declarations"]["203"]
    assert first["source"] == f"{SPECS}/SPEC-203-bare-names-and-lines.md"
    assert (first["line"], first["kind"]) == (13, "bare_name")
    assert "_run_loop()" in {token["token"] for token in data["ignored"]["203"]}


def test_plan_explain_shows_where_each_pattern_came_from(legacy: Repo) -> None:
    result = legacy.cli("plan", "205", "208", "--explain")
    assert result.code == 0, result
    assert "app/web/logging.py" in result.out and "ambiguous" in result.out
    assert "line 15 (bare name resolved" in result.out  # notifications.py in SPEC-208
    assert "ignored 'app/example/template.py': inside a fenced code block" in result.out
    plain = legacy.cli("plan", "205", "208")
    assert "ambiguous" not in plain.out


def test_one_bad_spec_never_hides_the_rest(legacy: Repo) -> None:
    legacy.write("docs/SPEC-301-broken.md", "---\nid: 301\nfiles: [a.py\n---\n")
    legacy.write("docs/SPEC-302-copy.md", "---\nfiles: [c.py]\n---\n")
    legacy.write("specs/302-again.md", "---\nid: 302\nfiles: [d.py]\n---\n")
    legacy.write("docs/SPEC-303-escape.md", "---\nfiles: [ok.py, ../outside.py]\n---\n")
    legacy.commit_all("bad specs")
    before = legacy.git("status", "--porcelain", "--ignored")
    ids = ["201", "204", "206", "301", "302", "303", "304"]
    result = legacy.cli("plan", *ids)
    assert result.code == 2, result
    assert "plan for 2 task(s)" in result.out  # 201 and 204 are planned all the same
    assert "waves" in result.out and "201" in result.out and "Dashboard" in result.out
    for expected in (
        "SPEC-206-no-files.md",
        "malformed YAML front matter in docs/SPEC-301-broken.md:4",
        "task 302 is ambiguous: 2 specs claim it: SPEC-302-copy (docs/SPEC-302-copy.md) and "
        "302-again (specs/302-again.md)",
        "specs_exclude",
        "declared path '../outside.py' in docs/SPEC-303-escape.md:2 escapes the repository",
        "no spec found for task 304",
    ):
        assert expected in result.out, expected
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("git parallel: error: ") and "4 more spec problem(s)" in lines[0]
    assert lines[1].startswith("hint: ")
    data = legacy.cli("plan", *ids, "--json").json()
    assert data["valid"] is False
    assert data["unusable"] == ["206", "301", "302", "303", "304"]
    assert sorted(data["task_file_map"]) == ["201", "204"]
    assert [(p["task"], p["line"]) for p in data["spec_problems"]][1:3] == [("301", 4), ("302", 0)]
    assert legacy.git("status", "--porcelain", "--ignored") == before


def test_start_refuses_when_any_named_task_is_unusable(legacy: Repo) -> None:
    result = legacy.cli("start", "201", "206")
    assert result.code == 2, result
    assert "declares no files" in result.err
    assert legacy.git("branch", "--list", "parallel/*") == ""
    assert len(legacy.git("worktree", "list").splitlines()) == 1


def test_specs_exclude_drops_copies_and_default_owner_owns_legacy_specs(legacy: Repo) -> None:
    legacy.write(f"{SPECS}/SPEC-201-IMPLEMENTATION-notes.md", "**File**: `app/x.py`\n")
    legacy.write("CODEOWNERS", "* @dev\n")
    legacy.commit_all("copy and owners")
    result = legacy.cli("plan", "201", "204")  # the report is not a second task 201
    assert result.code == 1 and "201" in result.out and "owner" in result.out, result
    listed = legacy.cli("specs")
    assert (
        f"{SPECS}/SPEC-201-IMPLEMENTATION-notes.md is by its name, a copy or report of "
        f"{SPECS}/SPEC-201-multiline-files.md (task 201)"
    ) in listed.out
    assert "specs_exclude" in listed.out
    legacy.write(
        ".gitparallel.toml",
        'specs_exclude = ["*-IMPLEMENTATION-*.md"]\ndefault_owner = "dev"\n',
    )
    legacy.commit_all("config")
    result = legacy.cli("plan", "201", "204", "--json")
    assert result.code == 0, result
    assert result.json()["problems"] == []


def test_without_default_owner_a_codeowners_refuses_legacy_specs(legacy: Repo) -> None:
    legacy.write("CODEOWNERS", "* @dev\n")
    result = legacy.cli("plan", "201")
    assert result.code == 1 and "has no owner" in result.out


def test_specs_lists_every_discovered_spec(legacy: Repo) -> None:
    result = legacy.cli("specs", "--json")
    assert result.code == 0, result
    listed = {spec["id"]: spec for spec in result.json()["specs"]}
    assert sorted(listed) == [str(n) for n in range(201, 212)]
    assert listed["205"]["depends_on"] == ["201", "203"]
    assert listed["207"]["file"] == f"{SPECS}/SPEC-207-folder-spec/README.md"
    assert listed["207"]["patterns"] == 4
    assert "declares no files" in listed["206"]["problems"][0]["message"]
    text = legacy.cli("specs", "202", "206").out
    assert "Daily report" in text and "declares no files" in text
    assert legacy.cli("specs", "206").code == 2


@pytest.mark.slow
def test_front_matter_writes_the_declaration_for_review(legacy: Repo) -> None:
    spec = legacy.path / SPECS / "SPEC-205-ambiguous-and-prose.md"
    original = spec.read_text()
    declared = legacy.cli("plan", "205", "--json").json()["task_file_map"]
    result = legacy.cli("specs", "--front-matter", "205")
    assert result.code == 0, result
    text = spec.read_text()
    assert text.startswith("---\n") and text.endswith(original)  # the rest unchanged
    data = legacy.cli("plan", "205", "--json").json()
    assert data["task_file_map"] == declared
    assert {origin["kind"] for origin in data["declarations"]["205"]} == {"front_matter"}
    assert legacy.cli("specs", "205", "--json").json()["specs"][0]["depends_on"] == ["201", "203"]
    again = legacy.cli("specs", "--front-matter", "205")  # now explicit: nothing to write
    assert again.code == 0 and "unchanged" in again.out


@pytest.mark.slow
def test_front_matter_refuses_a_spec_with_uncommitted_changes(legacy: Repo) -> None:
    spec = legacy.path / SPECS / "SPEC-201-multiline-files.md"
    spec.write_text(spec.read_text() + "\nA note in progress.\n")
    other = legacy.path / SPECS / "SPEC-202-numbered-and-location.md"
    before = other.read_text()
    result = legacy.cli("specs", "--front-matter", "202", "201")
    assert result.code == 1, result
    assert "SPEC-201-multiline-files.md has uncommitted changes" in result.err
    assert other.read_text() == before  # refused as a whole: nothing written
    assert spec.read_text().endswith("A note in progress.\n")
    assert legacy.cli("specs", "--front-matter").code == 2


@pytest.mark.slow
def test_a_live_tasks_claims_count_in_plan_with_their_origin(repo: Repo) -> None:
    repo.write("src/one/a.py")
    repo.spec("1", ["src/one/**"])
    repo.spec("2", ["src/two/**"])
    repo.commit_all("specs")
    assert repo.cli("start", "1").code == 0
    assert repo.cli("claim", "1", "src/two/shared.py").code == 0
    result = repo.cli("plan", "1", "2", "--json")
    assert result.code == 1, result  # the claim makes 1 overlap 2
    data = result.json()
    assert data["task_file_map"]["1"] == ["src/one/**", "src/two/shared.py"]
    front, claim = data["declarations"]["1"]
    assert (front["kind"], front["line"]) == ("front_matter", 5)
    assert (claim["kind"], claim["source"]) == ("claim", "git parallel claim")
    assert claim["note"].startswith("claimed ")
    explained = repo.cli("plan", "1", "--explain").out
    assert "src/two/shared.py" in explained and "(claim; claimed " in explained


def test_specs_lists_inline_config_tasks_too(repo: Repo) -> None:
    repo.write(".gitparallel.toml", '[tasks.70]\nfiles = ["x/**"]\ntitle = "Inline"\n')
    repo.spec("71", ["y.py"])
    repo.commit_all("an inline task")
    result = repo.cli("specs", "--json")
    assert result.code == 0, result
    listed = {spec["id"]: spec for spec in result.json()["specs"]}
    assert listed["70"]["file"] == ".gitparallel.toml [tasks.70]"
    assert listed["70"]["declarations"][0]["kind"] == "config"
    assert listed["71"]["title"] == "Task 71"
