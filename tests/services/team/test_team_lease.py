"""Team mode decides on this clone's copy of the registry and pushes with a lease on it, fetching
only when the lease is lost (DESIGN §11, §13): attacks on that copy, through the real CLI and a
real `git daemon` on 127.0.0.1.

An agent on alice's machine can write anything under her `.git`: the copy of the registry
(`refs/parallel/team/registry`) and of base, replace refs, the object files themselves. The
served repository runs no server check here, so each test shows what gitwt itself refuses: a
hole on the client would reach the remote's registry.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.team.team_setup import REGISTRY, Gate, Machine, Team, registry, serving

pytestmark = pytest.mark.slow

SPECS = {
    "a": ["src/shared/**"],
    "b": ["src/shared/x.py"],
    "c": ["src/c.py"],
}
COPY = "refs/parallel/team/registry"
BASE_COPY = "refs/parallel/team/heads/main"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    with serving(tmp_path, SPECS) as made:
        yield made


def worktree(machine: Machine, task_id: str) -> Path:
    return machine.path.parent / f"project-wt{task_id}"


def assert_refused_and_nothing_made(machine: Machine, task_id: str, code: int, said: str) -> None:
    result = machine.cli("start", task_id)
    assert result.code == code, result.out + result.err
    assert said in result.err, result.err
    assert not worktree(machine, task_id).exists()
    assert f"parallel/{task_id}" not in machine.git("branch", "--list")
    assert task_id not in local_tasks(machine)


def local_tasks(machine: Machine) -> list[str]:
    return [task["id"] for task in machine.cli("status", "--local", "--json").json()["tasks"]]


def remote_registry(team: Team) -> str:
    return team.alice.git("rev-parse", REGISTRY, cwd=team.bare).strip()


def alice_copy_behind_bobs_start(team: Team) -> tuple[str, str]:
    """alice starts c, then bob starts a: alice's copy is the registry before a. Returns the
    registry commits (before a, with a)."""
    assert team.alice.cli("start", "c").code == 0
    before = remote_registry(team)
    assert team.bob.cli("start", "a").code == 0
    assert team.alice.git("rev-parse", COPY).strip() == before
    return before, remote_registry(team)


@pytest.mark.parametrize("how", ["stale", "rewound by an agent"])
def test_a_copy_that_omits_another_machines_task_frees_nothing(team: Team, how: str) -> None:
    """alice's copy does not list bob's task a: she decides b is free, but her push is leased
    on that copy's commit, which the remote no longer holds; the lost lease fetches, and the
    start is refused on what the remote holds."""
    before, after = alice_copy_behind_bobs_start(team)
    if how == "rewound by an agent":
        assert team.alice.cli("status", "--json").code == 0  # a fetch: her copy is current
        assert team.alice.git("rev-parse", COPY).strip() == after
        team.alice.git("update-ref", COPY, before)

    assert_refused_and_nothing_made(team.alice, "b", 1, "task a is live on machine bob")
    assert set(registry(team.bare)) == {"a", "c"}
    assert remote_registry(team) == after
    assert team.alice.git("rev-parse", COPY).strip() == after  # the fetch put it right


def forged_registry(machine: Machine, parent: str, keep: list[str]) -> tuple[str, str]:
    """A commit whose tree holds only the `keep` entries of `parent`'s tree: (commit, tree)."""
    lines = [
        line
        for line in machine.git("ls-tree", parent).splitlines()
        if line.split("\t", 1)[1] in keep
    ]
    tree = machine.git("mktree", input_text="".join(f"{line}\n" for line in lines)).strip()
    commit = machine.git("commit-tree", tree, "-p", parent, "-m", "forged").strip()
    return commit, tree


@pytest.mark.parametrize("swapped", ["commit", "tree"])
def test_a_replace_ref_over_the_copy_frees_nothing(team: Team, swapped: str) -> None:
    """The copy points at the remote's exact commit, so a push leased on it would be accepted:
    the replace ref must not change what gitwt reads there (its git runs with
    GIT_NO_REPLACE_OBJECTS), or a's entry would silently leave the remote's registry."""
    _, current = alice_copy_behind_bobs_start(team)
    assert team.alice.cli("status", "--json").code == 0  # alice's copy is the remote's now
    forged, forged_tree = forged_registry(team.alice, current, ["c.json"])
    if swapped == "commit":
        team.alice.git("replace", current, forged)
    else:
        team.alice.git(
            "replace", team.alice.git("rev-parse", f"{current}^{{tree}}").strip(), forged_tree
        )
    assert "a.json" not in team.alice.git("ls-tree", "--name-only", COPY)  # git is fooled

    assert_refused_and_nothing_made(team.alice, "b", 1, "task a is live on machine bob")
    assert set(registry(team.bare)) == {"a", "c"}
    assert remote_registry(team) == current


