"""What Slack hears: decides from the event stream which events become a
Slack message, and sends them (or, without Slack, logs them; the board
already shows every event).

Notices to one person (shift reminders, hand-over prompts) go through that
person's own methods (``contacts.notice_methods``: those they marked, else
those of their earliest page rule, else a Slack DM), show times in their
time zone, and are skipped in their quiet hours (they are not pages).

Each event is notified at most once: the notifier keeps its own cursor in
``notifier_cursor`` and moves it past a batch (compare-and-set, so two
processes never take the same batch) before sending. A crash mid-batch
loses those notifications rather than repeating them. Pages are not sent
here: ``escalation.paging`` sends them with its exactly-once claims.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import accounts, events, rooms
from ..clock import parse_iso, utcnow
from ..db import Database, transaction

log = logging.getLogger(__name__)
CURSOR = "slack"
KINDS = (
    "room.opened", "room.closed", "spike.detected", "escalation.opened", "escalation.acknowledged",
    "page.failed", "delivery.failed", "roster.shift_reminder", "roster.handover_requested", "response.published",
    "response.clock_breached", "response.delivered", "response.delivery_failed",
    "response.posted_by_hand", "checklist.item_overdue", "rhythm.reminder", "rhythm.missed",
    "update.published",
)
WAKE_ON = KINDS
BATCH = 200


@dataclass(frozen=True)
class Notice:
    dest: str  # "#channel", a channel id, or "user:NAME"
    text: str
    subject: str = ""  # the e-mail subject or push title, for notices to a person


PERSONAL = ("roster.shift_reminder", "roster.handover_requested",
            "checklist.item_overdue", "rhythm.reminder", "rhythm.missed")


def local_time(ts: str | None, tz: str | None) -> str:
    """Pure: 'Sun 29 Mar 11:15 CEST' in the person's zone (UTC if theirs is unknown)."""
    if not ts:
        return "?"
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return parse_iso(ts).astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _cut(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# Duties told to the owner role's people on shift (named in the event's ``users``).
_DUTIES = {
    "checklist.item_overdue": lambda d, where, tz: (
        f"Overdue in {where}: checklist item {d.get('item')} ({d.get('owner')}), due "
        f"{local_time(d.get('due_at'), tz)}: {_cut(d.get('text', ''), 200)}",
        "Warroom: a checklist item is overdue"),
    "rhythm.reminder": lambda d, where, tz: (
        f"Due at {local_time(d.get('due_at'), tz)} in {where}: {d.get('describe')}.",
        "Warroom: an update is due"),
    "rhythm.missed": lambda d, where, tz: (
        f"Missed in {where}: {d.get('describe')} was due at {local_time(d.get('due_at'), tz)}.",
        "Warroom: an update was missed"),
}


def decide(event: events.Event, room_title: str, room_channel: str | None, tz: str = "UTC",
           tzs: dict[str, str] | None = None) -> list[Notice]:
    """Pure: the messages one event deserves (none for most kinds); ``tz`` is
    the time zone of the person a personal notice is for, ``tzs`` those of
    the several people a duty is told to (by name)."""
    d = event.data
    where = f"*{room_title}*" if room_title else f"room {event.room}"
    text = None
    if event.kind in PERSONAL:  # plain text: these go by e-mail, push or SMS as well as Slack
        where = room_title or f"room {event.room}"
    if event.kind == "roster.shift_reminder":
        return [Notice(f"user:{d.get('user')}", f"Reminder: your {d.get('role')} shift in {where} starts at "
                                                f"{local_time(d.get('starts_at'), tz)}.",
                       f"Warroom: your {d.get('role')} shift starts soon")] if d.get("user") else []
    if event.kind == "roster.handover_requested":
        to = ", ".join(d.get("incoming") or []) or "the next shift"
        return [Notice(f"user:{d.get('user')}", f"Your {d.get('role')} shift in {where} ends at "
                                                f"{local_time(d.get('ends_at'), tz)}. Please leave a hand-over "
                                                f"note for {to} on the board.",
                       f"Warroom: hand over your {d.get('role')} shift")] if d.get("user") else []
    if event.kind in _DUTIES:
        out = []
        for name in d.get("users") or []:
            text, subject = _DUTIES[event.kind](d, where, (tzs or {}).get(name, tz))
            out.append(Notice(f"user:{name}", text, subject))
        return out
    if event.kind == "room.opened":
        text = f"War room opened: {where} ({d.get('status', 'open')}){' [drill]' if d.get('is_drill') else ''}"
    elif event.kind == "room.closed":
        text = f"War room closed: {where}"
    elif event.kind == "spike.detected":
        text = (f"Spike in {where}: {d.get('value')} mentions/min (expected about "
                f"{round(float(d.get('expected') or 0), 1)}, score {round(float(d.get('score') or 0), 1)})")
    elif event.kind == "escalation.opened":
        text = f"Escalation #{d.get('escalation')} opened in {where} ({d.get('reason')}); paging now."
    elif event.kind == "escalation.acknowledged":
        text = (f"Escalation #{d.get('escalation')} in {where} acknowledged by {d.get('by')} after "
                f"{d.get('seconds_to_ack')} s.")
    elif event.kind == "page.failed":
        text = f"Page to {d.get('recipient')} in {where} failed: {_cut(d.get('error', ''), 120)}. Climbing."
    elif event.kind == "delivery.failed":  # the lead hears that a person's method does not work
        text = (f"{d.get('kind')} to {d.get('recipient')} failed in {where}: {_cut(d.get('error', ''), 120)}. "
                f"{'Trying their next method.' if d.get('next') else 'No method left for them.'}")
    elif event.kind == "response.published":
        text = f"Response published in {where} by {event.actor}: {_cut(d.get('text', ''))}"
    elif event.kind in ("response.delivered", "response.posted_by_hand"):
        how = "posted by hand by " + str(event.actor) if event.kind == "response.posted_by_hand" else "delivered"
        text = f"Reply {d.get('response_id')} in {where} {how} on {d.get('platform')}: {d.get('url')}"
    elif event.kind == "response.delivery_failed":
        text = (f"Reply {d.get('response_id')} in {where} could not be posted on {d.get('platform')}: "
                f"{_cut(d.get('error', ''), 160)}. A lead can post it by hand and mark it.")
    elif event.kind == "update.published":
        kind = "Final update" if d.get("final") else f"{str(d.get('audience', '')).capitalize()} update"
        text = f"{kind} in {where} (by {d.get('author')}, approved by {d.get('approved_by')}): {_cut(d.get('text', ''), 600)}"
    elif event.kind == "response.clock_breached":
        text = (f"Response clock breached in {where}: {d.get('count')} mention(s) unanswered after "
                f"{d.get('first_response_minutes')} min.")
    if text is None or not room_channel:
        return [] if text is None else [Notice("", text)]
    return [Notice(room_channel, text)]


def _room_info(db: Database, room_id: int | None, default_channel: str) -> tuple[str, str | None]:
    if room_id is None:
        return "", default_channel or None
    room = rooms.get_room(db, room_id)
    channel = None
    try:
        from .. import playbooks

        pb = playbooks.room_playbook(db, room_id)
        channel = pb.slack_channel if pb else None
    except Exception:  # a broken snapshot must not stop notifications
        log.exception("notifier: room %s playbook", room_id)
    return (room.title if room else ""), (channel or default_channel or None)


def take_batch(db: Database, name: str = CURSOR) -> list[events.Event]:
    """Move the cursor past the next batch and return it (at most once)."""
    with transaction(db):
        row = db.execute("SELECT last_id FROM notifier_cursor WHERE name = ?", [name]).fetchone()
        if row is None:  # first run: start now, do not replay history
            db.execute("INSERT INTO notifier_cursor (name, last_id) VALUES (?, ?)", [name, events.last_id(db)])
            return []
        batch = events.since(db, row[0], BATCH)
        if not batch:
            return []
        db.execute("UPDATE notifier_cursor SET last_id = ? WHERE name = ? AND last_id = ?",
                   [batch[-1].id, name, row[0]])
    return [e for e in batch if e.kind in KINDS]


def _tzs_of(db: Database, event: events.Event) -> dict[str, str]:
    """The time zones of the people a duty notice names."""
    if event.kind not in _DUTIES:
        return {}
    out = {}
    for name in event.data.get("users") or []:
        user = accounts.find_user(db, str(name))
        out[str(name)] = user.tz if user and user.tz else "UTC"
    return out


def _tz_of(db: Database, event: events.Event) -> str:
    if event.kind not in PERSONAL or not event.data.get("user"):
        return "UTC"
    user = accounts.find_user(db, str(event.data["user"]))
    return user.tz if user and user.tz else "UTC"


def notify(db: Database, sender, default_channel: str, name: str = CURSOR, senders: dict | None = None,
           now: datetime | None = None) -> list[Notice]:
    """Tell each new event's notices; ``senders`` (kind -> contact-method
    sender) reach people through their own methods."""
    sent: list[Notice] = []
    while True:
        batch = take_batch(db, name)
        if not batch:
            return sent
        for event in batch:
            title, channel = _room_info(db, event.room, default_channel)
            for notice in decide(event, title, channel, _tz_of(db, event), _tzs_of(db, event)):
                deliver(db, sender, notice, now, senders)
                sent.append(notice)


def deliver(db: Database, sender, notice: Notice, now: datetime | None = None, senders: dict | None = None) -> None:
    from .contacts import is_quiet, notice_methods, quiet_hours

    dest = notice.dest
    if dest.startswith("user:"):
        user = accounts.find_user(db, dest[5:])
        if user and is_quiet(quiet_hours(db, user), user.tz, now or utcnow()):
            log.info("notice to %s skipped: quiet hours (%s)", user.name, notice.text)
            return
        methods = notice_methods(db, user) if user and senders else []
        usable = [m for m in methods if senders.get(m.kind) is not None]
        if usable:
            for m in usable:  # once per method; a failure is logged (at most once, as every notice)
                try:
                    senders[m.kind].send_text(m.address, notice.subject or "Warroom", notice.text)
                except Exception as exc:
                    log.warning("notice to %s by %s failed: %s", user.name, m.kind, exc)
            return
        dest = user.slack_id if user and user.slack_id else ""
    if sender is None or not hasattr(sender, "post") or not dest:
        log.info("notice (not sent to Slack): %s", notice.text)
        return
    try:
        sender.post(dest, notice.text)
    except Exception as exc:  # at most once: log and go on
        log.warning("notice to %s failed: %s (%s)", dest, exc, notice.text)
