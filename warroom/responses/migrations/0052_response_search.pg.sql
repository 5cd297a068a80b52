-- PostgreSQL twin of 0052_response_search.sql: a tsvector per published reply
-- in responses_fts (GIN-indexed), made by 0038's warroom_search_doc (the same
-- words as the mentions' search) and kept in step by a trigger. Replies are
-- never deleted; the one update they allow (an erasure scrubbing the author's
-- handle to [erased]) goes through the update trigger, so the old handle
-- leaves the index with it. The index is derived: `db copy` skips it.
CREATE TABLE responses_fts (
    id BIGINT PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
    doc tsvector NOT NULL
);
-- A small pending list: see 0038's mentions_fts_doc.
CREATE INDEX responses_fts_doc ON responses_fts USING gin (doc) WITH (gin_pending_list_limit = 64);

CREATE FUNCTION responses_fts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO responses_fts (id, doc) VALUES (NEW.id, warroom_search_doc(NEW.text))
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc;
    RETURN NULL;
END
$$;

CREATE TRIGGER responses_fts_keep AFTER INSERT OR UPDATE OF text ON responses
    FOR EACH ROW EXECUTE FUNCTION responses_fts_keep();

-- the replies published before this migration
INSERT INTO responses_fts (id, doc) SELECT id, warroom_search_doc(text) FROM responses;
