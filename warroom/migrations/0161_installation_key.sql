-- Which secret key the installation runs with, as a fingerprint (an HMAC
-- of a fixed text under the key; never the key). A serving process started
-- with another key refuses to start (warroom/keycheck.py): sessions, ack
-- links and sealed platform credentials all depend on the one key, so a
-- host or a restored machine with its own would break them quietly.
CREATE TABLE installation_key (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
