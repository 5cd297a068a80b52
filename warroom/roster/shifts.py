"""Shifts: slots per room and playbook role, sign-ups, withdrawals,
assignments, swaps, and who is on now.

Every change runs in one ``transaction(db)`` (BEGIN IMMEDIATE), so the
capacity check and the insert cannot interleave with another writer:
concurrent sign-ups never overbook a slot. Shift times are stored in UTC;
they are shown in the viewer's time zone by the adapters (``coverage.py``).
Swaps live in ``swaps.py``, hand-overs in ``handover.py``, coverage and
extension in ``coverage.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import accounts, events, playbooks
from ..accounts import User
from ..clock import iso, parse_iso
from ..db import Database, transaction


class RosterError(ValueError):
    """A roster change that cannot be made; ``field`` names the culprit."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status  # 404 not found, 403 not allowed, 409 conflict, 422 bad input


@dataclass(frozen=True)
class Slot:
    id: int
    room_id: int
    role: str
    starts_at: str
    ends_at: str
    capacity: int

    def contains(self, at: datetime) -> bool:
        return self.starts_at <= iso(at) < self.ends_at


@dataclass(frozen=True)
class Staffed:
    """A slot with the names of the people on it (sign-up order)."""

    slot: Slot
    people: tuple[str, ...]

    @property
    def missing(self) -> int:
        return max(self.slot.capacity - len(self.people), 0)

    def to_dict(self) -> dict:
        return {**self.slot.__dict__, "people": list(self.people), "missing": self.missing}


_SLOT_COLS = "id, room_id, role, starts_at, ends_at, capacity"


def shift_starts(start: datetime, hours: int, span_hours: int) -> list[datetime]:
    """Shift start times for ``span_hours`` from ``start`` truncated to the hour,
    one every ``hours``."""
    first = start.replace(minute=0, second=0, microsecond=0)
    out = []
    t = first
    while t < first + timedelta(hours=span_hours):
        out.append(t)
        t += timedelta(hours=hours)
    return out


def create_slots(
    db: Database, now: datetime, room_id: int, roles: list[tuple[str, int]], hours: int,
    start: datetime, span_hours: int = 24, actor: str | None = None,
) -> list[Slot]:
    """Create (role, capacity) slots for every shift in the span; existing ones are kept."""
    if hours < 1:
        raise ValueError("shift hours must be at least 1")
    created = []
    with transaction(db):
        for begin in shift_starts(start, hours, span_hours):
            end = begin + timedelta(hours=hours)
            for role, capacity in roles:
                cur = db.execute(
                    "INSERT OR IGNORE INTO shift_slots (room_id, role, starts_at, ends_at, capacity)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [room_id, role, iso(begin), iso(end), capacity],
                )
                if cur.rowcount:
                    created.append(Slot(cur.lastrowid, room_id, role, iso(begin), iso(end), capacity))
        if created:
            events.append(
                db, room_id, "roster.slots_created", actor,
                {"slots": len(created), "from": created[0].starts_at, "to": max(s.ends_at for s in created)},
                now,
            )
    return created


def slots(db: Database, room_id: int) -> list[Slot]:
    rows = db.execute(
        f"SELECT {_SLOT_COLS} FROM shift_slots WHERE room_id = ? ORDER BY starts_at, role",
        [room_id],
    ).fetchall()
    return [Slot(*r) for r in rows]


def get_slot(db: Database, slot_id: int) -> Slot | None:
    row = db.execute(f"SELECT {_SLOT_COLS} FROM shift_slots WHERE id = ?", [slot_id]).fetchone()
    return Slot(*row) if row else None


def people_on(db: Database, slot_id: int) -> list[User]:
    """The users signed up for a slot, in sign-up order."""
    rows = db.execute(
        "SELECT user_id FROM shift_signups WHERE slot_id = ? ORDER BY id", [slot_id]
    ).fetchall()
    return [accounts.get_user(db, r[0]) for r in rows]


def staffed(db: Database, room_id: int, start: datetime | None = None,
            end: datetime | None = None) -> list[Staffed]:
    """Slots of a room overlapping [start, end) with their people, by start time."""
    sql = f"SELECT {_SLOT_COLS} FROM shift_slots WHERE room_id = ?"
    args: list = [room_id]
    if start is not None:
        sql += " AND ends_at > ?"
        args.append(iso(start))
    if end is not None:
        sql += " AND starts_at < ?"
        args.append(iso(end))
    found = [Slot(*r) for r in db.execute(sql + " ORDER BY starts_at, role, id", args)]
    names: dict[int, list[str]] = {s.id: [] for s in found}
    if found:
        marks = ",".join("?" * len(found))
        for slot_id, name in db.execute(
            "SELECT s.slot_id, u.name FROM shift_signups s JOIN users u ON u.id = s.user_id"
            f" WHERE s.slot_id IN ({marks}) ORDER BY s.id",
            [s.id for s in found],
        ):
            names[slot_id].append(name)
    return [Staffed(s, tuple(names[s.id])) for s in found]


