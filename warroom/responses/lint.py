"""The honesty lint: pure, text in, findings out.

``lint(text, rules, negative=False, published=[...])`` returns one
``Finding(rule, start, end, reason, blocking)`` per problem, ordered by span.
``lang`` picks the phrase tables (``lint_lang``: English, Dutch, French,
German, Spanish). ``rules`` is a playbook's ``Rules`` (any object with the same attributes;
missing ones take the defaults below), so the same lint answers the board,
the submit check and ``run.py lint``.

The phrase lists are deliberately small and explainable: each finding must
tell a volunteer in one line what to change, so a pattern that cannot be
explained that way does not belong here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher

from .lint_lang import EN, tables_for
from .lint_lang import LANGS as _LANGS

RULE_IDS = (
    "banned-phrase", "defensive", "deflection", "stock-answer", "non-apology",
    "no-next-step", "hide-critics",
)
DEFAULT_BLOCKING = ("banned-phrase", "defensive", "deflection", "non-apology", "hide-critics")


@dataclass(frozen=True)
class Finding:
    rule: str
    start: int
    end: int
    reason: str
    blocking: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LintRules:
    """The lint-relevant part of a playbook's rules, for rooms without one."""

    first_response_minutes: int = 60
    approval: str = "two-person"
    approval_timeout_minutes: int = 15
    banned_phrases: tuple[str, ...] = ()
    blocking: tuple[str, ...] = DEFAULT_BLOCKING
    stock_answer_similarity: float = 0.8
    stock_answer_min_recipients: int = 3
    require_next_step: bool = True


DEFAULT_RULES = LintRules()


def _rule(rules, name: str):
    return getattr(rules, name, getattr(DEFAULT_RULES, name))


# The English tables under their old names (tests and tools import them);
# every language's tables are in ``lint_lang``.
DEFENSIVE, REDIRECT, OWNS = EN.defensive, EN.redirect, EN.owns
NON_APOLOGY, APOLOGY, NEXT_STEP, HIDE_CRITICS = EN.non_apology, EN.apology, EN.next_step, EN.hide_critics
LANGS = _LANGS

REASONS = {
    "banned-phrase": "the playbook bans this phrase",
    "defensive": "defensive: blames the customer or denies responsibility; say what happened and what you do",
    "deflection": "sends the customer elsewhere without owning the problem; take it on or hand it over yourself",
    "stock-answer": "near-duplicate of a reply already published to {n} people; answer this person",
    "non-apology": "apologises for the customer's feelings, not for what happened; say sorry for the thing",
    "no-apology": "the customer is angry and the reply does not apologise",
    "no-next-step": "no next step or time for the next update; say what happens next and when",
    "hide-critics": "offers to delete, hide or block critics; never do that",
}


def words(text: str) -> list[str]:
    """The words ``similarity`` compares (lower case, numbers masked)."""
    # Numbers are masked so "update at 5pm" and "update at 6pm" count as the same answer.
    return [re.sub(r"\d+", "0", w) for w in re.findall(r"[\w']+", text.lower())]


def similarity(a: str, b: str) -> float:
    """Word-level similarity in 0..1 (1 = same words in the same order)."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    m = SequenceMatcher(None, wa, wb, autojunk=False)
    if m.real_quick_ratio() < 0.5 or m.quick_ratio() < 0.5:
        return m.quick_ratio() * 0.5  # cheap bound, far below any sensible threshold
    return m.ratio()


def _hidden(table, text: str, m: re.Match) -> bool:
    """False for a hiding match that is a promise not to hide ("we never delete
    comments": a negation in its clause) or about scams and spam (anywhere in
    the reply: the warning often comes a sentence earlier)."""
    clause = text[max(text.rfind(c, 0, m.start()) for c in ".!?\n,;:") + 1:m.end()]
    return not (table.negation.search(clause) or table.unhide.search(text))


def lint(
    text: str, rules=None, negative: bool = False, published: Iterable[str] = (),
    lang: str | None = None,
) -> list[Finding]:
    """All findings for ``text``; ``negative`` says the customer is angry;
    ``published`` holds the texts of replies already published in the room;
    ``lang`` is the mention's language (ISO 639-1, e.g. ``fr`` or ``fr-BE``):
    its phrase tables apply, with those of the language the reply's own words
    suggest and English's; see ``lint_lang.tables_for``."""
    rules = rules or DEFAULT_RULES
    blocking = set(_rule(rules, "blocking"))
    text = text or ""
    found: list[Finding] = []

    def add(rule: str, start: int, end: int, reason: str | None = None) -> None:
        found.append(Finding(rule, start, end, reason or REASONS[rule], rule in blocking))

    low = text.lower()
    for phrase in _rule(rules, "banned_phrases"):
        p = phrase.strip().lower()
        if not p:
            continue
        for m in re.finditer(re.escape(p), low):
            add("banned-phrase", m.start(), m.end(), f"the playbook bans the phrase {phrase!r}")

    tables = tables_for(lang, text)

    def each(pattern: str):
        for table in tables:
            yield from getattr(table, pattern).finditer(text)

    def anywhere(pattern: str) -> bool:
        return any(getattr(t, pattern).search(text) for t in tables)

    for m in each("defensive"):
        add("defensive", m.start(), m.end())

    if not anywhere("owns"):
        for m in each("redirect"):
            add("deflection", m.start(), m.end())

    non_apologies = list(each("non_apology"))
    for m in non_apologies:
        add("non-apology", m.start(), m.end())
    if negative and not non_apologies and text.strip() and not anywhere("apology"):
        add("non-apology", 0, len(text), REASONS["no-apology"])

    for table in tables:
        for m in table.hide_critics.finditer(text):
            if _hidden(table, text, m):
                add("hide-critics", m.start(), m.end())

    if _rule(rules, "require_next_step") and text.strip() and not anywhere("next_step"):
        add("no-next-step", 0, len(text))

    threshold = float(_rule(rules, "stock_answer_similarity"))
    minimum = int(_rule(rules, "stock_answer_min_recipients"))
    if text.strip() and minimum > 0:
        alike = sum(1 for p in published if similarity(text, p) >= threshold)
        if alike >= minimum:
            add("stock-answer", 0, len(text), REASONS["stock-answer"].format(n=alike))

    # A span matched by two defensive patterns is reported once.
    unique = {(f.rule, f.start, f.end): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.start, f.end, f.rule))


def blocking_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]
