"""Stakeholder updates: a lead writes one (internal or public), someone else
approves it under the replies' two-person rule (``responses.check_decider``),
then it is published.

States: submitted -> approved | rejected; approved -> published. An update
is written and submitted in one step (a lead writes it for people who are
waiting); a rejected one is rewritten as a new update. Publishing appends
``update.published`` (the notifier posts it to the room's Slack channel),
queues one e-mail per address on the room's list (``mail``), and a public
one appears on the room's status page (``status``), which is created with
its stable slug on the first public update.

Public updates are refused in a private room: its status page would say
what only its members may know (the status page also hides a room made
private later).

Closing a room posts a final update (``close_room``): the closing lead's
text, required once the room has told the public anything, published at
once as the room's last word (the lead's closing stands in for the second
pair of eyes: the room and its approvers are done). It is public if the
room has public updates, else internal, and linted like every update.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime

from .. import accounts, events, playbooks, responses, rooms
from ..accounts import User, has_role
from ..clock import iso, parse_iso
from ..db import Database, transaction

AUDIENCES = ("internal", "public")
MAX_TEXT = 3000
MAX_ADDRESSES = 200
EMAIL_RE = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


class UpdateError(ValueError):
    def __init__(self, field: str, message: str, findings: list | None = None):
        super().__init__(message)
        self.field = field
        self.findings = findings or []


@dataclass(frozen=True)
class Update:
    id: int
    room_id: int
    audience: str
    text: str
    author: str
    status: str
    is_final: bool
    next_update_at: str | None
    created_at: str
    decided_by: str | None
    decided_at: str | None
    reject_reason: str | None
    published_by: str | None
    published_at: str | None

    def to_dict(self) -> dict:
        return asdict(self)


_COLS = ("id, room_id, audience, text, author, status, is_final, next_update_at, created_at,"
         " decided_by, decided_at, reject_reason, published_by, published_at")


def _update(row) -> Update | None:
    if row is None:
        return None
    v = list(row)
    v[6] = bool(v[6])
    return Update(*v)


def get_update(db: Database, update_id: int) -> Update | None:
    return _update(db.execute(f"SELECT {_COLS} FROM stakeholder_updates WHERE id = ?", [update_id]).fetchone())


def room_updates(db: Database, room_id: int, statuses=("submitted", "approved", "rejected", "published"),
                 audience: str | None = None) -> list[Update]:
    """The room's updates, oldest first (published ones in publication order)."""
    marks = ",".join("?" for _ in statuses)
    sql = f"SELECT {_COLS} FROM stakeholder_updates WHERE room_id = ? AND status IN ({marks})"
    args: list = [room_id, *statuses]
    if audience:
        sql += " AND audience = ?"
        args.append(audience)
    sql += " ORDER BY COALESCE(published_at, created_at), id"
    return [_update(r) for r in db.execute(sql, args)]


def _check_text(text) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise UpdateError("text", "an update needs text")
    if len(text) > MAX_TEXT:
        raise UpdateError("text", f"an update is at most {MAX_TEXT} characters")
    return text


def _lint(db: Database, room_id: int, text: str) -> None:
    """The honesty lint's blocking findings stop an update as they stop a reply."""
    findings = responses.lint.lint(text, responses.rules_for_room(db, room_id))
    blocking = responses.lint.blocking_findings(findings)
    if blocking:
        raise UpdateError("text", "blocked by the honesty lint: "
                          + "; ".join(f"{f.rule}: {f.reason}" for f in blocking),
                          findings=[f.to_dict() for f in blocking])


def _check_audience(db: Database, room_id: int, audience) -> str:
    if audience not in AUDIENCES:
        raise UpdateError("audience", f"audience must be one of {', '.join(AUDIENCES)}")
    if audience == "public" and accounts.is_private(db, room_id):
        raise UpdateError("audience", "a private room has no public status page: post an internal update")
    return audience


def submit_update(db: Database, now: datetime, user: User, room_id: int, text: str, audience: str,
                  next_update_at: datetime | None = None) -> Update:
    """A lead writes an update and sends it for approval."""
    if not has_role(user, "lead"):
        raise UpdateError("user", "only a lead writes stakeholder updates")
    text = _check_text(text)
    if next_update_at is not None and next_update_at <= now:
        raise UpdateError("next_update_at", "the next update must be in the future")
    with transaction(db):
        rooms.require_open(db, room_id)
        audience = _check_audience(db, room_id, audience)
        _lint(db, room_id, text)
        update_id = db.execute(
            "INSERT INTO stakeholder_updates (room_id, audience, text, author, status, next_update_at,"
            " created_at) VALUES (?, ?, ?, ?, 'submitted', ?, ?)",
            [room_id, audience, text, user.name, iso(next_update_at) if next_update_at else None, iso(now)],
        ).lastrowid
        events.append(db, room_id, "update.submitted", user.name,
                      {"update_id": update_id, "audience": audience, "text": text,
                       "next_update_at": iso(next_update_at) if next_update_at else None}, now)
    return get_update(db, update_id)


