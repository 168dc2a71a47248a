"""Team mode (DESIGN §11) against a real remote: `git daemon` on 127.0.0.1, two clones acting
as two machines. The registry is read straight from the served bare repository."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitwt.services.hooks import server_hook
from gitwt.services.specs import claiming
from tests.conftest import api_error, git
from tests.services.team.team_setup import Gate, Team, registry, serving

SPECS = {
    "a": ["src/shared/**"],
    "b": ["src/shared/x.py"],
    "c": ["src/c.py"],
}


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    with serving(tmp_path, SPECS) as made:
        yield made


@pytest.mark.slow
def test_an_overlapping_start_on_another_machine_is_refused_and_names_it(team: Team) -> None:
    first = team.alice.api.start(["a"])
    assert first.ok, first.to_json()
    assert set(registry(team.bare)) == {"a"}
    assert registry(team.bare)["a"]["machine"] == "alice"

    second = api_error(team.bob.api.start, ["b"])
    assert second.exit_code == 1
    assert "task a is live on machine alice (user alice@example.com" in second.render()
    assert "git parallel release a --force" in second.render()
    # Nothing was created on bob's machine, and the registry still holds a alone.
    assert not (team.bob.path.parent / "project-wtb").exists()
    assert "parallel/b" not in team.bob.git("branch", "--list")
    assert set(registry(team.bare)) == {"a"}


@pytest.mark.slow
def test_disjoint_tasks_on_two_machines_both_start(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    started = team.bob.api.start(["c"])
    assert started.ok, started.to_json()
    entries = registry(team.bare)
    assert {key: entry["machine"] for key, entry in entries.items()} == {
        "a": "alice",
        "c": "bob",
    }
    assert entries["c"]["files"] == ["src/c.py"]
    assert entries["c"]["user"] == "bob@example.com"


def test_the_same_id_on_another_machine_is_refused(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    again = api_error(team.bob.api.start, ["c"])
    assert again.exit_code == 1
    assert "task c is already started on machine alice" in again.render()


@pytest.mark.slow
def test_status_lists_the_tasks_of_other_machines(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    assert team.bob.api.start(["c"]).ok
    tasks = {task["id"]: task for task in team.bob.api.status().to_json()["tasks"]}
    assert tasks["a"]["state"] == "remote"
    assert tasks["a"]["remote"] is True
    assert tasks["a"]["machine"] == "alice"
    assert tasks["a"]["user"] == "alice@example.com"
    assert tasks["a"]["runtime"] is not None
    assert tasks["c"]["remote"] is False
    text = team.bob.cli("status").out
    assert "live on machine alice (user alice@example.com, started" in text
    # Named, a task of another machine is shown too; an unknown id is still an error.
    named = team.bob.api.status(["a"]).to_json()["tasks"]
    assert [(task["id"], task["state"]) for task in named] == [("a", "remote")]
    unknown = api_error(team.bob.api.status, ["zz"])
    assert unknown.exit_code == 2 and "task zz has not been started" in unknown.message


def test_local_opts_out_with_a_warning(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    alone = team.bob.cli("start", "b", "--local")
    assert alone.code == 0, alone.err
    assert "--local: tasks of other machines are not consulted" in alone.err
    assert set(registry(team.bare)) == {"a"}


@pytest.mark.slow
def test_release_refuses_another_machines_task_without_force(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    refused = team.bob.cli("release", "a")
    assert refused.code == 1
    assert "task a belongs to machine alice (user alice@example.com, started" in refused.err
    assert set(registry(team.bare)) == {"a"}

    released = team.bob.cli("release", "a", "--force")
    assert released.code == 0, released.err
    assert registry(team.bare) == {}
    # Its branch is alice's and stays; bob can start the overlapping task now.
    assert "parallel/a" in team.alice.git("branch", "--list")
    assert team.bob.api.start(["b"]).ok


@pytest.mark.slow
def test_clean_releases_the_task(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    cleaned = team.alice.api.clean(["a"])
    assert cleaned.ok, cleaned.to_json()
    assert registry(team.bare) == {}
    assert team.bob.api.start(["b"]).ok


@pytest.mark.slow
def test_merge_publishes_base_and_releases_in_one_push(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    worktree = team.alice.path.parent / "project-wta"
    commit = team.alice.work(worktree, "src/shared/x.py", "x = 2\n")
    before = team.alice.git("ls-remote", "origin", "refs/heads/main").split()[0]

    merged = team.alice.api.merge(["a"])
    assert merged.ok, merged.to_json()
    remote_main = team.alice.git("ls-remote", "origin", "refs/heads/main").split()[0]
    assert remote_main != before
    assert team.alice.git("rev-parse", "main").strip() == remote_main
    parents = team.alice.git("rev-list", "--parents", "-n", "1", remote_main).split()[1:]
    assert parents == [before, commit]
    assert registry(team.bare) == {}
    # One push: the registry commit that released `a` was made by the same merge.
    message = team.alice.git("log", "-1", "--format=%s", "refs/parallel/registry", cwd=team.bare)
    assert message.strip() == "merge a into main"

    # The other machine can now start the overlapping task, from the merged base.
    assert team.bob.git("pull", "-q", "--ff-only").strip() == ""
    started = team.bob.api.start(["b"])
    assert started.ok, started.to_json()


@pytest.mark.slow
def test_merge_redoes_onto_a_base_another_machine_moved(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    assert team.bob.api.start(["c"]).ok
    alice_tree = team.alice.path.parent / "project-wta"
    bob_tree = team.bob.path.parent / "project-wtc"
    team.alice.work(alice_tree, "src/shared/y.py", "y = 2\n")
    team.bob.work(bob_tree, "src/c.py", "c = 2\n")
    assert team.bob.api.merge(["c"]).ok
    bob_main = team.bob.git("rev-parse", "main").strip()

    merged = team.alice.api.merge(["a"])
    assert merged.ok, merged.to_json()
    remote_main = team.alice.git("ls-remote", "origin", "refs/heads/main").split()[0]
    assert team.alice.git("rev-list", "--parents", "-n", "1", remote_main).split()[1] == bob_main
    assert (team.alice.path / "src/c.py").read_text() == "c = 2\n"
    assert registry(team.bare) == {}


def test_an_unreachable_remote_is_an_input_error_that_changes_nothing(team: Team) -> None:
    team.daemon.stop()
    refused = api_error(team.alice.api.start, ["a"])
    assert refused.exit_code == 2
    assert "cannot reach the team registry on remote 'origin'" in refused.message
    assert refused.hint and "--local" in refused.hint
    assert not (team.alice.path.parent / "project-wta").exists()
    assert team.alice.cli("status", "--local", "--json").json()["tasks"] == []


@pytest.mark.slow
def test_the_remote_going_away_mid_merge_leaves_both_sides_consistent(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    worktree = team.alice.path.parent / "project-wta"
    team.alice.work(worktree, "src/shared/x.py", "x = 2\n")
    main_before = team.alice.git("rev-parse", "main").strip()
    # The test command runs after the fetch and before the push: the remote dies there.
    pid = team.daemon.process.pid  # type: ignore[union-attr]
    stopped = team.alice.cli("merge", "a", "--test", f"kill {pid}")
    team.daemon.process.wait(timeout=20)  # type: ignore[union-attr]
    assert stopped.code == 2, stopped.err + stopped.out
    assert "cannot reach the team registry on remote 'origin'" in stopped.err
    # Locally: base where it was, the task still live with its worktree and branch.
    assert team.alice.git("rev-parse", "main").strip() == main_before
    assert worktree.exists()
    status = team.alice.cli("status", "--local", "--json").json()["tasks"]
    assert [(task["id"], task["state"]) for task in status] == [("a", "open")]
    # On the remote: base unmoved, the registry still lists a.
    assert set(registry(team.bare)) == {"a"}
    team.daemon.start()
    team.alice.git("remote", "set-url", "origin", team.daemon.url("project.git"))
    assert team.alice.api.merge(["a"]).ok
    assert registry(team.bare) == {}


@pytest.mark.slow
def test_the_server_refuses_an_out_of_bounds_push_and_accepts_an_in_bounds_one(
    team: Team,
) -> None:
    server_hook.install(str(team.bare))
    assert team.alice.api.start(["a"]).ok
    worktree = team.alice.path.parent / "project-wta"

    team.alice.work(worktree, "src/shared/x.py", "x = 2\n")
    accepted = team.alice.git("push", "-q", "origin", "parallel/a", cwd=worktree, check=False)
    assert accepted == ""
    assert team.alice.git("ls-remote", "origin", "refs/heads/parallel/a").strip()

    # Past the task's own hooks (--no-verify), the server is the last word.
    bad = team.alice.work(worktree, "src/c.py", "c = 3\n", "--no-verify")
    refused = subprocess.run(
        ["git", "push", "--no-verify", "origin", "parallel/a"],
        cwd=worktree,
        capture_output=True,
        text=True,
        env={**os.environ, **team.alice.env},
    )
    assert refused.returncode != 0
    assert "pre-receive hook declined" in refused.stderr, refused.stderr
    headline = "push refused: the pushed commits change 1 path outside their task"
    assert headline in refused.stderr, refused.stderr
    assert "src/c.py" in refused.stderr and "not declared by task a" in refused.stderr
    remote_tip = team.alice.git("ls-remote", "origin", "refs/heads/parallel/a").split()[0]
    assert remote_tip != bad

    # A branch of a task nobody registered is refused too: only live tasks take pushes.
    team.alice.git("branch", "parallel/zz", "main")
    stray = subprocess.run(
        ["git", "push", "--no-verify", "origin", "parallel/zz"],
        cwd=team.alice.path,
        capture_output=True,
        text=True,
        env={**os.environ, **team.alice.env},
    )
    assert stray.returncode != 0
    assert "task zz is not live in the team registry" in stray.stderr


@pytest.mark.slow
def test_ten_races_of_overlapping_starts_have_exactly_one_winner_each(
    team: Team, tmp_path: Path
) -> None:
    # Both starts' first pushes wait at the server until both are there: every round both
    # decided on the same registry, and exactly one push can win the compare-and-swap.
    gate = Gate(team.bare, tmp_path / "gate")
    server_hook.install(str(team.bare))
    machines = {"a": team.alice, "b": team.bob}
    for round_number in range(10):
        codes = gate.race({task_id: (machine, task_id) for task_id, machine in machines.items()})
        winners = [task_id for task_id, (code, _) in codes.items() if code == 0]
        assert len(winners) == 1, (round_number, codes)
        (winner,) = winners
        loser = "b" if winner == "a" else "a"
        code, err = codes[loser]
        assert code == 1, (round_number, err)
        assert f"and task {winner} is live on machine {machines[winner].name}" in err
        assert set(registry(team.bare)) == {winner}, round_number
        # The loser created nothing: no record, no branch, no worktree.
        assert f"parallel/{loser}" not in machines[loser].git("branch", "--list")
        assert machines[loser].cli("status", "--local", "--json").json()["tasks"] == []
        cleaned = machines[winner].cli("clean", winner)
        assert cleaned.code == 0, cleaned.err
        assert registry(team.bare) == {}
    # Never, not just between rounds: no commit in the registry's history held both tasks.
    history = git(team.bare, "rev-list", "refs/parallel/registry").split()
    assert len(history) >= 20  # a start and a clean per round, at least
    for commit in history:
        names = set(git(team.bare, "ls-tree", "--name-only", commit).split())
        assert not {"a.json", "b.json"} <= names, commit


@pytest.mark.slow
def test_the_ci_check_reads_the_declaration_from_the_registry(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    worktree = team.alice.path.parent / "project-wta"
    team.alice.work(worktree, "src/shared/x.py", "x = 2\n")
    team.alice.git("push", "-q", "origin", "parallel/a", cwd=worktree)
    # A CI runner is another clone: the task is not live there, its entry is in the registry.
    team.bob.git("fetch", "-q", "origin", "parallel/a:refs/remotes/origin/parallel/a")
    clean = team.bob.cli("check", "--range", "origin/main..origin/parallel/a", "--task", "a")
    assert clean.code == 0, clean.err + clean.out

    team.alice.work(worktree, "src/c.py", "c = 3\n", "--no-verify")
    team.alice.git("push", "-q", "--no-verify", "origin", "parallel/a", cwd=worktree)
    team.bob.git("fetch", "-q", "origin", "+parallel/a:refs/remotes/origin/parallel/a")
    found = team.bob.cli("check", "--range", "origin/main..origin/parallel/a", "--task", "a")
    assert found.code == 1
    assert "src/c.py" in found.out + found.err
    assert "not declared by task a" in found.out + found.err

    # A claim on alice's machine reaches the registry, so the CI check on bob's accepts it.
    api = team.alice.api
    assert api.run(lambda: claiming.claim(api.context(), "a", ["src/c.py"])).added == ["src/c.py"]
    assert registry(team.bare)["a"]["files"] == ["src/shared/**", "src/c.py"]
    again = team.bob.cli("check", "--range", "origin/main..origin/parallel/a", "--task", "a")
    assert again.code == 0, again.err + again.out


@pytest.mark.slow
def test_a_claim_overlapping_another_machines_task_is_refused(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    assert team.bob.api.start(["c"]).ok
    api = team.bob.api
    refused = api_error(api.run, lambda: claiming.claim(api.context(), "c", ["src/shared/y.py"]))
    assert refused.exit_code == 1
    assert "task a is live on machine alice" in refused.render()
    assert registry(team.bare)["c"]["files"] == ["src/c.py"]


@pytest.mark.slow
def test_plan_counts_the_tasks_of_other_machines(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    planned = team.bob.api.plan(["b", "c"])
    assert planned.exit_code == 1
    report = planned.to_json()
    assert report["valid"] is False
    assert [sorted(conflict["tasks"]) for conflict in report["conflicts"]] == [["a", "b"]]
    (problem,) = report["problems"]
    assert problem["task"] == "b"
    assert "live on machine alice (user alice@example.com" in problem["message"]
    text = team.bob.cli("plan", "c").out
    assert "no conflicts" in text


def test_next_counts_the_tasks_of_other_machines(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    report = team.bob.api.next(3).to_json()
    assert [unit["id"] for unit in report["next"]] == ["c"]
    left = {unit["id"]: (unit["reason"], unit["detail"]) for unit in report["left_out"]}
    assert left["a"][0] == "live" and "live on machine alice" in left["a"][1]
    assert left["b"] == ("overlaps", "overlaps live task a on src/shared/x.py")


@pytest.mark.slow
def test_a_start_killed_after_its_push_is_finished_by_the_next_command(team: Team) -> None:
    # Killed right after the registry push, before anything local was written.
    killed = team.alice.cli("start", "a", env={"GIT_PARALLEL_FAILPOINT": "start:validated"})
    assert killed.code == -9
    assert set(registry(team.bare)) == {"a"}
    assert not (team.alice.path.parent / "project-wta").exists()
    # Other machines still see it as live (alice may be creating it): refused, as it should be.
    assert api_error(team.bob.api.start, ["b"]).exit_code == 1
    # The same start again adopts alice's own entry and creates the task.
    again = team.alice.api.start(["a"])
    assert again.ok, again.to_json()
    assert (team.alice.path.parent / "project-wta").exists()
    assert set(registry(team.bare)) == {"a"}


@pytest.mark.slow
def test_an_orphan_entry_of_this_clone_is_dropped_by_its_next_write(team: Team) -> None:
    killed = team.alice.cli("start", "a", env={"GIT_PARALLEL_FAILPOINT": "start:validated"})
    assert killed.code == -9
    assert team.alice.api.start(["c"]).ok
    assert set(registry(team.bare)) == {"c"}
    assert team.bob.api.start(["b"]).ok


@pytest.mark.slow
def test_two_machines_merging_at_once_both_land(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    assert team.bob.api.start(["c"]).ok
    team.alice.work(team.alice.path.parent / "project-wta", "src/shared/y.py", "y = 2\n")
    team.bob.work(team.bob.path.parent / "project-wtc", "src/c.py", "c = 2\n")
    racing = [team.alice.popen("merge", "a"), team.bob.popen("merge", "c")]
    for process in racing:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, out + err
    team.alice.git("fetch", "-q", "origin")
    merged = team.alice.git("show", "origin/main:src/shared/y.py", "origin/main:src/c.py")
    assert merged == "y = 2\nc = 2\n"
    assert registry(team.bare) == {}


@pytest.mark.slow
def test_a_malformed_entry_fails_closed_and_release_force_removes_it(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    # Someone pushes a broken entry by hand.
    team.alice.git("fetch", "-q", "origin", "refs/parallel/registry")
    parent = team.alice.git("rev-parse", "FETCH_HEAD").strip()
    blob = team.alice.git("hash-object", "-w", "--stdin", input_text="{broken")
    listing = team.alice.git("ls-tree", parent) + f"100644 blob {blob.strip()}\tzz.json\n"
    tree = team.alice.git("mktree", input_text=listing)
    commit = team.alice.git("commit-tree", tree.strip(), "-p", parent, "-m", "broken")
    target = f"{commit.strip()}:refs/parallel/registry"
    team.alice.git("push", "-q", "--no-verify", "origin", target)

    refused = api_error(team.bob.api.start, ["b"])
    assert refused.exit_code == 2
    assert "the team registry's entry zz.json is malformed" in refused.render()
    assert "git parallel release zz --force" in refused.render()
    assert team.bob.cli("release", "zz").code == 1
    released = team.bob.cli("release", "zz", "--force")
    assert released.code == 0, released.err
    assert set(registry(team.bare)) == {"c"}
    assert team.bob.api.start(["b"]).ok


def test_a_config_remote_that_is_not_a_remote_here_is_an_input_error(team: Team) -> None:
    team.alice.git("remote", "rename", "origin", "upstream")
    refused = api_error(team.alice.api.start, ["a"])
    assert refused.exit_code == 2
    assert "config 'remote' names 'origin', which is not a remote of this repository" in (
        refused.message
    )
    assert registry(team.bare) == {}
    assert not (team.alice.path.parent / "project-wta").exists()


FREEZE = """#!/bin/sh
if [ -e frozen ]; then
    echo "policy: the registry is frozen for the release" >&2
    exit 1
