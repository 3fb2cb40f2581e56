-- Decisions a person asked Portcullis to remember ("always allow", "always deny"), per server
-- identity and tool. Scoped to exactly one set of canonical arguments (a hash) by default, or to a
-- pattern the person wrote; never to a whole tool unless the pattern says so.
CREATE TABLE decisions (
    id         INTEGER NOT NULL PRIMARY KEY,
    server_key TEXT    NOT NULL,            -- ServerIdentity::key()
    server     TEXT    NOT NULL,            -- its name, for people
    tool       TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('exact', 'pattern')),
    args_hash  TEXT,                        -- exact: hex SHA-256 of the canonical arguments
    pattern    TEXT,                        -- pattern: argument conditions in the policy language
    decision   TEXT    NOT NULL CHECK (decision IN ('allow', 'deny')),
    created_at TEXT    NOT NULL,
    expires_at TEXT,                        -- NULL: until revoked
    note       TEXT    NOT NULL DEFAULT '', -- what was shown when it was decided (redacted)
    CHECK ((scope = 'exact') = (args_hash IS NOT NULL)),
    CHECK ((scope = 'pattern') = (pattern IS NOT NULL))
) STRICT;

CREATE INDEX decisions_by_call ON decisions (server_key, tool);
