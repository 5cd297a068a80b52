"""Issue 19 defect 12: drill rooms share one title, and `drill` dropped
duplicate rows without saying how many."""

from __future__ import annotations

import json

from warroom import db as dbmod
from warroom import rooms

from .test_drill import cli_main


def test_drills_get_their_own_titles_and_duplicates_are_counted(tmp_path, monkeypatch, capsys):
    rows = [{"source": "twitter", "external_id": "1", "author": "@a", "text": "cancelled!", "url": "",
             "created_at": "2026-01-01T10:00:00Z"}] * 3
    storm = tmp_path / "storm.ndjson"
    storm.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out, err = cli_main(tmp_path, monkeypatch, capsys, "drill", "mass-disruption", str(storm))
    assert code == 0, err
    assert "1 mentions replayed" in out and "2 duplicate rows dropped" in out
    code, _out, err = cli_main(tmp_path, monkeypatch, capsys, "drill", "mass-disruption", str(storm))
    assert code == 0, err
    db = dbmod.connect(tmp_path / "cli.db")
    try:
        titles = [r.title for r in rooms.list_rooms(db)]
    finally:
        db.close()
    assert len(titles) == 2 and len(set(titles)) == 2, titles
