/* Geometry rules over many features: the coverage of a plan by its zones (gaps, overlaps, parts outside
 * the plan) and the gmina's territory. Near-linear: one unary union per plan, and pairs of zones only
 * through a GEOS STRtree and only when the areas show an overlap. Findings go to a gis_report. */
#ifndef GIS_COVERAGE_H
#define GIS_COVERAGE_H
#include <geos_c.h>
#include <stdbool.h>
#include <stddef.h>

#include "gis/report.h"
#include "util/err.h"

#define GIS_COVERAGE_NOISE_M2 0.01 /* gaps and overlaps below this are rounding, not findings */
/* A gap or overlap thinner than this on average (2 area / perimeter) is a sliver whatever its area: the
 * millimetres by which a reprojection moves a vertex off a long edge of its neighbour (a T-junction, or
 * extra vertices on one side of a shared edge) add up to square metres along kilometres. */
#define GIS_COVERAGE_SLIVER_M 0.01

struct gis_coverage_opts {
    double tolerance_m2;        /* gaps/overlaps up to this are warnings (…-DROBNA/-DROBNE), above errors */
    enum gis_severity overlap;  /* severity of NAKLADANIE (errors for POG zones, warnings for MPZP zones) */
    const char *file;           /* named in the findings; may be NULL */
    const char *plan;           /* the plan's name for messages; may be NULL */
    const char *reference_what; /* whose boundary the reference is, in the genitive ("aktu X", "gminy") */
};

/* The zones of one plan, read one at a time so that a plan of millions of vertices is never in memory
 * whole: get(user, i) returns zone i as a new GEOS geometry (polygonal, EPSG:2180; the caller destroys
 * it) or NULL, name(user, i) how it is reported. Neighbours should be near each other in the order
 * (a space-filling curve): the union is built in batches of consecutive zones. */
struct gis_zone_source {
    size_t n;
    GEOSGeometry *(*get)(void *user, size_t i);
    const char *(*name)(void *user, size_t i);
    void *user;
};

/* Checks the zones of zs against reference (may be NULL: then only overlaps and holes that the zones
 * enclose are checked). Reports LUKA /
 * LUKA-DROBNA for uncovered parts of the reference with their area and a point inside, NAKLADANIE /
 * NAKLADANIE-DROBNE for overlapping pairs with the area, POZA-GRANICA-PLANU for parts of zones outside the
 * reference. The union is built in batches; zones are read again only to say which ones overlap or stick
 * out, and only when the union shows that some do. *overlaps (may be NULL) gets the pairs reported. */
enum err_code gis_coverage_check(GEOSContextHandle_t h, const struct gis_zone_source *zs, const GEOSGeometry *reference,
                                 const struct gis_coverage_opts *o, struct gis_report *rp, long *overlaps,
                                 struct err *e);

/* The gmina's territory prepared for many tests: boundary (not consumed) widened by tolerance_m. */
struct gis_territory;
struct gis_territory *gis_territory_new(GEOSContextHandle_t h, const GEOSGeometry *boundary, double tolerance_m);
/* True when g lies within the territory. Otherwise *outside_m2 gets the area of g outside the boundary
 * (0 for points and lines) and pt a point of g outside it. */
bool gis_territory_holds(struct gis_territory *t, const GEOSGeometry *g, double *outside_m2, double pt[2]);
void gis_territory_free(struct gis_territory *t);

#endif
