"""create_app(settings): wires config, database, web, Socket.IO and background
work together. Nothing else wires things; nothing here runs at import time.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, make_response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from . import config as configmod
from . import db as dbmod
from . import keycheck, live, scheduler
from .clock import utcnow
from .publisher import Publisher
from .web import register_blueprints, socket_commands
from .web.context import close_db, json_error, wants_json

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


class SqliteIdConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(settings: configmod.Settings | str | Path | None = None) -> Flask:
    if settings is None or isinstance(settings, (str, Path)):
        settings = configmod.load(settings)
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        template_folder="templates",
    )
    app.config.update(
        SECRET_KEY=configmod.secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.auth.session_hours),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    app.extensions["warroom"] = settings

    publisher: list[Publisher] = []  # filled by start_background

    pool = dbmod.Pool(settings.db_url, settings.db.busy_timeout_ms)
    app.extensions["warroom_pool"] = pool

    def open_db() -> dbmod.Database:
        db = pool.acquire()
        if publisher:
            db.after_commit.append(publisher[0].notify)
        return db

    app.extensions["warroom_open_db"] = open_db
    app.extensions["warroom_publisher_slot"] = publisher

    first = dbmod.connect(settings.db_url, settings.db.busy_timeout_ms)
    try:
        dbmod.migrate(first)
    finally:
        first.close()

    # Ids in URLs are SQLite integers: a larger one is a 404, not an overflow.
    app.url_map.converters["int"] = SqliteIdConverter
    register_blueprints(app)
    app.teardown_appcontext(close_db)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return json_error(exc.code or 500, exc.description or exc.name)
        return render_template("error.html", code=exc.code, name=exc.name, description=exc.description), exc.code

    @app.errorhandler(sqlite3.DataError)
    def value_refused(exc: sqlite3.DataError):
        # A value the store cannot hold (on PostgreSQL: text with NUL, a number
        # out of range) that no check caught: the request's fault, a 400.
        app.logger.warning("value refused by the store: %s (%s %s)", exc, request.method, request.path)
        message = f"a value in the request cannot be stored: {exc}"
        if wants_json():
            return json_error(400, message)
        return render_template("error.html", code=400, name="Bad Request", description=message), 400

    @app.errorhandler(sqlite3.OperationalError)
    def store_unavailable(exc: sqlite3.OperationalError):
        # A locked, read-only or full database is the store's state, not a bug:
        # 503 with Retry-After, and nothing half-written (transaction() rolled back).
        reason = dbmod.unavailable(exc)
        if reason is None:
            raise exc
        app.logger.warning("database %s: %s (%s %s)", reason, exc, request.method, request.path)
        message = f"the database is {reason}; retry shortly"
        if wants_json():
            resp = json_error(503, message, retry_after=dbmod.retry_after(reason))
        else:
            resp = make_response(render_template(
                "error.html", code=503, name="Service Unavailable", description=message), 503)
        resp.headers["Retry-After"] = str(dbmod.retry_after(reason))
        return resp

    socketio = live.make_socketio(app, settings.live.message_queue)
    # Looked up per call: the scheduler wraps warroom_open_db so that a commit
    # with an escalation event wakes its job at once, from sockets as from HTTP.
    live.register(app, socketio, commands=socket_commands(),
                  open_db=lambda: app.extensions["warroom_open_db"]())
    return app


def start_background(app: Flask) -> None:
    """Start the event publisher and the scheduler for a serving process,
    once its secret key is the installation's (``keycheck``: a host with its
    own key would break sessions and sealed credentials quietly)."""
    settings: configmod.Settings = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        keycheck.check(db, app.config["SECRET_KEY"], utcnow(), keycheck.this_process())
    finally:
        db.close()
    socketio = app.extensions["socketio"]
    slot = app.extensions["warroom_publisher_slot"]
    if settings.live.publish and not slot:
        open_db = app.extensions["warroom_open_db"]
        emitter = live.socket_emitter(socketio, open_db)
        if dbmod.is_postgresql(settings.db_url):
            # every host takes part; the holder of the publisher lock sends
            from .election import ElectedPublisher

            publisher = ElectedPublisher(settings.db_url, open_db, emitter, settings.live.poll_ms,
                                         coalesce_ms=settings.live.coalesce_ms)
        else:
            publisher = Publisher(open_db, emitter, settings.live.poll_ms,
                                  coalesce_ms=settings.live.coalesce_ms)
        slot.append(publisher)
        publisher.start()
    if settings.ingest.warm_languages:
        threading.Thread(target=_warm_languages, name="warroom-warm-languages", daemon=True).start()
    scheduler.start(app)


def _warm_languages() -> None:
    """The language models, loaded now rather than by the first storm batch
    after a restart (which paid 2-10 s for them)."""
    from .listening import language

    started = time.monotonic()
    language.warm()
    print(f"language models loaded in {time.monotonic() - started:.1f} s", flush=True)
