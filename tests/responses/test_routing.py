"""Routing: a role's channels from the playbook, the channels of whoever is
on shift, and a lead assigning a mention to a person (events, replacement,
the errors each naming its field, the closed-room rule)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from warroom import accounts, events, notifications, playbooks, responses, rooms, roster
from warroom.cli import main
from warroom.clock import iso

from ..conftest import add_mention, make_user

ROOT = Path(__file__).resolve().parents[2]
MASS = (ROOT / "playbooks" / "mass-disruption.md").read_text()


def test_the_shipped_playbook_maps_tweeps_and_facebookers_to_their_channels():
    pb = playbooks.parse(MASS, "mass-disruption.md")
    channels = {r.name: r.channels for r in pb.roles}
    assert channels == {"Lead": (), "Facebooker": ("facebook", "instagram"),
                        "Tweep": ("twitter", "bluesky", "mastodon"), "Rebooker": ()}
    for name in ("activist-swarm", "product-recall", "service-complaint"):
        other = playbooks.parse((ROOT / "playbooks" / f"{name}.md").read_text(), name)
        assert all(r.channels == () for r in other.roles)


def test_an_unknown_channel_is_reported_at_its_line_and_check_exits_2(tmp_path, capsys):
    text = MASS.replace('channels = ["twitter", "bluesky", "mastodon"]', 'channels = ["twitter", "blusky"]')
    line = text.splitlines().index('channels = ["twitter", "blusky"]') + 1
    path = tmp_path / "typo.md"
    path.write_text(text)
    assert main(["playbooks", "check", str(path)]) == 2
    out = capsys.readouterr()
    msg = (out.out + out.err).strip()
    assert msg.startswith(f"{path}:{line}: roles.channels: 'blusky' is not a known source (did you mean 'bluesky'?)")


def test_channels_must_be_a_list_of_strings(tmp_path):
    text = MASS.replace('channels = ["facebook", "instagram"]', 'channels = "facebook"')
    with pytest.raises(playbooks.PlaybookInvalid) as exc:
        playbooks.parse(text, "pb.md")
    assert "roles.channels must be a list of strings, got 'facebook'" in str(exc.value)


@pytest.fixture
def storm(db, now, people):
    """A mass-disruption room opened at FIXED_NOW (its first shift starts then)."""
    pb = playbooks.parse(MASS, "mass-disruption.md")
    return rooms.open_room(db, now, people["lead"], "Ash cloud", playbook=pb)


def _slot(db, room_id, role, at):
    return next(s for s in roster.slots(db, room_id) if s.role == role and s.starts_at == at)


def test_a_volunteer_on_a_tweep_shift_answers_twitter_bluesky_mastodon_first(db, now, people, storm):
    vol, vol2 = people["vol"], people["vol2"]
    first = roster.slots(db, storm.id)[0].starts_at
    assert responses.my_channels(db, storm.id, vol, now) == []  # on no shift yet
    roster.sign_up(db, now, vol, _slot(db, storm.id, "Tweep", first).id)
    roster.sign_up(db, now, vol2, _slot(db, storm.id, "Rebooker", first).id)
    assert responses.my_channels(db, storm.id, vol, now) == ["twitter", "bluesky", "mastodon"]
    assert responses.my_channels(db, storm.id, vol2, now) == []  # Rebookers list no channels
    # The shift ends after 4 hours: then the plain order again.
    assert responses.my_channels(db, storm.id, vol, now + timedelta(hours=4)) == []
    # The next shift, as a Facebooker: Facebook and Instagram first then.
    later = now + timedelta(hours=4)
    roster.assign(db, now, people["lead"], _slot(db, storm.id, "Facebooker", iso(later)).id, vol)
    assert responses.my_channels(db, storm.id, vol, later) == ["facebook", "instagram"]


def test_a_room_without_a_playbook_routes_nothing(db, now, people, room):
    assert responses.my_channels(db, room.id, people["vol"], now) == []


def test_a_lead_assigns_reassigns_and_unassigns_each_an_event(db, now, people, room):
    lead = people["lead"]
    mid = add_mention(db, room.id, now)
    a = responses.assign(db, now, lead, mid, "vol")
    assert (a.mention_id, a.user, a.assigned_by, a.cluster_id) == (mid, "vol", "lead", None)
    assert [x.user for x in responses.room_assignments(db, room.id)] == ["vol"]
    responses.assign(db, now, lead, mid, "VOL2")  # names are case-insensitive; the stored one is shown
    assert responses.assignment_of(db, mid).user == "vol2"
    responses.unassign(db, now, lead, mid)
    assert responses.assignment_of(db, mid) is None
    got = [(e.kind, e.actor, e.data) for e in events.timeline(db, room.id) if e.kind.startswith("mention.")]
    assert got == [
        ("mention.assigned", "lead", {"mention_id": mid, "user": "vol", "previous": None}),
        ("mention.assigned", "lead", {"mention_id": mid, "user": "vol2", "previous": "vol"}),
        ("mention.unassigned", "lead", {"mention_id": mid, "user": "vol2"}),
    ]


def test_assignment_refusals_name_their_field(db, now, people, room):
    lead = people["lead"]
    mid = add_mention(db, room.id, now)
    make_user(db, "watcher", "viewer")

    def refused(fn, *args):
        with pytest.raises(ValueError) as exc:
            fn(db, now, *args)
        return exc.value.field, str(exc.value)

    assert refused(responses.assign, lead, mid, "nobody") == ("user", "no user 'nobody'")
    assert refused(responses.assign, lead, mid, "  ") == ("user", "user is required: the name of the person to assign")
    assert refused(responses.assign, lead, mid, "watcher") == ("user", "watcher is a viewer and cannot reply")
    assert refused(responses.assign, lead, 999, "vol") == ("mention_id", "no mention 999")
    assert refused(responses.assign, people["vol"], mid, "vol2")[0] == "user"  # not a lead
    assert refused(responses.unassign, lead, mid) == ("mention_id", "the mention is not assigned")
    responses.assign(db, now, lead, mid, "vol")
    assert refused(responses.assign, lead, mid, "vol") == ("user", "the mention is already assigned to vol")
    # A private room: only its members can be given its mentions.
    accounts.set_private(db, now, room.id, True, "lead")
    assert refused(responses.assign, lead, mid, "vol2") == ("user", "vol2 cannot see this room")
    # Closed: nothing changes any more.
    accounts.set_private(db, now, room.id, False, "lead")
    rooms.close_room(db, now, lead, room.id)
    assert refused(responses.assign, lead, mid, "vol2")[0] == "room"
    assert refused(responses.unassign, lead, mid)[0] == "room"
    assert responses.assignment_of(db, mid).user == "vol"


def test_an_assignment_alerts_the_assignee_not_a_lead_who_takes_it_themselves(db, now, people, room):
    mid = add_mention(db, room.id, now)
    responses.assign(db, now, people["lead"], mid, "vol")
    responses.assign(db, now, people["lead"], mid, "lead")
    given, taken = [e for e in events.timeline(db, room.id) if e.kind == "mention.assigned"]
    alerts = notifications.personal(given, "Ash cloud")
    assert [(a.user, a.kind) for a in alerts] == [("vol", "mention")]
    assert "Ash cloud" in alerts[0].title and f"#{mid}" in alerts[0].body and "lead" in alerts[0].body
    assert notifications.personal(taken, "Ash cloud") == []
