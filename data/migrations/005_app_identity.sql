-- 005: APP identifiers and versions, the history of replaced versions, and the gmina's territory.

-- The APP version (wersjaId) of a plan; its idIIP is plans.iip ("przestrzenNazw/lokalnyId").
ALTER TABLE plans ADD COLUMN version TEXT;

-- The idIIP ("przestrzenNazw/lokalnyId") and wersjaId of a POG zone. Zones of a plan with an iip get
-- "<plan iip>-<label>" when their source has none (the APP convention of the samples: 1POG-1SJ).
ALTER TABLE pog_zones ADD COLUMN iip TEXT;
ALTER TABLE pog_zones ADD COLUMN version TEXT;
UPDATE pog_zones SET iip = (SELECT p.iip || '-' || pog_zones.label FROM plans p WHERE p.id = pog_zones.plan_id)
 WHERE iip IS NULL;
CREATE UNIQUE INDEX pog_zones_iip ON pog_zones (iip);

-- Versions replaced by an import of a newer wersjaId of the same object: the old row's columns as JSON
-- and its geometry, so nothing an office once published is lost.
CREATE TABLE app_history (
    id          INTEGER PRIMARY KEY,
    tbl         TEXT NOT NULL,   -- 'plans' or 'pog_zones'
    iip         TEXT NOT NULL,   -- przestrzenNazw/lokalnyId
    version     TEXT,            -- the replaced wersjaId (NULL: the row had none)
    replaced_by TEXT NOT NULL,   -- the wersjaId that replaced it
    replaced_at TEXT NOT NULL,   -- ISO 8601 UTC
    attrs       TEXT NOT NULL,   -- the old row without its geometry, as a JSON object
    geom        BLOB             -- the old geometry (SpatiaLite BLOB, EPSG:2180)
);
CREATE INDEX app_history_iip ON app_history (iip, id);

-- The gmina's territory: what /locate and the other point lookups consider the gmina, and what every
-- imported geometry must lie within. Only `odra demo` and `odra boundary` write it; no import does.
-- Stores from before this migration get the territory they had: their POG plans and obręby.
CREATE TABLE gmina_boundary (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL,        -- where it came from (a file name, "odra demo", this migration)
    set_at TEXT NOT NULL
);
SELECT AddGeometryColumn('gmina_boundary', 'geom', 2180, 'MULTIPOLYGON', 'XY');
INSERT INTO gmina_boundary (id, source, set_at, geom)
SELECT 1, 'migration 005: POG plans and obręby', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), g
  FROM (SELECT CastToMultiPolygon(ST_Union(geom)) AS g
          FROM (SELECT geom FROM plans WHERE kind = 'pog' AND geom IS NOT NULL
                UNION ALL SELECT geom FROM obreby WHERE geom IS NOT NULL))
 WHERE g IS NOT NULL;
