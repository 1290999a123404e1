-- e-Odpady: waste-collection zones and rules, rate tables, payers, declarations, charges and payments.
-- Every value a gmina sets itself is a row here; the inserted values are the demo defaults (Słubice 2022-23).

CREATE TABLE waste_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO waste_settings (key, value) VALUES
    ('holiday_shift', 'next_working_day'),  -- none | next_day | next_working_day | previous_working_day | skip
    ('residential_method', 'household'),    -- household | resident | water_m3
    ('nonresidential_method', 'container'),
    ('bank_sort_code', '10201026'),         -- 8-digit bank sort code of the gmina's collection account
    ('due_day', '15'),                      -- the monthly fee is due on this day of its month
    ('change_effective', 'same_month');     -- same_month (art. 6m ust. 2) | next_month

CREATE TABLE waste_fractions (code TEXT PRIMARY KEY, name TEXT NOT NULL, ord INTEGER NOT NULL);
INSERT INTO waste_fractions (code, name, ord) VALUES
    ('zmieszane', 'Zmieszane odpady komunalne', 1),
    ('papier', 'Papier', 2),
    ('szklo', 'Szkło', 3),
    ('metale', 'Metale i tworzywa sztuczne', 4),
    ('bio', 'Bioodpady', 5),
    ('gabaryty', 'Odpady wielkogabarytowe', 6);

CREATE TABLE waste_zones (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT
);
SELECT AddGeometryColumn('waste_zones', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('waste_zones', 'geom');

-- kind weekly: every weekday; every_n_weeks: every interval_weeks-th weekday counted from anchor;
-- monthly: the nth (1..4, -1 = last) weekday of each month. months: bit m-1 = applies in month m.
CREATE TABLE waste_rules (
    id INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL REFERENCES waste_zones (id) ON DELETE CASCADE,
    fraction TEXT NOT NULL REFERENCES waste_fractions (code),
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'every_n_weeks', 'monthly')),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    interval_weeks INTEGER NOT NULL DEFAULT 1 CHECK (interval_weeks BETWEEN 1 AND 52),
    anchor TEXT,
    nth INTEGER NOT NULL DEFAULT 1 CHECK (nth IN (-1, 1, 2, 3, 4)),
    months INTEGER NOT NULL DEFAULT 4095 CHECK (months BETWEEN 1 AND 4095)
);
CREATE INDEX waste_rules_zone ON waste_rules (zone_id, fraction);

-- Rate tables (art. 6j). Item key: household = smallest household size; resident, water_m3 = 0;
-- container = litres. Amounts in grosze.
CREATE TABLE waste_rates (
    id INTEGER PRIMARY KEY,
    method TEXT NOT NULL CHECK (method IN ('household', 'resident', 'water_m3', 'container')),
    valid_from TEXT NOT NULL,  -- YYYY-MM
    nonsort_multiplier REAL NOT NULL DEFAULT 2 CHECK (nonsort_multiplier >= 1 AND nonsort_multiplier <= 4),
    compost_discount_gr INTEGER NOT NULL DEFAULT 0 CHECK (compost_discount_gr >= 0),
    compost_per_resident INTEGER NOT NULL DEFAULT 0,
    UNIQUE (method, valid_from)
);
CREATE TABLE waste_rate_items (
    rate_id INTEGER NOT NULL REFERENCES waste_rates (id) ON DELETE CASCADE,
    key INTEGER NOT NULL,
    amount_gr INTEGER NOT NULL CHECK (amount_gr >= 0),
    PRIMARY KEY (rate_id, key)
);
INSERT INTO waste_rates (id, method, valid_from, nonsort_multiplier, compost_discount_gr) VALUES
    (1, 'household', '2022-01', 2, 500),
    (2, 'container', '2022-01', 2, 0);
INSERT INTO waste_rate_items (rate_id, key, amount_gr) VALUES
    (1, 1, 2800), (1, 2, 5900), (1, 3, 10500),
    (2, 60, 1100), (2, 120, 2100), (2, 240, 3900), (2, 1100, 11200);

CREATE TABLE waste_payers (
    id INTEGER PRIMARY KEY,
    account TEXT UNIQUE,  -- individual NRB, 26 digits
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE waste_declarations (
    id INTEGER PRIMARY KEY,
    payer_id INTEGER NOT NULL REFERENCES waste_payers (id),
    kind TEXT NOT NULL CHECK (kind IN ('residential', 'nonresidential')),
    address_id INTEGER,
    address_label TEXT,
    parcel_id TEXT,
    residents INTEGER NOT NULL CHECK (residents BETWEEN 0 AND 200),
    composting INTEGER NOT NULL,
    sorting INTEGER NOT NULL,
    water_m3 REAL,
    containers TEXT,  -- "120x2,1100x4": litres x emptyings a month
    method TEXT NOT NULL,
    fee_gr INTEGER NOT NULL CHECK (fee_gr >= 0),
    change_date TEXT NOT NULL,
    valid_from TEXT NOT NULL,  -- YYYY-MM
    filed_at TEXT NOT NULL
);
CREATE INDEX waste_declarations_payer ON waste_declarations (payer_id, valid_from, id);

CREATE TABLE waste_charges (
    payer_id INTEGER NOT NULL REFERENCES waste_payers (id),
    month TEXT NOT NULL,  -- YYYY-MM
    amount_gr INTEGER NOT NULL,
    declaration_id INTEGER NOT NULL REFERENCES waste_declarations (id),
    due_date TEXT NOT NULL,
    PRIMARY KEY (payer_id, month)
);

CREATE TABLE waste_statements (
    id INTEGER PRIMARY KEY,
    imported_at TEXT NOT NULL,
    lines INTEGER NOT NULL,
    booked INTEGER NOT NULL,
    duplicates INTEGER NOT NULL
);

CREATE TABLE waste_payments (
    id INTEGER PRIMARY KEY,
    payer_id INTEGER NOT NULL REFERENCES waste_payers (id),
    amount_gr INTEGER NOT NULL CHECK (amount_gr > 0),
    paid_on TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('clerk', 'statement')),
    source_key TEXT UNIQUE,  -- idempotency: "stmt:<line id>", "stmt#<hash>", "clerk:<reference>"
    statement_id INTEGER REFERENCES waste_statements (id),
    title TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX waste_payments_payer ON waste_payments (payer_id);
