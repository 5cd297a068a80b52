"""Listening: `token add|list|revoke`, `ingest ROOM FILE`, `feed add|list|poll`, `drill`."""

from __future__ import annotations

import sys
from pathlib import Path

from ..clock import utcnow

PACKAGE = Path(__file__).resolve().parent.parent
PLAYBOOK_DIR = PACKAGE.parent / "playbooks"


def register(sub, common) -> None:
    token = sub.add_parser("token", parents=[common], help="ingestion tokens (one per source and room)")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    add = token_sub.add_parser("add", parents=[common], help="make a token and print it (once)")
    add.add_argument("source", metavar="SOURCE", help="e.g. twitter, facebook, rss")
    into = add.add_mutually_exclusive_group(required=True)
    into.add_argument("--room", type=int, metavar="ROOM")
    into.add_argument("--monitor", type=int, metavar="MONITOR", help="a standing monitor instead of a room")
    add.add_argument("--rate", type=int, default=None, metavar="N",
                     help="requests a minute (default: [ingest] requests_per_minute)")
    add.set_defaults(func=cmd_token_add)
    ls = token_sub.add_parser("list", parents=[common], help="list tokens (never their secrets)")
    ls.add_argument("--room", type=int, default=None)
    ls.set_defaults(func=cmd_token_list)
    rv = token_sub.add_parser("revoke", parents=[common], help="revoke a token by id")
    rv.add_argument("token_id", type=int, metavar="ID")
    rv.set_defaults(func=cmd_token_revoke)

    ing = sub.add_parser("ingest", parents=[common], help="replay a CSV or NDJSON of mentions into a room")
    ing.add_argument("room", type=int, metavar="ROOM")
    ing.add_argument("file", metavar="FILE")
    ing.add_argument("--source", default=None, help="source for rows that name none (e.g. twitter)")
    _replay_options(ing)
    ing.set_defaults(func=cmd_ingest)

    feed = sub.add_parser("feed", parents=[common], help="RSS/Atom feeds polled into a room")
    feed_sub = feed.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    fadd = feed_sub.add_parser("add", parents=[common], help="poll URL into ROOM")
    fadd.add_argument("room", type=int, metavar="ROOM")
    fadd.add_argument("url", metavar="URL")
    fadd.add_argument("--keywords", default="",
                      help="extra comma-separated keywords (besides the playbook's)")
    fadd.set_defaults(func=cmd_feed_add)
    fls = feed_sub.add_parser("list", parents=[common], help="list feeds")
    fls.set_defaults(func=cmd_feed_list)
    fpoll = feed_sub.add_parser("poll", parents=[common], help="poll every feed now")
    fpoll.set_defaults(func=cmd_feed_poll)

    drill = sub.add_parser("drill", parents=[common],
                           help="open a drill room from a playbook and replay a storm into it")
    drill.add_argument("playbook", metavar="PLAYBOOK", help="a playbook id (playbooks/ID.md) or file")
    drill.add_argument("file", nargs="?", default=None, metavar="FILE",
                       help="CSV or NDJSON to replay (default: the playbook's own demo storm, its"
                            " demo_storm key: synthetic, shipped)")
    _replay_options(drill)
    drill.add_argument("--page-real", action="store_true",
                       help="let the drill's spikes page real people (off by default)")
    drill.add_argument("--title", default=None)
    drill.add_argument("--owner", default=None, metavar="NAME", help="the room's owner (a user name)")
    drill.set_defaults(func=cmd_drill)


def _replay_options(p) -> None:
    p.add_argument("--speed", type=float, default=None, metavar="X",
                   help="keep the original rhythm X times faster (60: an hour in a minute); "
                        "default: as fast as possible, in batches")
    p.add_argument("--batch", type=int, default=1000, metavar="N", help="mentions per transaction")


def _open(args):
    from .common import open_database, settings_for

    settings = settings_for(args)
    return settings, open_database(settings)


def cmd_token_add(args) -> int:
    from ..listening import tokens
    from .common import UsageError

    _settings, db = _open(args)
    try:
        token, secret = tokens.create(db, utcnow(), args.source, args.room, actor="cli", rate_per_minute=args.rate,
                                      monitor_id=args.monitor)
    except tokens.TokenError as exc:
        raise UsageError(f"token add: {exc.field}: {exc}") from None
    into = f"room {token.room_id}" if token.room_id is not None else f"monitor {token.monitor_id}"
    print(f"token {token.id} for source {token.source!r} into {into} (shown once, keep it):")
    print(secret)
    return 0


def cmd_token_list(args) -> int:
    from ..listening import tokens

    _settings, db = _open(args)
    for t in tokens.list_tokens(db, args.room):
        state = f"revoked {t.revoked_at}" if t.revoked_at else "live"
        into = f"room {t.room_id}" if t.room_id is not None else f"monitor {t.monitor_id}"
        print(f"{t.id}\t{t.source}\t{into}\t{t.rate_per_minute or 'default'}/min\t{state}")
    return 0


def cmd_token_revoke(args) -> int:
    from ..listening import tokens
    from .common import UsageError

    _settings, db = _open(args)
    try:
        tokens.revoke(db, utcnow(), args.token_id, actor="cli")
    except tokens.TokenError as exc:
        raise UsageError(f"token revoke: {exc}") from None
    print(f"revoked token {args.token_id}")
    return 0


