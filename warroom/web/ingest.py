"""Mention ingestion (bearer token) and the board's mention and volume reads.

``POST /api/v1/rooms/<id>/mentions`` is ``@public`` + ``@csrf_exempt`` because
no browser session reaches it: it checks its own bearer token (401 unknown,
403 bound to another room), the token's rate (429 + Retry-After), the body
size (413), parses a JSON object, a JSON array or NDJSON (400), validates
every row (422/413 naming the row and field), and stores the batch in one
transaction (202) that also counts the request against the token's rate.
Nothing of a refused request is stored; a locked or read-only database is a
503 with Retry-After (the app's handler).
"""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, jsonify, request

from .. import platforms, rooms, validate
from ..clock import utcnow
from ..listening import clusters, mentions, monitors, tokens, volume, watch
from ..listening.sentiment import Scorer
from .auth import csrf_exempt
from .context import get_db, json_error, own_body, public, require_role, settings
from .search import with_urgency

bp = Blueprint("ingest", __name__)

NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl",
                "application/x-jsonlines", "application/jsonlines"}

_scorer_lock = threading.Lock()
_scorer: Scorer | None = None


def scorer() -> Scorer:
    """One analyzer per process (building one reads the lexicon)."""
    global _scorer
    with _scorer_lock:
        if _scorer is None:
            _scorer = Scorer()
        return _scorer


class BadBody(ValueError):
    def __init__(self, message: str, row: int | None = None, status: int = 400):
        super().__init__(message)
        self.row = row
        self.status = status


def parse_body(text: str, mimetype: str) -> tuple[list, list[int]]:
    """(records, row numbers): a JSON object, a JSON array, or NDJSON."""
    if not text.strip():
        raise BadBody("the body is empty: send a JSON object, a JSON array or NDJSON")
    if mimetype not in NDJSON_TYPES:
        try:
            data = validate.loads(text, "body", unicode=False)
        except validate.Invalid as exc:
            if exc.reason != "Extra data":  # several documents: read it as NDJSON
                raise BadBody(str(exc), row=None) from None
        else:  # each kept field is checked (and named) by mentions.validate
            if isinstance(data, dict):
                return [data], [1]
            if isinstance(data, list):
                return data, list(range(1, len(data) + 1))
            raise BadBody("the body must be a JSON object, a JSON array of objects or NDJSON",
                          status=422)
    records, rows = [], []
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            records.append(validate.loads(line, "body", unicode=False))
        except validate.Invalid as exc:
            raise BadBody(f"row {no} (line {no}): {exc}", row=no) from None
        rows.append(no)
    return records, rows


_inflight_lock = threading.Lock()


def _inflight(limit: int) -> threading.BoundedSemaphore:
    """This app's semaphore of ingestion requests in flight."""
    ext = current_app.extensions
    with _inflight_lock:
        if "warroom_ingest_slots" not in ext:
            ext["warroom_ingest_slots"] = threading.BoundedSemaphore(max(1, limit))
        return ext["warroom_ingest_slots"]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _over_rate(wait: int):
    resp = json_error(429, f"this token is over its rate; retry in {wait} s", field="Authorization")
    resp.headers["Retry-After"] = str(wait)
    return resp


def _unauthorized(message: str):
    resp = json_error(401, message, field="Authorization")
    resp.headers["WWW-Authenticate"] = 'Bearer realm="warroom-ingest"'
    return resp


@bp.route("/api/v1/rooms/<int:room_id>/mentions", methods=["POST"])
@public
@csrf_exempt
@own_body
def post_mentions(room_id: int):
    cfg = settings().ingest
    db = get_db()
    token, refusal = _token_for(db, "room", room_id)
    if refusal is not None:
        return refusal

    def store(db, now, batch, charge):
        result = mentions.ingest(db, now, room_id, batch, scorer(), actor=f"token:{token.source}",
                                 charge=charge, detector_params=current_app.extensions["warroom"].spikes.detector_params)
        return {"accepted": result.accepted, "duplicates": result.duplicates, "spikes": len(result.alarms)}

    return _accept(cfg, db, token, store)


def _target(token) -> str:
    return f"room {token.room_id}" if token.room_id is not None else f"monitor {token.monitor_id}"


def _token_for(db, kind: str, target_id: int):
    """(token, None) when the bearer token may post into this room or
    monitor, else (None, the 401 or 403 answer)."""
    token = tokens.authenticate(db, _bearer())
    if token is None:
        return None, _unauthorized("a valid ingestion token is required (Authorization: Bearer ...)")
    if (token.room_id if kind == "room" else token.monitor_id) != target_id:
        return None, json_error(403, f"this token posts into {_target(token)}, not {kind} {target_id}",
                                field="Authorization")
    return token, None


