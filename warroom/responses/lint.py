"""The honesty lint: pure, text in, findings out.

``lint(text, rules, negative=False, published=[...])`` returns one
``Finding(rule, start, end, reason, blocking)`` per problem, ordered by span.
``rules`` is a playbook's ``Rules`` (any object with the same attributes;
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


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Blaming the customer or denying responsibility.
DEFENSIVE = _rx(
    r"\bwe(?:'re| are)? not (?:responsible|to blame|at fault|liable)\b",
    r"\bwe (?:can ?not|can't) be held (?:responsible|liable)\b",
    r"\b(?:it|this) (?:is|was)(?:n't| not) our fault\b",
    r"\bnot our (?:fault|problem|responsibility)\b",
    r"\byou(?:'re| are) (?:mistaken|wrong|incorrect|confused)\b",
    r"\byou (?:must have|should have|should've|must've) (?:read|checked|known|booked|called)\b",
    r"\bas (?:we|i) (?:have )?(?:already )?(?:said|stated|explained)\b",
    r"\bwe did nothing wrong\b",
    r"\bthat(?:'s| is) (?:simply )?(?:not true|untrue|false)\b",
    r"\byour (?:own )?(?:fault|mistake|error)\b",
)

# Sending the customer somewhere else ...
REDIRECT = _rx(
    r"\bwe have an? (?:cs|customer (?:service|care|support)|support|help ?desk|social media) team\b[^.!?]*",
    r"\bit (?:may|might|could) be worth (?:a|an) (?:tweet|call|email|e-mail|message|dm)\b",
    r"\b(?:please )?(?:contact|call|ring|email|e-mail|tweet|dm|message|reach out to|get in touch with)"
    r" (?:our|the) (?:cs|customer (?:service|care|support)|support|help ?desk|complaints?)"
    r"(?: team| department| line| desk)?\b",
    r"\byou(?:'ll| will)? (?:need|have) to (?:contact|call|ring|email|speak to|talk to)\b",
    r"\b(?:this|that) is not the right (?:place|channel|account)\b",
    r"\bwe (?:can ?not|can't) (?:help|deal with) (?:with )?(?:that|this) here\b",
)
# ... is fine when the reply owns the problem (someone here does something).
OWNS = _rx(
    r"\b(?:i|we)(?:'ll| will| am| are|'m|'re) (?:personally )?(?:look|follow|chase|check|fix|pass|sort|"
    r"call|contact|get|make|rebook|refund|update|come back|handle|take)",
    r"\b(?:i|we)(?:'ve| have) (?:passed|sent|forwarded|escalated|asked|booked|rebooked|refunded|raised)",
    r"\blet me\b",
    r"\b(?:i|we)(?:'m| am|'re| are) on it\b",
)

# Apologising for the customer's feelings instead of for what happened.
NON_APOLOGY = _rx(
    r"\b(?:i'?m|i am|we'?re|we are) sorry (?:that )?you (?:feel|think|believe|felt|thought|see it)\b",
    r"\b(?:i'?m|i am|we'?re|we are) sorry if (?:you|anyone|this|that|we)\b",
    r"\bsorry you(?:'re| are) (?:upset|unhappy|disappointed|offended|frustrated)\b",
    r"\b(?:we |i )?apologi[sz]e (?:for any|if)\b",
    r"\bregret that you (?:feel|think)\b",
    r"\bfor any inconvenience(?: (?:this|that) may have|(?: this| that)? (?:may have )?caused)?\b",
)
APOLOGY = _rx(r"\bsorry\b", r"\bapologi[sz]", r"\bour (?:fault|mistake)\b", r"\bwe got (?:this|it) wrong\b")

# A next step or a time for the next update.
NEXT_STEP = _rx(
    r"\b(?:i|we)(?:'ll| will| shall)\b",
    r"\b(?:i|we)(?:'re| are|'m| am) (?:going to|about to)\b",
    r"\b(?:next|further|an?) update\b",
    r"\bupdate (?:you|this|everyone)\b",
    r"\bby \d{1,2}(?::\d{2})?\b",
    r"\b\d{1,2}(?::\d{2})? ?(?:am|pm)\b",
    r"\b\d{1,2}:\d{2}\b",
    r"\bwithin (?:the (?:next|hour)|\d+|an? |the hour)",
    r"\bin (?:\d+|a few|an?) (?:min|minute|minutes|hour|hours)\b",
    r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening))\b",
    r"\b(?:dm|direct message|message) (?:us|me)\b",
    r"\b(?:follow|check) (?:up|back)\b",
    r"https?://\S+",
)

# Deleting, hiding or blocking critics is never offered.
HIDE_CRITICS = _rx(
    r"\b(?:delete|deleting|deleted|remove|removing|removed|hide|hiding|hidden|block|blocking|blocked|"
    r"ban|banning|banned|mute|muting|muted|censor|censoring|censored)"
    r" (?:the |these |those |this |that |your |their |all |any |such |negative |critical |abusive |"
    r"offensive |rude |hostile )*(?:comments?|posts?|tweets?|reviews?|critics?|replies|messages?|"
    r"users?|accounts?|people|them)\b",
    r"\b(?:comments?|posts?|tweets?|reviews?) (?:will be|have been|are being) (?:deleted|removed|hidden)\b",
)

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


def lint(
    text: str, rules=None, negative: bool = False, published: Iterable[str] = ()
) -> list[Finding]:
    """All findings for ``text``; ``negative`` says the customer is angry;
    ``published`` holds the texts of replies already published in the room."""
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

    for m in DEFENSIVE.finditer(text):
        add("defensive", m.start(), m.end())

    if not OWNS.search(text):
        for m in REDIRECT.finditer(text):
            add("deflection", m.start(), m.end())

    non_apologies = list(NON_APOLOGY.finditer(text))
    for m in non_apologies:
        add("non-apology", m.start(), m.end())
    if negative and not non_apologies and text.strip() and not APOLOGY.search(text):
        add("non-apology", 0, len(text), REASONS["no-apology"])

    for m in HIDE_CRITICS.finditer(text):
        add("hide-critics", m.start(), m.end())

    if _rule(rules, "require_next_step") and text.strip() and not NEXT_STEP.search(text):
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
