"""`privacy export|erase|retention|sweep`, `backup FILE` and `restore FILE`."""

from __future__ import annotations

import json
import sys
import time

from .. import backup as backupmod
from .. import db as dbmod
from .. import privacy
from ..clock import utcnow
from .common import UsageError, open_database, settings_for


def register(sub, common) -> None:
    p = sub.add_parser("privacy", parents=[common], help="data-subject requests and retention")
    psub = p.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    ex = psub.add_parser("export", parents=[common],
                         help="print every row about a platform author as JSON")
    ex.add_argument("author", metavar="AUTHOR", help="the author's handle as stored, e.g. @anna")
    ex.add_argument("--out", metavar="FILE", help="write the JSON here instead of standard output")
    ex.set_defaults(func=cmd_export)
    er = psub.add_parser("erase", parents=[common],
                         help="erase a platform author's personal data (counts stay)")
    er.add_argument("author", metavar="AUTHOR")
    er.set_defaults(func=cmd_erase)
    rt = psub.add_parser("retention", parents=[common],
                         help="show teams' retention, or set one: retention TEAM DAYS|default")
    rt.add_argument("team", nargs="?", metavar="TEAM", help="team id or name")
    rt.add_argument("days", nargs="?", metavar="DAYS|default")
    rt.set_defaults(func=cmd_retention)
    sw = psub.add_parser("sweep", parents=[common], help="run the retention job once now")
    sw.set_defaults(func=cmd_sweep)

    b = sub.add_parser("backup", parents=[common], help="consistent online copy of the database to FILE")
    b.add_argument("file", metavar="FILE")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", parents=[common],
                       help="check FILE (integrity, migrations) and restore it over the database")
    r.add_argument("file", metavar="FILE")
    r.set_defaults(func=cmd_restore)


def _privacy_error(action: str, exc: privacy.PrivacyError) -> UsageError:
    return UsageError(f"privacy {action}: {exc.field}: {exc}")


def cmd_export(args) -> int:
    db = open_database(settings_for(args))
    try:
        found = privacy.export_author(db, utcnow(), args.author, "cli")
    except privacy.PrivacyError as exc:
        raise _privacy_error("export", exc) from None
    text = json.dumps(found, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{args.out}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def cmd_erase(args) -> int:
    db = open_database(settings_for(args))
    try:
        done = privacy.erase_author(db, utcnow(), args.author, "cli")
    except privacy.PrivacyError as exc:
        raise _privacy_error("erase", exc) from None
    print("erased " + ", ".join(f"{k} {v}" for k, v in done.items()))
    return 0


def cmd_retention(args) -> int:
    db = open_database(settings_for(args))
    if args.team is None:
        for row in privacy.retention_of(db):
            days = row["retention_days"]
            print(f"{row['team_id']}\t{row['team']}\t{days if days is not None else 'default'}")
        return 0
    if args.days is None:
        raise UsageError("privacy retention: days: give a number of days or 'default'")
    team = db.execute("SELECT id FROM teams WHERE id = ? OR name = ? COLLATE NOCASE",
                      [args.team if args.team.isdigit() else -1, args.team]).fetchone()
    if team is None:
        raise UsageError(f"privacy retention: team: no team {args.team!r}")
    if args.days == "default":
        days = None
    elif args.days.isdigit():
        days = int(args.days)
    else:
        raise UsageError("privacy retention: days: give a number of days or 'default'")
    try:
        row = privacy.set_retention(db, utcnow(), team[0], days, "cli")
    except privacy.PrivacyError as exc:
        raise _privacy_error("retention", exc) from None
    print(f"{row['team']}: {row['retention_days'] or 'default'}")
    return 0


def cmd_sweep(args) -> int:
    settings = settings_for(args)
    db = open_database(settings)
    done = privacy.retention_sweep(db, utcnow(), settings.privacy.retention_days)
    print(f"erased mentions {done.mentions}, monitor_mentions {done.monitor_mentions}")
    return 0


def cmd_backup(args) -> int:
    db = open_database(settings_for(args))
    last = [0.0]

    def progress(line: str) -> None:  # PostgreSQL: a line a half-second on stderr
        if time.monotonic() - last[0] >= 0.5:
            last[0] = time.monotonic()
            print(f"backup: {line}", file=sys.stderr, flush=True)

    try:
        path = backupmod.backup(db, args.file, progress)
    except (backupmod.BackupError, OSError) as exc:
        raise UsageError(f"{args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    print(f"backed up to {path}")
    return 0


def cmd_restore(args) -> int:
    settings = settings_for(args)
    # Check first, so a refused file never touches the database (or creates it).
    try:
        backupmod.check_restorable(args.file)
    except backupmod.BackupError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    db = dbmod.connect(settings.db_url, settings.db.busy_timeout_ms)
    try:
        applied = backupmod.restore(args.file, db)
    except backupmod.BackupError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    finally:
        db.close()
    extra = f"; applied migrations {', '.join(map(str, applied))}" if applied else ""
    print(f"restored {args.file} into {dbmod.printable(settings.db_url)}{extra}")
    return 0
