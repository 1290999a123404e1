-- 007: receipts (potwierdzenia złożenia, UPO-like). Every case submission gets one at registration, in the
-- same transaction as the case: a sealed PDF naming the organ, the case number, the time of receipt and the
-- SHA-256 of what was submitted, as stored (for extracts: the canonical request JSON of cases.request).
-- Module-neutral: gis/receipt.c writes and reads it for every module.
CREATE TABLE case_receipts (
    case_id          TEXT PRIMARY KEY REFERENCES cases (id),
    received_at      TEXT NOT NULL,            -- ISO 8601 UTC, the case's created_at
    submission_sha256 TEXT NOT NULL,           -- of the submission as stored
    sha256           TEXT NOT NULL,            -- of the receipt PDF
    sealed           INTEGER NOT NULL,         -- 1 when the receipt carries the organ's electronic seal
    pdf              BLOB NOT NULL
);
