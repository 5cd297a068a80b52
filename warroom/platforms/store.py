"""Connector rows: an account on a platform connected to a room, or to a
standing monitor (``create_for_monitor``: its batches go through the
monitor's stream, ``listening.watch.ingest``; see ``listener``).

The credentials are sealed with a ``crypto.Vault`` on the way in and opened
only to build the connector (``connector_for``); no ``ConnectorInfo``,
event or log line carries them. State is ``connected`` (listening, or
waiting for webhooks), ``error`` (the last attempt failed: ``last_error``
says why; the listener keeps retrying) or ``stopped`` (disconnected by a
person or because its room closed; its credentials are then forgotten).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from .. import events, playbooks, rooms
from ..clock import iso
from ..db import Database, transaction
from ..listening import monitors
from . import registry
from .connector import Connector, ConnectorError, Limit, compose
from .crypto import Vault

STATES = ("connected", "error", "stopped")
MAX_FIELD = 2000


class SetupError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConnectorInfo:
    """A connector as anyone may see it: everything but the credentials."""

    id: int
    room_id: int | None
    monitor_id: int | None
    platform: str
    name: str
    settings: dict
    cursor: str | None
    state: str
    last_post_at: str | None
    last_error: str | None
    last_error_at: str | None
    max_length: int | None
    limit_unit: str | None
    posts: int
    duplicates: int
    skipped: int
    errors: int
    created_at: str
    created_by: str | None
    updated_at: str

    @property
    def limit(self) -> Limit:
        if self.max_length:
            return Limit(self.max_length, self.limit_unit or "characters")
        return registry.platform(self.platform).default_limit

    def to_dict(self) -> dict:
        d = asdict(self)
        d["limit"] = {"max_length": self.limit.max_length, "unit": self.limit.unit}
        return d


_COLS = ("id, room_id, monitor_id, platform, name, settings, cursor, state, last_post_at, last_error,"
         " last_error_at, max_length, limit_unit, posts, duplicates, skipped, errors, created_at,"
         " created_by, updated_at")


def _info(row) -> ConnectorInfo | None:
    if row is None:
        return None
    v = list(row)
    v[5] = json.loads(v[5] or "{}")
    return ConnectorInfo(*v)


def get(db: Database, connector_id: int) -> ConnectorInfo | None:
    return _info(db.execute(f"SELECT {_COLS} FROM connectors WHERE id = ?", [connector_id]).fetchone())


def for_room(db: Database, room_id: int) -> list[ConnectorInfo]:
    rows = db.execute(f"SELECT {_COLS} FROM connectors WHERE room_id = ? ORDER BY id", [room_id])
    return [_info(r) for r in rows.fetchall()]


def for_monitor(db: Database, monitor_id: int) -> list[ConnectorInfo]:
    rows = db.execute(f"SELECT {_COLS} FROM connectors WHERE monitor_id = ? ORDER BY id", [monitor_id])
    return [_info(r) for r in rows.fetchall()]


def active(db: Database) -> list[ConnectorInfo]:
    """Connectors that should be listening (not stopped)."""
    rows = db.execute(f"SELECT {_COLS} FROM connectors WHERE state != 'stopped' ORDER BY id")
    return [_info(r) for r in rows.fetchall()]


def _fields(values, spec, what: str) -> dict:
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise SetupError(what, f"{what} must be an object")
    known = {name for name, _, _ in spec}
    for key in values:
        if key not in known:
            raise SetupError(f"{what}.{key}", f"unknown {what[:-1]} {key!r}; expected one of {sorted(known)}")
    out = {}
    for name, label, required in spec:
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise SetupError(f"{what}.{name}", f"{label} is required")
            continue
        if not isinstance(value, str):
            raise SetupError(f"{what}.{name}", f"{label} must be a string")
        if len(value) > MAX_FIELD:
            raise SetupError(f"{what}.{name}", f"{label} is longer than {MAX_FIELD} characters")
        out[name] = value.strip()
    return out


def create(db: Database, now: datetime, actor: str | None, vault: Vault, room_id: int, platform: str,
           name: str, settings: dict | None = None, secrets: dict | None = None) -> ConnectorInfo:
    """Connect an account to an open room: its credentials are checked with the
    platform once (``Connector.verify``; a refusal is ``SetupError`` naming
    the field and nothing is stored), then sealed."""
    def target(db: Database, clean_settings: dict) -> tuple:
        try:
            rooms.require_open(db, room_id)
        except ValueError as exc:
            raise SetupError("room", str(exc)) from None
        playbook = playbooks.room_playbook(db, room_id)
        return room_id, None, playbook.keywords if playbook is not None else ()

    return _create(db, now, actor, vault, platform, name, settings, secrets, target)


def create_for_monitor(db: Database, now: datetime, actor: str | None, vault: Vault, monitor_id: int,
                       platform: str, name: str, settings: dict | None = None,
                       secrets: dict | None = None) -> ConnectorInfo:
    """Connect an account to a standing monitor, as ``create`` does to a room;
    it follows the monitor's keywords unless ``settings`` name its own."""
    def target(db: Database, clean_settings: dict) -> tuple:
        monitor = monitors.get(db, monitor_id)
        if monitor is None:
            raise SetupError("monitor", f"no monitor {monitor_id}")
        if monitor.sources and platform not in monitor.sources:
            raise SetupError("platform", f"monitor {monitor_id} listens to {', '.join(monitor.sources)},"
                                         f" not {platform}")
        return None, monitor_id, monitor.keywords

    return _create(db, now, actor, vault, platform, name, settings, secrets, target)


