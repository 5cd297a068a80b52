-- Full-text search over a room's mentions: an external-content FTS5 index
-- of author and text (the rows stay in mentions; the index holds only the
-- terms), kept in step by triggers, so every writer (ingest, erasure,
-- retention, an import) updates it in its own transaction. An erasure blanks
-- author and text, and the update trigger takes the old terms out: an erased
-- author is no longer found by their handle or their words.
-- unicode61 with diacritics removed: "cafe" finds "café" in any language.
-- A migration that rebuilds mentions (as 0033 did) drops these triggers and
-- must create them again.
CREATE VIRTUAL TABLE mentions_fts USING fts5(
    author, text,
    content = 'mentions', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
    INSERT INTO mentions_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, author, text) VALUES ('delete', old.id, old.author, old.text);
END;

CREATE TRIGGER mentions_fts_update AFTER UPDATE OF author, text ON mentions BEGIN
    INSERT INTO mentions_fts (mentions_fts, rowid, author, text) VALUES ('delete', old.id, old.author, old.text);
    INSERT INTO mentions_fts (rowid, author, text) VALUES (new.id, new.author, new.text);
END;

-- the rows stored before this migration
INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild');

-- the author filter (an exact handle, any case) without a scan of the room
CREATE INDEX mentions_room_author ON mentions (room_id, author COLLATE NOCASE);
