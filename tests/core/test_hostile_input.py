"""Hostile input: the parsers give a clean error or a valid result, never a traceback."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitwt.core import ownership, patterns, specs
from gitwt.errors import GitParallelError
from gitwt.infra import config

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["../x", "/abs", "!neg", "a/**", "", "-rf", "a\nb"]),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def front_matter(fields: dict) -> str:
    import yaml

    return "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\nbody\n"


@FUZZ
@given(st.text(max_size=400))
def test_spec_parser_on_arbitrary_text(text: str) -> None:
    try:
        task = specs.parse_spec(text, "docs/SPEC-1-x.md", "1").task
    except GitParallelError as error:
        assert error.hint and "\n" not in error.render().splitlines()[0]
    else:
        assert task.files and all(isinstance(path, str) for path in task.files)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "owner", "files", "depends_on", "run", "other"]),
        yaml_values,
        max_size=6,
    )
)
@pytest.mark.slow
def test_spec_parser_on_arbitrary_front_matter(fields: dict) -> None:
    try:
        task = specs.parse_spec(front_matter(fields), "docs/SPEC-1-x.md", "1").task
    except GitParallelError as error:
        assert error.exit_code == 2 and error.hint
    else:
        for path in task.files:
            assert patterns.validate(path) == path
            re.compile(patterns.compile_regex(path))
        assert specs.TASK_ID.fullmatch(task.id)


@FUZZ
@given(st.text(max_size=400))
def test_codeowners_parser_on_arbitrary_text(text: str) -> None:
    try:
        owners = ownership.parse(text, "CODEOWNERS")
    except GitParallelError as error:
        assert "CODEOWNERS" in error.message and error.hint
    else:
        for path in ("a", "src/x.py", "docs/a/b.md", "-x", "a b/ü"):
            owners.owners_of(path)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "base",
                "specs",
                "ownership",
                "unowned",
                "branch",
                "worktree",
                "max_instances",
                "cpu_max",
                "memory_max",
                "run",
                "test",
                "poll_interval",
                "sparse",
                "auto_merge",
                "tasks",
                "bogus",
            ]
        ),
        yaml_values,
        max_size=5,
    )
)
@pytest.mark.slow
def test_config_loader_on_arbitrary_tables(raw: dict) -> None:
    try:
        loaded = config.validate(raw, ".gitparallel.toml")
    except GitParallelError as error:
        assert ".gitparallel.toml" in error.message and error.hint
    else:
        assert loaded.max_instances >= 1
        assert "{id}" in loaded.branch and "{id}" in loaded.worktree


@FUZZ
@given(st.text(max_size=60))
def test_declared_patterns_on_arbitrary_strings(text: str) -> None:
    try:
        pattern = patterns.validate(text)
    except GitParallelError as error:
        assert error.hint
    else:
        assert not pattern.startswith(("/", "!"))
        assert ".." not in pattern.rstrip("/").split("/")
        re.compile(patterns.compile_regex(pattern))


@FUZZ
@given(st.text(max_size=30))
def test_task_ids_never_leave_their_folder(text: str) -> None:
    try:
        task_id = specs.check_id(text, "")
    except GitParallelError:
        return
    assert "/" not in task_id and "\\" not in task_id and ".." not in task_id
    assert not task_id.startswith(("-", "."))