# -- who is on: the one answer escalation uses -------------------------------------


def on_at(shifts: Iterable[Staffed], role: str, at: datetime) -> list[str]:
    """Pure: names on a ``role`` shift (case-insensitive) that contains ``at``."""
    wanted = role.casefold()
    out: list[str] = []
    for s in shifts:
        if s.slot.role.casefold() == wanted and s.slot.contains(at):
            out.extend(n for n in s.people if n not in out)
    return out


def who_is_on(db: Database, room_id: int, role: str, now: datetime) -> list[User]:
    """Users on shift for ``role`` in the room at ``now`` (start inclusive, end
    exclusive), in sign-up order; disabled users are left out."""
    stamp = iso(now)
    rows = db.execute(
        "SELECT DISTINCT s.user_id, MIN(s.id) FROM shift_signups s"
        " JOIN shift_slots t ON t.id = s.slot_id"
        " WHERE t.room_id = ? AND t.role = ? COLLATE NOCASE AND t.starts_at <= ? AND t.ends_at > ?"
        " GROUP BY s.user_id ORDER BY MIN(s.id)",
        [room_id, role, stamp, stamp],
    ).fetchall()
    users = [accounts.get_user(db, r[0]) for r in rows]
    return [u for u in users if u is not None and not u.disabled]


# -- sign-up, withdrawal, assignment --------------------------------------------------


def slot_for_change(db: Database, slot_id: int, now: datetime) -> Slot:
    slot = get_slot(db, slot_id)
    if slot is None:
        raise RosterError("slot_id", f"no shift {slot_id}", 404)
    status = db.execute("SELECT status FROM rooms WHERE id = ?", [slot.room_id]).fetchone()
    if status and status[0] == "closed":
        raise RosterError("room", "the war room is closed", 409)
    if slot.ends_at <= iso(now):
        raise RosterError("slot_id", "this shift is over", 409)
    return slot


def is_on(db: Database, slot_id: int, user_id: int) -> bool:
    return db.execute(
        "SELECT 1 FROM shift_signups WHERE slot_id = ? AND user_id = ?", [slot_id, user_id]
    ).fetchone() is not None


def clash(db: Database, user_id: int, slot: Slot, ignore: Iterable[int] = ()) -> Slot | None:
    """Another slot of the same room overlapping ``slot`` that the user is on."""
    skip = [slot.id, *ignore]
    marks = ",".join("?" * len(skip))
    row = db.execute(
        f"SELECT t.{_SLOT_COLS.replace(', ', ', t.')} FROM shift_signups s"
        " JOIN shift_slots t ON t.id = s.slot_id"
        f" WHERE s.user_id = ? AND t.room_id = ? AND t.id NOT IN ({marks})"
        " AND t.starts_at < ? AND t.ends_at > ? LIMIT 1",
        [user_id, slot.room_id, *skip, slot.ends_at, slot.starts_at],
    ).fetchone()
    return Slot(*row) if row else None


def slot_data(slot: Slot, user: str) -> dict:
    return {"user": user, "slot_id": slot.id, "role": slot.role,
            "starts_at": slot.starts_at, "ends_at": slot.ends_at}


def lead_slot_role(db: Database, slot: Slot) -> str | None:
    """The installation role a Lead slot needs: the one that approves in this
    room ("lead" when the playbook says approval = "lead", else "approver");
    None for any other slot."""
    if slot.role.strip().lower() != "lead":
        return None
    try:
        playbook = playbooks.room_playbook(db, slot.room_id)
    except playbooks.PlaybookInvalid:  # an old snapshot today's validator rejects: the stricter rule
        return "lead"
    approval = playbook.rules.approval if playbook is not None else "two-person"
    return "lead" if approval == "lead" else "approver"