class ProgressBar:
    """``[#####.....] n/total`` on stderr, redrawn in place."""

    def __init__(self, label: str, stream=None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        pct = int(100 * done / total) if total else 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {pct:3d}%")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _load(path: str, settings, source: str | None = None):
    from ..listening import mentions, replay
    from .common import UsageError

    try:
        return replay.load(path, utcnow(), mentions.Limits(text=settings.ingest.max_text_chars),
                           default_source=source)
    except replay.ReplayFileError as exc:
        raise UsageError(str(exc)) from None


def _run(db, room_id: int, batch, args, label: str, settings):
    from ..listening import replay
    from ..listening.sentiment import Scorer
    from .common import UsageError

    if args.speed is not None and args.speed <= 0:
        raise UsageError("--speed must be positive")
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    return replay.replay(db, room_id, batch, Scorer(), speed=args.speed, batch_size=args.batch,
                         progress=ProgressBar(label), actor="replay",
                         detector_params=settings.spikes.detector_params)


def cmd_ingest(args) -> int:
    from ..listening import mentions
    from .common import UsageError

    settings, db = _open(args)
    batch = _load(args.file, settings, args.source)
    try:
        mentions._room_for_ingest(db, args.room)
    except mentions.RoomNotListening as exc:
        raise UsageError(f"ingest: room: {exc}") from None
    result = _run(db, args.room, batch, args, "ingest", settings)
    print(f"{result.accepted} accepted, {result.duplicates} duplicates, {result.spikes} spikes"
          f" in {result.batches} batches into room {args.room}")
    return 0


def _playbook(ref: str):
    from .. import playbooks
    from .common import UsageError

    path = Path(ref)
    if not path.is_file():
        path = PLAYBOOK_DIR / f"{ref}.md"
    if not path.is_file():
        known = sorted(p.stem for p in PLAYBOOK_DIR.glob("*.md"))
        raise UsageError(f"drill: no playbook {ref!r} (known: {', '.join(known) or 'none'})")
    try:
        return playbooks.parse(path.read_text(encoding="utf-8"), str(path))
    except playbooks.PlaybookInvalid as exc:
        raise UsageError("\n".join(exc.errors)) from None


def _owner(db, name: str | None):
    from .. import accounts
    from ..accounts import User
    from .common import UsageError

    if name:
        user = accounts.find_user(db, name)
        if user is None:
            raise UsageError(f"drill: owner: no user {name!r}")
        return user
    admins = [u for u in accounts.list_users(db) if u.role == "admin" and not u.disabled]
    # A fresh machine has no users yet: the drill room then has no owner.
    return admins[0] if admins else User(None, "drill", "admin", None, "UTC", False)


def _drill_title(db, base: str, now) -> str:
    """'<playbook title> #N · 01 Dec 16:05 UTC': N counts this playbook's drills."""
    from .. import rooms

    n = 1 + sum(r.is_drill and base in r.title for r in rooms.list_rooms(db))
    return f"{base} #{n} · {now:%d %b %H:%M} UTC"


def cmd_drill(args) -> int:
    from ..listening import drills, mentions, storms

    settings, db = _open(args)
    playbook = _playbook(args.playbook)
    if args.file:
        file, batch = Path(args.file).name, _load(args.file, settings)
    else:
        # the playbook's own storm: an airline room rehearses stranded passengers
        storm = storms.storm_for(playbook)
        file = storm.label()
        batch = storms.load(storm, utcnow(), mentions.Limits(text=settings.ingest.max_text_chars))
        print(f"replaying the {storm.name} demo storm ({storm.description}; synthetic)", flush=True)
    owner = _owner(db, args.owner)
    now = utcnow()
    # Each drill its own title (the rooms list told three "DRILL: ..." apart by id only).
    title = args.title or _drill_title(db, playbook.title, now)
    room = drills.start(db, now, owner, playbook, file, args.speed,
                        page_real=args.page_real, title=title)
    print(f"drill room {room.id}: {room.title} ({settings.url}/rooms/{room.id})", flush=True)
    result = _run(db, room.id, drills.scoped(room.id, batch), args, "drill", settings)
    drills.finish(db, utcnow(), room.id, result.accepted, result.spikes, actor="drill")
    print(f"{result.accepted} mentions replayed ({result.duplicates} duplicate rows dropped),"
          f" {result.spikes} spikes detected"
          f"{'' if args.page_real else ' (drill: nobody real was paged)'}")
    return 0


def cmd_feed_add(args) -> int:
    from ..platforms import rss as feeds
    from .common import UsageError

    _settings, db = _open(args)
    try:
        feed = feeds.add_feed(db, utcnow(), args.room, args.url, args.keywords, actor="cli")
    except feeds.FeedError as exc:
        raise UsageError(f"feed add: {exc.field}: {exc}") from None
    print(f"feed {feed.id}: {feed.url} into room {feed.room_id}")
    return 0


def cmd_feed_list(args) -> int:
    from ..platforms import rss as feeds

    _settings, db = _open(args)
    for f in feeds.list_feeds(db):
        print(f"{f.id}\troom {f.room_id}\t{f.url}\tlast {f.last_polled_at or '-'} ({f.last_status or '-'})")
    return 0


def cmd_feed_poll(args) -> int:
    from ..platforms import rss as feeds

    settings, db = _open(args)
    for outcome in feeds.poll_all(db, utcnow(), settings, force=True):
        print(f"feed {outcome.feed_id}: status {outcome.status}, {outcome.accepted} new"
              f"{', ' + outcome.error if outcome.error else ''}")
    return 0