def _create(db, now, actor, vault, platform, name, settings, secrets, target) -> ConnectorInfo:
    try:
        spec = registry.platform(platform)
    except registry.UnknownPlatform as exc:
        raise SetupError("platform", str(exc)) from None
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise SetupError("name", "a display name of 1 to 200 characters is required")
    clean_settings = _fields(settings, spec.settings, "settings")
    clean_secrets = _fields(secrets, spec.secrets, "secrets")
    for key, value in clean_settings.items():
        if key.endswith("_url") and not value.startswith(("https://", "http://")):
            raise SetupError(f"settings.{key}", f"{key} must start with https:// or http://")
    target(db, clean_settings)  # refuse a bad target before asking the platform
    _verify(platform, clean_settings, clean_secrets)
    with transaction(db):
        room_id, monitor_id, keywords = target(db, clean_settings)
        if keywords and "keywords" not in clean_settings:
            clean_settings["keywords"] = ",".join(keywords)  # what to follow on the platform
        cur = db.execute(
            "INSERT INTO connectors (room_id, monitor_id, platform, name, settings, secrets, state, created_at,"
            " created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'connected', ?, ?, ?)",
            [room_id, monitor_id, platform, name, json.dumps(clean_settings, sort_keys=True),
             vault.seal(clean_secrets), iso(now), actor, iso(now)],
        )
        connector_id = cur.lastrowid
        events.append(db, room_id, "connector.added", actor,
                      {"connector_id": connector_id, "platform": platform, "name": name,
                       **({"monitor": monitor_id} if monitor_id else {})}, now)
    return get(db, connector_id)


def _verify(platform: str, settings: dict, secrets: dict) -> None:
    """Ask the platform once whether these credentials work (no transaction is
    open: this is network I/O); nothing is stored when they do not."""
    try:
        registry.build(platform, settings, secrets).verify()
    except ConnectorError as exc:
        raise SetupError(exc.field or "secrets", f"{platform} did not accept the account: {exc}") from None


def disconnect(db: Database, now: datetime, actor: str | None, connector_id: int, reason: str = "") -> ConnectorInfo:
    """Stop listening and forget the credentials (the row stays: mentions name it)."""
    with transaction(db):
        info = get(db, connector_id)
        if info is None:
            raise SetupError("connector_id", f"no connector {connector_id}")
        if info.state != "stopped":
            db.execute("UPDATE connectors SET state = 'stopped', secrets = '', updated_at = ? WHERE id = ?",
                       [iso(now), connector_id])
            events.append(db, info.room_id, "connector.stopped", actor,
                          {"connector_id": connector_id, "platform": info.platform, "name": info.name,
                           "reason": reason or "disconnected"}, now)
    return get(db, connector_id)


def connector_for(db: Database, connector_id: int, vault: Vault) -> Connector:
    """Build the live connector with its opened credentials."""
    row = db.execute("SELECT platform, settings, secrets, state FROM connectors WHERE id = ?",
                     [connector_id]).fetchone()
    if row is None:
        raise ConnectorError("rejected", f"no connector {connector_id}", retryable=False)
    platform, settings, sealed, state = row
    if state == "stopped" or not sealed:
        raise ConnectorError("auth", "the connector is disconnected; connect the account again",
                             retryable=False)
    return registry.build(platform, json.loads(settings or "{}"), vault.open(sealed))


