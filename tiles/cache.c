/* MBTiles tile cache with change-driven invalidation. */
#include "tiles/cache.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/crs.h"
#include "tiles/matrix.h"

struct tile_cache {
    sqlite3 *db;
    pthread_mutex_t lock;
    sqlite3_stmt *get, *put, *has;
    double buffer;
    int meta;          /* invalidation covers whole blocks of meta x meta tiles (raster label metatiles) */
    long long applied; /* read without the lock through __atomic */
};

static enum err_code db_err(struct tile_cache *c, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "tile cache: %s: %s", what, sqlite3_errmsg(c->db));
}

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,"
    " tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL, gen INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);";

static long long meta_ll(struct tile_cache *c, const char *name, long long dflt)
{
    sqlite3_stmt *st;
    long long v = dflt;
    if (sqlite3_prepare_v2(c->db, "SELECT value FROM metadata WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
        return v;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10);
    sqlite3_finalize(st);
    return v;
}

static int meta_set(struct tile_cache *c, const char *name, const char *value)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", -1, &st, NULL) !=
        SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void tile_cache_set_meta(struct tile_cache *c, int meta)
{
    c->meta = meta > 1 ? meta : 1;
    /* tiles drawn with another label metatile (or before there was one) would not match new neighbours */
    pthread_mutex_lock(&c->lock);
    if (meta_ll(c, "odra:label_meta", 1) != c->meta) {
        char v[16];
        snprintf(v, sizeof v, "%d", c->meta);
        if (sqlite3_exec(c->db, "DELETE FROM tiles", NULL, NULL, NULL) == SQLITE_OK)
            meta_set(c, "odra:label_meta", v);
    }
    pthread_mutex_unlock(&c->lock);
}

enum err_code tile_cache_open(const char *path, const char *name, const char *format, const char *json, double buffer,
                              long long gen, struct tile_cache **out, struct err *e)
{
    *out = NULL;
    struct tile_cache *c = calloc(1, sizeof *c);
    if (!c)
        return err_set(e, ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    c->buffer = buffer;
    c->meta = 1;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        enum err_code rc = err_set(e, ERR_IO, "tile cache %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
        tile_cache_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 10000);
    if (sqlite3_exec(c->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        enum err_code rc = db_err(c, path, e);
        tile_cache_close(c);
        return rc;
    }
    long long applied = meta_ll(c, "odra:change_id", -1);
    if (applied < 0) {
        /* a new file: nothing cached yet, so every change so far is already reflected */
        char v[32];
        snprintf(v, sizeof v, "%lld", gen);
        sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        meta_set(c, "name", name);
        meta_set(c, "format", format);
        meta_set(c, "type", "overlay");
        meta_set(c, "version", "1.3");
        meta_set(c, "minzoom", "0");
        char mz[8];
        snprintf(mz, sizeof mz, "%d", TILE_MAX_ZOOM);
        meta_set(c, "maxzoom", mz);
        meta_set(c, "bounds", "14.40,52.10,15.10,52.60");
        if (json)
            meta_set(c, "json", json);
        meta_set(c, "odra:change_id", v);
        if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            enum err_code rc = db_err(c, "metadata", e);
            tile_cache_close(c);
            return rc;
        }
        applied = gen;
    }
    c->applied = applied;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", -1,
                           &c->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data, gen) "
                           "VALUES (?, ?, ?, ?, ?)",
                           -1, &c->put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "SELECT 1 FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", -1,
                           &c->has, NULL) != SQLITE_OK) {
        enum err_code rc = db_err(c, "prepare", e);
        tile_cache_close(c);
        return rc;
    }
    *out = c;
    return ERR_OK;
}

void tile_cache_close(struct tile_cache *c)
{
    if (!c)
        return;
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->put);
    sqlite3_finalize(c->has);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

long long tile_store_generation(struct gis_store *s)
{
    sqlite3_stmt *st;
    long long g = 0;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT max(id) FROM changes", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        g = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return g;
}

