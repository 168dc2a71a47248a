"""core.ref_names against git itself: `git check-ref-format --branch` on random names."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core.ref_names import is_valid_branch_name

# The characters the rules are about, a few ordinary ones, and a non-ASCII letter.
ALPHABET = [*"ab/.-@{}~^:?*[\\ lock\t\x7fé", "HEAD", ".lock", "..", "@{"]
names = st.lists(st.sampled_from(ALPHABET), max_size=8).map("".join)


def git_accepts(name: str) -> bool:
    result = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, check=False
    )
    return result.returncode == 0


@settings(max_examples=150, deadline=None)
@given(names)
def test_same_verdict_as_git(name: str) -> None:
    if "@{-" in name:
        return  # git expands @{-N} (the previous branch); we refuse it: see the module
    assert is_valid_branch_name(name) == git_accepts(name), name


def test_examples() -> None:
    assert is_valid_branch_name("parallel/12")
    assert is_valid_branch_name("fix/é-12")
    for bad in ("", "-x", "HEAD", "a..b", "a/.b", "a.lock", "a//b", "/a", "a/", "a.", "a b"):
        assert not is_valid_branch_name(bad), bad
