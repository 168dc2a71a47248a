"""ccpm through the real CLI: a `conflicts_with` pair is a conflict even with disjoint files, its
`parallel: true` tasks' claims are judged, and a synced task is found by its issue number."""

from __future__ import annotations

from tests.conftest import Repo

EPIC = ".claude/epics/shop"


def ccpm_task(path: str, conflicts: str = "[]", depends: str = "[]", github: str = "") -> str:
    synced = f"github: {github}\n" if github else ""
    return (
        f"---\nname: Change {path}\nstatus: open\n{synced}depends_on: {depends}\n"
        f"parallel: true\nconflicts_with: {conflicts}\n---\n\n# Task: Change {path}\n\n"
        f"### Files Affected\n- `{path}`\n"
    )


def test_conflicts_with_is_a_conflict_and_keeps_the_pair_apart(repo: Repo) -> None:
    repo.write(f"{EPIC}/1.md", ccpm_task("src/a.py"))
    repo.write(f"{EPIC}/2.md", ccpm_task("src/b.py", conflicts="[1]"))
    repo.write(f"{EPIC}/3.md", ccpm_task("src/c.py"))
    repo.commit_all("a ccpm epic")
    result = repo.cli("plan", "shop")
    assert result.code == 1, result
    assert "shop.1 ↔ shop.2: their plan says they conflict (conflicts_with)" in result.out
    data = repo.cli("plan", "shop", "--json").json()
    assert data["conflicts"] == [
        {
            "tasks": ["shop.1", "shop.2"],
            "paths": [],
            "patterns": [],
            "examples": [],
            "declared": True,
        }
    ]
    assert data["waves"] == [["shop.1", "shop.3"], ["shop.2"]]
    # the pair named in conflicts_with makes no claim; the others claim and hold
    assert sorted((tuple(c["between"]), c["holds"]) for c in data["claims"]) == [
        (("shop.1", "shop.3"), True),
        (("shop.2", "shop.3"), True),
    ]
    refused = repo.cli("start", "shop.1", "shop.2")
    assert refused.code == 1 and "conflicts_with" in refused.err, refused


def test_a_synced_task_is_found_by_its_issue_number(repo: Repo) -> None:
    issue = "https://github.com/acme/shop/issues/1234"
    repo.write(f"{EPIC}/001.md", ccpm_task("src/a.py", github=issue))
    repo.write(f"{EPIC}/002.md", ccpm_task("src/b.py", depends="[1234]"))
    repo.commit_all("a synced ccpm epic")
    data = repo.cli("plan", "shop.1234", "shop.2", "--json").json()
    assert data["task_file_map"] == {"shop.1": ["src/a.py"], "shop.2": ["src/b.py"]}
    assert data["waves"] == [["shop.1"], ["shop.2"]]
