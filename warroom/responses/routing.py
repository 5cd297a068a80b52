"""Routing: which channels a person answers first, and who a lead gave a
mention to.

Channels come from the room's playbook snapshot: a role may list the mention
sources it answers (``[[roles]] channels = ["twitter", ...]``), and whoever
is on a shift of that role now (``roster``) sees mentions from those sources
first. The board orders by it; nothing is hidden, so a mention from a source
no role lists still reaches everyone.

An assignment gives one mention to one person (``assignments``, 0053): a
lead assigns and unassigns, each an event (``mention.assigned``,
``mention.unassigned``) in the same transaction, so the board shows the
assignee live and the assignee's boards raise an alert
(``notifications.personal``). The table's target is a mention or a
near-duplicate cluster (``cluster_id``); only mentions are assigned for now,
clusters come with their own branch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from .. import accounts, events, playbooks, roster
from ..accounts import User, has_role
from ..clock import iso
from ..db import Database, transaction
from ..rooms import require_open


class AssignError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Assignment:
    mention_id: int | None
    cluster_id: int | None
    room_id: int
    user: str          # the assignee's name
    assigned_by: str
    assigned_at: str

    def to_dict(self) -> dict:
        return asdict(self)


def my_channels(db: Database, room_id: int, user: User, now: datetime) -> list[str]:
    """The sources ``user`` answers first in this room now: the ``channels``
    of every playbook role they are on a shift of at ``now``, in playbook
    order, each once. Empty when they are on no shift, or their roles list
    none (then the queue keeps its plain urgency order)."""
    playbook = playbooks.room_playbook(db, room_id)
    if playbook is None:
        return []
    out: list[str] = []
    for role in playbook.roles:
        if not role.channels:
            continue
        if any(u.id == user.id for u in roster.who_is_on(db, room_id, role.name, now)):
            out.extend(c for c in role.channels if c not in out)
    return out


_COLS = ("a.mention_id, a.cluster_id, a.room_id, u.name, a.assigned_by, a.assigned_at"
         " FROM assignments a JOIN users u ON u.id = a.user_id")


def room_assignments(db: Database, room_id: int) -> list[Assignment]:
    rows = db.execute(f"SELECT {_COLS} WHERE a.room_id = ? ORDER BY a.id", [room_id]).fetchall()
    return [Assignment(*r) for r in rows]


def assignment_of(db: Database, mention_id: int) -> Assignment | None:
    row = db.execute(f"SELECT {_COLS} WHERE a.mention_id = ?", [mention_id]).fetchone()
    return Assignment(*row) if row else None


def _mention_room(db: Database, mention_id: int) -> int:
    row = db.execute("SELECT room_id FROM mentions WHERE id = ?", [mention_id]).fetchone()
    if row is None:
        raise AssignError("mention_id", f"no mention {mention_id}")
    return row[0]


def _assignee(db: Database, room_id: int, name: str) -> User:
    """The person named, who must be able to work the mention: an active
    user with at least the responder role who may see the room."""
    name = (name or "").strip()
    if not name:
        raise AssignError("user", "user is required: the name of the person to assign")
    user = accounts.find_user(db, name)
    if user is None or user.disabled:
        raise AssignError("user", f"no user {name!r}")
    if not has_role(user, "responder"):
        raise AssignError("user", f"{user.name} is a {user.role} and cannot reply")
    if not accounts.may_see_room(db, user, room_id):
        raise AssignError("user", f"{user.name} cannot see this room")
    return user


def assign(db: Database, now: datetime, lead: User, mention_id: int, name: str) -> Assignment:
    """A lead gives a mention to ``name`` (replacing an earlier assignee)."""
    if not has_role(lead, "lead"):
        raise AssignError("user", "assigning mentions needs the lead role")
    with transaction(db):
        room_id = _mention_room(db, mention_id)
        require_open(db, room_id)
        user = _assignee(db, room_id, name)
        before = assignment_of(db, mention_id)
        if before is not None and before.user.lower() == user.name.lower():
            raise AssignError("user", f"the mention is already assigned to {user.name}")
        db.execute("DELETE FROM assignments WHERE mention_id = ?", [mention_id])
        db.execute(
            "INSERT INTO assignments (room_id, mention_id, user_id, assigned_by, assigned_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [room_id, mention_id, user.id, lead.name, iso(now)],
        )
        events.append(db, room_id, "mention.assigned", lead.name,
                      {"mention_id": mention_id, "user": user.name,
                       "previous": before.user if before else None}, now)
    return Assignment(mention_id, None, room_id, user.name, lead.name, iso(now))


def unassign(db: Database, now: datetime, lead: User, mention_id: int) -> None:
    """A lead takes a mention back from its assignee."""
    if not has_role(lead, "lead"):
        raise AssignError("user", "unassigning mentions needs the lead role")
    with transaction(db):
        room_id = _mention_room(db, mention_id)
        require_open(db, room_id)
        before = assignment_of(db, mention_id)
        if before is None:
            raise AssignError("mention_id", "the mention is not assigned")
        db.execute("DELETE FROM assignments WHERE mention_id = ?", [mention_id])
        events.append(db, room_id, "mention.unassigned", lead.name,
                      {"mention_id": mention_id, "user": before.user}, now)
