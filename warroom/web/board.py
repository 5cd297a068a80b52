"""The live board's adapter: Socket.IO commands of the response workflow, the
board's initial state as JSON, presence, and the optional publish webhook.

Every command re-checks the session and its role (``live.Command``); the
domain re-checks what only it can know (the author never approves their
own draft, only a lead overrides the lint).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

from flask import Blueprint, current_app, jsonify

from .. import accounts, events, platforms, responses, rooms, validate
from ..accounts import has_role
from ..clock import utcnow
from ..db import transaction
from ..live import Command, CommandError, channel
from ..rooms import facts
from .context import current_user, get_db, json_error, require_role, settings

log = logging.getLogger(__name__)
bp = Blueprint("board", __name__)


def _int(payload: dict, name: str, required: bool = True) -> int | None:
    """An id: a JSON integer (or its ASCII digits) within SQLite's INTEGER."""
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise CommandError(f"{name} is required")
        return None
    try:
        return validate.integer(value, name, from_text=True)
    except validate.Invalid:
        raise CommandError(field=name, message=f"{name} must be an integer") from None


def _room(db, payload: dict) -> int:
    room_id = _int(payload, "room")
    if rooms.get_room(db, room_id) is None:
        raise CommandError(f"no room {room_id}")
    return room_id


def _str(payload: dict, name: str, default: str | None = "") -> str | None:
    value = payload.get(name, default)
    if value is None and default is None:
        return None
    try:
        return validate.text(value, name)
    except validate.Invalid as exc:
        raise CommandError(field=name, message=str(exc)) from None


def _ids(payload: dict, name: str) -> list[int]:
    value = payload.get(name) or []
    if not isinstance(value, list):
        raise CommandError(field=name, message=f"{name} must be a list")
    return [_int({name: v}, name) for v in value]


# -- commands -----------------------------------------------------------------


def cmd_claim(db, user, payload, now):
    c = responses.claim(db, now, user, _int(payload, "mention_id"))
    return {"claim": c.to_dict()}


def cmd_release(db, user, payload, now):
    responses.release(db, now, user, _int(payload, "mention_id"))
    return {}


def cmd_assign(db, user, payload, now):
    a = responses.assign(db, now, user, _int(payload, "mention_id"), _str(payload, "user"))
    return {"assignment": a.to_dict()}


def cmd_unassign(db, user, payload, now):
    responses.unassign(db, now, user, _int(payload, "mention_id"))
    return {}


def cmd_save(db, user, payload, now):
    fact_ids = _ids(payload, "fact_ids")
    draft = responses.save_draft(
        db, now, user, _room(db, payload), _str(payload, "text"),
        mention_id=_int(payload, "mention_id", required=False),
        draft_id=_int(payload, "draft_id", required=False), fact_ids=fact_ids,
    )
    return {"draft": draft.to_dict()}


def cmd_submit(db, user, payload, now):
    reason = _str(payload, "override_reason", default=None) or None
    draft = responses.submit(db, now, user, _int(payload, "draft_id"), override_reason=reason)
    return {"draft": draft.to_dict()}


def cmd_approve(db, user, payload, now):
    # The revision the board displayed: a draft changed since is refused.
    draft = responses.approve(db, now, user, _int(payload, "draft_id"), _int(payload, "revision"))
    return {"draft": draft.to_dict()}


def cmd_reject(db, user, payload, now):
    draft = responses.reject(db, now, user, _int(payload, "draft_id"), _int(payload, "revision"),
                             _str(payload, "reason"))
    return {"draft": draft.to_dict()}


def _webhook_after_commit(response: responses.Response) -> None:
    # After commit: the webhook is a network call, never inside the transaction.
    url = settings().board.webhook_url
    if url:
        open_db = current_app.extensions["warroom_open_db"]
        threading.Thread(
            target=send_webhook, name="warroom-webhook", daemon=True,
            args=(open_db, url, settings().board.webhook_timeout_seconds, response),
        ).start()


def cmd_publish(db, user, payload, now):
    response = responses.publish(db, now, user, _int(payload, "draft_id"))
    _webhook_after_commit(response)
    return {"response": response.to_dict()}


def cmd_answer_cluster(db, user, payload, now):
    """Publish an approved draft to its mention's whole near-duplicate cluster."""
    answer = responses.answer_cluster(db, now, user, _int(payload, "draft_id"))
    _webhook_after_commit(answer.response)
    return answer.to_dict()


def cmd_lint(db, user, payload, now):
    text = _str(payload, "text")
    if len(text) > responses.MAX_TEXT * 2:
        raise CommandError("text is too long to check")
    findings = responses.check(db, _room(db, payload), text, _int(payload, "mention_id", required=False))
    return {"findings": [f.to_dict() for f in findings]}


