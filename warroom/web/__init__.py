"""Flask adapters. Each blueprint is thin: parse, call the domain, render.

``MODULES`` is the one list of web modules. Each has a blueprint ``bp`` and
may also define:
- ``OPENAPI_PATHS``: its entries for the OpenAPI document;
- ``COMMANDS``: Socket.IO commands (``live.Command``) for the /board namespace;
- ``room_panel(db, room, user) -> (template, context) | None``: a panel on the
  room page, shown in MODULES order.

This module is the only one that knows them all: it registers the
blueprints and hands the panel providers and the OpenAPI paths to the app
(``app.extensions``), so no web module imports its own package.
"""

from __future__ import annotations

from flask import Flask


def modules():
    from . import admin, api, auth, board, clusters, contacts, ingest, pages, postmortem
    from . import escalation as escalation_web
    from . import monitors as monitors_web
    from . import platforms as platforms_web
    from . import playbooks as playbooks_web
    from . import privacy as privacy_web
    from . import roster as roster_web
    from . import runbook as runbook_web
    from . import search as search_web
    from . import slack as slack_web
    from . import sso as sso_web
    from . import updates as updates_web

    return [auth, pages, playbooks_web, api, ingest, postmortem, board, runbook_web, roster_web, escalation_web,
            platforms_web, monitors_web, slack_web, contacts, clusters, admin, privacy_web, sso_web, updates_web,
            search_web]


def register_blueprints(app: Flask) -> None:
    from .context import check_json_body

    for module in modules():
        app.register_blueprint(module.bp)
    # After the blueprints' own hooks (the auth gate answers first).
    app.before_request(check_json_body)
    app.extensions["warroom_room_panels"] = [
        m.room_panel for m in modules() if getattr(m, "room_panel", None) is not None
    ]
    app.extensions["warroom_openapi_paths"] = openapi_paths()


def openapi_paths() -> dict:
    """Every web module's entries for the OpenAPI document."""
    paths: dict = {}
    for module in modules():
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
    return paths


def api_document() -> dict:
    """The whole OpenAPI document, outside a request (tests, tools)."""
    from .openapi import document

    return document(openapi_paths())


def socket_commands() -> list:
    out = []
    for module in modules():
        out.extend(getattr(module, "COMMANDS", []))
    return out
