"""`infra.state`'s atomic writes: what a reader of the state folder sees."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gitwt.infra import state


def test_an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "1.json"
    target.write_text("old\n")
    state.write_json_atomic(str(target), {"id": "1", "state": "running"})
    assert json.loads(target.read_text()) == {"id": "1", "state": "running"}
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.json"]


def test_an_atomic_write_replaces_a_planted_symlink_and_never_writes_through_it(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    folder = tmp_path / "tasks"
    folder.mkdir()
    target = folder / "1.json"
    os.symlink(outside, target)
    state.write_json_atomic(str(target), {"id": "1"})
    assert outside.read_text() == "someone else's file\n"
    assert not target.is_symlink() and json.loads(target.read_text()) == {"id": "1"}
    assert sorted(p.name for p in folder.iterdir()) == ["1.json"]
