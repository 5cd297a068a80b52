-- A post is unique per room, not across rooms: the same tweet may matter to
-- two war rooms, and each must store (and count) it. SQLite cannot drop a
-- table constraint, so the table is rebuilt with every row and its id kept.
-- Nothing references mentions by foreign key and it has no triggers; its one
-- index is created again below. migrate() runs this file in one transaction.
CREATE TABLE mentions_new (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    lang TEXT,
    followers INTEGER,
    sentiment REAL NOT NULL,
    sentiment_label TEXT NOT NULL CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
    UNIQUE (room_id, source, external_id)
);
INSERT INTO mentions_new (id, room_id, source, external_id, author, text, url, created_at,
                          received_at, lang, followers, sentiment, sentiment_label)
SELECT id, room_id, source, external_id, author, text, url, created_at,
       received_at, lang, followers, sentiment, sentiment_label
FROM mentions;
DROP TABLE mentions;
ALTER TABLE mentions_new RENAME TO mentions;
CREATE INDEX mentions_room_id ON mentions (room_id, id);
