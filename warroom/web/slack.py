"""Slack's requests: interactivity (the Acknowledge button; a room
channel's Approve and Reject buttons and the reject modal) and the
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

Approve and Reject run the board's own commands (``draft.approve``,
``draft.reject``) through ``live.run_command``: the same role check, access
rule and domain call (``responses.approve``/``reject`` with the revision the
button shows), refused in the same words as on the board. ``/warroom open
PLAYBOOK [title]`` opens a room from a playbook's latest version as the
rooms page does.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request

from .. import accounts, escalation, rooms, validate
from ..clock import utcnow
from ..live import run_command
from ..slack import (
    ACK_ACTION,
    APPROVE_ACTION,
    REJECT_ACTION,
    REJECT_VIEW,
    decided_blocks,
    make_client,
    reject_view,
    verifier,
    verify_request,
)
from . import board
from .auth import csrf_exempt
from .context import get_db, json_error, public, settings, visible_rooms
from .pages import open_from_playbook, playbook_ids

log = logging.getLogger(__name__)

bp = Blueprint("slack", __name__)

NOT_LINKED = ("Sorry, your Slack account is not linked to a Warroom user, so I cannot act for you. "
              "Ask a Warroom admin to run `run.py user add NAME --role ROLE --slack-id {id}`.")
HELP = ("Usage: `/warroom status` · `/warroom ack [ESCALATION]` · `/warroom page ROOM [why]` (lead) · "
        "`/warroom open PLAYBOOK [title]` (lead)")
BOARD_COMMANDS = {c.name: c for c in board.COMMANDS}  # not COMMANDS: app.py collects those


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


def _client():
    """The Web API client for answers outside the HTTP reply (ephemeral
    messages, modals, editing the approval message), or None without a token."""
    key = "warroom_slack_client"
    if key not in current_app.extensions:
        current_app.extensions[key] = make_client(settings())
    return current_app.extensions[key]


def _api(method: str, **kwargs) -> bool:
    client = _client()
    if client is None:
        return False
    try:
        getattr(client, method)(**kwargs)
        return True
    except Exception as exc:  # the decision is made; a lost courtesy message must not undo it
        log.warning("slack %s failed: %s", method, exc)
        return False


def _ephemeral(payload: dict, user_id: str, text: str):
    """An answer only the clicking user sees (in the channel, and in the HTTP reply)."""
    channel = _dig(payload, "channel", "id")
    if isinstance(channel, str) and channel and user_id:
        _api("chat_postEphemeral", channel=channel, user=user_id, text=text)
    return _reply(text)


def _draft_ref(raw) -> tuple[int, int] | None:
    """(draft id, revision) from a button's value or a modal's metadata."""
    try:
        value = validate.loads(raw, "value") if isinstance(raw, str) else None
        if not isinstance(value, dict):
            return None
        return (validate.integer(value.get("draft"), "draft", low=1),
                validate.integer(value.get("revision"), "revision", low=0))
    except validate.Invalid:
        return None


def _decide(db, user, name: str, draft_id: int, revision: int, reason: str | None = None) -> dict:
    payload = {"draft_id": draft_id, "revision": revision}
    if reason is not None:
        payload["reason"] = reason
    return run_command(db, user, BOARD_COMMANDS[name], payload, utcnow())


def _message_ref(payload: dict) -> tuple[str, str]:
    channel = payload.get("channel") if isinstance(payload.get("channel"), dict) else {}
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    return str(channel.get("id") or ""), str(message.get("ts") or "")


def _mark_decided(channel: str, ts: str, text: str) -> None:
    if channel and ts:  # the buttons go once the draft is decided
        _api("chat_update", channel=channel, ts=ts, text=text, blocks=decided_blocks(text))


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
    if payload.get("type") == "view_submission":
        return _view_submission(payload, who.get("id", ""))
    wanted = (ACK_ACTION, APPROVE_ACTION, REJECT_ACTION)
    action = next((a for a in actions if isinstance(a, dict) and a.get("action_id") in wanted), None)
    if action is None:
        return "", 200  # e.g. the Open-board link button: nothing to do
    db = get_db()
    user = accounts.find_by_slack_id(db, who.get("id", ""))
    if user is None or user.disabled:
        return _ephemeral(payload, who.get("id", ""), NOT_LINKED.format(id=who.get("id") or "?"))
    if action.get("action_id") != ACK_ACTION:
        return _draft_action(db, user, payload, who["id"], action)
    try:
        escalation_id = validate.integer(action.get("value"), "actions", low=1, from_text=True)
    except validate.Invalid:
        return json_error(400, "the action value must be an escalation id", field="actions")
    return _reply(_ack(db, user, escalation_id))


def _draft_action(db, user, payload: dict, slack_id: str, action: dict):
    ref = _draft_ref(action.get("value"))
    if ref is None:
        return json_error(400, "the action value must name a draft and its revision", field="actions")
    draft_id, revision = ref
    channel, ts = _message_ref(payload)
    if action["action_id"] == APPROVE_ACTION:
        out = _decide(db, user, "draft.approve", draft_id, revision)
        if "error" in out:
            return _ephemeral(payload, slack_id, f"Could not approve draft #{draft_id}: {out['error']}.")
        _mark_decided(channel, ts, f"Draft #{draft_id} (revision {revision}) approved by {user.name}.")
        return _ephemeral(payload, slack_id, f"You approved draft #{draft_id} (revision {revision}).")
    # Reject needs a reason: a modal asks for it (checks run when it is submitted).
    trigger = payload.get("trigger_id")
    if not isinstance(trigger, str) or not trigger or not _api(
            "views_open", trigger_id=trigger, view=reject_view(draft_id, revision, channel, ts)):
        return _ephemeral(payload, slack_id, f"Could not ask for a reason; reject draft #{draft_id} on the board.")
    return "", 200


def _view_submission(payload: dict, slack_id: str):
    view = payload.get("view")
    if _dig(view, "callback_id") != REJECT_VIEW:
        return "", 200
    meta = view.get("private_metadata")  # view is a dict: it has a callback_id
    ref = _draft_ref(meta)
    if ref is None:
        return json_error(400, "the modal's metadata must name a draft and its revision", field="view")
    draft_id, revision = ref
    reason = _dig(view, "state", "values", "reason", "reason", "value")
    db = get_db()
    user = accounts.find_by_slack_id(db, slack_id)
    if user is None or user.disabled:
        return _errors(NOT_LINKED.format(id=slack_id or "?"))
    out = _decide(db, user, "draft.reject", draft_id, revision, reason if isinstance(reason, str) else "")
    if "error" in out:
        return _errors(f"Could not reject draft #{draft_id}: {out['error']}.")
    where = json.loads(meta)
    _mark_decided(str(where.get("channel") or ""), str(where.get("ts") or ""),
                  f"Draft #{draft_id} (revision {revision}) rejected by {user.name}: {out['draft']['reject_reason']}")
    return "", 200


def _dig(obj, *keys):
    """obj[k1][k2]... or None when any level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _errors(text: str):
    # A modal's answer: the message shows under the reason field, the modal stays open.
    return jsonify({"response_action": "errors", "errors": {"reason": text[:150]}})


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
        return _open(db, user, args)
    return _reply(HELP)


def _open(db, user, args: list[str]):
    """``/warroom open PLAYBOOK [title]``: a room from the playbook's latest
    version (pinned), titled as asked or after the playbook."""
    if not accounts.has_role(user, "lead"):
        return _reply("Sorry, opening a war room needs the lead role.")
    valid = playbook_ids(db, user)
    listed = ", ".join(f"`{i}`" for i in valid) or "none yet (add one under Playbooks)"
    if not args:
        return _reply(f"Usage: `/warroom open PLAYBOOK [title]`. Playbooks: {listed}.")
    wanted, title = args[0], " ".join(args[1:])
    if wanted not in valid:
        return _reply(f"No playbook `{wanted[:80]}`. Playbooks: {listed}.")
    if not title:
        from ..playbooks import store as playbook_store

        found = playbook_store.latest_playbook(db, wanted)
        title = found.title if found else wanted
    try:
        room = open_from_playbook(db, user, wanted, title)
    except (rooms.RoomError, accounts.AccountError) as exc:
        return _reply(f"Could not open the room: {exc}.")
    return _reply(f"War room #{room.id} opened from {room.playbook_id} v{room.playbook_version}: {room.title}. "
                  f"Board: {_board_url(room.id)}", public_reply=True)


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
