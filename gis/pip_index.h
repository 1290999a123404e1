/* Point in polygon on WKB read in place (2D, or ISO Z/M/ZM, in either byte order), without building a
 * GEOS geometry: for point lookups on large polygons, where a GEOS geometry costs far more. */
#ifndef GIS_PIP_INDEX_H
#define GIS_PIP_INDEX_H
#include <stddef.h>

/* Where point (x, y) lies against a Polygon or MultiPolygon: 1 inside, 2 on the boundary (within 1 mm),
 * 0 outside or not a polygon. Allocates nothing. */
int gis_pip_wkb_locate(const unsigned char *wkb, size_t len, double x, double y);

/* The same test prepared for many points on one polygon: its edges bucketed into horizontal bands.
 * gis_pip_build returns NULL when wkb is not a (Multi)Polygon or memory runs out. */
struct gis_pip;
struct gis_pip *gis_pip_build(const unsigned char *wkb, size_t len);
int gis_pip_locate(const struct gis_pip *p, double x, double y);
void gis_pip_bbox(const struct gis_pip *p, double bb[4]);
void gis_pip_free(struct gis_pip *p);

#endif
