-- Sentiment may be 'unknown' (a language we have no lexicon for). SQLite
-- cannot alter a CHECK, and rebuilding mentions would drop what later
-- migrations of other packages hang on it (columns, indexes, triggers, FTS),
-- so the CHECK is widened in place in the stored schema: every existing row
-- still satisfies the wider constraint, and the file format does not change
-- (the procedure SQLite's ALTER TABLE documentation gives for such edits).
-- The CREATE/DROP bumps the schema cookie so other connections reload it;
-- writable_schema = RESET reloads it on this one. migrate() runs this file
-- in one transaction.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, 'sentiment_label IN (''negative'', ''neutral'', ''positive'')',
                  'sentiment_label IN (''negative'', ''neutral'', ''positive'', ''unknown'')')
WHERE type = 'table' AND name IN ('mentions', 'monitor_mentions');
PRAGMA writable_schema = OFF;
CREATE TABLE _schema_bump_0039 (x);
DROP TABLE _schema_bump_0039;
PRAGMA writable_schema = RESET;

-- Per minute, how many mentions are of a language we cannot read: the
-- volume counts them (a storm in Polish is still a storm), negative shares
-- leave them out of the denominator (see volume.MinuteDecision).
ALTER TABLE mention_minutes ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
