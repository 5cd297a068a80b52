"""One secret key per installation: a serving process with another refuses to start.

Sessions (Flask's signed cookie), the ack links in pages and the platform
credentials sealed at rest (``platforms.crypto``) all depend on
``WARROOM_SECRET_KEY``, or on the key a host generates into its data folder
when that is unset. Two hosts of one PostgreSQL store with different keys,
or a SQLite backup restored on a machine that made its own, do not fail
loudly: logins drop when a request lands on the other host, links stop
working and the connectors cannot read their credentials. So the first
serving process records the key's fingerprint in the store, and every later
one compares: a mismatch stops it at start, saying which host recorded the
key and what to do.

The fingerprint is an HMAC-SHA256 of a fixed text under the key: it names
the key without revealing it. ``accept`` records a new key on purpose (a
lost key: the sealed credentials must then be entered again).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
from datetime import datetime

from .clock import iso
from .db import Database, transaction

NAME = "secret_key"


class KeyMismatch(RuntimeError):
    pass


def this_process() -> str:
    """This process as an operator would look for it, host and pid: who
    recorded the key, and who holds the publisher lock (``election``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def fingerprint(key: str) -> str:
    """16 bytes of HMAC-SHA256(key, a fixed text), hex: the same key gives the same text."""
    return hmac.new(key.encode("utf-8"), b"warroom installation key check", hashlib.sha256).hexdigest()[:32]


def check(db: Database, key: str, now: datetime, host: str) -> bool:
    """Record the key if the store has none (True); pass if it is the one
    recorded; else raise ``KeyMismatch`` saying who recorded the other one."""
    mine = fingerprint(key)
    row = _recorded(db)  # a plain read: a store that is busy or read-only still starts
    if row is None:
        with transaction(db):
            row = _recorded(db)  # another host may have recorded it meanwhile
            if row is None:
                db.execute("INSERT INTO installation_key (name, fingerprint, recorded_by, recorded_at)"
                           " VALUES (?, ?, ?, ?)", [NAME, mine, host, iso(now)])
                return True
    recorded, by, at = row
    if hmac.compare_digest(recorded, mine):
        return False
    raise KeyMismatch(
        f"this process's secret key (fingerprint {mine[:8]}) is not the installation's (fingerprint"
        f" {recorded[:8]}, recorded by {by} at {at}): every host must run with the same"
        " WARROOM_SECRET_KEY, or sessions, ack links and sealed platform credentials break."
        " Set the installation's key; if it is lost, `run.py db accept-secret-key` records this one"
        " (the platform accounts must then be connected again).")


def _recorded(db: Database):
    return db.execute("SELECT fingerprint, recorded_by, recorded_at FROM installation_key WHERE name = ?",
                      [NAME]).fetchone()


def accept(db: Database, key: str, now: datetime, host: str) -> str | None:
    """Make ``key`` the installation's key; the fingerprint it replaces, if any."""
    with transaction(db):
        row = db.execute("SELECT fingerprint FROM installation_key WHERE name = ?", [NAME]).fetchone()
        db.execute("DELETE FROM installation_key WHERE name = ?", [NAME])
        db.execute("INSERT INTO installation_key (name, fingerprint, recorded_by, recorded_at)"
                   " VALUES (?, ?, ?, ?)", [NAME, fingerprint(key), host, iso(now)])
    return row[0] if row else None
