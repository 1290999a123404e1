-- 007: the payments core (gis/pay.h). Every fee a module charges gets a virtual account (an individual
-- NRB derived from the gmina's pay_account_prefix) owned by one record of the module (for extracts the
-- case id). Bank statements (MT940, banks' CSV) and online payments book transactions; a credit to a
-- virtual account is allocated to its owner; a line to no known account waits in the unmatched queue.
-- Money is in grosze (1/100 zł), signed: credits positive, debits (returns, refunds) negative.
CREATE TABLE pay_accounts (
    nrb        TEXT PRIMARY KEY,             -- 26 digits, mod-97 check digits
    number     INTEGER NOT NULL UNIQUE,      -- the number after the prefix
    module     TEXT NOT NULL,                -- "extracts", ...
    record     TEXT NOT NULL,                -- the owner in the module (extracts: the case id)
    title      TEXT NOT NULL,                -- the transfer title the payer is asked to use
    due_gr     INTEGER NOT NULL,             -- what the owner is to pay
    paid_gr    INTEGER NOT NULL DEFAULT 0,   -- the sum of its allocations (refunds reduce it)
    created_at TEXT NOT NULL,
    UNIQUE (module, record)
);

CREATE TABLE pay_statements (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL,               -- of the file as received
    format      TEXT NOT NULL,               -- mt940, csv
    bank        TEXT,                        -- the [bank.NAME] mapping of a CSV, or the MT940 :25: account
    imported_at TEXT NOT NULL,
    actor       TEXT,
    lines       INTEGER NOT NULL,            -- transactions in the file
    booked      INTEGER NOT NULL,            -- newly booked
    duplicates  INTEGER NOT NULL,            -- booked before (same transaction key)
    unmatched   INTEGER NOT NULL             -- of the booked, to no known virtual account
);
CREATE INDEX pay_statements_sha ON pay_statements (sha256);

CREATE TABLE pay_transactions (
    id           INTEGER PRIMARY KEY,
    tx_key       TEXT NOT NULL UNIQUE,       -- the idempotency key: bank reference, else a hash of the line
    statement_id INTEGER REFERENCES pay_statements (id),
    source       TEXT NOT NULL,              -- statement, online
    booked_on    TEXT NOT NULL,              -- YYYY-MM-DD
    amount_gr    INTEGER NOT NULL,
    counterparty TEXT,
    title        TEXT,
    cp_nrb       TEXT,                       -- the counterparty's account, as the bank gave it
    nrb          TEXT,                       -- the virtual account it went to; NULL when unknown
    status       TEXT NOT NULL CHECK (status IN ('allocated', 'unmatched', 'refund', 'credit')),
    created_at   TEXT NOT NULL
);
CREATE INDEX pay_transactions_status ON pay_transactions (status, id);
CREATE INDEX pay_transactions_nrb ON pay_transactions (nrb);

CREATE TABLE pay_allocations (
    id        INTEGER PRIMARY KEY,
    tx_id     INTEGER NOT NULL REFERENCES pay_transactions (id),
    nrb       TEXT NOT NULL REFERENCES pay_accounts (nrb),
    amount_gr INTEGER NOT NULL,              -- signed, as the transaction
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL                  -- "statement", "online", or the clerk who assigned it
);
CREATE INDEX pay_allocations_nrb ON pay_allocations (nrb);

-- What an owner paid beyond its due: kept as credit and shown.
CREATE VIEW pay_credit_balances AS
    SELECT nrb, module, record, paid_gr - due_gr AS credit_gr FROM pay_accounts WHERE paid_gr > due_gr;

-- Online payments (gis/pay.h, services/pay_online.c): a session started for a virtual account's due, then
-- settled once by the provider's verified notification (its order id books one transaction).
CREATE TABLE pay_online (
    session_id TEXT PRIMARY KEY,             -- ours, random, sent to the provider
    nrb        TEXT NOT NULL REFERENCES pay_accounts (nrb),
    amount_gr  INTEGER NOT NULL,
    provider   TEXT NOT NULL,                -- "p24"
    status     TEXT NOT NULL CHECK (status IN ('started', 'paid')),
    order_id   TEXT UNIQUE,                  -- the provider's, once notified
    created_at TEXT NOT NULL,
    paid_at    TEXT
);
