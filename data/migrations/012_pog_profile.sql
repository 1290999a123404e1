-- 013: what the plan ogólny (POG) sets besides the zones' four parameters (art. 13a-13f u.p.z.p. as amended
-- in 2023; APP 2.0 StrefaPlanistyczna, ObszarUzupelnieniaZabudowy, ObszarStandardowDostepnosci...):
--  * each zone's profil funkcjonalny: the land-use classes (KPT codes of the rozporządzenie of 8 December
--    2023, data/codelists/kpt.tsv) of its profil podstawowy and profil dodatkowy, space-separated
--    ("MN U K ZP ZD I"); NULL basic profile: the zone type's whole basic profile (pog_zone_types.tsv);
--  * the zone-specific provisions of the resolution (text, paragraphs separated by an empty line);
--  * the obszary uzupełnienia zabudowy (OUZ), where a WZ decision may be issued;
--  * the areas of the gminne standardy dostępności infrastruktury społecznej with their distances.
ALTER TABLE pog_zones ADD COLUMN profile_basic TEXT;
ALTER TABLE pog_zones ADD COLUMN profile_extra TEXT;
ALTER TABLE pog_zones ADD COLUMN provisions TEXT;

CREATE TABLE pog_ouz (
    id      INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    iip     TEXT UNIQUE,     -- APP idIIP: przestrzenNazw/lokalnyId
    version TEXT,            -- wersjaId
    label   TEXT             -- oznaczenie, may be NULL
);
SELECT AddGeometryColumn('pog_ouz', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('pog_ouz', 'geom');
CREATE INDEX pog_ouz_plan ON pog_ouz (plan_id);

-- Gminne standardy dostępności infrastruktury społecznej (art. 13f): the greatest distances (metres, from
-- the parcel's boundary) and areas (m²) the POG sets for the area; NULL where it sets none.
CREATE TABLE pog_standards (
    id                      INTEGER PRIMARY KEY,
    plan_id                 INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    iip                     TEXT UNIQUE,
    version                 TEXT,
    label                   TEXT,
    exclude_farmsteads      INTEGER NOT NULL DEFAULT 0,  -- wyłączenie zabudowy zagrodowej (art. 13f ust. 7 pkt 5)
    school_m                REAL,   -- szkoła podstawowa (art. 13f ust. 2)
    green_areas_m           REAL,   -- obszary zieleni publicznej (art. 13f ust. 3 pkt 1)
    green_areas_total_m2    REAL,
    green_area_m            REAL,   -- obszar zieleni publicznej (art. 13f ust. 3 pkt 2)
    green_area_m2           REAL,
    kindergarten_m          REAL,
    nursery_m               REAL,
    clinic_m                REAL,
    library_m               REAL,
    culture_m               REAL,
    social_m                REAL,
    sport_m                 REAL,
    stop_m                  REAL,
    post_m                  REAL,
    pharmacy_m              REAL,
    police_m                REAL,
    fire_m                  REAL
);
SELECT AddGeometryColumn('pog_standards', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('pog_standards', 'geom');
CREATE INDEX pog_standards_plan ON pog_standards (plan_id);
