"""Migrations (fresh, upgrade, twice) and the transaction/event contract."""

import pytest

from warroom import db as dbmod
from warroom import events


def test_fresh_database_reaches_latest_and_second_run_changes_nothing(tmp_path):
    db = dbmod.connect(tmp_path / "fresh.db")
    applied = dbmod.migrate(db)
    numbers = [n for n, _, _ in dbmod.available_migrations()]
    assert applied == numbers and len(numbers) >= 2
    schema = dbmod.schema_sql(db)
    assert dbmod.migrate(db) == []
    assert dbmod.schema_sql(db) == schema
    assert dbmod.applied_migrations(db) == numbers


def test_older_database_upgrades_to_same_schema_and_keeps_rows(tmp_path, now):
    old = dbmod.connect(tmp_path / "old.db")
    assert dbmod.migrate(old, target=1) == [1]
    old.execute(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES ('kim', 'lead', 'x', '2026')"
    )
    later = dbmod.migrate(old)
    assert 1 not in later and later
    fresh = dbmod.connect(tmp_path / "fresh.db")
    dbmod.migrate(fresh)
    assert dbmod.schema_sql(old) == dbmod.schema_sql(fresh)
    assert old.execute("SELECT name FROM users").fetchall() == [("kim",)]
    assert dbmod.migrate(old) == []


def test_pragmas(tmp_path):
    db = dbmod.connect(tmp_path / "p.db", busy_timeout_ms=1234)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234


def test_events_publish_only_after_commit(db, now):
    seen = []
    db.after_commit.append(seen.extend)
    with dbmod.transaction(db):
        e1 = events.append(db, None, "test.one", "ann", {"n": 1}, now)
        assert seen == []          # not yet committed
    assert seen == [e1]

    with pytest.raises(RuntimeError), dbmod.transaction(db):
        events.append(db, None, "test.two", "ann", {"n": 2}, now)
        raise RuntimeError("boom")
    assert seen == [e1]            # rolled back: never published
    assert [e.kind for e in events.since(db, 0)] == ["test.one"]


def test_append_outside_a_transaction_is_refused(db, now):
    with pytest.raises(RuntimeError):
        events.append(db, None, "x", None, {}, now)


def test_after_returns_only_newer_events_of_that_room(db, now):
    db.execute("INSERT INTO rooms (title, status, opened_at) VALUES ('a', 'open', 'x')")
    db.execute("INSERT INTO rooms (title, status, opened_at) VALUES ('b', 'open', 'x')")
    with dbmod.transaction(db):
        a1 = events.append(db, 1, "k", None, {}, now)
        events.append(db, 2, "k", None, {}, now)
        a2 = events.append(db, 1, "k", None, {}, now)
    assert [e.id for e in events.after(db, 1, 0)] == [a1.id, a2.id]
    assert [e.id for e in events.after(db, 1, a1.id)] == [a2.id]
    assert events.after(db, 1, a2.id) == []