def record_error(db: Database, now: datetime, connector_id: int, error: ConnectorError | str,
                 skipped: int = 0) -> None:
    """Show what went wrong; the first error after a good spell is an event."""
    message = str(error)[:500]
    kind = getattr(error, "kind", "unavailable")
    with transaction(db):
        info = get(db, connector_id)
        if info is None or info.state == "stopped":
            return
        db.execute(
            "UPDATE connectors SET state = 'error', last_error = ?, last_error_at = ?, errors = errors + 1,"
            " skipped = skipped + ?, updated_at = ? WHERE id = ?",
            [message, iso(now), skipped, iso(now), connector_id],
        )
        if info.state != "error" or info.last_error != message:
            events.append(db, info.room_id, "connector.error", None,
                          {"connector_id": connector_id, "platform": info.platform, "kind": kind,
                           "error": message[:200]}, now)


def record_ok(db: Database, now: datetime, connector_id: int) -> None:
    """Back to ``connected`` after an error (an event says so); no-op otherwise."""
    with transaction(db):
        info = get(db, connector_id)
        if info is None or info.state != "error":
            return
        db.execute("UPDATE connectors SET state = 'connected', updated_at = ? WHERE id = ?",
                   [iso(now), connector_id])
        events.append(db, info.room_id, "connector.connected", None,
                      {"connector_id": connector_id, "platform": info.platform}, now)


def record_limit(db: Database, connector_id: int, limit: Limit) -> None:
    with transaction(db):
        db.execute("UPDATE connectors SET max_length = ?, limit_unit = ? WHERE id = ?",
                   [int(limit.max_length), limit.unit, connector_id])


def source_of(db: Database, mention_id: int) -> tuple[ConnectorInfo, dict] | None:
    """(connector, reply_ref) of a mention that came through a connector."""
    row = db.execute("SELECT connector_id, reply_ref FROM mention_sources WHERE mention_id = ?",
                     [mention_id]).fetchone()
    if row is None:
        return None
    return get(db, row[0]), json.loads(row[1])


def accounts_of(db: Database, room_id: int, first_id: int, last_id: int) -> dict[int, str]:
    """mention id -> the name of the connector (the account) it came through,
    for a room's mentions with ids in [first_id, last_id]: one query per page
    of the board's listing. Mentions that came by token or replay have none."""
    rows = db.execute(
        "SELECT s.mention_id, c.name FROM mention_sources s JOIN connectors c ON c.id = s.connector_id"
        " JOIN mentions m ON m.id = s.mention_id WHERE s.mention_id BETWEEN ? AND ? AND m.room_id = ?",
        [first_id, last_id, room_id],
    )
    return {r[0]: r[1] for r in rows}


@dataclass(frozen=True)
class ReplyRule:
    """What a reply to one mention must fit: the platform's limit, measured on
    the text as the connector will send it (``prefix`` in front, see
    ``connector.compose``)."""

    platform: str
    limit: Limit
    prefix: str

    def final_text(self, text: str) -> str:
        return compose(self.prefix, text)


def reply_rule(db: Database, mention_id: int | None) -> ReplyRule | None:
    """The rule a reply to this mention must fit, or None (no connector)."""
    if mention_id is None:
        return None
    found = source_of(db, mention_id)
    if found is None or found[0] is None:
        return None
    info, ref = found
    return ReplyRule(info.platform, info.limit, registry.platform(info.platform).reply_prefix(ref))


class TooLong(ValueError):
    field = "text"


def check_length(db: Database, mention_id: int | None, text: str) -> None:
    """Refuse a reply over its platform's limit (``TooLong``, field ``text``)."""
    rule = reply_rule(db, mention_id)
    if rule is None:
        return
    sent, limit = rule.final_text(text), rule.limit
    over = limit.over_by(sent)
    if over:
        added = f" (with the {rule.prefix.strip()} {rule.platform} puts in front)" if sent != text else ""
        raise TooLong(f"the reply is {limit.measure(sent)} {limit.unit}{added} and {rule.platform} allows "
                      f"{limit.max_length}: {over} too many")