/* Deletes the tiles that one change (bbox in EPSG:2180) can reach, at every zoom. */
static enum err_code invalidate(struct tile_cache *c, const double b2180[4], struct err *e)
{
    double b[4];
    struct err te = {0};
    if (gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_3857, b2180, b, &te) != ERR_OK) {
        /* a box PROJ cannot take: drop everything rather than serve something stale */
        return sqlite3_exec(c->db, "DELETE FROM tiles", NULL, NULL, NULL) == SQLITE_OK ? ERR_OK
                                                                                       : db_err(c, "invalidate", e);
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "DELETE FROM tiles WHERE zoom_level = ?1 AND tile_column BETWEEN ?2 AND ?3 "
                           "AND tile_row BETWEEN ?4 AND ?5",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(c, "invalidate", e);
    enum err_code rc = ERR_OK;
    for (int z = 0; z <= TILE_MAX_ZOOM && !rc; z++) {
        long r[4];
        if (!tile_range(z, b, tile_size(z) * c->buffer, r))
            continue;
        long n = 1L << z;
        if (c->meta > 1) {
            long m = c->meta < n ? c->meta : n;
            r[0] = r[0] / m * m, r[1] = r[1] / m * m;
            r[2] = r[2] / m * m + m - 1, r[3] = r[3] / m * m + m - 1;
        }
        sqlite3_bind_int(st, 1, z);
        sqlite3_bind_int64(st, 2, r[0]);
        sqlite3_bind_int64(st, 3, r[2]);
        sqlite3_bind_int64(st, 4, n - 1 - r[3]); /* MBTiles rows count from the south */
        sqlite3_bind_int64(st, 5, n - 1 - r[1]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_err(c, "invalidate", e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

enum err_code tile_cache_sync(struct tile_cache *c, struct gis_store *s, long long gen, struct err *e)
{
    if (gen <= __atomic_load_n(&c->applied, __ATOMIC_ACQUIRE))
        return ERR_OK;
    pthread_mutex_lock(&c->lock);
    enum err_code rc = ERR_OK;
    long long applied = c->applied;
    if (gen > applied) {
        sqlite3_stmt *st;
        if (gis_store_prepare(s, "SELECT id, minx, miny, maxx, maxy FROM changes WHERE id > ? AND id <= ? ORDER BY id",
                              &st, e) != ERR_OK) {
            pthread_mutex_unlock(&c->lock);
            return e->code;
        }
        sqlite3_bind_int64(st, 1, applied);
        sqlite3_bind_int64(st, 2, gen);
        if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            rc = db_err(c, "begin", e);
        long long last = applied;
        while (!rc && sqlite3_step(st) == SQLITE_ROW) {
            double b[4];
            bool null = false;
            for (int k = 0; k < 4; k++) {
                null |= sqlite3_column_type(st, 1 + k) == SQLITE_NULL;
                b[k] = sqlite3_column_double(st, 1 + k);
            }
            if (!null && b[2] >= b[0] && b[3] >= b[1])
                rc = invalidate(c, b, e);
            last = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (!rc) {
            char v[32];
            snprintf(v, sizeof v, "%lld", gen > last ? gen : last);
            if (meta_set(c, "odra:change_id", v) != SQLITE_OK ||
                sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                rc = db_err(c, "commit", e);
            else
                __atomic_store_n(&c->applied, gen > last ? gen : last, __ATOMIC_RELEASE);
        }
        if (rc)
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum err_code tile_cache_get(struct tile_cache *c, int z, long x, long y, struct buf *out, bool *found, struct err *e)
{
    *found = false;
    pthread_mutex_lock(&c->lock);
    sqlite3_bind_int(c->get, 1, z);
    sqlite3_bind_int64(c->get, 2, x);
    sqlite3_bind_int64(c->get, 3, (1L << z) - 1 - y);
    int rc = sqlite3_step(c->get);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(c->get, 0);
        buf_append(out, p ? p : "", (size_t)sqlite3_column_bytes(c->get, 0));
        *found = true;
    }
    sqlite3_reset(c->get);
    pthread_mutex_unlock(&c->lock);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return err_set(e, ERR_IO, "tile cache: lookup failed");
    return out->failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}

bool tile_cache_has(struct tile_cache *c, int z, long x, long y)
{
    pthread_mutex_lock(&c->lock);
    sqlite3_bind_int(c->has, 1, z);
    sqlite3_bind_int64(c->has, 2, x);
    sqlite3_bind_int64(c->has, 3, (1L << z) - 1 - y);
    bool hit = sqlite3_step(c->has) == SQLITE_ROW;
    sqlite3_reset(c->has);
    pthread_mutex_unlock(&c->lock);
    return hit;
}

enum err_code tile_cache_put(struct tile_cache *c, int z, long x, long y, const void *data, size_t len, long long gen,
                             struct err *e)
{
    pthread_mutex_lock(&c->lock);
    if (gen < c->applied) {
        pthread_mutex_unlock(&c->lock);
        return ERR_OK; /* rendered before a change this cache has already applied */
    }
    sqlite3_bind_int(c->put, 1, z);
    sqlite3_bind_int64(c->put, 2, x);
    sqlite3_bind_int64(c->put, 3, (1L << z) - 1 - y);
    sqlite3_bind_blob(c->put, 4, len ? data : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(c->put, 5, gen);
    int rc = sqlite3_step(c->put);
    sqlite3_reset(c->put);
    sqlite3_clear_bindings(c->put);
    pthread_mutex_unlock(&c->lock);
    return rc == SQLITE_DONE ? ERR_OK : db_err(c, "store", e);
}

long tile_cache_count(struct tile_cache *c)
{
    pthread_mutex_lock(&c->lock);
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM tiles", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

long long tile_cache_applied(struct tile_cache *c)
{
    return __atomic_load_n(&c->applied, __ATOMIC_ACQUIRE);
}

void tile_etag(const void *data, size_t len, char *out, size_t cap)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    snprintf(out, cap, "\"%016llx\"", (unsigned long long)h);
}
