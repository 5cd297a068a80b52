"""Board pages: the rooms list, opening a room, a room's live page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import accounts, events, rooms
from ..clock import utcnow
from .context import current_user, get_db, require_role, visible, visible_rooms

bp = Blueprint("pages", __name__)


def _playbook_choices(db, user=None) -> list:
    from ..playbooks import store as playbook_store

    return visible(db, "playbook", [v for v, _count in playbook_store.list_latest(db)], lambda v: v.playbook_id,
                   user=user)


@bp.route("/")
@require_role("viewer")
def rooms_list():
    db = get_db()
    return render_template("rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=None, form={},
                           playbooks=_playbook_choices(db))


@bp.route("/rooms", methods=["POST"])
@require_role("lead")
def room_open():
    db = get_db()
    user = current_user()
    form = {"title": request.form.get("title", ""), "description": request.form.get("description", ""),
            "playbook": request.form.get("playbook", "").strip(), "drill": bool(request.form.get("drill"))}
    try:
        room = open_from_playbook(db, user, form["playbook"], form["title"], form["description"],
                                  drill=form["drill"], team_name=request.form.get("team", "").strip(),
                                  private=bool(request.form.get("private")))
    except (rooms.RoomError, accounts.AccountError) as exc:
        return render_template(
            "rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=f"{exc.field}: {exc}", form=form,
            playbooks=_playbook_choices(db),
        ), 422
    return redirect(url_for("pages.room_page", room_id=room.id))


def open_from_playbook(db, user, playbook_id: str, title: str, description: str = "", drill: bool = False,
                       team_name: str = "", private: bool = False) -> rooms.Room:
    """Open a room as the rooms page does (and ``/warroom open`` in Slack):
    the playbook's latest stored version, pinned by the room (later edits
    never change it), if the user may use that playbook; its team."""
    from ..playbooks import store as playbook_store

    # The latest stored version; the room pins it (later edits never change the room).
    playbook = playbook_store.latest_playbook(db, playbook_id) if playbook_id else None
    if playbook_id and (playbook is None or not accounts.may_use(db, user, "playbook", playbook_id)):
        raise rooms.RoomError("playbook", f"no playbook {playbook_id!r}")
    team = _team_for_new_room(db, user, team_name, playbook_id)
    room = rooms.open_room(db, utcnow(), user, title, description, is_drill=drill, playbook=playbook)
    if team is not None:
        accounts.assign(db, utcnow(), "room", room.id, team.id, user.name)
    if private:
        accounts.set_private(db, utcnow(), room.id, True, user.name, members=[user.id])
    return room


def playbook_ids(db, user) -> list[str]:
    """The ids of the playbooks ``user`` may open a room from."""
    return [v.playbook_id for v in _playbook_choices(db, user)]


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
