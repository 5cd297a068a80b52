"""Privacy for admins: teams' retention, data-subject export and erasure (the
page ``/admin/privacy`` and the JSON API under ``/api/v1/privacy``). The rules
are ``warroom.privacy``'s; the author travels in the POST body, never in a URL,
so it stays out of access logs."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import privacy
from ..clock import utcnow
from .context import current_user, get_db, json_error, require_role

bp = Blueprint("privacy", __name__)


def _default_days() -> int:
    return current_app.extensions["warroom"].privacy.retention_days


def _page(error=None, erased=None, status=200):
    return render_template("admin_privacy.html", teams=privacy.retention_of(get_db()),
                           default_days=_default_days(), error=error, erased=erased), status


def _days_field(raw):
    """Form or JSON: blank / null is the installation default."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        if not raw.strip().isdigit():
            raise privacy.PrivacyError("retention_days", "retention_days must be a whole number of days")
        return int(raw.strip())
    return raw


def _team_id(raw):
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return raw


@bp.route("/admin/privacy")
@require_role("admin")
def privacy_page():
    return _page()


@bp.route("/admin/privacy/retention", methods=["POST"])
@require_role("admin")
def retention_form():
    try:
        privacy.set_retention(get_db(), utcnow(), _team_id(request.form.get("team_id")),
                              _days_field(request.form.get("retention_days")), current_user().name)
    except privacy.PrivacyError as exc:
        return _page(error=f"{exc.field}: {exc}", status=exc.status)
    return redirect(url_for("privacy.privacy_page"))


@bp.route("/admin/privacy/export", methods=["POST"])
@require_role("admin")
def export_form():
    try:
        found = privacy.export_author(get_db(), utcnow(), request.form.get("author"), current_user().name)
    except privacy.PrivacyError as exc:
        return _page(error=f"{exc.field}: {exc}", status=exc.status)
    return Response(json.dumps(found, indent=2, ensure_ascii=False, sort_keys=True),
                    mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="privacy-export.json"'})


@bp.route("/admin/privacy/erase", methods=["POST"])
@require_role("admin")
def erase_form():
    author = request.form.get("author") or ""
    if author.strip() != (request.form.get("confirm") or "").strip():
        return _page(error="confirm: type the author again to confirm the erasure", status=422)
    try:
        done = privacy.erase_author(get_db(), utcnow(), author, current_user().name)
    except privacy.PrivacyError as exc:
        return _page(error=f"{exc.field}: {exc}", status=exc.status)
    return _page(erased=done)


# -- JSON API ---------------------------------------------------------------------


def _author_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise privacy.PrivacyError("body", "the body must be a JSON object")
    return data.get("author")


@bp.route("/api/v1/privacy/export", methods=["POST"])
@require_role("admin")
def api_export():
    try:
        return jsonify(privacy.export_author(get_db(), utcnow(), _author_body(), current_user().name))
    except privacy.PrivacyError as exc:
        return json_error(exc.status, str(exc), field=exc.field)


@bp.route("/api/v1/privacy/erase", methods=["POST"])
@require_role("admin")
def api_erase():
    try:
        done = privacy.erase_author(get_db(), utcnow(), _author_body(), current_user().name)
    except privacy.PrivacyError as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    return jsonify({"erased": done})


@bp.route("/api/v1/privacy/retention")
@require_role("admin")
def api_retention():
    return jsonify({"default_days": _default_days(), "teams": privacy.retention_of(get_db())})


@bp.route("/api/v1/privacy/retention/<int:team_id>", methods=["PUT"])
@require_role("admin")
def api_retention_set(team_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "retention_days" not in data:
        return json_error(422, "the body must be a JSON object with retention_days", field="retention_days")
    try:
        row = privacy.set_retention(get_db(), utcnow(), team_id, data["retention_days"], current_user().name)
    except privacy.PrivacyError as exc:
        return json_error(exc.status, str(exc), field=exc.field)
    return jsonify(row)
