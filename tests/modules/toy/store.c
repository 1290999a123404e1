/* The toy module's SQL. */
#include "gis/store_sql.h"
#include "tests/modules/toy/store.h"

#include <sqlite3.h>

enum err_code toy_store_add(struct gis_store *w, const char *name, const char *kind, double x, double y, double half,
                            long long *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO toy_sites (name, kind, geom) "
                          "VALUES (?1, ?2, CastToMultiPolygon(BuildMbr(?3 - ?5, ?4 - ?5, ?3 + ?5, ?4 + ?5, 2180)))",
                          &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, x);
    sqlite3_bind_double(st, 4, y);
    sqlite3_bind_double(st, 5, half);
    enum err_code rc =
        sqlite3_step(st) == SQLITE_DONE ? ERR_OK : err_set(e, ERR_IO, "toy_sites: %s", sqlite3_errmsg(gis_store_db(w)));
    *id = sqlite3_last_insert_rowid(gis_store_db(w));
    sqlite3_finalize(st);
    return rc;
}

enum err_code toy_store_each(struct gis_store *r,
                             void (*fn)(void *ctx, long long id, const char *name, const char *kind), void *ctx,
                             struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(r, "SELECT id, name, kind FROM toy_sites ORDER BY id", &st, e))
        return e->code;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           (const char *)sqlite3_column_text(st, 2));
    enum err_code rc =
        step == SQLITE_DONE ? ERR_OK : err_set(e, ERR_IO, "toy_sites: %s", sqlite3_errmsg(gis_store_db(r)));
    sqlite3_finalize(st);
    return rc;
}