def _decidable(db: Database, user: User, update_id: int, approving: bool) -> Update:
    update = get_update(db, update_id)
    if update is None:
        raise UpdateError("update_id", f"no update {update_id}")
    rooms.require_open(db, update.room_id)
    if update.status != "submitted":
        raise UpdateError("update_id", f"the update is {update.status}, not submitted")
    try:
        responses.check_decider(db, user, update.room_id, update.author, approving=approving, noun="update")
    except responses.ResponseError as exc:
        raise UpdateError(exc.field, str(exc)) from None
    return update


def approve_update(db: Database, now: datetime, user: User, update_id: int) -> Update:
    with transaction(db):
        update = _decidable(db, user, update_id, approving=True)
        db.execute("UPDATE stakeholder_updates SET status = 'approved', decided_by = ?, decided_at = ?"
                   " WHERE id = ?", [user.name, iso(now), update_id])
        events.append(db, update.room_id, "update.approved", user.name,
                      {"update_id": update_id, "audience": update.audience, "author": update.author}, now)
    return get_update(db, update_id)


def reject_update(db: Database, now: datetime, user: User, update_id: int, reason: str) -> Update:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise UpdateError("reason", "a rejection needs a reason")
    with transaction(db):
        update = _decidable(db, user, update_id, approving=False)
        db.execute("UPDATE stakeholder_updates SET status = 'rejected', decided_by = ?, decided_at = ?,"
                   " reject_reason = ? WHERE id = ?", [user.name, iso(now), reason, update_id])
        events.append(db, update.room_id, "update.rejected", user.name,
                      {"update_id": update_id, "author": update.author, "reason": reason}, now)
    return get_update(db, update_id)


def _slug_for(db: Database, now: datetime, room_id: int, title: str) -> str:
    row = db.execute("SELECT slug FROM status_pages WHERE room_id = ?", [room_id]).fetchone()
    if row:
        return row[0]
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:48].strip("-")
    slug = f"{words}-{room_id}" if words else f"room-{room_id}"  # the id keeps it unique
    db.execute("INSERT INTO status_pages (room_id, slug, created_at) VALUES (?, ?, ?)", [room_id, slug, iso(now)])
    return slug


def _publish_row(db: Database, now: datetime, user: User, update: Update) -> None:
    """Inside a transaction: mark published, queue the mails, append the event."""
    db.execute("UPDATE stakeholder_updates SET status = 'published', published_by = ?, published_at = ?"
               " WHERE id = ?", [user.name, iso(now), update.id])
    room = rooms.get_room(db, update.room_id)
    slug = _slug_for(db, now, room.id, room.title) if update.audience == "public" else None
    addresses = mail_list(db, update.room_id)
    db.conn.executemany(
        "INSERT OR IGNORE INTO update_mails (update_id, address, state) VALUES (?, ?, 'pending')",
        [(update.id, a) for a in addresses],
    )
    events.append(db, update.room_id, "update.published", user.name,
                  {"update_id": update.id, "audience": update.audience, "text": update.text,
                   "author": update.author, "approved_by": update.decided_by, "final": update.is_final,
                   "next_update_at": update.next_update_at, "status_slug": slug, "mails": len(addresses)},
                  now)


def publish_update(db: Database, now: datetime, user: User, update_id: int) -> Update:
    """Publish an approved update (its author or a lead)."""
    with transaction(db):
        update = get_update(db, update_id)
        if update is None:
            raise UpdateError("update_id", f"no update {update_id}")
        rooms.require_open(db, update.room_id)
        if update.status != "approved":
            raise UpdateError("update_id", f"the update is {update.status}, not approved")
        if update.author.lower() != user.name.lower() and not has_role(user, "lead"):
            raise UpdateError("user", "only the author or a lead can publish")
        # a room made private since the approval publishes nothing public
        _check_audience(db, update.room_id, update.audience)
        _publish_row(db, now, user, update)
    return get_update(db, update_id)


