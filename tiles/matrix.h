/* The WebMercatorQuad tile matrix set (EPSG:3857, 256-px tiles, XYZ numbering with y down from the
 * north): strict parsing of z/x/y from untrusted paths, tile extents and tile ranges over a box. The
 * tile_grid_ functions do the same for either of the two grids tiles are served in. */
#ifndef TILES_MATRIX_H
#define TILES_MATRIX_H
#include <stdbool.h>

#include "util/err.h"

/* The highest zoom level served (documented in docs/api.md). */
#define TILE_MAX_ZOOM 22
/* Half the side of the Web Mercator square, metres. */
#define TILE_ORIGIN 20037508.342789244

/* Parses s as a whole decimal integer in [0, max]: digits only (no sign, no spaces, at most 9 digits).
 * Returns false on anything else. */
bool tile_parse_index(const char *s, long max, long *out);

/* Checks z in [0, TILE_MAX_ZOOM] and x, y in [0, 2^z). ERR_INVALID naming the parameter otherwise. */
enum err_code tile_check(int z, long x, long y, struct err *e);

/* The extent of tile z/x/y in EPSG:3857 (minx, miny, maxx, maxy). */
void tile_bounds(int z, long x, long y, double out[4]);

/* The side of a tile at zoom z in EPSG:3857 metres. */
double tile_size(int z);

/* The tiles at zoom z whose extent, grown by buf (EPSG:3857 metres) on every side, overlaps the box b
 * (EPSG:3857) with a positive area: out = {xmin, ymin, xmax, ymax}, inclusive, clamped to the matrix.
 * Returns false when there is none. */
bool tile_range(int z, const double b[4], double buf, long out[4]);

/* The grids (tile matrix sets) of the tiles: WebMercatorQuad, and WorldCRS84Quad (OGC 17-083r4, D.2): CRS84
 * longitude and latitude in degrees, 2^(z+1) columns and 2^z rows of 256-px tiles 180/2^z degrees on a
 * side, numbered from (-180, 90) to the east and the south. */
enum tile_grid { TILE_GRID_WEBMERCATOR, TILE_GRID_CRS84 };

/* Columns of grid g at zoom z (rows are 1 << z in both). */
long tile_grid_cols(enum tile_grid g, int z);

/* tile_check, tile_bounds and tile_range in grid g, in its CRS's units (EPSG:3857 metres or degrees). */
enum err_code tile_grid_check(enum tile_grid g, int z, long x, long y, struct err *e);
void tile_grid_bounds(enum tile_grid g, int z, long x, long y, double out[4]);
bool tile_grid_range(enum tile_grid g, int z, const double b[4], double buf, long out[4]);

/* The side of a tile of grid g at zoom z, in its CRS's units. */
double tile_grid_size(enum tile_grid g, int z);

#endif
