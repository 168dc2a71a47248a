"""A JSON, TOML or YAML document read or written whole: the one shape left untyped (issue 19).

A structure with known keys is a TypedDict or a dataclass, so `mypy --strict` checks every key
(`infra.task_record`, `core.boundaries.RulesContext`, each JSON report's TypedDict beside the code
that builds it). What stays a plain mapping is a document of unknown shape as parsed: a config or
front matter, tasks.json, an agent's settings file, a record or cache anyone can edit under .git,
an event line; its readers check each value they take. `tests/test_package_shape.py` counts the
uses of this alias and of `dict[str, Any]` together, as the same annotation.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
