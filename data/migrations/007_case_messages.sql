-- 007: messages between the clerk and the resident on a case, and the files attached to a case
-- (docs/api.md, "Case messages and attachments"). An attachment's type is what its bytes are
-- (util/sniff.h), never what its name or the uploader said; the bytes are kept here, with their SHA-256.
CREATE TABLE case_messages (
    id                 INTEGER PRIMARY KEY,
    case_id            TEXT NOT NULL REFERENCES cases (id),
    at                 TEXT NOT NULL,          -- ISO 8601 UTC
    author_kind        TEXT NOT NULL CHECK (author_kind IN ('resident', 'staff', 'system')),
    author_login       TEXT,                   -- the account's login; NULL for system
    body               TEXT NOT NULL,
    read_by_resident_at TEXT,                  -- when the applicant first read it (staff and system messages)
    read_by_staff_at   TEXT                    -- when a clerk first read it (the resident's messages)
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

CREATE TABLE case_attachments (
    id            INTEGER PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    message_id    INTEGER REFERENCES case_messages (id), -- the message it came with, or NULL
    file_name     TEXT NOT NULL,                          -- as given, sanitised (no path, no control characters)
    media_type    TEXT NOT NULL,                          -- detected from the content
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,                          -- hex
    data          BLOB NOT NULL,
    uploaded_at   TEXT NOT NULL,                          -- ISO 8601 UTC
    uploader_kind TEXT NOT NULL CHECK (uploader_kind IN ('resident', 'staff', 'system')),
    uploader_login TEXT
);
CREATE INDEX case_attachments_case ON case_attachments (case_id, id);
