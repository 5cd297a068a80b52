"""Each open war room's own chat channel: created (or linked) when the room
opens, the people on shift invited as they come on, the room's key events
posted there, drafts offered there for approval.

The rules live here; the HTTP lives in the adapter, which hands in a
``ChatApi`` (``slack.SlackRoomApi`` speaks Slack's Web API). ``sync(db, now,
api)`` does everything due and is safe to call any number of times, from
any number of processes:

- Channel: named ``channel_name(room)``. Before creating one, the channel is
  looked up by that name, so a crash after the create and before recording
  it links the channel instead of creating a second one (and an existing
  channel of that name is linked, not duplicated); ``name_taken`` from a
  racing process is answered the same way.
- Invites: the room's opener and everyone on a shift of the room at ``now``
  with a Slack id, each once (``room_channel_invites``). Slack answers a
  repeated invite with ``already_in_channel``, which counts as done, so an
  invite cut off by a crash is simply made again.
- Posts: the room's events are read in id order from the room's own cursor
  (``posted_through``). A postable event is claimed first (one short
  transaction), sent with its key in the message metadata, and recorded.
  A claim left by a crash (older than ``STALE_SECONDS``) is looked up in
  the channel's history by that key before sending again: each event is
  posted once.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from .. import accounts, events, responses, rooms, roster
from ..clock import iso, parse_iso
from ..db import Database, transaction

log = logging.getLogger(__name__)

PREFIX = "wr"
MAX_NAME = 80  # Slack: lowercase letters, digits, hyphens, underscores; at most 80
STALE_SECONDS = 120  # a claim this old belongs to a process that died
BATCH = 200
POSTED = (
    "room.opened", "room.closed", "spike.detected", "escalation.opened", "escalation.acknowledged",
    "facts.updated", "draft.submitted", "draft.approved", "draft.rejected", "lint.overridden",
    "response.published",
)
# Event kinds after which there may be something to do (the scheduler's wake-up).
WAKE_ON = POSTED + ("roster.", "room.activated")


class ChatError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class NameTaken(ChatError):
    """The name is held by a channel we cannot see (or one created meanwhile)."""


class AlreadyIn(ChatError):
    """The person is already a member: the invite's goal is met."""


class ChatApi(Protocol):
    def find_channel(self, name: str) -> str | None: ...
    def create_channel(self, name: str, private: bool) -> str: ...
    def join(self, channel_id: str) -> None: ...
    def invite(self, channel_id: str, chat_user_id: str) -> None: ...
    def post(self, channel_id: str, post: Post) -> str: ...
    def find_post(self, channel_id: str, key: str, since: datetime) -> str | None: ...


@dataclass(frozen=True)
class Approval:
    """A submitted draft offered for approval, as the approver will see it."""

    draft_id: int
    revision: int
    author: str
    text: str
    findings: tuple[dict, ...]


@dataclass(frozen=True)
class Post:
    key: str  # unique per event: found again in the channel's history
    room_id: int
    room_title: str
    text: str
    approval: Approval | None = None


@dataclass(frozen=True)
class RoomChannel:
    room_id: int
    channel_id: str
    name: str
    how: str
    linked_at: str
    posted_through: int
    pending_event: int | None
    pending_token: str | None
    pending_at: str | None
    last_error: str | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SyncResult:
    linked: list[tuple[int, str]] = field(default_factory=list)  # (room, channel id)
    invited: list[tuple[int, str]] = field(default_factory=list)  # (room, user name)
    posted: list[tuple[int, int]] = field(default_factory=list)  # (room, event id)
    errors: list[str] = field(default_factory=list)


# -- naming (pure) ----------------------------------------------------------------


def channel_name(room_id: int, title: str, prefix: str = PREFIX) -> str:
    """``wr-<id>-<slug>`` within Slack's rules: lowercase ASCII letters,
    digits, hyphens and underscores, at most 80 characters. The id keeps
    names unique per room; accents are folded, anything else becomes a hyphen."""
    head = f"{prefix}-{room_id}"
    folded = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_]+", "-", folded).strip("-_")
    room_for = MAX_NAME - len(head) - 1
    slug = slug[:room_for].rstrip("-_") if room_for > 0 else ""
    return f"{head}-{slug}" if slug else head


