-- e-Zezwolenia: alcohol sales outlets and their permits (ustawa z dnia 26 października 1982 r. o wychowaniu
-- w trzeźwości i przeciwdziałaniu alkoholizmowi), the council's rules as data with the resolution that set
-- each, the protected objects, applications (cases) and the annual fees. Each tenant store is one gmina.

-- Outlets: points keyed to an address point and its parcel. sale: 'off' = poza miejscem sprzedaży (a
-- shop), 'on' = w miejscu sprzedaży (a bar or restaurant). unit: the auxiliary unit (sołectwo, osiedle)
-- the per-unit limits count in; here the name of the parcel's obręb (see README, "Auxiliary units").
CREATE TABLE permits_outlets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    sale          TEXT NOT NULL CHECK (sale IN ('on', 'off')),
    operator_nip  TEXT NOT NULL CHECK (length(operator_nip) = 10),
    operator_name TEXT NOT NULL,
    hours         TEXT,
    address_id    INTEGER,
    address_text  TEXT,
    parcel_id     TEXT,
    unit          TEXT,
    created_at    TEXT NOT NULL
);
SELECT AddGeometryColumn('permits_outlets', 'geom', 2180, 'POINT', 'XY');
SELECT CreateSpatialIndex('permits_outlets', 'geom');
CREATE INDEX permits_outlets_address ON permits_outlets (address_id);
CREATE INDEX permits_outlets_parcel ON permits_outlets (parcel_id);

-- Permits: category A (up to 4.5% and beer), B (over 4.5% up to 18%, except beer), C (over 18%) (art. 18
-- ust. 7 pkt 1-3... see README), for the outlet's place of sale; one_off: a jednorazowe zezwolenie (art. 18¹)
-- for an event. status: wydane, wygaszone (art. 18 ust. 12), cofnięte (art. 18 ust. 10).
CREATE TABLE permits_permits (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    outlet_id     INTEGER NOT NULL REFERENCES permits_outlets (id),
    category      TEXT NOT NULL CHECK (category IN ('A', 'B', 'C')),
    sale          TEXT NOT NULL CHECK (sale IN ('on', 'off')),
    one_off       INTEGER NOT NULL DEFAULT 0,
    event         TEXT,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('wydane', 'wygaszone', 'cofnięte')),
    status_on     TEXT,
    status_reason TEXT,
    case_id       TEXT,
    issued_on     TEXT NOT NULL
);
CREATE INDEX permits_permits_outlet ON permits_permits (outlet_id);

-- The fee of a permit for a calendar year (art. 11¹): 'first' paid before issue, proportionally to the
-- validity in that year; 'annual' from the statement of the past year's sales value (due 31 January) in
-- three instalments; 'one_off' for a jednorazowe zezwolenie. surcharge_gr: the 30% of a late statement or
-- payment made within the 30-day grace (art. 18 ust. 12 pkt 5). nrb: the virtual account (gis/pay.h).
CREATE TABLE permits_fees (
    permit_id      INTEGER NOT NULL REFERENCES permits_permits (id),
    year           INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('first', 'annual', 'one_off')),
    sales_value_gr INTEGER,
    statement_on   TEXT,
    fee_gr         INTEGER NOT NULL,
    surcharge_gr   INTEGER NOT NULL DEFAULT 0,
    nrb            TEXT,
    PRIMARY KEY (permit_id, year)
);

-- The council's rules (art. 12), each with its resolution. A limit: at most max_count permits of a
-- category for a place of sale, in the whole gmina (unit NULL) or in one auxiliary unit.
CREATE TABLE permits_limits (
    id         INTEGER PRIMARY KEY,
    category   TEXT NOT NULL CHECK (category IN ('A', 'B', 'C')),
    sale       TEXT NOT NULL CHECK (sale IN ('on', 'off')),
    unit       TEXT,
    max_count  INTEGER NOT NULL CHECK (max_count >= 0),
    resolution TEXT NOT NULL,
    UNIQUE (category, sale, unit)
);

-- Where outlets may be (art. 12 ust. 3, zasady usytuowania): at least min_m from the protected objects of
-- object_kind, measured in a straight line ('straight') or along the shortest pedestrian path from
-- entrance to entrance ('path'); for the categories listed (e.g. 'ABC') and a place of sale (NULL: both).
CREATE TABLE permits_distance_rules (
    id          INTEGER PRIMARY KEY,
    object_kind TEXT NOT NULL CHECK (object_kind IN ('school', 'church', 'playground')),
    min_m       REAL NOT NULL CHECK (min_m > 0),
    method      TEXT NOT NULL CHECK (method IN ('straight', 'path')),
    categories  TEXT NOT NULL DEFAULT 'ABC',
    sale        TEXT CHECK (sale IS NULL OR sale IN ('on', 'off')),
    resolution  TEXT NOT NULL
);

