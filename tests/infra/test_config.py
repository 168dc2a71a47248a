from __future__ import annotations

from pathlib import Path

import pytest

from gitwt.infra import config
from gitwt.infra.config import ConfigError


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    loaded = config.load(str(tmp_path))
    assert loaded.branch == "parallel/{id}"
    assert loaded.worktree == "../{repo}-wt{id}"
    assert loaded.max_instances == 2
    assert loaded.specs == ("docs/**/SPEC-*.md", "specs/**/*.md")
    assert loaded.unowned == "allow"


def test_every_key_is_read(tmp_path: Path) -> None:
    (tmp_path / ".gitparallel.toml").write_text(
        'base = "develop"\nspecs = ["tasks/*.md"]\nownership = "OWNERS"\nunowned = "deny"\n'
        'branch = "t/{id}"\nworktree = "../wt/{id}"\nmax_instances = 4\ncpu_max = 90\n'
        'memory_max = 70.5\nrun = "make"\ntest = ["pytest", "-q"]\npoll_interval = 0.5\n'
        'sparse = true\n[tasks.70]\nfiles = ["a"]\n'
    )
    loaded = config.load(str(tmp_path))
    assert loaded.base == "develop"
    assert loaded.specs == ("tasks/*.md",)
    assert (loaded.unowned, loaded.max_instances, loaded.memory_max) == ("deny", 4, 70.5)
    assert loaded.test == ("pytest", "-q")
    assert loaded.sparse is True
    assert loaded.tasks == {"70": {"files": ["a"]}}


def test_pyproject_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.git-parallel]\nmax_instances = 3\n")
    loaded = config.load(str(tmp_path))
    assert loaded.max_instances == 3
    assert loaded.source == "pyproject.toml [tool.git-parallel]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = true\n", "unknown config key 'colour' in .gitparallel.toml"),
        ("max_instances = 'two'\n", "config key 'max_instances' in .gitparallel.toml"),
        ("max_instances = 0\n", "'max_instances'"),
        ("max_instances = true\n", "'max_instances'"),
        ("cpu_max = 120\n", "'cpu_max'"),
        ("unowned = 'maybe'\n", "'unowned'"),
        ("branch = 'fixed-name'\n", "'branch'"),
        ("worktree = '../{nope}/{id}'\n", "'worktree'"),
        ("specs = []\n", "'specs'"),
        ("sparse = 'yes'\n", "'sparse'"),
        ("formats = 3\n", "'formats'"),
        ("formats = ['kiro', '']\n", "'formats'"),
        ("[tasks.70]\nfile = ['x']\n", "'tasks.70.file'"),
        ("max_instances = \n", "not valid TOML"),
    ],
)
def test_broken_config_names_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".gitparallel.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(str(tmp_path))
    assert message in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == 2


def test_config_in_two_places_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".gitparallel.toml").write_text("max_instances = 2\n")
    (tmp_path / "pyproject.toml").write_text("[tool.git-parallel]\nmax_instances = 3\n")
    with pytest.raises(ConfigError) as caught:
        config.load(str(tmp_path))
    assert "two places" in caught.value.message


def test_spec_exclusions_and_default_owner(tmp_path: Path) -> None:
    (tmp_path / ".gitparallel.toml").write_text(
        'specs_exclude = ["*-IMPLEMENTATION-*.md", "**/*.backup"]\ndefault_owner = "@dev"\n'
    )
    loaded = config.load(str(tmp_path))
    assert loaded.specs_exclude == ("*-IMPLEMENTATION-*.md", "**/*.backup")
    assert loaded.default_owner == "@dev"


@pytest.mark.parametrize("line", ["specs_exclude = [1]", 'default_owner = ""', "default_owner = 3"])
def test_spec_exclusions_and_default_owner_are_checked(tmp_path: Path, line: str) -> None:
    (tmp_path / ".gitparallel.toml").write_text(line + "\n")
    with pytest.raises(ConfigError) as caught:
        config.load(str(tmp_path))
    assert caught.value.message.split("'")[1] in line


def test_formats_narrow_the_plan_formats(tmp_path: Path) -> None:
    assert config.load(str(tmp_path)).formats is None  # default: every format
    (tmp_path / ".gitparallel.toml").write_text('formats = ["spec-kit", "kiro"]\n')
    assert config.load(str(tmp_path)).formats == ("spec-kit", "kiro")
    (tmp_path / ".gitparallel.toml").write_text("formats = []\n")
    assert config.load(str(tmp_path)).formats == ()  # legacy specs only