def cmd_override(db, user, payload, now):
    draft = responses.override_lint(db, now, user, _int(payload, "draft_id"), _str(payload, "reason"))
    return {"draft": draft.to_dict()}


def cmd_facts(db, user, payload, now):
    kind = _str(payload, "kind", default=None) or "fact"
    fact, cited = facts.update_fact(
        db, now, user, _room(db, payload), _str(payload, "text"),
        fact_id=_int(payload, "fact_id", required=False), kind=kind,
        retire=bool(payload.get("retire")), key=_str(payload, "key", default=None),
    )
    return {"fact": fact.to_dict(), "cited": [c.to_dict() for c in cited]}


# -- presence: who else is viewing (ephemeral, so not in the events table) ----
# Kept in the database (rooms.presence), so every worker answers the same;
# the change is broadcast through Socket.IO (and its message queue, if any).


def _broadcast_presence(room_id: int, viewers: list[str]) -> None:
    current_app.extensions["socketio"].emit(
        "presence", {"room": room_id, "viewers": viewers}, namespace="/board", to=channel(room_id)
    )


def cmd_presence(db, user, payload, now):
    room_id = _room(db, payload)
    viewers, changed = rooms.presence.ping(db, now, room_id, user.name, settings().board.presence_seconds)
    if changed:
        _broadcast_presence(room_id, viewers)
    return {"viewers": viewers}


def cmd_presence_leave(db, user, payload, now):
    room_id = _room(db, payload)
    viewers, changed = rooms.presence.leave(db, now, room_id, user.name)
    if changed:
        _broadcast_presence(room_id, viewers)
    return {}


COMMANDS = [
    Command("mention.claim", "responder", cmd_claim),
    Command("mention.release", "responder", cmd_release),
    Command("mention.assign", "lead", cmd_assign),
    Command("mention.unassign", "lead", cmd_unassign),
    Command("draft.save", "responder", cmd_save),
    Command("draft.submit", "responder", cmd_submit),
    Command("draft.approve", "approver", cmd_approve),
    Command("draft.reject", "approver", cmd_reject),
    Command("draft.publish", "responder", cmd_publish),
    Command("draft.publish_cluster", "responder", cmd_answer_cluster),
    Command("lint.check", "responder", cmd_lint),
    Command("lint.override", "lead", cmd_override),
    Command("facts.update", "lead", cmd_facts),
    Command("presence.ping", "viewer", cmd_presence),
    Command("presence.leave", "viewer", cmd_presence_leave),
]


# -- the outbound webhook -----------------------------------------------------


def send_webhook(open_db, url: str, timeout: int, response: responses.Response) -> bool:
    """POST the published reply as JSON; the outcome goes on the timeline."""
    body = json.dumps({"kind": "response.published", **response.to_dict()}).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    outcome: dict = {"response_id": response.id}
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            outcome.update(ok=200 <= answer.status < 300, status=answer.status)
    except urllib.error.HTTPError as exc:
        outcome.update(ok=False, status=exc.code)
    except (urllib.error.URLError, OSError) as exc:
        outcome.update(ok=False, error=str(getattr(exc, "reason", exc))[:200])
    db = open_db()
    try:
        with transaction(db):
            events.append(db, response.room_id, "response.webhook", None, outcome, utcnow())
    finally:
        db.close()
    return outcome["ok"]


# -- the same workflow over HTTP (scripts, and the 422 of an over-limit reply) ----


def _http(action):
    from flask import request

    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error(400, "send a JSON object", field="body")
    try:
        return action(get_db(), current_user(), body, utcnow())
    except CommandError as exc:
        return json_error(422, str(exc), field=exc.field)
    except (responses.ResponseError, rooms.RoomError) as exc:
        return json_error(422, str(exc), field=getattr(exc, "field", None))


@bp.route("/api/v1/rooms/<int:room_id>/drafts", methods=["POST"])
@require_role("responder")
def api_save_draft(room_id: int):
    """Save a draft (as ``draft.save``); a reply over its platform's limit is 422, field ``text``."""
    return _http(lambda db, user, body, now: cmd_save(db, user, {**body, "room": room_id}, now))


@bp.route("/api/v1/drafts/<int:draft_id>/publish_cluster", methods=["POST"])
@require_role("responder")
def api_publish_cluster(draft_id: int):
    return _http(lambda db, user, body, now: cmd_answer_cluster(db, user, {"draft_id": draft_id}, now))