# -- what is posted (pure, but for the lint findings read by the caller) -------------


def _cut(text, n: int = 300) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def describe(event: events.Event) -> str | None:
    """The channel's line for one event, or None if the channel does not hear it."""
    d, who = event.data, event.actor or "Warroom"
    k = event.kind
    if k == "room.opened":
        pb = f" from playbook {d['playbook_id']} v{d.get('playbook_version')}" if d.get("playbook_id") else ""
        return f"War room opened by {who}{pb}: {d.get('title', '')}{' [drill]' if d.get('is_drill') else ''}"
    if k == "room.closed":
        return f"War room closed by {who}. The post-mortem is on the board."
    if k == "spike.detected":
        return (f"Spike: {d.get('value')} mentions/min (expected about "
                f"{round(float(d.get('expected') or 0), 1)}, score {round(float(d.get('score') or 0), 1)})")
    if k == "escalation.opened":
        return f"Paging: escalation #{d.get('escalation')} ({d.get('reason')})"
    if k == "escalation.acknowledged":
        return f"Escalation #{d.get('escalation')} acknowledged by {d.get('by') or who}"
    if k == "facts.updated":
        what = "Holding statement" if d.get("kind") == "holding" else f"Fact #{d.get('fact_id')}"
        if d.get("retired"):
            return f"{what} retired by {who}"
        return f"{what} v{d.get('version')} by {who}: {_cut(d.get('text'), 500)}"
    if k == "draft.submitted":
        return f"Draft #{d.get('draft_id')} (revision {d.get('revision')}) by {who} waits for approval"
    if k == "draft.approved":
        return f"Draft #{d.get('draft_id')} by {d.get('author')} approved by {who}"
    if k == "draft.rejected":
        return f"Draft #{d.get('draft_id')} by {d.get('author')} rejected by {who}: {_cut(d.get('reason'), 300)}"
    if k == "lint.overridden":
        return (f"{who} overrode the honesty lint on draft #{d.get('draft_id')} "
                f"({', '.join(d.get('rules') or [])}): {_cut(d.get('reason'), 300)}")
    if k == "response.published":
        return f"Published by {who}: {_cut(d.get('text'), 500)}"
    return None


def post_for(db: Database, event: events.Event, room_title: str) -> Post | None:
    text = describe(event)
    if text is None:
        return None
    approval = None
    if event.kind == "draft.submitted":
        d = event.data
        draft = responses.get_draft(db, int(d.get("draft_id") or 0))
        if draft is not None:
            body = d.get("text", draft.text)
            # The findings of the text submitted at that revision, as the board's lint shows them.
            findings = responses.check(db, draft.room_id, body, draft.mention_id)
            approval = Approval(draft.id, int(d.get("revision") or draft.revision), draft.author, body,
                                tuple(f.to_dict() for f in findings))
    return Post(f"wr-event-{event.id}", event.room, room_title, text, approval)


# -- the records ------------------------------------------------------------------------


def _row(row) -> RoomChannel | None:
    return RoomChannel(*row) if row else None


_COLS = ("room_id, channel_id, name, how, linked_at, posted_through, pending_event, pending_token,"
         " pending_at, last_error")


def get_channel(db: Database, room_id: int) -> RoomChannel | None:
    return _row(db.execute(f"SELECT {_COLS} FROM room_channels WHERE room_id = ?", [room_id]).fetchone())


def room_of_channel(db: Database, channel_id: str) -> int | None:
    row = db.execute("SELECT room_id FROM room_channels WHERE channel_id = ?", [channel_id]).fetchone()
    return row[0] if row else None


