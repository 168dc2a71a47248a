"""The task runner writes its final log line before it records the exit (issue 19's race):
`logs -f` stops following as soon as the record says the task ended, so by then the line that
says how it ended must be in the log."""

from __future__ import annotations

import json
import os
import time

from tests.conftest import Repo, end_leftover_processes


def test_the_final_line_is_in_the_log_when_the_record_says_the_task_ended(repo: Repo) -> None:
    repo.spec("1", ["src/a.txt"])
    repo.write(".gitparallel.toml", "cpu_max = 100\nmemory_max = 100\npoll_interval = 0.2\n")
    repo.commit_all("spec")
    try:
        assert repo.api.start(["1"], run="true").ok
        common = repo.git("rev-parse", "--git-common-dir").strip()
        record_path = os.path.join(repo.path, common, "parallel", "tasks", "1.json")
        log_path = os.path.join(repo.path, common, "parallel", "logs", "1.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(record_path, encoding="utf-8") as handle:
                ended = json.load(handle).get("state") == "succeeded"
            if ended:
                # Read the log the moment the record says so, as `logs -f` does.
                with open(log_path, encoding="utf-8") as handle:
                    assert "task 1 succeeded (exit 0)" in handle.read()
                break
            time.sleep(0.005)
        else:
            raise AssertionError("the task never succeeded")
        follow = repo.cli("logs", "1", "-f")
        assert follow.code == 0 and "task 1 succeeded (exit 0)" in follow.out
    finally:
        end_leftover_processes(repo.path)
