"""Slack's requests: interactivity (the Acknowledge button) and the
``/warroom status|ack|page|open`` slash command.

No session and no CSRF token can reach these (``@public`` +
``@csrf_exempt``): each request is authenticated by Slack's signature over
the raw body with ``SLACK_SIGNING_SECRET`` (slack-sdk's SignatureVerifier),
and refused with 401, before anything is parsed or changed, when the
signature is wrong or the timestamp is more than 5 minutes away. The Slack
user is then mapped to a Warroom user by ``slack_id``; unknown users get a
polite refusal, and every action re-checks the Warroom role it needs and
the access rule (``accounts.may_see_room``): a room the user may not see is
answered as one that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import accounts, escalation, rooms, validate
from ..clock import utcnow
from ..slack import ACK_ACTION, verifier, verify_request
from .auth import csrf_exempt
from .context import get_db, json_error, public, visible_rooms

bp = Blueprint("slack", __name__)

NOT_LINKED = ("Sorry, your Slack account is not linked to a Warroom user, so I cannot act for you. "
              "Ask a Warroom admin to run `run.py user add NAME --role ROLE --slack-id {id}`.")
HELP = ("Usage: `/warroom status` · `/warroom ack [ESCALATION]` · `/warroom page ROOM [why]` (lead) · "
        "`/warroom open TITLE` (lead)")


def _verified() -> bool:
    key = "warroom_slack_verifier"
    if key not in current_app.extensions:
        current_app.extensions[key] = verifier()
    # The raw body must be read before request.form parses it.
    body = request.get_data(cache=True, as_text=True)
    return verify_request(current_app.extensions[key], body, request.headers)


def _reply(text: str, public_reply: bool = False):
    return jsonify({"response_type": "in_channel" if public_reply else "ephemeral", "text": text})


def _board_url(room_id: int) -> str:
    return f"{current_app.extensions['warroom'].url}/rooms/{room_id}"


def _ack(db, user: accounts.User, escalation_id: int | None) -> str:
    if not accounts.has_role(user, "responder"):
        return "Sorry, acknowledging needs the responder role in Warroom."
    if escalation_id is None:
        open_now = _visible_escalations(db, user)
        if len(open_now) != 1:
            ids = ", ".join(f"#{e.id}" for e in open_now) or "none"
            return f"Which escalation? Open: {ids}. Use `/warroom ack ID`."
        escalation_id = open_now[0].id
    if not accounts.may_see(db, user, {"escalation": escalation_id}):
        return f"Could not acknowledge: no escalation {escalation_id}."
    try:
        esc = escalation.acknowledge(db, utcnow(), escalation_id, user)
    except (escalation.EscalationError, rooms.RoomError) as exc:
        return f"Could not acknowledge: {exc}."
    room = rooms.get_room(db, esc.room_id)
    return f"You took escalation #{esc.id} ({room.title if room else ''}). Board: {_board_url(esc.room_id)}"


@bp.route("/slack/interactions", methods=["POST"])
@public
@csrf_exempt
def interactions():
    if not _verified():
        return json_error(401, "bad or stale Slack signature")
    # Signed is not well-formed: the payload is checked like any other input.
    try:
        payload = validate.loads(request.form.get("payload", ""), "payload")
    except validate.Invalid as exc:
        return json_error(400, str(exc), field=exc.field)
    if not isinstance(payload, dict):
        return json_error(400, "payload must be a JSON object", field="payload")
    who = payload.get("user") or {}
    actions = payload.get("actions") or []
    if not isinstance(who, dict) or not isinstance(who.get("id", ""), str):
        return json_error(400, "user must be an object with a string id", field="user")
    if not isinstance(actions, list):
        return json_error(400, "actions must be a list", field="actions")
    ack = next((a for a in actions if isinstance(a, dict) and a.get("action_id") == ACK_ACTION), None)
    if ack is None:
        return "", 200  # e.g. the Open-board link button: nothing to do
    db = get_db()
    user = accounts.find_by_slack_id(db, who.get("id", ""))
    if user is None or user.disabled:
        return _reply(NOT_LINKED.format(id=who.get("id") or "?"))
    try:
        escalation_id = validate.integer(ack.get("value"), "actions", low=1, from_text=True)
    except validate.Invalid:
        return json_error(400, "the action value must be an escalation id", field="actions")
    return _reply(_ack(db, user, escalation_id))


@bp.route("/slack/commands", methods=["POST"])
@public
@csrf_exempt
def commands():
    if not _verified():
        return json_error(401, "bad or stale Slack signature")
    db = get_db()
    slack_id = request.form.get("user_id", "")
    user = accounts.find_by_slack_id(db, slack_id)
    if user is None or user.disabled:
        return _reply(NOT_LINKED.format(id=slack_id or "?"))
    words = request.form.get("text", "").split()
    verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
    if verb == "status":
        return _reply(_status(db, user))
    if verb == "ack":
        escalation_id = _number(args[0].lstrip("#")) if args else None
        if args and escalation_id is None:
            return _reply(HELP)
        return _reply(_ack(db, user, escalation_id))
    if verb == "page":
        room_id = _number(args[0]) if args else None
        if room_id is None:
            return _reply("Usage: `/warroom page ROOM [why]`")
        room = rooms.get_room(db, room_id)
        if room is None or not accounts.may_see_room(db, user, room_id):
            return _reply(f"No room {room_id}.")
        try:
            esc = escalation.manual_page(db, utcnow(), room.id, user, " ".join(args[1:]))
        except (escalation.EscalationError, rooms.RoomError) as exc:
            return _reply(f"Sorry, {exc}.")
        return _reply(f"Paging for {room.title}: escalation #{esc.id}.", public_reply=True)
    if verb == "open":
        if not accounts.has_role(user, "lead"):
            return _reply("Sorry, opening a war room needs the lead role.")
        try:
            room = rooms.open_room(db, utcnow(), user, " ".join(args))
        except rooms.RoomError as exc:
            return _reply(f"Could not open the room: {exc}.")
        return _reply(f"War room #{room.id} opened: {room.title}. Board: {_board_url(room.id)}", public_reply=True)
    return _reply(HELP)


def _number(word: str) -> int | None:
    """An id typed in Slack: ASCII digits within SQLite's range, else None
    ("²".isdigit() is true, and 10**30 overflows the query)."""
    try:
        return validate.integer(word, "id", low=1, from_text=True)
    except validate.Invalid:
        return None


def _visible_escalations(db, user) -> list:
    return [e for e in escalation.all_open(db) if accounts.may_see_room(db, user, e.room_id)]


def _status(db, user) -> str:
    """What this Slack user may see (the same access rule as the board)."""
    live = [r for r in visible_rooms(db, rooms.list_rooms(db), user) if r.status != "closed"]
    open_esc = _visible_escalations(db, user)
    lines = [f"{len(live)} war room(s) open, {len(open_esc)} escalation(s) waiting for an acknowledgement."]
    for e in open_esc[:10]:
        room = rooms.get_room(db, e.room_id)
        lines.append(f"• #{e.id} {room.title if room else ''} ({e.reason}, since {e.opened_at})")
    return "\n".join(lines)
