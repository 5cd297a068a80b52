"""The honesty lint on the labelled reply set: each rule's precision and
recall, per rule and per language, once with each item's language handed to
the lint and once with the lint picking the language from the text alone,
plus the items each rule gets wrong. The set is tests/data/lint_replies.jsonl
(see tests/responses/lint_set.py for its fields); the test
tests/responses/test_lint_set.py asserts the floors.

    .venv/bin/python bench/lint_rules.py [--wrong]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.responses.lint_set import found_rules, load, score  # noqa: E402


def pct(x: float | None) -> str:
    return "   -" if x is None else f"{x:4.2f}"


def table(items: list[dict], lang, wrong: bool) -> None:
    print(f"{'rule':<14} {'tp':>3} {'fp':>3} {'fn':>3}  prec  rec")
    for rule, s in score(items, lang).items():
        print(f"{rule:<14} {s['tp']:>3} {s['fp']:>3} {s['fn']:>3}  {pct(s['precision'])} {pct(s['recall'])}")
        if wrong and s["wrong"]:
            print("               " + ", ".join(s["wrong"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wrong", action="store_true", help="list the items each rule gets wrong")
    args = ap.parse_args()
    items = load()
    langs = sorted({i["lang"] for i in items})
    good = [i for i in items if not i["expect"]]
    clean = sum(1 for i in good if not found_rules(i))
    per_lang = ", ".join(f"{g}: {sum(i['lang'] == g for i in items)}" for g in langs)
    print(f"{len(items)} replies ({per_lang}); {len(good)} good ones, {clean} of them clean")
    print("\n== with each mention's language")
    table(items, "item", args.wrong)
    print("\n== language picked from the reply's words")
    table(items, None, args.wrong)
    for g in langs:
        print(f"\n== {g} only")
        table([i for i in items if i["lang"] == g], "item", args.wrong)
    start = time.perf_counter()
    for _ in range(20):
        for i in items:
            found_rules(i)
    per = (time.perf_counter() - start) / (20 * len(items))
    print(f"\n{per * 1e6:.0f} µs per lint ({1 / per:,.0f} replies/s, one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
