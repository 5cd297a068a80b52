"""A responder cannot approve, export or edit playbooks: each refused by the
server (not just hidden in the page), and nothing changes."""

from pathlib import Path

from warroom import accounts, responses, rooms

from ..conftest import GOOD, add_mention, call, csrf_from, make_user, sock

ROOT = Path(__file__).resolve().parents[2]


def test_responder_cannot_approve_export_or_edit_playbooks(app, db, now):
    lead = make_user(db, "lead", "lead")
    make_user(db, "vol", "responder")
    make_user(db, "vol2", "responder")
    room = rooms.open_room(db, now, lead, "Recall")
    mid = add_mention(db, room.id, now)
    client, sc = sock(app, "vol2")
    vol = accounts.find_user(db, "vol")
    author = responses.save_draft(db, now, vol, room.id, GOOD, mention_id=mid)
    responses.submit(db, now, vol, author.id)

    # approve: Socket.IO command refused per command, the draft stays submitted
    assert "forbidden" in call(sc, "draft.approve", {"draft_id": author.id})["error"]
    assert responses.get_draft(db, author.id).status == "submitted"

    # export: 403 on every format
    for fmt in ("md", "html", "json"):
        assert client.get(f"/rooms/{room.id}/export.{fmt}").status_code == 403

    # edit playbooks: editor page, save and live validation all 403; no version stored
    token = csrf_from(client.get("/").text)
    text = (ROOT / "playbooks" / "product-recall.md").read_text()
    before = db.execute("SELECT COUNT(*) FROM playbook_versions").fetchone()[0]
    assert client.get("/playbooks/new").status_code == 403
    assert client.post("/playbooks/save", data={"text": text, "csrf_token": token}).status_code == 403
    assert client.post("/api/v1/playbooks/validate", json={"text": text},
                       headers={"X-CSRF-Token": token}).status_code == 403
    assert db.execute("SELECT COUNT(*) FROM playbook_versions").fetchone()[0] == before

