"""OpenAPI entries for the roster's JSON endpoints (``web/roster.py``)."""

from __future__ import annotations

from .openapi import _error


def _op(summary: str, body: dict | None = None, ok: str = "done") -> dict:
    op = {
        "summary": summary,
        "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": ok}, "400": _error("malformed field"), "401": _error("login required"),
            "403": _error("role or CSRF missing"), "404": _error("no such room, shift or swap"),
            "409": _error("conflict (full, already on it, shift over)"), "422": _error("invalid value"),
        },
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": body,
            "required": [k for k, v in body.items() if v.pop("x-required", False)],
        }}}}
    return {"post": op}


def _prop(kind: str, required: bool = False, **more) -> dict:
    out = {"type": kind, **more}
    if required:
        out["x-required"] = True
    return out


_SWAP_PARAM = {"name": "swap_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def paths() -> dict:
    base = "/api/v1/rooms/{room_id}/roster"
    paths = {
        f"{base}/signup": _op("Sign up for a shift (responder and up)", {"slot_id": _prop("integer", True)}),
        f"{base}/withdraw": _op("Leave a shift; a lead may take someone else off",
                                {"slot_id": _prop("integer", True), "user": _prop("string")}),
        f"{base}/assign": _op("Put someone on a shift (lead)",
                              {"slot_id": _prop("integer", True), "user": _prop("string", True)}),
        f"{base}/swaps": _op("Propose a swap (or a cover without with_slot_id)", {
            "slot_id": _prop("integer", True), "with_user": _prop("string", True),
            "with_slot_id": _prop("integer")}),
        f"{base}/swaps/{{swap_id}}/accept": _op("Accept a swap offered to you (atomic exchange)"),
        f"{base}/swaps/{{swap_id}}/decline": _op("Decline (target) or cancel (proposer, lead) a swap"),
        f"{base}/swap": _op("Swap two people's shifts without asking (lead)", {
            "slot_id": _prop("integer", True), "user": _prop("string", True),
            "with_user": _prop("string", True), "with_slot_id": _prop("integer")}),
        f"{base}/handover": _op("Leave a hand-over note for the next shift", {
            "slot_id": _prop("integer", True), "note": _prop("string"),
            "open_items": _prop("array", items={"type": "string"}),
            "promises": _prop("array", items={"type": "string"})}),
        f"{base}/extend": _op("Add more shifts after the last one (lead)",
                              {"shifts": _prop("integer", True, minimum=1, maximum=42)}),
    }
    for key in (f"{base}/swaps/{{swap_id}}/accept", f"{base}/swaps/{{swap_id}}/decline"):
        paths[key]["post"]["parameters"].append(dict(_SWAP_PARAM))
    paths[base] = {"get": {
        "summary": "Shifts with people, coverage per role, open swaps, hand-over notes",
        "parameters": [
            {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "hours", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 336}},
        ],
        "responses": {"200": {"description": "the roster"}, "400": _error("bad hours"),
                      "401": _error("login required"), "404": _error("no such room")},
    }}
    paths["/api/v1/oncall"] = {"get": {
        "summary": "The standing on-call rotation: who is on call now and the next turns",
        "parameters": [{"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 90}}],
        "responses": {"200": {"description": "turns"}, "400": _error("bad days"), "401": _error("login required")},
    }}
    paths["/api/v1/me/settings"] = {
        "get": {"summary": "Your name, time zone and whether you have a calendar feed",
                "responses": {"200": {"description": "settings"}, "401": _error("login required")}},
        "post": {"summary": "Set your time zone",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["tz"], "properties": {"tz": {"type": "string"}}}}}},
                 "responses": {"200": {"description": "saved"}, "400": _error("no tz"),
                               "401": _error("login required"), "422": _error("unknown time zone")}},
    }
    paths["/api/v1/me/feed-token"] = {"post": {
        "summary": "A new secret calendar feed URL (the old one stops working)",
        "responses": {"200": {"description": "token and url"}, "401": _error("login required")},
    }}
    return paths

