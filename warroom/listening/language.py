"""The language of a mention: the platform's tag when it is sane, else detected.

Detection uses lingua (``lingua-language-detector``), whose n-gram models
ship inside the wheel: nothing is downloaded. The detector is built once per
process, lazily and under a lock (building it loads the models), for a fixed
set of languages: the ones brands in Europe and the Americas are talked
about in most. Restricting the set is what keeps lingua fast and accurate on
short posts; a post in a language outside the set gets one of the set's
codes or ``None`` (it is then scored as English would be, or called
``unknown`` by sentiment when its code has no lexicon). Low-accuracy mode
looks at trigrams only, several times faster, and for tweet-length text it
loses little: posts are short, so the long n-grams of high-accuracy mode
rarely have much to add over the set of ten.

A platform's ``lang`` (Twitter's and Mastodon's BCP 47 tags) is kept when it
is a well-formed primary subtag (``en``, ``pt-BR`` -> ``pt``); ``und``, ``zxx``
(no linguistic content) and malformed values are replaced by detection.
Before lingua, one cheap rule: a text with at least ``ENGLISH_AT`` distinct
words of ``ENGLISH_ONLY`` (English function words: "the", "you", "with",
"what", "because"...) is English. Each of those words is a word of no other
language in LANGUAGES (so "is", "in", "was", "will", "my", "for", "of", "to"
and "have" are left out: Dutch, German, Polish or Danish use them), and
three distinct ones in one post is English syntax, not a loanword or a
quoted slogan; about half of English tweets pass it and skip lingua (about
150 us of CPU a text here). Measured on 22,302 real posts (the 14,640
airline tweets and CrisisLex's seven 2012 crises, in English, Spanish,
Italian and Tagalog-English), the rule decided 8,550 and disagreed with
lingua's high-accuracy mode on 4, each of them English by reading ("check in
at St. Louis is so rude, even the TSA is nicer than them": Swedish to
lingua); it took none of our Dutch, French, German and Spanish posts. With
two words instead of three it misread Spanish posts that end or start in
English ("... sacudió Costa Rica, are you ok omg").

Rules hold for any brand: nothing here looks at what the post is about.
"""

from __future__ import annotations

import functools
import re
import threading

from . import minhash

# ISO 639-1 codes detected; the order is irrelevant.
LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "da", "sv", "pl", "tr")

# Below this low-accuracy confidence the text is detected again in high-accuracy mode.
CONFIDENT = 0.6

# Fewer letters than this leave lingua guessing; the text is then undetermined.
MIN_LETTERS = 3

# English function words that are not a word of any other language in
# LANGUAGES (checked against each: "is" is Dutch, "was" and "will" German,
# "my" and "to" Polish, "have" and "for" Danish, "me" Spanish: all left out).
ENGLISH_ONLY = frozenset(
    "the and you your with this that are not what why how been would could should they their them there"
    " our get got when from about were does did any some because than then which who his she only never"
    " again now very out if it has be up".split())
# Distinct ENGLISH_ONLY words that make a text English without asking lingua.
ENGLISH_AT = 3

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# BCP 47's "undetermined", "no linguistic content", "multiple" and "uncoded".
_NOT_A_LANGUAGE = {"und", "zxx", "mul", "mis", "qam", "qht", "qme", "qst"}

_lock = threading.Lock()
_detectors: tuple | None = None


def platform_lang(tag: str | None) -> str | None:
    """The primary language subtag of a platform's tag, lower-cased, or None
    when the tag says nothing (absent, undetermined, malformed)."""
    if not tag:
        return None
    m = _TAG.match(tag.strip())
    if not m:
        return None
    code = m.group(1).lower()
    return None if code in _NOT_A_LANGUAGE else code


def detectors() -> tuple:
    """The process's (low-accuracy, high-accuracy) lingua detectors, built on
    first use (their models load lazily, per language, on first need)."""
    global _detectors
    if _detectors is None:
        with _lock:
            if _detectors is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [IsoCode639_1.from_str(c) for c in LANGUAGES]
                _detectors = (LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build(),
                              LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build())
    return _detectors


def warm() -> None:
    """Build the detectors and load both modes' models now (about 2 s of CPU;
    a process holding them measured 359 MB RSS), not in the first batch that
    needs them."""
    for detector in detectors():
        detector.detect_language_of("the models load on first use")


def detect(text: str | None) -> str | None:
    """ISO 639-1 code of text's language among LANGUAGES, or None when it has
    too few letters to tell (handles, links and hashtags' # do not count)."""
    if not text:
        return None
    # A storm is mostly copies (retweets, pasted campaign texts) that differ in
    # handles, links, case and punctuation, none of which tells a language:
    # the detector reads the words only (minhash.normalise), so each distinct
    # wording is detected once.
    return detect_words(minhash.normalise(text))


def looks_english(words: str) -> bool:
    """The function-word rule (module docstring) on a normalised text."""
    return len(ENGLISH_ONLY.intersection(words.split())) >= ENGLISH_AT


@functools.lru_cache(maxsize=8192)
def detect_words(body: str) -> str | None:
    """``detect`` of a text ``minhash.normalise`` already made (ingest
    normalises once for clustering and language)."""
    if sum(ch.isalpha() for ch in body) < MIN_LETTERS:
        return None
    if looks_english(body):
        return "en"
    low, high = detectors()
    values = low.compute_language_confidence_values(body)
    if not values:
        return None
    found = values[0].language if values[0].value >= CONFIDENT else high.detect_language_of(body)
    return found.iso_code_639_1.name.lower() if found is not None else None


def resolve(tag: str | None, text: str | None) -> str | None:
    """The language stored for a mention: the platform's, else detected."""
    return platform_lang(tag) or detect(text)
