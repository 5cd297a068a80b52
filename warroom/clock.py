"""UTC timestamps as ISO-8601 text with a trailing Z (sortable as text)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """2026-11-22T23:08:40.123Z; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    # Formatted by hand: strftime("%Y") does not zero-pad years before 1000
    # on glibc, which would break sorting as text and parsing back.
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
            f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z")


class OutsideCalendar(ValueError):
    """A timestamp that parses but has no UTC time Python can hold."""


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601 (Z or offset; naive taken as UTC) into an aware UTC datetime.

    Raises ValueError with the text in the message when it is not a timestamp.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}")
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:30+01:00 falls in year 0
        raise OutsideCalendar(f"outside the calendar once in UTC: {text!r}") from None
