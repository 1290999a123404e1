/* Coordinate reference systems odra speaks, and transforms between them (PROJ).
 * Axis order: every coordinate array here is in "traditional GIS order", x = easting or longitude,
 * y = northing or latitude, whatever the authority says. Code that reads or writes coordinates at a
 * boundary (WMS 1.3.0 BBOX, OGC API crs output, GML) asks gis_crs_north_first() and swaps there. */
#ifndef GIS_CRS_H
#define GIS_CRS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum gis_crs {
    GIS_CRS_NONE = 0,
    GIS_CRS_CRS84, /* OGC CRS84: WGS 84 lon, lat */
    GIS_CRS_4326,  /* EPSG:4326: WGS 84, lat, lon by authority */
    GIS_CRS_2180,  /* PUWG 1992: the storage CRS; northing first by authority */
    GIS_CRS_2176,  /* PL-2000 zone 5 (15°E): local cadastre; northing first by authority */
    GIS_CRS_3857,  /* Web Mercator: easting first */
};

/* Parses "EPSG:2180", "http://www.opengis.net/def/crs/EPSG/0/2180", "CRS:84", the OGC CRS84 URI,
 * "urn:ogc:def:crs:EPSG::4326" and friends. Returns GIS_CRS_NONE for anything else. */
enum gis_crs gis_crs_parse(const char *s);

/* The OGC URI, e.g. "http://www.opengis.net/def/crs/EPSG/0/2180". Static. */
const char *gis_crs_uri(enum gis_crs c);

/* The short name, e.g. "EPSG:2180" or "CRS:84". Static. */
const char *gis_crs_name(enum gis_crs c);

/* EPSG code (4326 for CRS84). */
int gis_crs_epsg(enum gis_crs c);

/* True when the authority axis order is northing/latitude first (EPSG:4326, 2180, 2176). */
bool gis_crs_north_first(enum gis_crs c);

/* Transforms n points in place, xy = {x0, y0, x1, y1, ...} in traditional GIS order. Uses the calling
 * thread's PROJ context and a cache of transforms. A point PROJ cannot transform is an ERR_INVALID. */
enum err_code gis_crs_transform(enum gis_crs from, enum gis_crs to, double *xy, size_t n, struct err *e);

/* Transforms a bounding box (minx, miny, maxx, maxy, traditional order) to the bbox of its image,
 * sampling the edges so curved edges are covered. */
enum err_code gis_crs_transform_bbox(enum gis_crs from, enum gis_crs to, const double in[4], double out[4],
                                     struct err *e);

/* Frees the calling thread's PROJ state (also done automatically when the thread exits). */
void gis_crs_thread_cleanup(void);

#endif
