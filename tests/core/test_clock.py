from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.clock import iso, parse_iso


@pytest.mark.parametrize("dt", [
    datetime(2026, 3, 29, 1, 2, 3, 456789, tzinfo=UTC),
    datetime(384, 8, 7, 12, 47, tzinfo=UTC),      # found by the API fuzz test
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC),
])
def test_iso_round_trips_and_sorts_as_text(dt):
    text = iso(dt)
    assert len(text) == 24 and text.endswith("Z")
    assert parse_iso(text) == dt.replace(microsecond=dt.microsecond // 1000 * 1000)
    assert iso(dt) < iso(dt + timedelta(seconds=1))


def test_offsets_and_naive_times_become_utc():
    assert iso(datetime(2026, 3, 29, 3, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-03-29T01:00:00.000Z"
    assert iso(datetime(2026, 3, 29, 3, 0)) == "2026-03-29T03:00:00.000Z"
    assert parse_iso("2026-03-29T03:00:00+02:00") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_iso("384-08-07T12:47::00.000Z")


def test_a_timestamp_with_no_utc_time_is_a_value_error_not_an_overflow():
    import pytest

    from warroom.clock import OutsideCalendar, parse_iso

    with pytest.raises(OutsideCalendar):  # a ValueError, as callers expect
        parse_iso("0001-01-01T00:30:00+01:00")  # in UTC this is in year 0
    with pytest.raises(ValueError):
        parse_iso("9999-12-31T23:30:00-01:00")  # and this in year 10000
    assert parse_iso("0001-01-01T01:30:00+01:00").year == 1
