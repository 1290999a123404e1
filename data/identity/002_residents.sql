-- Residents known by the national login (login.gov.pl): the person a resident account stands for, as the
-- identity provider verified them. The PESEL is the key that finds the account again at the next log-in;
-- this is the one place it is stored (docs/saml.md, "Personal data"). The names and the date of birth are
-- refreshed at every log-in. An account made this way has no password.
CREATE TABLE residents (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    pesel TEXT NOT NULL UNIQUE CHECK (length(pesel) = 11 AND pesel NOT GLOB '*[^0-9]*'),
    given_name TEXT NOT NULL DEFAULT '',
    surname TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT NOT NULL DEFAULT '',
    verified TEXT NOT NULL -- the last log-in that verified them (UTC, ISO 8601)
);
