"""Standing monitors: a brand watched all the time, outside any war room.

A monitor names the brand, its keywords and sources (what platform
connectors match and which sources may push into it), the playbook a room
opened from it is pinned to (its latest version at that moment), an on-call
rotation (a ``roster.oncall`` table; none: the installation's ``[oncall]``)
and ``open_room``: ``auto`` opens the war room when the detector pages,
``offer`` opens it in status ``monitoring`` and records an offer that a lead
accepts with one click (``watch.accept_offer``). Paused monitors store
nothing. Mentions, the per-minute series and the detector's state are the
monitor's own (``watch``), so history accumulates whether or not a room is
open. Every change appends a room-less ``monitor.*`` event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from .. import events, playbooks, roster
from ..clock import iso
from ..config import ConfigError
from ..db import Database, transaction
from .tokens import SOURCE

OPEN_ROOM = ("auto", "offer")
STATUSES = ("active", "paused")
FIELDS = ("brand", "keywords", "sources", "playbook_id", "oncall", "open_room", "status")
MAX_BRAND = 200
MAX_KEYWORDS = 100
MAX_KEYWORD = 100


class MonitorError(ValueError):
    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Monitor:
    id: int
    brand: str
    keywords: tuple[str, ...]
    sources: tuple[str, ...]
    playbook_id: str
    oncall: dict | None
    open_room: str
    status: str
    created_at: str
    created_by: str | None
    updated_at: str

    def to_dict(self) -> dict:
        return {"id": self.id, "brand": self.brand, "keywords": list(self.keywords),
                "sources": list(self.sources), "playbook_id": self.playbook_id, "oncall": self.oncall,
                "open_room": self.open_room, "status": self.status, "created_at": self.created_at,
                "created_by": self.created_by, "updated_at": self.updated_at}

    def rotation(self):
        """The monitor's own rotation (``roster.oncall.Rotation``), or None."""
        return roster.oncall.parse_rotation(self.oncall, f"monitor {self.id} oncall") if self.oncall else None


_COLS = "id, brand, keywords, sources, playbook_id, oncall, open_room, status, created_at, created_by, updated_at"


def _monitor(row) -> Monitor | None:
    if row is None:
        return None
    return Monitor(row[0], row[1], tuple(json.loads(row[2])), tuple(json.loads(row[3])), row[4],
                   json.loads(row[5]) if row[5] else None, *row[6:])


def get(db: Database, monitor_id: int) -> Monitor | None:
    return _monitor(db.execute(f"SELECT {_COLS} FROM monitors WHERE id = ?", [monitor_id]).fetchone())


def list_monitors(db: Database) -> list[Monitor]:
    return [_monitor(r) for r in db.execute(f"SELECT {_COLS} FROM monitors ORDER BY brand, id")]


# -- validation: each field on its own, named in the error --------------------


def _words(value, field: str, check=None) -> tuple[str, ...]:
    if isinstance(value, str):  # a form's comma-separated list
        value = [v for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MonitorError(field, f"{field} must be a list of strings")
    out = []
    for v in value:
        v = v.strip()
        if not v:
            continue
        if len(v) > MAX_KEYWORD:
            raise MonitorError(field, f"{field}: {v[:20]!r}... is longer than {MAX_KEYWORD} characters")
        if check and not check(v):
            raise MonitorError(field, f"{field}: {v!r} is not a source name (a-z, 0-9, '_', '.', ':', '-')")
        if v not in out:
            out.append(v)
    if len(out) > MAX_KEYWORDS:
        raise MonitorError(field, f"{field}: at most {MAX_KEYWORDS}, got {len(out)}")
    return tuple(out)


def clean(db: Database, data: dict, partial: bool = False) -> dict:
    """The validated subset of ``data`` (all fields unless ``partial``)."""
    if not isinstance(data, dict):
        raise MonitorError("body", "the body must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise MonitorError(unknown[0], f"unknown field {unknown[0]!r}")
    if not partial:
        for key in ("brand", "playbook_id"):
            if key not in data:
                raise MonitorError(key, f"{key} is required")
    out = {}
    if "brand" in data:
        brand = data["brand"]
        if not isinstance(brand, str) or not brand.strip() or len(brand.strip()) > MAX_BRAND:
            raise MonitorError("brand", f"brand must be 1 to {MAX_BRAND} characters")
        out["brand"] = brand.strip()
    if "keywords" in data or not partial:
        out["keywords"] = _words(data.get("keywords", []), "keywords")
    if "sources" in data or not partial:
        out["sources"] = _words(data.get("sources", []), "sources", check=lambda v: bool(SOURCE.match(v)))
    if "playbook_id" in data:
        pid = data["playbook_id"]
        if not isinstance(pid, str) or playbooks.store.latest(db, pid.strip()) is None:
            raise MonitorError("playbook_id", f"no stored playbook {pid!r}")
        out["playbook_id"] = pid.strip()
    if "oncall" in data or not partial:
        oncall = data.get("oncall")
        if oncall in (None, "", {}):
            out["oncall"] = None
        elif not isinstance(oncall, dict):
            raise MonitorError("oncall", "oncall must be a rotation table (people, handoff, rotation_days,"
                                         " timezone, start) or null")
        else:
            unknown = sorted(set(oncall) - {"people", "handoff", "rotation_days", "timezone", "start"})
            if unknown:
                raise MonitorError("oncall", f"oncall: unknown key {unknown[0]!r}")
            try:
                if roster.oncall.parse_rotation(oncall, "oncall") is None:
                    raise MonitorError("oncall", "oncall.people names nobody")
            except ConfigError as exc:
                raise MonitorError("oncall", str(exc)) from None
            out["oncall"] = oncall
    for key, allowed, default in (("open_room", OPEN_ROOM, "offer"), ("status", STATUSES, "active")):
        if key in data or not partial:
            value = data.get(key, default)
            if value not in allowed:
                raise MonitorError(key, f"{key} must be one of {', '.join(allowed)}, got {value!r}")
            out[key] = value
    return out


def _encode(key: str, value):
    if key in ("keywords", "sources"):
        return json.dumps(list(value))
    if key == "oncall":
        return json.dumps(value, default=str) if value else None
    return value


def create(db: Database, now: datetime, actor: str | None, data: dict) -> Monitor:
    fields = clean(db, data)
    with transaction(db):
        cols = list(fields)
        cur = db.execute(
            f"INSERT INTO monitors ({', '.join(cols)}, created_at, created_by, updated_at)"
            f" VALUES ({', '.join('?' * len(cols))}, ?, ?, ?)",
            [_encode(k, fields[k]) for k in cols] + [iso(now), actor, iso(now)],
        )
        monitor = get(db, cur.lastrowid)
        events.append(db, None, "monitor.created", actor, monitor.to_dict(), now)
    return monitor


def update(db: Database, now: datetime, monitor_id: int, actor: str | None, data: dict) -> Monitor:
    """Change some fields (pause: ``{"status": "paused"}``)."""
    if get(db, monitor_id) is None:
        raise MonitorError("monitor", f"no monitor {monitor_id}", status=404)
    fields = clean(db, data, partial=True)
    with transaction(db):
        if fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            db.execute(f"UPDATE monitors SET {sets}, updated_at = ? WHERE id = ?",
                       [_encode(k, v) for k, v in fields.items()] + [iso(now), monitor_id])
            changed = {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}
            events.append(db, None, "monitor.updated", actor, {"monitor": monitor_id, **changed}, now)
    return get(db, monitor_id)
