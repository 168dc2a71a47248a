"""The server's check against a hostile agent (DESIGN §11, §13; issue 20 class 5): what a
registry push and a task branch push may do, through a real `git daemon` on 127.0.0.1.

The agent works on alice's or bob's machine with their credentials: whatever gitwt can push,
it can push too. Each attack is refused by the served repository's pre-receive check, and the
registry and the task branches on the server stay as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitwt.services.hooks import server_hook
from gitwt.services.specs import claiming
from tests.conftest import api_error, git
from tests.services.team.team_setup import REGISTRY, Machine, Team, registry

pytestmark = pytest.mark.slow


def push(machine: Machine, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`git push --no-verify ARGS` as the machine: the agent skips its own hooks."""
    return subprocess.run(
        ["git", "push", "--no-verify", *args],
        cwd=cwd or machine.path,
        capture_output=True,
        text=True,
        env={**os.environ, **machine.env},
        check=False,
    )


def hand_made(machine: Machine, changes: dict[str, str | None], message: str = "hand-made") -> str:
    """A registry commit made by hand on top of the server's: each file set, or removed."""
    machine.git("fetch", "-q", "origin", f"+{REGISTRY}:refs/hand/registry")
    parent = machine.git("rev-parse", "refs/hand/registry").strip()
    lines = {}
    for line in machine.git("ls-tree", parent).splitlines():
        lines[line.split("\t", 1)[1]] = line
    for name, text in changes.items():
        if text is None:
            lines.pop(name, None)
        else:
            blob = machine.git("hash-object", "-w", "--stdin", input_text=text).strip()
            lines[name] = f"100644 blob {blob}\t{name}"
    tree = machine.git("mktree", input_text="".join(f"{line}\n" for line in lines.values()))
    return machine.git("commit-tree", tree.strip(), "-p", parent, "-m", message).strip()


def server_registry_commit(team: Team) -> str:
    return team.alice.git("rev-parse", REGISTRY, cwd=team.bare).strip()


def worktree(machine: Machine, task_id: str) -> Path:
    return machine.path.parent / f"project-wt{task_id}"


def test_a_hand_made_commit_that_widens_an_entry_is_refused_and_so_is_the_wide_push(
    team: Team,
) -> None:
    assert team.alice.api.start(["c"]).ok
    before = server_registry_commit(team)
    widened = {**registry(team.bare)["c"], "files": ["src/c.py", "src/shared/**"]}
    pushed = push(
        team.alice, "origin", f"{hand_made(team.alice, {'c.json': json.dumps(widened)})}:{REGISTRY}"
    )
    assert pushed.returncode != 0
    assert "task c's entry declares src/shared/**, which neither its spec" in pushed.stderr
    assert server_registry_commit(team) == before

    # Its branch still takes only what the spec at base declares.
    team.alice.work(worktree(team.alice, "c"), "src/shared/x.py", "x = 9\n", "--no-verify")
    wide = push(team.alice, "origin", "parallel/c", cwd=worktree(team.alice, "c"))
    assert wide.returncode != 0
    assert "src/shared/x.py" in wide.stderr and "not declared by task c" in wide.stderr
    assert "parallel/c" not in team.alice.git("ls-remote", "origin")


def test_a_hand_made_claim_that_overlaps_a_live_task_is_refused(team: Team) -> None:
    assert team.bob.api.start(["a"]).ok
    assert team.alice.api.start(["c"]).ok
    before = server_registry_commit(team)
    entry = registry(team.bare)["c"]
    claimed = {**entry, "files": ["src/c.py", "src/shared/y.py"], "claims": ["src/shared/y.py"]}
    pushed = push(
        team.alice, "origin", f"{hand_made(team.alice, {'c.json': json.dumps(claimed)})}:{REGISTRY}"
    )
    assert pushed.returncode != 0
    assert "a and c both declare src/shared/y.py" in pushed.stderr
    assert server_registry_commit(team) == before


