-- Teams (a brand, an agency's client) and who may see what. Ownership of
-- rooms, playbooks, monitors and connectors is a row here, not a column on
-- their tables: no row means installation-wide, which is what every existing
-- row stays, so the migration keeps every row as it was. (These tables come
-- before the playbook, monitor and connector migrations, which is also why
-- no ALTER TABLE on them is possible from here.)
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- kind: room (ref = rooms.id), playbook (ref = playbook id), monitor, connector
CREATE TABLE team_resources (
    kind TEXT NOT NULL CHECK (kind IN ('room', 'playbook', 'monitor', 'connector')),
    ref TEXT NOT NULL,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    PRIMARY KEY (kind, ref)
);

-- A private room: only its named members (and admins) see it, team or not.
CREATE TABLE private_rooms (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id),
    since TEXT NOT NULL
);

CREATE TABLE room_members (
    room_id INTEGER NOT NULL REFERENCES rooms (id),
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

ALTER TABLE users ADD COLUMN last_login_at TEXT;
