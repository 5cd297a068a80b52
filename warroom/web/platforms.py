"""Platform connectors' adapter: set-up for a room or a standing monitor (lead
or admin; form and JSON API),
their state, deliveries and marking one posted by hand, the composer's reply
limit, and the Facebook webhook (thin: the rules are in ``platforms.webhook``).

Credentials go in once and never come out: no view, JSON answer, log line or
export returns them (``ConnectorInfo`` has no field for them).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import rooms, validate
from ..clock import utcnow
from ..listening import mentions, monitors
from ..live import Command, CommandError
from ..platforms import crypto, outbox, registry, store, webhook
from ..platforms.facebook import WebhookRejected
from .auth import csrf_exempt
from .context import current_user, get_db, json_error, own_body, public, require_role

bp = Blueprint("platforms", __name__)


def _vault() -> crypto.Vault:
    from flask import current_app

    from ..jobs import vault_for

    return vault_for(current_app)


def _platforms() -> dict:
    return {name: {"settings": [{"name": n, "label": label, "required": req} for n, label, req in p.settings],
                   "secrets": [{"name": n, "label": label, "required": req} for n, label, req in p.secrets],
                   "default_limit": {"max_length": p.default_limit.max_length, "unit": p.default_limit.unit}}
            for name, p in registry.PLATFORMS.items()}


def _room_or_404(db, room_id: int):
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404, description=f"no room {room_id}")
    return room


def room_panel(db, room, user):
    return "panels/platforms.html", {"panel": {
        "room": room, "connectors": store.for_room(db, room.id), "deliveries": outbox.for_room(db, room.id),
        "is_lead": user is not None and _is_lead(user)}}


def _is_lead(user) -> bool:
    from ..accounts import has_role

    return has_role(user, "lead")


# -- set-up ---------------------------------------------------------------------


def _room_target(db, room_id: int) -> dict:
    room = _room_or_404(db, room_id)
    return {"title": room.title, "href": url_for("pages.room_page", room_id=room.id), "kind": "room",
            "action": url_for("platforms.form_connect", room_id=room.id), "connectors": store.for_room(db, room.id),
            "create": lambda body: store.create(db, utcnow(), current_user().name, _vault(), room.id,
                                                body.get("platform"), body.get("name"), body.get("settings"),
                                                body.get("secrets"))}


def _monitor_target(db, monitor_id: int) -> dict:
    monitor = monitors.get(db, monitor_id)
    if monitor is None:
        abort(404, description=f"no monitor {monitor_id}")
    return {"title": monitor.brand, "href": url_for("monitors.monitor_view", monitor_id=monitor.id),
            "kind": "monitor", "action": url_for("platforms.monitor_form_connect", monitor_id=monitor.id),
            "connectors": store.for_monitor(db, monitor.id),
            "create": lambda body: store.create_for_monitor(
                db, utcnow(), current_user().name, _vault(), monitor.id, body.get("platform"), body.get("name"),
                body.get("settings"), body.get("secrets"))}


def _page(target: dict):
    return render_template("connectors.html", target=target, connectors=target["connectors"],
                           platforms=_platforms(), error=request.args.get("error"))


def _api_list(target: dict):
    return {"connectors": [c.to_dict() for c in target["connectors"]], "platforms": _platforms()}


def _api_connect(target_of):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error(400, "send a JSON object: platform, name, settings, secrets", field="body")
    try:
        info = target_of()["create"](body)
    except store.SetupError as exc:
        return json_error(422, str(exc), field=exc.field)
    return {"connector": info.to_dict()}, 201


def _form_connect(target: dict):
    form = request.form
    platform = form.get("platform", "")
    spec = registry.PLATFORMS.get(platform)
    body = {"platform": platform, "name": form.get("name", ""),
            "settings": {n: form.get(f"settings.{n}", "") for n, _, _ in (spec.settings if spec else ())},
            "secrets": {n: form.get(f"secrets.{n}", "") for n, _, _ in (spec.secrets if spec else ())}}
    page = target["action"]  # the set-up page is the form's own address (GET)
    try:
        target["create"](body)
    except store.SetupError as exc:
        return redirect(f"{page}?{urlencode({'error': f'{exc.field}: {exc}'})}")
    return redirect(page)


@bp.route("/rooms/<int:room_id>/connectors")
@require_role("lead")
def connectors_page(room_id: int):
    return _page(_room_target(get_db(), room_id))


@bp.route("/api/v1/rooms/<int:room_id>/connectors")
@require_role("lead")
def api_connectors(room_id: int):
    return _api_list(_room_target(get_db(), room_id))


@bp.route("/api/v1/rooms/<int:room_id>/connectors", methods=["POST"])
@require_role("lead")
def api_connect(room_id: int):
    return _api_connect(lambda: _room_target(get_db(), room_id))


@bp.route("/rooms/<int:room_id>/connectors", methods=["POST"])
@require_role("lead")
def form_connect(room_id: int):
    return _form_connect(_room_target(get_db(), room_id))


@bp.route("/monitors/<int:monitor_id>/connectors")
@require_role("lead")
def monitor_connectors_page(monitor_id: int):
    return _page(_monitor_target(get_db(), monitor_id))


@bp.route("/api/v1/monitors/<int:monitor_id>/connectors")
@require_role("lead")
def api_monitor_connectors(monitor_id: int):
    return _api_list(_monitor_target(get_db(), monitor_id))


@bp.route("/api/v1/monitors/<int:monitor_id>/connectors", methods=["POST"])
@require_role("lead")
def api_monitor_connect(monitor_id: int):
    return _api_connect(lambda: _monitor_target(get_db(), monitor_id))


@bp.route("/monitors/<int:monitor_id>/connectors", methods=["POST"])
@require_role("lead")
def monitor_form_connect(monitor_id: int):
    return _form_connect(_monitor_target(get_db(), monitor_id))


def _disconnect(connector_id: int):
    db = get_db()
    if store.get(db, connector_id) is None:
        abort(404, description=f"no connector {connector_id}")
    return store.disconnect(db, utcnow(), current_user().name, connector_id)


@bp.route("/api/v1/connectors/<int:connector_id>/disconnect", methods=["POST"])
@require_role("lead")
def api_disconnect(connector_id: int):
    return {"connector": _disconnect(connector_id).to_dict()}


@bp.route("/connectors/<int:connector_id>/disconnect", methods=["POST"])
@require_role("lead")
def form_disconnect(connector_id: int):
    info = _disconnect(connector_id)
    if info.room_id is None:
        return redirect(url_for("platforms.monitor_connectors_page", monitor_id=info.monitor_id))
    return redirect(url_for("platforms.connectors_page", room_id=info.room_id))


# -- deliveries and limits ---------------------------------------------------------------


@bp.route("/api/v1/rooms/<int:room_id>/deliveries")
@require_role("viewer")
def api_deliveries(room_id: int):
    db = get_db()
    _room_or_404(db, room_id)
    return {"deliveries": [d.to_dict() for d in outbox.for_room(db, room_id)]}


@bp.route("/api/v1/deliveries/<int:delivery_id>/posted-by-hand", methods=["POST"])
@require_role("lead")
def api_posted_by_hand(delivery_id: int):
    body = request.get_json(silent=True) or {}
    try:
        d = outbox.mark_posted_by_hand(get_db(), utcnow(), current_user(), delivery_id, body.get("url"))
    except outbox.DeliveryError as exc:
        return json_error(404 if exc.field == "delivery_id" and "no delivery" in str(exc) else 422,
                          str(exc), field=exc.field)
    return {"delivery": d.to_dict()}


@bp.route("/api/v1/mentions/<int:mention_id>/reply-limit")
@require_role("viewer")
def api_reply_limit(mention_id: int):
    """What the composer counts against: the platform's limit, or none, and the
    ``prefix`` the connector puts in front unless the text contains it."""
    rule = store.reply_rule(get_db(), mention_id)
    if rule is None:
        return {"mention_id": mention_id, "platform": None, "limit": None, "prefix": ""}
    return {"mention_id": mention_id, "platform": rule.platform, "prefix": rule.prefix,
            "limit": {"max_length": rule.limit.max_length, "unit": rule.limit.unit}}


def cmd_mark_by_hand(db, user, payload, now):
    try:
        delivery_id = validate.integer(payload.get("delivery_id"), "delivery_id", from_text=True)
    except validate.Invalid:
        raise CommandError("delivery_id must be an integer", field="delivery_id") from None
    try:
        d = outbox.mark_posted_by_hand(db, now, user, delivery_id, payload.get("url"))
    except outbox.DeliveryError as exc:
        raise CommandError(str(exc), field=exc.field) from None
    return {"delivery": d.to_dict()}


COMMANDS = [Command("delivery.mark_by_hand", "lead", cmd_mark_by_hand)]


# -- the Facebook webhook ------------------------------------------------------------------


@bp.route("/webhooks/facebook/<int:connector_id>", methods=["GET"])
@public
@csrf_exempt  # a machine endpoint: Meta's handshake carries its own verify token
def facebook_verify(connector_id: int):
    try:
        challenge = webhook.verify_handshake(get_db(), connector_id, _vault(), request.args.to_dict())
    except WebhookRejected as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    return challenge, 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/webhooks/facebook/<int:connector_id>", methods=["POST"])
@public
@csrf_exempt
@own_body
def facebook_receive(connector_id: int):
    from .ingest import scorer

    try:
        result = webhook.receive(get_db(), utcnow(), connector_id, _vault(), scorer(), request.get_data(),
                                 request.headers.get("X-Hub-Signature-256"))
    except WebhookRejected as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    except mentions.RoomNotListening as exc:
        return json_error(409, str(exc), field="room")
    return {"accepted": result.accepted if result else 0, "duplicates": result.duplicates if result else 0}

