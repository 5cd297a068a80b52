"""`export ROOM --format md|html|json [-o FILE]`: the post-mortem of a room.

Without ``-o`` the report goes to stdout (Markdown charts as data URIs); with
``-o report.md`` the charts are written as SVG files next to it. Rooms with
many rows print their progress on stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Below this many events + mentions an export takes well under a second.
PROGRESS_ROWS = 10_000


def register(sub, common) -> None:
    p = sub.add_parser("export", parents=[common], help="export a room's post-mortem")
    p.add_argument("room", help="room id")
    p.add_argument("--format", "-f", dest="fmt", required=True, choices=("md", "html", "json"))
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write here instead of stdout (Markdown: charts as SVG files next to it)")
    p.add_argument("--inline-charts", action="store_true",
                   help="Markdown with -o: keep the charts as data URIs instead of files")
    p.set_defaults(func=cmd_export)


def _size(db, room_id: int) -> int:
    rows = db.execute("SELECT COUNT(*) FROM events WHERE room_id = ?", [room_id]).fetchone()[0]
    if "mentions" in db.table_names():
        rows += db.execute("SELECT COUNT(*) FROM mentions WHERE room_id = ?", [room_id]).fetchone()[0]
    return rows


def cmd_export(args) -> int:
    from .. import postmortem
    from ..clock import utcnow
    from ..postmortem import render
    from .common import UsageError, open_database, settings_for

    try:
        room_id = int(args.room)
    except ValueError:
        raise UsageError(f"export: room: expected a room id, got {args.room!r}") from None
    db = open_database(settings_for(args))
    try:
        if db.execute("SELECT 1 FROM rooms WHERE id = ?", [room_id]).fetchone() is None:
            raise UsageError(f"export: room: no room {room_id}")
        started = time.monotonic()
        progress = None
        if _size(db, room_id) >= PROGRESS_ROWS:
            def progress(message: str) -> None:
                print(f"export: {message} ({time.monotonic() - started:.1f} s)", file=sys.stderr,
                      flush=True)
        report = postmortem.build_report(db, room_id, utcnow(), progress)
    finally:
        db.close()
    if progress:
        progress(f"rendering {args.fmt}")
    files: dict[str, str] = {}
    if args.fmt == "md" and args.output and not args.inline_charts:
        text, files = render.markdown_with_files(report, Path(args.output).stem)
    else:
        text = render.render(report, args.fmt)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        for name, svg in files.items():
            (out.parent / name).write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"export: -o: cannot write {out}: {exc.strerror}") from None
    if progress:
        progress(f"wrote {out} ({len(text):,} characters)")
    return 0
