"""Board pages: the rooms list, opening a room, a room's live page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import accounts, events, rooms, updates
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
    user = current_user()
    form = {"title": request.form.get("title", ""), "description": request.form.get("description", ""),
            "playbook": request.form.get("playbook", "").strip(), "drill": bool(request.form.get("drill"))}
    try:
        # The latest stored version; the room pins it (later edits never change the room).
        playbook = playbook_store.latest_playbook(db, form["playbook"]) if form["playbook"] else None
        if form["playbook"] and (playbook is None or not accounts.may_use(db, user, "playbook", form["playbook"])):
            raise rooms.RoomError("playbook", f"no playbook {form['playbook']!r}")
        team = _team_for_new_room(db, user, request.form.get("team", "").strip(), form["playbook"])
        room = rooms.open_room(db, utcnow(), user, form["title"], form["description"],
                               is_drill=form["drill"], playbook=playbook)
        if team is not None:
            accounts.assign(db, utcnow(), "room", room.id, team.id, user.name)
        if request.form.get("private"):
            accounts.set_private(db, utcnow(), room.id, True, user.name, members=[user.id])
    except (rooms.RoomError, accounts.AccountError) as exc:
        return render_template(
            "rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=f"{exc.field}: {exc}", form=form,
            playbooks=_playbook_choices(db),
        ), 422
    return redirect(url_for("pages.room_page", room_id=room.id))


def _team_for_new_room(db, user, name: str, playbook_id: str):
    """The team a new room belongs to: the one asked for (one of the opener's,
    unless an admin), else its playbook's, else none (installation-wide)."""
    if name:
        team = accounts.find_team(db, name)
        if team is None or (user.role != "admin" and team.id not in accounts.user_team_ids(db, user.id)):
            raise accounts.AccountError("team", f"no team {name!r} of yours")
        return team
    owner = accounts.team_of(db, "playbook", playbook_id) if playbook_id else None
    return accounts.find_team(db, owner) if owner is not None else None


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
        # the room's final stakeholder update goes out with the close (updates.close_room)
        updates.close_room(get_db(), utcnow(), current_user(), room_id, request.form.get("final_update"))
    except updates.UpdateError as exc:
        abort(422, description=f"{exc.field}: {exc}")
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
