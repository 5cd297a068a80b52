-- PostgreSQL twin of 0160_publisher_cursor.sql: the same table, with a
-- BIGINT cursor (event ids are identity BIGINTs here).
CREATE TABLE publisher_cursor (
    name TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
