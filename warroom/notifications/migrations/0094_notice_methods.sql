-- Which of a person's methods carry shift reminders and hand-over prompts
-- (none marked: the methods of their earliest page rule, else Slack DM).
ALTER TABLE contact_methods ADD COLUMN for_notices INTEGER NOT NULL DEFAULT 0;
