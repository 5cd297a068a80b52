"""The edge checks every entry point shares (warroom/validate.py), pure."""

from datetime import UTC, datetime

import pytest

from warroom import validate


def test_integers_fit_sqlite_and_bool_or_float_is_not_one():
    assert validate.integer(2**63 - 1, "n") == 2**63 - 1
    assert validate.integer(-(2**63), "n") == -(2**63)
    assert validate.integer(" 42 ", "n", from_text=True) == 42
    for bad in (2**63, -(2**63) - 1, True, 1.0, "42", None, [1]):
        with pytest.raises(validate.Invalid) as info:
            validate.integer(bad, "n")
        assert info.value.field == "n"
    for bad in ("²", "١٢", "1_000", "9" * 20, "", "0x10"):
        with pytest.raises(validate.Invalid):
            validate.integer(bad, "n", from_text=True)
    with pytest.raises(validate.Invalid):
        validate.integer(-1, "n", low=0)


def test_text_is_valid_unicode_within_its_length():
    assert validate.text("café 🚀", "t", max_len=6) == "café 🚀"
    for bad in ("\ud800", "ok\udfff", 5, None):
        with pytest.raises(validate.Invalid):
            validate.text(bad, "t")
    with pytest.raises(validate.Invalid):
        validate.text("abc", "t", max_len=2)


def test_timestamps_are_utc_and_within_the_storable_years():
    assert validate.timestamp("2026-03-29T11:00:00+02:00", "ts") == datetime(2026, 3, 29, 9, tzinfo=UTC)
    assert validate.timestamp("2026-03-29T09:00:00", "ts") == datetime(2026, 3, 29, 9, tzinfo=UTC)
    assert validate.timestamp("1970-01-01T00:00:00Z", "ts") == validate.TS_MIN
    for bad in ("0001-01-01T00:30:00+01:00", "0001-01-01T01:30:00+01:00", "1969-12-31T23:59:59Z",
                "9999-12-31T23:30:00-01:00", "9999-01-01T00:00:00Z", "1970-01-01T00:30:00+01:00",
                "yesterday", "", 1700000000, "2026-03-29T09:00:00\ud800"):
        with pytest.raises(validate.Invalid) as info:
            validate.timestamp(bad, "ts")
        assert info.value.field == "ts", bad


def test_json_depth_surrogates_constants_and_digits():
    assert validate.loads('{"a": [1, {"b": "x"}]}') == {"a": [1, {"b": "x"}]}
    ok = "[" * validate.MAX_DEPTH + "]" * validate.MAX_DEPTH
    assert validate.loads(ok)
    cases = {
        "[" * (validate.MAX_DEPTH + 1) + "]" * (validate.MAX_DEPTH + 1): "body",
        "[" * 100_000 + "]" * 100_000: "body",
        '{"note": "\\ud800"}': "note",
        '{"\\ud800": 1}': "body",
        '{"": "\\ud800"}': "body",  # found by the Slack fuzz: an empty key named no field
        '{"x": NaN}': "body",
        '{"x": ' + "9" * 5000 + "}": "body",
        "{": "body",
    }
    for raw, field in cases.items():
        with pytest.raises(validate.Invalid) as info:
            validate.loads(raw)
        assert info.value.field == field, raw[:30]
    assert validate.loads('{"t": "\\ud800"}', unicode=False) == {"t": "\ud800"}
    with pytest.raises(validate.Invalid) as info:
        validate.loads('{"a": 1}\n{"b": 2}')
    assert info.value.reason == "Extra data"
