"""Contact methods and notification rules (a person's own page, an admin's
view of anyone's, the JSON API), the public ack-link pages, and Twilio's
inbound-SMS webhook.

Ack links: GET only shows a confirm button (mail scanners follow links, so
a GET never acknowledges); the POST acknowledges. Neither needs a login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from xml.sax.saxutils import escape
from zoneinfo import available_timezones

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import accounts, escalation, notifications
from ..clock import utcnow
from ..config import secret, secret_key
from .auth import csrf_exempt
from .context import current_user, get_db, json_error, public, require_role, settings

bp = Blueprint("contacts", __name__)


def _senders() -> dict:
    from ..jobs import method_senders

    return method_senders(current_app)


def _person(name: str) -> accounts.User:
    """The user whose methods these are: oneself, or anyone for an admin."""
    me = current_user()
    user = me if name in ("me", me.name) else accounts.find_user(get_db(), name)
    if user is None:
        abort(404, description=f"no user {name!r}")
    if user.id != me.id and not accounts.has_role(me, "admin"):
        abort(403, description="only an admin manages another person's contact methods")
    return user


def _state(db, user) -> dict:
    return {
        "user": user.name,
        "methods": [m.to_dict() for m in notifications.methods_for(db, user)],
        "rules": [r.to_dict() for r in notifications.rules_for(db, user)],
        "quiet_hours": notifications.quiet_hours(db, user).to_dict(),
        "deliveries": [{k: d.to_dict()[k] for k in ("id", "page_id", "kind", "address", "after_minutes", "state",
                                                     "due_at", "sent_at", "attempts", "last_error")}
                       for d in escalation.deliveries.for_recipient(db, f"user:{user.name}", 20)],
    }


def _send_code(db, user, method_id) -> str:
    method, code = notifications.start_verification(db, utcnow(), user, method_id)
    try:
        sender = _senders().get(method.kind)
        if sender is None:
            raise notifications.SendFailed(f"{method.kind} is not configured on this server")
        sender.send_text(method.address, "Warroom verification code",
                         f"Your Warroom code for this {method.kind} method is {code}. It works for 15 minutes.")
    except notifications.SendFailed as exc:
        return f"could not send the code: {exc}"
    return f"code sent to {method.address}"


def _test(db, user, method_id) -> str:
    method = notifications.get_method(db, method_id) if isinstance(method_id, int) else None
    if method is None or method.user_id != user.id:
        raise notifications.ContactError("method", f"no contact method {method_id}")
    try:
        sender = _senders().get(method.kind)
        if sender is None:
            raise notifications.SendFailed(f"{method.kind} is not configured on this server")
        sender.send_text(method.address, "Warroom test message", "This is how a Warroom page will reach you.")
        outcome = "ok"
    except notifications.SendFailed as exc:
        outcome = str(exc)
    notifications.record_test(db, utcnow(), method.id, outcome)
    return outcome


def _int(value, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise notifications.ContactError(field, f"{field} must be a whole number") from None


# -- the HTML page ------------------------------------------------------------------


@bp.route("/me/contacts")
@require_role("viewer")
def my_contacts():
    return redirect(url_for("contacts.contacts_page", name=current_user().name))


def _render(user, message=None, error=None, status=200):
    db = get_db()
    failures = escalation.deliveries.failed_recent(db, 20) if accounts.has_role(current_user(), "lead") else []
    person = accounts.get_user(db, user.id)  # as saved (its zone may just have changed)
    return render_template("contacts.html", person=person, state=_state(db, person), kinds=notifications.KINDS,
                           message=message, error=error, failures=failures,
                           zones=sorted(available_timezones())), status


@bp.route("/users/<name>/contacts", methods=["GET", "POST"])
@require_role("viewer")
def contacts_page(name: str):
    user = _person(name)
    if request.method == "GET":
        return _render(user)
    db = get_db()
    f = request.form
    action = f.get("action", "")
    try:
        if action == "add":
            m = notifications.add_method(db, utcnow(), user, f.get("kind", ""), f.get("address", ""),
                                         f.get("label", ""))
            message = f"added; {_send_code(db, user, m.id)}"
        elif action == "send_code":
            message = _send_code(db, user, _int(f.get("method"), "method"))
        elif action == "confirm":
            notifications.confirm_verification(db, utcnow(), user, _int(f.get("method"), "method"), f.get("code"))
            message = "verified"
        elif action == "test":
            message = f"test message: {_test(db, user, _int(f.get('method'), 'method'))}"
        elif action == "remove":
            notifications.remove_method(db, user, _int(f.get("method"), "method"))
            message = "removed"
        elif action == "add_rule":
            notifications.add_rule(db, utcnow(), user, _int(f.get("method"), "method"),
                                   _int(f.get("after_minutes"), "after_minutes"))
            message = "rule added"
        elif action == "remove_rule":
            notifications.remove_rule(db, user, _int(f.get("rule"), "rule"))
            message = "rule removed"
        elif action == "quiet":
            notifications.set_quiet_hours(db, user, f.get("quiet_start"), f.get("quiet_end"))
            message = "quiet hours saved"
        elif action == "tz":
            accounts.set_timezone(db, user, f.get("tz", "").strip())
            message = "time zone saved"
        elif action == "notice_methods":
            notifications.set_notice_methods(db, user, [_int(m, "methods") for m in f.getlist("methods")])
            message = "reminder methods saved"
        else:
            raise notifications.ContactError("action", "unknown action")
    except (notifications.ContactError, accounts.AccountError) as exc:
        return _render(user, error=f"{exc.field}: {exc}", status=422)
    return _render(user, message=message)


# -- the JSON API -------------------------------------------------------------------


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise notifications.ContactError("body", "a JSON object is needed")
    return data


def _api(fn):
    try:
        return fn()
    except (notifications.ContactError, accounts.AccountError) as exc:
        return json_error(422, str(exc), field=exc.field)


@bp.route("/api/v1/users/<name>/contacts", methods=["GET", "POST"])
@require_role("viewer")
def api_contacts(name: str):
    user = _person(name)
    db = get_db()
    if request.method == "GET":
        return _state(db, user)

    def add():
        d = _body()
        m = notifications.add_method(db, utcnow(), user, d.get("kind"), d.get("address"), d.get("label", ""))
        return {"method": m.to_dict(), "verification": _send_code(db, user, m.id)}, 201
    return _api(add)


@bp.route("/api/v1/users/<name>/contacts/<int:method_id>/<action>", methods=["POST"])
@require_role("viewer")
def api_contact_action(name: str, method_id: int, action: str):
    user = _person(name)
    db = get_db()

    def run():
        if action == "verify":
            return {"verification": _send_code(db, user, method_id)}
        if action == "confirm":
            m = notifications.confirm_verification(db, utcnow(), user, method_id, str(_body().get("code", "")))
            return {"method": m.to_dict()}
        if action == "test":
            outcome = _test(db, user, method_id)
            return {"outcome": outcome, "ok": outcome == "ok"}
        if action == "delete":
            notifications.remove_method(db, user, method_id)
            return {"ok": True}
        abort(404)
    return _api(run)


@bp.route("/api/v1/users/<name>/rules", methods=["POST"])
@require_role("viewer")
def api_rules(name: str):
    user = _person(name)
    db = get_db()

    def add():
        d = _body()
        rule = notifications.add_rule(db, utcnow(), user, d.get("method"), d.get("after_minutes"))
        return {"rule": rule.to_dict()}, 201
    return _api(add)


@bp.route("/api/v1/users/<name>/rules/<int:rule_id>", methods=["DELETE"])
@require_role("viewer")
def api_rule_delete(name: str, rule_id: int):
    user = _person(name)
    return _api(lambda: (notifications.remove_rule(get_db(), user, rule_id), {"ok": True})[1])


@bp.route("/api/v1/users/<name>/quiet-hours", methods=["PUT"])
@require_role("viewer")
def api_quiet(name: str):
    user = _person(name)

    def put():
        d = _body()
        return notifications.set_quiet_hours(get_db(), user, d.get("start"), d.get("end")).to_dict()
    return _api(put)


@bp.route("/api/v1/users/<name>/timezone", methods=["PUT"])
@require_role("viewer")
def api_timezone(name: str):
    user = _person(name)

    def put():
        tz = _body().get("tz")
        if not isinstance(tz, str):
            raise accounts.AccountError("tz", "tz must be an IANA time zone name such as Europe/Amsterdam")
        accounts.set_timezone(get_db(), user, tz.strip())
        return {"user": user.name, "tz": accounts.get_user(get_db(), user.id).tz}
    return _api(put)


@bp.route("/api/v1/users/<name>/notice-methods", methods=["PUT"])
@require_role("viewer")
def api_notice_methods(name: str):
    user = _person(name)

    def put():
        chosen = notifications.set_notice_methods(get_db(), user, _body().get("methods"))
        return {"methods": [m.id for m in chosen]}
    return _api(put)


# -- acknowledging from anywhere -------------------------------------------------------


@bp.route("/ack/<token>", methods=["GET", "POST"])
@public
def ack_link(token: str):
    db = get_db()
    key = secret_key(settings())
    viewer = current_user()
    if request.method == "GET":
        found = escalation.acklinks.check(db, utcnow(), key, token, viewer)
        status = 200 if found.ok else 410 if found.reason in ("expired", "used") else 404
        return render_template("ack.html", found=found, token=token, done=None), status
    found, text = escalation.acklinks.use(db, utcnow(), key, token, viewer)
    status = 200 if found.ok else 410 if found.reason in ("expired", "used") else 404
    return render_template("ack.html", found=found, token=token, done=text), status


def twilio_signature(auth_token: str, url: str, params: dict) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL followed by each
    POST parameter's name and value, sorted by name, in base64."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


@bp.route("/twilio/sms", methods=["POST"])
@public
@csrf_exempt
def twilio_sms():
    token = secret("TWILIO_AUTH_TOKEN")
    # The URL Twilio was given: the public one, not what a proxy hands us.
    url = settings().url + request.full_path.rstrip("?")
    params = {k: request.form.get(k) for k in request.form}
    sent = request.headers.get("X-Twilio-Signature", "")
    if not token or not hmac.compare_digest(sent, twilio_signature(token, url, params)):
        return json_error(403, "bad or missing X-Twilio-Signature", field="X-Twilio-Signature")
    reply = escalation.acklinks.sms_ack(get_db(), utcnow(), params.get("From", ""), params.get("Body", ""))
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(reply)}</Message></Response>'
    return xml, 200, {"Content-Type": "text/xml"}


_ID = {"schema": {"type": "integer"}, "in": "path", "required": True}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_COMMON = {"401": {"description": "login required"}, "403": {"description": "not yours (admins manage anyone)"},
           "404": {"description": "no such user"},
           "422": {"description": "refused; names the field", "content": {"application/json": {}}}}
OPENAPI_PATHS = {
    "/api/v1/users/{name}/contacts": {
        "get": {"summary": "A person's contact methods, rules, quiet hours and recent deliveries",
                "tags": ["notifications"], "parameters": [_NAME],
                "responses": {"200": {"description": "state"}, **_COMMON}},
        "post": {"summary": "Add a contact method (a verification code is sent to it)", "tags": ["notifications"],
                 "parameters": [_NAME],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["kind", "address"], "properties": {
                         "kind": {"type": "string", "enum": list(notifications.KINDS)},
                         "address": {"type": "string"}, "label": {"type": "string"}}}}}},
                 "responses": {"201": {"description": "added"}, **_COMMON}}},
    "/api/v1/users/{name}/contacts/{method_id}/{action}": {"post": {
        "summary": "verify (send a code), confirm (body {code}), test, or delete a method",
        "tags": ["notifications"],
        "parameters": [_NAME, {"name": "method_id", **_ID},
                       {"name": "action", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": ["verify", "confirm", "test", "delete"]}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"code": {"type": "string"}}}}}},
        "responses": {"200": {"description": "done"}, **_COMMON}}},
    "/api/v1/users/{name}/rules": {"post": {
        "summary": "Add a rule: this verified method at this minute after a page", "tags": ["notifications"],
        "parameters": [_NAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["method", "after_minutes"], "properties": {
                "method": {"type": "integer"}, "after_minutes": {"type": "integer", "minimum": 0,
                                                                 "maximum": 1440}}}}}},
        "responses": {"201": {"description": "added"}, **_COMMON}}},
    "/api/v1/users/{name}/rules/{rule_id}": {"delete": {
        "summary": "Remove a rule", "tags": ["notifications"], "parameters": [_NAME, {"name": "rule_id", **_ID}],
        "responses": {"200": {"description": "removed"}, **_COMMON}}},
    "/api/v1/users/{name}/timezone": {"put": {
        "summary": "The person's IANA time zone (reminders, quiet hours and the board's times use it)",
        "tags": ["notifications"], "parameters": [_NAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["tz"], "properties": {"tz": {"type": "string"}}}}}},
        "responses": {"200": {"description": "saved"}, **_COMMON}}},
    "/api/v1/users/{name}/notice-methods": {"put": {
        "summary": "Which verified methods carry shift reminders and hand-over prompts (empty: the methods of "
                   "the earliest page rule, else a Slack DM)",
        "tags": ["notifications"], "parameters": [_NAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["methods"],
            "properties": {"methods": {"type": "array", "items": {"type": "integer"}}}}}}},
        "responses": {"200": {"description": "the methods now used"}, **_COMMON}}},
    "/api/v1/users/{name}/quiet-hours": {"put": {
        "summary": "Quiet hours (HH:MM in the person's time zone; never hold back a page)",
        "tags": ["notifications"], "parameters": [_NAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"start": {"type": ["string", "null"]},
                                             "end": {"type": ["string", "null"]}}}}}},
        "responses": {"200": {"description": "saved"}, **_COMMON}}},
}
