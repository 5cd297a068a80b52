"""`db migrate [URL]`, `db copy SRC DST` and `db accept-secret-key`: the store itself.

``db migrate`` applies the missing migrations to the configured store (or
URL) and prints what it did. ``db copy sqlite:///var/warroom.db
postgresql://host/warroom`` moves an installation (see dbcopy.py): progress
on stderr, then one line per table with both row counts and checksums; exit
1 if any table does not match. Stop the app first: rows written during the
copy are not in it. ``db accept-secret-key`` records this host's secret key
as the installation's (``keycheck``), for a key that is lost.
"""

from __future__ import annotations

import sys
import time

from .common import UsageError, settings_for


def register(sub, common) -> None:
    p = sub.add_parser("db", parents=[common], help="migrate the store, or copy it to another")
    db_sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    m = db_sub.add_parser("migrate", parents=[common], help="apply missing migrations")
    m.add_argument("url", nargs="?", default=None, help="sqlite:///path or postgresql://... (default: [db])")
    m.set_defaults(func=cmd_migrate)
    c = db_sub.add_parser("copy", parents=[common], help="copy every row into an empty store")
    c.add_argument("source", help="sqlite:///path or postgresql://...")
    c.add_argument("target", help="sqlite:///path or postgresql://... (migrated here; must be empty)")
    c.set_defaults(func=cmd_copy)
    k = db_sub.add_parser("accept-secret-key", parents=[common],
                          help="make this host's secret key the installation's (a lost key)")
    k.set_defaults(func=cmd_accept_secret_key)


def _open(url: str, settings):
    from .. import db as dbmod

    if not (url.startswith(("sqlite:///", "postgresql://", "postgres://"))):
        raise UsageError(f"db: {url!r} is not a sqlite:///path or postgresql:// URL")
    return dbmod.connect(url, settings.db.busy_timeout_ms)


def cmd_migrate(args) -> int:
    from .. import db as dbmod

    settings = settings_for(args)
    db = _open(args.url or settings.db_url, settings)
    try:
        done = dbmod.migrate(db)
        print(f"applied {', '.join(f'{n:04d}' for n in done)}" if done else "up to date", flush=True)
    finally:
        db.close()
    return 0


def cmd_accept_secret_key(args) -> int:
    """Record this host's key (WARROOM_SECRET_KEY, else its data folder's) as
    the one every serving process must have; what it replaces is printed."""
    from .. import config as configmod
    from .. import keycheck
    from ..clock import utcnow

    settings = settings_for(args)
    db = _open(settings.db_url, settings)
    try:
        key = configmod.secret_key(settings)
        replaced = keycheck.accept(db, key, utcnow(), keycheck.this_process())
    finally:
        db.close()
    mine = keycheck.fingerprint(key)[:8]
    print(f"the installation's secret key is now {mine}" + (f" (was {replaced[:8]}); connect the platform"
          " accounts again: their sealed credentials were under the old key" if replaced and replaced[:8] != mine
          else ""), flush=True)
    return 0


def cmd_copy(args) -> int:
    from .. import dbcopy

    settings = settings_for(args)
    source, target = _open(args.source, settings), _open(args.target, settings)
    last = [0.0]

    def progress(line: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:  # a line a half-second, not one per batch
            last[0] = now
            print(line, file=sys.stderr, flush=True)

    try:
        results = dbcopy.copy_store(source, target, progress)
    except dbcopy.CopyError as exc:
        print(f"db copy: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    width = max(len(r.table) for r in results)
    for r in results:
        mark = "ok" if r.ok else "MISMATCH"
        print(f"{r.table:<{width}}  {r.source_rows:>8} -> {r.target_rows:<8}  {r.source_checksum}"
              f" {r.target_checksum}  {mark}")
    bad = [r.table for r in results if not r.ok]
    total = sum(r.target_rows for r in results)
    print(f"copied {total} rows in {len(results)} tables" + (f"; MISMATCH in {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0
