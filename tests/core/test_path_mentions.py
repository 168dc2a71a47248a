"""The one path tokenizer of the plan readers: what a careful person takes for a path in a line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitwt.core import patterns
from gitwt.core.path_mentions import PACKAGE_NAME, SLASH_WORD, mentions_in


def paths(text: str) -> list[str]:
    return [mention.path for mention in mentions_in(text, 7)[0]]


def test_a_spec_kit_task_line_names_its_file_and_nothing_else() -> None:
    line = "- [ ] T009 [P] [US1] Implement RenewLoan service in internal/loans/service.go"
    [mention], _ = mentions_in(line, 44, creates=True)
    assert (mention.path, mention.line, mention.creates) == ("internal/loans/service.go", 44, True)


def test_code_spans_may_name_any_file_bare_words_need_a_slash_or_an_extension() -> None:
    assert paths("Add the job to `harbour/scheduler/jobs.py`") == ["harbour/scheduler/jobs.py"]
    assert paths("Run quickstart.md validation") == ["quickstart.md"]
    assert paths("Update `Makefile` and the RenewLoan service") == ["Makefile"]
    assert paths("Touch `setup`") == []  # a bare identifier even in a code span
    assert paths("Document it in docs/renewals.md.") == ["docs/renewals.md"]


@pytest.mark.parametrize(
    "word", ["and/or", "add/remove", "name/username", "client/server", "CI/CD"]
)
def test_words_with_one_slash_are_prose_and_reported(word: str) -> None:
    mentions, ignored = mentions_in(f"Handle {word} cases in src/app.py", 3, source="tasks.md")
    assert [m.path for m in mentions] == ["src/app.py"]
    assert [(i.token, i.reason, i.source, i.line) for i in ignored] == [
        (word, SLASH_WORD, "tasks.md", 3)
    ]


def test_a_slash_word_in_a_code_span_or_with_a_trailing_slash_is_a_folder() -> None:
    assert paths("Move the models to `src/models`") == ["src/models"]
    assert paths("Everything under src/models/ changes") == ["src/models/"]
    assert paths("Everything under src/models/user changes") == []  # prose: not a file name


@pytest.mark.parametrize("text", ["Install @scope/pkg", "Install `@types/node` first"])
def test_scoped_package_names_are_never_paths(text: str) -> None:
    mentions, ignored = mentions_in(text, 1)
    assert mentions == [] and [i.reason for i in ignored] == [PACKAGE_NAME]


def test_urls_placeholders_and_absolute_paths_are_ignored_with_a_reason() -> None:
    text = "Contract test for POST /loans/{id}/renew, see https://x.org/a.md and `<name>.py`"
    mentions, ignored = mentions_in(text, 1)
    assert mentions == []
    reasons = {i.token: i.reason for i in ignored}
    assert reasons["https://x.org/a.md"] == "a URL"
    assert reasons["<name>.py"] == "a placeholder"


def test_link_targets_are_dropped_and_line_suffixes_cut() -> None:
    assert paths("See [the model](../model.md) and `app/x.py:12-30`") == ["app/x.py"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_gives_only_valid_declared_patterns(text: str) -> None:
    mentions, ignored = mentions_in(text, 1)
    for mention in mentions:
        assert patterns.validate(mention.path) == mention.path
    assert all(item.reason for item in ignored)


def test_prose_words_with_slashes_must_end_in_a_file_or_a_folder() -> None:
    mentions, ignored = mentions_in("card shows title/value/close date in web/src/Card.tsx", 2)
    assert [m.path for m in mentions] == ["web/src/Card.tsx"]
    assert [(i.token, i.reason) for i in ignored] == [("title/value/close", SLASH_WORD)]
    assert paths("Extend config/app/settings.conf5 now") == ["config/app/settings.conf5"]


def test_brace_lists_in_code_spans_name_each_path() -> None:
    text = "Create `backend/app/{core,models}` and `frontend/tests/{components,hooks}/`"
    assert paths(text) == [
        "backend/app/core",
        "backend/app/models",
        "frontend/tests/components/",
        "frontend/tests/hooks/",
    ]
    assert paths("Add `a/{x,y}/{b,c}.py`") == ["a/x/b.py", "a/x/c.py", "a/y/b.py", "a/y/c.py"]
    assert paths("See `api/{id}.py`") == []  # a placeholder, not a list
    assert len(paths("`" + "/".join("{a,b}" for _ in range(12)) + ".py`")) == 64
