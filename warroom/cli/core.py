"""`serve` and `user add`."""

from __future__ import annotations

import logging
import signal
import sys

from .. import accounts, keycheck
from .. import db as dbmod
from ..clock import utcnow
from .common import open_database


def register(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="run the web server (the default)")
    p.add_argument("--host", help="override [server] host")
    p.add_argument("--port", type=int, help="override [server] port")
    p.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", parents=[common], help="manage users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="add a user and print a password")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--slack-id", default=None)
    add.add_argument(
        "--password-stdin", action="store_true",
        help="read the password from standard input instead of generating one",
    )
    add.set_defaults(func=cmd_user_add)
    ls = user_sub.add_parser("list", parents=[common], help="list users")
    ls.set_defaults(func=cmd_user_list)


def cmd_user_add(args) -> int:
    from .common import UsageError, settings_for

    settings = settings_for(args)
    db = open_database(settings)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else accounts.generate_password()
    try:
        user = accounts.add_user(db, utcnow(), args.name, args.role, password, args.slack_id, actor="cli",
                                 one_time=not args.password_stdin)
    except accounts.AccountError as exc:
        raise UsageError(f"user add: {exc.field}: {exc}") from None
    print(f"added {user.name} ({user.role})")
    if not args.password_stdin:
        print(f"one-time password (to be changed at first login): {password}")
    return 0


def cmd_user_list(args) -> int:
    from .common import settings_for

    db = open_database(settings_for(args))
    for user in accounts.list_users(db):
        print(f"{user.id}\t{user.name}\t{user.role}\t{user.slack_id or ''}")
    return 0


def cmd_serve(args) -> int:
    from dataclasses import replace

    from ..app import create_app, start_background
    from .common import settings_for

    settings = settings_for(args)
    server = settings.server
    if args.host:
        server = replace(server, host=args.host)
    if args.port:
        server = replace(server, port=args.port)
    settings = replace(settings, server=server)

    db = open_database(settings)
    try:
        if accounts.count_users(db) == 0:
            password = accounts.generate_password()
            accounts.add_user(db, utcnow(), "admin", "admin", password, actor="first-run", one_time=True)
            print("No users yet: created 'admin' with this one-time password (shown once;")
            print(f"choose your own at first login on {settings.url}/login):")
            print(f"    {password}")
        from .playbooks import import_folder

        for line in import_folder(settings, db, actor="server"):
            # A bad file must not stop the server: it keeps the stored versions.
            print(f"playbook not loaded: {line}", file=sys.stderr, flush=True)
    finally:
        db.close()

    app = create_app(settings)
    try:
        start_background(app)
    except keycheck.KeyMismatch as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    print(f"Warroom is up: {settings.url}/  (database {dbmod.printable(settings.db_url)})", flush=True)
    socketio = app.extensions["socketio"]
    # SIGTERM (a service manager's stop) ends the serving loop as Ctrl-C does,
    # so that the jobs and the connectors' listening threads are stopped below
    # instead of dying with the process mid-batch.
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        # The Werkzeug server is for development and tests; production is
        # gunicorn -w 1 --threads N 'warroom.wsgi:app' (README). Its red
        # "do not use in production" start-up banner read as a failure to a new
        # user (issue 19): the line above says where Warroom is; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        socketio.run(
            app, host=settings.server.host, port=settings.server.port,
            allow_unsafe_werkzeug=True, use_reloader=False, log_output=False,
        )
    except (KeyboardInterrupt, _StopServing):
        pass
    finally:
        from .. import scheduler

        stopped = scheduler.shutdown(app)
        print(f"Warroom stopped: scheduler and {stopped} connector listener(s) stopped", flush=True)
    return 0


class _StopServing(Exception):
    pass


def _stop_serving(signum, frame):
    raise _StopServing(signum)