def invited(db: Database, room_id: int) -> dict[str, str]:
    """user name -> outcome of their invite to the room's channel."""
    return dict(db.execute(
        "SELECT u.name, i.outcome FROM room_channel_invites i JOIN users u ON u.id = i.user_id"
        " WHERE i.room_id = ? ORDER BY i.invited_at, u.name", [room_id]))


# -- the channel ----------------------------------------------------------------------


def ensure_channel(db: Database, now: datetime, api: ChatApi, room: rooms.Room) -> RoomChannel:
    found = get_channel(db, room.id)
    if found is not None:
        return found
    name = channel_name(room.id, room.title)
    how = "linked"
    channel_id = api.find_channel(name)  # first: a crash may have created it already
    if channel_id is None:
        try:
            channel_id = api.create_channel(name, private=accounts.is_private(db, room.id))
            how = "created"
        except NameTaken:
            channel_id = api.find_channel(name)
            if channel_id is None:
                raise ChatError(f"the channel name #{name} is taken by a channel Warroom cannot see "
                                "(archived, or private without the bot)", permanent=True) from None
    if how == "linked":
        api.join(channel_id)  # the bot must be a member to invite and to read history
    with transaction(db):
        cur = db.execute(
            "INSERT OR IGNORE INTO room_channels (room_id, channel_id, name, how, linked_at)"
            " VALUES (?, ?, ?, ?, ?)", [room.id, channel_id, name, how, iso(now)])
        if cur.rowcount:
            events.append(db, room.id, "room.channel_linked", None,
                          {"channel": channel_id, "name": name, "how": how}, now)
    return get_channel(db, room.id)


# -- invites --------------------------------------------------------------------------


def due_invites(db: Database, room: rooms.Room, now: datetime) -> list[accounts.User]:
    """Who should be in the room's channel now and has not been invited:
    the opener and everyone on a shift at ``now``, with a Slack id."""
    names: list[str] = []
    for s in roster.staffed(db, room.id, start=now, end=now + timedelta(milliseconds=1)):  # iso() keeps milliseconds
        if s.slot.contains(now):
            names.extend(n for n in s.people if n not in names)
    people = [accounts.get_user(db, room.owner_id)] if room.owner_id else []
    people += [accounts.find_user(db, n) for n in names]
    done = {r[0] for r in db.execute("SELECT user_id FROM room_channel_invites WHERE room_id = ?", [room.id])}
    out, seen = [], set()
    for u in people:
        if u is None or u.disabled or not u.slack_id or u.id in done or u.id in seen:
            continue
        seen.add(u.id)
        out.append(u)
    return out


def _record_invite(db: Database, now: datetime, room_id: int, user: accounts.User, outcome: str) -> None:
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO room_channel_invites (room_id, user_id, slack_id, invited_at, outcome)"
                   " VALUES (?, ?, ?, ?, ?)", [room_id, user.id, user.slack_id, iso(now), outcome[:300]])


def invite_due(db: Database, now: datetime, api: ChatApi, room: rooms.Room, channel: RoomChannel,
               result: SyncResult) -> None:
    for user in due_invites(db, room, now):
        try:
            api.invite(channel.channel_id, user.slack_id)
            outcome = "invited"
        except AlreadyIn:
            outcome = "already in channel"
        except ChatError as exc:
            if not exc.permanent:
                raise  # tried again next time
            outcome = str(exc)  # e.g. not in the workspace: not asked again
        _record_invite(db, now, room.id, user, outcome)
        result.invited.append((room.id, user.name))


# -- posts ----------------------------------------------------------------------------


def _claim(db: Database, now: datetime, ch: RoomChannel, event_id: int, token: str) -> bool:
    with transaction(db):
        cur = db.execute(
            "UPDATE room_channels SET pending_event = ?, pending_token = ?, pending_at = ?"
            " WHERE room_id = ? AND posted_through = ? AND pending_event IS NULL",
            [event_id, token, iso(now), ch.room_id, ch.posted_through])
        return cur.rowcount == 1


