-- A generated password (first-run admin, `user add` without a chosen one)
-- is one-time: its owner must choose a new one before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
