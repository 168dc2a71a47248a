"""Team mode costs one fetch and one push beyond `--local` (DESIGN §10: `start` and `merge`
≤ `--local` + 2 round trips), and only a few local git processes for the registry commit.

Counted from git's trace2 event log, top-level processes only (bench/git_processes.py). The
local ones that remain beyond `--local`: one `cat-file --batch` reading the fetched registry
and base (commit, tree and files), and the registry commit (`hash-object` of each new entry,
`mktree`, `commit-tree`). The config (user.email, parallel.machine) is the one `config --list`
`start` reads anyway (`merge` reads it for them alone).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.git_processes import git_processes, traced_environment
from tests.conftest import Result
from tests.services.team.team_setup import Machine, Team, serving

SPECS = {"a": ["src/shared/**"], "c": ["src/c.py"]}
LOCAL_OBJECT_PROCESSES = 4  # cat-file (registry and base), hash-object, mktree, commit-tree


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    with serving(tmp_path, SPECS) as made:
        yield made


def traced(machine: Machine, log: Path, *args: str) -> tuple[Result, Counter[str]]:
    result = machine.cli(*args, env=traced_environment(log, {}))
    assert result.code == 0, result.out + result.err
    return result, git_processes(log)


def beyond(team_mode: Counter[str], local: Counter[str]) -> Counter[str]:
    return Counter({name: n - local[name] for name, n in team_mode.items() if n > local[name]})


@pytest.mark.slow
def test_team_start_and_merge_cost_one_fetch_one_push_and_the_registry_commit(
    team: Team, tmp_path: Path
) -> None:
    alice, bob = team.alice, team.bob  # two fresh clones alike: team mode, and --local
    _, team_start = traced(alice, tmp_path / "start.json", "start", "a")
    _, local_start = traced(bob, tmp_path / "start-local.json", "start", "c", "--local")
    alice.work(alice.path.parent / "project-wta", "src/shared/x.py", "x = 2\n")
    bob.work(bob.path.parent / "project-wtc", "src/c.py", "c = 2\n")
    _, team_merge = traced(alice, tmp_path / "merge.json", "merge", "a")
    _, local_merge = traced(bob, tmp_path / "merge-local.json", "merge", "c", "--local")

    for team_mode, local in ((team_start, local_start), (team_merge, local_merge)):
        extra = beyond(team_mode, local)
        assert extra["fetch"] == 1 and extra["push"] == 1, extra
        assert "rev-parse" not in extra and "ls-tree" not in extra, extra
        assert extra["config"] <= 1, extra  # merge reads no config but user.email's
        assert sum(extra.values()) <= 2 + LOCAL_OBJECT_PROCESSES + 1, extra
    assert alice.git("ls-remote", "origin", "refs/parallel/registry").strip(), "registry pushed"
