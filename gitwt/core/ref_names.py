"""Whether a name is a valid git branch name, by git's documented rules (git-check-ref-format(1)).

`git check-ref-format --branch NAME` checks `refs/heads/NAME` after refusing a NAME that starts
with `-` or is `HEAD`; the rules are simple and fixed, so `start` checks its branch names here
instead of running one git process per task. The `@{-N}` shorthand that `--branch` expands is
refused (it contains `@{`): a branch template names a new branch, never the previous one.
tests/core/test_ref_names.py holds this against git itself.
"""

from __future__ import annotations

# Rule 4 and 5: never in a ref name (with the control characters and DEL below).
_FORBIDDEN = frozenset(" ~^:?*[\\")


def _valid_component(component: str) -> bool:
    # Rule 1: no empty component (rule 6: no double slash), none starting with '.' or
    # ending with '.lock'.
    return bool(component) and not component.startswith(".") and not component.endswith(".lock")


def is_valid_branch_name(name: str) -> bool:
    """What `git check-ref-format --branch NAME` accepts (save the `@{-N}` shorthand)."""
    if not name or name.startswith("-") or name == "HEAD":
        return False
    if any(ord(char) < 0o40 or ord(char) == 0o177 or char in _FORBIDDEN for char in name):
        return False
    # Rule 3 '..', rule 8 '@{', rule 7 a trailing '.' (rule 9, the ref '@', cannot happen
    # under refs/heads/; rule 2, a '/', neither).
    if ".." in name or "@{" in name or name.endswith("."):
        return False
    return all(_valid_component(component) for component in name.split("/"))
