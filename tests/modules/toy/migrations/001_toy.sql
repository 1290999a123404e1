-- The toy module's one table: sites, each a polygon with a name and a kind.
CREATE TABLE toy_sites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);
SELECT AddGeometryColumn('toy_sites', 'geom', 2180, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('toy_sites', 'geom');