@bp.route("/api/v1/monitors/<int:monitor_id>/mentions", methods=["POST"])
@public
@csrf_exempt
@own_body
def post_monitor_mentions(monitor_id: int):
    """The token push path of a standing monitor (the room's, into ``watch.ingest``)."""
    cfg = settings().ingest
    db = get_db()
    token, refusal = _token_for(db, "monitor", monitor_id)
    if refusal is not None:
        return refusal

    def store(db, now, batch, charge):
        result = watch.ingest(db, now, monitor_id, batch, scorer(), actor=f"token:{token.source}",
                              charge=charge, detector_params=current_app.extensions["warroom"].spikes.detector_params)
        return {"accepted": result.accepted, "duplicates": result.duplicates, "spikes": len(result.alarms),
                "rooms": sorted({a["room_id"] for a in result.alarms})}

    return _accept(cfg, db, token, store)


def _accept(cfg, db, token, store):
    now = utcnow()
    # Read-only here: the request is counted in the same write transaction as
    # its mentions, so under load a token's rate costs no extra write (and an
    # over-rate client is refused before any lock is taken).
    wait = tokens.wait_seconds(db, now, token, cfg.requests_per_minute)
    if wait:
        return _over_rate(wait)
    if request.content_length is not None and request.content_length > cfg.max_body_bytes:
        return json_error(413, f"the body is larger than {cfg.max_body_bytes} bytes", field="body")
    # Back-pressure: a bounded number of batches in flight; the rest are told
    # to come back, before their bodies are read into memory.
    slots = _inflight(cfg.max_concurrent)
    if not slots.acquire(blocking=False):
        resp = json_error(503, "ingestion is at capacity; retry shortly")
        resp.headers["Retry-After"] = "1"
        return resp
    try:
        return _ingest_body(cfg, db, token, now, store)
    finally:
        slots.release()


def _ingest_body(cfg, db, token, now, store):
    raw = request.stream.read(cfg.max_body_bytes + 1)
    if len(raw) > cfg.max_body_bytes:
        return json_error(413, f"the body is larger than {cfg.max_body_bytes} bytes", field="body")
    try:
        text = raw.decode("utf-8")
        records, rows = parse_body(text, request.mimetype)
    except UnicodeDecodeError:
        return json_error(400, "the body is not UTF-8", field="body")
    except BadBody as exc:
        extra = {"row": exc.row} if exc.row else {}
        return json_error(exc.status, str(exc), field="body", **extra)
    if len(records) > cfg.max_rows:
        return json_error(413, f"at most {cfg.max_rows} mentions per request, got {len(records)}",
                          field="body")
    limits = mentions.Limits(text=cfg.max_text_chars)

    def charge(tx_db):
        tokens.charge(tx_db, now, token, cfg.requests_per_minute)

    try:
        batch = mentions.validate(records, now, limits, default_source=token.source, rows=rows)
        result = store(db, now, batch, charge)
    except tokens.OverRate as exc:  # another request of this token took the last place
        return _over_rate(exc.retry_after)
    except mentions.MentionInvalid as exc:
        return json_error(exc.status, str(exc), field=exc.field, row=exc.row)
    except mentions.RoomNotListening as exc:
        return json_error(409, str(exc), field="room")
    except monitors.MonitorError as exc:  # paused, or no owner for the room it would open
        return json_error(exc.status, str(exc), field=exc.field)
    return jsonify(result), 202


ALL_MINUTES = 14 * 1440


def _int_arg(name: str, default: int, low: int, high: int):
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        return None, json_error(400, f"{name} must be an integer", field=name)
    if not low <= value <= high:
        return None, json_error(400, f"{name} must be between {low} and {high}", field=name)
    return value, None


MAX_LISTING = 5000


def page_args():
    """((after, limit), error) of a listing's query: up to 5,000 a page, so the
    board reads a whole room in few round trips."""
    after, err = _int_arg("after", 0, 0, 2**62)
    if err:
        return (None, None), err
    limit, err = _int_arg("limit", 100, 1, MAX_LISTING)
    return (after, limit), err


@bp.route("/api/v1/rooms/<int:room_id>/mentions", methods=["GET"])
@require_role("viewer")
def list_mentions(room_id: int):
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    (after, limit), err = page_args()
    if err:
        return err
    page = mentions.listing(db, room_id, after, limit)
    grouped = clusters.of_mentions(db, [m.id for m in page])
    # The account each came through (a connector's name), shown next to its source.
    via = platforms.store.accounts_of(db, room_id, page[0].id, page[-1].id) if page else {}
    return jsonify({
        "room": room_id,
        "mentions": [{**m, "cluster_id": grouped.get(m["id"], (None, 1))[0],
                      "cluster_size": grouped.get(m["id"], (None, 1))[1], "account": via.get(m["id"])}
                     for m in with_urgency(db, room_id, page)],   # urgency and its reasons: listening.urgency
        "last_id": page[-1].id if page else after,
        "more": len(page) == limit,
    })


