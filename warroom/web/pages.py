"""Board pages: the rooms list, opening a room, a room's live page."""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import accounts, events, rooms, updates
from ..clock import utcnow
from .context import current_user, get_db, require_role, visible, visible_rooms

bp = Blueprint("pages", __name__)
log = logging.getLogger(__name__)
DRILL_SPEEDS = {"60": 60.0, "600": 600.0, "max": None}   # the form's choices: x faster, or at once


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
                                  private=bool(request.form.get("private")),
                                  drill_speed=request.form.get("drill_speed", "60"))
    except (rooms.RoomError, accounts.AccountError) as exc:
        return render_template(
            "rooms.html", rooms=visible_rooms(db, rooms.list_rooms(db)), error=f"{exc.field}: {exc}", form=form,
            playbooks=_playbook_choices(db),
        ), 422
    return redirect(url_for("pages.room_page", room_id=room.id))


def open_from_playbook(db, user, playbook_id: str, title: str, description: str = "", drill: bool = False,
                       team_name: str = "", private: bool = False, drill_speed: str | None = None) -> rooms.Room:
    """Open a room as the rooms page does (and ``/warroom open`` in Slack):
    the playbook's latest stored version, pinned by the room (later edits
    never change it), if the user may use that playbook; its team. A drill
    with a ``drill_speed`` replays the playbook's own demo storm into it."""
    from ..playbooks import store as playbook_store

    # The latest stored version; the room pins it (later edits never change the room).
    playbook = playbook_store.latest_playbook(db, playbook_id) if playbook_id else None
    if playbook_id and (playbook is None or not accounts.may_use(db, user, "playbook", playbook_id)):
        raise rooms.RoomError("playbook", f"no playbook {playbook_id!r}")
    team = _team_for_new_room(db, user, team_name, playbook_id)
    if drill and playbook is not None and drill_speed is not None:
        room = _start_drill(db, user, playbook, title, drill_speed)
    else:
        room = rooms.open_room(db, utcnow(), user, title, description, is_drill=drill, playbook=playbook)
    if team is not None:
        accounts.assign(db, utcnow(), "room", room.id, team.id, user.name)
    if private:
        accounts.set_private(db, utcnow(), room.id, True, user.name, members=[user.id])
    return room


def playbook_ids(db, user) -> list[str]:
    """The ids of the playbooks ``user`` may open a room from."""
    return [v.playbook_id for v in _playbook_choices(db, user)]


def _start_drill(db, user, playbook, title: str, speed: str):
    """A drill room from a playbook, into which its own demo storm (the
    playbook's ``demo_storm``, as `run.py drill PLAYBOOK`) is replayed by a
    background thread with its own connection; the board shows it arrive."""
    from ..listening import drills, storms

    if speed not in DRILL_SPEEDS:
        raise rooms.RoomError("drill_speed", f"drill_speed must be one of {', '.join(DRILL_SPEEDS)}")
    if not title.strip():
        raise rooms.RoomError("title", "title must not be empty")
    storm = storms.storm_for(playbook)
    room = drills.start(db, utcnow(), user, playbook, storm.label(), DRILL_SPEEDS[speed], title=title.strip())
    threading.Thread(target=_replay_drill, name=f"drill-{room.id}", daemon=True,
                     args=(current_app._get_current_object(), room.id, storm, DRILL_SPEEDS[speed],
                           user.name)).start()
    return room


def _replay_drill(app, room_id: int, storm, speed: float | None, actor: str) -> None:
    from ..listening import drills, mentions, replay, storms
    from ..listening.sentiment import Scorer

    conf = app.extensions["warroom"]
    db = app.extensions["warroom_open_db"]()
    try:
        batch = drills.scoped(room_id, storms.load(storm, utcnow(), mentions.Limits(text=conf.ingest.max_text_chars)))
        result = replay.replay(db, room_id, batch, Scorer(), speed=speed, actor="drill",
                               detector_params=conf.spikes.detector_params)
        drills.finish(db, utcnow(), room_id, result.accepted, result.spikes, actor=actor)
    except mentions.RoomNotListening:
        log.info("drill %s: the room was closed, the replay stops", room_id)
    except Exception:   # a background thread has no one to answer: say it in the log
        log.exception("drill %s: the replay failed", room_id)
    finally:
        db.close()


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