@bp.route("/api/v1/drafts/<int:draft_id>/publish", methods=["POST"])
@require_role("responder")
def api_publish(draft_id: int):
    return _http(lambda db, user, body, now: cmd_publish(db, user, {"draft_id": draft_id}, now))


# -- the board's initial state ------------------------------------------------


@bp.route("/api/v1/rooms/<int:room_id>/board")
@require_role("viewer")
def board_state(room_id: int):
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        return json_error(404, f"no room {room_id}", field="room")
    user = current_user()
    last = events.last_id(db)  # read first: anything later arrives as an event
    rules = responses.rules_for_room(db, room_id)
    # The reply each answered mention got (its first), shown under it in the queue.
    replies = {}
    for r in reversed(responses.room_responses(db, room_id, limit=100_000)):
        if r.mention_id is not None and r.mention_id not in replies:
            replies[r.mention_id] = {"text": r.text, "author": r.author}
    # Approve is offered only to who may approve here: a playbook saying
    # approval = "lead" needs a lead, not any approver.
    approver = "lead" if rules.approval == "lead" else "approver"
    now = utcnow()
    # Whom a lead may give a mention to (the domain checks again on assign).
    people = ([u.name for u in accounts.list_users(db)
               if not u.disabled and has_role(u, "responder") and accounts.may_see_room(db, u, room_id)]
              if has_role(user, "lead") else [])
    return jsonify({
        "room": room.to_dict(),
        "last_event": last,
        "me": {"name": user.name, "role": user.role,
               "can_draft": has_role(user, "responder"), "can_approve": has_role(user, approver),
               "is_lead": has_role(user, "lead"),
               # the sources this person's shift answers first: the queue puts them on top
               "channels": responses.my_channels(db, room_id, user, now)},
        "people": people,
        "assignments": [a.to_dict() for a in responses.room_assignments(db, room_id)],
        "rules": {"first_response_minutes": rules.first_response_minutes,
                  "approval": rules.approval,
                  "approval_timeout_minutes": rules.approval_timeout_minutes},
        "claims": [c.to_dict() for c in responses.room_claims(db, room_id)],
        "drafts": [d.to_dict() for d in responses.room_drafts(db, room_id)],
        "answered": {str(k): {"published_at": v[0], "clock_seconds": v[1], **replies.get(k, {})}
                     for k, v in responses.answered(db, room_id).items()},
        "responses": [r.to_dict() for r in responses.room_responses(db, room_id, limit=50)],
        "facts": [f.to_dict() for f in facts.room_facts(db, room_id)],
        "deliveries": [{"response_id": d.response_id, "delivery_id": d.id, "platform": d.platform,
                        "state": d.state, "url": d.url, "error": d.last_error if d.state == "failed" else None}
                       for d in platforms.outbox.for_room(db, room_id)],
    })


@bp.route("/api/v1/rooms/<int:room_id>/mentions/<int:mention_id>/conversation")
@require_role("viewer")
def mention_conversation(room_id: int, mention_id: int):
    """The author's conversation in this room (``responses.conversation``); the
    request gate has already asked may_see for the room and the mention."""
    db = get_db()
    if rooms.get_room(db, room_id) is None:
        return json_error(404, f"no room {room_id}", field="room")
    convo = responses.conversation(db, room_id, mention_id)
    if convo is None:
        return json_error(404, f"no mention {mention_id} in room {room_id}", field="mention_id")
    return jsonify(convo)


_ERR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}

OPENAPI_PATHS = {
    "/api/v1/rooms/{room_id}/board": {
        "get": {
            "summary": "The live board's state: claims, open drafts, answered mentions, "
                       "recent replies, the fact sheet and the room's response rules",
            "parameters": [{"name": "room_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "board state", "content": {"application/json": {
                "schema": {"type": "object", "required": ["room", "last_event", "me", "rules", "claims",
                                                          "drafts", "answered", "responses", "facts",
                                                          "assignments"]}}}},
                          "401": _ERR, "404": _ERR},
        }
    },
    "/api/v1/rooms/{room_id}/mentions/{mention_id}/conversation": {
        "get": {
            "summary": "The mention's author in this room: their mentions (same source and handle) and "
                       "our replies to them (drafts with status, published text), in time order",
            "parameters": [{"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "mention_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the conversation", "content": {"application/json": {
                "schema": {"type": "object", "required": ["author", "source", "erased", "items", "more"]}}}},
                          "401": _ERR, "404": _ERR},
        }
    },
}


def run_tick(app) -> None:
    """Scheduler job: response clocks and overdue approvals."""
    db = app.extensions["warroom_open_db"]()
    try:
        responses.tick(db, utcnow())
    finally:
        db.close()
