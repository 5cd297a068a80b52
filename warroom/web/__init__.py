"""Flask adapters. Each blueprint is thin: parse, call the domain, render.

``MODULES`` is the one list of web modules. Each has a blueprint ``bp`` and
may also define:
- ``OPENAPI_PATHS``: its entries for the OpenAPI document;
- ``COMMANDS``: Socket.IO commands (``live.Command``) for the /board namespace;
- ``room_panel(db, room, user) -> (template, context) | None``: a panel on the
  room page, shown in MODULES order.
"""

from __future__ import annotations

from flask import Flask


def modules():
    from . import api, auth, board, ingest, pages, postmortem
    from . import escalation as escalation_web
    from . import playbooks as playbooks_web
    from . import roster as roster_web
    from . import slack as slack_web

    return [auth, pages, playbooks_web, api, ingest, postmortem, board, roster_web, escalation_web, slack_web]


def register_blueprints(app: Flask) -> None:
    for module in modules():
        app.register_blueprint(module.bp)


def socket_commands() -> list:
    out = []
    for module in modules():
        out.extend(getattr(module, "COMMANDS", []))
    return out


def room_panels(db, room, user) -> list[tuple[str, dict]]:
    panels = []
    for module in modules():
        provider = getattr(module, "room_panel", None)
        if provider is not None:
            panel = provider(db, room, user)
            if panel is not None:
                panels.append(panel)
    return panels