-- The night-time ban on off-premises sale (art. 12 ust. 1a: between 22:00 and 6:00 at most).
CREATE TABLE permits_night_ban (
    id         INTEGER PRIMARY KEY,
    from_hm    TEXT NOT NULL,
    to_hm      TEXT NOT NULL,
    unit       TEXT,
    resolution TEXT NOT NULL
);

-- Protected objects: the point is the entrance the distance is measured from.
CREATE TABLE permits_protected (
    id   INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('school', 'church', 'playground')),
    name TEXT NOT NULL
);
SELECT AddGeometryColumn('permits_protected', 'geom', 2180, 'POINT', 'XY');
SELECT CreateSpatialIndex('permits_protected', 'geom');

-- Which plan zones admit retail (handel) or catering (gastronomia), by symbol: the sale of alcohol needs a
-- shop or a bar there. Data, with its source and uncertainty; kind 'mpzp' (2021 regulation on the scope
-- of an MPZP) or 'pog' (2023 regulation on the general plan). verdict: allowed, conditional, forbidden.
CREATE TABLE permits_zone_uses (
    kind        TEXT NOT NULL CHECK (kind IN ('mpzp', 'pog')),
    symbol      TEXT NOT NULL,
    use         TEXT NOT NULL CHECK (use IN ('retail', 'catering')),
    verdict     TEXT NOT NULL CHECK (verdict IN ('allowed', 'conditional', 'forbidden')),
    source      TEXT NOT NULL,
    uncertainty TEXT NOT NULL CHECK (uncertainty IN ('low', 'medium', 'high')),
    PRIMARY KEY (kind, symbol, use)
);
INSERT INTO permits_zone_uses VALUES
 ('mpzp', 'U', 'retail', 'allowed', 'U: tereny zabudowy usługowej', 'low'),
 ('mpzp', 'U', 'catering', 'allowed', 'U: tereny zabudowy usługowej', 'low'),
 ('mpzp', 'MW', 'retail', 'conditional', 'MW: usługi zwykle dopuszczone w parterach budynków wielorodzinnych', 'medium'),
 ('mpzp', 'MW', 'catering', 'conditional', 'MW: usługi zwykle dopuszczone w parterach budynków wielorodzinnych', 'medium'),
 ('mpzp', 'MN', 'retail', 'conditional', 'MN: usługi zwykle jako uzupełniające, ograniczonej powierzchni', 'high'),
 ('mpzp', 'MN', 'catering', 'conditional', 'MN: usługi zwykle jako uzupełniające, ograniczonej powierzchni', 'high'),
 ('mpzp', 'RM', 'retail', 'conditional', 'RM: zabudowa zagrodowa; drobne usługi bywają dopuszczone', 'high'),
 ('mpzp', 'RM', 'catering', 'conditional', 'RM: zabudowa zagrodowa; agroturystyka bywa dopuszczona', 'high'),
 ('mpzp', 'US', 'retail', 'conditional', 'US: usługi sportu; handel towarzyszący', 'high'),
 ('mpzp', 'US', 'catering', 'conditional', 'US: usługi sportu; gastronomia towarzysząca', 'medium'),
 ('mpzp', 'UO', 'retail', 'forbidden', 'UO: usługi oświaty', 'low'),
 ('mpzp', 'UO', 'catering', 'forbidden', 'UO: usługi oświaty', 'low'),
 ('mpzp', 'P', 'retail', 'conditional', 'P: produkcja, składy; handel hurtowy lub przyzakładowy', 'high'),
 ('mpzp', 'P', 'catering', 'forbidden', 'P: produkcja, składy', 'medium'),
 ('mpzp', 'ZP', 'retail', 'forbidden', 'ZP: zieleń urządzona', 'low'),
 ('mpzp', 'ZP', 'catering', 'conditional', 'ZP: zieleń urządzona; obiekty małej gastronomii bywają dopuszczone', 'high'),
 ('mpzp', 'ZI', 'retail', 'forbidden', 'ZI: zieleń izolacyjna', 'low'),
 ('mpzp', 'ZI', 'catering', 'forbidden', 'ZI: zieleń izolacyjna', 'low'),
 ('mpzp', 'R', 'retail', 'forbidden', 'R: tereny rolnicze', 'low'),
 ('mpzp', 'R', 'catering', 'forbidden', 'R: tereny rolnicze', 'low'),
 ('mpzp', 'E', 'retail', 'forbidden', 'E: infrastruktura elektroenergetyczna', 'low'),
 ('mpzp', 'E', 'catering', 'forbidden', 'E: infrastruktura elektroenergetyczna', 'low'),
 ('mpzp', 'KDD', 'retail', 'forbidden', 'KDD: droga dojazdowa', 'low'),
 ('mpzp', 'KDD', 'catering', 'forbidden', 'KDD: droga dojazdowa', 'low'),
 ('mpzp', 'KDL', 'retail', 'forbidden', 'KDL: droga lokalna', 'low'),
 ('mpzp', 'KDL', 'catering', 'forbidden', 'KDL: droga lokalna', 'low'),
 ('pog', 'SW', 'retail', 'conditional', 'SW: strefa wielofunkcyjna z zabudową mieszkaniową wielorodzinną', 'medium'),
 ('pog', 'SW', 'catering', 'conditional', 'SW: strefa wielofunkcyjna z zabudową mieszkaniową wielorodzinną', 'medium'),
 ('pog', 'SJ', 'retail', 'conditional', 'SJ: strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną', 'medium'),
 ('pog', 'SJ', 'catering', 'conditional', 'SJ: strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną', 'medium'),
 ('pog', 'SZ', 'retail', 'conditional', 'SZ: strefa wielofunkcyjna z zabudową zagrodową', 'high'),
 ('pog', 'SZ', 'catering', 'conditional', 'SZ: strefa wielofunkcyjna z zabudową zagrodową', 'high'),
 ('pog', 'SU', 'retail', 'conditional', 'SU: strefa usługowa (POG nie przesądza o działce)', 'medium'),
 ('pog', 'SU', 'catering', 'conditional', 'SU: strefa usługowa (POG nie przesądza o działce)', 'medium'),
 ('pog', 'SH', 'retail', 'conditional', 'SH: strefa handlu wielkopowierzchniowego', 'medium'),
 ('pog', 'SP', 'retail', 'conditional', 'SP: strefa gospodarcza', 'high'),
 ('pog', 'SP', 'catering', 'conditional', 'SP: strefa gospodarcza', 'high'),
 ('pog', 'SR', 'retail', 'forbidden', 'SR: strefa produkcji rolniczej', 'medium'),
 ('pog', 'SR', 'catering', 'forbidden', 'SR: strefa produkcji rolniczej', 'medium'),
 ('pog', 'SN', 'retail', 'forbidden', 'SN: strefa zieleni i rekreacji', 'medium'),
 ('pog', 'SN', 'catering', 'conditional', 'SN: strefa zieleni i rekreacji', 'high'),
 ('pog', 'SO', 'retail', 'forbidden', 'SO: strefa otwarta', 'low'),
 ('pog', 'SO', 'catering', 'forbidden', 'SO: strefa otwarta', 'low'),
 ('pog', 'SI', 'retail', 'forbidden', 'SI: strefa infrastrukturalna', 'low'),
 ('pog', 'SI', 'catering', 'forbidden', 'SI: strefa infrastrukturalna', 'low');

-- Applications: one per case (gis/case_store.h, module 'permits'); the clerk's steps recorded here:
-- the GKRPA opinion (art. 18 ust. 3a), the limit check (art. 12) and the decision (a sealed PDF).
CREATE TABLE permits_applications (
    case_id        TEXT PRIMARY KEY,
    outlet_id      INTEGER NOT NULL REFERENCES permits_outlets (id),
    category       TEXT NOT NULL CHECK (category IN ('A', 'B', 'C')),
    one_off        INTEGER NOT NULL DEFAULT 0,
    event          TEXT,
    valid_from     TEXT NOT NULL,
    valid_to       TEXT NOT NULL,
    opinion        TEXT CHECK (opinion IS NULL OR opinion IN ('positive', 'negative')),
    opinion_note   TEXT,
    opinion_on     TEXT,
    check_ok       INTEGER,
    check_json     TEXT,
    checked_on     TEXT,
    permit_id      INTEGER REFERENCES permits_permits (id),
    decision_pdf   BLOB,
    decision_sha256 TEXT
);
