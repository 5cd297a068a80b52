"""Socket.IO adapter: the /board namespace and the publisher of committed events.

Connections are authenticated with the same server-side session as pages;
every command re-checks the session and the role it needs, so a logout or a
demotion takes effect at once, and each session's commands are rate-limited
(``CommandLimiter``, a token bucket). Each socket also joins ``user:<id>``, so
that a password change can disconnect the user's sockets (``disconnect_user``;
this process's only, the database's session check covers the other workers).
``publisher.Publisher``, through this module's ``SocketEmitter``, is the
one place that emits ``event`` (one event) and ``events`` (a list, when
commits come faster than they can be sent) messages: every committed row of
the events table, in id order, to the room's channel (``room:<id>``;
room-less and ``room.*`` events also to ``lobby``). An event that concerns one
person (they are paged, put on a shift or given a mention: ``notifications.personal``) is
also sent as an ``alert`` to that person's ``user:<id>`` channel, if they
may see its room.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room, leave_room

from . import accounts, events, notifications, rooms, validate
from . import db as dbmod
from .clock import utcnow

log = logging.getLogger(__name__)
NAMESPACE = "/board"


@dataclass(frozen=True)
class Command:
    name: str
    min_role: str
    handler: Callable  # handler(db, user, payload, now) -> dict


class CommandError(Exception):
    """Raised by a command handler: the client gets {"error": message}, and
    {"field": field} when one argument is to blame."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class CommandLimiter:
    """A token bucket per Socket.IO session: ``rate`` commands a second,
    bursts of ``burst``. Generous for people (a board sends a few a second
    while typing); it stops a script looping ``lint.check`` from slowing
    everyone's board. Buckets idle long enough to be full again are dropped."""

    def __init__(self, rate: float = 20.0, burst: float = 40.0, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # sid -> (tokens, at)
        self._lock = threading.Lock()

    def allow(self, sid: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(sid, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            allowed = tokens >= 1
            self._buckets[sid] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > 1000:  # forget sessions whose bucket is full again
                full = self.burst / self.rate
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
            return allowed


def channel(room_id: int | None) -> str:
    return "lobby" if room_id is None else f"room:{room_id}"


ONE_TIME = "choose your own password first (/me/password)"


def user_channel(user_id: int) -> str:
    """Every socket of a user joins this room, so that it can be found."""
    return f"user:{user_id}"


ADMINS = "admins"


def team_channel(team_id: int) -> str:
    return f"team:{team_id}"


def disconnect_room(socketio: SocketIO, room_id: int) -> int:
    """Disconnect every socket that joined a room (its access changed): the
    boards reconnect and join again, and the join asks the access rule."""
    manager = socketio.server.manager
    sids = [sid for sid, _eio in manager.get_participants(NAMESPACE, channel(room_id))]
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(sids)


def disconnect_user(socketio: SocketIO, user_id: int) -> int:
    """Disconnect this process's sockets of a user (their session has ended);
    returns how many. Sockets on other workers are refused at their next
    command, which re-reads the session from the shared database."""
    manager = socketio.server.manager
    sids = [sid for sid, _eio in manager.get_participants(NAMESPACE, user_channel(user_id))]
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(sids)


class BoardNamespace(Namespace):
    def __init__(self, namespace: str, commands: dict[str, Command], open_db: Callable,
                 limiter: CommandLimiter | None = None):
        super().__init__(namespace)
        self.commands = commands
        self.open_db = open_db
        self.limiter = limiter or CommandLimiter()

    def _user(self, db):
        found = accounts.session_user(db, session.get("token"), utcnow())
        return found[0] if found else None

    def on_connect(self, auth=None):
        db = self.open_db()
        try:
            user = self._user(db)
        except Exception as exc:
            reason = dbmod.unavailable(exc)
            if reason is None:
                raise
            raise ConnectionRefusedError(f"the database is {reason}; try again shortly") from None
        finally:
            db.close()
        if user is None:
            raise ConnectionRefusedError("unauthorized")
        if user.must_change_password:
            raise ConnectionRefusedError(ONE_TIME)
        join_room("lobby")
        join_room(user_channel(user.id))
        # lobby news of team and private rooms goes to these channels only
        db = self.open_db()
        try:
            for team_id in accounts.user_team_ids(db, user.id):
                join_room(team_channel(team_id))
        finally:
            db.close()
        if user.role == "admin":
            join_room(ADMINS)
        log.info("board connect %s as %s", request.sid, user.name)

    def on_disconnect(self, reason=None):
        pass

    def trigger_event(self, event, *args):
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        # args start with the sid; _handle_event sets up the request context
        # (session, request.sid) the same way it does for on_* methods.
        def handler(payload=None, *_rest):
            return self.answer(event, payload)

        return self.socketio._handle_event(handler, event, self.namespace, *args)

    def answer(self, name: str, payload) -> dict:
        """Every command gets a reply: a store that cannot serve is an error
        reply the board can retry, and a bug is logged and answered too."""
        try:
            return self.dispatch(name, payload)
        except Exception as exc:
            reason = dbmod.unavailable(exc)
            if reason is not None:
                log.warning("board %s: database %s: %s", name, reason, exc)
                return {"error": f"the database is {reason}; try again shortly",
                        "retry_after": dbmod.retry_after(reason)}
            return _unexpected(exc)

    def dispatch(self, name: str, payload) -> dict:
        if not self.limiter.allow(request.sid):
            return {"error": "too many commands, slow down"}
        command = self.commands.get(name)
        if command is None:
            return {"error": f"unknown command {name!r}"}
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            return {"error": "the payload must be an object"}
        try:  # nesting and lone surrogates, before any handler reads it
            validate.tree(payload, "payload")
        except validate.Invalid as exc:
            return {"error": str(exc), "field": exc.field}
        db = self.open_db()
        try:
            user = self._user(db)
            if user is None:
                return {"error": "unauthorized"}
            if user.must_change_password:
                return {"error": ONE_TIME, "field": "password"}
            return run_command(db, user, command, payload, utcnow())
        finally:
            db.close()


def run_command(db, user, command: Command, payload: dict, now) -> dict:
    """A command for a known user: the role, the access rule, the handler.
    The board and Slack's buttons both come through here, so a decision is
    checked (and refused, in the same words) the same way wherever it is made."""
    if not accounts.has_role(user, command.min_role):
        return {"error": f"forbidden: {command.name} needs the {command.min_role} role"}
    if not accounts.may_see(db, user, payload):
        # the same answer as for a room or object that does not exist
        room_id = accounts.room_of(db, "room", payload.get("room"))
        return {"error": f"no room {room_id}" if room_id else "not found"}
    try:
        result = command.handler(db, user, payload, now)
    except (CommandError, ValueError) as exc:
        field = getattr(exc, "field", None)
        out = {"error": str(exc)}
        if field:
            out["field"] = field
        return out
    return {"ok": True, **(result or {})}


def _room_id(payload) -> int:
    try:
        return validate.integer(payload.get("room"), "room", from_text=True)
    except validate.Invalid:
        raise CommandError("room must be a room id", field="room") from None


def _join(db, user, payload, now):
    room_id = _room_id(payload)
    if rooms.get_room(db, room_id) is None:
        raise CommandError(f"no room {room_id}")
    join_room(channel(room_id))
    return {"room": room_id, "last_event": events.last_id(db)}


def _leave(db, user, payload, now):
    leave_room(channel(_room_id(payload)))
    return {}


BUILTIN_COMMANDS = [Command("join", "viewer", _join), Command("leave", "viewer", _leave)]


def make_socketio(app, message_queue: str | None) -> SocketIO:
    # threading mode on simple-websocket: real WebSocket, no monkey patching.
    return SocketIO(
        app,
        async_mode="threading",
        message_queue=message_queue or None,
        # cors_allowed_origins left unset: engine.io then accepts the same
        # origin only (an empty list would switch the check off).
        manage_session=False,     # read the Flask cookie; sessions live in SQLite
        logger=False,
        engineio_logger=False,
    )


# Room-less events about people, grants and privacy runs: for admins, not for the lobby.
ADMIN_ONLY_KINDS = ("user.", "team.", "access.", "privacy.")


def lobby_channels(db, room_id: int) -> list[str]:
    """Who hears a room's lobby news (``room.*``): everyone for an
    installation-wide room, else its team or its named members, and admins."""
    audience = accounts.room_audience(db, room_id)
    if audience is None:
        return ["lobby"]
    team_id, members = audience
    if members is not None:
        return [ADMINS] + [user_channel(u) for u in members]
    return [ADMINS, team_channel(team_id)]


class SocketEmitter:
    """Who hears an event, and the message that tells them: ``event`` with
    one event, ``events`` with a list in id order (boards handle both)."""

    def __init__(self, socketio: SocketIO, open_db: Callable | None = None):
        self.socketio = socketio
        self.open_db = open_db

    def audience(self, event: events.Event) -> tuple[str, ...]:
        to = channel(event.room)
        if event.room is None and event.kind.startswith(ADMIN_ONLY_KINDS):
            return (ADMINS,)
        if event.room is not None and event.kind.startswith("room."):
            # a list of rooms reaches each client once, even if it is in several
            extra = ["lobby"]
            if self.open_db is not None:
                db = self.open_db()
                try:
                    extra = lobby_channels(db, event.room)
                finally:
                    db.close()
            return (to, *extra)
        return (to,)

    def __call__(self, event: events.Event) -> None:
        """Send one event to its audience (what the publisher does per run)."""
        self.send(self.audience(event), [event])

    def send(self, audience: tuple[str, ...], batch: list[events.Event]) -> None:
        to = audience[0] if len(audience) == 1 else list(audience)
        if len(batch) == 1:
            self.socketio.emit("event", batch[0].to_dict(), namespace=NAMESPACE, to=to)
        else:
            self.socketio.emit("events", [e.to_dict() for e in batch], namespace=NAMESPACE, to=to)
        alerting = [e for e in batch if e.room is not None and e.kind in notifications.ALERT_KINDS]
        if alerting and self.open_db is not None:
            # a page or an assignment also tells the person it concerns, on every board of theirs
            db = self.open_db()
            try:
                for event in alerting:
                    for user_id, alert in personal_alerts(db, event):
                        self.socketio.emit("alert", alert, namespace=NAMESPACE, to=user_channel(user_id))
            finally:
                db.close()


def socket_emitter(socketio: SocketIO, open_db: Callable | None = None) -> SocketEmitter:
    return SocketEmitter(socketio, open_db)


def personal_alerts(db, event: events.Event) -> list[tuple[int, dict]]:
    """(user id, alert) for each person the event concerns and who may see
    its room: the alert goes to ``user:<id>`` only, so it reaches all of that
    person's boards (whichever room they have open) and nobody else's."""
    room = rooms.get_room(db, event.room)
    out = []
    for alert in notifications.personal(event, room.title if room else ""):
        user = accounts.find_user(db, alert.user)
        if user is None or user.disabled or not accounts.may_see_room(db, user, event.room):
            continue
        out.append((user.id, {**alert.to_dict(), "room": event.room, "event": event.id,
                              "event_kind": event.kind, "ts": event.ts}))
    return out


def _unexpected(exc: Exception) -> dict:
    """A bug in a handler still answers the command (the client is not left
    waiting); the traceback goes to the log, not to the client."""
    log.error("board command failed", exc_info=exc)
    return {"error": "internal error"}


def register(app, socketio: SocketIO, commands: list[Command], open_db: Callable) -> None:
    table = {c.name: c for c in BUILTIN_COMMANDS + commands}
    live = app.extensions["warroom"].live
    limiter = CommandLimiter(rate=float(live.commands_per_second), burst=float(live.command_burst))
    namespace = BoardNamespace(NAMESPACE, table, open_db, limiter)
    socketio.on_namespace(namespace)
    socketio.on_error(NAMESPACE)(_unexpected)
    app.extensions["warroom_commands"] = table
    app.extensions["warroom_command_limiter"] = namespace.limiter


def current_commands() -> dict[str, Command]:
    return current_app.extensions["warroom_commands"]
