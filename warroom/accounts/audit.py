"""The installation-wide audit view: who changed people, grants, tokens,
connectors, playbooks and monitors, privacy runs (exports, erasures, retention), read from the events table (which is the
audit log; see ``events``)."""

from __future__ import annotations

import json

from ..db import Database

# The event kinds the audit view shows, by prefix.
AUDIT_PREFIXES = ("user.", "team.", "access.", "token.", "connector.", "playbook.", "monitor.created",
                  "monitor.updated", "sso.", "privacy.")


def audit_log(db: Database, kind: str = "", actor: str = "", text: str = "", limit: int = 200) -> list[dict]:
    """Newest first. ``kind``: a prefix (``user.``, ``token``...); ``actor``:
    exact name; ``text``: a substring of the event's data (a user's name...)."""
    where = ["(" + " OR ".join("kind LIKE ?" for _ in AUDIT_PREFIXES) + ")"]
    args: list = [p + "%" for p in AUDIT_PREFIXES]
    if kind:
        where.append("kind LIKE ?")
        args.append(kind.replace("%", "") + "%")
    if actor:
        where.append("actor = ?")
        args.append(actor)
    if text:
        where.append("data LIKE ?")
        args.append("%" + text.replace("%", "") + "%")
    rows = db.execute(
        f"SELECT id, ts, kind, actor, room_id, data FROM events WHERE {' AND '.join(where)}"
        " ORDER BY id DESC LIMIT ?", [*args, max(1, min(limit, 1000))],
    ).fetchall()
    return [{"id": r[0], "ts": r[1], "kind": r[2], "actor": r[3], "room": r[4], "data": json.loads(r[5])}
            for r in rows]
