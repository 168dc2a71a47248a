"""`start` loads what it runs and nothing else: start-up imports are most of a short command's
time (DESIGN §10, `start --sparse` ≤ 2.0 × raw git). Counted as modules, never timed."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Repo

# Modules `start --sparse` of a task whose spec is flat YAML has no use for: other commands,
# services it does not call, PyYAML (flat front matter is read by the stdlib reader), plan units,
# the CODEOWNERS parser in a repository without one.
NOT_FOR_START = [
    "yaml",
    "gitwt.cli.check_commands",
    "gitwt.cli.merge_commands",
    "gitwt.cli.orchestration",
    "gitwt.cli.plan_commands",
    "gitwt.cli.team_commands",
    "gitwt.services.tasks.batch",
    "gitwt.services.tasks.waiting",
    "gitwt.services.merging.merge",
    "gitwt.core.line_waves",
    "gitwt.core.formats.plan_units",
    "gitwt.core.ownership",
]

LOADED = (
    "import json, sys\n"
    "from gitwt.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)


def _start(repo: Repo, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, "start", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, set(json.loads(done.stdout.splitlines()[-1]))


def test_start_sparse_imports_no_other_command_and_no_yaml(repo: Repo) -> None:
    repo.spec("1", ["src/one/"], title="One", depends_on=[])
    repo.write("src/one/a.py")
    repo.write("src/two/b.py")
    repo.commit_all("specs")
    done, loaded = _start(repo, "1", "--sparse")
    assert done.returncode == 0, done.stderr
    worktree = repo.path.parent / "repo-wt1"
    assert (worktree / "src/one/a.py").exists() and not (worktree / "src/two").exists()
    assert "gitwt.cli.task_commands" in loaded and "gitwt.services.tasks.lifecycle" in loaded
    assert sorted(loaded.intersection(NOT_FOR_START)) == []


def test_front_matter_the_flat_reader_declines_is_read_by_pyyaml(repo: Repo) -> None:
    repo.write(
        "docs/SPEC-2-nested.md",
        "---\nid: 2\ntitle: Nested\nmeta: {team: a}\nfiles:\n  - src/two/\n---\n# Nested\n",
    )
    repo.write("src/two/b.py")
    repo.commit_all("a spec with a nested mapping")
    done, loaded = _start(repo, "2", "--sparse")
    assert done.returncode == 0, done.stderr
    assert (repo.path.parent / "repo-wt2" / "src/two/b.py").exists()
    assert "yaml" in loaded
