"""The standing on-call rotation of duty leads, outside any war room.

People take turns of ``rotation_days`` days, handing off at ``handoff``
local time in ``timezone`` (so a turn starts at 09:00 in Amsterdam in
winter and in summer alike; in UTC it moves by an hour). ``start`` is the
date the first person's turn begins. Overrides (holidays, sickness) give a
stretch of time to someone else. Configured in ``[oncall]`` of config.toml
(people as a comma-separated string) or in the TOML file ``[oncall] file``
names, which may also hold ``[[overrides]]``:

    people = ["dana", "eli", "fay"]
    handoff = "09:00"
    rotation_days = 7
    timezone = "Europe/Amsterdam"
    start = 2026-01-05
    [[overrides]]
    user = "eli"
    from = 2026-12-24          # a date: from the hand-off time that day
    to = 2026-12-27            # or a local datetime 2026-12-27T18:00:00
    reason = "Christmas"

``turn_at`` and ``turns`` are pure; ``on_call`` resolves the name to a user.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import accounts, events
from ..accounts import User
from ..clock import iso
from ..config import ConfigError
from ..db import Database, transaction


@dataclass(frozen=True)
class Override:
    user: str
    starts: datetime  # UTC
    ends: datetime    # UTC
    reason: str


@dataclass(frozen=True)
class Rotation:
    people: tuple[str, ...]
    handoff: time
    days: int
    tz: str
    start: date
    overrides: tuple[Override, ...] = ()
    source: str = "config"


@dataclass(frozen=True)
class Turn:
    user: str
    starts: datetime  # UTC
    ends: datetime    # UTC
    override: bool = False
    reason: str = ""

    def to_dict(self) -> dict:
        return {"user": self.user, "starts_at": iso(self.starts), "ends_at": iso(self.ends),
                "override": self.override, "reason": self.reason}


# -- loading --------------------------------------------------------------------------


def _line(text: str, needle: str, nth: int = 0) -> int:
    """Best-effort line of the nth line starting with ``needle`` (for messages)."""
    seen = 0
    for no, raw in enumerate(text.splitlines(), 1):
        if raw.strip().startswith(needle):
            if seen == nth:
                return no
            seen += 1
    return 0


def _handoff(value, where: str) -> time:
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    try:
        hh, mm = str(value).strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ConfigError(f"{where}: oncall.handoff must be HH:MM, got {value!r}") from None


def _local_to_utc(value, tz: ZoneInfo, handoff: time, where: str, key: str) -> datetime:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=tz)
        return aware.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, handoff, tzinfo=tz).astimezone(UTC)
    if isinstance(value, str):
        try:
            return _local_to_utc(datetime.fromisoformat(value), tz, handoff, where, key)
        except ValueError:
            try:
                return _local_to_utc(date.fromisoformat(value), tz, handoff, where, key)
            except ValueError:
                pass
    raise ConfigError(f"{where}: {key} must be a date or a datetime, got {value!r}")


def parse_rotation(data: dict, where: str = "oncall", text: str = "") -> Rotation | None:
    """A Rotation from a mapping (the [oncall] section or an oncall.toml);
    None when it names no people. Errors name ``file:line: key``."""
    def at(key: str) -> str:
        line = _line(text, key) if text else 0
        return f"{where}:{line}" if line else where

    people = data.get("people", [])
    if isinstance(people, str):
        people = [p.strip() for p in people.split(",")]
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        raise ConfigError(f"{at('people')}: oncall.people must be a list of user names")
    people = [p.strip() for p in people if p.strip()]
    if not people:
        return None
    tz_name = data.get("timezone", "UTC")
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{at('timezone')}: oncall.timezone: unknown time zone {tz_name!r}") from None
    handoff = _handoff(data.get("handoff", "09:00"), at("handoff"))
    days = data.get("rotation_days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(f"{at('rotation_days')}: oncall.rotation_days must be a whole number >= 1")
    start = data.get("start", "2026-01-05")
    if isinstance(start, datetime):
        start = start.date()
    if not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise ConfigError(f"{at('start')}: oncall.start must be a date, got {start!r}") from None
    overrides = []
    raw_overrides = data.get("overrides", [])
    if not isinstance(raw_overrides, list):
        raise ConfigError(f"{at('overrides')}: overrides must be [[overrides]] tables")
    for n, item in enumerate(raw_overrides):
        line = _line(text, "[[overrides]]", n) if text else 0
        here = f"{where}:{line}" if line else where
        if not isinstance(item, dict):
            raise ConfigError(f"{here}: each override must be a table")
        unknown = set(item) - {"user", "from", "to", "reason"}
        if unknown:
            raise ConfigError(f"{here}: unknown override key {sorted(unknown)[0]!r}")
        user = item.get("user")
        if not isinstance(user, str) or not user.strip():
            raise ConfigError(f"{here}: override needs user = \"NAME\"")
        if "from" not in item or "to" not in item:
            raise ConfigError(f"{here}: override needs from and to")
        starts = _local_to_utc(item["from"], tz, handoff, here, "from")
        ends = _local_to_utc(item["to"], tz, handoff, here, "to")
        if ends <= starts:
            raise ConfigError(f"{here}: override ends before it starts")
        overrides.append(Override(user.strip(), starts, ends, str(item.get("reason", ""))))
    return Rotation(tuple(people), handoff, days, tz.key, start, tuple(overrides), where)


def load_rotation(settings) -> Rotation | None:
    """The rotation from ``[oncall] file`` if set, else from ``[oncall]``
    itself; None when no people are configured."""
    section = getattr(settings, "oncall", None)
    if section is None:
        return None
    if section.file:
        path = Path(section.file)
        if not path.is_absolute():
            path = Path(settings.base_dir) / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read on-call file: {exc.strerror}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return parse_rotation(data, str(path), text)
    return parse_rotation({
        "people": section.people, "handoff": section.handoff,
        "rotation_days": section.rotation_days, "timezone": section.timezone,
        "start": section.start,
    }, "[oncall]")


# -- who is on call ------------------------------------------------------------------------


def _handoff_at(rotation: Rotation, day: date) -> datetime:
    return datetime.combine(day, rotation.handoff, tzinfo=ZoneInfo(rotation.tz)).astimezone(UTC)


def base_turn(rotation: Rotation, at: datetime) -> tuple[int, Turn]:
    """(turn number, turn) of the plain rotation at ``at``, ignoring overrides."""
    local_day = at.astimezone(ZoneInfo(rotation.tz)).date()
    if at < _handoff_at(rotation, local_day):
        local_day -= timedelta(days=1)
    k = (local_day - rotation.start).days // rotation.days  # floor: works before start too
    first = rotation.start + timedelta(days=k * rotation.days)
    person = rotation.people[k % len(rotation.people)]
    return k, Turn(person, _handoff_at(rotation, first),
                   _handoff_at(rotation, first + timedelta(days=rotation.days)))


def _override_at(rotation: Rotation, at: datetime) -> Override | None:
    found = None
    for o in rotation.overrides:  # the last listed wins where they overlap
        if o.starts <= at < o.ends:
            found = o
    return found


def turn_at(rotation: Rotation, at: datetime) -> Turn:
    """Who is on call at ``at`` (an override wins), with that stretch's bounds."""
    return next(iter(turns(rotation, at, at + timedelta(microseconds=1))))


