"""The labelled reply set (tests/data/lint_replies.jsonl) and its scoring,
shared by tests/responses/test_lint_set.py and bench/lint_rules.py.

Each line is one reply: ``text``, ``lang`` (the mention's language, handed to
the lint), ``negative`` (the customer is angry), ``expect`` (the rules that
should fire, judged by what the reply says, not by what the lint does),
``source`` and, where a rule needs them, ``published`` (earlier replies,
for stock-answer) and ``banned`` (a playbook's banned phrases).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from warroom.responses.lint import RULE_IDS, LintRules, lint

DATA = Path(__file__).resolve().parent.parent / "data" / "lint_replies.jsonl"


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def found_rules(item: dict, lang: str | None = "item") -> set[str]:
    """The rules the lint finds on one item; ``lang="item"`` hands it the item's
    language, ``None`` makes the lint pick from the text alone."""
    rules = LintRules(banned_phrases=tuple(item.get("banned", ())))
    return {f.rule for f in lint(item["text"], rules, negative=item.get("negative", False),
                                 published=item.get("published", ()),
                                 lang=item.get("lang") if lang == "item" else lang)}


def score(items: list[dict], lang: str | None = "item") -> dict[str, dict]:
    """Per rule: tp, fp, fn, precision, recall (None when undefined), and the
    ids of the items it got wrong."""
    counts = {r: Counter() for r in RULE_IDS}
    wrong: dict[str, list[str]] = {r: [] for r in RULE_IDS}
    for item in items:
        got, want = found_rules(item, lang), set(item["expect"])
        for rule in RULE_IDS:
            key = ("tp" if rule in want else "fp") if rule in got else ("fn" if rule in want else "tn")
            counts[rule][key] += 1
            if key in ("fp", "fn"):
                wrong[rule].append(f"{key}:{item['id']}")
    out = {}
    for rule, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
        out[rule] = {"tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "precision": p, "recall": r,
                     "wrong": wrong[rule]}
    return out
