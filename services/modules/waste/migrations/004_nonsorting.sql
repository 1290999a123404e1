-- 004: sorting cannot be declared away (art. 5 ust. 1 pkt 3b of the act, since 6 September 2019); a payer who
-- does not sort pays the higher rate only under a decision of the wójt (burmistrz, prezydent miasta) of
-- art. 6ka, for its months: at least 1 and at most 12. Each decision is a case of module waste. multiplier is the
-- one the council's rate resolution sets (waste_rates.nonsort_multiplier, 2 to 4 times, art. 6k ust. 3) in force
-- in its first month.
CREATE TABLE waste_nonsort_decisions (
    id INTEGER PRIMARY KEY,
    payer_id INTEGER NOT NULL REFERENCES waste_payers (id),
    from_month TEXT NOT NULL,  -- YYYY-MM
    to_month TEXT NOT NULL,    -- YYYY-MM, 0 to 11 months after from_month
    multiplier REAL NOT NULL CHECK (multiplier >= 2 AND multiplier <= 4),
    case_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX waste_nonsort_payer ON waste_nonsort_decisions (payer_id, from_month);
