-- 001: the spatial core. All geometries are EPSG:2180 (PUWG 1992); the stored axis order is
-- SpatiaLite's x = easting, y = northing, whatever the authority order of the CRS.
SELECT InitSpatialMetadata('NONE');
SELECT InsertEpsgSrid(2180);
SELECT InsertEpsgSrid(2176);
SELECT InsertEpsgSrid(4326);
SELECT InsertEpsgSrid(3857);

-- Facts about the store itself: tenant slug, TERYT, demo seed, import history summary.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Cadastral districts. unit is the jednostka ewidencyjna ("080505_4"), number the 4-digit obręb.
CREATE TABLE obreby (
    id     INTEGER PRIMARY KEY,
    unit   TEXT NOT NULL,
    number TEXT NOT NULL,
    name   TEXT NOT NULL,
    UNIQUE (unit, number)
);
SELECT AddGeometryColumn('obreby', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('obreby', 'geom');

-- Parcels (działki ewidencyjne). parcel_id is the full EGiB identifier "080505_4.0001.123/4".
CREATE TABLE parcels (
    id        INTEGER PRIMARY KEY,
    parcel_id TEXT NOT NULL UNIQUE,
    obreb_id  INTEGER NOT NULL REFERENCES obreby (id),
    number    TEXT NOT NULL,
    area_m2   REAL NOT NULL,
    land_use  TEXT            -- EGiB land-use class as free text ("B", "R", "Ls", "dr", ...)
);
SELECT AddGeometryColumn('parcels', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('parcels', 'geom');
CREATE INDEX parcels_obreb_number ON parcels (obreb_id, number);

-- Localities (miejscowości) keyed by TERYT SIMC where known.
CREATE TABLE localities (
    id          INTEGER PRIMARY KEY,
    simc        TEXT UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- "miasto", "wieś", "osada", ...
    postal_code TEXT
);
SELECT AddGeometryColumn('localities', 'geom', 2180, 'POINT', 'XY');

-- Streets keyed by TERYT ULIC where known. prefix is "ul.", "al.", "pl." or "os."; name has no prefix.
CREATE TABLE streets (
    id          INTEGER PRIMARY KEY,
    ulic        TEXT,
    locality_id INTEGER NOT NULL REFERENCES localities (id),
    prefix      TEXT NOT NULL DEFAULT 'ul.',
    name        TEXT NOT NULL,
    UNIQUE (locality_id, name)
);
SELECT AddGeometryColumn('streets', 'geom', 2180, 'MULTILINESTRING', 'XY');
SELECT CreateSpatialIndex('streets', 'geom');

-- Address points (PRG / EMUiA). street_id is NULL for village addresses without a street.
CREATE TABLE addresses (
    id          INTEGER PRIMARY KEY,
    locality_id INTEGER NOT NULL REFERENCES localities (id),
    street_id   INTEGER REFERENCES streets (id),
    number      TEXT NOT NULL,   -- house number, may carry a letter: "12a"
    postal_code TEXT,
    parcel_id   TEXT             -- EGiB id of the parcel it stands on, when known
);
SELECT AddGeometryColumn('addresses', 'geom', 2180, 'POINT', 'XY');
SELECT CreateSpatialIndex('addresses', 'geom');
CREATE INDEX addresses_street ON addresses (street_id, number);
CREATE INDEX addresses_locality ON addresses (locality_id, number);

-- Buildings (BDOT10k / EGiB style).
CREATE TABLE buildings (
    id          INTEGER PRIMARY KEY,
    building_id TEXT UNIQUE,
    function    TEXT,            -- "mieszkalny", "gospodarczy", "usługowy", "przemysłowy", ...
    storeys     INTEGER
);
SELECT AddGeometryColumn('buildings', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('buildings', 'geom');

-- Planning acts: MPZP (kind 'mpzp') and the general plan (kind 'pog'). geom is the plan's boundary.
CREATE TABLE plans (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('mpzp', 'pog')),
    iip             TEXT UNIQUE,     -- APP idIIP: przestrzenNazw/lokalnyId
    title           TEXT NOT NULL,
    resolution      TEXT,            -- "Uchwała nr XII/98/2019 Rady Miejskiej w Słubicach z dnia 27 czerwca 2019 r."
    resolution_date TEXT,            -- ISO date
    publication     TEXT,            -- "Dz. Urz. Woj. Lubuskiego z 2019 r. poz. 1734"
    scale           INTEGER,         -- drawing scale denominator, 1000 for 1:1000
    status          TEXT NOT NULL DEFAULT 'obowiązujący',
    valid_from      TEXT,
    valid_to        TEXT
);
SELECT AddGeometryColumn('plans', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('plans', 'geom');

-- MPZP zones (tereny): label "1MN", symbol "MN", and the numeric parameters of the detailed provisions.
CREATE TABLE plan_zones (
    id                 INTEGER PRIMARY KEY,
    plan_id            INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    label              TEXT NOT NULL,
    symbol             TEXT NOT NULL,
    name               TEXT NOT NULL,
    max_height_m       REAL,
    max_storeys        INTEGER,
    min_intensity      REAL,
    max_intensity      REAL,
    max_coverage_pct   REAL,
    min_bio_pct        REAL,
    min_parcel_area_m2 REAL,
    roof               TEXT,
    UNIQUE (plan_id, label)
);
SELECT AddGeometryColumn('plan_zones', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('plan_zones', 'geom');

-- POG planning zones (strefy planistyczne).
CREATE TABLE pog_zones (
    id               INTEGER PRIMARY KEY,
    plan_id          INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    label            TEXT NOT NULL,  -- oznaczenie, "1SJ"
    symbol           TEXT NOT NULL,  -- "SJ"
    name             TEXT NOT NULL,
    max_intensity    REAL,
    max_coverage_pct REAL,
    max_height_m     REAL,
    min_bio_pct      REAL,
    UNIQUE (plan_id, label)
);
SELECT AddGeometryColumn('pog_zones', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('pog_zones', 'geom');

-- Overlays that cross zones: conservation, flood risk, protection of water intakes, ...
CREATE TABLE overlays (
    id      INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,           -- "konserwatorska", "powodziowa", ...
    label   TEXT NOT NULL,
    name    TEXT NOT NULL
);
SELECT AddGeometryColumn('overlays', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('overlays', 'geom');

-- Provision texts in order: general (whole plan), per zone, per overlay.
CREATE TABLE provisions (
    id         INTEGER PRIMARY KEY,
    plan_id    INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL CHECK (scope IN ('general', 'zone', 'overlay')),
    zone_id    INTEGER REFERENCES plan_zones (id) ON DELETE CASCADE,
    overlay_id INTEGER REFERENCES overlays (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    heading    TEXT,
    body       TEXT NOT NULL,
    CHECK ((scope = 'zone') = (zone_id IS NOT NULL)),
    CHECK ((scope = 'overlay') = (overlay_id IS NOT NULL))
);
CREATE INDEX provisions_plan ON provisions (plan_id, scope, ord);
CREATE INDEX provisions_zone ON provisions (zone_id);

-- Natural features for the map: rivers, forests, water. Not cadastral.
CREATE TABLE landcover (
    id    INTEGER PRIMARY KEY,
    kind  TEXT NOT NULL,    -- "river", "forest", "water", "meadow"
    name  TEXT
);
SELECT AddGeometryColumn('landcover', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('landcover', 'geom');

-- One row per import run, for the administrator.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    source      TEXT NOT NULL,
    collection  TEXT NOT NULL,
    read        INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    repaired    INTEGER NOT NULL,
    rejected    INTEGER NOT NULL
);
