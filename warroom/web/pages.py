"""Board pages: the rooms list, opening a room, a room's live page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import events, rooms
from ..clock import utcnow
from .context import current_user, get_db, require_role, visible, visible_rooms

bp = Blueprint("pages", __name__)


def _playbook_choices(db) -> list:
    from ..playbooks import store as playbook_store

    return visible(db, "playbook", [v for v, _count in playbook_store.list_latest(db)], lambda v: v.playbook_id)


@bp.route("/")
@require_role("viewer")
def rooms_list():
    db = get_db()
    return render_template("rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=None, form={},
                           playbooks=_playbook_choices(db))


@bp.route("/rooms", methods=["POST"])
@require_role("lead")
def room_open():
    from ..playbooks import store as playbook_store

    db = get_db()
    form = {"title": request.form.get("title", ""), "description": request.form.get("description", ""),
            "playbook": request.form.get("playbook", "").strip(), "drill": bool(request.form.get("drill"))}
    try:
        # The latest stored version; the room pins it (later edits never change the room).
        playbook = playbook_store.latest_playbook(db, form["playbook"]) if form["playbook"] else None
        if form["playbook"] and playbook is None:
            raise rooms.RoomError("playbook", f"no playbook {form['playbook']!r}")
        room = rooms.open_room(db, utcnow(), current_user(), form["title"], form["description"],
                               is_drill=form["drill"], playbook=playbook)
    except rooms.RoomError as exc:
        return render_template(
            "rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=f"{exc.field}: {exc}", form=form,
            playbooks=_playbook_choices(db),
        ), 422
    return redirect(url_for("pages.room_page", room_id=room.id))


@bp.route("/rooms/<int:room_id>")
@require_role("viewer")
def room_page(room_id: int):
    db = get_db()
    room = rooms.get_room(db, room_id)
    if room is None:
        abort(404)

    recent = events.after(db, room_id, 0, limit=events.MAX_PAGE)
    return render_template(
        "room.html", room=room, events=recent, panels=_room_panels(db, room, current_user())
    )


@bp.route("/rooms/<int:room_id>/close", methods=["POST"])
@require_role("lead")
def room_close(room_id: int):
    try:
        rooms.close_room(get_db(), utcnow(), current_user(), room_id)
    except rooms.RoomError as exc:
        abort(409, description=str(exc))
    return redirect(url_for("pages.room_page", room_id=room_id))


def _room_panels(db, room, user) -> list[tuple[str, dict]]:
    """The panels of the room page, in the web modules' order (see web/__init__)."""
    panels = []
    for provider in current_app.extensions["warroom_room_panels"]:
        panel = provider(db, room, user)
        if panel is not None:
            panels.append(panel)
    return panels