def test_per_room_mention_uniqueness_migration_keeps_rows_and_indexes(tmp_path):
    # A database at the schema before 0033: mentions unique on (source, external_id).
    old = dbmod.connect(tmp_path / "old.db")
    dbmod.migrate(old, target=32)
    old.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES ('kim', 'lead', 'x', '2026')")
    for title in ("A", "B"):
        old.execute("INSERT INTO rooms (title, status, opened_at) VALUES (?, 'open', '2026')", [title])
    rows = [(10, 1, "twitter", "p1", "neg", -0.5, "negative"), (11, 2, "twitter", "p2", "pos", 0.6, "positive"),
            (15, 1, "rss", "p1", "neutral", 0.0, "neutral")]
    for mid, room, source, ext, text, score, label in rows:
        old.execute(
            "INSERT INTO mentions (id, room_id, source, external_id, author, text, url, created_at,"
            " received_at, lang, followers, sentiment, sentiment_label)"
            " VALUES (?, ?, ?, ?, 'a', ?, '', '2026-03-29T09:00:00Z', '2026-03-29T09:00:01Z', 'en', 5, ?, ?)",
            [mid, room, source, ext, text, score, label])
    before = old.execute("SELECT * FROM mentions ORDER BY id").fetchall()
    assert 33 in dbmod.migrate(old)
    # later migrations add columns (0100: erased_at, NULL): the old ones are as they were
    after = old.execute("SELECT * FROM mentions ORDER BY id").fetchall()
    assert [r[:len(before[0])] for r in after] == before
    assert all(v is None for r in after for v in r[len(before[0]):])
    fresh = dbmod.connect(tmp_path / "fresh.db")
    dbmod.migrate(fresh)
    assert dbmod.schema_sql(old) == dbmod.schema_sql(fresh)
    assert old.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [r[2] for r in old.execute("PRAGMA foreign_key_list(mentions)")] == ["rooms"]
    indexes = {r[1] for r in old.execute("PRAGMA index_list(mentions)")}
    assert "mentions_room_id" in indexes
    # Now the same post may live in room 2 as well, still once per room.
    insert = ("INSERT INTO mentions (room_id, source, external_id, author, text, url, created_at,"
              " received_at, sentiment, sentiment_label) VALUES (?, 'twitter', 'p1', 'a', 't', '',"
              " '2026', '2026', 0, 'neutral')")
    old.execute(insert, [2])
    with pytest.raises(dbmod.sqlite3.IntegrityError):
        old.execute(insert, [1])


# -- the connection pool -------------------------------------------------------


def _pool(tmp_path, size=8):
    path = tmp_path / "pool.db"
    dbmod.migrate(dbmod.connect(path))
    return dbmod.Pool(path, size=size)


def test_pool_reuses_a_closed_connection_and_keeps_the_pragmas(tmp_path):
    pool = _pool(tmp_path)
    first = pool.acquire()
    conn = first.conn
    first.close()
    again = pool.acquire()
    assert again.conn is conn and pool.opened == 1
    assert again.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    held = pool.acquire()  # the first is in use: a second one is opened
    assert held.conn is not conn and pool.opened == 2


def test_pooled_connection_moves_between_threads(tmp_path):
    import threading

    pool = _pool(tmp_path)
    pool.acquire().close()
    seen = []

    def use():
        db = pool.acquire()
        seen.append(db.execute("SELECT count(*) FROM rooms").fetchone()[0])
        db.close()

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert seen == [0] and pool.opened == 1


def test_released_connection_rolls_back_and_forgets_listeners(tmp_path, now):
    pool = _pool(tmp_path)
    heard = []
    db = pool.acquire()
    db.after_commit.append(heard.append)
    db.conn.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO rooms (title, status, opened_at) VALUES ('half', 'open', '2026')")
    db.close()  # a handler that died mid-transaction
    other = dbmod.connect(tmp_path / "pool.db", busy_timeout_ms=100)
    with dbmod.transaction(other):  # the write lock was released
        assert other.execute("SELECT count(*) FROM rooms").fetchone()[0] == 0
    reused = pool.acquire()
    assert reused.after_commit == [] and not reused.conn.in_transaction
    with dbmod.transaction(reused):
        events.append(reused, None, "test.kind", "ann", {}, now)
    assert heard == []  # the old holder's listener is not called for the new one


def test_pool_keeps_at_most_size_idle_connections(tmp_path):
    pool = _pool(tmp_path, size=2)
    held = [pool.acquire() for _ in range(4)]
    conns = [db.conn for db in held]
    for db in held:
        db.close()
    assert len(pool._idle) == 2
    with pytest.raises(Exception, match="closed"):
        conns[2].execute("SELECT 1")  # the surplus ones were really closed
    pool.close()
    with pytest.raises(Exception, match="closed"):
        conns[0].execute("SELECT 1")
