"""Swaps between two people: a proposal the other accepts (or declines), or
a lead who swaps them without asking. Either way both moves are validated
first and written in one transaction, so a swap never half-happens.

Without ``target_slot_id`` a swap is a cover: the other person takes the
shift and gives none back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import accounts, events
from ..accounts import User
from ..clock import iso
from ..db import Database, transaction
from .shifts import RosterError, Slot, clash, is_on, slot_data, slot_for_change


@dataclass(frozen=True)
class Swap:
    id: int
    room_id: int
    slot_id: int
    proposer: str
    target: str
    target_slot_id: int | None
    status: str  # proposed | accepted | declined | cancelled
    created_at: str
    decided_at: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


_SWAP_COLS = (
    "w.id, w.room_id, w.slot_id, p.name, t.name, w.target_slot_id, w.status, w.created_at,"
    " w.decided_at"
)


def get_swap(db: Database, swap_id: int) -> Swap | None:
    row = db.execute(
        f"SELECT {_SWAP_COLS} FROM shift_swaps w JOIN users p ON p.id = w.proposer_id"
        " JOIN users t ON t.id = w.target_id WHERE w.id = ?",
        [swap_id],
    ).fetchone()
    return Swap(*row) if row else None


def open_swaps(db: Database, room_id: int) -> list[Swap]:
    rows = db.execute(
        f"SELECT {_SWAP_COLS} FROM shift_swaps w JOIN users p ON p.id = w.proposer_id"
        " JOIN users t ON t.id = w.target_id WHERE w.room_id = ? AND w.status = 'proposed'"
        " ORDER BY w.id",
        [room_id],
    ).fetchall()
    return [Swap(*r) for r in rows]


def _exchange(db: Database, now: datetime, slot: Slot, a: User, b: User,
              other: Slot | None) -> None:
    """Inside a transaction: ``a`` leaves ``slot`` for ``b``; with ``other``,
    ``b`` leaves ``other`` for ``a``. Validates everything before writing."""
    if a.id == b.id:
        raise RosterError("user", "a swap needs two different people")
    if not is_on(db, slot.id, a.id):
        raise RosterError("slot_id", f"{a.name} is no longer on this shift", 409)
    if b.disabled or not accounts.has_role(b, "responder"):
        raise RosterError("user", f"{b.name} cannot take shifts", 403)
    if is_on(db, slot.id, b.id):
        raise RosterError("user", f"{b.name} is already on this shift", 409)
    if other is not None:
        if other.id == slot.id:
            raise RosterError("target_slot_id", "swap two different shifts")
        if other.room_id != slot.room_id:
            raise RosterError("target_slot_id", "both shifts must be in the same war room")
        if not is_on(db, other.id, b.id):
            raise RosterError("target_slot_id", f"{b.name} is no longer on that shift", 409)
        if is_on(db, other.id, a.id):
            raise RosterError("target_slot_id", f"{a.name} is already on that shift", 409)
        if clash(db, a.id, other, ignore=[slot.id]) is not None:
            raise RosterError("target_slot_id", f"{a.name} is on another shift at that time", 409)
    if clash(db, b.id, slot, ignore=[other.id] if other else []) is not None:
        raise RosterError("user", f"{b.name} is on another shift at that time", 409)
    db.execute("UPDATE shift_signups SET user_id = ? WHERE slot_id = ? AND user_id = ?",
               [b.id, slot.id, a.id])
    if other is not None:
        db.execute("UPDATE shift_signups SET user_id = ? WHERE slot_id = ? AND user_id = ?",
                   [a.id, other.id, b.id])


def _swap_event(db, now, slot, a, b, other, actor, swap_id=None) -> None:
    data = slot_data(slot, a.name)
    data.update({"with_user": b.name, "with_slot_id": other.id if other else None, "by": actor.name,
                 "swap_id": swap_id})
    if other is not None:
        data.update({"with_role": other.role, "with_starts_at": other.starts_at})
    events.append(db, slot.room_id, "roster.swapped", actor.name, data, now)


def propose_swap(db: Database, now: datetime, proposer: User, slot_id: int, target: User,
                 target_slot_id: int | None = None) -> Swap:
    """Ask ``target`` to take ``slot_id`` (and, with ``target_slot_id``, give
    theirs in exchange). Nothing changes until the target accepts."""
    with transaction(db):
        slot = slot_for_change(db, slot_id, now)
        if not is_on(db, slot.id, proposer.id):
            raise RosterError("slot_id", "you can only offer a shift you are on", 409)
        if target.id == proposer.id:
            raise RosterError("user", "a swap needs two different people")
        other = None
        if target_slot_id is not None:
            other = slot_for_change(db, target_slot_id, now)
            if other.room_id != slot.room_id:
                raise RosterError("target_slot_id", "both shifts must be in the same war room")
            if not is_on(db, other.id, target.id):
                raise RosterError("target_slot_id", f"{target.name} is not on that shift", 409)
        cur = db.execute(
            "INSERT INTO shift_swaps (room_id, slot_id, proposer_id, target_id, target_slot_id,"
            " status, created_at) VALUES (?, ?, ?, ?, ?, 'proposed', ?)",
            [slot.room_id, slot.id, proposer.id, target.id, target_slot_id, iso(now)],
        )
        data = slot_data(slot, proposer.name)
        data.update({"swap_id": cur.lastrowid, "with_user": target.name, "with_slot_id": target_slot_id})
        events.append(db, slot.room_id, "roster.swap_proposed", proposer.name, data, now)
    return get_swap(db, cur.lastrowid)


def accept_swap(db: Database, now: datetime, user: User, swap_id: int) -> Swap:
    """The target agrees: both moves happen in one transaction or not at all."""
    with transaction(db):
        swap = _pending_swap(db, swap_id)
        if swap.target != user.name:
            raise RosterError("swap_id", "only the person asked can accept this swap", 403)
        slot = slot_for_change(db, swap.slot_id, now)
        other = slot_for_change(db, swap.target_slot_id, now) if swap.target_slot_id else None
        proposer = accounts.find_user(db, swap.proposer)
        _exchange(db, now, slot, proposer, user, other)
        db.execute("UPDATE shift_swaps SET status = 'accepted', decided_at = ? WHERE id = ?",
                   [iso(now), swap.id])
        _swap_event(db, now, slot, proposer, user, other, user, swap.id)
    return get_swap(db, swap_id)


def decline_swap(db: Database, now: datetime, user: User, swap_id: int) -> Swap:
    """The target declines, or the proposer (or a lead) cancels."""
    with transaction(db):
        swap = _pending_swap(db, swap_id)
        if user.name == swap.target:
            status = "declined"
        elif user.name == swap.proposer or accounts.has_role(user, "lead"):
            status = "cancelled"
        else:
            raise RosterError("swap_id", "this swap is not yours", 403)
        db.execute("UPDATE shift_swaps SET status = ?, decided_at = ? WHERE id = ?",
                   [status, iso(now), swap.id])
        events.append(db, swap.room_id, f"roster.swap_{status}", user.name,
                      {"swap_id": swap.id, "user": swap.proposer, "with_user": swap.target,
                       "slot_id": swap.slot_id, "by": user.name}, now)
    return get_swap(db, swap_id)


def _pending_swap(db: Database, swap_id: int) -> Swap:
    swap = get_swap(db, swap_id)
    if swap is None:
        raise RosterError("swap_id", f"no swap {swap_id}", 404)
    if swap.status != "proposed":
        raise RosterError("swap_id", f"this swap is already {swap.status}", 409)
    return swap


def lead_swap(db: Database, now: datetime, lead: User, slot_id: int, user: User, target: User,
              target_slot_id: int | None = None) -> Slot:
    """A lead moves ``user`` off ``slot_id`` in favour of ``target`` (exchanging
    with ``target_slot_id`` if given), atomically, without asking."""
    if not accounts.has_role(lead, "lead"):
        raise RosterError("user", "swapping other people's shifts needs the lead role", 403)
    with transaction(db):
        slot = slot_for_change(db, slot_id, now)
        other = slot_for_change(db, target_slot_id, now) if target_slot_id else None
        _exchange(db, now, slot, user, target, other)
        _swap_event(db, now, slot, user, target, other, lead)
    return slot
