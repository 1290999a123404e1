-- 004: georeferenced raster drawings of plans (APP RysunekAktuPlanowaniaPrzestrzennego): the scanned or
-- exported plan drawing as a GeoTIFF, kept in the store itself (so a copy of the store carries it) and
-- opened through GDAL's /vsimem/. The wyrys of a plan with a drawing uses it as the base map.
CREATE TABLE plan_drawings (
    id                INTEGER PRIMARY KEY,
    plan_id           INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,           -- original file name ("rysunek.tif")
    tif               BLOB NOT NULL,           -- the GeoTIFF bytes
    scale_denominator INTEGER,                 -- the drawing's scale (1000); NULL when unknown
    srid              INTEGER NOT NULL,        -- EPSG code of the GeoTIFF (used when the file has no SRS)
    minx REAL, miny REAL, maxx REAL, maxy REAL, -- its extent in EPSG:2180
    created_at        TEXT NOT NULL
);
CREATE INDEX plan_drawings_plan ON plan_drawings (plan_id);

-- the wyrys sheet format an extract was issued in ("A4", "A3-landscape", "A3-portrait"), so its PNG
-- renders the same sheets
ALTER TABLE extracts ADD COLUMN sheet TEXT NOT NULL DEFAULT 'A4';