def test_a_legitimate_claim_passes_the_server_check(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    api = team.alice.api
    claimed = api.run(lambda: claiming.claim(api.context(), "c", ["src/new.py"]))
    assert claimed.added == ["src/new.py"]
    entry = registry(team.bare)["c"]
    assert entry["files"] == ["src/c.py", "src/new.py"]
    assert entry["claims"] == ["src/new.py"]
    team.alice.work(worktree(team.alice, "c"), "src/new.py", "new = 1\n")
    accepted = push(team.alice, "origin", "parallel/c", cwd=worktree(team.alice, "c"))
    assert accepted.returncode == 0, accepted.stderr


def test_rewinding_or_deleting_the_registry_is_refused(team: Team) -> None:
    assert team.bob.api.start(["a"]).ok
    only_a = server_registry_commit(team)
    assert team.alice.api.start(["c"]).ok
    both = server_registry_commit(team)

    # Bob's agent rewinds the registry to before alice's start: that would free her task.
    rewound = push(team.bob, "--force", "origin", f"{only_a}:{REGISTRY}")
    assert rewound.returncode != 0
    assert "the team registry only moves forward" in rewound.stderr
    deleted = push(team.bob, "origin", f":{REGISTRY}")
    assert deleted.returncode != 0
    assert server_registry_commit(team) == both
    assert set(registry(team.bare)) == {"a", "c"}


def test_removing_another_machines_entry_takes_release_force_which_cannot_widen(
    team: Team,
) -> None:
    assert team.bob.api.start(["a"]).ok
    assert team.alice.api.start(["c"]).ok
    both = server_registry_commit(team)

    # A plain commit on top that drops alice's entry: refused, naming the way a person does it.
    dropped = push(team.bob, "origin", f"{hand_made(team.bob, {'c.json': None})}:{REGISTRY}")
    assert dropped.returncode != 0
    assert "task c belongs to machine alice" in dropped.stderr
    assert "git parallel release c --force" in dropped.stderr
    # Labelled as a forced release, it still may not change anything else.
    widened_a = {**registry(team.bare)["a"], "files": ["src/shared/**", "src/c.py"]}
    forged = hand_made(
        team.bob,
        {"c.json": None, "a.json": json.dumps(widened_a)},
        "release c\n\nParallel-Forced-Release: c\n",
    )
    abused = push(team.bob, "origin", f"{forged}:{REGISTRY}")
    assert abused.returncode != 0
    assert "a forced release only removes entries" in abused.stderr
    assert server_registry_commit(team) == both

    released = team.bob.cli("release", "c", "--force")
    assert released.code == 0, released.err
    assert set(registry(team.bare)) == {"a"}
    message = team.bob.git("log", "-1", "--format=%B", REGISTRY, cwd=team.bare)
    assert "Parallel-Forced-Release: c" in message


def test_a_commit_already_on_the_server_is_checked_when_it_comes_to_a_task_branch(
    team: Team,
) -> None:
    assert team.alice.api.start(["c"]).ok
    tree = worktree(team.alice, "c")
    # The agent parks an out-of-bounds commit on a branch that is no task's, then moves the
    # (new) task branch onto it: the commit is not new to the server, but new to the branch.
    team.alice.work(tree, "src/shared/x.py", "x = 9\n", "--no-verify")
    assert push(team.alice, "origin", "HEAD:refs/heads/scratch", cwd=tree).returncode == 0
    new_branch = push(team.alice, "origin", "parallel/c", cwd=tree)
    assert new_branch.returncode != 0
    assert "src/shared/x.py" in new_branch.stderr and "not declared by task c" in new_branch.stderr

    team.alice.git("reset", "-q", "--hard", "HEAD~1", cwd=tree)
    team.alice.work(tree, "src/c.py", "c = 2\n")
    assert push(team.alice, "origin", "parallel/c", cwd=tree).returncode == 0
    good = team.alice.git("rev-parse", "HEAD", cwd=tree).strip()
    team.alice.work(tree, "README.md", "hijacked\n", "--no-verify")
    assert push(team.alice, "origin", "HEAD:refs/heads/scratch2", cwd=tree).returncode == 0
    existing = push(team.alice, "origin", "parallel/c", cwd=tree)
    assert existing.returncode != 0
    assert "README.md" in existing.stderr and "not declared by task c" in existing.stderr
    assert team.alice.git("ls-remote", "origin", "refs/heads/parallel/c").split()[0] == good


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("zz.json", "{broken", "the team registry's entry zz.json is malformed"),
        ("zz.json", None, "entry zz.json is for task c"),  # c's entry copied under zz's name
        ("notes.txt", "hello", "notes.txt is not a task entry"),
    ],
)
def test_a_malformed_entry_is_refused_on_push(
    team: Team, name: str, text: str | None, reason: str
) -> None:
    assert team.alice.api.start(["c"]).ok
    before = server_registry_commit(team)
    content = text if text is not None else json.dumps(registry(team.bare)["c"])
    pushed = push(team.alice, "origin", f"{hand_made(team.alice, {name: content})}:{REGISTRY}")
    assert pushed.returncode != 0
    assert reason in pushed.stderr, pushed.stderr
    assert server_registry_commit(team) == before


