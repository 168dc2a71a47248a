"""Team mode costs one push beyond `--local` once a clone has its copy of the registry (DESIGN
§10: `start` and `merge` ≤ `--local` + 2 round trips), and only a few local git processes.

Counted from git's trace2 event log, top-level processes only (bench/git_processes.py). The
first command after a clone fetches (there is no copy to lease on yet); from then on a command
decides on the copy its last push wrote and pushes with a lease on it, and fetches only when the
lease is lost. The local processes beyond `--local`: one `cat-file --batch` reading the copy
(registry commit, tree and files, base), the registry commit (`hash-object` of each new entry,
`mktree`, `commit-tree`), and one `update-ref` keeping the copy where the push left the remote.
The config (user.email, parallel.machine) is the one `config --list` `start` reads anyway
(`merge` reads it for them alone).
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
LOCAL_OBJECT_PROCESSES = 5  # cat-file, hash-object, mktree, commit-tree, update-ref


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    with serving(tmp_path, SPECS) as made:
        yield made


def traced(machine: Machine, log: Path, *args: str) -> tuple[Result, Counter[str]]:
    result = machine.cli(*args, env=traced_environment(log, {}))
    assert result.code == 0, result.out + result.err
    counts: Counter[str] = Counter()
    for name, n in git_processes(log).items():  # `merge-base <oid>`: the same kind whatever oid
        counts[name.split()[0] if name.startswith("merge-base ") else name] += n
    return result, counts


def beyond(team_mode: Counter[str], local: Counter[str]) -> Counter[str]:
    return Counter({name: n - local[name] for name, n in team_mode.items() if n > local[name]})


@pytest.mark.slow
def test_team_start_and_merge_cost_one_push_and_the_registry_commit_after_the_first(
    team: Team, tmp_path: Path
) -> None:
    alice, bob = team.alice, team.bob  # two fresh clones alike: team mode, and --local
    # The first start and merge after a clone fetch: no copy of the registry, then of base.
    for task_id, relative in (("a", "src/shared/x.py"), ("c", "src/c.py")):
        _, team_start = traced(alice, tmp_path / f"start-{task_id}.json", "start", task_id)
        _, local_start = traced(
            bob, tmp_path / f"local-{task_id}.json", "start", task_id, "--local"
        )
        alice.work(alice.path.parent / f"project-wt{task_id}", relative, "changed\n")
        bob.work(bob.path.parent / f"project-wt{task_id}", relative, "changed\n")
        _, team_merge = traced(alice, tmp_path / f"merge-{task_id}.json", "merge", task_id)
        _, local_merge = traced(
            bob, tmp_path / f"merge-local-{task_id}.json", "merge", task_id, "--local"
        )
        first = task_id == "a"
        for team_mode, local in ((team_start, local_start), (team_merge, local_merge)):
            extra = beyond(team_mode, local)
            assert extra["fetch"] == (1 if first else 0) and extra["push"] == 1, (task_id, extra)
            assert "rev-parse" not in extra and "ls-tree" not in extra, extra
            assert extra["config"] <= 1, extra  # merge reads no config but user.email's
            fetching = 2 if first else 0  # the fetch, and reading what it brought
            assert sum(extra.values()) <= 1 + LOCAL_OBJECT_PROCESSES + 1 + fetching, extra
    assert alice.git("ls-remote", "origin", "refs/parallel/registry").strip(), "registry pushed"
