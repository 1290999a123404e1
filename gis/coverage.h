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

struct gis_coverage_opts {
    double tolerance_m2;        /* gaps/overlaps up to this are warnings (…-DROBNA/-DROBNE), above errors */
    enum gis_severity overlap;  /* severity of NAKLADANIE (errors for POG zones, warnings for MPZP zones) */
    const char *file;           /* named in the findings; may be NULL */
    const char *plan;           /* the plan's name for messages; may be NULL */
    const char *reference_what; /* whose boundary the reference is, in the genitive ("aktu X", "gminy") */
};

/* Checks n zones (polygonal, EPSG:2180; names[i] is how zone i is reported) against reference (may be
 * NULL: then only overlaps are checked). Reports LUKA / LUKA-DROBNA for uncovered parts of the reference
 * with their area and a point inside, NAKLADANIE / NAKLADANIE-DROBNE for overlapping pairs with the area,
 * POZA-GRANICA-PLANU for parts of zones outside the reference. The geometries are not consumed.
 * *overlaps (may be NULL) gets the number of overlapping pairs reported. */
enum err_code gis_coverage_check(GEOSContextHandle_t h, GEOSGeometry *const *zones, const char *const *names, size_t n,
                                 const GEOSGeometry *reference, const struct gis_coverage_opts *o,
                                 struct gis_report *rp, long *overlaps, struct err *e);

/* The gmina's territory prepared for many tests: boundary (not consumed) widened by tolerance_m. */
struct gis_territory;
struct gis_territory *gis_territory_new(GEOSContextHandle_t h, const GEOSGeometry *boundary, double tolerance_m);
/* True when g lies within the territory. Otherwise *outside_m2 gets the area of g outside the boundary
 * (0 for points and lines) and pt a point of g outside it. */
bool gis_territory_holds(struct gis_territory *t, const GEOSGeometry *g, double *outside_m2, double pt[2]);
void gis_territory_free(struct gis_territory *t);

#endif
