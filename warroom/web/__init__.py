"""Flask adapters. Each blueprint is thin: parse, call the domain, render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import api, auth, pages

    for module in (auth, pages, api):
        app.register_blueprint(module.bp)