fi
"""


@pytest.mark.slow
def test_a_refused_push_shows_the_remotes_message(team: Team) -> None:
    # The team's own pre-receive hook, chained after the server check.
    own = team.bare / "hooks" / "pre-receive"
    own.write_text(FREEZE)
    own.chmod(0o755)
    server_hook.install(str(team.bare))
    assert team.alice.api.start(["c"]).ok
    (team.bare / "frozen").touch()

    refused = team.bob.cli("release", "c", "--force")
    assert refused.code == 1
    lines = refused.err.splitlines()
    relayed = lines.index("remote: policy: the registry is frozen for the release")
    error = next(n for n, line in enumerate(lines) if line.startswith("git parallel: error:"))
    assert relayed < error, refused.err
    assert "see the remote's message above" in refused.err
    assert set(registry(team.bare)) == {"c"}


@pytest.mark.slow
def test_a_clean_whose_registry_push_is_refused_stands_and_says_why(team: Team) -> None:
    own = team.bare / "hooks" / "pre-receive"
    own.write_text(FREEZE)
    own.chmod(0o755)
    assert team.alice.api.start(["c"]).ok
    (team.bare / "frozen").touch()
    cleaned = team.alice.cli("clean", "c")
    assert cleaned.code == 0, cleaned.err
    assert "remote: policy: the registry is frozen for the release" in cleaned.err
    assert "this machine's next team command removes the ended tasks" in cleaned.err
    assert not (team.alice.path.parent / "project-wtc").exists()
    assert set(registry(team.bare)) == {"c"}
    (team.bare / "frozen").unlink()
    assert team.alice.api.start(["a"]).ok
    assert set(registry(team.bare)) == {"a"}


def test_the_registry_names_the_repositorys_machine_and_the_user_as_now(team: Team) -> None:
    """Machine and user come from the config the repository sees at each call: not from the
    caller's current directory, and not remembered from an earlier call of the same process."""
    team.alice.git("config", "parallel.machine", "alice-laptop")  # this clone's own config
    assert team.alice.api.start(["c"]).ok
    entry = registry(team.bare)["c"]
    assert (entry["machine"], entry["user"]) == ("alice-laptop", "alice@example.com")
    assert team.alice.api.clean(["c"]).ok
    team.alice.git("config", "user.email", "alice@work.example")
    assert team.alice.api.start(["c"]).ok
    assert registry(team.bare)["c"]["user"] == "alice@work.example"
