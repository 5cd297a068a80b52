"""Searching a room: GET /api/v1/rooms/<id>/search (mentions or published
replies, full text and filters). Thin: the checks and the query are
``listening.search`` and ``responses.search_replies``; a bad query or filter
is a 400 naming the field. The auth gate checks the room like every room
route (it reads ``room_id`` from the URL)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .. import listening, responses, rooms
from ..clock import utcnow
from .context import get_db, json_error, require_role

bp = Blueprint("search", __name__)

search = listening.search


def _arg_list(name: str):
    """?source=a&source=b and ?source=a,b both mean a list."""
    values = request.args.getlist(name)
    return ",".join(values) if values else None


def _int(name: str, default: int | None, low: int, high: int):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise search.SearchInvalid(name, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise search.SearchInvalid(name, f"{name} must be between {low} and {high}")
    return value


def with_urgency(db, room_id: int, found: list) -> list[dict]:
    """Mentions as dicts with ``urgency`` and ``urgency_reasons`` now: the
    one rule (``listening.urgency``) the board mirrors."""
    now = utcnow()
    answered = responses.answered(db, room_id)
    minutes = getattr(responses.rules_for_room(db, room_id), "first_response_minutes", 60)
    out = []
    for m in found:
        score, reasons = listening.urgency.urgency(
            mention_id=m.id, received_at=m.received_at, sentiment_label=m.sentiment_label,
            followers=m.followers, answered=m.id in answered, first_response_minutes=minutes, now=now)
        out.append({**m.to_dict(), "urgency": score, "urgency_reasons": reasons})
    return out


@bp.route("/api/v1/rooms/<int:room_id>/search")
@require_role("viewer")
def room_search(room_id: int):
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    kind = request.args.get("in", "mentions")
    if kind not in ("mentions", "replies"):
        return json_error(400, "in must be mentions or replies", field="in")
    a = request.args
    try:
        crit = search.criteria(q=a.get("q"), author=a.get("author"), source=_arg_list("source"),
                               lang=_arg_list("lang"), sentiment=_arg_list("sentiment"),
                               since=a.get("since"), until=a.get("until"))
        before = _int("before", None, 1, 2**62)
        limit = _int("limit", 50, 1, search.MAX_PAGE)
        if kind == "replies":
            page = responses.search_replies(db, room_id, crit, before, limit)
            return jsonify({"room": room_id, "in": kind, "replies": [r.to_dict() for r in page.replies],
                            "next_before": page.next_before})
        page = search.search(db, room_id, crit, before, limit)
    except search.SearchInvalid as exc:
        return json_error(400, exc.message, field=exc.field)
    out = with_urgency(db, room_id, page.mentions)
    return jsonify({"room": room_id, "in": kind, "mentions": out, "next_before": page.next_before})


_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _q(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/search": {
        "get": {
            "summary": "Search a room's mentions (default) or published replies: full text and filters, newest first",
            "parameters": [
                {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                _q("in", "what to search", {"type": "string", "enum": ["mentions", "replies"]}),
                _q("q", "words (all must match), \"a phrase\", -word (excluded), word* (prefix), a OR b;"
                        " handles are words. At most 500 characters."),
                _q("author", "one handle, any case, the @ optional (replies: the person who wrote it)"),
                _q("source", "platforms, comma-separated or repeated (mentions only)"),
                _q("lang", "language codes, comma-separated or repeated (mentions only)"),
                _q("sentiment", "labels: negative, neutral, positive, unknown (mentions only)"),
                _q("since", "from this time (ISO-8601): a mention's created_at, a reply's published_at",
                   {"type": "string", "format": "date-time"}),
                _q("until", "up to this time (ISO-8601)", {"type": "string", "format": "date-time"}),
                _q("before", "the cursor: ids below this (next_before of the previous page)",
                   {"type": "integer", "minimum": 1}),
                _q("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 200}),
            ],
            "responses": {
                "200": {"description": "mentions (each with urgency and urgency_reasons) or replies, and"
                                       " next_before (null on the last page)"},
                "400": {"description": "a bad query or filter (field named)", **_ERR},
                "401": {"description": "login required", **_ERR},
                "403": {"description": "not allowed to see this room", **_ERR},
                "404": {"description": "no such room", **_ERR},
            },
        },
    },
}
