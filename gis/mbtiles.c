/* MBTiles files over SQLite: the tile caches' storage (see gis/mbtiles.h). */
#include "gis/mbtiles.h"
#include "gis/store_sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

struct gis_mbtiles {
    sqlite3 *db;
    sqlite3_stmt *get, *put, *has, *del; /* put, has and del only on a writable file */
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,"
    " tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL, gen INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);";

static const char get_sql[] = "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?";

static enum err_code db_err(struct gis_mbtiles *m, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "tile cache: %s: %s", what, sqlite3_errmsg(m->db));
}

/* MBTiles rows count from the south. */
static long tms_row(int z, long y)
{
    return (1L << z) - 1 - y;
}

static bool prepare(struct gis_mbtiles *m, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v3(m->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK;
}

enum err_code gis_mbtiles_open(const char *path, enum gis_mbtiles_mode mode, struct gis_mbtiles **out, struct err *e)
{
    *out = NULL;
    struct gis_mbtiles *m = calloc(1, sizeof *m);
    if (!m)
        return err_set(e, ERR_INTERNAL, "out of memory");
    bool w = mode == GIS_MBTILES_WRITE;
    int flags = (w ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    enum err_code rc = ERR_OK;
    if (sqlite3_open_v2(path, &m->db, flags, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "tile cache %s: %s", path, m->db ? sqlite3_errmsg(m->db) : "cannot open");
    else
        sqlite3_busy_timeout(m->db, 10000);
    if (!rc && w && sqlite3_exec(m->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        rc = db_err(m, path, e);
    if (!rc &&
        (!prepare(m, get_sql, &m->get) ||
         (w && (!prepare(m,
                         "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data, gen) "
                         "VALUES (?, ?, ?, ?, ?)",
                         &m->put) ||
                !prepare(m, "SELECT 1 FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", &m->has) ||
                !prepare(m,
                         "DELETE FROM tiles WHERE zoom_level = ?1 AND tile_column BETWEEN ?2 AND ?3 "
                         "AND tile_row BETWEEN ?4 AND ?5",
                         &m->del)))))
        rc = db_err(m, "prepare", e);
    if (rc) {
        gis_mbtiles_close(m);
        return rc;
    }
    *out = m;
    return ERR_OK;
}

void gis_mbtiles_close(struct gis_mbtiles *m)
{
    if (!m)
        return;
    sqlite3_finalize(m->get);
    sqlite3_finalize(m->put);
    sqlite3_finalize(m->has);
    sqlite3_finalize(m->del);
    sqlite3_close(m->db);
    free(m);
}

long long gis_mbtiles_meta_ll(struct gis_mbtiles *m, const char *name, long long dflt)
{
    sqlite3_stmt *st;
    long long v = dflt;
    if (sqlite3_prepare_v2(m->db, "SELECT value FROM metadata WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
        return v;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10);
    sqlite3_finalize(st);
    return v;
}

enum err_code gis_mbtiles_meta_set(struct gis_mbtiles *m, const char *name, const char *value, struct err *e)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", -1, &st, NULL) !=
        SQLITE_OK)
        return db_err(m, "metadata", e);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK : db_err(m, "metadata", e);
}

enum err_code gis_mbtiles_begin(struct gis_mbtiles *m, struct err *e)
{
    return sqlite3_exec(m->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? ERR_OK : db_err(m, "begin", e);
}

enum err_code gis_mbtiles_commit(struct gis_mbtiles *m, struct err *e)
{
    return sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? ERR_OK : db_err(m, "commit", e);
}

void gis_mbtiles_rollback(struct gis_mbtiles *m)
{
    if (!sqlite3_get_autocommit(m->db))
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
}

enum err_code gis_mbtiles_get(struct gis_mbtiles *m, int z, long x, long y, struct buf *out, bool *found, struct err *e)
{
    sqlite3_stmt *get = m->get;
    sqlite3_bind_int(get, 1, z);
    sqlite3_bind_int64(get, 2, x);
    sqlite3_bind_int64(get, 3, tms_row(z, y));
    int rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(get, 0);
        buf_append(out, p ? p : "", (size_t)sqlite3_column_bytes(get, 0));
        *found = true;
    }
    sqlite3_reset(get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return err_set(e, ERR_IO, "tile cache: lookup failed");
    return ERR_OK;
}

bool gis_mbtiles_has(struct gis_mbtiles *m, int z, long x, long y)
{
    if (!m->has)
        return false;
    sqlite3_bind_int(m->has, 1, z);
    sqlite3_bind_int64(m->has, 2, x);
    sqlite3_bind_int64(m->has, 3, tms_row(z, y));
    bool hit = sqlite3_step(m->has) == SQLITE_ROW;
    sqlite3_reset(m->has);
    return hit;
}

enum err_code gis_mbtiles_put(struct gis_mbtiles *m, int z, long x, long y, const void *data, size_t len, long long gen,
                              struct err *e)
{
    if (!m->put)
        return err_set(e, ERR_INTERNAL, "tile cache: store on a read-only connection");
    sqlite3_bind_int(m->put, 1, z);
    sqlite3_bind_int64(m->put, 2, x);
    sqlite3_bind_int64(m->put, 3, tms_row(z, y));
    sqlite3_bind_blob(m->put, 4, len ? data : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(m->put, 5, gen);
    int rc = sqlite3_step(m->put);
    sqlite3_reset(m->put);
    sqlite3_clear_bindings(m->put);
    return rc == SQLITE_DONE ? ERR_OK : db_err(m, "store", e);
}

enum err_code gis_mbtiles_delete(struct gis_mbtiles *m, int z, long x0, long y0, long x1, long y1, struct err *e)
{
    if (!m->del)
        return err_set(e, ERR_INTERNAL, "tile cache: invalidate on a read-only connection");
    sqlite3_bind_int(m->del, 1, z);
    sqlite3_bind_int64(m->del, 2, x0);
    sqlite3_bind_int64(m->del, 3, x1);
    sqlite3_bind_int64(m->del, 4, tms_row(z, y1));
    sqlite3_bind_int64(m->del, 5, tms_row(z, y0));
    int rc = sqlite3_step(m->del);
    sqlite3_reset(m->del);
    return rc == SQLITE_DONE ? ERR_OK : db_err(m, "invalidate", e);
}

enum err_code gis_mbtiles_clear(struct gis_mbtiles *m, struct err *e)
{
    return sqlite3_exec(m->db, "DELETE FROM tiles", NULL, NULL, NULL) == SQLITE_OK ? ERR_OK
                                                                                   : db_err(m, "invalidate", e);
}

long gis_mbtiles_count(struct gis_mbtiles *m)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(m->db, "SELECT count(*) FROM tiles", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n;
}
