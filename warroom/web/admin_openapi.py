"""OpenAPI entries for administration (``web/admin.py``: users, teams, the
audit view, a room's access) and privacy (``web/privacy.py``)."""

from __future__ import annotations

from .openapi import _error

_COMMON = {"401": _error("login required"), "403": _error("role or CSRF missing")}
_INVALID = {"422": _error("invalid value; field names it")}
_ID = {"in": "path", "required": True, "schema": {"type": "integer"}}


def _body(props: dict, required: tuple = ()) -> dict:
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TEAMS = {"type": "array", "items": {"type": "string"}}
_AUTHOR = _body({"author": {"type": "string", "minLength": 1, "maxLength": 200}}, ("author",))


def paths() -> dict:
    return {
        "/api/v1/users": {
            "get": {"summary": "Users (with teams and last login) and teams (admins)", "tags": ["admin"],
                    "responses": {"200": {"description": "users and teams"}, **_COMMON}},
            "post": {"summary": "Add a user; the answer carries a one-time password", "tags": ["admin"],
                     "requestBody": _body({"name": {"type": "string"}, "role": {"type": "string"},
                                           "slack_id": {"type": "string"}, "teams": _TEAMS},
                                          ("name", "role")),
                     "responses": {"201": {"description": "added"}, **_COMMON, **_INVALID}},
        },
        "/api/v1/users/{user_id}": {"patch": {
            "summary": "Change a user's role, teams, or disable them (ends their sessions and sockets)",
            "tags": ["admin"], "parameters": [{"name": "user_id", **_ID}],
            "requestBody": _body({"role": {"type": "string"}, "teams": _TEAMS, "disabled": {"type": "boolean"}}),
            "responses": {"200": {"description": "changed"}, **_COMMON, "404": _error("no such user"),
                          **_INVALID}}},
        "/api/v1/users/{user_id}/password": {"post": {
            "summary": "Reset a user's password to a one-time one", "tags": ["admin"],
            "parameters": [{"name": "user_id", **_ID}],
            "responses": {"200": {"description": "the one-time password"}, **_COMMON,
                          "404": _error("no such user")}}},
        "/api/v1/teams": {"post": {
            "summary": "Add a team", "tags": ["admin"],
            "requestBody": _body({"name": {"type": "string"}}, ("name",)),
            "responses": {"201": {"description": "added"}, **_COMMON, **_INVALID}}},
        "/api/v1/audit": {"get": {
            "summary": "The audit view: people, grants, tokens, connectors, playbooks, monitors, privacy runs",
            "tags": ["admin"],
            "parameters": [{"name": k, "in": "query", "schema": {"type": "string", "maxLength": 100}}
                           for k in ("kind", "actor", "text")],
            "responses": {"200": {"description": "events, newest first"}, **_COMMON}}},
        "/api/v1/rooms/{room_id}/access": {
            "get": {"summary": "Who may see a room: its team, whether private, its named members",
                    "tags": ["admin"], "parameters": [{"name": "room_id", **_ID}],
                    "responses": {"200": {"description": "access"}, **_COMMON, "404": _error("no such room")}},
            "put": {"summary": "Set a room's team (null: installation-wide), privacy and members (leads)",
                    "tags": ["admin"], "parameters": [{"name": "room_id", **_ID}],
                    "requestBody": _body({"team": {"type": ["string", "null"]}, "private": {"type": "boolean"},
                                          "members": {"type": "array", "items": {"type": "string"}}}),
                    "responses": {"200": {"description": "access"}, **_COMMON, "404": _error("no such room"),
                                  **_INVALID}},
        },
        "/api/v1/privacy/export": {"post": {
            "summary": "Every row about a platform author (data-subject export; an audited event)",
            "tags": ["privacy"], "requestBody": _AUTHOR,
            "responses": {"200": {"description": "the rows, by table"}, **_COMMON, **_INVALID}}},
        "/api/v1/privacy/erase": {"post": {
            "summary": "Erase a platform author's personal data; counts and sentiment stay",
            "tags": ["privacy"], "requestBody": _AUTHOR,
            "responses": {"200": {"description": "what was erased, counted"}, **_COMMON, **_INVALID}}},
        "/api/v1/privacy/retention": {"get": {
            "summary": "The installation's retention default and each team's", "tags": ["privacy"],
            "responses": {"200": {"description": "retention"}, **_COMMON}}},
        "/api/v1/privacy/retention/{team_id}": {"put": {
            "summary": "Set a team's retention in days (null: the installation default)", "tags": ["privacy"],
            "parameters": [{"name": "team_id", **_ID}],
            "requestBody": _body({"retention_days": {"type": ["integer", "null"], "minimum": 1,
                                                      "maximum": 36500}}, ("retention_days",)),
            "responses": {"200": {"description": "saved"}, **_COMMON, "404": _error("no such team"),
                          **_INVALID}}},
    }
