-- PostgreSQL twin of 0038_mention_search.sql: full-text search over a room's
-- mentions with a tsvector per mention in mentions_fts (GIN-indexed), kept in
-- step by a trigger, so every writer (ingest, erasure, retention, an import,
-- `run.py db copy`) updates it in its own transaction. An erasure blanks author
-- and text and the update trigger rewrites the row's terms: an erased author is
-- no longer found by their handle or their words. A deleted mention takes its
-- row with it (ON DELETE CASCADE). The index is derived: `db copy` skips it.
--
-- The words are FTS5's unicode61 words as far as PostgreSQL can make them
-- without an extension (Debian's contrib unaccent is not assumed):
-- warroom_search_text folds case (ICU, every script; the database's C ctype
-- would fold ASCII only), takes the diacritics off (NFD, drop the combining
-- marks, NFC again so Hangul recomposes) and makes every run of characters that
-- are not letters or digits one space. The 'simple' configuration then only
-- splits on those spaces: no stemming, no stop words. docs/postgresql.md lists
-- where this differs from FTS5 (Greek and Cyrillic lose their diacritics here).
-- These functions define what is indexed: changing one needs a migration that
-- rebuilds mentions_fts and responses_fts.
CREATE FUNCTION warroom_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(
        normalize(regexp_replace(normalize(lower(t COLLATE "und-x-icu"), NFD),
                                 '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+', '', 'g'), NFC)
            COLLATE "und-x-icu",
        '[^[:alnum:]]+', ' ', 'g')
$$;

CREATE FUNCTION warroom_search_doc(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig, warroom_search_text(t))
$$;

-- Two fields in one tsvector, as FTS5's two columns: a placeholder lexeme ('|',
-- which warroom_search_text never yields) between them takes one position and
-- is deleted again, so a "phrase" cannot run from the handle into the text.
CREATE FUNCTION warroom_search_doc(a text, b text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ts_delete(warroom_search_doc(coalesce(a, '')) || '''|'':1'::tsvector
                     || warroom_search_doc(coalesce(b, '')), '|'::text)
$$;

-- One term of a parsed query (listening/search.py compiles the query into
-- these, joined by && || !!; the user's text only ever arrives as the
-- parameter): its words as a phrase (<->), and for a prefix term the last
-- word as a prefix (:*). No words at all gives the empty query, which
-- PostgreSQL leaves out of && and ||.
CREATE FUNCTION warroom_search_phrase(term text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT phraseto_tsquery('simple'::regconfig, warroom_search_text(term))
$$;

CREATE FUNCTION warroom_search_prefix(term text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- tsquery's text form quotes each lexeme; ':*' after it marks the last one
    SELECT CASE WHEN numnode(q) = 0 THEN q ELSE (q::text || ':*')::tsquery END
    FROM (SELECT warroom_search_phrase(term) AS q) p
$$;

CREATE TABLE mentions_fts (
    id BIGINT PRIMARY KEY REFERENCES mentions (id) ON DELETE CASCADE,
    doc tsvector NOT NULL
);
-- A small pending list (64 kB, not the default 4 MB): GIN collects new
-- entries there unsorted and every search scans all of it, so under a
-- steady ingest the default made a one-word search 20-180 ms on 20,000
-- mentions (0.04 ms once merged). 64 kB keeps inserts batched and the
-- scan short.
CREATE INDEX mentions_fts_doc ON mentions_fts USING gin (doc) WITH (gin_pending_list_limit = 64);

CREATE FUNCTION mentions_fts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mentions_fts (id, doc) VALUES (NEW.id, warroom_search_doc(NEW.author, NEW.text))
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentions_fts_keep AFTER INSERT OR UPDATE OF author, text ON mentions
    FOR EACH ROW EXECUTE FUNCTION mentions_fts_keep();

-- the rows stored before this migration
INSERT INTO mentions_fts (id, doc) SELECT id, warroom_search_doc(author, text) FROM mentions;

-- the author filter (an exact handle, any case) without a scan of the room
CREATE INDEX mentions_room_author ON mentions (room_id, author COLLATE nocase);
