-- 002: a declaration is a case (sprawa) of module "waste", registered in the same transaction; residents file
-- their own declarations and see their payers through waste_payer_accounts.
ALTER TABLE waste_declarations ADD COLUMN case_id TEXT;  -- cases.id of the case it was filed as; NULL before 002
-- first (pierwsza deklaracja), change (nowa deklaracja after a change of data, art. 6m ust. 2) or correction
-- (korekta, art. 81 Ordynacji podatkowej, with its reason)
ALTER TABLE waste_declarations ADD COLUMN filing TEXT NOT NULL DEFAULT 'first'
    CHECK (filing IN ('first', 'change', 'correction'));
ALTER TABLE waste_declarations ADD COLUMN reason TEXT;
CREATE INDEX waste_declarations_case ON waste_declarations (case_id);

-- Which signed-in accounts (identity store ids) act for a payer: the resident who filed its first declaration
-- online, and any a clerk links. A resident reaches only the payers linked to their account.
CREATE TABLE waste_payer_accounts (
    payer_id INTEGER NOT NULL REFERENCES waste_payers (id),
    account INTEGER NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (payer_id, account)
);
CREATE INDEX waste_payer_accounts_account ON waste_payer_accounts (account);

-- The case number of a declaration: the gmina's JRWA symbol for deklaracje o wysokości opłaty (see DOMAIN.md);
-- the sequence is the gmina's one for all cases of the year. case_days: the term of the case (KPA art. 35).
INSERT INTO waste_settings (key, value) VALUES
    ('case_format', 'FN.3110.{seq}.{year}'),
    ('case_days', '30');
