-- 002: where the data changed, for the tile caches. Every import (and later every edit) adds one row
-- with the bbox, in EPSG:2180, of everything it inserted, replaced or deleted (old and new geometry),
-- inside its own transaction. A tile cache remembers the last id it applied and deletes exactly the
-- cached tiles, at every zoom, whose extent plus the render buffer intersects a newer row's bbox.
CREATE TABLE changes (
    id   INTEGER PRIMARY KEY,
    tbl  TEXT NOT NULL,
    minx REAL,
    miny REAL,
    maxx REAL,
    maxy REAL,
    at   TEXT NOT NULL
);
