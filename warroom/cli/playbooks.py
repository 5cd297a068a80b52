"""`playbooks check|list|history|diff|import|export` and `room open`."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import accounts, rooms
from ..clock import utcnow
from ..playbooks import PlaybookInvalid, checklist, parse, store


def register(sub, common) -> None:
    pb = sub.add_parser("playbooks", parents=[common], help="check, import, list and diff playbooks")
    pb_sub = pb.add_subparsers(dest="playbooks_command", metavar="ACTION", required=True)

    check = pb_sub.add_parser(
        "check", parents=[common],
        help="validate playbook files (default: the playbooks folder); exit 2 on errors",
    )
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.set_defaults(func=cmd_check)

    imp = pb_sub.add_parser(
        "import", parents=[common],
        help="store every changed playbook file as a new version (default: the playbooks folder)",
    )
    imp.add_argument("paths", nargs="*", metavar="PATH")
    imp.set_defaults(func=cmd_import)

    ls = pb_sub.add_parser("list", parents=[common], help="stored playbooks and their latest version")
    ls.set_defaults(func=cmd_list)

    hist = pb_sub.add_parser("history", parents=[common], help="every stored version of a playbook")
    hist.add_argument("id")
    hist.set_defaults(func=cmd_history)

    diff = pb_sub.add_parser("diff", parents=[common], help="unified diff between two stored versions")
    diff.add_argument("id")
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)
    diff.set_defaults(func=cmd_diff)

    exp = pb_sub.add_parser("export", parents=[common], help="write a stored version back to a file")
    exp.add_argument("id")
    exp.add_argument("version", type=int)
    exp.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_export)

    room = sub.add_parser("room", parents=[common], help="war rooms")
    room_sub = room.add_subparsers(dest="room_command", metavar="ACTION", required=True)
    opn = room_sub.add_parser(
        "open", parents=[common],
        help="open a war room from a playbook (its latest stored version, or a file)",
    )
    opn.add_argument("playbook", metavar="PLAYBOOK", help="playbook id, or the path of a playbook file")
    opn.add_argument("--title", required=True)
    opn.add_argument("--description", default="")
    opn.add_argument("--drill", action="store_true", help="mark the room as a drill")
    opn.add_argument(
        "--owner", metavar="NAME",
        help="the room's owner, a lead or admin (default: the oldest admin account)",
    )
    opn.set_defaults(func=cmd_room_open)


def _settings_db(args):
    from .common import open_database, settings_for

    settings = settings_for(args)
    return settings, open_database(settings)


def _paths(args, settings) -> list[Path]:
    from .common import UsageError

    if args.paths:
        return [Path(p) for p in args.paths]
    folder = store.folder_of(settings)
    found = store.folder_files(folder)
    if not found:
        raise UsageError(f"{folder}: no playbook files (*.md) here")
    return found


def cmd_check(args) -> int:
    from .common import UsageError, settings_for

    settings = settings_for(args)
    paths = _paths(args, settings)
    db = None
    if settings.db_path.exists():
        # Versions are checked against the stored ones only when a database
        # exists: `check` in a fresh checkout must not create one.
        from .common import open_database

        db = open_database(settings)
    errors: list[str] = []
    for path in paths:
        try:
            playbook = parse(path.read_text(encoding="utf-8"), str(path))
        except PlaybookInvalid as exc:
            errors.extend(exc.errors)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}:0: cannot read: {getattr(exc, 'strerror', None) or exc}")
            continue
        if db is not None:
            problem = store.check(db, playbook, str(path))
            if problem:
                errors.append(str(problem))
    if errors:
        raise UsageError("\n".join(errors))
    print(f"ok: {len(paths)} playbook{'s' if len(paths) != 1 else ''} valid")
    return 0


def cmd_import(args) -> int:
    from .common import UsageError

    settings, db = _settings_db(args)
    report = store.import_files(db, utcnow(), _paths(args, settings), actor="cli")
    for v in report.stored:
        print(f"stored {v.playbook_id} v{v.version} ({v.sha256[:12]}) from {v.source}")
    for v in report.unchanged:
        print(f"unchanged {v.playbook_id} v{v.version}")
    if report.errors:
        raise UsageError("\n".join(report.errors))
    return 0


def cmd_list(args) -> int:
    _settings, db = _settings_db(args)
    for v, count in store.list_latest(db):
        print(f"{v.playbook_id}\tv{v.version}\t{count} version{'s' if count != 1 else ''}\t{v.title}")
    return 0


def cmd_history(args) -> int:
    from .common import UsageError

    _settings, db = _settings_db(args)
    versions = store.history(db, args.id)
    if not versions:
        raise UsageError(f"playbooks history: no stored playbook {args.id!r}")
    for v in versions:
        print(f"v{v.version}\t{v.created_at}\t{v.created_by}\t{v.sha256[:12]}\t{v.source}")
    return 0


def cmd_diff(args) -> int:
    from .common import UsageError

    _settings, db = _settings_db(args)
    try:
        sys.stdout.write(store.diff(db, args.id, args.v1, args.v2))
        # the reply templates' changes by name, under the text diff
        for line in store.template_diff(db, args.id, args.v1, args.v2):
            print(line)
    except KeyError as exc:
        raise UsageError(f"playbooks diff: {exc.args[0]}") from None
    # What a room would run differently, after the text diff ('#' lines, which patch ignores).
    try:
        old = parse(store.get_version(db, args.id, args.v1).text)
        new = parse(store.get_version(db, args.id, args.v2).text)
    except PlaybookInvalid:
        return 0
    for line in checklist.changes(old, new):
        sys.stdout.write(f"# {line}\n")
    return 0


def cmd_export(args) -> int:
    from .common import UsageError

    _settings, db = _settings_db(args)
    found = store.get_version(db, args.id, args.version)
    if found is None:
        raise UsageError(f"playbooks export: {args.id} has no version {args.version}")
    if args.output:
        Path(args.output).write_text(found.text, encoding="utf-8")
        print(f"wrote {args.id} v{args.version} to {args.output}")
    else:
        sys.stdout.write(found.text)
    return 0


def import_folder(settings, db, actor: str) -> list[str]:
    """Store changed files of the configured folder; the error lines (what serve logs)."""
    report = store.import_files(db, utcnow(), store.folder_files(store.folder_of(settings)), actor=actor)
    return report.errors


def _owner(db, name: str | None):
    from .common import UsageError

    if name:
        user = accounts.find_user(db, name)
        if user is None:
            raise UsageError(f"room open: --owner: no user {name!r}")
        if not accounts.has_role(user, "lead"):
            raise UsageError(f"room open: --owner: {name} is {user.role}; a room owner is a lead or admin")
        return user
    for user in sorted(accounts.list_users(db), key=lambda u: u.id):
        if user.role == "admin" and not user.disabled:
            return user
    raise UsageError("room open: no admin user yet; add one with `user add NAME --role admin` or pass --owner")


def cmd_room_open(args) -> int:
    from .common import UsageError

    settings, db = _settings_db(args)
    errors = import_folder(settings, db, actor="cli")
    for line in errors:
        print(f"warning: {line}", file=sys.stderr)
    playbook_id = args.playbook
    if Path(args.playbook).is_file():
        report = store.import_files(db, utcnow(), [Path(args.playbook)], actor="cli")
        if report.errors:
            raise UsageError("\n".join(report.errors))
        playbook_id = (report.stored or report.unchanged)[0].playbook_id
    playbook = store.latest_playbook(db, playbook_id)
    if playbook is None:
        known = ", ".join(v.playbook_id for v, _ in store.list_latest(db)) or "none"
        raise UsageError(f"room open: no stored playbook {playbook_id!r} (stored: {known})")
    owner = _owner(db, args.owner)
    try:
        room = rooms.open_room(db, utcnow(), owner, args.title, args.description,
                               is_drill=args.drill, playbook=playbook)
    except rooms.RoomError as exc:
        raise UsageError(f"room open: --{exc.field}: {exc}") from None
    print(f"opened room {room.id}: {room.title} ({playbook.id} v{playbook.version})")
    print(f"{settings.url}/rooms/{room.id}")
    return 0
