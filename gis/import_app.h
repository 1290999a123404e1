/* The import's rules that need the store, run inside the import's transaction: APP identities and
 * versions (with the history of replaced versions), the coverage of POG plans by their zones as they
 * stand after the import, and the gmina's territory. Used by gis/import.c only. */
#ifndef GIS_IMPORT_APP_H
#define GIS_IMPORT_APP_H
#include <geos_c.h>

#include "gis/app_validate.h"
#include "gis/report.h"
#include "gis/store.h"
#include "util/err.h"

/* Checks every APP object of feature type `type` in scan against table ("plans" or "pog_zones") of the
 * store w: a lokalnyId held by an object of the other table, or by the same object in the same or a
 * newer version, is LOKALNYID-W-BAZIE; a newer wersjaId replaces the old version (NOWA-WERSJA), whose
 * row goes to app_history (zones are deleted, so the new version is inserted; plans are updated in place
 * by the import, so their zones stay linked); a designation another zone of the same plan holds in the
 * store is DUPLIKAT-OZNACZENIE. now is the import's start (ISO 8601). */
enum err_code import_app_identities(struct gis_store *w, const struct app_scan *scan, const char *type,
                                    const char *table, const char *now, struct gis_report *rp, struct err *e);

/* The gmina's territory (gmina_boundary), or NULL when the store has none. */
GEOSGeometry *import_app_boundary(struct gis_store *w, GEOSContextHandle_t h, struct err *e);

/* Checks the coverage of each POG plan in plans (row ids; n of them) by its zones as they are in the store
 * now: against the plan's boundary, or gmina (may be NULL) when the plan has none (a placeholder), with
 * gis_coverage_check. *overlaps (may be NULL) counts the overlapping pairs. */
enum err_code import_app_coverage(struct gis_store *w, GEOSContextHandle_t h, const long long *plans, size_t n,
                                  const GEOSGeometry *gmina, double tolerance_m2, const char *file,
                                  struct gis_report *rp, long *overlaps, struct err *e);

#endif
