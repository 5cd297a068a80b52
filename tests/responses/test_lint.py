"""The honesty lint on the replies the issue quotes, on good replies, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from warroom.responses.lint import DEFAULT_RULES, OWNS, REDIRECT, LintRules, lint, similarity

from ..conftest import ROOT


def rules_of(findings):
    return [f.rule for f in findings]


def span(text, finding):
    return text[finding.start:finding.end]


def test_defensive_not_responsible():
    text = "We are not responsible for the weather. I'll update you at 5pm."
    found = lint(text)
    assert rules_of(found) == ["defensive"]
    assert span(text, found[0]).lower() == "we are not responsible"
    assert found[0].blocking is True
    assert "defensive" in found[0].reason


def test_defensive_you_are_mistaken():
    text = "You are mistaken, the flight left on time. We will DM you the log within the hour."
    found = lint(text)
    assert rules_of(found) == ["defensive"]
    assert span(text, found[0]) == "You are mistaken"


def test_deflection_cs_team_on_twitter():
    text = "we have a CS team on Twitter too, it may be worth a tweet"
    found = lint(text)
    assert "deflection" in rules_of(found)
    deflect = [f for f in found if f.rule == "deflection"][0]
    assert span(text, deflect).startswith("we have a CS team")
    assert deflect.blocking
    # the same pointer is fine when the reply owns the problem: the example
    # must carry the pointer itself, or the exemption is never exercised
    owned = "We have a CS team on Twitter too: I've passed your case to them and I'll update you by 3pm."
    assert REDIRECT.search(owned) and OWNS.search(owned)
    assert lint(owned) == []


def test_non_apology_to_angry_customer():
    text = "I'm sorry you feel we've failed you"
    found = lint(text, negative=True)
    assert "non-apology" in rules_of(found)
    f = [f for f in found if f.rule == "non-apology"][0]
    assert span(text, f) == "I'm sorry you feel"
    assert f.blocking


def test_angry_customer_without_any_apology():
    text = "Your flight is rebooked on KL1234; we will DM you the details by 14:00."
    assert lint(text, negative=False) == []
    found = lint(text, negative=True)
    assert rules_of(found) == ["non-apology"]
    assert "apologise" in found[0].reason


def test_no_next_step():
    text = "Thanks for letting us know about the delay."
    found = lint(text)
    assert rules_of(found) == ["no-next-step"]
    assert (found[0].start, found[0].end) == (0, len(text))
    assert found[0].blocking is False  # not in the default blocking list
    assert lint(text, LintRules(require_next_step=False)) == []


def test_hide_critics():
    text = "Don't worry, we will delete those negative comments today."
    found = lint(text)
    assert rules_of(found) == ["hide-critics"]
    assert span(text, found[0]) == "delete those negative comments"


def test_hide_critics_passive():
    text = "Those comments will be deleted. We will update you at 5pm."
    found = lint(text)
    assert rules_of(found) == ["hide-critics"]
    assert span(text, found[0]) == "comments will be deleted"
    assert found[0].blocking


def test_banned_phrase_matches_whatever_the_case():
    rules = LintRules(banned_phrases=("Force Majeure",))
    text = "This is FORCE MAJEURE, so we will refund you by Friday."
    found = lint(text, rules)
    assert rules_of(found) == ["banned-phrase"]
    assert span(text, found[0]) == "FORCE MAJEURE"
    assert "'Force Majeure'" in found[0].reason  # named as the playbook spells it


def test_banned_phrase_from_playbook():
    rules = LintRules(banned_phrases=("force majeure",))
    text = "This is force majeure, so we will refund you by Friday."
    found = lint(text, rules)
    assert rules_of(found) == ["banned-phrase"]
    assert span(text, found[0]) == "force majeure"
    assert "force majeure" in found[0].reason


def test_blocking_follows_the_playbook():
    text = "You are mistaken. We will call you at 5pm."
    assert lint(text)[0].blocking is True
    lenient = LintRules(blocking=())
    assert [f.blocking for f in lint(text, lenient)] == [False]


def test_stock_answer_repeated_to_many():
    stock = "Sorry for the disruption. We are rebooking everyone and will update you at 5pm."
    published = [
        "Sorry for the disruption. We are rebooking everyone and will update you at 4pm.",
        "Sorry for the disruption! We are rebooking everyone and will update you at 5pm.",
        "sorry for the disruption, we are rebooking everyone and will update you at 6pm",
    ]
    found = lint(stock, published=published)
    assert rules_of(found) == ["stock-answer"]
    assert "3 people" in found[0].reason
    # two earlier copies are below the default minimum of 3 recipients
    assert lint(stock, published=published[:2]) == []
    # a different, personal answer is no stock answer
    personal = "Anna, so sorry: your bag is in Amsterdam and we will courier it to you by 9pm tonight."
    assert lint(personal, published=published * 3, negative=True) == []


def test_similarity_bounds():
    assert similarity("a b c", "a b c") == 1.0
    assert similarity("", "a") == 0.0
    assert similarity("update at 5pm", "update at 6pm") == 1.0  # numbers masked
    assert similarity("we rebook everyone now", "the bag is lost in transit") < 0.5


@pytest.mark.parametrize("text", [
    "So sorry, Anna: your flight is cancelled because of the ash cloud. I'll rebook you now and DM you "
    "the new booking within 30 minutes.",
    "We got this wrong and we're sorry. Refunds go out today; next update here at 18:00.",
    "Thanks Sam, and sorry for the scare: we've passed your photos to the safety team and will update you tomorrow morning.",
    "Sorry for the wait. Our next update on the strike is at 14:00 on https://example.com/status.",
])
def test_good_replies_have_no_finding(text):
    assert lint(text, negative=True) == []


def test_findings_are_sorted_and_unique():
    text = "You are wrong and we are not responsible."
    found = lint(text)
    assert [(f.start, f.rule) for f in found] == sorted((f.start, f.rule) for f in found)
    assert len({(f.rule, f.start, f.end) for f in found}) == len(found)
    assert DEFAULT_RULES.blocking == (
        "banned-phrase", "defensive", "deflection", "non-apology", "hide-critics")


def run_lint(*args, stdin=None, tmp_path=None):
    env_path = tmp_path / "cli.db"
    import os
    env = {**os.environ, "WARROOM_DB_PATH": str(env_path), "WARROOM_SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "run.py", "lint", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_cli_blocking_finding_exits_1(tmp_path):
    done = run_lint("We are not responsible, you are mistaken.", tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert [x["rule"] for x in lines] == ["defensive", "no-next-step", "defensive"]
    assert set(lines[0]) == {"rule", "start", "end", "reason", "blocking"}
    assert lines[0]["start"] == 0 and lines[0]["blocking"] is True


def test_cli_stdin_negative_and_clean(tmp_path):
    text = "Your bag is on its way; we will DM you the tracking link by 5pm."
    clean = run_lint("-", stdin=text, tmp_path=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""
    angry = run_lint("--negative", "-", stdin=text, tmp_path=tmp_path)
    assert angry.returncode == 1
    assert [json.loads(x)["rule"] for x in angry.stdout.splitlines()] == ["non-apology"]
    nonblocking = run_lint("Thanks for telling us.", tmp_path=tmp_path)
    assert nonblocking.returncode == 0
    assert json.loads(nonblocking.stdout)["rule"] == "no-next-step"


def test_cli_playbook_rules_and_unknown_playbook(tmp_path):
    done = run_lint("--playbook", "mass-disruption", "This is force majeure; update at 5pm.",
                    tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr
    assert [json.loads(x)["rule"] for x in done.stdout.splitlines()] == ["banned-phrase"]
    missing = run_lint("--playbook", "no-such-book", "hello", tmp_path=tmp_path)
    assert missing.returncode == 2
    assert "no-such-book" in missing.stderr
