"""A JSON, TOML or YAML document read or written whole: the one shape left untyped (issue 19).

A structure with known keys is a TypedDict or a dataclass, so `mypy --strict` checks every key
(`infra.task_record`, `core.boundaries.RulesContext`...). What stays a plain mapping is a payload:
a report printed as JSON, a config or front matter as parsed, an agent's settings file, an event
line; its readers check each value they take. `tests/test_package_shape.py` counts what remains
written as `dict[str, Any]`.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]