def loose_object(machine: Machine, oid: str) -> Path:
    return machine.path / ".git" / "objects" / oid[:2] / oid[2:]


@pytest.mark.parametrize("rewritten", ["tree", "entry"])
def test_an_object_file_of_the_copy_rewritten_in_place_is_refused(
    team: Team, rewritten: str
) -> None:
    """git reads a stored object without hashing it again: the bytes of the copy's tree (or of
    a's entry) replaced on disk under the same id would pass a lease on the remote's exact
    commit. gitwt hashes what it reads, and refuses a copy that does not hold its ids' bytes."""
    _, current = alice_copy_behind_bobs_start(team)
    assert team.alice.cli("status", "--json").code == 0
    if rewritten == "tree":
        target = team.alice.git("rev-parse", f"{current}^{{tree}}").strip()
        _, forged = forged_registry(team.alice, current, ["c.json"])
        kind, content = b"tree", b""  # the forged tree's file is copied over as it is
        source: Path | None = loose_object(team.alice, forged)
    else:
        target = team.alice.git("rev-parse", f"{current}:a.json").strip()
        kind = b"blob"
        content = team.alice.git("cat-file", "blob", f"{current}:c.json").encode()
        source = None
    path = loose_object(team.alice, target)
    assert path.exists(), "the fetched objects are loose files in this small repository"
    path.chmod(0o644)
    if source is not None:
        path.write_bytes(source.read_bytes())
    else:
        path.write_bytes(zlib.compress(b"%s %d\0%s" % (kind, len(content), content)))
    if rewritten == "entry":  # `cat-file` serves the forged bytes under the entry's id
        assert '"id": "c"' in team.alice.git("cat-file", "blob", f"{COPY}:a.json")

    assert_refused_and_nothing_made(
        team.alice, "b", 2, "the local copy of the team registry is corrupt"
    )
    assert set(registry(team.bare)) == {"a", "c"}
    assert remote_registry(team) == current


def merged_once(team: Team) -> None:
    """alice starts, changes and merges c: her copies of the registry and of base are current."""
    assert team.alice.cli("start", "c").code == 0
    team.alice.work(worktree(team.alice, "c"), "src/c.py", "c = 2\n")
    merged = team.alice.cli("merge", "c")
    assert merged.code == 0, merged.out + merged.err
    assert (
        team.alice.git("rev-parse", BASE_COPY).strip()
        == team.alice.git("rev-parse", "main").strip()
    )


def remote_main(team: Team) -> str:
    return team.alice.git("rev-parse", "refs/heads/main", cwd=team.bare).strip()


@pytest.mark.parametrize("moved", ["forged ahead", "rewound"])
def test_a_moved_copy_of_base_publishes_nothing_but_the_audited_merge(
    team: Team, moved: str
) -> None:
    merged_once(team)
    assert team.alice.cli("start", "a").code == 0
    task_commit = team.alice.work(worktree(team.alice, "a"), "src/shared/x.py", "x = 2\n")
    true_base = remote_main(team)
    if moved == "forged ahead":  # an unaudited change dressed as the remote's base
        tree = team.alice.git("rev-parse", "main^{tree}").strip()
        blob = team.alice.git("hash-object", "-w", "--stdin", input_text="evil\n").strip()
        listing = team.alice.git("ls-tree", tree) + f"100644 blob {blob}\tevil.py\n"
        evil_tree = team.alice.git("mktree", input_text=listing).strip()
        forged = team.alice.git("commit-tree", evil_tree, "-p", "main", "-m", "base").strip()
    else:
        forged = team.alice.git("rev-parse", "main~1").strip()
    team.alice.git("update-ref", BASE_COPY, forged)

    merged = team.alice.cli("merge", "a")

    assert merged.code == 0, merged.out + merged.err
    published = remote_main(team)
    parents = team.alice.git("rev-list", "--parents", "-n", "1", published).split()[1:]
    assert parents == [true_base, task_commit]
    assert team.alice.git("rev-parse", "main").strip() == published
    assert "evil.py" not in team.alice.git("ls-tree", "--name-only", published)
    assert not (team.alice.path / "evil.py").exists()
    assert registry(team.bare) == {}


