"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

The core paths are here; each web module adds its own as ``OPENAPI_PATHS``
(a test checks every /api/ route is documented).
"""

from __future__ import annotations

from .. import __version__

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
}

EVENT = {
    "type": "object",
    "required": ["id", "room", "ts", "kind", "actor", "data"],
    "properties": {
        "id": {"type": "integer"},
        "room": {"type": ["integer", "null"]},
        "ts": {"type": "string", "format": "date-time"},
        "kind": {"type": "string"},
        "actor": {"type": ["string", "null"]},
        "data": {"type": "object"},
    },
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


PATHS: dict = {
    "/healthz": {
        "get": {
            "summary": "Health check (database reachable)",
            "security": [],
            "responses": {"200": {"description": "healthy"}, "503": _error("database unreachable")},
        }
    },
    "/api/v1/rooms": {
        "get": {
            "summary": "War rooms",
            "responses": {"200": {"description": "rooms"}, "401": _error("login required")},
        }
    },
    "/api/v1/rooms/{room_id}/events": {
        "get": {
            "summary": "A room's events after an id (what a reconnecting board missed)",
            "parameters": [
                {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
            ],
            "responses": {
                "200": {
                    "description": "events, oldest first",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "room": {"type": "integer"},
                            "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                            "last_id": {"type": "integer"},
                            "more": {"type": "boolean"},
                        },
                    }}},
                },
                "400": _error("bad query parameter"),
                "401": _error("login required"),
                "404": _error("no such room"),
            },
        }
    },
}


def document(module_paths: dict) -> dict:
    """The OpenAPI document: these paths plus every web module's (handed in)."""
    paths = {**PATHS, **module_paths}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Warroom API", "version": __version__},
        "components": {
            "schemas": {"Error": ERROR, "Event": EVENT},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"session": []}],
        "paths": paths,
    }
