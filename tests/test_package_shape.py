"""The package's shape, as DESIGN §9 asks and docs/architecture.md maps it.

Each test fails on the change a newcomer could make without noticing: a module missing from the
map, a module past 400 lines, a second module or class of one name, an import cycle (local
imports included), or a second git runner or detached spawn.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gitwt"
MAP = ROOT / "docs" / "architecture.md"


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_the_module_map_names_every_module_and_no_other() -> None:
    text = MAP.read_text(encoding="utf-8")
    table = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `([a-z_/]+\.py)`", table, re.MULTILINE))
    actual = {relative(path) for path in modules() if path.name != "__init__.py"}
    assert sorted(actual - named) == [], "modules missing from docs/architecture.md"
    assert sorted(named - actual) == [], "docs/architecture.md names modules that do not exist"


def test_no_module_is_over_400_lines() -> None:
    long = {
        relative(path): count
        for path in modules()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_module_and_class_names_are_unique_in_the_package() -> None:
    """Private classes too: `_Task` in two plan readers reads as one thing and is two."""
    names = Counter(path.stem for path in modules() if path.stem not in ("__init__", "__main__"))
    assert [name for name, count in names.items() if count > 1] == []
    classes: Counter[str] = Counter()
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes.update(node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef))
    assert [name for name, count in classes.items() if count > 1] == []


def test_no_import_cycle_between_modules_local_imports_included() -> None:
    graph = grimp.build_graph("gitwt", exclude_type_checking_imports=True)
    cycles = [
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if importer != imported
        and graph.find_shortest_chain(importer=imported, imported=importer) is not None
    ]
    assert cycles == []


# Who may start processes, and why. A new entry here is a design decision, not a convenience.
PROCESS_STARTERS = {
    "infra/git.py": "the one git runner",
    "infra/processes.py": "the one detached spawn",
    "hook/git_runner.py": "the commit hook's posix_spawn git runner (speed, DESIGN §10)",
    "hook/entry.py": "chaining to the hook that would have run without gitwt",
    "services/tasks/shims.py": "the generated shim text, which starts git before Python loads",
    "services/tasks/task_runner.py": "the user's task command and setup, in its process group",
    "services/merging/merge_gate.py": "the user's test command on the merge candidate",
    "services/hooks/server_hook.py": "chaining to the server's previous pre-receive hook",
    "services/demo.py": "the demo runs `git parallel` as a user types it",
}
_STARTS_PROCESS = re.compile(
    r"subprocess\.(?:run|Popen|call|check_call|check_output)\(|posix_spawn|os\.exec"
)


def test_only_the_named_modules_start_processes() -> None:
    found = {
        relative(path)
        for path in modules()
        if _STARTS_PROCESS.search(path.read_text(encoding="utf-8"))
    }
    assert sorted(found - PROCESS_STARTERS.keys()) == []


def test_the_detached_entry_points_exist() -> None:
    """`infra.processes` names the modules it runs with `python -m`: they must stay runnable."""
    import importlib

    from gitwt.infra import processes

    for name in (processes.TASK_PROCESS_MODULE, processes.TRASH_MODULE):
        module = importlib.import_module(name)
        assert callable(getattr(module, "main", None)), name


# Issue 19 allows 40, only for payloads; 21 remain (parsed TOML, YAML and JSON documents, agents'
# settings files): lower this as one of them gets a type, never raise it for a report.
MOST_UNTYPED_DICTS = 21
# An alias of dict[str, Any] is the same annotation: each use of the alias counts as one.
UNTYPED_DICT = re.compile(r"dict\[str, Any\]|\bJsonObject\b")
UNTYPED_REPORT = re.compile(r"def to_json\(self\) -> (?:JsonObject|dict\[str, Any\])")  # a report
ALIAS_OF_UNTYPED = re.compile(r"^\s*(\w+)\s*(?::\s*TypeAlias\s*)?=\s*dict\[str, Any\]", re.M)


def untyped_dicts(text: str) -> int:
    """The uses of `dict[str, Any]`, written out or as `JsonObject`, in a module's code (its
    imports of the alias left out)."""
    lines = _code_lines(text).splitlines()
    return sum(
        len(UNTYPED_DICT.findall(line))
        for line in lines
        if not line.lstrip().startswith(("from ", "import "))
    )


def test_untyped_dicts_are_few_and_only_payloads() -> None:
    """A structure with known keys is a TypedDict or a dataclass, so `mypy --strict` checks each
    key: a report's top level and its rows are TypedDicts next to the code that builds them. A
    payload of unknown shape (a TOML, YAML or JSON document as parsed, an agent's settings file,
    a hook payload) is `JsonObject`, defined once in `infra.json_payload`. Both spellings count
    against the limit of issue 19."""
    texts = {relative(path): path.read_text(encoding="utf-8") for path in modules()}
    used = {name: untyped_dicts(text) for name, text in texts.items()}
    del used["infra/json_payload.py"]  # the definition, and its docstring
    assert sum(used.values()) <= MOST_UNTYPED_DICTS, {k: v for k, v in used.items() if v}
    untyped_reports = [
        name for name, text in texts.items() if UNTYPED_REPORT.search(_code_lines(text))
    ]
    assert untyped_reports == []
    aliases = {name: ALIAS_OF_UNTYPED.findall(text) for name, text in texts.items()}
    assert {name: found for name, found in aliases.items() if found} == {
        "infra/json_payload.py": ["JsonObject"]
    }


# One primitive per rule (DESIGN §9): where a rule has one function, a second spelling of it
# elsewhere is what these patterns find. Each entry: the rule, its one home, what a copy looks
# like. Text in docstrings and comments is left out by looking at code lines only.
ONE_HOME = {
    "ended (merged or cleaned)": (
        {"infra/records.py", "infra/state.py"},
        re.compile(r"ENDED_STATES|MERGED,\s*\w*\.?CLEANED|CLEANED,\s*\w*\.?MERGED"),
    ),
    "merged by gitwt": (
        {"infra/records.py"},
        re.compile(r"""get\(["']result["']\)\s*==\s*\w*\.?MERGED"""),
    ),
    "a fenced code block": (
        {"core/markdown_shapes.py"},
        re.compile(r"[`~]\{3|[\"'](?:```|~~~)[\"']"),
    ),
    "its command may still run (active)": (
        {"services/tasks/supervisor.py", "infra/records.py"},  # records: the states' names
        re.compile(r"QUEUED,\s*\w*\.?RUNNING|RUNNING,\s*\w*\.?QUEUED"),
    ),
    "a task's or a role's Rules": (
        {"core/declaration.py", "core/boundaries.py"},  # boundaries: Rules.from_json
        re.compile(r"\bRules\("),
    ),
    "the environment that shows stored objects": (
        {"infra/real_objects.py"},
        re.compile(r"GIT_NO_REPLACE_OBJECTS|GIT_GRAFT_FILE"),
    ),
    "stored compiled regexes": ({"core/stored_regex.py"}, re.compile(r"\b_sre\b")),
    "the pre-commit framework's range": ({"hook/entry.py"}, re.compile(r"PRE_COMMIT_FROM_REF")),
    "an agent's settings files": (
        {"core/agent_settings.py"},
        re.compile(r"settings\.local\.json|\.gemini/settings"),
    ),
    "exit codes": (
        # agent_wiring: the generated agent hook script's own exits, text it writes
        {"errors.py", "services/tasks/agent_wiring.py"},
        re.compile(r"(?:sys\.exit|SystemExit|os\._exit)\(\s*[0-9]"),
    ),
    "a path quoted for a shell (one line, any bytes)": (
        {"core/display.py"},
        re.compile(r"shlex\.quote\("),
    ),
    "where task records are": (
        {"infra/records.py"},
        re.compile(r"state_dir\([^)]*\),\s*[\"']tasks[\"']"),
    ),
    "a spec's front-matter id": (
        {"core/front_matter.py"},
        re.compile(r"""\^id(?:\\s|\[)|get\(["']id["'],\s*name_id"""),
    ),
    "a record's claimed paths (its declaration, a malformed claim)": (
        # authority: the audit's own re-check of each claim (docs/architecture.md)
        {"core/declaration.py", "services/merging/authority.py"},
        re.compile(r"""\bclaim\w*\s*(?:\.get\(|\[)\s*["']paths["']"""),
    ),
    "the rules file in a task worktree": (
        {"hook/rules_file.py", "services/hooks/task_rules.py"},
        re.compile(
            r"Rules\.from_json\(|parallel-rules\.json|\bRULES_FILE\b|write_json_atomic\(\s*rules_path"
        ),
    ),
    "a worktree locked by start (a task, or an orphan without its record)": (
        # hook/agent*: the agent hook's stdlib test of the lock file, before any gitwt import
        {
            "services/tasks/worktrees.py",
            "services/tasks/orphans.py",
            "hook/agent.py",
            "hook/agent_shell.py",
        },
        re.compile(r"""\bLOCK_REASON\b|["']git parallel \{|startswith\(["']git parallel ["']\)"""),
    ),
    "a plan's path mention as a declared path": (
        {"core/plan_index.py", "core/specs.py"},  # specs: a legacy spec's own mentions
        re.compile(
            r"legacy_tokens\.resolve\(|from gitwt\.core\.legacy_tokens import [^\n]*\bresolve\b"
        ),
    ),
    "a change set read from git (name-status)": (
        # audit: status's sets batched in one diff-tree; hook/*: the commit hook's own, stdlib
        {"infra/git.py", "services/merging/audit.py", "hook/git_runner.py", "hook/checks.py"},
        re.compile(r"""["']--name-status["']"""),
    ),
    "task records as the tasks an overlap check compares": (
        {"services/specs/live_overlap.py"},
        re.compile(r"files=tuple\(\s*declared_by\(|files=tuple\(\s*patterns\)"),
    ),
    "the separation check run (which tasks overlap, which paths an owner does not own)": (
        # planning: plan/start/specs; live_overlap: new or claimed paths against live tasks;
        # claiming: the claimed paths against the ownership map only; next_selection: the pure
        # core's own (it cannot import services); registry_check: the server, with no Context
        {
            "services/specs/planning.py",
            "services/specs/live_overlap.py",
            "services/specs/claiming.py",
            "core/next_selection.py",
            "services/team/registry_check.py",
        },
        re.compile(r"\bseparation\.plan\("),
    ),
    "whether a parallel claim holds": (
        {"core/formats/claims.py"},
        re.compile(r"\bClaimVerdict\("),
    ),
}


def _code_lines(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(("#", '"""', "`"))
    )


@pytest.mark.parametrize("rule", ONE_HOME)
def test_each_rule_has_one_implementation(rule: str) -> None:
    homes, copy = ONE_HOME[rule]
    found = {
        relative(path)
        for path in modules()
        if copy.search(_code_lines(path.read_text(encoding="utf-8")))
    }
    assert sorted(found - homes) == []
