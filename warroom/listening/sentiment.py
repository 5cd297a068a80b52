"""Sentiment of a mention: a compound score in [-1, 1] and a label.

The label is negative, neutral or positive, or ``unknown`` when the mention's
language is one we have no lexicon for: a Polish complaint is not "neutral",
and counting it as such would dilute a storm's negative share. English goes
through VADER and the complaint cues below; Dutch, French, German and
Spanish through our own lexicons (``data/lexicons.json``, see ``Lexicon``).
A text of undetermined language (``lang`` None: too few letters to tell,
e.g. emoji or a bare handle) is read as English: VADER reads emoji and
punctuation, which carry no language.

English:
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

import json
import math
import re
from dataclasses import dataclass
from importlib import resources

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's authors' recommended cut-offs on the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

# A question with no complaint cue asks for information; the courtesy around
# it ("thanks", "would love to know") counts for half. Chosen, not fitted.
QUESTION_DAMPING = 0.5

# VADER's normalisation constant: compound = s / sqrt(s^2 + ALPHA).
_ALPHA = 15.0

# Lexicon entries that, addressed to a company, are requests or names rather
# than feelings ("please help, my bag is lost"; "@united").
_LEXICON_OVERRIDES = {
    "please": 0.0,
    "help": 0.0,
    "united": 0.0,
    "joke": -1.2,  # "what a joke" far more often than a told joke
    # Acknowledgements in a support exchange, not approval ("ok, sent it").
    "yes": 0.0,
    "ok": 0.0,
    "okay": 0.0,
    "sure": 0.0,
}

# Handles and links carry no sentiment, and handles can collide with lexicon
# words (@united scores +1.8 in plain VADER).
_STRIP = re.compile(r"@\w+|https?://\S+")
# VADER splits on whitespace only, so "child.Ridiculous!" would be one unknown
# token; put a space after sentence punctuation glued to the next word.
_GLUED = re.compile(r"([.!?,;:])(?=[A-Za-z])")

_BAG = r"(?:bags?|luggage|baggage|suitcases?|stroller|car ?seat)"
_NEG_AUX = (
    r"(?:not|never|no|isn'?t|wasn'?t|aren'?t|weren'?t|doesn'?t|didn'?t|don'?t|won'?t|"
    r"wouldn'?t|can'?t|cannot|couldn'?t|haven'?t|hasn'?t|unable to)"
)
_NUM = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|a few|few)"

# (weight in VADER valence units, pattern) on lower-cased text with handles
# and links removed. A typical strong VADER word is about 2 to 3. A leading
# \b is checked by hand (see _Cue) because it defeats the regex engine's
# literal-prefix scan (up to ten times slower per pattern); for the same reason
# a leading (?#count) means "a count right before it" ("3 calls", "two days"),
# checked only where the unit word occurs.
_CUES: tuple[tuple[float, str], ...] = (
    # Delays and disruption.
    (1.6, r"\bdelay(?:ed|s|ing)?\b"),
    (1.6, r"\blate\b"),
    (1.6, r"\bcancel"),
    (1.8, r"\b(?:stranded|stuck)\b"),
    (1.4, r"\b(?:divert(?:ed)?|tarmac)\b"),
    (1.6, r"\bmiss(?:ed|ing)? (?:my |our |the |a )?(?:connect\w*|flight|meeting|wedding|funeral)"),
    (1.2, r"\b(?:overbook\w*|bumped\b|over ?sold\b)"),
    # Waiting and being ignored.
    (1.6, r"\b(?:on hold|hold (?:time|music))\b"),
    (1.4, r"\b(?:still|been|keep|kept|stop|spent \w+) (?:waiting|sitting|standing|calling|trying)\b"),
    (1.0, r"\b(?:waiting|wait time|in line|queue)\b"),
    (1.4, r"\b(?:hung up\b|hangs? up\b|hanging up\b|disconnect\w*|busy signal\b)"),
    (1.6, r"\bcan'?t get (?:through|a hold|anyone|an answer)\b"),
    (1.4, r"\b(?:no (?:one|body|answer|response|reply|help|call ?back|updates?|info\w*|communication|explanation|"
          r"apology|compensation|assistance|options?|way)|nobody)\b"),
    (1.2, r"\bnever (?:got|received|heard|responded|answered|arrived|showed|came|called|replied|again)\b"),
    (1.0, r"\bstill (?:no|not|nothing|haven'?t|hasn'?t|waiting|on hold|stuck|sitting|here|don'?t|can'?t)\b"),
    (1.0, r"\b(?:yet again\b|again[?!]|once again\b)"),
    # Counts of time or attempts: people count what they endured.
    (1.4, r"(?#count)(?:hours?|hrs?)\b"),
    (1.4, r"\b(?:(?:for|took|takes|taking|after|over|spent|wasted|waited|hours and) hours|"
          r"(?:over|more than|almost|nearly|for|another|an extra|waited|wasted) (?:an?|one) (?:hour|hr))\b"),
    (0.8, r"(?#count)(?:min(?:ute)?s?)\b"),
    (1.0, r"(?#count)(?:days?|times|calls|attempts|tries)\b"),
    # Bags.
    (1.6, rf"\b(?:lost|missing|damaged|broken|delayed|destroyed|ripped)\b[\w ]{{0,20}}\b{_BAG}"),
    (1.6, rf"\b{_BAG}\b[\w ]{{0,30}}\b(?:lost|missing|damaged|broken|never|still|didn'?t|not|isn'?t)\b"),
    (1.6, rf"\bwhere(?:'s| is| are) (?:my|our) {_BAG}"),
    # Money.
    (1.2, r"\b(?:refund\w*|reimburs\w*|compensat\w*|money back\b)"),
    (1.0, r"\b(?:charg(?:e|ed|es|ing)\b|fees?\b|overcharg\w*)"),
    # Staff and service.
    (1.8, r"\b(?:rude\w*|unhelpful\b|unprofessional\b|incompeten\w*|ignor(?:ed|ing)\b|clueless\b)"),
    (1.6, r"\b(?:worst|never again|never (?:fly|flying|book|booking|use|using)|last time)\b"),
    (1.4, r"\b(?:fed up|sick of|tired of|done with|switch(?:ing)? to|what a joke|so much for|i'?m (?:so )?done)\b"),
    # Sarcastic thanks must outweigh the +1.9 VADER gives "thanks".
    (3.0, r"\b(?:thanks? (?:you )?(?:for nothing|a lot for nothing)|good luck with that)\b"),
    (1.4, r"\b(?:rip ?-?off\b|nightmare\b|hassle\b|bummed\b|disgrace\w*|insult\w*|unrealistic\b|"
          r"nonsense\b|garbage\b|trash\b|bs\b)"),
    (0.8, r"\b(?:issues?\b|rebook\w*|re-?rout\w*|vouchers?\b|claim\b|get me (?:out|home)\b|"
          r"any (?:update|news|word)\b|options\b)"),
    (1.4, r"\b(?:smh\b|ugh+\b|wtf\b|seriously\b|fail\w*|sucks?\b|pathetic\b|absurd\b|unreal\b)"),
    (0.8, r"\b(?:customer (?:service|care|support|relations)\b|complain\w*)"),
    (1.4, r"\b(?:attitude|disrespect\w*|lie[ds]?|lying|liars?|unwilling|stubborn|impossible|left behind|"
          r"lack of|treated like)\b"),
    # Telling the company what it should have done, or that they will leave.
    (1.2, r"\b(?:(?:do|be|get|make it) better|you (?:should|need to|must|better)|wish (?:you|there|they)|"
          r"(?:another|other|different) (?:airline|carrier|company|provider))\b"),
    (1.2, r"\bonly (?:\d+|one|two|three) (?:\w+ )?(?:agents?|staff|employees?|reps?|people working|desks?)\b"),
    # Things that do not work.
    (1.2, rf"\b{_NEG_AUX} (?:\w+ )?(?:work\w*|load\w*|let\w*|allow\w*|get|find|reach|answer\w*|respond\w*|"
          r"help\w*|fix\w*|honou?r\w*|accept\w*|go through|show\w*|receive\w*|arrive\w*|board\w*|fly|make it)\b"),
    (1.2, r"\b(?:not working\b|broken\b|glitch\w*|error\b|crash\w*|(?:is|are|was|were|went|been) down\b)"),
    (0.6, rf"\b{_NEG_AUX}\b"),
    # Complaint-shaped questions and exasperated punctuation.
    (1.2, r"\bwhy (?:is|are|do|does|did|would|won'?t|can'?t|isn'?t|aren'?t|hasn'?t|haven'?t|was|were)\b"),
    (1.2, r"\b(?:how (?:long|much longer|come|hard|many more|is it possible)|what(?:'s| is) (?:going on|"
          r"the (?:deal|hold ?up|problem|issue))|what happened)\b"),
    (0.8, r"\?\?|\?!|!\?"),
    (1.4, r"\b(?:kidding me|(?:are|r) (?:you|u) (?:kidding|serious|joking))\b"),
    # Emoji VADER reads as neutral descriptions ("thumbs down", "pouting face").
    (1.4, "[\U0001F44E\U0001F621\U0001F624\U0001F620\U0001F92C\U0001F612\U0001F644\U0001F629\U0001F62B\U0001F4A9\U0001F614\U0001F61E\U0001F622\U0001F62D\u2639]"),
    (0.8, r"#\w*(?:fail|suck|worst|fml|disappoint|angry|ugh|bad|never|nothappy|unacceptable|frustrat|delay|"
          r"cancel|stuck|stranded|lost|rude|shame|boycott|not\w)"),
)


_COUNT = "(?#count)"
_COUNT_BEFORE = re.compile(rf"(?<!\w){_NUM}\+? ?$")


class _Cue:
    """One complaint pattern; a leading \b (a word starts here; a digit
    counts as a boundary, for "2hrs") or (?#count) (a count precedes) is
    verified by hand, not by re."""

    __slots__ = ("weight", "regex", "anchor")

    def __init__(self, weight: float, pattern: str) -> None:
        self.weight = weight
        self.anchor = next((a for a in (r"\b", _COUNT) if pattern.startswith(a)), "")
        self.regex = re.compile(pattern[len(self.anchor):])

    def found(self, text: str) -> bool:
        return self.found_at(text, self.regex.search(text))

    def found_at(self, text: str, m) -> bool:
        """``found``, given the regex's first match ``m`` (or None)."""
        if not self.anchor:
            return m is not None
        while m is not None:
            i = m.start()
            if self.anchor == _COUNT:
                if _COUNT_BEFORE.search(text, max(0, i - 30), i):
                    return True
            elif i == 0 or not text[i - 1].isalpha() and text[i - 1] != "_":
                return True
            m = self.regex.search(text, i + 1)
        return False


_COMPILED = tuple(_Cue(w, p) for w, p in _CUES)
# Most texts are plain ASCII; skip the cues that need other characters.
_ASCII_CUES = tuple(c for c in _COMPILED if c.regex.pattern.isascii())

# A complaint word right after a negator is the absence of the complaint;
# a refund received or a bag found is the complaint resolved; "can't wait"
# is eagerness.
_RELIEF = re.compile(
    r"\b(?:(?:no|zero|without|never|not|wasn'?t|weren'?t|isn'?t|didn'?t|hasn'?t|haven'?t)"
    r"(?: (?:any|a|been|get|got|had|have|ever|even|single|further|more))* "
    r"(?:delay\w*|late|cancel\w*|problems?|issues?|hassle|trouble|complaints?|wait\w*|lines?|queues?|"
    r"lost|stuck|stranded|rude)"
    r"|can'?t wait"
    r"|(?:got|received|issued|processed) (?:my |our |the |a |full )?refund"
    rf"|(?:found|delivered|returned) (?:my |our |the )?{_BAG}|{_BAG} (?:arrived|was found|were found|made it))\b"
)
_RELIEF_ANY_CASE = re.compile(_RELIEF.pattern, re.IGNORECASE)
# Valence of the good news, about VADER's "fine" (0.8) to "good" (1.9).
RELIEF_WEIGHT = 1.5

# One cue from each of many categories is strong evidence, but the sum is
# capped so that a long rant does not swamp real praise in the same text.
_MAX_PENALTY = 6.0


@dataclass(frozen=True)
class Sentiment:
    compound: float
    label: str  # negative | neutral | positive | unknown


LABELS = ("negative", "neutral", "positive", "unknown")
UNKNOWN = Sentiment(0.0, "unknown")


def label_for(compound: float) -> str:
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def complaint_weight(text: str) -> float:
    """Summed weight of the complaint cues in text (0 when none), capped,
    less RELIEF_WEIGHT for each "no delays"-like phrase."""
    _, low, relief = _prepare(text)
    return _weight(low) - RELIEF_WEIGHT * relief


def _prepare(text: str) -> tuple[str, str, int]:
    """(text for VADER, lower-cased text for the cues, relief phrases)."""
    text = _STRIP.sub(" ", text)
    low = text.lower()
    relief = 0
    if _RELIEF.search(low):
        # "no delays", "never had a problem": good news, not a complaint.
        # Blank the phrase for both, else VADER scores "no" and "delays" as
        # negative and the cues fire on "delays".
        low, relief = _RELIEF.subn(" ", low)
        text = _RELIEF_ANY_CASE.sub(" ", text)
    return _GLUED.sub(r"\1 ", text), low, relief


def _weight(low: str) -> float:
    total = 0.0
    for cue in _ASCII_CUES if low.isascii() else _COMPILED:
        # Most cues do not occur in a text: search inline and call into the
        # cue's anchor check only on a match (saves a call per cue, ~1/4 of this).
        m = cue.regex.search(low)
        if m is not None and cue.found_at(low, m):
            total += cue.weight
    return min(total, _MAX_PENALTY)


def combine(vader_compound: float, penalty: float, question: bool = False) -> float:
    """Shift VADER's compound by penalty on its own (un-normalised) scale;
    damp the positive part of a complaint-free question."""
    c = max(-0.9999, min(0.9999, vader_compound))
    raw = c * math.sqrt(_ALPHA / (1.0 - c * c))
    if question and penalty == 0.0 and raw > 0.0:
        raw *= QUESTION_DAMPING
    raw -= penalty
    return round(raw / math.sqrt(raw * raw + _ALPHA), 4)


# Words (with an elided "n'", "l'" kept whole) and the punctuation that ends a
# negation's reach ("Keine Entschuldigung, nichts. Armselig": the "nichts"
# does not reach "Armselig").
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|[.,;:!?¡¿]")
_STOPS = frozenset(".,;:!?¡¿")


class Lexicon:
    """A word lexicon with negation, intensifiers and "but", in VADER's manner,
    plus weighted complaint phrases, for one language.

    Written by us (``data/lexicons.json``; no published lexicon copied). The
    rules hold for any brand because they read how people complain (counts of
    hours and days endured, "no answer", "still", "where is my", "why does",
    "again", "does not work"), not what they complain about.
    """

    NEGATION = -0.74  # VADER's scalar for a negated word
    SCOPE = 3  # a negator reaches this many words ahead

    def __init__(self, spec: dict, emoji: dict) -> None:
        words = spec["words"]
        self.exact = {k: v for k, v in words.items() if not k.endswith("*") and " " not in k}
        self.prefix = {k[:-1]: v for k, v in words.items() if k.endswith("*")}
        self.longest = max((len(k) for k in self.prefix), default=0)
        multi = [(v, r"\b" + re.escape(k) + r"\b") for k, v in words.items() if " " in k]
        # Phrase weights are complaint weights (positive numbers subtract).
        self.phrases = [(-w, re.compile(p)) for w, p in spec["phrases"]] + [(v, re.compile(p)) for v, p in multi]
        self.negators = set(spec["negators"])
        self.intensifiers = spec["intensifiers"]
        self.but = {b for b in spec["but"] if " " not in b}
        self.emoji = emoji

    def valence(self, word: str) -> float:
        v = self.exact.get(word)
        if v is not None:
            return v
        for n in range(min(len(word), self.longest), 2, -1):
            v = self.prefix.get(word[:n])
            if v is not None:
                return v
        return 0.0

    def raw(self, text: str) -> float:
        """Summed valence (unnormalised, VADER's scale) of a lower-cased text."""
        tokens = _TOKEN.findall(text)
        vals = []
        negated_until = -1
        for i, tok in enumerate(tokens):
            if tok in _STOPS:
                negated_until = -1
                vals.append(0.0)
                continue
            if tok in self.negators:
                negated_until = i + self.SCOPE
            v = self.valence(tok)
            if v:
                if i and tokens[i - 1] in self.intensifiers:
                    v += math.copysign(self.intensifiers[tokens[i - 1]], v)
                if i <= negated_until and tok not in self.negators:
                    # "not good" is bad; "no compensation" or "not bad" is
                    # not praise: a negated negative word counts for nothing.
                    v = v * self.NEGATION if v > 0 else 0.0
            vals.append(v)
        cut = next((i for i, t in enumerate(tokens) if t in self.but), None)
        if cut is not None:
            vals = [v * 0.5 for v in vals[:cut]] + [v * 1.5 for v in vals[cut:]]
        total = sum(vals)
        total += sum(w for w, rx in self.phrases if rx.search(text))
        total += sum(v for ch, v in self.emoji.items() if ch in text)
        if "!" in text and total:
            total += math.copysign(min(text.count("!"), 4) * 0.29, total)  # VADER's emphasis
        return total

    def score(self, text: str) -> Sentiment:
        raw = self.raw(_STRIP.sub(" ", text).lower())
        compound = round(raw / math.sqrt(raw * raw + _ALPHA), 4)
        return Sentiment(compound, label_for(compound))


def load_lexicons() -> dict[str, Lexicon]:
    data = json.loads(resources.files(__package__).joinpath("data/lexicons.json").read_text(encoding="utf-8"))
    return {code: Lexicon(spec, data["emoji"]) for code, spec in data["languages"].items()}


class Scorer:
    """Holds one VADER analyzer (building it reads the lexicon, ~25 ms) and
    our lexicons for the other languages."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(_LEXICON_OVERRIDES)
        self._lexicons = load_lexicons()

    @property
    def languages(self) -> tuple[str, ...]:
        """The ISO 639-1 codes read; any other gives ``unknown``."""
        return ("en", *self._lexicons)

    def score(self, text: str, lang: str | None = None) -> Sentiment:
        """``lang`` None (undetermined) is read as English; a code we have no
        lexicon for gives UNKNOWN."""
        if lang is not None and lang != "en":
            lexicon = self._lexicons.get(lang)
            return lexicon.score(text or "") if lexicon is not None else UNKNOWN
        vader_text, low, relief = _prepare(text or "")
        base = self._vader.polarity_scores(vader_text)["compound"]
        penalty = _weight(low) - RELIEF_WEIGHT * relief
        compound = combine(base, penalty, "?" in low)
        return Sentiment(compound, label_for(compound))

    def score_many(self, texts, langs=None) -> list[Sentiment]:
        score = self.score
        if langs is None:
            return [score(t) for t in texts]
        return [score(t, lang) for t, lang in zip(texts, langs, strict=True)]


_default: Scorer | None = None


def score(text: str, lang: str | None = None) -> Sentiment:
    global _default
    if _default is None:
        _default = Scorer()
    return _default.score(text, lang)
