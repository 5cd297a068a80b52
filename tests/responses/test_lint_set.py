"""The lint on the labelled reply set (tests/data/lint_replies.jsonl): each
rule's precision and recall stay above their floors, overall and in each
language, with the mention's language given and with the lint picking it."""

from __future__ import annotations

import pytest

from .lint_set import found_rules, load, score

PRECISION_FLOOR = 0.9  # a rule that cries wolf more often is narrowed, not kept
RECALL_FLOOR = 0.8
LANG_RULES = ("defensive", "deflection", "non-apology", "no-next-step", "hide-critics")


@pytest.fixture(scope="module")
def items():
    return load()


def test_the_set_is_big_enough_and_well_formed(items):
    from warroom.responses.lint import RULE_IDS

    assert len(items) >= 100
    assert len({i["id"] for i in items}) == len(items)
    assert {i["lang"] for i in items} == {"en", "nl", "fr", "de", "es"}
    for i in items:
        assert set(i["expect"]) <= set(RULE_IDS), i["id"]
        assert i["source"].strip(), i["id"]
    assert sum(not i["expect"] for i in items) >= 40  # good replies, not only bad ones


@pytest.mark.parametrize("lang", ["item", None], ids=["mention-lang", "picked-from-text"])
def test_every_rule_above_its_floors(items, lang):
    scores = score(items, lang)
    for rule, s in scores.items():
        assert s["tp"] >= 1, rule
        assert s["precision"] >= PRECISION_FLOOR, (rule, s["wrong"])
        assert s["recall"] >= RECALL_FLOOR, (rule, s["wrong"])


@pytest.mark.parametrize("lang", ["nl", "fr", "de", "es"])
def test_each_language_has_the_five_rules(items, lang):
    scores = score([i for i in items if i["lang"] == lang])
    for rule in LANG_RULES:
        s = scores[rule]
        assert s["tp"] >= 2, (lang, rule)
        assert s["precision"] >= PRECISION_FLOOR and s["recall"] >= RECALL_FLOOR, (lang, rule, s["wrong"])


def test_honest_replies_are_clean(items):
    good = [i for i in items if not i["expect"]]
    flagged = [i["id"] for i in good if found_rules(i)]
    # the known exceptions are named, so a new false alarm fails here
    assert set(flagged) <= {"en-good-scam-accounts", "en-b2-recall"}, flagged