@bp.route("/api/v1/rooms/<int:room_id>/volume")
@require_role("viewer")
def room_volume(room_id: int):
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    whole = volume.extent(db, room_id)
    if request.args.get("minutes") == "all":
        # the whole stream, up to 14 days of minutes (a bounded answer)
        minutes = max(1, min(whole["minutes"], ALL_MINUTES))
    else:
        minutes, err = _int_arg("minutes", 60, 1, 1440)
        if err:
            return err
    series = volume.series(db, room_id, minutes)
    total = sum(m["count"] for m in series)
    negative = sum(m["negative"] for m in series)
    unknown = sum(m["unknown"] for m in series)
    return jsonify({
        "room": room_id,
        "minutes": series,
        "total": total,
        "negative": negative,
        "unknown": unknown,
        "negative_share": volume.share(negative, total, unknown),
        "spikes": volume.spikes_of(db, room_id),
        "peak": whole["peak"],          # the room's, whatever the range: the post-mortem's number
        "first_minute": whole["first"],
    })


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_ROOM = {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_MENTION_IN = {
    "type": "object",
    "required": ["external_id", "author", "text", "url", "created_at"],
    "properties": {
        "external_id": {"type": ["string", "integer"], "maxLength": 200},
        "source": {"type": "string", "description": "defaults to the token's source; must match it"},
        "author": {"type": "string", "maxLength": 200},
        "text": {"type": "string", "description": "at most [ingest] max_text_chars characters"},
        "url": {"type": "string", "description": "http(s) URL, or empty"},
        "created_at": {"type": "string", "format": "date-time"},
        "lang": {"type": "string", "maxLength": 16},
        "followers": {"type": "integer", "minimum": 0},
    },
}

_MONITOR = {"name": "monitor_id", "in": "path", "required": True, "schema": {"type": "integer"}}

OPENAPI_PATHS = {
    "/api/v1/monitors/{monitor_id}/mentions": {
        "post": {
            "summary": "Ingest mentions into a standing monitor (idempotent per monitor on source + external_id)",
            "security": [{"bearer": []}],
            "parameters": [_MONITOR],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"oneOf": [
                    _MENTION_IN, {"type": "array", "items": _MENTION_IN}]}},
                "application/x-ndjson": {"schema": {"type": "string",
                                                    "description": "one mention object per line"}},
            }},
            "responses": {
                "202": {"description": "stored; rooms opened or joined by its alarms", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                        "spikes": {"type": "integer"},
                        "rooms": {"type": "array", "items": {"type": "integer"}}}}}}},
                "400": _err("not JSON / NDJSON (field body, row)"),
                "401": _err("missing or unknown token"),
                "403": _err("the token belongs to another room or monitor"),
                "404": _err("no such monitor"),
                "409": _err("the monitor is paused"),
                "413": _err("body, row count or a field over its limit"),
                "422": _err("a bad row (a source the monitor does not list, ...): field and row named"),
                "429": _err("the token is over its rate; see Retry-After"),
                "503": _err("the server is at its ingestion capacity; see Retry-After"),
            },
        },
    },
    "/api/v1/rooms/{room_id}/mentions": {
        "post": {
            "summary": "Ingest mentions (idempotent per room on source + external_id)",
            "security": [{"bearer": []}],
            "parameters": [_ROOM],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"oneOf": [
                    _MENTION_IN, {"type": "array", "items": _MENTION_IN}]}},
                "application/x-ndjson": {"schema": {"type": "string",
                                                    "description": "one mention object per line"}},
            }},
            "responses": {
                "202": {"description": "stored", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                                   "spikes": {"type": "integer"}},
                }}}},
                "400": _err("not JSON / NDJSON (field body, row)"),
                "401": _err("missing or unknown token"),
                "403": _err("the token belongs to another room"),
                "409": _err("the room is closed"),
                "413": _err("body, row count or a field over its limit"),
                "422": _err("a bad row: field and row named; nothing stored"),
                "429": _err("the token is over its rate; see Retry-After"),
                "503": _err("the server is at its ingestion capacity; see Retry-After"),
            },
        },
        "get": {
            "summary": "A room's mentions after an id, oldest first; each with its near-duplicate"
                       " cluster (cluster_id, cluster_size)",
            "parameters": [
                _ROOM,
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LISTING}},
            ],
            "responses": {"200": {"description": "mentions"}, "400": _err("bad query parameter"),
                          "401": _err("login required"), "404": _err("no such room")},
        },
    },
    "/api/v1/rooms/{room_id}/volume": {
        "get": {
            "summary": "Per-minute counts, negative share and spike markers of a room's stream",
            "parameters": [_ROOM, {"name": "minutes", "in": "query",
                                   "description": "1-1440, or `all` (the whole stream, up to 14 days)",
                                   "schema": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 1440},
                                                        {"type": "string", "enum": ["all"]}]}}],
            "responses": {"200": {"description": "the last N minutes up to the stream's newest, and the"
                                                 " room's peak minute (as the post-mortem counts it)"},
                          "400": _err("bad query parameter"), "401": _err("login required"),
                          "404": _err("no such room")},
        },
    },
}
