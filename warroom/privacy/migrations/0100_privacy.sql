-- Personal data kept only as long as needed. A team's retention (days; NULL:
-- the installation's [privacy] retention_days), and when a mention's personal
-- fields (author, text, url, followers) were erased. Erased rows stay, so
-- counts, sentiment labels and the timeline's shape still add up.
ALTER TABLE teams ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days >= 1);
ALTER TABLE mentions ADD COLUMN erased_at TEXT;
ALTER TABLE monitor_mentions ADD COLUMN erased_at TEXT;
CREATE INDEX mentions_received ON mentions (received_at) WHERE erased_at IS NULL;
CREATE INDEX monitor_mentions_received ON monitor_mentions (received_at) WHERE erased_at IS NULL;

-- Published replies stay immutable except for one change, made once: an
-- erasure that takes the platform author's name out of the reply's text (and
-- stamps erased_at). Every other column must stay as it was.
ALTER TABLE responses ADD COLUMN erased_at TEXT;
DROP TRIGGER responses_immutable;
CREATE TRIGGER responses_immutable BEFORE UPDATE ON responses
WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
          AND NEW.id = OLD.id AND NEW.room_id = OLD.room_id AND NEW.draft_id = OLD.draft_id
          AND NEW.mention_id IS OLD.mention_id AND NEW.author = OLD.author
          AND NEW.approved_by IS OLD.approved_by AND NEW.published_by = OLD.published_by
          AND NEW.published_at = OLD.published_at AND NEW.clock_seconds IS OLD.clock_seconds
          AND instr(NEW.text, '[erased]') > 0)
BEGIN
    SELECT RAISE(ABORT, 'published responses are immutable');
END;
