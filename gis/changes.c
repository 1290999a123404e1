/* Change tracking for the tile caches by temporary triggers (see gis/changes.h). */
#include "gis/changes.h"

#include "gis/store_sql.h"

#include <stdbool.h>
#include <stdio.h>

/* Starts gathering the bbox of every geometry written to table, inside the caller's transaction. */
static enum err_code changes_begin(struct gis_store *w, const char *table, struct err *e)
{
    static const char *const acc = "UPDATE odra_chg_bbox SET minx = min(minx, coalesce(MbrMinX(%1$s.geom), 1e300)), "
                                   "miny = min(miny, coalesce(MbrMinY(%1$s.geom), 1e300)), "
                                   "maxx = max(maxx, coalesce(MbrMaxX(%1$s.geom), -1e300)), "
                                   "maxy = max(maxy, coalesce(MbrMaxY(%1$s.geom), -1e300));";
    char up_new[400], up_old[400], sql[2048];
    snprintf(up_new, sizeof up_new, acc, "new");
    snprintf(up_old, sizeof up_old, acc, "old");
    int n = snprintf(sql, sizeof sql,
                     "CREATE TEMP TABLE IF NOT EXISTS odra_chg_bbox (minx REAL, miny REAL, maxx REAL, maxy REAL);"
                     "DELETE FROM temp.odra_chg_bbox;"
                     "INSERT INTO temp.odra_chg_bbox VALUES (1e300, 1e300, -1e300, -1e300);"
                     "CREATE TEMP TRIGGER odra_chg_i AFTER INSERT ON \"%s\" BEGIN %s END;"
                     "CREATE TEMP TRIGGER odra_chg_u AFTER UPDATE OF geom ON \"%s\" BEGIN %s %s END;"
                     "CREATE TEMP TRIGGER odra_chg_d AFTER DELETE ON \"%s\" BEGIN %s END;",
                     table, up_new, table, up_old, up_new, table, up_old);
    if (n < 0 || (size_t)n >= sizeof sql)
        return err_set(e, ERR_INTERNAL, "change tracking: table name too long");
    return gis_store_exec(w, sql, e);
}

/* Drops the triggers (after a failure: ok = false) and, after a successful write, adds the row of
 * `changes`, dated at (now when NULL). */
static enum err_code changes_end(struct gis_store *w, const char *table, const char *at, bool ok, struct err *e)
{
    struct err ignore = {0};
    gis_store_exec(w,
                   "DROP TRIGGER IF EXISTS temp.odra_chg_i; DROP TRIGGER IF EXISTS temp.odra_chg_u;"
                   "DROP TRIGGER IF EXISTS temp.odra_chg_d;",
                   ok ? e : &ignore);
    if (!ok || e->code)
        return ok ? e->code : ERR_OK;
    sqlite3_stmt *st = NULL;
    if (gis_store_prepare(w,
                          "INSERT INTO changes (tbl, minx, miny, maxx, maxy, at) SELECT ?1, minx, miny, maxx, "
                          "maxy, coalesce(?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) FROM temp.odra_chg_bbox "
                          "WHERE minx <= maxx AND miny <= maxy",
                          &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    if (at)
        sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(e, ERR_IO, "changes: %s", sqlite3_errmsg(gis_store_db(w)));
    return gis_store_exec(w, "DROP TABLE temp.odra_chg_bbox;", e);
}

enum err_code gis_changes_track_at(struct gis_store *w, const char *table, const char *at,
                                   enum err_code (*fn)(struct gis_store *w, void *ctx, struct err *e), void *ctx,
                                   struct err *e)
{
    if (changes_begin(w, table, e))
        return e->code;
    enum err_code rc = fn(w, ctx, e);
    enum err_code rc2 = changes_end(w, table, at, rc == ERR_OK, e);
    return rc ? rc : rc2;
}

enum err_code gis_changes_track(struct gis_store *w, const char *table,
                                enum err_code (*fn)(struct gis_store *w, void *ctx, struct err *e), void *ctx,
                                struct err *e)
{
    return gis_changes_track_at(w, table, NULL, fn, ctx, e);
}

enum err_code gis_changes_each(struct gis_store *s, long long after, long long upto,
                               enum err_code (*fn)(long long id, const double *bbox, void *ctx, struct err *e),
                               void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT id, minx, miny, maxx, maxy FROM changes WHERE id > ? AND id <= ? ORDER BY id", &st,
                          e) != ERR_OK)
        return e->code;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, upto);
    enum err_code rc = ERR_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        double b[4];
        bool null = false;
        for (int k = 0; k < 4; k++) {
            null |= sqlite3_column_type(st, 1 + k) == SQLITE_NULL;
            b[k] = sqlite3_column_double(st, 1 + k);
        }
        rc = fn(sqlite3_column_int64(st, 0), !null && b[2] >= b[0] && b[3] >= b[1] ? b : NULL, ctx, e);
    }
    sqlite3_finalize(st);
    return rc;
}
