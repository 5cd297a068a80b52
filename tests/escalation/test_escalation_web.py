"""The escalation panel, the ack button and a lead's manual page over real
HTTP and the real Socket.IO client, with roles checked (no Slack configured:
pages go to the log and the board)."""

from __future__ import annotations

import time

from tests.conftest import close_clients, csrf_from, make_user, socket_client
from warroom import escalation, rooms
from warroom.accounts import find_user
from warroom.clock import utcnow


def _wait(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_panel_ack_and_manual_page(server):
    db = server.db()
    for name, role in (("lea", "lead"), ("rob", "responder"), ("vic", "viewer")):
        make_user(db, name, role, utcnow())  # straight into the server's database: no CLI start-up
    room = rooms.open_room(db, utcnow(), find_user(db, "lea"), "Storm")

    lead, resp, viewer = server.login("lea"), server.login("rob"), server.login("vic")
    # a viewer may not page (403 JSON), a lead may; the scheduler then pages on-call (log)
    assert viewer.post(f"{server.url}/api/v1/rooms/{room.id}/page", json={}).status_code == 403
    bad = lead.post(f"{server.url}/api/v1/rooms/{room.id}/page", json={"note": 5})
    assert bad.status_code == 422 and bad.json()["field"] == "note"
    made = lead.post(f"{server.url}/api/v1/rooms/{room.id}/page", json={"note": "all hands"})
    assert made.status_code == 201
    esc_id = made.json()["escalation"]["id"]
    # nobody is on call here: the page row records that, and the board shows it
    _wait(lambda: db.execute("SELECT COUNT(*) FROM pages WHERE escalation_id = ?", [esc_id]).fetchone()[0])

    page = viewer.get(f"{server.url}/rooms/{room.id}")
    assert 'id="escalation"' in page.text and 'data-refresh-on="escalation. page. spike."' in page.text
    assert "nobody to page" in page.text
    assert "Acknowledge</button>" not in page.text  # a viewer sees no ack button
    frag = resp.get(f"{server.url}/rooms/{room.id}/escalation/panel")
    assert frag.status_code == 200 and "Acknowledge</button>" in frag.text

    # the ack form (CSRF token required) as a responder
    no_csrf = resp.post(f"{server.url}/rooms/{room.id}/escalations/{esc_id}/ack",
                        headers={"X-CSRF-Token": "nope"}, allow_redirects=False)
    assert no_csrf.status_code == 403
    assert escalation.get(db, esc_id).state == "open"
    ok = resp.post(f"{server.url}/rooms/{room.id}/escalations/{esc_id}/ack",
                   data={"csrf_token": csrf_from(frag.text)}, allow_redirects=False)
    assert ok.status_code == 302
    assert escalation.get(db, esc_id).acked_by == "rob"
    again = resp.post(f"{server.url}/api/v1/rooms/{room.id}/escalations/{esc_id}/ack")
    assert again.status_code == 409 and "already acknowledged by rob" in again.json()["error"]
    listing = viewer.get(f"{server.url}/api/v1/rooms/{room.id}/escalations").json()["escalations"]
    assert listing[0]["seconds_to_ack"] is not None and listing[0]["pages"]

    # Socket.IO: a responder may not page, a lead may; ack needs a responder
    c_resp, c_lead = socket_client(server, resp), socket_client(server, lead)
    try:
        denied = c_resp.call("escalation.page", {"room": room.id}, namespace="/board", timeout=10)
        assert "forbidden" in denied["error"]
        paged = c_lead.call("escalation.page", {"room": room.id, "note": "again"}, namespace="/board", timeout=10)
        assert paged["ok"] and paged["escalation"] != esc_id
        acked = c_resp.call("escalation.ack", {"escalation": paged["escalation"]}, namespace="/board", timeout=10)
        assert acked == {"ok": True, "escalation": paged["escalation"], "state": "acknowledged"}
    finally:
        close_clients(c_resp, c_lead)
        db.close()
