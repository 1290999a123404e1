/* The versions of the modules' own tables over SQLite: the module_versions table. */
#include "gis/module_store.h"

#include "gis/store_sql.h"

#include <stddef.h>

enum err_code gis_module_versions_create(struct gis_store *w, struct err *e)
{
    return gis_store_exec(
        w, "CREATE TABLE IF NOT EXISTS module_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)", e);
}

int gis_module_version(struct gis_store *s, const char *module)
{
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT version FROM module_versions WHERE module = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

enum err_code gis_module_migrate(struct gis_store *w, const char *module, int version, const char *script,
                                 struct err *e)
{
    if (gis_store_begin(w, e))
        return e->code;
    sqlite3_stmt *st = NULL;
    enum err_code rc = gis_store_exec(w, script, e);
    if (!rc)
        rc = gis_store_prepare(w,
                               "INSERT INTO module_versions (module, version) VALUES (?, ?) "
                               "ON CONFLICT (module) DO UPDATE SET version = excluded.version",
                               &st, e);
    if (!rc) {
        sqlite3_bind_text(st, 1, module, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, version);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "module_versions: %s", sqlite3_errmsg(gis_store_db(w)));
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = gis_store_commit(w, e);
    if (rc)
        gis_store_rollback(w);
    return rc;
}
