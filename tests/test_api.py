"""The Python API in-process, as an orchestrator calls it: no `git parallel` subprocess of ours,
real repositories, real task processes; and the same JSON as the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitwt import api
from tests.conftest import Repo

UNGATED = "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n"
COMMIT = "sh -c 'echo {id} > {id}.txt && git add {id}.txt && git commit -qm {id}'"


def specs(repo: Repo, **declared: list[str]) -> None:
    for task_id, files in declared.items():
        repo.spec(task_id.lstrip("t"), files)
    repo.write(".gitparallel.toml", UNGATED)
    repo.commit_all("specs")


def without_volatile(report: dict) -> dict:
    """A status report without what changes from one look to the next (resources, timing)."""
    report = {key: value for key, value in report.items() if key != "resources"}
    report["tasks"] = [
        {key: value for key, value in task.items() if key not in ("runtime", "cpu_percent", "rss")}
        for task in report["tasks"]
    ]
    return report


@pytest.mark.slow
def test_plan_start_wait_status_merge_clean_in_process(repo: Repo, tmp_path: Path) -> None:
    specs(repo, t1=["1.txt"], t2=["2.txt"], t3=["1.txt"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    planned = api.plan(["1", "2", "3"], repo=repo.path)
    assert isinstance(planned, api.PlanResult)
    assert planned.valid is False
    assert planned.to_json() == repo.cli("plan", "1", "2", "3", "--json").json()
    assert planned.to_json()["conflicts"][0]["tasks"] == ["1", "3"]

    started = api.start(["1", "2"], run=COMMIT, repo=repo.path)
    assert started.ok
    assert {task["id"]: task["state"] for task in started.tasks} == {
        "1": "running",
        "2": "running",
    }
    assert started.to_json()["schema"] == "git-parallel/start/1"

    lines: list[str] = []
    waited = api.wait(repo=repo.path, progress=lines.append)
    assert isinstance(waited, api.WaitResult)
    assert waited.ok and (waited.completed, waited.failed, len(waited.tasks)) == (2, 0, 2)
    assert waited.to_json()["schema"] == "git-parallel/wait/1"
    assert any(line.startswith("1: succeeded") for line in lines)

    status = api.status(repo=repo.path)
    assert [task["state"] for task in status.tasks] == ["succeeded", "succeeded"]
    assert without_volatile(status.to_json()) == without_volatile(
        repo.cli("status", "--json").json()
    )

    merged = api.merge(["1", "2"], repo=repo.path)
    assert merged.ok
    assert [item["result"] for item in merged.to_json()["results"]] == ["merged", "merged"]
    assert repo.git("show", "main:2.txt") == "2\n"

    cleaned = api.clean(["1", "2"], repo=repo.path)
    assert cleaned.ok
    assert cleaned.to_json()["schema"] == "git-parallel/clean/1"


def test_batch_in_process_returns_the_coordinators_fields(repo: Repo) -> None:
    specs(repo, t1=["1.txt"], t2=["2.txt"])
    result = api.batch(["1", "2"], run=COMMIT, repo=repo.path)
    assert isinstance(result, api.BatchResult)
    assert result.success
    report = result.to_json()
    assert report["monitoring_result"] == {"completed": 2, "failed": 0, "total": 2}
    assert report["merge_results"] == {"1": "merged", "2": "merged"}
    assert report["tasks_executed"] == ["1", "2"] and report["worktrees_created"] == 2
    assert repo.git("show", "main:1.txt") == "1\n"


def test_errors_are_git_parallel_errors_with_message_and_hint(repo: Repo) -> None:
    specs(repo, t1=["1.txt"], t2=["1.txt"])
    with pytest.raises(api.GitParallelError) as missing:
        api.start(["404"], run="true", repo=repo.path)
    assert "404" in missing.value.message and missing.value.hint
    unusable = api.plan(["1", "404"], repo=repo.path)
    assert unusable.exit_code == 2 and not unusable.valid, "the report lists the missing spec"
    with pytest.raises(api.Refused) as refused:
        api.start(["1", "2"], run="true", repo=repo.path)
    assert refused.value.message.startswith("not starting: 1 and 2 both declare 1.txt")
    assert "--queue" in (refused.value.hint or "")
    assert repo.git("branch", "--list", "parallel/*") == "", "a refused start creates nothing"
    with pytest.raises(api.GitParallelError) as unknown:
        api.wait(["7"], repo=repo.path)
    assert unknown.value.message == "task 7 has not been started"


def test_each_call_warns_as_a_cli_run_does_and_the_cli_warns_once(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    """An uncommitted config change is warned about by every run of a command; two API calls in
    one process are two commands, so the second warns too. The CLI warns once per command even
    where it calls the API twice (start --next: next, then start)."""
    specs(repo, t1=["1.txt"])
    repo.write(".gitparallel.toml", UNGATED + "max_instances = 3\n")  # not committed
    warning = "git parallel: warning: .gitparallel.toml in the main checkout differs"
    for _ in range(2):
        api.status(repo=repo.path)
        assert capsys.readouterr().err.count(warning) == 1
    started = repo.cli("start", "--next")
    assert started.code == 0, started.err
    assert started.err.count(warning) == 1
