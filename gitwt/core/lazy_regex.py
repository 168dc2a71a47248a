"""Regular expressions compiled the first time they are used, not when their module loads.

`start` and `status` import every plan-format reader (a plan of any format may hold the task
asked for), and each reader holds its patterns at module level: compiled at import, about a
hundred of them cost each command a few milliseconds whether a plan of that format exists or
not. `compile` keeps the same module-level spelling and compiles on first use, once.
"""

from __future__ import annotations

import re
from typing import Any, cast


class _Pattern:
    """Stands for `re.compile(source, flags)`; after the first use, each method it was asked
    for is the compiled pattern's own, stored on the instance (no lookup cost afterwards)."""

    def __init__(self, source: str, flags: int) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        value = getattr(self._compiled, name)
        setattr(self, name, value)  # found directly next time
        return value

    def __repr__(self) -> str:
        return f"lazy_regex.compile({self._source!r}, {self._flags})"


def compile(source: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)`, compiled on first use. Use its methods (`match`,
    `search`, `sub`, ...); `re.sub(pattern, ...)` and `isinstance` need a real pattern."""
    return cast("re.Pattern[str]", _Pattern(source, int(flags)))
