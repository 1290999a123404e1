-- The server-wide identity store (<data>/identity.sqlite): accounts, their grants, API clients,
-- sessions, log-in failures and the audit log. Applied by gis/identity.c.

-- Everyone and everything that may be authenticated. A person logs in with login and password (pw_hash,
-- an Argon2id string); an API client presents its key, of which only the SHA-256 (key_hash) is kept.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('resident', 'staff', 'admin', 'client')),
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    pw_hash TEXT,
    key_hash BLOB UNIQUE,
    tenant TEXT,                  -- an API client's one gmina
    created TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'client') = (key_hash IS NOT NULL AND tenant IS NOT NULL))
);

-- Staff roles, per gmina.
CREATE TABLE grants (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'planner', 'module_admin', 'gmina_admin')),
    PRIMARY KEY (account_id, tenant, role)
) WITHOUT ROWID;

-- The scopes an API client holds ("waste:write").
CREATE TABLE client_scopes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    PRIMARY KEY (account_id, scope)
) WITHOUT ROWID;

-- Sessions, by the SHA-256 of their token: the token itself is only in the browser's cookie. Times are
-- Unix milliseconds.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    ip TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed log-ins by the login typed, whether or not such an account exists (so that lock-out says
-- nothing about which logins exist).
CREATE TABLE login_failures (
    login TEXT PRIMARY KEY COLLATE NOCASE,
    failures INTEGER NOT NULL,
    last_failure INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The audit log: append-only (the triggers refuse changes made by mistake; the hash chain shows changes
-- made on purpose). hash is the SHA-256, in hex, over prev_hash and the row's fields (gis/audit.c).
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    tenant TEXT NOT NULL DEFAULT '',
    record TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;
