-- The audit trail: one row per decision, each chained to the one before it.
-- Timestamps are RFC 3339 UTC text to the millisecond (`2026-11-22T01:02:03.456Z`): they sort as
-- they compare. Every text column has been through the redactor before it is written.

CREATE TABLE records (
    -- Consecutive from 1 (or from the anchor): a gap is a missing record. AUTOINCREMENT keeps
    -- the highest id ever used in sqlite_sequence, so deleting the newest records shows too.
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT    NOT NULL,           -- when the message was read
    session    TEXT    NOT NULL,           -- one `portcullis run`
    server     TEXT    NOT NULL,           -- `--name`
    server_key TEXT    NOT NULL,           -- ServerIdentity::key(): name and exact command
    client     TEXT,                       -- clientInfo `name version`, once known
    direction  TEXT    NOT NULL,           -- to_server | to_client
    kind       TEXT    NOT NULL,           -- request | notification | response | error
    method     TEXT    NOT NULL,
    target     TEXT,                       -- tool, prompt or resource URI
    rpc_id     TEXT,                       -- the JSON-RPC id as sent
    verdict    TEXT    NOT NULL,           -- allow | log | warn | redact | ask | deny | quarantine
    outcome    TEXT,
    rule       TEXT,
    reason     TEXT    NOT NULL,
    evidence   TEXT    NOT NULL,           -- JSON array of strings
    summary    TEXT,                       -- redacted arguments or result (detail: redacted)
    secrets    TEXT    NOT NULL,           -- JSON array of {"kind", "tag"}: what was found
    bytes      INTEGER NOT NULL,
    added_us   INTEGER NOT NULL,           -- time Portcullis spent, in microseconds
    hash       TEXT    NOT NULL            -- keyed hash over the previous hash and this record
) STRICT;

CREATE INDEX records_by_time ON records (at);
CREATE INDEX records_by_session ON records (session);

-- Where the chain continues after pruning: the last record deleted, and its hash.
CREATE TABLE anchor (
    only      INTEGER NOT NULL PRIMARY KEY CHECK (only = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT    NOT NULL,
    pruned    INTEGER NOT NULL,            -- records pruned in all
    pruned_at TEXT    NOT NULL,
    mac       TEXT    NOT NULL             -- keyed hash over the above: a forged anchor shows
) STRICT;

-- One row per `portcullis run`.
CREATE TABLE sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    started_at TEXT    NOT NULL,
    ended_at   TEXT,
    server     TEXT    NOT NULL,
    server_key TEXT    NOT NULL,
    command    TEXT    NOT NULL,           -- JSON array of strings, redacted
    pid        INTEGER NOT NULL,
    version    TEXT    NOT NULL,           -- of portcullis
    client     TEXT,
    dropped    INTEGER NOT NULL DEFAULT 0, -- allowed records dropped while the writer was behind
    unwritten  INTEGER NOT NULL DEFAULT 0  -- records lost while the store was unavailable
) STRICT;

-- The servers' stderr, redacted, when `audit.stderr` is on.
CREATE TABLE stderr (
    session TEXT NOT NULL,
    at      TEXT NOT NULL,
    line    TEXT NOT NULL
) STRICT;

CREATE INDEX stderr_by_session ON stderr (session, at);
CREATE INDEX stderr_by_time ON stderr (at);