def close_room(db: Database, now: datetime, user: User, room_id: int, final_text: str | None = None):
    """Close the room with its final update (see the module docstring).

    Returns the closed ``rooms.Room``; raises ``UpdateError`` (field
    ``final_update``) when the public was told something and no final
    text is given, and ``rooms.RoomError`` as ``rooms.close_room`` does."""
    final_text = (final_text or "").strip() if isinstance(final_text, str) else ""
    with transaction(db):
        room = rooms.get_room(db, room_id)
        if room is None:
            raise rooms.RoomError("room", f"no room {room_id}")
        public = bool(room_updates(db, room_id, ("published",), "public"))
        if room.status != "closed" and public and not final_text:
            raise UpdateError("final_update", "this room has public updates: write the final update"
                                              " that tells people it is over")
        if final_text and room.status != "closed":
            if not has_role(user, "lead"):
                raise UpdateError("user", "only a lead writes stakeholder updates")
            if len(final_text) > MAX_TEXT:
                raise UpdateError("final_update", f"an update is at most {MAX_TEXT} characters")
            try:
                _lint(db, room_id, final_text)
            except UpdateError as exc:
                raise UpdateError("final_update", str(exc), exc.findings) from None
            audience = "public" if public and not accounts.is_private(db, room_id) else "internal"
            update_id = db.execute(
                "INSERT INTO stakeholder_updates (room_id, audience, text, author, status, is_final,"
                " created_at, decided_by, decided_at) VALUES (?, ?, ?, ?, 'approved', 1, ?, ?, ?)",
                [room_id, audience, final_text, user.name, iso(now), user.name, iso(now)],
            ).lastrowid
            _publish_row(db, now, user, get_update(db, update_id))
        return rooms.close_room(db, now, user, room_id)


# -- the e-mail list (a room setting) ------------------------------------------


def mail_list(db: Database, room_id: int) -> list[str]:
    row = db.execute("SELECT addresses FROM update_mail_lists WHERE room_id = ?", [room_id]).fetchone()
    return json.loads(row[0]) if row else []


def set_mail_list(db: Database, now: datetime, user: User, room_id: int, addresses) -> list[str]:
    """Who gets every published update of the room by e-mail (leads)."""
    if not has_role(user, "lead"):
        raise UpdateError("user", "only a lead sets the update e-mail list")
    if isinstance(addresses, str):
        addresses = [a for a in re.split(r"[\s,;]+", addresses) if a]
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise UpdateError("addresses", "addresses must be a list of e-mail addresses")
    clean = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    for a in clean:
        if len(a) > 254 or not EMAIL_RE.match(a):
            raise UpdateError("addresses", f"{a[:80]!r} is not an e-mail address")
    if len(clean) > MAX_ADDRESSES:
        raise UpdateError("addresses", f"at most {MAX_ADDRESSES} addresses")
    with transaction(db):
        rooms.require_open(db, room_id)
        db.execute("INSERT INTO update_mail_lists (room_id, addresses) VALUES (?, ?)"
                   " ON CONFLICT (room_id) DO UPDATE SET addresses = excluded.addresses",
                   [room_id, json.dumps(clean)])
        events.append(db, room_id, "update.mail_list_set", user.name, {"count": len(clean)}, now)
    return clean


# -- what templates fill in ----------------------------------------------------


def next_update(db: Database, room_id: int) -> str | None:
    """When the room said its next update comes (the latest published update's word)."""
    row = db.execute(
        "SELECT next_update_at FROM stakeholder_updates WHERE room_id = ? AND status = 'published'"
        " ORDER BY published_at DESC, id DESC LIMIT 1", [room_id]).fetchone()
    return row[0] if row and row[0] else None


def _when(at: str, now: datetime) -> str:
    t = parse_iso(at)
    return f"{t:%H:%M} UTC" if t.date() == now.date() else f"{t.day} {t:%b %H:%M} UTC"


def template_values(db: Database, now: datetime, room_id: int, mention_id: int | None = None) -> dict[str, str]:
    """The variables of ``playbooks.templates`` for one reply in this room."""
    room = rooms.get_room(db, room_id)
    values = {"case": room.title if room else ""}
    if mention_id is not None:
        row = db.execute("SELECT author, erased_at FROM mentions WHERE id = ? AND room_id = ?",
                         [mention_id, room_id]).fetchone()
        if row is None:
            raise UpdateError("mention_id", f"no mention {mention_id} in room {room_id}")
        if row[0] and not row[1]:
            values["customer"] = row[0]
    at = next_update(db, room_id)
    if at and parse_iso(at) > now:
        values["next_update"] = _when(at, now)
    for key, text in rooms.facts.fact_values(db, room_id).items():
        values[f"fact:{key}"] = text
    return values


def fill_template(db: Database, now: datetime, room_id: int, name: str, source: str = "playbook",
                  mention_id: int | None = None) -> playbooks.templates.Filled:
    """One of the room's templates filled for a reply (then linted like any reply)."""
    found = responses.templates.find_room_template(db, room_id, name, source)
    if found is None:
        raise UpdateError("name", f"no {source} template {name!r} in this room")
    return playbooks.templates.fill(found["text"], template_values(db, now, room_id, mention_id))
