"""Searching a room's mentions and replies (FTS5), on a real database: the
query language and its escaping, every filter, pages, the index kept in
step by triggers (ingest, migration backfill, erasure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import pg_server
from tests.conftest import GOOD, make_user, rev
from warroom import db as dbmod
from warroom import privacy, responses, rooms
from warroom.clock import iso
from warroom.db import transaction
from warroom.listening import mentions
from warroom.listening import search as S
from warroom.listening.sentiment import Scorer

pytestmark = pg_server.needs_pg_fts

SCORER = Scorer()

POSTS = [
    # author, source, lang, text, minutes after now
    ("@anna", "twitter", "en", "My flight was cancelled and nobody answers the phone", 0),
    ("@Bob_K", "mastodon", "en", "Great crew today, thanks for the upgrade!", 1),
    ("@claire", "bluesky", "fr", "Mon vol est annulé, c'est un scandale", 2),
    ("@anna", "facebook", "en", "Still waiting at the gate: flight cancelled again (AND nobody cares)", 3),
    ("@dirk", "twitter", "nl", "Mijn koffer is kwijt, @anna heeft hetzelfde", 4),
    ("@eve", "twitter", "en", "Is the 5pm flight to Oslo on time?", 5),
]


def _ingest(db, now, room_id, posts=POSTS, prefix="p"):
    recs = [{"external_id": f"{prefix}{i}", "source": src, "author": a, "text": t, "url": "",
             "lang": lang, "followers": 10 * i, "created_at": iso(now + timedelta(minutes=mins))}
            for i, (a, src, lang, t, mins) in enumerate(posts)]
    later = now + timedelta(minutes=10)
    return mentions.ingest(db, later, room_id, mentions.validate(recs, later), SCORER)


@pytest.fixture
def room(db, now):
    lead = make_user(db, "lead", "lead")
    r = rooms.open_room(db, now, lead, "Cancellations")
    stored = _ingest(db, now, r.id)
    # the index's triggers must not inflate the count (ingest used total_changes)
    assert (stored.accepted, stored.duplicates) == (len(POSTS), 0)
    return r


def _texts(db, room_id, **kw):
    before = kw.pop("before", None)
    limit = kw.pop("limit", 50)
    page = S.search(db, room_id, S.criteria(**kw), before, limit)
    return [m.text for m in page.mentions]


def test_words_match_whole_tokens_in_any_case_newest_first(db, room):
    assert _texts(db, room.id, q="CANCELLED") == [POSTS[3][3], POSTS[0][3]]
    assert _texts(db, room.id, q="cancel") == []           # whole words only ...
    assert _texts(db, room.id, q="cancel*") == [POSTS[3][3], POSTS[0][3]]  # ... unless a prefix


def test_all_words_must_match_and_phrases_keep_their_order(db, room):
    assert _texts(db, room.id, q="flight nobody") == [POSTS[3][3], POSTS[0][3]]
    assert _texts(db, room.id, q='"flight was cancelled"') == [POSTS[0][3]]
    assert _texts(db, room.id, q='"cancelled flight"') == []


def test_or_and_exclusion(db, room):
    assert _texts(db, room.id, q="oslo OR upgrade") == [POSTS[5][3], POSTS[1][3]]
    assert _texts(db, room.id, q="cancelled -gate") == [POSTS[0][3]]


def test_diacritics_and_other_languages(db, room):
    assert _texts(db, room.id, q="annule") == [POSTS[2][3]]
    assert _texts(db, room.id, q="koffer") == [POSTS[4][3]]


def test_a_handle_finds_its_posts_and_the_posts_naming_it(db, room):
    # author and text are both indexed: @anna wrote two posts, @dirk named her in one
    assert _texts(db, room.id, q="@anna") == [POSTS[4][3], POSTS[3][3], POSTS[0][3]]
    assert _texts(db, room.id, q="bob_k") == [POSTS[1][3]]


@pytest.mark.parametrize("q", ['AND', 'NOT', 'NEAR(flight gate)', 'flight:gate', '^flight', '(flight', 'flight)',
                               '"a""b"', 'col:*', '*', '+', "flight's", "{author}: anna", 'x" OR "y'])
def test_fts_syntax_in_user_input_is_text_never_an_error_from_sqlite(db, room, q):
    # each of these is an FTS5 syntax error (or a column filter) if handed through as typed
    try:
        S.search(db, room.id, S.criteria(q=q))
    except S.SearchInvalid as exc:
        assert exc.field == "q"


def test_operators_are_searched_as_words(db, room):
    # "AND" typed by a user is a word of the text, not FTS5's operator
    assert _texts(db, room.id, q="AND cares") == [POSTS[3][3]]
    assert _texts(db, room.id, q="(nobody") == [POSTS[3][3], POSTS[0][3]]
    assert _texts(db, room.id, q="author:anna") == []     # not a column filter: the words author and anna


@pytest.mark.parametrize("q,words", [
    ('"flight', "unclosed quote"), ('fli"ght', "quote inside"), ("OR flight", "OR needs"),
    ("flight OR", "OR needs"), ("-flight", "not only"), ("!!! ???", "no words"),
    ("x" * 501, "longer than"), (" ".join(f"w{i}" for i in range(17)), "more than"),
    ("flight OR -gate", "excluded"), ("flight\x00gate", "control characters"),
])
def test_unreadable_queries_name_the_field(db, room, q, words):
    with pytest.raises(S.SearchInvalid) as exc:
        S.criteria(q=q)
    assert exc.value.field == "q" and words in exc.value.message


def test_filters_author_source_lang_sentiment_time(db, room, now):
    assert _texts(db, room.id, author="ANNA") == [POSTS[3][3], POSTS[0][3]]     # any case, @ optional
    assert _texts(db, room.id, author="@bob_k") == [POSTS[1][3]]
    assert _texts(db, room.id, source="twitter,bluesky") == [POSTS[5][3], POSTS[4][3], POSTS[2][3], POSTS[0][3]]
    assert _texts(db, room.id, lang="fr") == [POSTS[2][3]]
    assert _texts(db, room.id, q="flight", source="facebook") == [POSTS[3][3]]
    negative = _texts(db, room.id, sentiment="negative")
    assert POSTS[0][3] in negative and POSTS[1][3] not in negative
    assert _texts(db, room.id, since=iso(now + timedelta(minutes=2)), until=iso(now + timedelta(minutes=4))) == [
        POSTS[4][3], POSTS[3][3], POSTS[2][3]]


@pytest.mark.parametrize("kw,field", [
    ({"sentiment": "angry"}, "sentiment"), ({"since": "yesterday"}, "since"), ({"until": "2026-13-01"}, "until"),
    ({"since": "2026-03-29T10:00:00Z", "until": "2026-03-29T09:00:00Z"}, "until"),
    ({"author": "x" * 201}, "author"), ({"lang": "x" * 17}, "lang"), ({"source": ",".join("abcdefghijklmnopqrstu")}, "source"),
])
def test_bad_filters_name_their_field(kw, field):
    with pytest.raises(S.SearchInvalid) as exc:
        S.criteria(**kw)
    assert exc.value.field == field


def test_pages_go_older_with_the_cursor(db, room):
    first = S.search(db, room.id, S.criteria(), limit=4)
    assert [m.text for m in first.mentions] == [p[3] for p in reversed(POSTS)][:4]
    rest = S.search(db, room.id, S.criteria(), before=first.next_before, limit=4)
    assert [m.text for m in rest.mentions] == [POSTS[1][3], POSTS[0][3]] and rest.next_before is None
    with pytest.raises(S.SearchInvalid):
        S.search(db, room.id, S.criteria(), limit=0)


def test_another_rooms_mentions_are_not_found(db, room, now):
    lead = make_user(db, "lead2", "lead")
    other = rooms.open_room(db, now, lead, "Other")
    _ingest(db, now, other.id, [("@zed", "twitter", "en", "cancelled cancelled", 0)], prefix="o")
    assert len(_texts(db, room.id, q="cancelled")) == 2
    assert _texts(db, other.id, q="cancelled") == ["cancelled cancelled"]


def test_the_migration_backfills_rows_stored_before_it(tmp_path, now):
    db = dbmod.connect(tmp_path / "old.db")
    dbmod.migrate(db, target=37)
    lead = make_user(db, "lead", "lead")
    room = rooms.open_room(db, now, lead, "Old")
    # rows as an installation at 0037 stored them (today's ingest writes later columns)
    with dbmod.transaction(db):
        for i, (author, source, lang, text, mins) in enumerate(POSTS):
            at = iso(now + timedelta(minutes=mins))
            db.execute("INSERT INTO mentions (room_id, source, external_id, author, text, url, lang, created_at,"
                       " received_at, sentiment, sentiment_label) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, 0, 'neutral')",
                       [room.id, source, f"p{i}", author, text, lang, at, at])
    dbmod.migrate(db)
    assert _texts(db, room.id, q="koffer") == [POSTS[4][3]]
    db.close()


def _reply(db, now, room_id, mention_id, vol, lead, text):
    draft = responses.save_draft(db, now, vol, room_id, text, mention_id=mention_id)
    responses.submit(db, now, vol, draft.id)
    responses.approve(db, now, lead, draft.id, rev(db, draft.id))
    return responses.publish(db, now + timedelta(minutes=5), vol, draft.id)


def test_erased_authors_are_no_longer_found_by_handle_or_words(db, room, now):
    vol = make_user(db, "vol", "responder")
    lead = make_user(db, "lead9", "lead")
    anna = db.execute("SELECT MIN(id) FROM mentions WHERE author = '@anna'").fetchone()[0]
    _reply(db, now + timedelta(minutes=11), room.id, anna, vol, lead, "@anna " + GOOD)
    crit = S.criteria(q="anna")
    assert len(S.search(db, room.id, crit).mentions) == 3
    assert len(responses.search_replies(db, room.id, crit).replies) == 1

    privacy.erase_author(db, now + timedelta(minutes=20), "@anna", "root")

    # her two posts: neither by handle nor by their words; @dirk's post naming her stays (it is his)
    assert _texts(db, room.id, q="anna") == [POSTS[4][3]]
    assert _texts(db, room.id, q="gate") == []
    assert _texts(db, room.id, author="anna") == []
    # our reply no longer carries her handle, and is still found by its own words
    assert responses.search_replies(db, room.id, crit).replies == []
    assert len(responses.search_replies(db, room.id, S.criteria(q="rebook")).replies) == 1
    # the index holds exactly the table's terms (FTS5's own consistency check)
    with transaction(db):
        db.execute("INSERT INTO mentions_fts (mentions_fts) VALUES ('integrity-check')")
        db.execute("INSERT INTO responses_fts (responses_fts) VALUES ('integrity-check')")


def test_replies_search_by_words_replier_and_time(db, room, now):
    vol = make_user(db, "vol", "responder")
    lead = make_user(db, "lead3", "lead")
    eve = db.execute("SELECT id FROM mentions WHERE author = '@eve'").fetchone()[0]
    _reply(db, now + timedelta(minutes=11), room.id, eve, vol, lead, "@eve " + GOOD)
    found = responses.search_replies(db, room.id, S.criteria(q="ash cloud", author="VOL")).replies
    assert [r.mention_id for r in found] == [eve]
    assert responses.search_replies(db, room.id, S.criteria(q="ash", author="lead3")).replies == []
    assert responses.search_replies(db, room.id, S.criteria(until=iso(now))).replies == []
    with pytest.raises(S.SearchInvalid) as exc:
        responses.search_replies(db, room.id, S.criteria(lang="en"))
    assert exc.value.field == "lang"
