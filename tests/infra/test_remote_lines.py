"""What the remote said is relayed above gitwt's own error, and only as printable text."""

from __future__ import annotations

from gitwt.infra.remote import RemoteRefused, remote_lines


def test_only_the_remotes_lines_are_relayed_and_control_characters_are_escaped() -> None:
    stderr = (
        b"remote: policy: \x1b[31mfrozen\x1b[0m\r\n"
        b"remote: \n"
        b"To git://127.0.0.1/project.git\n"
        b" ! [remote rejected] main -> main (pre-receive hook declined)\n"
    )
    assert remote_lines(stderr) == ("remote: policy: \\x1b[31mfrozen\\x1b[0m",)


def test_a_refusal_shows_the_remotes_lines_above_its_error() -> None:
    error = RemoteRefused("remote 'origin' refused the push: declined", "see above")
    error.said = ("remote: policy: frozen",)
    assert error.render().splitlines() == [
        "remote: policy: frozen",
        "git parallel: error: remote 'origin' refused the push: declined",
        "hint: see above",
    ]
