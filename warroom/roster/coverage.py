"""Coverage: who is on now, who is next, and the gaps ahead per role; and
extending a room's roster by more shifts.

``coverage_of`` is pure (staffed slots in, a per-role summary out); times
stay UTC until ``local`` turns them into the viewer's time zone for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import accounts, playbooks
from ..accounts import User
from ..clock import iso, parse_iso
from ..db import Database
from .shifts import RosterError, Slot, Staffed, create_slots, slots, staffed

HORIZON = timedelta(hours=24)
MAX_EXTEND_SHIFTS = 42  # a week of 4-hour shifts at a time


@dataclass(frozen=True)
class Gap:
    role: str
    starts_at: str
    ends_at: str
    missing: int | None  # people short on a shift; None: no shift at all then

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RoleCoverage:
    role: str
    on_now: tuple[str, ...]
    now_slot: Slot | None
    next_slot: Slot | None
    next_people: tuple[str, ...]
    gaps: tuple[Gap, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "role": self.role, "on_now": list(self.on_now),
            "now_until": self.now_slot.ends_at if self.now_slot else None,
            "now_slot_id": self.now_slot.id if self.now_slot else None,
            "next_slot_id": self.next_slot.id if self.next_slot else None,
            "next_starts_at": self.next_slot.starts_at if self.next_slot else None,
            "next_people": list(self.next_people),
            "gaps": [g.to_dict() for g in self.gaps],
        }


def coverage_of(shifts: list[Staffed], now: datetime, horizon: timedelta = HORIZON) -> list[RoleCoverage]:
    """Pure: per role (in first-seen order), who is on at ``now``, the next
    shift and its people, and the gaps in [now, now + horizon): understaffed
    shifts and stretches with no shift at all."""
    start, end = iso(now), iso(now + horizon)
    roles: dict[str, list[Staffed]] = {}
    for s in sorted(shifts, key=lambda s: (s.slot.starts_at, s.slot.id)):
        roles.setdefault(s.slot.role.casefold(), []).append(s)
    out = []
    for group in roles.values():
        current = [s for s in group if s.slot.starts_at <= start < s.slot.ends_at]
        upcoming = [s for s in group if s.slot.starts_at > start]
        on_now: list[str] = []
        for s in current:
            on_now.extend(n for n in s.people if n not in on_now)
        gaps: list[Gap] = []
        cursor = start
        for s in group:
            if s.slot.ends_at <= start or s.slot.starts_at >= end:
                continue
            if s.slot.starts_at > cursor:
                gaps.append(Gap(s.slot.role, cursor, s.slot.starts_at, None))
            if s.missing:
                gaps.append(Gap(s.slot.role, max(s.slot.starts_at, start), s.slot.ends_at, s.missing))
            cursor = max(cursor, s.slot.ends_at)
        if cursor < end:
            gaps.append(Gap(group[0].slot.role, cursor, end, None))
        nxt = upcoming[0] if upcoming else None
        out.append(RoleCoverage(
            role=group[0].slot.role, on_now=tuple(on_now),
            now_slot=current[0].slot if current else None,
            next_slot=nxt.slot if nxt else None, next_people=nxt.people if nxt else (),
            gaps=tuple(gaps),
        ))
    return out


def coverage(db: Database, room_id: int, now: datetime, horizon: timedelta = HORIZON) -> list[RoleCoverage]:
    # Slots that started before now still matter (who is on); the next shift
    # may start after the horizon.
    return coverage_of(staffed(db, room_id, now - timedelta(days=2), now + horizon + timedelta(days=2)),
                       now, horizon)


# -- local time for display ----------------------------------------------------------------


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(ts: str | datetime, tz: str | None) -> datetime:
    when = parse_iso(ts) if isinstance(ts, str) else ts
    return when.astimezone(zone(tz))


def local_text(ts: str | datetime | None, tz: str | None, with_day: bool = True) -> str:
    """'Sun 29 Mar 03:00 CEST': the abbreviation tells the two 02:30s of an
    October night apart."""
    if ts is None:
        return ""
    when = local(ts, tz)
    return when.strftime("%a %d %b %H:%M %Z" if with_day else "%H:%M %Z")


def span_text(start: str, end: str, tz: str | None) -> str:
    """'Mon 00:00–04:00 CET', 'Sun 00:00 CET–03:00 CEST', 'Mon 20:00–Tue 00:00 CET'."""
    a, b = local(start, tz), local(end, tz)
    left = a.strftime("%a %H:%M")
    right = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%a %H:%M")
    if a.tzname() == b.tzname():
        return f"{left}–{right} {a.tzname()}"
    return f"{left} {a.tzname()}–{right} {b.tzname()}"


@dataclass(frozen=True)
class GapRun:
    """Back-to-back gaps of one kind, for display: understaffed shifts
    (``least``..``most`` people short) or, with ``most`` None, no shifts."""

    starts_at: str
    ends_at: str
    least: int | None
    most: int | None


def gap_runs(gaps: tuple[Gap, ...] | list[Gap]) -> list[GapRun]:
    runs: list[GapRun] = []
    for g in gaps:
        prev = runs[-1] if runs else None
        if prev and prev.ends_at == g.starts_at and (prev.most is None) == (g.missing is None):
            least = None if g.missing is None else min(prev.least, g.missing)
            most = None if g.missing is None else max(prev.most, g.missing)
            runs[-1] = GapRun(prev.starts_at, g.ends_at, least, most)
        else:
            runs.append(GapRun(g.starts_at, g.ends_at, g.missing, g.missing))
    return runs


# -- extending the roster -------------------------------------------------------------------


def extend(db: Database, now: datetime, lead: User, room_id: int, shifts: int) -> list[Slot]:
    """Add ``shifts`` more shifts after the room's last one (from now if the
    roster has run out), for the playbook's roles, or the roles already on
    the roster when the room has no playbook."""
    if not accounts.has_role(lead, "lead"):
        raise RosterError("user", "extending the roster needs the lead role", 403)
    if not isinstance(shifts, int) or isinstance(shifts, bool) or not 1 <= shifts <= MAX_EXTEND_SHIFTS:
        raise RosterError("shifts", f"shifts must be a whole number from 1 to {MAX_EXTEND_SHIFTS}")
    row = db.execute("SELECT status FROM rooms WHERE id = ?", [room_id]).fetchone()
    if row is None:
        raise RosterError("room", f"no room {room_id}", 404)
    if row[0] == "closed":
        raise RosterError("room", "the war room is closed", 409)
    existing = slots(db, room_id)
    playbook = playbooks.room_playbook(db, room_id)
    if playbook is not None:
        roles = [(r.name, r.count) for r in playbook.roles]
        hours = playbook.shifts.hours
    elif existing:
        latest: dict[str, Slot] = {}
        for s in existing:
            latest[s.role] = s
        roles = [(s.role, s.capacity) for s in latest.values()]
        last = existing[-1]
        hours = max(1, round((parse_iso(last.ends_at) - parse_iso(last.starts_at)).total_seconds() / 3600))
    else:
        raise RosterError("room", "this room has no playbook and no shifts to continue from", 409)
    start = max([parse_iso(s.ends_at) for s in existing], default=now)
    if start < now:
        start = now
    start = start.astimezone(UTC)
    return create_slots(db, now, room_id, roles, hours, start=start, span_hours=hours * shifts,
                        actor=lead.name)
