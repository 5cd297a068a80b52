"""Socket.IO adapter: the /board namespace and the publisher of committed events.

Connections are authenticated with the same server-side session as pages;
every command re-checks the session and the role it needs, so a logout or a
demotion takes effect at once. The publisher is the one place that emits
``event`` messages: it sends every committed row of the events table, in id
order, to the room's channel (``room:<id>``; room-less and ``room.*`` events
also to ``lobby``). Commits in this process wake it at once; commits by other
processes (``run.py ingest``, a second worker) are picked up within
``[live] poll_ms``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room, leave_room

from . import accounts, events, rooms, validate
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


def channel(room_id: int | None) -> str:
    return "lobby" if room_id is None else f"room:{room_id}"


class BoardNamespace(Namespace):
    def __init__(self, namespace: str, commands: dict[str, Command], open_db: Callable):
        super().__init__(namespace)
        self.commands = commands
        self.open_db = open_db

    def _user(self, db):
        found = accounts.session_user(db, session.get("token"), utcnow())
        return found[0] if found else None

    def on_connect(self, auth=None):
        db = self.open_db()
        try:
            user = self._user(db)
        finally:
            db.close()
        if user is None:
            raise ConnectionRefusedError("unauthorized")
        join_room("lobby")
        log.info("board connect %s as %s", request.sid, user.name)

    def on_disconnect(self, reason=None):
        pass

    def trigger_event(self, event, *args):
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        # args start with the sid; _handle_event sets up the request context
        # (session, request.sid) the same way it does for on_* methods.
        def handler(payload=None, *_rest):
            return self.dispatch(event, payload)

        return self.socketio._handle_event(handler, event, self.namespace, *args)

    def dispatch(self, name: str, payload) -> dict:
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
            if not accounts.has_role(user, command.min_role):
                return {"error": f"forbidden: {name} needs the {command.min_role} role"}
            try:
                result = command.handler(db, user, payload, utcnow())
            except (CommandError, ValueError) as exc:
                field = getattr(exc, "field", None)
                out = {"error": str(exc)}
                if field:
                    out["field"] = field
                return out
            return {"ok": True, **(result or {})}
        finally:
            db.close()


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


class Publisher:
    """Sends committed events to Socket.IO, in id order, from one thread."""

    def __init__(self, open_db: Callable, emit: Callable[[events.Event], None], poll_ms: int):
        self.open_db = open_db
        self.emit = emit
        self.poll_s = max(poll_ms, 10) / 1000
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_id = 0

    def notify(self, _committed=None) -> None:
        self._wake.set()

    def start(self) -> None:
        db = self.open_db()
        try:
            self.last_id = events.last_id(db)
        finally:
            db.close()
        self._thread = threading.Thread(target=self._run, name="warroom-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        db = self.open_db()
        try:
            while not self._stop.is_set():
                self._wake.wait(self.poll_s)
                self._wake.clear()
                try:
                    self.flush(db)
                except Exception:  # keep publishing; the board catches up by id
                    log.exception("publisher: flush failed")
        finally:
            db.close()

    def flush(self, db) -> int:
        sent = 0
        while True:
            batch = events.since(db, self.last_id)
            if not batch:
                return sent
            for event in batch:
                self.emit(event)
                self.last_id = event.id
                sent += 1


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


def socket_emitter(socketio: SocketIO) -> Callable[[events.Event], None]:
    def emit(event: events.Event) -> None:
        to = channel(event.room)
        if event.room is not None and event.kind.startswith("room."):
            # a list of rooms reaches each client once, even if it is in both
            to = [to, "lobby"]
        socketio.emit("event", event.to_dict(), namespace=NAMESPACE, to=to)

    return emit


def _unexpected(exc: Exception) -> dict:
    """A bug in a handler still answers the command (the client is not left
    waiting); the traceback goes to the log, not to the client."""
    log.error("board command failed", exc_info=exc)
    return {"error": "internal error"}


def register(app, socketio: SocketIO, commands: list[Command], open_db: Callable) -> None:
    table = {c.name: c for c in BUILTIN_COMMANDS + commands}
    socketio.on_namespace(BoardNamespace(NAMESPACE, table, open_db))
    socketio.on_error(NAMESPACE)(_unexpected)
    app.extensions["warroom_commands"] = table


def current_commands() -> dict[str, Command]:
    return current_app.extensions["warroom_commands"]
