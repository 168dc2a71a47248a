"""`git parallel specs` read at a terminal: it fits $COLUMNS, groups problems by kind, explains a
spec that declares nothing, and stops quietly when its reader goes away."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import Repo

DEEP = "docs/architecture/specs/exported/very/deeply/nested/folder/of/an/older/system"


def many_specs(repo: Repo) -> None:
    repo.write("app/x.py", "x\n")
    for number in range(1, 13):
        name = f"SPEC-{number:03d}-a-very-long-title-that-the-older-system-wrote-for-this-spec"
        repo.write(f"{DEEP}/{name}.md", f"# Spec {number}\n\nNothing declared here.\n")
    repo.write(f"{DEEP}/SPEC-020-real.md", "# Real\n\n**File**: `app/x.py`\n")
    repo.write(".gitparallel.toml", f'specs = ["{DEEP}/SPEC-*.md"]\n')
    repo.commit_all("specs")


def test_specs_fits_columns_and_gives_one_hint_per_kind(repo: Repo) -> None:
    many_specs(repo)
    result = repo.cli("specs", env={"COLUMNS": "120"})
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert max(len(line) for line in lines) <= 120, result.out
    assert sum("hint: list the paths the task may change" in line for line in lines) == 1
    assert "problems (12)" in result.out
    narrow = repo.cli("specs", env={"COLUMNS": "60"})
    assert max(len(line) for line in narrow.out.splitlines()) <= 60, narrow.out
    assert f"{DEEP[:20]}" in narrow.out and "older/system/" in narrow.out
    assert f"{DEEP}/" not in narrow.out  # the long folder is cut in its middle, both ends kept
    piped = repo.cli("specs")  # no terminal and no $COLUMNS: nothing cut for a script
    assert f"{DEEP}/" in piped.out


def test_explain_shows_what_a_spec_that_declares_nothing_read(repo: Repo) -> None:
    repo.write(
        "docs/SPEC-7-sync.md",
        "# Frequent roadmap sync\n\n## Files to Modify\n\n- `https://example.com/sync.py`\n"
        "- `load_config()`\n",
    )
    repo.commit_all("a spec that names no file")
    result = repo.cli("specs", "7", "--explain")
    assert result.code == 2, result
    assert "7: Frequent roadmap sync  [docs/SPEC-7-sync.md]" in result.out
    assert "rejected 'load_config()'" in result.out and "(line 6)" in result.out
    listed = repo.cli("specs", "--json").json()["specs"]
    assert listed[0]["ignored"] and listed[0]["problems"]


def test_a_reader_that_goes_away_ends_the_report_quietly(repo: Repo) -> None:
    for number in range(1, 401):  # well past a pipe's 64 KiB: the reader leaves mid-report
        files = [f"src/module_{number}/part_{part}.py" for part in range(3)]
        repo.spec(str(number), files, title=f"A task with a title long enough to fill {number}")
    repo.commit_all("many specs")
    reader = subprocess.Popen(
        f"{sys.executable} -m gitwt specs --explain | head -1",
        shell=True,
        executable="/bin/bash",
        cwd=repo.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = reader.communicate(timeout=120)
    assert out.splitlines()[0].split()[:2] == ["id", "owner"]
    assert err == ""  # no traceback, whenever `head` goes away
    # The reader gone before the first write (a pipe whose read end is closed): deterministic.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        gone = subprocess.run(
            [sys.executable, "-m", "gitwt", "specs", "--explain"],
            cwd=repo.path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert gone.returncode == 141  # as git: what SIGPIPE gives, not 1 ("found")
    assert gone.stderr == ""


def test_plan_of_an_unknown_id_names_the_configured_spec_locations(repo: Repo) -> None:
    repo.write(".gitparallel.toml", 'specs = ["planning/specs/**/SPEC-*.md"]\n')
    repo.commit_all("config")
    result = repo.cli("plan", "9999")
    assert result.code == 2
    hint = result.err.splitlines()[1]
    assert "planning/specs/SPEC-9999-<title>.md" in hint
    assert "planning/specs/**/SPEC-*.md" in hint and "docs/" not in hint
