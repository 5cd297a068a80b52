"""Every difference between the two stores' SQL, in one place.

The code is written in SQLite's dialect (``?`` parameters, ``INSERT OR
IGNORE``, ``COLLATE NOCASE``, ...). On PostgreSQL each statement goes through
``translate`` first, which rewrites the common forms token by token, outside
string literals and quoted names:

- ``?``                      -> ``%s`` (and a literal ``%`` -> ``%%``)
- ``INSERT OR IGNORE INTO``  -> ``INSERT INTO ... ON CONFLICT DO NOTHING``
- ``LIKE``                   -> ``ILIKE`` (SQLite's LIKE ignores ASCII case)
- ``IS ?`` / ``IS NOT ?``    -> ``IS [NOT] DISTINCT FROM %s``
- ``? COLLATE NOCASE``       -> ``CAST(%s AS TEXT) COLLATE nocase``
- ``LIKE x COLLATE NOCASE``  -> ``ILIKE x``
- ``INDEXED BY name``        -> dropped (PostgreSQL's planner takes no hints)

Things a rewrite would make too clever are explicit per-dialect SQL here
(``write_lock``, catalog queries, ``reset_sequence_sql``, full-text search's
``text_match``) or in a migration's
``NNNN_name.pg.sql`` (triggers, table rebuilds). What the PostgreSQL database
needs for the rest (a ``nocase`` collation, ``sum(boolean)``, ``json_extract``)
is ``PG_SETUP``.

Errors are raised as sqlite3's classes on both stores (``to_sqlite_error``),
so callers, ``db.unavailable`` and the web's 503 handler catch one set.
"""

from __future__ import annotations

import re
import sqlite3
from typing import NamedTuple

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# One advisory lock key for "the write lock": taken at the start of every
# transaction(), it gives PostgreSQL the BEGIN IMMEDIATE semantics the code
# was written for (one writer at a time across all hosts; event ids commit in
# id order, so the publisher's "id > cursor" never skips a late commit).
WRITE_LOCK_KEY = 0x5741_5252  # "WARR"

# Idempotent; run by migrate() before the numbered migrations.
PG_SETUP = [
    # SQLite's NOCASE: a case-insensitive, otherwise exact comparison. Plain
    # `COLLATE NOCASE` in the shared SQL then names this one (names fold).
    "CREATE COLLATION IF NOT EXISTS nocase"
    " (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    # SQLite sums and averages comparisons (SUM(label = 'negative')): a boolean
    # is 0/1 there. NULLs are skipped and no rows give NULL, as with SUM/AVG.
    "CREATE OR REPLACE FUNCTION warroom_sum_bool(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE"
    " AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE COALESCE($1, 0) + CASE WHEN $2 THEN 1 ELSE 0 END END'",
    "CREATE OR REPLACE AGGREGATE sum(boolean) (sfunc = warroom_sum_bool, stype = bigint)",
    "CREATE OR REPLACE FUNCTION warroom_avg_bool(bigint[], boolean) RETURNS bigint[] LANGUAGE sql IMMUTABLE"
    " AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE ARRAY[$1[1] + CASE WHEN $2 THEN 1 ELSE 0 END, $1[2] + 1] END'",
    "CREATE OR REPLACE FUNCTION warroom_avg_bool_final(bigint[]) RETURNS double precision LANGUAGE sql"
    " IMMUTABLE AS 'SELECT CASE WHEN $1[2] = 0 THEN NULL ELSE $1[1]::float8 / $1[2] END'",
    "CREATE OR REPLACE AGGREGATE avg(boolean) (sfunc = warroom_avg_bool, stype = bigint[],"
    " finalfunc = warroom_avg_bool_final, initcond = '{0,0}')",
    # SQLite's json_extract/json_type for '$.key' paths (objects only), as text:
    # compare with CAST(? AS TEXT) on both stores.
    "CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE"
    " AS 'SELECT doc::jsonb #>> string_to_array(substr(path, 3), ''.'')'",
    "CREATE OR REPLACE FUNCTION json_type(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS"
    " 'SELECT CASE jsonb_typeof(v) WHEN ''string'' THEN ''text'' WHEN ''boolean'' THEN v #>> ''{}''"
    " WHEN ''number'' THEN CASE WHEN v #>> ''{}'' ~ ''^-?[0-9]+$'' THEN ''integer'' ELSE ''real'' END"
    " ELSE jsonb_typeof(v) END FROM (SELECT doc::jsonb #> string_to_array(substr(path, 3), ''.'') AS v) j'",
]