def _add(db: Database, now: datetime, slot: Slot, user: User, actor: User, kind: str) -> None:
    if user.disabled:
        raise RosterError("user", f"{user.name} is disabled")
    if not accounts.has_role(user, "responder"):
        raise RosterError("user", f"{user.name} is a viewer; shifts need the responder role", 403)
    need = lead_slot_role(db, slot)
    if need and not accounts.has_role(user, need):
        # role:Lead pages go to whoever holds this slot: it must be someone who can act on them
        raise RosterError("user", f"the Lead shift needs someone who may {'lead' if need == 'lead' else 'approve'}"
                          f" ({need} role); {user.name} is a {user.role}", 403)
    if is_on(db, slot.id, user.id):
        raise RosterError("slot_id", f"{user.name} is already on this shift", 409)
    taken = db.execute("SELECT COUNT(*) FROM shift_signups WHERE slot_id = ?", [slot.id]).fetchone()[0]
    if taken >= slot.capacity:
        raise RosterError("slot_id", f"this shift is full ({slot.capacity} people)", 409)
    other = clash(db, user.id, slot)
    if other is not None:
        raise RosterError(
            "slot_id", f"{user.name} is already on {other.role} {other.starts_at}-{other.ends_at}", 409
        )
    db.execute(
        "INSERT INTO shift_signups (slot_id, user_id, assigned_by, created_at) VALUES (?, ?, ?, ?)",
        [slot.id, user.id, None if actor.id == user.id else actor.name, iso(now)],
    )
    data = slot_data(slot, user.name)
    data["by"] = actor.name
    events.append(db, slot.room_id, kind, actor.name, data, now)


def sign_up(db: Database, now: datetime, user: User, slot_id: int) -> Slot:
    """A volunteer (responder and up) takes a place on a shift, unless the
    room's playbook says the lead assigns people (``[shifts] volunteers = false``)."""
    slot = get_slot(db, slot_id)
    if slot is not None:
        playbook = playbooks.room_playbook(db, slot.room_id)
        if playbook is not None and not playbook.shifts.volunteers:
            raise RosterError("slot_id", "in this war room the lead assigns shifts", 403)
    with transaction(db):
        slot = slot_for_change(db, slot_id, now)
        _add(db, now, slot, user, user, "roster.signed_up")
    return slot


def assign(db: Database, now: datetime, lead: User, slot_id: int, user: User) -> Slot:
    """A lead puts someone on a shift (same capacity rules as a sign-up)."""
    if not accounts.has_role(lead, "lead"):
        raise RosterError("user", "assigning shifts needs the lead role", 403)
    with transaction(db):
        slot = slot_for_change(db, slot_id, now)
        _add(db, now, slot, user, lead, "roster.assigned")
    return slot


def withdraw(db: Database, now: datetime, actor: User, slot_id: int, user: User | None = None) -> Slot:
    """Leave a shift; a lead may take someone else (``user``) off it."""
    user = user or actor
    if user.id != actor.id and not accounts.has_role(actor, "lead"):
        raise RosterError("user", "only a lead can take someone else off a shift", 403)
    with transaction(db):
        slot = slot_for_change(db, slot_id, now)
        cur = db.execute(
            "DELETE FROM shift_signups WHERE slot_id = ? AND user_id = ?", [slot.id, user.id]
        )
        if not cur.rowcount:
            raise RosterError("slot_id", f"{user.name} is not on this shift", 409)
        # A proposal about a shift someone left cannot be accepted any more.
        stale = [r[0] for r in db.execute(
            "SELECT id FROM shift_swaps WHERE status = 'proposed'"
            " AND ((slot_id = ? AND proposer_id = ?) OR (target_slot_id = ? AND target_id = ?))",
            [slot.id, user.id, slot.id, user.id],
        )]
        if stale:
            marks = ",".join("?" * len(stale))
            db.execute(
                f"UPDATE shift_swaps SET status = 'cancelled', decided_at = ? WHERE id IN ({marks})",
                [iso(now), *stale],
            )
        data = slot_data(slot, user.name)
        data["by"] = actor.name
        data["cancelled_swaps"] = stale
        kind = "roster.withdrawn" if user.id == actor.id else "roster.unassigned"
        events.append(db, slot.room_id, kind, actor.name, data, now)
    return slot


# -- a person's shifts ------------------------------------------------------------------


def shifts_of(db: Database, user_id: int, start: datetime | None = None,
              end: datetime | None = None) -> list[tuple[Slot, str]]:
    """(slot, room title) for every shift of a user overlapping [start, end)."""
    sql = (
        f"SELECT t.{_SLOT_COLS.replace(', ', ', t.')}, r.title FROM shift_signups s"
        " JOIN shift_slots t ON t.id = s.slot_id JOIN rooms r ON r.id = t.room_id"
        " WHERE s.user_id = ?"
    )
    args: list = [user_id]
    if start is not None:
        sql += " AND t.ends_at > ?"
        args.append(iso(start))
    if end is not None:
        sql += " AND t.starts_at < ?"
        args.append(iso(end))
    rows = db.execute(sql + " ORDER BY t.starts_at, t.id", args).fetchall()
    return [(Slot(*r[:6]), r[6]) for r in rows]


def slot_times(slot: Slot) -> tuple[datetime, datetime]:
    return parse_iso(slot.starts_at), parse_iso(slot.ends_at)
