"""Where each declared pattern came from, and what a spec mentions that is not a declaration.

A wrong declaration gives false safety, so every guess stays visible: `plan --json` carries an
Origin per pattern, `plan --explain` and `specs` print them with the ignored tokens. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of origin, as they appear in JSON.
FRONT_MATTER = "front_matter"  # `files:` in the spec's YAML front matter
LEGACY_MARKER = "legacy_marker"  # a path a legacy spec lists (marker, files section, table)
BARE_NAME = "bare_name"  # a file name or package-relative path resolved against base
CLAIM = "claim"  # added to a live task by `git parallel claim`
CONFIG = "config"  # a [tasks.N] table of the config file
PLAN = "plan"  # a path a plan another tool wrote names (a task line, a Files Affected list...)


@dataclass(frozen=True)
class Origin:
    pattern: str
    source: str  # the spec file (repo-relative), or the config file
    line: int  # 1-based; 0 when unknown
    kind: str
    note: str = ""  # e.g. "from daemon.py:1042-1054", "ambiguous: 2 files are named logging.py"

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def to_json(self) -> dict[str, object]:
        return {
            "pattern": self.pattern,
            "source": self.source,
            "line": self.line,
            "kind": self.kind,
            "note": self.note,
        }


@dataclass(frozen=True)
class Ignored:
    """A token a naive reader would take for a declared path, and why it is not one."""

    token: str
    source: str
    line: int
    reason: str

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def to_json(self) -> dict[str, object]:
        return {
            "token": self.token,
            "source": self.source,
            "line": self.line,
            "reason": self.reason,
        }
