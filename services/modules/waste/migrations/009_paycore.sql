-- 009: the waste fee's money moves onto the payments core (gis/pay.h, data/migrations/008_payments.sql).
-- Each payer's own account number (sort code, TERYT, '0', payer id: what residents already pay to) becomes the
-- payer's virtual account in pay_accounts (module 'waste', record = the payer's id; number negative, outside
-- the core's running numbers); every payment of the old ledger becomes a booked transaction allocated to it
-- (key 'waste:' + its old idempotency key, so a desk receipt booked before is still recognised), and the old
-- ledger's tables go. Statements are imported through the core from now on (MT940 and the banks' CSV).
INSERT INTO pay_accounts (nrb, number, module, record, title, due_gr, paid_gr, created_at)
    SELECT p.account, -p.id, 'waste', CAST(p.id AS TEXT),
           'opłata za gospodarowanie odpadami komunalnymi, płatnik nr ' || p.id,
           coalesce((SELECT sum(c.amount_gr) FROM waste_charges c WHERE c.payer_id = p.id), 0), 0, p.created_at
    FROM waste_payers p WHERE p.account IS NOT NULL;

INSERT INTO pay_transactions (tx_key, statement_id, source, booked_on, amount_gr, counterparty, title, cp_nrb, nrb,
                              status, created_at)
    SELECT 'waste:' || coalesce(w.source_key, 'legacy:' || w.id), NULL,
           CASE w.source WHEN 'clerk' THEN 'desk' ELSE 'statement' END, w.paid_on, w.amount_gr, NULL, w.title, NULL,
           p.account, 'allocated', w.recorded_at
    FROM waste_payments w JOIN waste_payers p ON p.id = w.payer_id
    WHERE p.account IS NOT NULL ORDER BY w.id;

INSERT INTO pay_allocations (tx_id, nrb, amount_gr, at, actor)
    SELECT t.id, t.nrb, t.amount_gr, t.created_at, 'migration'
    FROM pay_transactions t JOIN pay_accounts a ON a.nrb = t.nrb
    WHERE a.module = 'waste' AND t.tx_key LIKE 'waste:%';

UPDATE pay_accounts SET paid_gr = (SELECT coalesce(sum(l.amount_gr), 0) FROM pay_allocations l
                                   WHERE l.nrb = pay_accounts.nrb)
    WHERE module = 'waste';

DROP TABLE waste_payments;
DROP TABLE waste_statements;

-- Upomnienia (art. 15 § 1 ustawy o postępowaniu egzekucyjnym w administracji) issued to payers in arrears: each
-- is a case of the module with its sealed PDF; its cost (koszty upomnienia) is an obligation of the payer's
-- account from the day it is issued (paid first, art. 62 § 1a Ordynacji podatkowej).
CREATE TABLE waste_reminders (
    id               INTEGER PRIMARY KEY,
    payer_id         INTEGER NOT NULL REFERENCES waste_payers (id),
    case_id          TEXT NOT NULL UNIQUE,
    case_number      TEXT NOT NULL,
    issued_on        TEXT NOT NULL,   -- YYYY-MM-DD
    principal_gr     INTEGER NOT NULL,
    interest_gr      INTEGER NOT NULL,
    cost_gr          INTEGER NOT NULL,
    total_gr         INTEGER NOT NULL,
    interest_to      TEXT NOT NULL,   -- the day interest is counted to (the rate table's end when earlier)
    sha256           TEXT NOT NULL,
    sealed           INTEGER NOT NULL,
    pdf              BLOB NOT NULL,
    issued_by        TEXT NOT NULL
);
CREATE INDEX waste_reminders_payer ON waste_reminders (payer_id, issued_on);

-- Art. 54 § 1 pkt 5 Ordynacji podatkowej: interest is not charged when it does not exceed three times the
-- designated postal operator's surcharge for registered letters (opłata za polecenie przesyłki listowej).
-- 870 gr = 3 × 2,90 zł is the figure commonly cited; it was not checked against Poczta Polska's 2026 price
-- list here: each gmina sets the figure in force.
INSERT INTO waste_settings (key, value) VALUES ('interest_threshold_gr', '870');
