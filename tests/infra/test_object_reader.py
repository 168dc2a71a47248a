"""One `cat-file --batch` answers a command's every read of objects, as a one-shot one would."""

from __future__ import annotations

import os

import psutil

from gitwt.infra import git_trees
from gitwt.infra.object_reader import ObjectReader
from tests.conftest import Repo


def cat_files(besides: frozenset[int] = frozenset()) -> list[psutil.Process]:
    """This process's `cat-file --batch` children, but those in `besides` (an earlier test's
    context in the same worker may not have been collected yet)."""
    return [
        child
        for child in psutil.Process(os.getpid()).children()
        if child.pid not in besides and child.cmdline()[1:3] == ["cat-file", "--batch"]
    ]


def test_reads_answer_as_a_one_shot_cat_file_and_share_one_process(repo: Repo) -> None:
    repo.write("a.txt", "first\n")
    repo.write("folder/b.txt", "")
    commit = repo.commit_all("two files")
    earlier = frozenset(child.pid for child in cat_files())
    reader = ObjectReader(str(repo.path))
    names = ["HEAD:a.txt", "HEAD:missing.txt", "HEAD:folder", "bad\nname", "HEAD:folder/b.txt"]
    try:
        assert reader.blobs(names) == git_trees.named_blobs(names, repo.path)
        assert reader.blobs(names) == [b"first\n", None, None, None, b""]
        [(kind, _)] = reader.read([commit])  # type: ignore[misc]
        assert kind == b"commit"
        assert len(cat_files(earlier)) == 1  # the three reads went to one process
    finally:
        reader.close()
    assert cat_files(earlier) == []


def test_a_request_larger_than_a_pipe_is_answered_whole(repo: Repo) -> None:
    """Names and answers far over a pipe's 64 KiB: the request is written while the answers
    are read, so neither side waits for the other forever."""
    repo.write("big.txt", "x" * 100_000 + "\n")
    repo.commit_all("big")
    reader = ObjectReader(str(repo.path))
    names = ["HEAD:big.txt", "HEAD:" + "n" * 200] * 1_000
    try:
        found = reader.blobs(names)
    finally:
        reader.close()
    assert found == [b"x" * 100_000 + b"\n", None] * 1_000


def test_an_api_call_leaves_no_cat_file_running(repo: Repo) -> None:
    """Discovery opens the command's `cat-file`; an orchestrator calling the API in a loop
    must not collect them: each ends with its call."""
    repo.write("docs/SPEC-1-one.md", "---\nid: 1\nfiles: [one.txt]\n---\n")
    repo.commit_all("spec")
    earlier = frozenset(child.pid for child in cat_files())
    for _ in range(3):
        assert repo.api.status().to_json()["tasks"] == []
        assert cat_files(earlier) == []
