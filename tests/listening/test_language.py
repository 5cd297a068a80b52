"""Language at ingest: the platform's tag kept when sane, else lingua's
detection; the stored ``lang`` drives which lexicon scores the mention, and
a language with no lexicon is stored as ``unknown``, not ``neutral``."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from warroom import rooms
from warroom.clock import iso
from warroom.listening import language, mentions, minhash, watch
from warroom.listening.sentiment import Scorer

SCORER = Scorer()


def rec(i, ts, text, **kw):
    return {"external_id": f"l{i}", "source": "twitter", "author": f"user{i}", "text": text,
            "url": "", "created_at": iso(ts), **kw}


@pytest.fixture
def room(db, now):
    lead = make_user(db, "lena", "lead")
    return rooms.open_room(db, now, lead, "Storm", status="monitoring")


POSTS = [
    ("Mijn koffer is al drie dagen zoek en niemand neemt de telefoon op", "nl"),
    ("Vol annulé, deux heures au téléphone et toujours aucune réponse", "fr"),
    ("Seit vier Tagen warte ich auf mein Gepäck, keiner meldet sich", "de"),
    ("Llevo dos horas en espera y nadie me atiende, vergüenza", "es"),
    ("Il mio volo è stato cancellato e nessuno risponde al telefono", "it"),
    ("Meu voo foi cancelado e ninguém responde às mensagens", "pt"),
    ("@brand my order never arrived and support keeps ignoring me", "en"),
]


@pytest.mark.parametrize("text,code", POSTS)
def test_detects_the_language_of_real_looking_posts(text, code):
    assert language.detect(text) == code


@pytest.mark.parametrize("tag,code", [("en", "en"), ("pt-BR", "pt"), ("NL", "nl"), ("de_AT", "de"), ("fil", "fil")])
def test_a_sane_platform_tag_is_kept_as_its_primary_subtag(tag, code):
    assert language.platform_lang(tag) == code


@pytest.mark.parametrize("tag", [None, "", "und", "zxx", "12", "english language", "x"])
def test_a_tag_that_says_nothing_is_not_kept(tag):
    assert language.platform_lang(tag) is None


def test_too_few_letters_is_undetermined():
    assert language.detect("@klm 👍 https://t.co/x") is None
    assert language.detect("") is None


def test_ingest_stores_detected_language_and_keeps_the_platforms(db, now, room):
    batch = mentions.validate([rec(i, now, t) for i, (t, _) in enumerate(POSTS)]
                              + [rec(90, now, "Merci beaucoup pour votre aide", lang="de"),
                                 rec(91, now, "Thanks so much for sorting my refund", lang="und")], now)
    mentions.ingest(db, now, room.id, batch, SCORER)
    stored = {m.external_id: m.lang for m in mentions.listing(db, room.id)}
    assert [stored[f"l{i}"] for i in range(len(POSTS))] == [code for _, code in POSTS]
    assert stored["l90"] == "de"  # the platform said so: kept, not second-guessed
    assert stored["l91"] == "en"  # "und" says nothing: detected


def test_unknown_language_is_stored_unknown_and_not_counted_negative(db, now, room):
    batch = mentions.validate([
        rec(1, now, "Mój lot został odwołany i nikt nie odpowiada na telefon"),  # Polish: no lexicon
        rec(2, now, "Tusen takk, alt gikk bra", lang="no"),  # Norwegian per the platform
        rec(3, now, "Vol annulé et aucune réponse du service client"),
    ], now)
    result = mentions.ingest(db, now, room.id, batch, SCORER)
    got = {m.external_id: (m.lang, m.sentiment_label, m.sentiment) for m in mentions.listing(db, room.id)}
    assert got["l1"] == ("pl", "unknown", 0.0)
    assert got["l2"] == ("no", "unknown", 0.0)
    assert got["l3"][:2] == ("fr", "negative")
    assert result.negative == 1


def test_monitor_ingest_detects_language_too(db, now):
    from tests.listening.test_monitors import _monitor

    mon = _monitor(db)
    batch = mentions.validate([rec(1, now, "Wo ist mein Koffer? Seit vier Tagen keine Antwort, Frechheit")], now)
    watch.ingest(db, now, mon.id, batch, SCORER)
    row = db.execute("SELECT lang, sentiment_label FROM monitor_mentions").fetchone()
    assert tuple(row) == ("de", "negative")


def test_migration_0039_widens_the_check_in_place(tmp_path):
    """What later migrations hang on mentions (here a trigger and an index)
    survives; 'unknown' is accepted on the migrating and on an older
    connection; any other label is still refused."""
    import sqlite3

    from warroom import db as dbmod

    path = tmp_path / "m.db"
    db = dbmod.connect(path)
    dbmod.migrate(db, target=38)
    db.execute("CREATE INDEX later_idx ON mentions (lang)")
    db.execute("CREATE TRIGGER later_trg AFTER INSERT ON mentions BEGIN SELECT 1; END")
    older = dbmod.connect(path)
    older.execute("SELECT COUNT(*) FROM mentions").fetchone()  # caches the old schema
    assert 39 in dbmod.migrate(db)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'mentions'")}
    assert {"later_idx", "later_trg"} <= names
    insert = ("INSERT INTO mentions (room_id, source, external_id, author, text, created_at, received_at,"
              " sentiment, sentiment_label) VALUES (?, 'x', ?, 'a', 't', 't', 't', 0, ?)")
    for conn in (db, older):
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(insert, [1, f"e{id(conn)}", "unknown"])
    with pytest.raises(sqlite3.IntegrityError):
        older.execute(insert, [1, "bad", "bogus"])
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA writable_schema").fetchone()[0] == 0


def test_negative_shares_leave_unknown_out_of_the_denominator(db, now, room):
    from datetime import timedelta

    from warroom import runbook
    from warroom.listening import volume

    batch = mentions.validate([
        rec(1, now, "Vol annulé et aucune réponse du service client"),
        rec(2, now, "Merci beaucoup, équipe au top"),
        rec(3, now, "Mój lot został odwołany i nikt nie odpowiada"),
        rec(4, now, "Zamówienie nie dotarło, skandal"),
    ], now)
    mentions.ingest(db, now, room.id, batch, SCORER)
    minute = volume.series(db, room.id, 1)[0]
    assert (minute["count"], minute["negative"], minute["unknown"], minute["negative_share"]) == (4, 1, 2, 0.5)
    assert runbook.negative_share(db, room.id, now - timedelta(minutes=1), now + timedelta(minutes=1)) == 0.5
    assert volume.share(0, 3, 3) == 0.0  # nothing read: no share, not a division by zero


# Real airline tweets (Kaggle/Crowdflower "Twitter US Airline Sentiment", 2015,
# ../shared/data) that lingua alone called another language (in brackets:
# what it said); each has three or more English-only function words.
ENGLISH_LINGUA_MISSED = [
    "@SouthwestAir you are the worst airline. Congrats!!",  # nl
    "@SouthwestAir why did you book my hotel twice?!?! Ahhhhh",  # fr
    "@USAirways check in at St. Louis is so rude, even the TSA is nicer than them.",  # sv
    "@JetBlue you can do better than this. And you can do better for me and all the passengers.",  # da
    "@united has it been 4-6hrs yet?",  # pt
]


@pytest.mark.parametrize("text", ENGLISH_LINGUA_MISSED)
def test_english_function_words_decide_before_lingua(text):
    assert language.looks_english(minhash.normalise(text))
    assert language.detect(text) == "en"


# Posts in other languages that quote English or borrow it ("customer
# service", "sorry for the inconvenience"): the rule must not take them; they
# are lingua's to decide.
BORROWING = [
    ("KLM, jullie customer service is een drama: 'sorry for the inconvenience' en verder niets", "nl"),
    ("Le service client m'a répondu « thank you for your patience » et puis plus rien depuis trois jours", "fr"),
    ("Der Support schreibt nur 'we are sorry' und dann kommt seit Tagen keine Antwort mehr", "de"),
    ("El community manager solo contesta 'we are sorry for the delay', pero mi maleta sigue perdida", "es"),
    ("Il customer care mi ha scritto 'sorry for the delay' ma la valigia non è ancora arrivata", "it"),
    ("O atendimento só disse 'thank you for waiting' e até agora nada da minha mala", "pt"),
]


@pytest.mark.parametrize("text,code", BORROWING)
def test_english_quoted_in_another_language_is_left_to_lingua(text, code):
    assert not language.looks_english(minhash.normalise(text)), code


def test_the_rule_takes_none_of_our_dutch_french_german_spanish_posts():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "data" / "sentiment"
    taken = []
    for path in sorted(folder.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                text = line.split("\t", 1)[1]
                if language.looks_english(minhash.normalise(text)):
                    taken.append((path.name, text))
    assert taken == []


def test_english_only_words_are_no_word_of_the_other_languages():
    # The words other languages in LANGUAGES use every day stay out of the rule.
    shared = {"is", "in", "was", "will", "my", "to", "for", "of", "have", "me", "we", "an", "die", "so", "on", "no"}
    assert not shared & language.ENGLISH_ONLY
