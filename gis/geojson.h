/* GeoJSON geometries written straight from the store's WKB (EPSG:2180), for OGC API Features. */
#ifndef GIS_GEOJSON_H
#define GIS_GEOJSON_H
#include <stddef.h>

#include "gis/crs.h"
#include "util/buf.h"
#include "util/err.h"

/* Appends the GeoJSON geometry object of a WKB geometry stored in EPSG:2180 (traditional order),
 * transformed to `to` with the axes in that CRS's authority order (as OGC API Features' crs parameter
 * asks), with 7 decimals for degrees and 2 for metres, trailing zeros left out. Point, LineString,
 * Polygon and their Multi forms; ERR_INVALID for other or damaged bytes (nothing appended), or when a point
 * cannot be transformed. */
enum err_code gis_geojson_from_wkb(struct buf *out, const unsigned char *wkb, size_t len, enum gis_crs to,
                                   struct err *e);
#endif
