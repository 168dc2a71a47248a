from __future__ import annotations

import pytest

from gitwt.core.ownership import OwnershipError, parse

CODEOWNERS = """\
# comment line
* @default

*.js    @js-owner            # trailing comment
/build/logs/ @build
docs/*  docs@example.com
apps/   @org/app-team agent:backend
**/logs @logs
/scripts/**  @ops
/vendor/unowned
a[b].txt @brackets
\\#notes.txt @hash
"""

VECTORS = [
    # path, expected owners, expected line
    ("README.md", ("@default",), 2),
    ("src/app.js", ("@js-owner",), 4),  # unanchored pattern matches at any depth
    ("build/logs/out.txt", ("@logs",), 8),  # last matching line wins
    ("x/build/logs/out.txt", ("@logs",), 8),
    ("docs/guide.md", ("docs@example.com",), 6),
    ("docs/nested/guide.md", ("@default",), 2),  # docs/* owns direct children only
    ("apps/web/index.html", ("@org/app-team", "agent:backend"), 7),  # trailing / : below
    ("deep/apps/x.py", ("@org/app-team", "agent:backend"), 7),
    ("scripts/a/b.sh", ("@ops",), 9),
    ("vendor/unowned/lib.c", (), 10),  # a line with no owners: unowned
    ("a[b].txt", ("@brackets",), 11),  # brackets are literal
    ("ab.txt", ("@default",), 2),
    ("#notes.txt", ("@hash",), 12),  # an escaped '#' is a file name, not a comment
    ("a/line\nbreak.js", ("@js-owner",), 4),
]


@pytest.mark.parametrize(("path", "owners", "line"), VECTORS)
def test_codeowners_conformance(path: str, owners: tuple[str, ...], line: int) -> None:
    match = parse(CODEOWNERS, "CODEOWNERS").owners_of(path)
    assert match.owners == owners
    assert match.rule is not None and match.rule.line == line


def test_no_matching_line_has_no_rule() -> None:
    match = parse("/src/ @dev\n", ".github/CODEOWNERS").owners_of("docs/a.md")
    assert match.owners == ()
    assert match.rule is None


@pytest.mark.parametrize(
    "token", ["@org/app-team", "org/app-team", "AGENT:BACKEND", "agent:backend"]
)
def test_owner_tokens_compare_without_at_and_case(token: str) -> None:
    match = parse(CODEOWNERS, "CODEOWNERS").owners_of("apps/x")
    assert match.owned_by(token)
    assert not match.owned_by("@someone-else")


def test_provenance_names_file_and_line() -> None:
    match = parse(CODEOWNERS, ".github/CODEOWNERS").owners_of("docs/guide.md")
    assert match.rule is not None
    assert match.rule.provenance(".github/CODEOWNERS") == (
        ".github/CODEOWNERS:6 docs/* → docs@example.com"
    )


def test_negation_is_rejected_with_file_and_line() -> None:
    with pytest.raises(OwnershipError) as caught:
        parse("* @a\n!docs/ @b\n", "CODEOWNERS")
    assert "CODEOWNERS:2" in caught.value.message
    assert caught.value.hint


def test_compiled_rules_rebuild_the_same_answers() -> None:
    from gitwt.core.ownership import OwnershipMap, Rule

    original = parse(CODEOWNERS, "CODEOWNERS")
    rebuilt = OwnershipMap(
        source="CODEOWNERS",
        rules=tuple(
            Rule(pattern=r["pattern"], owners=tuple(r["owners"]), line=r["line"], regex=r["regex"])
            for r in original.compiled()
        ),
    )
    for path, owners, line in VECTORS:
        assert rebuilt.owners_of(path).owners == owners
        assert rebuilt.owners_of(path).rule.line == line  # type: ignore[union-attr]


def test_the_role_comes_from_the_first_source_that_names_one() -> None:
    from gitwt.core.ownership import choose_role, parse

    owners = parse("/src/ Dev@Example.com @backend\n", "CODEOWNERS")
    email = "dev@example.com"
    assert choose_role("cli", "env", "config", "task", email, owners) == "cli"
    assert choose_role(None, "env", "config", "task", email, owners) == "env"
    assert choose_role(None, None, "config", "task", email, owners) == "config"
    assert choose_role(None, None, None, "task", email, owners) == "task"
    assert choose_role(None, None, None, None, email, owners) == "Dev@Example.com"
    assert choose_role(None, None, None, None, "other@example.com", owners) is None
    assert choose_role(None, None, None, None, email, None) is None


def test_escaped_brackets_own_the_bracketed_file_as_gitignore_escapes() -> None:
    """Issue 9 item 7: `\\[id\\]` in CODEOWNERS names `[id]` (gitignore, GitHub, hmarr)."""
    owners = parse("* @all\n/app/\\[id\\].tsx @web\n/lib/[x].py @lib\n\\*.md @star\n", "C")
    assert owners.owners_of("app/[id].tsx").owners == ("@web",)
    assert owners.owners_of("app/\\[id\\].tsx").owners == ("@all",)
    assert owners.owners_of("lib/[x].py").owners == ("@lib",)  # brackets alone: literal too
    assert owners.owners_of("lib/x.py").owners == ("@all",)
    assert owners.owners_of("*.md").owners == ("@star",)  # `\*` is a literal star
    assert owners.owners_of("README.md").owners == ("@all",)


def test_the_hook_reads_escaped_brackets_as_the_engine_does() -> None:
    from gitwt.core.boundaries import Rules
    from gitwt.core.stored_regex import compiled_form

    owners = parse("* @all\n/app/\\[id\\].tsx @web\n", "CODEOWNERS")
    data = Rules("65", "@web", None, ownership=owners).to_json()
    compiled = Rules.from_json(data).ownership
    assert compiled is not None and compiled.owners_of("app/[id].tsx").owners == ("@web",)
    assert compiled_form("a") is not None  # the stored form is exercised, not only `re`
