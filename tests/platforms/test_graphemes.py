"""Reply limits count extended grapheme clusters (UAX #29), as Bluesky does."""

import pytest

from warroom.platforms.connector import Limit, graphemes

CASES = [
    ("plain ASCII", "hello", 5),
    ("combining acute, decomposed", "e\u0301te\u0301", 3),
    ("stacked combining marks", "a\u0301\u0323\u0308", 1),
    ("ZWJ family", "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", 1),
    ("skin tone modifier", "\U0001f44d\U0001f3fd", 1),
    ("ZWJ with skin tones", "\U0001f9d1\U0001f3fb\u200d\U0001f91d\u200d\U0001f9d1\U0001f3ff", 1),
    ("two flags", "\U0001f1f3\U0001f1f1\U0001f1eb\U0001f1f7", 2),
    ("odd regional indicator", "\U0001f1f3\U0001f1f1\U0001f1eb", 2),
    ("England: an emoji tag sequence", "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 1),
    ("rainbow flag", "\U0001f3f3\ufe0f\u200d\U0001f308", 1),
    ("keycap", "1\ufe0f\u20e3", 1),
    ("Hangul syllable from conjoining jamo", "\u1100\u1161\u11a8", 1),
    ("Devanagari spacing vowel sign", "\u0915\u093f", 1),
    ("Thai sara am", "\u0e01\u0e33", 1),
    ("CRLF is one", "a\r\nb", 3),
    ("a mark with no base", "\u0301x", 2),
]


@pytest.mark.parametrize("name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_graphemes_are_extended_clusters(name, text, expected):
    assert graphemes(text) == expected


def test_limit_measures_graphemes_for_bluesky():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    limit = Limit(300, "graphemes")
    assert limit.over_by(family * 300) == 0
    assert limit.over_by(family * 301) == 1
    assert Limit(300).over_by(family * 300) == len(family * 300) - 300  # characters: code points
