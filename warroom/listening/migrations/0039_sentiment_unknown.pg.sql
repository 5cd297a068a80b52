-- PostgreSQL twin of 0039_sentiment_unknown.sql: PostgreSQL alters a CHECK
-- directly (the column CHECKs of 0030 and 0034 got PostgreSQL's default
-- names, <table>_<column>_check).
ALTER TABLE mentions DROP CONSTRAINT mentions_sentiment_label_check;
ALTER TABLE mentions ADD CONSTRAINT mentions_sentiment_label_check
    CHECK (sentiment_label IN ('negative', 'neutral', 'positive', 'unknown'));
ALTER TABLE monitor_mentions DROP CONSTRAINT monitor_mentions_sentiment_label_check;
ALTER TABLE monitor_mentions ADD CONSTRAINT monitor_mentions_sentiment_label_check
    CHECK (sentiment_label IN ('negative', 'neutral', 'positive', 'unknown'));

-- Per minute, how many mentions are of a language we cannot read (see the .sql).
ALTER TABLE mention_minutes ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
