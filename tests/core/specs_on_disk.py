"""Load tasks from spec files in a plain folder (no git): discovery plus the pure catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gitwt.core import spec_catalog, spec_survey
from gitwt.core.legacy_tokens import TrackedIndex
from gitwt.core.specs import SpecError, Task
from gitwt.infra.config import Config
from gitwt.services.specs.discovery import discover


def catalog(
    root: Path, config: Config, tracked: Iterable[str] | TrackedIndex = ()
) -> spec_catalog.Catalog:
    index = tracked if isinstance(tracked, TrackedIndex) else TrackedIndex.build(tracked)
    return spec_catalog.Catalog.build(discover(str(root), config), config, lambda: index)


def survey(root: Path, config: Config, ids: list[str]) -> spec_survey.Survey:
    return spec_survey.survey(catalog(root, config), ids)


def find_tasks(root: Path | str, config: Config, ids: list[str]) -> list[Task]:
    """The tasks, or the first spec problem raised, as `start` does."""
    result = survey(Path(root), config, ids)
    if result.problems:
        first = result.problems[0]
        raise SpecError(first.message, first.hint, first.source, first.line)
    return result.tasks
