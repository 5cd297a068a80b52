"""run.py: help, user add, config errors, exit codes."""

import subprocess
import sys
from pathlib import Path

from warroom import db as dbmod

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env=None, stdin=None):
    import os

    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env={**os.environ, **(env or {})}, timeout=60)


def test_help_lists_subcommands():
    out = run("--help")
    assert out.returncode == 0
    assert "serve" in out.stdout and "user" in out.stdout


def test_every_subcommand_takes_config(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nport = 'x'\n")
    out = run("user", "list", "--config", str(bad))
    assert out.returncode == 2
    assert f"{bad}:2: server.port must be an integer" in out.stderr


def test_user_add_prints_password_and_refuses_duplicates(tmp_path):
    env = {"WARROOM_DB_PATH": str(tmp_path / "w.db")}
    out = run("user", "add", "kim", "--role", "approver", "--slack-id", "U123", env=env)
    assert out.returncode == 0, out.stderr
    assert "added kim (approver)" in out.stdout and "one-time password" in out.stdout
    listed = run("user", "list", env=env)
    assert "kim\tapprover\tU123" in listed.stdout
    again = run("user", "add", "kim", "--role", "lead", env=env)
    assert again.returncode == 2 and "name:" in again.stderr


def test_bad_role_is_a_usage_error(tmp_path):
    out = run("user", "add", "kim", "--role", "boss", env={"WARROOM_DB_PATH": str(tmp_path / "w.db")})
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_serve_starts_without_the_werkzeug_production_banner(server):
    """Issue 19 defect 12: `make run` ended in red "do not use in production" lines."""
    out = server.output()
    assert "Warroom is up" in out
    # and it names the store it runs on (once a SQLite path on PostgreSQL too)
    assert f"(database {dbmod.printable(server.db_url)})" in out
    assert ("postgresql://" in out) == dbmod.is_postgresql(server.db_url)
    assert "development server" not in out and "Running on" not in out


def test_a_store_url_is_printed_without_its_password():
    assert dbmod.printable("postgresql://warroom:s3cret@db.internal:5432/warroom") == \
        "postgresql://warroom:***@db.internal:5432/warroom"
    assert dbmod.printable("postgresql://warroom@db.internal/warroom") == "postgresql://warroom@db.internal/warroom"
    assert dbmod.printable("sqlite:////var/lib/warroom/w.db") == "/var/lib/warroom/w.db"
