"""`core.sparse_layout`: the folders of git's cone that hold a task's declared paths."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gitwt.core.sparse_layout import cone_folders, cone_lines, sparse_checkout


def test_each_path_is_held_by_the_literal_part_of_its_folders() -> None:
    paths = ["src/app/", "src/app/main.py", "src/lib/*.py", "docs/SPEC-1.md", "a/b/**/x.py"]
    assert cone_folders(paths) == ["a/b", "docs", "src/app", "src/lib"]


def test_a_folder_inside_another_is_left_out() -> None:
    assert cone_folders(["src/", "src/app/", "src/app/x.py"]) == ["src"]


def test_no_cone_for_a_top_level_path_a_leading_glob_or_an_odd_folder_name() -> None:
    assert cone_folders(["src/app/", "Makefile"]) is None
    assert cone_folders(["vendor"]) is None  # a folder named without its slash: the root holds it
    assert cone_folders(["*.md"]) is None
    assert cone_folders(["**/x.py"]) is None
    assert cone_folders(["src/app /x.py"]) is None  # trailing space: git would need an escape


def test_the_file_lists_parents_without_their_subfolders_then_the_folders_in_git_order() -> None:
    assert cone_lines(["src/app", "docs", "vendor/lib", "we ird"]) == [
        "/*",
        "!/*/",
        "/src/",
        "!/src/*/",
        "/vendor/",
        "!/vendor/*/",
        "/docs/",
        "/src/app/",
        "/vendor/lib/",
        "/we ird/",
    ]


def test_no_cone_patterns_select_exactly_what_is_declared() -> None:
    chosen = sparse_checkout(["Makefile", "src/[x].py"], ["docs/SPEC-1.md"])
    assert chosen.folders is None
    assert chosen.lines == ["/*", "!/*/", "/Makefile", "/src/\\[x\\].py", "/docs/SPEC-1.md"]


_PART = st.text("abc.-_ ü", min_size=1, max_size=4).filter(lambda part: part == part.strip())


@given(st.lists(st.lists(_PART, min_size=1, max_size=4), min_size=1, max_size=6))
def test_every_declared_file_is_inside_one_kept_folder_and_none_nests(
    paths: list[list[str]],
) -> None:
    files = ["/".join(parts) for parts in paths]
    folders = cone_folders(files)
    if any(len(parts) == 1 for parts in paths):
        assert folders is None  # a top-level file: no folder holds it but the root
        return
    assert folders is not None
    for file in files:
        assert sum(file.startswith(folder + "/") for folder in folders) == 1, (file, folders)
    assert not any(a != b and b.startswith(a + "/") for a in folders for b in folders)