def test_a_malformed_entry_that_got_in_locks_nobody_out(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    # It got in while the check was off.
    assert server_hook.uninstall(str(team.bare))
    broken = hand_made(team.alice, {"zz.json": "{broken"})
    assert push(team.alice, "origin", f"{broken}:{REGISTRY}").returncode == 0
    server_hook.install(str(team.bare))

    # Task branches still take in-bounds pushes, and the release its hint names works.
    team.alice.work(worktree(team.alice, "c"), "src/c.py", "c = 2\n")
    accepted = push(team.alice, "origin", "parallel/c", cwd=worktree(team.alice, "c"))
    assert accepted.returncode == 0, accepted.stderr
    refused = api_error(team.bob.api.start, ["b"])
    assert refused.exit_code == 2 and "git parallel release zz --force" in refused.render()
    released = team.bob.cli("release", "zz", "--force")
    assert released.code == 0, released.err
    assert set(registry(team.bare)) == {"c"}
    started = team.bob.api.start(["b"])
    assert started.ok, started.to_json()


def test_a_start_whose_spec_is_not_the_one_at_base_is_refused_with_the_servers_reason(
    team: Team,
) -> None:
    # Bob widens b's spec on his disk but base on the server still says src/shared/x.py.
    spec = team.bob.path / "docs" / "SPEC-b-task.md"
    spec.write_text(spec.read_text().replace("src/shared/x.py", "src/shared/x.py\n  - src/c.py"))
    refused = team.bob.cli("start", "b")
    assert refused.code == 1
    assert "remote: git parallel: push refused: task b's entry declares src/c.py" in refused.err
    assert "see the remote's message above" in refused.err
    assert registry(team.bare) == {}
    assert team.bob.cli("status", "--local", "--json").json()["tasks"] == []


def test_the_whole_team_flow_passes_the_server_check(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    assert team.bob.api.start(["c"]).ok
    team.bob.work(worktree(team.bob, "c"), "src/c.py", "c = 2\n")
    assert push(team.bob, "origin", "parallel/c", cwd=worktree(team.bob, "c")).returncode == 0
    merged = team.bob.api.merge(["c"])
    assert merged.ok, merged.to_json()
    assert set(registry(team.bare)) == {"a"}
    cleaned = team.alice.api.clean(["a"])
    assert cleaned.ok, cleaned.to_json()
    team.bob.git("pull", "-q", "--ff-only")
    started = team.bob.api.start(["b"])
    assert started.ok, started.to_json()
    assert set(registry(team.bare)) == {"b"}


def test_a_push_to_base_may_not_change_a_live_tasks_paths(team: Team) -> None:
    assert team.alice.api.start(["a"]).ok
    before = team.bob.git("ls-remote", "origin", "refs/heads/main").split()[0]
    # On bob's machine something moves base itself (a commit, or update-ref), then pushes it.
    (team.bob.path / "src/shared/x.py").write_text("x = 'mine'\n")
    team.bob.git("commit", "-qam", "straight to main", "--no-verify")
    refused = push(team.bob, "origin", "main")
    assert refused.returncode != 0
    assert (
        "main may not change src/shared/x.py: task a declares it and is live on machine alice"
        in (refused.stderr)
    )
    assert team.bob.git("ls-remote", "origin", "refs/heads/main").split()[0] == before

    # A path no live task declares goes to base as any person's push does.
    team.bob.git("reset", "-q", "--hard", "HEAD~1")
    (team.bob.path / "README.md").write_text("# hello\n")
    team.bob.git("commit", "-qam", "readme")
    accepted = push(team.bob, "origin", "main")
    assert accepted.returncode == 0, accepted.stderr


def test_a_change_hidden_in_a_merge_commit_of_the_task_branch_is_refused(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    tree = worktree(team.alice, "c")
    team.alice.git("switch", "-q", "-c", "side", cwd=tree)
    team.alice.work(tree, "src/c.py", "c = 2\n")
    team.alice.git("switch", "-q", "parallel/c", cwd=tree)
    team.alice.git("merge", "-q", "--no-ff", "--no-commit", "side", cwd=tree)
    (tree / "src/shared/x.py").write_text("x = 'hidden'\n")
    team.alice.git("add", "src/shared/x.py", cwd=tree)
    team.alice.git("commit", "-q", "--no-verify", "-m", "merge side", cwd=tree)
    refused = push(team.alice, "origin", "parallel/c", cwd=tree)
    assert refused.returncode != 0
    assert "src/shared/x.py" in refused.stderr and "not declared by task c" in refused.stderr


def test_an_entry_may_not_take_its_spec_from_a_branch_the_agent_pushed(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    before = server_registry_commit(team)
    # The agent pushes a branch of its own with a spec that declares what it likes...
    team.alice.git("switch", "-q", "-c", "evil")
    (team.alice.path / "docs" / "SPEC-z-task.md").write_text(
        "---\nid: z\ntitle: anything\nfiles:\n  - secret/**\n---\n"
    )
    team.alice.git("add", "-A")
    team.alice.git("commit", "-qm", "z may do anything", "--no-verify")
    assert push(team.alice, "origin", "evil").returncode == 0
    # ... and registers a task based on it.
    entry = {**registry(team.bare)["c"], "id": "z", "files": ["secret/**"], "base": "evil"}
    entry["branch"] = "parallel/z"
    commit = hand_made(team.alice, {"z.json": json.dumps(entry)})
    pushed = push(team.alice, "origin", f"{commit}:{REGISTRY}")
    assert pushed.returncode != 0
    assert "task z's base 'evil' is not the team's base main" in pushed.stderr
    assert server_registry_commit(team) == before


def test_the_config_on_base_may_not_change_while_tasks_are_live(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    # With another branch template, parallel/c would no longer be a task branch to the server.
    (team.bob.path / ".gitparallel.toml").write_text('remote = "origin"\nbranch = "x/{id}"\n')
    team.bob.git("commit", "-qam", "config", "--no-verify")
    refused = push(team.bob, "origin", "main")
    assert refused.returncode != 0
    assert "main may not change the git parallel config or the ownership map while tasks" in (
        refused.stderr
    )
    team.alice.work(worktree(team.alice, "c"), "src/shared/x.py", "x = 9\n", "--no-verify")
    wide = push(team.alice, "origin", "parallel/c", cwd=worktree(team.alice, "c"))
    assert wide.returncode != 0


def test_an_error_inside_the_check_refuses_the_push(team: Team) -> None:
    from gitwt.infra import failpoints

    assert team.alice.api.start(["c"]).ok
    tip = team.alice.git("rev-parse", "main").strip()
    hook = team.bare / "hooks" / "pre-receive"
    ran = subprocess.run(
        [str(hook)],
        input=f"{'0' * 40} {tip} refs/heads/parallel/c\n",
        cwd=team.bare,
        capture_output=True,
        text=True,
        env={**os.environ, failpoints.RAISE_VARIABLE: "server:check"},
        check=False,
    )
    assert ran.returncode == 1
    assert ran.stderr == (
        "git parallel: push refused: the server check failed: failpoint server:check\n"
    )


def test_an_error_while_the_server_validates_a_registry_update_refuses_it(team: Team) -> None:
    """The registry's own validation (entries against the specs at base) fails closed too: the
    same update the check accepts is refused when that step raises."""
    from gitwt.infra import failpoints

    assert team.alice.api.start(["c"]).ok
    new = server_registry_commit(team)
    parent = git(team.bare, "rev-list", "--parents", "-n1", new).split()[1:]
    old = parent[0] if parent else "0" * 40  # the registry's first commit: no registry before
    hook = team.bare / "hooks" / "pre-receive"

    def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(hook)],
            input=f"{old} {new} {REGISTRY}\n",
            cwd=team.bare,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=False,
        )

    assert check({}).returncode == 0  # the update as `start` made it: accepted
    ran = check({failpoints.RAISE_VARIABLE: "server:registry"})
    assert ran.returncode == 1
    assert ran.stderr == (
        "git parallel: push refused: the server check failed: failpoint server:registry\n"
    )
    assert server_registry_commit(team) == new


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        # Narrowed, bob's task would free src/shared/** for an overlapping start.
        ({"files": []}, "task a's entry may only grow, but drops src/shared/**"),
        # Relabelled as alice's, it could then be removed as alice's own.
        ({"clone": "alice-clone"}, "task a's entry must keep its clone, base, branch and owner"),
    ],
)
def test_an_edit_may_not_shrink_or_relabel_another_machines_entry(
    team: Team, edit: dict[str, object], reason: str
) -> None:
    assert team.bob.api.start(["a"]).ok
    before = server_registry_commit(team)
    edited = {**registry(team.bare)["a"], **edit}
    commit = hand_made(team.alice, {"a.json": json.dumps(edited)})
    pushed = push(team.alice, "origin", f"{commit}:{REGISTRY}")
    assert pushed.returncode != 0
    assert reason in pushed.stderr, pushed.stderr
    assert server_registry_commit(team) == before


def test_a_gitlink_that_gitmodules_ignores_is_still_refused(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    # Base gets a submodule whose changes .gitmodules tells diffs to ignore (no live task
    # declares either path).
    (team.bob.path / ".gitmodules").write_text(
        '[submodule "sub"]\n\tpath = src/shared/sub\n\turl = ./sub\n\tignore = all\n'
    )
    first = team.bob.git("rev-parse", "HEAD").strip()
    team.bob.git("update-index", "--add", "--cacheinfo", f"160000,{first},src/shared/sub")
    team.bob.git("add", ".gitmodules")
    team.bob.git("commit", "-qm", "submodule")
    assert push(team.bob, "origin", "main").returncode == 0
    # The task branch, on that base, moves the gitlink: outside task c (and hidden from the
    # worktree's own `git log --stat` by .gitmodules).
    tree = worktree(team.alice, "c")
    team.alice.git("pull", "-q", "--rebase", "origin", "main", cwd=tree)
    tip = team.alice.git("rev-parse", "HEAD", cwd=tree).strip()
    team.alice.git("update-index", "--cacheinfo", f"160000,{tip},src/shared/sub", cwd=tree)
    team.alice.git("commit", "-q", "--no-verify", "-m", "move the gitlink", cwd=tree)
    refused = push(team.alice, "origin", "parallel/c", cwd=tree)
    assert refused.returncode != 0
    assert "src/shared/sub" in refused.stderr and "not declared by task c" in refused.stderr


def test_a_replace_ref_is_refused(team: Team) -> None:
    assert team.alice.api.start(["c"]).ok
    tree = worktree(team.alice, "c")
    innocent = team.alice.work(tree, "src/c.py", "c = 2\n")
    team.alice.git("reset", "-q", "--hard", "HEAD~1", cwd=tree)
    hidden = team.alice.work(tree, "src/shared/x.py", "x = 9\n", "--no-verify")
    # Every git that honours replace refs would show the innocent commit for the hidden one.
    pushed = push(team.alice, "origin", f"{innocent}:refs/replace/{hidden}", cwd=tree)
    assert pushed.returncode != 0
    assert f"refs/replace/{hidden}: a replace ref makes git show another object" in pushed.stderr
    assert f"refs/replace/{hidden}" not in team.alice.git("ls-remote", "origin")


def test_a_config_that_cannot_be_read_is_refused_and_never_locks_the_team_out(team: Team) -> None:
    config = team.bob.path / ".gitparallel.toml"
    config.write_text('remote = "origin"\nbogus = 1\n')
    team.bob.git("commit", "-qam", "a config the check cannot read", "--no-verify")
    refused = push(team.bob, "origin", "main")
    assert refused.returncode != 0
    assert "main would get a git parallel config that cannot be read" in refused.stderr
    # It got in while the check was off: nothing can be checked, so nothing goes in...
    assert server_hook.uninstall(str(team.bare))
    assert push(team.bob, "origin", "main").returncode == 0
    server_hook.install(str(team.bare))
    blocked = api_error(team.alice.api.start, ["c"])
    assert blocked.exit_code == 1
    assert "the git parallel config on main cannot be read" in blocked.render()
    # ... but the fix of it, alone.
    config.write_text('remote = "origin"\n')
    team.bob.git("commit", "-qam", "fix the config")
    fixed = push(team.bob, "origin", "main")
    assert fixed.returncode == 0, fixed.stderr
    started = team.alice.api.start(["c"])
    assert started.ok, started.to_json()


def test_a_forged_local_copy_of_the_registry_frees_nothing(team: Team) -> None:
    """An agent on alice's machine points her local copy of the registry at an empty commit the
    remote never held, then starts a task overlapping bob's: alice decides on the copy, but her
    push is leased on that commit, so the remote refuses it; the lost lease fetches (a forced
    refspec puts the copy right) and the start is refused on what the remote holds."""
    assert team.bob.api.start(["a"]).ok
    empty_tree = team.alice.git("hash-object", "-t", "tree", "-w", "/dev/null").strip()
    forged = team.alice.git("commit-tree", empty_tree, "-m", "empty").strip()
    team.alice.git("update-ref", "refs/parallel/team/registry", forged)

    refused = api_error(team.alice.api.start, ["b"])

    assert refused.exit_code == 1
    assert "task a is live on machine bob" in refused.render()
    assert set(registry(team.bare)) == {"a"}
