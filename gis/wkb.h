/* Reading WKB in place: a walk over a geometry's point sequences. Shared by the renderer, the MVT encoder, the wyrys
 * and point-in-polygon lookups, which all read geometries straight from SpatiaLite's AsBinary() without building GEOS
 * objects. */
#ifndef GIS_WKB_H
#define GIS_WKB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What gis_wkb_walk calls: part() before each point sequence, with its kind (1 a point, 2 a line string,
 * 3 a polygon ring), its number of points n and whether it is a polygon's exterior ring; then point() n
 * times. Either may return false to stop the walk. */
struct gis_wkb_visitor {
    bool (*part)(void *ctx, int kind, uint32_t n, bool shell);
    bool (*point)(void *ctx, double x, double y);
};

/* Walks a Point, LineString, Polygon or one of their Multi forms (2D, or ISO Z/M/ZM, whose extra
 * ordinates are skipped; either byte order). False when the bytes are truncated or not such a geometry
 * (at most 100,000 rings a polygon and 1,000,000 parts a multi), or when the visitor stops it. */
bool gis_wkb_walk(const unsigned char *wkb, size_t len, const struct gis_wkb_visitor *v, void *ctx);

#endif
