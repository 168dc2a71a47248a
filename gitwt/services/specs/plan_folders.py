"""The plans other tools wrote, found without config: each format's layouts (config `formats`
narrows the formats), the files grouped per plan folder, each read once and given to its
format's reader (core/formats/). A file of the layouts may name a plan folder kept elsewhere
(spec-kit's `.specify/feature.json`). `check --claims --staged` reads the same plans at HEAD
through `read_plans` with its own reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from gitwt.core.plan_index import PlanSource
from gitwt.infra.config import Config
from gitwt.services.specs import repo_files

if TYPE_CHECKING:
    from gitwt.core.formats.plan_units import PlanFormat


def format_layouts(config: Config) -> dict[str, tuple[str, ...]]:
    """The formats to read, by name, with their layouts (no reader loaded): every one of the
    table, or those config `formats` names."""
    from gitwt.core.formats.layouts import LAYOUTS

    if config.formats is None:
        return dict(LAYOUTS)
    unknown = [name for name in config.formats if name not in LAYOUTS]
    if unknown:
        from gitwt.infra.config import ConfigError

        raise ConfigError(
            f"config key 'formats' in {config.source} names an unknown format {unknown[0]!r}",
            f"known formats: {', '.join(LAYOUTS)}",
        )
    return {name: layouts for name, layouts in LAYOUTS.items() if name in config.formats}


def formats_read(config: Config) -> tuple[PlanFormat, ...]:
    """The formats to read, their readers loaded (see `format_layouts`)."""
    wanted = format_layouts(config)
    from gitwt.core.formats import FORMATS

    return tuple(plan_format for plan_format in FORMATS if plan_format.name in wanted)


def plan_files(
    formats: Iterable[PlanFormat], paths: Iterable[str]
) -> dict[tuple[str, str], list[str]]:
    """The files among `paths` that belong to a plan folder: (format name, folder) -> files."""
    grouped: dict[tuple[str, str], list[str]] = {}
    listed = sorted(set(paths))
    for plan_format in formats:
        for path in listed:
            folder = plan_format.plan_of(path)
            if folder is not None:
                grouped.setdefault((plan_format.name, folder), []).append(path)
    return grouped


def _pointed(
    formats: Iterable[PlanFormat],
    paths: Iterable[str],
    read: Callable[[str], tuple[str, str | None]],
    listing: Callable[[str], list[str]],
) -> tuple[dict[tuple[str, str], list[str]], list[PlanSource]]:
    """Plan folders kept elsewhere that a file of the layouts names (spec-kit's
    `.specify/feature.json`): their files; a folder named but empty is said, not skipped."""
    grouped: dict[tuple[str, str], list[str]] = {}
    missing: list[PlanSource] = []
    for plan_format in formats:
        if plan_format.points_to is None:
            continue
        for path in sorted(set(paths)):
            if plan_format.plan_of(path) is not None:
                continue
            text, unreadable = read(path)
            folder = None if unreadable else plan_format.points_to(path, text)
            if folder is None:
                continue
            files = listing(folder)
            if files:
                grouped[(plan_format.name, folder.rstrip("/"))] = files
                continue
            from gitwt.core.formats.plan_units import PlanProblem, PlanReading

            problem = PlanProblem(
                f"{path} names the plan folder {folder}, which holds no plan file",
                "create the plan there with the tool, or fix the folder that file names",
                path,
                1,
            )
            reading = PlanReading(problems=(problem,))
            missing.append(PlanSource(plan_format.name, plan_format.short, path, reading))
    return grouped, missing


def read_plans(
    formats: Iterable[PlanFormat],
    paths: Iterable[str],
    read: Callable[[str], tuple[str, str | None]],
    listing: Callable[[str], list[str]] = lambda _folder: [],
) -> list[PlanSource]:
    """Each plan folder among `paths` (and each one a pointer file names elsewhere, whose files
    `listing` gives), its files read once (`read`: text, why unreadable) and given to its
    format's reader."""
    by_name = {plan_format.name: plan_format for plan_format in formats}
    texts: dict[str, tuple[str, str | None]] = {}

    def once(path: str) -> tuple[str, str | None]:
        if path not in texts:
            texts[path] = read(path)
        return texts[path]

    grouped = plan_files(by_name.values(), paths)
    pointed, found = _pointed(by_name.values(), paths, once, listing)
    for key, files in pointed.items():
        grouped.setdefault(key, files)
    for (name, folder), files in grouped.items():
        for path in files:
            once(path)
        readable = {path: texts[path][0] for path in files if texts[path][1] is None}
        unreadable = tuple((path, texts[path][1] or "") for path in files if texts[path][1])
        plan_format = by_name[name]
        found.append(
            PlanSource(name, plan_format.short, folder, plan_format.read(readable), unreadable)
        )
    return found


def plan_paths(toplevel: str, formats: Iterable[PlanFormat]) -> set[str]:
    """The files in the working tree that the formats' layouts name."""
    return _layout_paths(toplevel, [layout for found in formats for layout in found.layouts])


def _layout_paths(toplevel: str, layouts: Iterable[str]) -> set[str]:
    return {
        path
        for layout in layouts
        for path in repo_files.glob_inside(toplevel, layout)
        if repo_files.is_file_entry(toplevel, path)
    }


def folder_files(toplevel: str, folder: str) -> list[str]:
    """The files directly in a folder of the working tree (a plan folder a pointer names)."""
    found = repo_files.glob_inside(toplevel, folder.rstrip("/") + "/*")
    return sorted(path for path in found if repo_files.is_file_entry(toplevel, path))


def read_plan_file(toplevel: str, path: str) -> tuple[str, str | None]:
    return repo_files.read_text(toplevel, path, "plan file")


def worktree_plans(toplevel: str, config: Config) -> list[PlanSource]:
    """The plans in the working tree, found by each format's layouts (the readers load only
    when a file is there: most repositories have no other tool's plan)."""
    layouts = format_layouts(config)
    paths = _layout_paths(toplevel, [layout for found in layouts.values() for layout in found])
    if not paths:
        return []
    return read_plans(
        formats_read(config),
        paths,
        lambda path: read_plan_file(toplevel, path),
        lambda folder: folder_files(toplevel, folder),
    )


def recognised(plans: Iterable[PlanSource]) -> list[str]:
    """The plan folders a format recognised (it gave units, or found the plan malformed): no
    file in them is a legacy spec. An unrelated `specs/x/tasks.md` stays a legacy spec."""
    return [
        plan.folder.rstrip("/") + "/"
        for plan in plans
        if plan.reading.units or plan.reading.problems or plan.unreadable
    ]
