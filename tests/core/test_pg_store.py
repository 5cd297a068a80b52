"""The spine on PostgreSQL (a real server, tests/pg_server.py): migrations,
the event cursor with concurrent writers, after-commit fan-out, exactly-once
claims between two connections, error mapping, and `run.py db copy`."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests import pg_server
from tests.conftest import make_user, wait_until
from warroom import db as dbmod
from warroom import events, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.escalation import deliveries
from warroom.listening import search

pytestmark = pytest.mark.postgresql  # PostgreSQL whatever the pass: run once, in its pass


@pytest.fixture
def pg_url():
    return pg_server.server().new_database()


@pytest.fixture
def pg(pg_url):
    database = dbmod.connect(pg_url)
    yield database
    database.close()


def _waiting_for_advisory_lock(db) -> int:
    return db.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0]


def test_migrations_reach_the_same_numbers_and_a_second_run_changes_nothing(pg_url):
    empty = dbmod.connect(pg_server.server().new_database(migrated=False))
    applied = dbmod.migrate(empty)
    assert applied == [n for n, _, _ in dbmod.available_migrations()]
    assert dbmod.migrate(empty) == []
    assert set(empty.table_names()) >= {"users", "rooms", "events", "page_deliveries", "schema_migrations"}
    empty.close()


def test_insert_gives_lastrowid_and_booleans_and_nocase_behave_as_in_sqlite(pg, now):
    user = make_user(pg, "Kim", "lead", now)
    assert user.id >= 1
    # users.name is UNIQUE COLLATE NOCASE: "kim" is the same name
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(pg):
            pg.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, 'lead', 'x', ?)",
                       ["kIM", iso(now)])
    assert pg.execute("SELECT id FROM users WHERE name = ? COLLATE NOCASE", ["KIM"]).fetchone() == (user.id,)
    with transaction(pg):
        pg.execute("UPDATE users SET disabled = ? WHERE id = ?", [True, user.id])
    assert pg.execute("SELECT disabled FROM users WHERE id = ?", [user.id]).fetchone() == (1,)
    cur = pg.execute("INSERT OR IGNORE INTO schema_migrations (number, name, applied_at) VALUES (1, 'x', 'y')")
    assert cur.rowcount == 0  # migration 1 is there already: ignored, not an error


def test_an_immutability_trigger_refuses_as_an_integrity_error(pg, now):
    with transaction(pg):
        pg.execute("INSERT INTO playbook_versions (playbook_id, version, sha256, title, text, source,"
                   " created_by, created_at) VALUES ('p', 1, 's', 't', 'x', 'editor', 'kim', ?)", [iso(now)])
    with pytest.raises(sqlite3.IntegrityError, match="playbook versions are immutable"):
        with transaction(pg):
            pg.execute("UPDATE playbook_versions SET title = 'changed'")
    assert pg.execute("SELECT title FROM playbook_versions").fetchall() == [("t",)]


def test_after_commit_listeners_get_the_events_only_once_committed(pg, now):
    seen: list[list[int]] = []
    pg.after_commit.append(lambda evs: seen.append([e.id for e in evs]))
    with pytest.raises(RuntimeError):
        with transaction(pg):
            events.append(pg, None, "test.rolled_back", "kim", {}, now)
            raise RuntimeError("abort")
    assert seen == [] and events.since(pg, 0) == []
    with transaction(pg):
        a = events.append(pg, None, "test.one", "kim", {"n": 1}, now)
        b = events.append(pg, None, "test.two", "kim", {"n": 2}, now)
        assert seen == []  # not before the commit
    assert seen == [[a.id, b.id]] and b.id > a.id
    assert [(e.kind, e.data) for e in events.since(pg, 0)] == [("test.one", {"n": 1}), ("test.two", {"n": 2})]


def test_a_later_commit_never_carries_a_smaller_event_id_than_the_cursor(pg_url, now):
    """The publisher sends ``since(cursor)``: if a transaction that took a
    smaller id could commit after a larger one was read, that event would be
    skipped forever. The write lock makes ids commit in order."""
    first, second, reader = (dbmod.connect(pg_url) for _ in range(3))
    done = threading.Event()
    errors: list[BaseException] = []

    def later_writer():
        try:
            with transaction(second):
                events.append(second, None, "test.later", "b", {}, now)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    try:
        with transaction(first):
            early = events.append(first, None, "test.early", "a", {}, now)
            thread = threading.Thread(target=later_writer)
            thread.start()
            # the second writer is either blocked behind us or has committed
            wait_until(lambda: done.is_set() or _waiting_for_advisory_lock(reader) > 0,
                        what="the second writer to block or commit")
            visible = events.since(reader, 0)
            cursor = events.last_id(reader)
        thread.join(10)
        assert not errors
        after = events.since(reader, cursor)
        delivered = [e.id for e in visible] + [e.id for e in after]
        every = [e.id for e in events.since(reader, 0)]
        assert early.id in every and len(every) == 2
        assert sorted(delivered) == sorted(every), "an event committed behind the cursor was skipped"
    finally:
        for d in (first, second, reader):
            d.close()


def _due_deliveries(db, now, n: int, owner=None) -> list[int]:
    owner = owner or make_user(db, "olga", "lead", now)
    room = rooms.open_room(db, now, owner, "Ash cloud")
    with transaction(db):
        esc = db.execute(
            "INSERT INTO escalations (room_id, reason, state, policy, opened_at, updated_at, cycle_started_at)"
            " VALUES (?, 'spike', 'open', '{}', ?, ?, ?)", [room.id, iso(now), iso(now), iso(now)]).lastrowid
        page = db.execute(
            "INSERT INTO pages (escalation_id, room_id, cycle, step, target, recipient, state, due_at, send_key,"
            " created_at) VALUES (?, ?, 0, 0, 'user:ann', 'user:ann', 'sent', ?, 'page-1', ?)",
            [esc, room.id, iso(now), iso(now)]).lastrowid
        ids = [db.execute(
            "INSERT INTO page_deliveries (page_id, escalation_id, room_id, recipient, method_id, kind, address,"
            " after_minutes, state, due_at, send_key, created_at)"
            " VALUES (?, ?, ?, 'user:ann', ?, 'ntfy', 'topic', 0, 'due', ?, ?, ?)",
            [page, esc, room.id, i, iso(now), f"d-{i}", iso(now)]).lastrowid for i in range(n)]
    return ids


def test_two_concurrent_claimers_never_both_win_a_delivery(pg_url, now):
    setup = dbmod.connect(pg_url)
    expected = set(_due_deliveries(setup, now, 40))
    setup.close()
    claimers = [dbmod.connect(pg_url) for _ in range(2)]
    start = threading.Barrier(2)
    won: dict[int, list[int]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def claim(n: int):
        try:
            start.wait()
            for _ in range(5):
                won[n] += deliveries.claim_due(claimers[n], now, f"host:{n}:t")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in claimers:
        c.close()
    assert not errors
    assert not set(won[0]) & set(won[1]), "a delivery was claimed by both hosts"
    assert set(won[0]) | set(won[1]) == expected and len(won[0]) + len(won[1]) == len(expected)


def test_a_held_write_lock_is_reported_busy_after_the_timeout(pg_url):
    holder = dbmod.connect(pg_url)
    waiter = dbmod.connect(pg_url, busy_timeout_ms=200)
    try:
        with transaction(holder):
            with pytest.raises(sqlite3.OperationalError) as info:
                with transaction(waiter):
                    pass
            assert dbmod.unavailable(info.value) == "busy"
            assert not waiter.conn.in_transaction
            with pytest.raises(sqlite3.OperationalError) as info:
                dbmod.check_writable(waiter, timeout_ms=100)
            assert dbmod.unavailable(info.value) == "busy"
    finally:
        holder.close()
        waiter.close()


def test_an_unreachable_server_is_reported_unreachable():
    with pytest.raises(sqlite3.OperationalError) as info:
        dbmod.connect("postgresql://nobody@127.0.0.1:1/none")
    assert dbmod.unavailable(info.value) == "unreachable"


def _populated_sqlite(path, now):
    from tests.conftest import add_mention

    db = dbmod.connect(path)
    dbmod.migrate(db)
    owner = make_user(db, "olga", "lead", now)
    make_user(db, "Ann", "responder", now)
    for i in range(3):
        room = rooms.open_room(db, now, owner, f"Room {i}")
        for k in range(5):
            add_mention(db, room.id, now, text=f"post {k} in room {i}", ext=f"{i}-{k}")
    _due_deliveries(db, now, 3, owner)
    with transaction(db):
        db.execute("UPDATE mentions SET sentiment = 0.25 WHERE id = 1")
    return db


def test_db_copy_moves_every_row_with_counts_checksums_and_sequences(tmp_path, pg_url, now, capsys):
    from warroom.cli import main

    source = _populated_sqlite(tmp_path / "old.db", now)
    counts = {t: source.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("users", "rooms", "events",
                                                                                   "mentions", "page_deliveries")}
    max_event = events.last_id(source)
    source.close()
    empty = pg_server.server().new_database(migrated=False)

    assert main(["db", "copy", f"sqlite:///{tmp_path / 'old.db'}", empty]) == 0
    report = _report(capsys.readouterr().out)
    for table, n in counts.items():
        assert report[table] == (n, n, True)
    assert all(ok for _, _, ok in report.values()) and len(report) > len(counts)
    target = dbmod.connect(empty)
    try:
        for table, n in counts.items():
            assert target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n
        assert target.execute("SELECT sentiment FROM mentions WHERE id = 1").fetchone() == (0.25,)
        with transaction(target):  # the identity continues after the copied ids
            new = events.append(target, None, "test.after_copy", "kim", {}, now)
        assert new.id == max_event + 1
        # a second copy into the now non-empty store is refused, nothing added
        assert main(["db", "copy", f"sqlite:///{tmp_path / 'old.db'}", empty]) == 1
        assert "not empty" in capsys.readouterr().err
        assert target.execute("SELECT COUNT(*) FROM users").fetchone()[0] == counts["users"]
    finally:
        target.close()


def _report(out: str) -> dict[str, tuple[int, int, bool]]:
    """table -> (source rows, target rows, ok) from db copy's table lines."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 7 and parts[2] == "->":
            found[parts[0]] = (int(parts[1]), int(parts[3]), parts[6] == "ok" and parts[4] == parts[5])
    return found


