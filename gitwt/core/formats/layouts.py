"""Where each plan format keeps its files, apart from its reader, so finding plans loads none.

`start`, `status` and `specs` look for other tools' plans in every repository; most have none.
The globs here are all that search needs: a reader (`formats.FORMATS`) is loaded only when a
file matches. Each reader's `FORMAT.layouts` is its entry here (a test holds them equal).
"""

from __future__ import annotations

OPENSPEC_CONFIG = "openspec/config.yaml"
TASKMASTER_TASKS = ".taskmaster/tasks/tasks.json"
TASKMASTER_STATE = ".taskmaster/state.json"
TASKMASTER_LEGACY = "tasks/tasks.json"

# format name -> its globs, in the order of `formats.FORMATS`
LAYOUTS: dict[str, tuple[str, ...]] = {
    "spec-kit": ("specs/*/tasks.md", ".specify/feature.json"),
    "kiro": (".kiro/specs/*/tasks.md", ".kiro/specs/*/design.md"),
    "ccpm": (".claude/epics/*/*.md",),
    "openspec": (
        "openspec/changes/*/tasks.md",
        "openspec/changes/*/proposal.md",
        "openspec/changes/*/design.md",
        "openspec/changes/*/.openspec.yaml",
        OPENSPEC_CONFIG,
    ),
    "taskmaster": (TASKMASTER_TASKS, TASKMASTER_STATE, TASKMASTER_LEGACY),
    "gsd": (".planning/phases/*/*-PLAN.md", ".planning/phases/*/*-SUMMARY.md"),
}
