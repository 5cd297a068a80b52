"""Sentiment of a mention: a compound score in [-1, 1] and a three-way label.

VADER (a general social-media lexicon) plus customer-complaint language.
Complaints to a brand often carry no negative word at all ("flight
Cancelled, on hold for 2 hours"), so VADER alone calls many of them neutral
or even positive. We add, on VADER's own valence scale, the weight of
complaint cues written from general knowledge of customer-service
complaints: delays, cancellations, waiting and hold times, lost bags,
unanswered calls, refunds and fees, rude staff, things that do not work,
"why/how long" questions, threats to leave. A few VADER lexicon entries that
are requests or names in this setting ("please", "help", "United") are
neutralised. Pure Python, no I/O: the ingestion path calls it per mention.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's authors' recommended cut-offs on the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

# VADER's normalisation constant: compound = s / sqrt(s^2 + ALPHA).
_ALPHA = 15.0

# Lexicon entries that, addressed to a company, are requests or names rather
# than feelings ("please help, my bag is lost"; "@united").
_LEXICON_OVERRIDES = {
    "please": 0.0,
    "help": 0.0,
    "united": 0.0,
    "joke": -1.2,  # "what a joke" far more often than a told joke
}

# Handles and links carry no sentiment, and handles can collide with lexicon
# words (@united scores +1.8 in plain VADER).
_STRIP = re.compile(r"@\w+|https?://\S+")

_BAG = r"(?:bags?|luggage|baggage|suitcases?|stroller|car ?seat)"
_NEG_AUX = (
    r"(?:not|never|no|isn'?t|wasn'?t|aren'?t|weren'?t|doesn'?t|didn'?t|don'?t|won'?t|"
    r"wouldn'?t|can'?t|cannot|couldn'?t|haven'?t|hasn'?t|unable to)"
)
_NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|a few|few)"

# (weight in VADER valence units, pattern) on lower-cased text with handles
# and links removed. A typical strong VADER word is about 2 to 3.
_CUES: tuple[tuple[float, str], ...] = (
    # Delays and disruption.
    (1.6, r"\bdelay(?:ed|s|ing)?\b"),
    (1.6, r"\blate\b"),
    (1.6, r"\bcancel"),
    (1.8, r"\bstranded\b|\bstuck\b"),
    (1.4, r"\bdivert(?:ed)?\b|\btarmac\b"),
    (1.6, r"\bmiss(?:ed|ing)? (?:my |our |the |a )?(?:connect\w*|flight|meeting|wedding|funeral)"),
    (1.2, r"\boverbook\w*|\bbumped\b|\bover ?sold\b"),
    # Waiting and being ignored.
    (1.6, r"\bon hold\b|\bhold (?:time|music)\b"),
    (1.4, r"\b(?:still|been|keep|kept|stop|spent \w+) (?:waiting|sitting|standing|calling|trying)\b"),
    (1.0, r"\bwaiting\b|\bwait time\b|\bin line\b|\bqueue\b"),
    (1.4, r"\bhung up\b|\bhangs? up\b|\bhanging up\b|\bdisconnect\w*|\bbusy signal\b"),
    (1.6, r"\bcan'?t get (?:through|a hold|anyone|an answer)\b"),
    (1.4, r"\bno (?:one|body|answer|response|reply|help|call ?back|updates?|info\w*|communication|explanation|"
          r"apology|compensation|assistance|options?|way)\b|\bnobody\b"),
    (1.2, r"\bnever (?:got|received|heard|responded|answered|arrived|showed|came|called|replied|again)\b"),
    (1.0, r"\bstill (?:no|not|nothing|haven'?t|hasn'?t|waiting|on hold|stuck|sitting|here|don'?t|can'?t)\b"),
    (1.0, r"\byet again\b|\bagain[?!]|\bonce again\b"),
    # Counts of time or attempts: people count what they endured.
    (1.4, rf"\b{_NUM}\+? ?(?:hours?|hrs?)\b|\bhours?\b"),
    (0.8, rf"\b{_NUM}\+? ?(?:min(?:ute)?s?)\b"),
    (1.0, rf"\b{_NUM}\+? ?(?:days?|times|calls|attempts|tries)\b"),
    # Bags.
    (1.6, rf"\b(?:lost|missing|damaged|broken|delayed|destroyed|ripped)\b[\w ]{{0,20}}\b{_BAG}"),
    (1.6, rf"\b{_BAG}\b[\w ]{{0,30}}\b(?:lost|missing|damaged|broken|never|still|didn'?t|not|isn'?t)\b"),
    (1.6, rf"\bwhere(?:'s| is| are) (?:my|our) {_BAG}"),
    # Money.
    (1.2, r"\brefund\w*|\breimburs\w*|\bcompensat\w*|\bmoney back\b"),
    (1.0, r"\bcharg(?:e|ed|es|ing)\b|\bfees?\b|\bovercharg\w*"),
    # Staff and service.
    (1.8, r"\brude\w*|\bunhelpful\b|\bunprofessional\b|\bincompeten\w*|\bignor(?:ed|ing)\b|\bclueless\b"),
    (1.6, r"\bworst\b|\bnever again\b|\bnever (?:fly|flying|book|booking|use|using)\b|\blast time\b"),
    (1.4, r"\b(?:fed up|sick of|tired of|done with|switch(?:ing)? to|what a joke|so much for|thanks for nothing)\b"),
    (1.4, r"\bsmh\b|\bugh+\b|\bwtf\b|\bseriously\b|\bfail\w*|\bsucks?\b|\bpathetic\b|\babsurd\b|\bunreal\b"),
    (0.8, r"\bcustomer (?:service|care|support|relations)\b|\bcomplain\w*"),
    # Things that do not work.
    (1.2, rf"\b{_NEG_AUX} (?:\w+ )?(?:work\w*|load\w*|let\w*|allow\w*|get|find|reach|answer\w*|respond\w*|"
          r"help\w*|fix\w*|honou?r\w*|accept\w*|go through|show\w*|receive\w*|arrive\w*|board\w*|fly|make it)\b"),
    (1.2, r"\bnot working\b|\bbroken\b|\bglitch\w*|\berror\b|\bcrash\w*|\b(?:is|are|was|were|went|been) down\b"),
    (0.6, rf"\b{_NEG_AUX}\b"),
    # Complaint-shaped questions and exasperated punctuation.
    (1.2, r"\bwhy (?:is|are|do|does|did|would|won'?t|can'?t|isn'?t|aren'?t|hasn'?t|haven'?t|was|were|not)\b"),
    (1.2, r"\bhow (?:long|much longer|come|hard|many more|is it possible)\b|\bwhat(?:'s| is) (?:going on|"
          r"the (?:deal|hold ?up|problem|issue))\b|\bwhat happened\b"),
    (0.8, r"\?\?|\?!|!\?"),
    (0.8, r"#\w*(?:fail|suck|worst|fml|disappoint|angry|ugh|bad|never|nothappy|unacceptable|frustrat|delay|"
          r"cancel|stuck|stranded|lost|rude|shame|boycott)"),
)
_COMPILED = tuple((w, re.compile(p)) for w, p in _CUES)

# One cue from each of many categories is strong evidence, but the sum is
# capped so that a long rant does not swamp real praise in the same text.
_MAX_PENALTY = 6.0


@dataclass(frozen=True)
class Sentiment:
    compound: float
    label: str  # negative | neutral | positive


def label_for(compound: float) -> str:
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def complaint_weight(text: str) -> float:
    """Summed weight of the complaint cues in text (0 when none), capped."""
    low = _STRIP.sub(" ", text).lower()
    total = 0.0
    for weight, pattern in _COMPILED:
        if pattern.search(low):
            total += weight
    return min(total, _MAX_PENALTY)


def combine(vader_compound: float, penalty: float) -> float:
    """Shift VADER's compound by penalty on its own (un-normalised) scale."""
    c = max(-0.9999, min(0.9999, vader_compound))
    raw = c * math.sqrt(_ALPHA / (1.0 - c * c)) - penalty
    return round(raw / math.sqrt(raw * raw + _ALPHA), 4)


class Scorer:
    """Holds one analyzer: building it reads the lexicon (~25 ms)."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(_LEXICON_OVERRIDES)

    def score(self, text: str) -> Sentiment:
        text = text or ""
        base = self._vader.polarity_scores(_STRIP.sub(" ", text))["compound"]
        compound = combine(base, complaint_weight(text))
        return Sentiment(compound, label_for(compound))

    def score_many(self, texts) -> list[Sentiment]:
        score = self.score
        return [score(t) for t in texts]


_default: Scorer | None = None


def score(text: str) -> Sentiment:
    global _default
    if _default is None:
        _default = Scorer()
    return _default.score(text)