def _advance(db: Database, room_id: int, through: int, expected: int) -> bool:
    with transaction(db):
        cur = db.execute(
            "UPDATE room_channels SET posted_through = ?, pending_event = NULL, pending_token = NULL,"
            " pending_at = NULL, last_error = NULL WHERE room_id = ? AND posted_through = ?",
            [through, room_id, expected])
        return cur.rowcount == 1


def _release(db: Database, room_id: int, token: str, error: str) -> None:
    with transaction(db):
        db.execute("UPDATE room_channels SET pending_event = NULL, pending_token = NULL, pending_at = NULL,"
                   " last_error = ? WHERE room_id = ? AND pending_token = ?", [error[:300], room_id, token])


def post_due(db: Database, now: datetime, api: ChatApi, room: rooms.Room, token: str,
             result: SyncResult) -> None:
    while True:
        ch = get_channel(db, room.id)
        if ch.pending_event is not None:
            if ch.pending_token != token and parse_iso(ch.pending_at) > now - timedelta(seconds=STALE_SECONDS):
                return  # another process is posting right now
            _recover(db, now, api, room, ch, result)
            continue
        batch = events.after(db, room.id, ch.posted_through, BATCH)
        if not batch:
            return
        quiet = 0
        for event in batch:
            if describe(event) is not None:
                break
            quiet = event.id
        if quiet:  # nothing to post up to here: move the cursor in one go
            if not _advance(db, room.id, quiet, ch.posted_through):
                return
            continue
        event = batch[0]
        post = post_for(db, event, room.title)
        if not _claim(db, now, ch, event.id, token):
            return  # someone else moved first
        try:
            api.post(ch.channel_id, post)
        except ChatError as exc:
            if exc.permanent:  # e.g. the channel was archived: skip the event, say why
                _advance(db, room.id, event.id, ch.posted_through)
                _set_error(db, room.id, str(exc))
                result.errors.append(f"room {room.id}: {exc}")
                continue
            _release(db, room.id, token, str(exc))
            raise
        _advance(db, room.id, event.id, ch.posted_through)
        result.posted.append((room.id, event.id))


def _set_error(db: Database, room_id: int, error: str) -> None:
    with transaction(db):
        db.execute("UPDATE room_channels SET last_error = ? WHERE room_id = ?", [error[:300], room_id])


def _recover(db: Database, now: datetime, api: ChatApi, room: rooms.Room, ch: RoomChannel,
             result: SyncResult) -> None:
    """A claim whose outcome was never recorded: sent if the channel has it."""
    key = f"wr-event-{ch.pending_event}"
    since = parse_iso(ch.pending_at) - timedelta(minutes=5)
    if api.find_post(ch.channel_id, key, since) is None:
        event = next((e for e in events.after(db, room.id, ch.pending_event - 1, 1)), None)
        post = post_for(db, event, room.title) if event is not None and event.id == ch.pending_event else None
        if post is not None:
            api.post(ch.channel_id, post)
            result.posted.append((room.id, ch.pending_event))
    _advance(db, room.id, ch.pending_event, ch.posted_through)


# -- everything due ---------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_hex(8)


def sync(db: Database, now: datetime, api: ChatApi, token: str | None = None) -> SyncResult:
    """Channels for open rooms, invites, posts. A room whose Slack calls fail
    is left for the next run; the others go on."""
    token = token or new_token()
    result = SyncResult()
    for room in rooms.list_rooms(db):
        ch = get_channel(db, room.id)
        if room.status != "open" and (ch is None or room.status != "closed"):
            continue  # monitoring rooms wait; a closed room without a channel gets none
        try:
            if ch is None:
                ch = ensure_channel(db, now, api, room)
                result.linked.append((room.id, ch.channel_id))
            if room.status == "open":
                invite_due(db, now, api, room, ch, result)
            post_due(db, now, api, room, token, result)
        except ChatError as exc:
            log.warning("room %s channel: %s", room.id, exc)
            result.errors.append(f"room {room.id}: {exc}")
    return result
