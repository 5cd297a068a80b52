"""Sentiment in Dutch, French, German and Spanish (our lexicons), and
``unknown`` for a language we cannot read.

Data: tests/data/sentiment/{nl,fr,de,es}.tsv (100 posts each) and
*_heldout.tsv (40 each), labelled posts to brands written by us for this
project, not real posts. The lexicons were adjusted while reading the first
set's errors (it is a development set); the held-out set was written after
they were frozen and never used to change them: its figures are the fair
ones (README, "Sentiment")."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.listening.sentiment import UNKNOWN, Scorer

DATA = Path(__file__).resolve().parents[1] / "data" / "sentiment"
LANGS = ("nl", "fr", "de", "es")


@pytest.fixture(scope="module")
def scorer():
    return Scorer()


def load(name: str) -> tuple[list[str], list[str]]:
    gold, texts = [], []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            gold.append(label)
            texts.append(text)
    return gold, texts


def negative_f1(gold, pred) -> float:
    tp = sum(g == p == "negative" for g, p in zip(gold, pred, strict=True))
    if not tp:
        return 0.0
    precision, recall = tp / pred.count("negative"), tp / gold.count("negative")
    return 2 * precision * recall / (precision + recall)


CASES = {
    "nl": [("Al 45 minuten in de wacht bij de klantenservice", "negative"),
           ("Waar blijft mijn pakket? Nog steeds geen bericht", "negative"),
           ("Het is niet goed geregeld", "negative"),
           ("Super geholpen door de chat, dankjewel!", "positive"),
           ("Hoe laat gaat de laatste trein naar Den Haag?", "neutral")],
    "fr": [("Vol annulé et toujours aucune réponse du service client", "negative"),
           ("Je ne suis pas content du tout", "negative"),
           ("Le wifi ne marche jamais, c'est pénible", "negative"),
           ("Merci pour votre réponse rapide et efficace", "positive"),
           ("Demain je prends le vol de 7h pour Nice", "neutral")],
    "de": [("Seit vier Tagen keine Antwort, wo ist mein Koffer?", "negative"),
           ("Die App funktioniert seit dem Update nicht mehr", "negative"),
           ("Der Service war nicht gut", "negative"),
           ("Vielen Dank, sehr freundlicher Service", "positive"),
           ("Wann fährt der letzte Zug nach Köln?", "neutral")],
    "es": [("Llevo dos horas en espera y nadie contesta", "negative"),
           ("El wifi del tren nunca funciona", "negative"),
           ("No estoy nada satisfecho", "negative"),
           ("Muchas gracias, muy amables", "positive"),
           ("¿A qué hora sale el último tren a Valencia?", "neutral")],
}


@pytest.mark.parametrize("lang,text,label", [(lang, t, lab) for lang, cs in CASES.items() for t, lab in cs])
def test_real_looking_posts(scorer, lang, text, label):
    assert scorer.score(text, lang).label == label


@pytest.mark.parametrize("lang", LANGS)
def test_the_english_reading_gets_these_wrong(scorer, lang):
    """Why the lexicons exist: read as English, most non-English complaints
    are not negative."""
    gold, texts = load(lang)
    as_english = [scorer.score(t, "en").label for t, g in zip(texts, gold, strict=True) if g == "negative"]
    assert as_english.count("negative") < len(as_english) / 2


def test_negation_stops_at_punctuation(scorer):
    # "nichts" must not reach "Armselig" across the full stop
    assert scorer.score("Keine Entschuldigung, nichts. Armselig", "de").label == "negative"


def test_a_negated_complaint_word_is_not_praise(scorer):
    # "no compensation" is not good news; "not good" is bad
    assert scorer.score("Geen excuses, geen compensatie", "nl").compound <= 0.0
    assert scorer.score("pas bon", "fr").label == "negative"


@pytest.mark.parametrize("lang", [None, "en"])
def test_english_and_undetermined_keep_the_english_reading(scorer, lang):
    assert scorer.score("on hold for 2 hours and still no answer", lang).label == "negative"


@pytest.mark.parametrize("lang", ["pl", "ja", "xx"])
def test_a_language_without_a_lexicon_is_unknown(scorer, lang):
    assert scorer.score("Mój lot został odwołany", lang) == UNKNOWN
    assert "pl" not in scorer.languages and "fr" in scorer.languages


@pytest.mark.parametrize("lang", LANGS)
def test_development_set(scorer, lang):
    gold, texts = load(lang)
    assert len(gold) == 100
    pred = [scorer.score(t, lang).label for t in texts]
    assert negative_f1(gold, pred) >= 0.95


# Floors a little under the measured held-out figures (negative-F1 nl 0.76,
# fr 0.65, de 0.65, es 0.62): a guard against regressions, not a target.
@pytest.mark.parametrize("lang,floor", [("nl", 0.7), ("fr", 0.6), ("de", 0.6), ("es", 0.55)])
def test_held_out_set(scorer, lang, floor):
    gold, texts = load(f"{lang}_heldout")
    assert len(gold) == 40
    pred = [scorer.score(t, lang).label for t in texts]
    assert negative_f1(gold, pred) >= floor
    flagged = [g for p, g in zip(pred, gold, strict=True) if p == "negative"]
    assert flagged.count("negative") / len(flagged) >= 0.85  # measured 0.91 to 1.00: few false alarms