_TOKEN = re.compile(
    r"""
    (?P<str>'(?:[^']|'')*')          # string literal
  | (?P<ident>"(?:[^"]|"")*")        # quoted name
  | (?P<comment>--[^\n]*)            # line comment
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<param>\?)
  | (?P<pct>%)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokens(sql: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(sql)]


def _upper(tok: tuple[str, str]) -> str:
    return tok[1].upper() if tok[0] == "word" else tok[1]


def translate(sql: str) -> str:
    """SQLite-dialect SQL (with ``?`` parameters) as PostgreSQL SQL for psycopg."""
    toks = [t for t in _tokens(sql) if t[0] != "comment"]
    sig = [i for i, t in enumerate(toks) if t[0] != "space"]  # significant tokens
    pos = {i: k for k, i in enumerate(sig)}

    def up(k: int) -> str:
        return _upper(toks[sig[k]]) if 0 <= k < len(sig) else ""

    out: list[str] = []  # one entry per token, so a later one can rewrite an earlier
    out_of: dict[int, int] = {}  # token index -> its entry in out
    ignore = False
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        k = pos.get(i)
        if kind == "word" and up(k) == "INSERT" and up(k + 1) == "OR" and up(k + 2) == "IGNORE":
            out.append(text)
            i = sig[k + 2] + 1
            ignore = True
            continue
        if kind == "word" and up(k) == "INDEXED" and up(k + 1) == "BY" and toks[sig[k + 2]][0] == "word":
            if out and out[-1].isspace():
                out.pop()
            i = sig[k + 2] + 1  # SQLite's index hint; PostgreSQL has none
            continue
        if kind == "word" and up(k) == "COLLATE" and up(k + 1) == "NOCASE" and up(k - 2) == "LIKE":
            if out and out[-1].isspace():
                out.pop()
            i = sig[k + 1] + 1  # ILIKE ignores case already; PostgreSQL refuses nocase there
            continue
        if kind == "param":
            if up(k + 1) == "COLLATE" and up(k - 1) != "LIKE":
                out.append("CAST(%s AS TEXT)")
            else:
                if up(k - 1) == "IS":
                    out[out_of[sig[k - 1]]] = "IS NOT DISTINCT FROM"
                elif up(k - 1) == "NOT" and up(k - 2) == "IS":
                    out[out_of[sig[k - 1]]] = ""
                    out[out_of[sig[k - 2]]] = "IS DISTINCT FROM"
                out.append("%s")
        elif kind == "pct":
            out.append("%%")
        elif kind in ("str", "ident"):
            out.append(text.replace("%", "%%"))  # psycopg reads placeholders even in literals
        elif kind == "word" and text.upper() == "LIKE":
            out.append("ILIKE")
        else:
            out.append(text)
        out_of[i] = len(out) - 1
        i += 1
    result = "".join(out)
    if ignore:
        result = _add_on_conflict(result)
    return result


_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


def _add_on_conflict(sql: str) -> str:
    body = sql.rstrip().rstrip(";")
    m = _RETURNING.search(body)
    if m:
        return f"{body[:m.start()].rstrip()} ON CONFLICT DO NOTHING {body[m.start():]}"
    return f"{body} ON CONFLICT DO NOTHING"


# -- schema (migration files without a .pg.sql twin) --------------------------

_ID_PK = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE)
_REAL = re.compile(r"\bREAL\b")  # upper case: the type, not the word in a comment
_BLOB = re.compile(r"\bBLOB\b")  # likewise
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID", re.IGNORECASE)


def translate_ddl(statement: str) -> str:
    """A migration statement in SQLite's dialect as PostgreSQL DDL.

    Only the forms the migrations use: an ``id INTEGER PRIMARY KEY`` (SQLite's
    rowid, never reused with AUTOINCREMENT) becomes an identity column, REAL
    (8 bytes in SQLite) DOUBLE PRECISION, BLOB BYTEA, WITHOUT ROWID is dropped. Triggers
    differ too much to rewrite: such a migration needs its ``.pg.sql``."""
    if re.search(r"\bCREATE\s+TRIGGER\b|\bRAISE\s*\(", statement, re.IGNORECASE):
        raise ValueError("a trigger needs a .pg.sql migration beside the .sql one")
    sql = _ID_PK.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
    sql = _REAL.sub("DOUBLE PRECISION", sql)
    sql = _BLOB.sub("BYTEA", sql)
    sql = _WITHOUT_ROWID.sub(")", sql)
    return sql


# -- explicit per-dialect SQL --------------------------------------------------


def write_lock(dialect: str) -> str | None:
    """The statement that starts a write transaction's exclusive part (run
    right after BEGIN), or None where BEGIN IMMEDIATE already is that."""
    return None if dialect == SQLITE else f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"


def snapshot_sql(dialect: str) -> str:
    """Start a read-only transaction whose every statement sees one snapshot
    (a backup's reads and its checksums agree while others write)."""
    if dialect == SQLITE:
        return "BEGIN"  # a WAL read transaction is a snapshot from its first read
    return "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
# Session-level advisory lock of the elected publisher (two-key form, so it
# never collides with WRITE_LOCK_KEY's one-key lock), and the channel on
# which every commit with events tells the publishers so.
PUBLISHER_LOCK = (WRITE_LOCK_KEY, 1)
# (CONNECTOR_LOCK_SPACE, connector id): the host that listens to a connector.
CONNECTOR_LOCK_SPACE = WRITE_LOCK_KEY + 1
EVENTS_CHANNEL = "warroom_events"


def notify_events_sql(dialect: str, last_event_id: int) -> str | None:
    """Run inside a committing transaction: PostgreSQL delivers the NOTIFY
    only if and when that transaction commits (None on SQLite)."""
    if dialect == SQLITE:
        return None
    return f"NOTIFY {EVENTS_CHANNEL}, '{int(last_event_id)}'"


def table_names_sql(dialect: str) -> str:
    if dialect == SQLITE:
        return "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    return ("SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")


def search_index_tables_sql(dialect: str) -> str:
    """PostgreSQL's full-text search indexes: the tables holding a tsvector."""
    assert dialect == POSTGRESQL  # SQLite's are its FTS5 virtual tables (dbcopy._search_indexes)
    return ("SELECT DISTINCT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type = 'tsvector'")


def reset_sequence_sql(table: str) -> str:
    """After copying rows with their ids: the next generated id follows them."""
    return (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


# -- full-text search ----------------------------------------------------------


class Term(NamedTuple):
    """One term of a parsed search: text whose words must appear in order (a
    phrase, maybe of one word), the last word a prefix when ``prefix``."""

    text: str
    prefix: bool = False


class TextQuery(NamedTuple):
    """A parsed search (listening/search.py reads the user's query into it):
    every group must match (a group is its terms ORed), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


def _fts5_term(term: Term) -> str:
    # quoted, FTS5 reads the text as a phrase of its words, never as syntax
    return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")


def fts5_query(query: TextQuery) -> str:
    """The FTS5 MATCH expression (one parameter) for ``query``."""
    expr = " AND ".join(_fts5_term(g[0]) if len(g) == 1 else "(" + " OR ".join(map(_fts5_term, g)) + ")"
                        for g in query.groups)
    for term in query.excluded:
        expr += " NOT " + _fts5_term(term)
    return expr


def tsquery_sql(query: TextQuery) -> tuple[str, list[str]]:
    """A PostgreSQL tsquery expression for ``query`` and its parameters: the
    operators (&&, ||, !!) are ours, each term's text is a parameter of 0038's
    warroom_search_phrase/_prefix (its words <->, the last :* for a prefix)."""
    args: list[str] = []

    def term(t: Term) -> str:
        args.append(t.text)
        return "warroom_search_prefix(?)" if t.prefix else "warroom_search_phrase(?)"

    parts = [term(g[0]) if len(g) == 1 else "(" + " || ".join(map(term, g)) + ")" for g in query.groups]
    parts += ["!!" + term(t) for t in query.excluded]
    return " && ".join(parts), args


def text_match(dialect: str, index: str, query: TextQuery) -> tuple[str, str, list[str]]:
    """Full-text search of ``index`` (``mentions_fts``, ``responses_fts``: a
    FTS5 table on SQLite, a table of tsvectors on PostgreSQL, both made by
    migrations 0038 and 0052) as (the index's column holding the row's id, the
    WHERE condition, its parameters). Join the index on that column; ordering
    by it newest first walks the index in id order on SQLite."""
    if dialect == SQLITE:
        return "rowid", f"{index} MATCH ?", [fts5_query(query)]
    sql, args = tsquery_sql(query)
    return "id", f"{index}.doc @@ ({sql})", args


# -- errors --------------------------------------------------------------------

# SQLSTATE (or its two-letter class) -> the SQLite error name db.unavailable knows.
_BUSY_STATES = {"40001", "40P01", "55P03", "57014"}
_STATE_NAMES = {"25006": "SQLITE_READONLY", "53100": "SQLITE_FULL", "58030": "SQLITE_IOERR",
                "57P01": "SQLITE_CANTOPEN", "57P02": "SQLITE_CANTOPEN", "57P03": "SQLITE_CANTOPEN"}


def to_sqlite_error(exc: Exception) -> sqlite3.Error:
    """A psycopg error as the sqlite3 exception the rest of the code catches
    (the original stays as ``__cause__``)."""
    state = getattr(exc, "sqlstate", None) or ""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if state.startswith("23") or state == "P0001":  # constraint, or a trigger's RAISE
        err: sqlite3.Error = sqlite3.IntegrityError(message)
        err.sqlite_errorname = "SQLITE_CONSTRAINT"
        return err
    if not state and type(exc).__name__ == "DataError":
        # psycopg refuses before sending: text with NUL (0x00), which
        # PostgreSQL cannot store and SQLite can; the request is at fault
        err = sqlite3.DataError(message)
        err.sqlite_errorname = "SQLITE_MISMATCH"
        return err
    if state in _BUSY_STATES:
        name = "SQLITE_BUSY"
    elif state in _STATE_NAMES:
        name = _STATE_NAMES[state]
    elif state.startswith("08") or (not state and type(exc).__name__ == "OperationalError"):
        name = "SQLITE_CANTOPEN"  # no connection: the server is unreachable
    elif state.startswith("42") or state.startswith("22"):
        err = sqlite3.OperationalError(message) if state.startswith("42") else sqlite3.DataError(message)
        err.sqlite_errorname = "SQLITE_ERROR"
        return err
    else:
        name = "SQLITE_ERROR"
    err = sqlite3.OperationalError(message)
    err.sqlite_errorname = name
    return err


def foreign_keys_sql(dialect: str) -> str:
    """(child table, parent table) for every foreign key."""
    if dialect == SQLITE:
        return ("SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f"
                " WHERE m.type = 'table'")
    return ("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
            " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace")


def primary_key_sql(dialect: str, table: str) -> str:
    """The primary key's columns of ``table``, in key order (none: no rows)."""
    if dialect == SQLITE:
        return f"SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk"
    return ("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            f" AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '{table}'::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)")
