-- A draft's revision: bumped by every save and submit, so an approval or a
-- rejection names the exact version its approver read and a stale one is
-- refused (text changed and resubmitted while the approver was reading).
ALTER TABLE drafts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
