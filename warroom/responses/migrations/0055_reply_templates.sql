-- Reply templates a team keeps (leads and admins edit them; playbook
-- templates live in the playbook text), and keys on facts, which templates
-- name as {fact:KEY}.
CREATE TABLE team_templates (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (team_id, name)
);

ALTER TABLE facts ADD COLUMN key TEXT;
CREATE UNIQUE INDEX facts_room_key ON facts (room_id, key) WHERE key IS NOT NULL;
