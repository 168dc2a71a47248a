"""Team mode and plans as living files (DESIGN §2, §11): the registry carries a unit's declared
patterns only; the server derives its bookkeeping from the plan on base, so a task branch that
ticks its own task line is accepted and one that ticks another unit's is refused, through a
real `git daemon` on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.services.team.team_setup import Team, registry
from tests.services.team.test_team_server import push, worktree

pytestmark = pytest.mark.slow

PLAN = "specs/010-trail/tasks.md"
TASKS = """\
# Tasks: Trail log

## Phase 1: User Story 1 - Import tracks (Priority: P1)

- [ ] T001 [P] [US1] Create the GPX reader in src/gpx.py
- [ ] T002 [P] [US1] Create the GPX writer in src/gpx_out.py
"""


def test_the_server_accepts_a_units_own_tick_and_refuses_another(team: Team) -> None:
    alice = team.alice
    (alice.path / PLAN).parent.mkdir(parents=True)
    (alice.path / PLAN).write_text(TASKS)
    alice.git("add", "-A")
    alice.git("commit", "-q", "-m", "a spec-kit plan")
    assert push(alice, "origin", "main").returncode == 0
    started = alice.api.start(["010.T001"])
    assert started.ok, started.to_json()
    assert registry(team.bare)["010.T001"]["files"] == ["src/gpx.py"]  # no plan file in it
    tree: Path = worktree(alice, "010.T001")

    alice.work(tree, PLAN, TASKS.replace("- [ ] T002", "- [x] T002"), "--no-verify")
    refused = push(alice, "origin", "parallel/010.T001", cwd=tree)
    assert refused.returncode != 0
    assert PLAN in refused.stderr and "line 6:" in refused.stderr, refused.stderr

    alice.git("reset", "-q", "--hard", "HEAD~1", cwd=tree)
    alice.work(tree, "src/gpx.py", "reader\n")
    alice.work(tree, PLAN, TASKS.replace("- [ ] T001", "- [x] T001"))
    accepted = push(alice, "origin", "parallel/010.T001", cwd=tree)
    assert accepted.returncode == 0, accepted.stderr
