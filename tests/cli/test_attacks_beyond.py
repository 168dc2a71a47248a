"""Attacks beyond issue 20's list, by an agent in task 1's worktree that wants a change to a path
it does not declare published (DESIGN §13): its hooks skipped or rewritten, gitwt's refs and
state forged or symlinked, git's config, attributes and hooks turned against gitwt's own git
calls. Each test runs the attack, then the real CLI: the change is refused or flagged, base is
unchanged, nothing is lost. docs/security.md has the table of verdicts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.cli.test_tampered_state import (
    assert_rejected_as_tampered,
    edit_record,
    record_file,
    rules_file,
    smuggle,
    status_of,
    two_tasks,
)
from tests.conftest import Repo, git


def private_dir(worktree: Path) -> Path:
    return Path(git(worktree, "rev-parse", "--absolute-git-dir").strip())


def commit_with_hooks(worktree: Path, relative: str, text: str) -> str:
    """A plain `git commit`, hooks and all: the attack has made them let it through."""
    target = worktree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(worktree, "add", relative)
    git(worktree, "commit", "-q", "-m", f"out of bounds: {relative}")
    return git(worktree, "rev-parse", "HEAD").strip()


def assert_rejected(repo: Repo, task_id: str, path: str, base: str) -> dict:
    """status flags `path`; merge rejects the task (exit 1); base keeps its old commit."""
    assert path in {v["path"] for v in status_of(repo, task_id)["violations"]}
    result = repo.cli("merge", task_id, "--json")
    assert result.code == 1, result.out + result.err
    [task] = result.json()["results"]
    assert task["result"] == "rejected", task
    assert path in task["paths"]
    assert repo.git("rev-parse", "main").strip() == base
    return task


# --- the hooks ------------------------------------------------------------------------------


def test_core_hooks_path_pointed_elsewhere_in_the_worktree_config(
    repo: Repo, tmp_path: Path
) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    (tmp_path / "no-hooks").mkdir()
    git(one, "config", "--worktree", "core.hooksPath", str(tmp_path / "no-hooks"))
    tip = commit_with_hooks(one, "README.md", "the hook never ran\n")

    assert_rejected(repo, "1", "README.md", base)

    hooks = repo.cli("hooks", "status", "--json", cwd=one)
    mine = next(h for h in hooks.json()["worktrees"] if h["path"] == str(one))
    assert any("core.hooksPath" in problem for problem in mine["problems"]), mine
    assert repo.git("rev-parse", "parallel/1").strip() == tip


def test_core_hooks_path_set_in_the_shared_config_with_worktree_config_off(
    repo: Repo, tmp_path: Path
) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    (tmp_path / "no-hooks").mkdir()
    git(one, "config", "extensions.worktreeConfig", "false")  # config.worktree is ignored now
    git(one, "config", "core.hooksPath", str(tmp_path / "no-hooks"))
    commit_with_hooks(one, "README.md", "the hook never ran\n")

    assert_rejected(repo, "1", "README.md", base)
    hooks = repo.cli("hooks", "status", "--json", cwd=one)
    mine = next(h for h in hooks.json()["worktrees"] if h["path"] == str(one))
    assert any("core.hooksPath" in problem for problem in mine["problems"]), mine


def test_a_shim_rewritten_to_exit_0(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    for shim in (private_dir(one) / "parallel-hooks").iterdir():
        shim.write_text("#!/bin/sh\nexit 0\n")
    commit_with_hooks(one, "README.md", "the shim said yes\n")

    assert_rejected(repo, "1", "README.md", base)

    hooks = repo.cli("hooks", "status", "--json", cwd=one)
    mine = next(h for h in hooks.json()["worktrees"] if h["path"] == str(one))
    assert any("pre-commit" in p and "rewritten" in p for p in mine["problems"]), mine


# --- refs -------------------------------------------------------------------------------------


def test_a_forged_salvage_ref_changes_nothing(repo: Repo) -> None:
    """gitwt writes salvage refs and never reads them for a decision."""
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    forged = smuggle(one, "lib/b.py", "b = 'forged'\n")
    repo.git("update-ref", "refs/parallel/salvage/2/1", forged)

    assert_rejected(repo, "1", "lib/b.py", base)
    assert status_of(repo, "2")["violations"] == []


def commit_on_main(repo: Repo, relative: str, text: str) -> str:
    """A commit on top of main that changes one file, made with plumbing (no checkout, no
    hook): what an agent builds before it moves base with update-ref."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo.path / ".git" / "agent-index")}

    def plumbing(*args: str, text: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo.path, env=env, input=text, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    blob = plumbing("hash-object", "-w", "--stdin", text=text)
    plumbing("read-tree", "main")
    plumbing("update-index", "--add", "--cacheinfo", f"100644,{blob},{relative}")
    tree = plumbing("write-tree")
    return plumbing("commit-tree", tree, "-p", "main", "-m", "behind gitwt's back")


def test_base_moved_by_update_ref_is_seen_before_the_next_merge(repo: Repo) -> None:
    """The agent puts a change to task 2's path on base itself. On its own machine nothing stops
    that; what holds: the checkout of base no longer matches base, so no merge publishes on top
    of it until a person looks, and a task that changed the same path shows the conflict."""
    _one, two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    moved = commit_on_main(repo, "lib/b.py", "b = 'moved behind your back'\n")
    repo.git("update-ref", "refs/heads/main", moved, base)
    (two / "lib/b.py").write_text("b = 2\n")
    git(two, "commit", "-qam", "task 2's own work")

    row = status_of(repo, "2")

    assert row["conflicts_with"] == {"base": ["lib/b.py"]}, row
    result = repo.cli("merge", "2")
    assert result.code == 1, result.out + result.err
    assert "uncommitted changes" in result.err
    assert repo.git("rev-parse", "main").strip() == moved
    assert repo.git("show", "parallel/2:lib/b.py") == "b = 2\n"


# --- gitwt's state, symlinked --------------------------------------------------------------------


def test_the_rules_file_symlinked_to_another_tasks(repo: Repo) -> None:
    one, two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    rules_file(one).unlink()
    rules_file(one).symlink_to(rules_file(two))
    commit_with_hooks(one, "lib/b.py", "b = 'through a link'\n")

    assert_rejected_as_tampered(repo, "1", base)


def test_the_rules_file_symlinked_to_a_permissive_file(repo: Repo, tmp_path: Path) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    wide = json.loads(rules_file(one).read_text())
    wide["declared"] = [{**wide["declared"][0], "pattern": "**"}]
    (tmp_path / "wide.json").write_text(json.dumps(wide))
    rules_file(one).unlink()
    rules_file(one).symlink_to(tmp_path / "wide.json")
    smuggle(one, "README.md", "through a link\n")

    assert_rejected_as_tampered(repo, "1", base)


def test_the_task_record_symlinked_to_a_forged_one(repo: Repo, tmp_path: Path) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    forged = json.loads(record_file(repo, "1").read_text())
    forged["files"] = ["src/**", "lib/**"]
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    record_file(repo, "1").unlink()
    record_file(repo, "1").symlink_to(tmp_path / "forged.json")
    smuggle(one, "lib/b.py", "b = 'forged record'\n")

    assert_rejected_as_tampered(repo, "1", base)


def test_the_tasks_folder_symlinked_to_an_empty_one(repo: Repo, tmp_path: Path) -> None:
    """Every record gone at once: each task is orphaned, and their paths stay taken."""
    _one, two = two_tasks(repo)
    tasks = repo.path / ".git" / "parallel" / "tasks"
    tasks.rename(tmp_path / "tasks-aside")
    (tmp_path / "empty").mkdir()
    tasks.symlink_to(tmp_path / "empty")
    repo.spec("3", ["lib/**"])
    repo.commit_all("spec 3")

    started = repo.cli("start", "3")

    assert started.code == 1 and "orphaned" in started.err, started.out + started.err
    assert two.is_dir() and repo.git("branch", "--list", "parallel/2") != ""


# --- git's own machinery -----------------------------------------------------------------------


def test_a_spec_edited_on_disk_in_the_main_checkout_does_not_widen_the_task(repo: Repo) -> None:
    """The record's `source` points at no committed file, so the audit falls back to reading
    the specs: it must read them as committed on base, not as the agent left them on disk."""
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    spec = repo.spec("1", ["src/**", "README.md"])  # on disk only: base still says src/**
    edit_record(repo, "1", source="docs/nowhere.md", files=["src/**", "README.md"])
    smuggle(one, "README.md", "widened on disk\n")

    violations = status_of(repo, "1")["violations"]
    assert "tampered" in {v["kind"] for v in violations}, violations
    assert "README.md" in {v["path"] for v in violations}
    refused = repo.cli("merge", "1")  # the dirty checkout of base is refused first
    assert refused.code == 1 and repo.git("rev-parse", "main").strip() == base
    spec.write_text(repo.git("show", "main:docs/SPEC-1-task.md"))  # only the record is forged
    assert_rejected_as_tampered(repo, "1", base)


def test_merge_drivers_in_info_attributes_never_run_for_a_path_the_task_left_alone(
    repo: Repo, tmp_path: Path
) -> None:
    """A merge driver decides only a path both sides changed, and the audit has judged the
    task's side; gitwt's merge-tree must not run it for anything else."""
    one, _two = two_tasks(repo)
    marker = tmp_path / "driver-ran"
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("* merge=evil\n")
    repo.git("config", "merge.evil.driver", f"touch {marker}; echo pwned > %A")
    (one / "src/a.py").write_text("a = 2\n")
    git(one, "commit", "-qam", "in bounds")
    repo.write("notes.txt", "a person's change on base\n")
    repo.git("add", "notes.txt")
    repo.git("commit", "-qm", "base moves on")

    result = repo.cli("merge", "1")

    assert result.code == 0, result.out + result.err
    assert repo.git("show", "main:src/a.py") == "a = 2\n"
    assert repo.git("show", "main:lib/b.py") == "b = 1\n"
    assert repo.git("show", "main:notes.txt") == "a person's change on base\n"
    assert not marker.exists()


def test_a_gitattributes_in_the_task_branch_is_a_path_like_any_other(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    smuggle(one, ".gitattributes", "lib/b.py merge=ours\n* -diff\n")

    assert_rejected(repo, "1", ".gitattributes", base)


def test_hostile_config_through_include_if_does_not_blind_the_audit(
    repo: Repo, tmp_path: Path
) -> None:
    """Display and diff settings an agent can put in the shared config (here through includeIf,
    as it could directly): the audit reads git's plumbing, which they do not change."""
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    (tmp_path / "no-textconv").write_text("#!/bin/sh\n")
    (tmp_path / "no-textconv").chmod(0o755)
    hostile = tmp_path / "hostile.cfg"
    hostile.write_text(
        "[diff]\n\trelative = true\n\tnoprefix = true\n\trenames = false\n"
        "\tignoreSubmodules = all\n\texternal = /bin/true\n"
        f'[diff "blind"]\n\ttextconv = {tmp_path / "no-textconv"}\n'
        "[core]\n\tquotePath = false\n"
        f"\tattributesFile = {tmp_path / 'attributes'}\n"
        "[log]\n\tshowSignature = true\n\tfollow = true\n"
        "[status]\n\tshowUntrackedFiles = no\n"
    )
    (tmp_path / "attributes").write_text("* diff=blind -text\n")
    repo.git("config", f"includeIf.gitdir:{repo.path}/.path", str(hostile))
    one_dir = private_dir(one)
    repo.git("config", f"includeIf.gitdir:{one_dir}/.path", str(hostile))
    smuggle(one, "lib/b.py", "b = 'unseen?'\n")

    assert_rejected(repo, "1", "lib/b.py", base)


def test_untracked_work_is_never_cleaned_under_status_show_untracked_files_no(
    repo: Repo,
) -> None:
    one, _two = two_tasks(repo)
    repo.git("config", "status.showUntrackedFiles", "no")
    (one / "src" / "notes.txt").write_text("my untracked notes\n")

    refused = repo.cli("clean", "1")

    assert refused.code == 1, refused.out + refused.err
    assert (one / "src" / "notes.txt").read_text() == "my untracked notes\n"


def test_hooks_of_the_main_checkout_run_only_after_the_audited_commit_is_published(
    repo: Repo, tmp_path: Path
) -> None:
    """The agent's post-merge, post-checkout and reference-transaction hooks run inside gitwt's
    publish (the fast-forward of the main checkout, the ref updates). They cannot change what
    is published: base moves by compare-and-swap to the audited candidate before any of them
    can act; one that moves base afterwards is the update-ref attack above."""
    one, _two = two_tasks(repo)
    (one / "src/a.py").write_text("a = 2\n")
    git(one, "commit", "-qam", "in bounds")
    seen = tmp_path / "seen"
    hooks = repo.path / ".git" / "hooks"
    for name in ("post-merge", "reference-transaction", "post-checkout"):
        (hooks / name).write_text(
            f"#!/bin/sh\necho {name} $(git rev-parse refs/heads/main) >> {seen}\nexit 0\n"
        )
        os.chmod(hooks / name, 0o755)

    result = repo.cli("merge", "1", "--json")

    assert result.code == 0, result.out + result.err
    published = result.json()["new"]
    assert repo.git("rev-parse", "main").strip() == published
    assert repo.git("show", "main:src/a.py") == "a = 2\n"
    after = [line.split() for line in seen.read_text().splitlines() if line.startswith("post-")]
    assert after and all(main == published for _, main in after), seen.read_text()


def test_rerere_never_resolves_a_conflict_for_gitwt(repo: Repo) -> None:
    one, _two = two_tasks(repo)
    base_text = "a = 'base'\n"
    repo.write("src/a.py", base_text)
    repo.git("add", "src/a.py")
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-qm", "a person changes src/a.py")
    repo.git("config", "rerere.enabled", "true")
    repo.git("config", "rerere.autoUpdate", "true")
    (one / "src/a.py").write_text("a = 'task'\n")
    git(one, "commit", "-qam", "conflicting")
    base = repo.git("rev-parse", "main").strip()

    result = repo.cli("merge", "1", "--json")

    assert result.code == 1, result.out + result.err
    assert result.json()["results"][0]["result"] == "conflicted"
    assert repo.git("rev-parse", "main").strip() == base


def test_a_record_whose_base_names_the_agents_branch(repo: Repo) -> None:
    """The record's base decides where merge publishes and which copy of the spec it reads: an
    agent's branch with a wider spec there must not become the task's base."""
    repo.write(".gitparallel.toml", 'base = "main"\n')
    repo.commit_all("config")
    one, _two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    repo.git("branch", "evil", "main")
    wider = repo.spec("1", ["src/**", "README.md"])
    repo.git("add", str(wider))
    tree = repo.git("write-tree").strip()
    repo.git("reset", "-q")
    repo.git("checkout", "--", str(wider))
    evil = repo.git("commit-tree", tree, "-p", "evil", "-m", "widen spec 1").strip()
    repo.git("update-ref", "refs/heads/evil", evil)
    edit_record(repo, "1", base="evil", files=["src/**", "README.md"])
    smuggle(one, "README.md", "via the agent's base\n")

    assert_rejected_as_tampered(repo, "1", base)

    assert repo.git("rev-parse", "evil").strip() == evil


def test_another_tasks_record_rewritten_to_cleaned_frees_nothing(repo: Repo) -> None:
    """`clean` says `cleaned` only once the worktree and branch are gone: a record that says so
    beside them was rewritten, and its task stays live (orphaned) for every overlap check."""
    one, two = two_tasks(repo)
    base = repo.git("rev-parse", "main").strip()
    edit_record(repo, "2", state="cleaned")

    refused = repo.cli("claim", "1", "lib/b.py")

    assert refused.code == 1, refused.out + refused.err
    assert "orphaned" in refused.err
    assert status_of(repo, "2")["state"] == "orphaned"
    record = json.loads(record_file(repo, "1").read_text())
    edit_record(repo, "1", claims=[*record["claims"], {"paths": ["lib/b.py"], "time": 1.0}])
    smuggle(one, "lib/b.py", "b = 'freed?'\n")
    assert_rejected_as_tampered(repo, "1", base)
    assert repo.git("show", "main:lib/b.py") == "b = 1\n"
    assert two.is_dir()
