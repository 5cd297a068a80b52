"""Lint patterns found missing by planted bugs (bench/mutants.py)."""

from warroom.responses.lint import lint


def test_hidden_critics_in_the_passive_voice_are_found():
    text = "The rude comments have been hidden. We will update you at 5pm."
    found = lint(text)
    assert [f.rule for f in found] == ["hide-critics"]
    assert text[found[0].start:found[0].end] == "comments have been hidden"
