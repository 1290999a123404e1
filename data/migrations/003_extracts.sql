-- 003: issued plan extracts (wypis i wyrys). Each row is one issued document with its exact PDF bytes,
-- written in the same transaction as its case number, so there is never a half-issued case.
CREATE TABLE case_sequences (
    year INTEGER PRIMARY KEY,
    seq  INTEGER NOT NULL
);

CREATE TABLE extracts (
    id                TEXT PRIMARY KEY,        -- 32 hex chars (128 random bits): unguessable
    case_number       TEXT NOT NULL UNIQUE,    -- "GP.6727.15.2026" (tenant case_format)
    seq               INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    created_at        TEXT NOT NULL,           -- ISO 8601 UTC
    issue_date        TEXT NOT NULL,           -- local date printed on the document, YYYY-MM-DD
    parcels           TEXT NOT NULL,           -- JSON array of EGiB identifiers
    documents         TEXT NOT NULL,           -- JSON array: "wypis", "wyrys"
    applicant_name    TEXT NOT NULL,
    applicant_address TEXT,
    purpose           TEXT,
    fee_total         INTEGER NOT NULL,        -- zł
    fee_items         TEXT NOT NULL,           -- JSON array of {name, quantity, unit, amount_pln}
    pages             INTEGER NOT NULL,        -- all pages of the PDF
    wypis_pages       INTEGER NOT NULL,
    wyrys_sheets      INTEGER NOT NULL,
    verification_code TEXT NOT NULL UNIQUE,    -- 24 base32 chars (120 random bits)
    sha256            TEXT NOT NULL,           -- of pdf, hex
    pdf               BLOB NOT NULL,
    UNIQUE (year, seq)
);