def test_db_copy_there_and_back_gives_the_same_rows(tmp_path, now, capsys):
    from warroom.cli import main

    _populated_sqlite(tmp_path / "old.db", now).close()
    middle = pg_server.server().new_database(migrated=False)
    assert main(["db", "copy", f"sqlite:///{tmp_path / 'old.db'}", middle]) == 0
    there = _report(capsys.readouterr().out)
    assert main(["db", "copy", middle, f"sqlite:///{tmp_path / 'back.db'}"]) == 0
    back = _report(capsys.readouterr().out)
    assert back == there and there["mentions"] == (15, 15, True)
    assert "mentions_fts" not in there and "mentions_fts" not in back  # derived, not copied
    old, new = dbmod.connect(tmp_path / "old.db"), dbmod.connect(tmp_path / "back.db")
    for table in ("users", "mentions", "events"):
        q = f"SELECT * FROM {table} ORDER BY id"
        assert new.execute(q).fetchall() == old.execute(q).fetchall()
    # the search indexes were made afresh from the copied rows, on each store
    pg = dbmod.connect(middle)
    try:
        for store in (pg, new):
            room = store.execute("SELECT id FROM rooms WHERE title = 'Room 1'").fetchone()[0]
            found = search.search(store, room, search.criteria(q='"post 3" OR "post 4" -zzz')).mentions
            assert [m.text for m in found] == ["post 4 in room 1", "post 3 in room 1"]
    finally:
        pg.close()