def test_a_base_another_machine_moved_since_the_copy_is_merged_onto_and_tests_rerun(
    team: Team, tmp_path: Path
) -> None:
    """alice's copy of base is stale: her push is refused, nothing moves locally but the catch-up
    to the fetched base, and the merge is redone on it, its tests included."""
    merged_once(team)
    assert team.alice.cli("start", "a").code == 0
    team.alice.work(worktree(team.alice, "a"), "src/shared/y.py", "y = 2\n")
    team.bob.git("pull", "-q", "--ff-only")
    team.bob.work(team.bob.path, "README.md", "bob\n")
    team.bob.git("push", "-q", "origin", "main")
    bobs = remote_main(team)
    runs = tmp_path / "test-runs"

    merged = team.alice.cli("merge", "a", "--test", f"sh -c 'echo run >> {runs}'")

    assert merged.code == 0, merged.out + merged.err
    assert runs.read_text().count("run") == 2  # decided on the stale copy, then on bob's base
    published = remote_main(team)
    assert team.alice.git("rev-list", "--parents", "-n", "1", published).split()[1] == bobs
    assert team.alice.git("rev-parse", "main").strip() == published
    assert (team.alice.path / "README.md").read_text() == "bob\n"
    assert registry(team.bare) == {}


def test_a_registry_another_machine_moved_since_the_copy_costs_no_second_merge(
    team: Team, tmp_path: Path
) -> None:
    """Only the registry moved (bob started a task): alice's merge writes its release again on
    the fetched registry; base was what she merged onto, so nothing is merged or tested again."""
    merged_once(team)
    assert team.alice.cli("start", "a").code == 0
    team.alice.work(worktree(team.alice, "a"), "src/shared/y.py", "y = 2\n")
    assert team.bob.cli("start", "c").code == 0
    runs = tmp_path / "test-runs"

    merged = team.alice.cli("merge", "a", "--test", f"sh -c 'echo run >> {runs}'")

    assert merged.code == 0, merged.out + merged.err
    assert runs.read_text().count("run") == 1
    assert set(registry(team.bare)) == {"c"}
    assert team.alice.git("rev-parse", "main").strip() == remote_main(team)


def test_two_clones_deciding_on_the_same_copy_race_and_exactly_one_wins(
    team: Team, tmp_path: Path
) -> None:
    """Both clones hold the same copy and start overlapping tasks on it; both pushes are held at
    the server until both are there. One lease wins; the loser fetches, is refused, and has
    made nothing locally."""
    assert team.alice.cli("start", "c").code == 0
    assert team.bob.cli("status", "--json").code == 0
    assert team.alice.git("rev-parse", COPY) == team.bob.git("rev-parse", COPY)
    gate = Gate(team.bare, tmp_path / "gate")
    codes = gate.race({"a": (team.alice, "a"), "b": (team.bob, "b")})

    winners = [task_id for task_id, (code, _) in codes.items() if code == 0]
    assert len(winners) == 1, codes
    loser, machine = ("b", team.bob) if winners == ["a"] else ("a", team.alice)
    assert codes[loser][0] == 1 and "not starting" in codes[loser][1], codes
    assert set(registry(team.bare)) == {"c", winners[0]}
    assert not worktree(machine, loser).exists()
    assert f"parallel/{loser}" not in machine.git("branch", "--list")
    assert loser not in local_tasks(machine)


def test_with_a_copy_and_the_remote_down_a_start_changes_nothing(team: Team) -> None:
    """The copy lets a start decide without the remote, but not create: its push fails, and
    nothing exists locally (DESIGN §11: nothing is created before the push succeeded)."""
    assert team.alice.cli("start", "c").code == 0
    team.daemon.stop()

    assert_refused_and_nothing_made(
        team.alice, "a", 2, "cannot reach the team registry on remote 'origin'"
    )
    assert set(registry(team.bare)) == {"c"}


def test_with_copies_and_the_remote_down_a_merge_moves_nothing(team: Team) -> None:
    """A merge decided on the copies of the registry and base, whose push cannot reach the
    remote: base, the task and its worktree stay as they were, here and there."""
    merged_once(team)
    assert team.alice.cli("start", "a").code == 0
    team.alice.work(worktree(team.alice, "a"), "src/shared/x.py", "x = 2\n")
    main_before = team.alice.git("rev-parse", "main").strip()
    remote_before = remote_main(team)
    team.daemon.stop()

    stopped = team.alice.cli("merge", "a")

    assert stopped.code == 2, stopped.out + stopped.err
    assert "cannot reach the team registry on remote 'origin'" in stopped.err
    assert team.alice.git("rev-parse", "main").strip() == main_before
    assert worktree(team.alice, "a").exists()
    listed = team.alice.cli("status", "--local", "--json").json()["tasks"]
    assert {task["id"]: task["state"] for task in listed}["a"] == "open"
    assert remote_main(team) == remote_before
    assert set(registry(team.bare)) == {"a"}
