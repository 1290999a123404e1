-- The owners of a business as the clerk links them (business id -> identity account), for the owner's page
-- (GET /{t}/me/businesses). Not matched by NIP from the login: login.gov.pl asserts a PESEL and names, not a
-- NIP, and a company's NIP belongs to no one person.
CREATE TABLE business_owners (
    business_id INTEGER NOT NULL REFERENCES business_entities (id) ON DELETE CASCADE,
    account     INTEGER NOT NULL,  -- identity store account id
    linked_at   TEXT NOT NULL,     -- ISO 8601 UTC
    linked_by   TEXT NOT NULL,     -- the clerk's login
    PRIMARY KEY (business_id, account)
);
CREATE INDEX business_owners_account ON business_owners (account);
