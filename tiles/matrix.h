/* The WebMercatorQuad tile matrix set (EPSG:3857, 256-px tiles, XYZ numbering with y down from the
 * north): strict parsing of z/x/y from untrusted paths, tile extents and tile ranges over a box. */
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

#endif
