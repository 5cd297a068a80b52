"""One secret key per installation (warroom/keycheck.py): the first serving
process records its key's fingerprint, a later one with another key refuses
to start, and `run.py db accept-secret-key` records a new one on purpose."""

from __future__ import annotations

import subprocess
import sys

import pytest

from warroom import keycheck

from ..conftest import FIXED_NOW, ROOT, Server


def test_the_first_key_is_recorded_and_the_same_key_passes(db):
    assert keycheck.check(db, "key-one", FIXED_NOW, "host-a:1") is True
    assert keycheck.check(db, "key-one", FIXED_NOW, "host-b:2") is False
    row = db.execute("SELECT fingerprint, recorded_by FROM installation_key").fetchall()
    assert row == [(keycheck.fingerprint("key-one"), "host-a:1")]  # the first host's, once


def test_another_key_is_refused_naming_who_recorded_the_first(db):
    keycheck.check(db, "key-one", FIXED_NOW, "host-a:1")
    with pytest.raises(keycheck.KeyMismatch) as refused:
        keycheck.check(db, "key-two", FIXED_NOW, "host-b:2")
    said = str(refused.value)
    assert "host-a:1" in said and "WARROOM_SECRET_KEY" in said and "db accept-secret-key" in said
    assert keycheck.fingerprint("key-one")[:8] in said and keycheck.fingerprint("key-two")[:8] in said
    assert "key-one" not in said and "key-two" not in said  # fingerprints, never the keys


def test_the_fingerprint_names_a_key_without_showing_it():
    assert keycheck.fingerprint("k") == keycheck.fingerprint("k")
    assert keycheck.fingerprint("k") != keycheck.fingerprint("k2")
    assert len(keycheck.fingerprint("k")) == 32 and set(keycheck.fingerprint("k")) <= set("0123456789abcdef")


def test_accept_makes_a_new_key_the_installations(db):
    keycheck.check(db, "key-one", FIXED_NOW, "host-a:1")
    assert keycheck.accept(db, "key-two", FIXED_NOW, "host-b:2") == keycheck.fingerprint("key-one")
    assert keycheck.check(db, "key-two", FIXED_NOW, "host-c:3") is False
    with pytest.raises(keycheck.KeyMismatch):
        keycheck.check(db, "key-one", FIXED_NOW, "host-a:1")


def test_a_second_host_with_its_own_key_does_not_start_until_the_key_is_accepted(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Server(tmp_path / "a").start()  # WARROOM_SECRET_KEY=e2e-secret
    first.stop()
    db = first.db()
    users = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    db.close()

    second = Server(tmp_path / "b", extra_env={"WARROOM_SECRET_KEY": "a-key-of-its-own"}, db_url=first.db_url)
    done = subprocess.run([sys.executable, "run.py", "serve", "--config", str(ROOT / "config.toml")],
                          cwd=ROOT, env=second.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is not the installation's" in done.stderr and "a-key-of-its-own" not in done.stderr
    assert "Warroom is up" not in done.stdout
    db = first.db()
    assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == users  # nothing lost or added
    db.close()

    accepted = second.cli("db", "accept-secret-key")
    assert accepted.returncode == 0, accepted.stderr
    assert keycheck.fingerprint("a-key-of-its-own")[:8] in accepted.stdout and "connect the platform" in accepted.stdout
    second.start()
    try:
        assert "Warroom is up" in second.output()
    finally:
        second.stop()
