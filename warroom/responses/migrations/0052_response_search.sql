-- Full-text search over a room's published replies: an external-content
-- FTS5 index of their text, kept in step by triggers. Replies are never
-- deleted; the one update they allow (an erasure scrubbing the author's
-- handle to [erased]) goes through the update trigger, so the old handle
-- leaves the index with it.
CREATE VIRTUAL TABLE responses_fts USING fts5(
    text,
    content = 'responses', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER responses_fts_insert AFTER INSERT ON responses BEGIN
    INSERT INTO responses_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER responses_fts_update AFTER UPDATE OF text ON responses BEGIN
    INSERT INTO responses_fts (responses_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO responses_fts (rowid, text) VALUES (new.id, new.text);
END;

-- the replies published before this migration
INSERT INTO responses_fts (responses_fts) VALUES ('rebuild');
