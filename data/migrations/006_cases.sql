-- 006: cases (sprawy). Every request a resident files becomes a case with its JRWA case number (drawn
-- from case_sequences at registration, in the same transaction as the row), a status history, an
-- assigned clerk, a deadline (KPA), a fee and the documents issued. module names the e-service
-- ("extracts"); record is the module's own row (for extracts the id in `extracts`, the same as the case
-- id). An extract that is not yet issued keeps its request here (request, JSON) until a clerk or the
-- settled fee issues it.
CREATE TABLE cases (
    id                TEXT PRIMARY KEY,        -- 32 hex chars (128 random bits), the requester's secret
    case_number       TEXT NOT NULL UNIQUE,
    seq               INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    module            TEXT NOT NULL,           -- "extracts", ...
    applicant_account INTEGER,                 -- identity store account id; NULL for an anonymous request
    applicant_login   TEXT,
    applicant_email   TEXT,                    -- for the answer to an anonymous request
    applicant_name    TEXT,
    status            TEXT NOT NULL,           -- złożony, w toku, do uzupełnienia, załatwiony, odmowa, wycofany
    assigned_account  INTEGER,
    assigned_login    TEXT,
    created_at        TEXT NOT NULL,           -- ISO 8601 UTC
    deadline          TEXT NOT NULL,           -- local date YYYY-MM-DD (KPA, see docs/api.md)
    fee_pln           INTEGER NOT NULL DEFAULT 0,
    fee_status        TEXT NOT NULL DEFAULT 'due', -- due, paid, exempt (none when the fee is 0)
    verification_code TEXT UNIQUE,             -- printed on the document once issued
    request           TEXT,                    -- the module's request, JSON, until issued
    documents         TEXT NOT NULL DEFAULT '[]', -- JSON array of issued documents {kind, id, issued_at}
    reason            TEXT,                    -- of a refusal
    UNIQUE (year, seq)
);
CREATE INDEX cases_queue ON cases (status, deadline);
CREATE INDEX cases_applicant ON cases (applicant_account);

CREATE TABLE case_events (
    id      INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    at      TEXT NOT NULL,                     -- ISO 8601 UTC
    actor   TEXT NOT NULL,                     -- login, or "anonim", or "system"
    status  TEXT NOT NULL,
    note    TEXT
);
CREATE INDEX case_events_case ON case_events (case_id, id);
