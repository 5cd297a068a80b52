-- PostgreSQL twin of 0100_privacy.sql: the same columns and indexes; the
-- responses trigger gets the same WHEN condition (IS -> IS NOT DISTINCT FROM,
-- instr -> strpos) and keeps 0050's raising function.
ALTER TABLE teams ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days >= 1);
ALTER TABLE mentions ADD COLUMN erased_at TEXT;
ALTER TABLE monitor_mentions ADD COLUMN erased_at TEXT;
CREATE INDEX mentions_received ON mentions (received_at) WHERE erased_at IS NULL;
CREATE INDEX monitor_mentions_received ON monitor_mentions (received_at) WHERE erased_at IS NULL;

ALTER TABLE responses ADD COLUMN erased_at TEXT;
DROP TRIGGER responses_immutable ON responses;
CREATE TRIGGER responses_immutable BEFORE UPDATE ON responses
    FOR EACH ROW
    WHEN (NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
          AND NEW.id = OLD.id AND NEW.room_id = OLD.room_id AND NEW.draft_id = OLD.draft_id
          AND NEW.mention_id IS NOT DISTINCT FROM OLD.mention_id AND NEW.author = OLD.author
          AND NEW.approved_by IS NOT DISTINCT FROM OLD.approved_by AND NEW.published_by = OLD.published_by
          AND NEW.published_at = OLD.published_at
          AND NEW.clock_seconds IS NOT DISTINCT FROM OLD.clock_seconds
          AND strpos(NEW.text, '[erased]') > 0))
    EXECUTE FUNCTION responses_immutable();
