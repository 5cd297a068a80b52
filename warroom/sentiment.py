"""Sentiment of a mention: VADER's compound score and a three-way label.

Pure Python, no web or I/O: the ingestion path calls it per mention.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's authors' recommended cut-offs on the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


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


class Scorer:
    """Holds one analyzer: building it reads the lexicon (~25 ms)."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> Sentiment:
        compound = self._vader.polarity_scores(text or "")["compound"]
        return Sentiment(compound, label_for(compound))

    def score_many(self, texts) -> list[Sentiment]:
        return [self.score(t) for t in texts]


_default: Scorer | None = None


def score(text: str) -> Sentiment:
    global _default
    if _default is None:
        _default = Scorer()
    return _default.score(text)