def turns(rotation: Rotation, start: datetime, end: datetime) -> list[Turn]:
    """The turns overlapping [start, end), overrides cut in, in time order."""
    _, first = base_turn(rotation, start)
    points = {first.starts}
    t = first
    while t.ends < end:
        points.add(t.ends)
        _, t = base_turn(rotation, t.ends)
    points.add(t.ends)
    for o in rotation.overrides:
        if o.ends > first.starts and o.starts < t.ends:
            points.update({max(o.starts, first.starts), min(o.ends, t.ends)})
    edges = sorted(points)
    out: list[Turn] = []
    for a, b in zip(edges, edges[1:], strict=False):
        o = _override_at(rotation, a)
        if o is not None:
            piece = Turn(o.user, a, b, True, o.reason)
        else:
            piece = Turn(base_turn(rotation, a)[1].user, a, b)
        prev = out[-1] if out else None
        if prev and o is not None and prev.override and (prev.user, prev.reason) == (o.user, o.reason):
            out[-1] = Turn(prev.user, prev.starts, b, True, prev.reason)  # one override, one turn
        else:
            out.append(piece)
    return [x for x in out if x.ends > start and x.starts < end]


def on_call(db: Database, rotation: Rotation | None, now: datetime) -> User | None:
    """The user on call at ``now``; None without a rotation or when the name
    is not an enabled user."""
    if rotation is None:
        return None
    user = accounts.find_user(db, turn_at(rotation, now).user)
    return user if user is not None and not user.disabled else None


def tick(db: Database, rotation: Rotation | None, now: datetime) -> Turn | None:
    """Emit ``oncall.changed`` once when a new turn (or override) begins."""
    if rotation is None:
        return None
    turn = turn_at(rotation, now)
    user = accounts.find_user(db, turn.user)
    if user is None:
        return None
    with transaction(db):
        cur = db.execute(
            "INSERT OR IGNORE INTO roster_notices (kind, key, user_id, sent_at) VALUES (?, ?, ?, ?)",
            ["oncall", iso(turn.starts), user.id, iso(now)],
        )
        if cur.rowcount != 1:
            return None
        events.append(db, None, "oncall.changed", None, {**turn.to_dict(), "user": user.name}, now)
    return turn
