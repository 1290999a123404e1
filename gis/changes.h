/* Change tracking for the tile caches, for every writer of a spatial table (modules and core alike).
 * Every write of a table behind a tileset must add one row to `changes` (data/migrations/002) with the
 * bbox, in EPSG:2180, of all it inserted, replaced or deleted (old and new geometries), in the writing
 * transaction; the tile caches then drop exactly the tiles it touched. gis_changes_track does that for any
 * table with a `geom` column, so no module writes triggers by hand:
 *
 *     static enum err_code zones_write(struct gis_store *w, void *ctx, struct err *e) { ...INSERT... }
 *     gis_changes_track(w, "waste_zones", zones_write, ctx, e);   (inside svc_tenant_write's fn)
 *
 * It works with temporary triggers on the writer's connection, created and dropped around fn. */
#ifndef GIS_CHANGES_H
#define GIS_CHANGES_H
#include "gis/store.h"
#include "util/err.h"

/* Runs fn(w, ctx, e) inside the caller's open transaction on the writer w while recording the bbox of every
 * geometry written to table (a trusted name: a static string of the caller). When fn succeeds and
 * wrote any geometry, adds the row of `changes` (tbl = table); when it fails, records nothing and
 * returns its error. table must have a `geom` column. */
enum err_code gis_changes_track(struct gis_store *w, const char *table,
                                enum err_code (*fn)(struct gis_store *w, void *ctx, struct err *e), void *ctx,
                                struct err *e);

/* The same with the row dated at (ISO 8601 UTC, "2026-05-04T10:00:00Z"; NULL: the time of the write's end)
 * instead: a file import dates its change by its start, as its row of `imports`. */
enum err_code gis_changes_track_at(struct gis_store *w, const char *table, const char *at,
                                   enum err_code (*fn)(struct gis_store *w, void *ctx, struct err *e), void *ctx,
                                   struct err *e);

/* The change log as its readers (the tile caches) see it: calls fn for each row of `changes` with
 * after < id <= upto, in id order, with its bbox in EPSG:2180 (minx, miny, maxx, maxy), or NULL when the
 * row has none or an empty one. Stops at the first error fn returns, and returns it. */
enum err_code gis_changes_each(struct gis_store *s, long long after, long long upto,
                               enum err_code (*fn)(long long id, const double *bbox, void *ctx, struct err *e),
                               void *ctx, struct err *e);

#endif
