"""Teams, private rooms and the one rule of who may see what.

A user belongs to teams. A room, playbook, monitor or connector may belong
to a team (a row in ``team_resources``; none means installation-wide). A
room may also be private to named members (``private_rooms`` and
``room_members``), which narrows it further than its team.

``may_see_room(db, user, room_id)`` is the rule, and ``may_see(db, user,
refs)`` applies it to whatever a request names (a room, a mention, a draft,
a monitor...): every page, API route, export, Socket.IO command and Slack
command asks it on the server. Admins see everything; disabled users
nothing. Every grant and revocation is an event (room-less, so it never
enters a room's timeline; the publisher sends these to admins only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import events
from ..clock import iso
from ..db import Database, transaction
from .users import AccountError, User

KINDS = ("room", "playbook", "monitor", "connector")

# Where each id a request can name lives, and its room. This is the one place
# that knows it: the access rule reads only these columns of other packages'
# tables (by SQL, since those packages depend on accounts, not the reverse).
ROOM_OF = {
    "mention_id": "SELECT room_id FROM mentions WHERE id = ?",
    "draft_id": "SELECT room_id FROM drafts WHERE id = ?",
    "delivery_id": "SELECT room_id FROM deliveries WHERE id = ?",
    "escalation": "SELECT room_id FROM escalations WHERE id = ?",
    "escalation_id": "SELECT room_id FROM escalations WHERE id = ?",
    "connector_id": "SELECT room_id FROM connectors WHERE id = ?",
    "update_id": "SELECT room_id FROM stakeholder_updates WHERE id = ?",
}
ROOM_KEYS = ("room", "room_id")
# names of ids that name a team-owned resource directly
RESOURCE_KEYS = {"monitor_id": "monitor", "playbook_id": "playbook", "connector_id": "connector"}

# every name of an id that the rule knows
REF_KEYS = (*ROOM_KEYS, *ROOM_OF, *RESOURCE_KEYS)

_MAX_ID = 2**63 - 1


class AccessError(AccountError):
    """Bad input for a grant (unknown team, user or room)."""


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    created_at: str

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name}


# -- the rule -----------------------------------------------------------------


def user_team_ids(db: Database, user_id: int) -> set[int]:
    return {r[0] for r in db.execute("SELECT team_id FROM team_members WHERE user_id = ?", [user_id])}


def team_of(db: Database, kind: str, ref) -> int | None:
    row = db.execute("SELECT team_id FROM team_resources WHERE kind = ? AND ref = ?", [kind, str(ref)]).fetchone()
    return row[0] if row else None


def is_private(db: Database, room_id: int) -> bool:
    return db.execute("SELECT 1 FROM private_rooms WHERE room_id = ?", [room_id]).fetchone() is not None


def may_see_room(db: Database, user: User | None, room_id: int) -> bool:
    """True if ``user`` may see room ``room_id`` (and everything in it).

    Admin: always. A private room: its named members only. A team's room:
    the team's members. Otherwise (installation-wide): every active user.
    A room that does not exist is "visible": the caller answers 404 for it
    exactly as for a refused one, so neither answer tells which it was."""
    if user is None or user.disabled:
        return False
    if user.role == "admin":
        return True
    if is_private(db, room_id):
        return db.execute(
            "SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?", [room_id, user.id]
        ).fetchone() is not None
    team = team_of(db, "room", room_id)
    return team is None or team in user_team_ids(db, user.id)


def may_use(db: Database, user: User | None, kind: str, ref) -> bool:
    """True if ``user`` may see a playbook, monitor or connector (its team's)."""
    if user is None or user.disabled:
        return False
    if user.role == "admin":
        return True
    team = team_of(db, kind, ref)
    return team is None or team in user_team_ids(db, user.id)


def room_of(db: Database, key: str, value) -> int | None:
    """The room of the object a request names as ``key`` (``mention_id``...)."""
    if key in ROOM_KEYS:
        return _as_id(value)
    sql = ROOM_OF.get(key)
    ident = _as_id(value)
    if sql is None or ident is None:
        return None
    row = db.execute(sql, [ident]).fetchone()
    return row[0] if row else None


def may_see(db: Database, user: User | None, refs: dict) -> bool:
    """The rule over every id in ``refs`` (URL arguments, a command's payload):
    each room they lead to, and each team-owned resource they name."""
    for key, value in refs.items():
        if key in RESOURCE_KEYS and not may_use(db, user, RESOURCE_KEYS[key], value):
            return False
        room_id = room_of(db, key, value)
        if room_id is not None and not may_see_room(db, user, room_id):
            return False
    return True


def visible_room_ids(db: Database, user: User | None, room_ids) -> set[int]:
    return {r for r in room_ids if may_see_room(db, user, r)}


def room_audience(db: Database, room_id: int) -> tuple[int | None, list[int] | None] | None:
    """Who hears a room's lobby news: None for everyone, else (team id, or
    None; member user ids of a private room, or None)."""
    if is_private(db, room_id):
        return None, room_member_ids(db, room_id)
    team = team_of(db, "room", room_id)
    return None if team is None else (team, None)


def _as_id(value) -> int | None:
    # ids as the adapters accept them: an integer or its ASCII digits
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.strip().isdigit() and len(value) < 20:
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 0 < value <= _MAX_ID else None


# -- teams --------------------------------------------------------------------


def list_teams(db: Database) -> list[Team]:
    return [Team(*r) for r in db.execute("SELECT id, name, created_at FROM teams ORDER BY name")]


def find_team(db: Database, name_or_id) -> Team | None:
    row = db.execute(
        "SELECT id, name, created_at FROM teams WHERE name = ? OR id = ?", [str(name_or_id), _as_id(name_or_id)]
    ).fetchone()
    return Team(*row) if row else None


def user_teams(db: Database, user_id: int) -> list[Team]:
    return [Team(*r) for r in db.execute(
        "SELECT t.id, t.name, t.created_at FROM teams t JOIN team_members m ON m.team_id = t.id"
        " WHERE m.user_id = ? ORDER BY t.name", [user_id])]


def add_team(db: Database, now: datetime, name: str, actor: str | None) -> Team:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise AccessError("name", "a team name must be 1-64 characters")
    with transaction(db):
        if find_team(db, name):
            raise AccessError("name", f"a team named {name!r} already exists")
        cur = db.execute("INSERT INTO teams (name, created_at) VALUES (?, ?)", [name, iso(now)])
        events.append(db, None, "team.created", actor, {"team": name}, now)
    return find_team(db, cur.lastrowid)


def _team(db, team, field: str = "team") -> Team:
    found = find_team(db, team)
    if found is None:
        raise AccessError(field, f"no team {team!r}")
    return found


def _user(db, user_id: int):
    row = db.execute("SELECT id, name FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise AccessError("user", f"no user {user_id}")
    return row


def set_user_teams(db: Database, now: datetime, user_id: int, teams: list, actor: str | None) -> list[Team]:
    """Make ``teams`` (names or ids) the user's teams; each change is an event."""
    with transaction(db):
        _uid, name = _user(db, user_id)
        wanted = {t.id: t.name for t in (_team(db, x, "teams") for x in teams)}
        have = {t.id: t.name for t in user_teams(db, user_id)}
        for tid in wanted.keys() - have.keys():
            db.execute("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)", [tid, user_id])
            events.append(db, None, "team.member_added", actor, {"team": wanted[tid], "user": name}, now)
        for tid in have.keys() - wanted.keys():
            db.execute("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", [tid, user_id])
            events.append(db, None, "team.member_removed", actor, {"team": have[tid], "user": name}, now)
    return user_teams(db, user_id)


def assign(db: Database, now: datetime, kind: str, ref, team, actor: str | None) -> None:
    """Give a room, playbook, monitor or connector to ``team`` (None: to the
    whole installation again)."""
    if kind not in KINDS:
        raise AccessError("kind", f"kind must be one of {', '.join(KINDS)}")
    with transaction(db):
        if team is None:
            db.execute("DELETE FROM team_resources WHERE kind = ? AND ref = ?", [kind, str(ref)])
            name = None
        else:
            t = _team(db, team)
            db.execute(
                "INSERT INTO team_resources (kind, ref, team_id) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, ref) DO UPDATE SET team_id = excluded.team_id",
                [kind, str(ref), t.id],
            )
            name = t.name
        events.append(db, None, "access.team_assigned", actor, {"kind": kind, "ref": str(ref), "team": name}, now)


# -- private rooms -------------------------------------------------------------


def room_member_ids(db: Database, room_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT user_id FROM room_members WHERE room_id = ? ORDER BY user_id", [room_id])]


def _room_exists(db, room_id: int) -> None:
    if _as_id(room_id) is None or db.execute("SELECT 1 FROM rooms WHERE id = ?", [room_id]).fetchone() is None:
        raise AccessError("room", f"no room {room_id}")


def set_private(db: Database, now: datetime, room_id: int, private: bool, actor: str | None,
                members: list[int] = ()) -> None:
    """Make a room private to ``members`` (added to its named members) or
    open it to its team again (the member list is kept for next time)."""
    with transaction(db):
        _room_exists(db, room_id)
        if private:
            db.execute("INSERT OR IGNORE INTO private_rooms (room_id, since) VALUES (?, ?)", [room_id, iso(now)])
        else:
            db.execute("DELETE FROM private_rooms WHERE room_id = ?", [room_id])
        events.append(db, None, "access.room_private" if private else "access.room_shared", actor,
                      {"room": room_id}, now)
        for uid in members:
            add_room_member(db, now, room_id, uid, actor)


def add_room_member(db: Database, now: datetime, room_id: int, user_id: int, actor: str | None) -> None:
    with transaction(db):
        _room_exists(db, room_id)
        _uid, name = _user(db, user_id)
        cur = db.execute("INSERT OR IGNORE INTO room_members (room_id, user_id) VALUES (?, ?)", [room_id, user_id])
        if cur.rowcount:
            events.append(db, None, "access.member_added", actor, {"room": room_id, "user": name}, now)


def remove_room_member(db: Database, now: datetime, room_id: int, user_id: int, actor: str | None) -> None:
    with transaction(db):
        _uid, name = _user(db, user_id)
        cur = db.execute("DELETE FROM room_members WHERE room_id = ? AND user_id = ?", [room_id, user_id])
        if cur.rowcount:
            events.append(db, None, "access.member_removed", actor, {"room": room_id, "user": name}, now)