def test_db_migrate_on_postgresql(capsys):
    from warroom.cli import main

    url = pg_server.server().new_database(migrated=False)
    assert main(["db", "migrate", url]) == 0
    assert capsys.readouterr().out.startswith("applied 0001, ")
    assert main(["db", "migrate", url]) == 0
    assert capsys.readouterr().out.strip() == "up to date"


def test_sums_and_averages_of_comparisons_count_as_in_sqlite(pg, tmp_path):
    lite = dbmod.connect(tmp_path / "x.db")
    for d in (pg, lite):
        d.execute("CREATE TABLE t (label TEXT)")
        d.conn.executemany("INSERT INTO t (label) VALUES (?)", [("negative",), ("neutral",), ("negative",), (None,)])
    q = "SELECT SUM(label = 'negative'), AVG(label = 'negative'), SUM(label = 'x') FROM t"
    empty = "SELECT SUM(label = 'negative'), AVG(label = 'negative') FROM t WHERE label = 'none'"
    assert pg.execute(q).fetchone() == lite.execute(q).fetchone() == (2, 2 / 3, 0)
    assert pg.execute(empty).fetchone() == lite.execute(empty).fetchone() == (None, None)


def test_json_extract_and_json_type_agree_with_sqlite_as_text(pg, tmp_path):
    lite = dbmod.connect(tmp_path / "x.db")
    doc = '{"mention_id": 12, "text": "hi", "score": 0.5, "ok": true, "none": null, "sub": {"a": [1]}}'
    q = ("SELECT CAST(json_extract(?, '$.mention_id') AS TEXT), json_extract(?, '$.text'),"
         " json_type(?, '$.mention_id'), json_type(?, '$.text'), json_type(?, '$.score'),"
         " json_type(?, '$.ok'), json_type(?, '$.none'), json_type(?, '$.sub'), json_type(?, '$.missing')")
    expected = ("12", "hi", "integer", "text", "real", "true", "null", "object", None)
    assert pg.execute(q, [doc] * 9).fetchone() == lite.execute(q, [doc] * 9).fetchone() == expected


def test_text_with_nul_is_refused_as_a_data_error_which_the_web_answers_with_400(pg):
    """SQLite stores NUL; PostgreSQL cannot, and psycopg refuses before sending
    (app.py's handler makes sqlite3.DataError a 400; tests/web/test_nul_text.py)."""
    from warroom import accounts

    with pytest.raises(sqlite3.DataError, match="NUL"):
        accounts.find_user(pg, "lead\x00")
