"""`oncall show [--days N]`: the standing on-call rotation, turn by turn."""

from __future__ import annotations

import sys
from datetime import timedelta

from .. import accounts
from ..clock import utcnow
from ..roster import oncall


def register(sub, common) -> None:
    p = sub.add_parser("oncall", parents=[common], help="the standing on-call rotation")
    p_sub = p.add_subparsers(dest="oncall_command", metavar="ACTION", required=True)
    show = p_sub.add_parser("show", parents=[common], help="print who is on call, turn by turn")
    show.add_argument("--days", type=int, default=7, help="how many days ahead (default 7)")
    show.set_defaults(func=cmd_show)


def _local(dt, tz) -> str:
    return dt.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")


def cmd_show(args) -> int:
    from zoneinfo import ZoneInfo

    from .common import UsageError, open_database, settings_for

    if not 1 <= args.days <= 366:
        raise UsageError(f"oncall show: --days must be between 1 and 366, got {args.days}")
    settings = settings_for(args)
    rotation = oncall.load_rotation(settings)
    if rotation is None:
        print("no on-call rotation configured (set [oncall] people, or [oncall] file)",
              file=sys.stderr)
        return 1
    db = open_database(settings)
    try:
        now = utcnow()
        tz = ZoneInfo(rotation.tz)
        known = {u.name.casefold(): u for u in accounts.list_users(db)}
        print(f"on-call rotation ({rotation.source}): {', '.join(rotation.people)}; "
              f"{rotation.days}-day turns handed off at {rotation.handoff:%H:%M} {rotation.tz}")
        for turn in oncall.turns(rotation, now, now + timedelta(days=args.days)):
            user = known.get(turn.user.casefold())
            notes = []
            if turn.override:
                notes.append(f"override{': ' + turn.reason if turn.reason else ''}")
            if user is None:
                notes.append("no such user")
            elif user.disabled:
                notes.append("disabled")
            if turn.starts <= now < turn.ends:
                notes.append("now")
            extra = f"  ({'; '.join(notes)})" if notes else ""
            print(f"{_local(turn.starts, tz)} -> {_local(turn.ends, tz)}  {turn.user}{extra}")
    finally:
        db.close()
    return 0
