-- Trust on first use: who each server is, what it listed first, and what is held for review.
-- Timestamps are RFC 3339 UTC text to the second (`2026-11-22T01:02:03Z`).

-- One row per server identity: a name (`portcullis run --name`) with the exact command.
CREATE TABLE servers (
    key        TEXT NOT NULL PRIMARY KEY, -- ServerIdentity::key(): hex SHA-256 of name and command
    name       TEXT NOT NULL,
    command    TEXT NOT NULL,             -- JSON array of strings: the program, then its arguments
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;

CREATE INDEX servers_by_name ON servers (name);

-- The trusted definition of each item: pinned on first sight, or accepted by the user.
CREATE TABLE pins (
    server_key       TEXT NOT NULL REFERENCES servers (key) ON DELETE CASCADE,
    kind             TEXT NOT NULL,       -- ItemKind::name(): tool, prompt, resource-template
    name             TEXT NOT NULL,
    hash             TEXT NOT NULL,       -- hex SHA-256 of `definition`
    definition       TEXT NOT NULL,       -- canonical JSON (keys sorted, no `_meta`)
    pinned_at        TEXT NOT NULL,
    accepted_by_user INTEGER NOT NULL CHECK (accepted_by_user IN (0, 1)),
    PRIMARY KEY (server_key, kind, name)
) STRICT, WITHOUT ROWID;

-- The latest definition of each item held back from the client, until the user accepts it.
CREATE TABLE held (
    server_key TEXT NOT NULL REFERENCES servers (key) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    definition TEXT NOT NULL,
    reason     TEXT NOT NULL,             -- Hold::reason(), for the person reviewing
    held_at    TEXT NOT NULL,             -- when this definition (this hash) was first held
    PRIMARY KEY (server_key, kind, name)
) STRICT, WITHOUT ROWID;
