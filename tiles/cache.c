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

/* Read connections for lookups, so hits on different threads do not queue behind one mutex (WAL lets
 * them read while the writer connection stores or invalidates). A thread always uses the same slot. */
#define CACHE_READERS 16

struct cache_reader {
    pthread_mutex_t lock;
    sqlite3 *db; /* opened on first use */
    sqlite3_stmt *get;
    bool failed;
};

struct tile_cache {
    sqlite3 *db; /* the writer connection, under lock */
    pthread_mutex_t lock;
    char path[1024];
    struct cache_reader rd[CACHE_READERS];
    sqlite3_stmt *get, *put, *has;
    double buffer;
    int meta;            /* invalidation covers whole blocks of meta x meta tiles (raster label metatiles) */
    enum tile_grid grid; /* the tile matrix set of the tiles */
    long long applied;   /* read without the lock through __atomic */
    unsigned long id;    /* names this cache in the hot cache (never reused, unlike the pointer) */
    unsigned long epoch; /* bumped after each applied change: hot entries of older epochs are stale */
};

/* ---- the hot cache: recently served tiles of every cache in memory, with their ETags ----
 * A hit then costs no SQLite transaction and no hashing. Entries are keyed by (cache id, z, x, y) and
 * carry the cache's epoch when they were read or stored; applying a change bumps the epoch, so every
 * older entry of that cache is stale at once (and reloaded from the MBTiles file, which is exact). */
#define HOT_SHARDS  16
#define HOT_BUCKETS 512
#define HOT_BYTES   (64u << 20) /* in all, split evenly over the shards */

struct hot_entry {
    struct hot_entry *chain;         /* bucket */
    struct hot_entry *newer, *older; /* LRU */
    unsigned long cache, epoch;
    int z;
    long x, y;
    size_t len;
    char etag[24];
    char data[];
};

struct hot_shard {
    pthread_mutex_t lock;
    struct hot_entry *bucket[HOT_BUCKETS];
    struct hot_entry lru; /* sentinel: lru.older is the newest entry, lru.newer the oldest */
    size_t bytes;
};

static struct hot_shard hot[HOT_SHARDS];
static pthread_once_t hot_once = PTHREAD_ONCE_INIT;
static unsigned long next_cache_id;

static void hot_init(void)
{
    for (int i = 0; i < HOT_SHARDS; i++) {
        pthread_mutex_init(&hot[i].lock, NULL);
        hot[i].lru.newer = hot[i].lru.older = &hot[i].lru;
    }
}

static uint64_t hot_hash(unsigned long cache, int z, long x, long y)
{
    uint64_t h = ((uint64_t)cache * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)z << 58) ^ ((uint64_t)x << 29) ^ (uint64_t)y;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}

static void hot_unlink(struct hot_shard *sh, struct hot_entry **link)
{
    struct hot_entry *he = *link;
    *link = he->chain;
    he->newer->older = he->older;
    he->older->newer = he->newer;
    sh->bytes -= sizeof *he + he->len;
    free(he);
}

/* Finds the link to the entry for the key in its bucket (or the bucket's end). */
static struct hot_entry **hot_find(struct hot_shard *sh, uint64_t h, unsigned long cache, int z, long x, long y)
{
    struct hot_entry **link = &sh->bucket[(h >> 4) % HOT_BUCKETS];
    while (*link && !((*link)->cache == cache && (*link)->z == z && (*link)->x == x && (*link)->y == y))
        link = &(*link)->chain;
    return link;
}

/* Copies a fresh entry's bytes to out and its tag to etag; false when absent or stale. */
static bool hot_get(const struct tile_cache *c, unsigned long epoch, int z, long x, long y, struct buf *out,
                    char etag[24])
{
    pthread_once(&hot_once, hot_init);
    uint64_t h = hot_hash(c->id, z, x, y);
    struct hot_shard *sh = &hot[h % HOT_SHARDS];
    pthread_mutex_lock(&sh->lock);
    struct hot_entry **link = hot_find(sh, h, c->id, z, x, y), *he = *link;
    bool hit = false;
    if (he && he->epoch != epoch) {
        hot_unlink(sh, link);
    } else if (he) {
        he->newer->older = he->older; /* to the newest end */
        he->older->newer = he->newer;
        he->older = sh->lru.older;
        he->newer = &sh->lru;
        sh->lru.older->newer = he;
        sh->lru.older = he;
        buf_append(out, he->data, he->len);
        memcpy(etag, he->etag, sizeof he->etag);
        hit = !out->failed;
    }
    pthread_mutex_unlock(&sh->lock);
    return hit;
}

static void hot_put(const struct tile_cache *c, unsigned long epoch, int z, long x, long y, const void *data,
                    size_t len, const char *etag)
{
    pthread_once(&hot_once, hot_init);
    const size_t cap = HOT_BYTES / HOT_SHARDS;
    if (sizeof(struct hot_entry) + len > cap / 8)
        return; /* a huge tile would push out many small ones */
    struct hot_entry *he = malloc(sizeof *he + len);
    if (!he)
        return;
    he->cache = c->id, he->epoch = epoch, he->z = z, he->x = x, he->y = y, he->len = len;
    snprintf(he->etag, sizeof he->etag, "%s", etag);
    memcpy(he->data, data, len);
    uint64_t h = hot_hash(c->id, z, x, y);
    struct hot_shard *sh = &hot[h % HOT_SHARDS];
    pthread_mutex_lock(&sh->lock);
    struct hot_entry **link = hot_find(sh, h, c->id, z, x, y);
    if (*link)
        hot_unlink(sh, link);
    he->chain = *link;
    *link = he;
    he->older = sh->lru.older;
    he->newer = &sh->lru;
    sh->lru.older->newer = he;
    sh->lru.older = he;
    sh->bytes += sizeof *he + len;
    while (sh->bytes > cap && sh->lru.newer != he) { /* evict from the oldest end */
        struct hot_entry *old = sh->lru.newer;
        uint64_t oh = hot_hash(old->cache, old->z, old->x, old->y);
        hot_unlink(sh, hot_find(sh, oh, old->cache, old->z, old->x, old->y));
    }
    pthread_mutex_unlock(&sh->lock);
}

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
        __atomic_add_fetch(&c->epoch, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&c->lock);
}

void tile_cache_set_grid(struct tile_cache *c, enum tile_grid g)
{
    c->grid = g;
}

enum err_code tile_cache_open(const char *path, const char *name, const char *format, const char *json, double buffer,
                              long long gen, struct tile_cache **out, struct err *e)
{
    *out = NULL;
    struct tile_cache *c = calloc(1, sizeof *c);
    if (!c)
        return err_set(e, ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    for (int i = 0; i < CACHE_READERS; i++)
        pthread_mutex_init(&c->rd[i].lock, NULL);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->id = __atomic_add_fetch(&next_cache_id, 1, __ATOMIC_RELAXED);
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
    for (int i = 0; i < CACHE_READERS; i++) {
        sqlite3_finalize(c->rd[i].get);
        sqlite3_close(c->rd[i].db);
        pthread_mutex_destroy(&c->rd[i].lock);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

long long tile_store_generation(struct gis_store *s)
{
    long long g = gis_store_generation(s);
    return g > 0 ? g : 0;
}

/* Deletes the tiles that one change (bbox in EPSG:2180) can reach, at every zoom. */
static enum err_code invalidate(struct tile_cache *c, const double b2180[4], struct err *e)
{
    double b[4];
    struct err te = {0};
    if (gis_crs_transform_bbox(GIS_CRS_2180, c->grid == TILE_GRID_CRS84 ? GIS_CRS_CRS84 : GIS_CRS_3857, b2180, b,
                               &te) != ERR_OK) {
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
        if (!tile_grid_range(c->grid, z, b, tile_grid_size(c->grid, z) * c->buffer, r))
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
            else {
                __atomic_add_fetch(&c->epoch, 1, __ATOMIC_RELEASE); /* after the commit: see hot_get */
                __atomic_store_n(&c->applied, gen > last ? gen : last, __ATOMIC_RELEASE);
            }
        }
        if (rc)
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* This thread's reader of c, locked and open; NULL when it cannot be opened (use the writer then). */
static struct cache_reader *reader_lock(struct tile_cache *c)
{
    static unsigned next;
    static __thread unsigned slot_plus1;
    if (!slot_plus1)
        slot_plus1 = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % CACHE_READERS + 1;
    struct cache_reader *r = &c->rd[slot_plus1 - 1];
    pthread_mutex_lock(&r->lock);
    if (!r->db && !r->failed) {
        if (sqlite3_open_v2(c->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
            sqlite3_prepare_v3(r->db,
                               "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                               -1, SQLITE_PREPARE_PERSISTENT, &r->get, NULL) != SQLITE_OK) {
            sqlite3_close(r->db);
            r->db = NULL;
            r->failed = true;
        } else {
            sqlite3_busy_timeout(r->db, 10000);
        }
    }
    if (r->failed) {
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    return r;
}

enum err_code tile_cache_get(struct tile_cache *c, int z, long x, long y, struct buf *out, bool *found, char etag[24],
                             struct err *e)
{
    *found = false;
    /* the epoch before the read: if a change is applied meanwhile, what this read finds is stored as stale */
    unsigned long epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
    if (hot_get(c, epoch, z, x, y, out, etag)) {
        *found = true;
        return ERR_OK;
    }
    size_t from = out->len;
    struct cache_reader *r = reader_lock(c);
    pthread_mutex_t *lock = r ? &r->lock : &c->lock;
    sqlite3_stmt *get = r ? r->get : c->get;
    if (!r)
        pthread_mutex_lock(lock);
    sqlite3_bind_int(get, 1, z);
    sqlite3_bind_int64(get, 2, x);
    sqlite3_bind_int64(get, 3, (1L << z) - 1 - y);
    int rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(get, 0);
        buf_append(out, p ? p : "", (size_t)sqlite3_column_bytes(get, 0));
        *found = true;
    }
    sqlite3_reset(get);
    pthread_mutex_unlock(lock);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return err_set(e, ERR_IO, "tile cache: lookup failed");
    if (out->failed)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (*found) {
        tile_etag(out->data + from, out->len - from, etag, 24);
        hot_put(c, epoch, z, x, y, out->data + from, out->len - from, etag);
    }
    return ERR_OK;
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
                             const char *etag, struct err *e)
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
    if (rc == SQLITE_DONE && etag) /* under the lock, so no change is applied between the store and this */
        hot_put(c, __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE), z, x, y, len ? data : "", len, etag);
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
    /* a hit hashes the whole tile, so this is on the hot path: four independent lanes of eight bytes a
     * step, folded and finished as in splitmix64; the length goes in too, so trailing zeros count */
    const unsigned char *p = data;
    uint64_t h[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, (uint64_t)len};
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            h[k] = (h[k] ^ w) * 0x9e3779b97f4a7c15ull;
            h[k] ^= h[k] >> 29;
        }
    }
    uint64_t x =
        h[0] ^ (h[1] * 0xbf58476d1ce4e5b9ull) ^ (h[2] * 0x94d049bb133111ebull) ^ (h[3] * 0xff51afd7ed558ccdull);
    for (; i < len; i += 8) {
        uint64_t w = 0;
        memcpy(&w, p + i, len - i < 8 ? len - i : 8);
        x = (x ^ w) * 0x9e3779b97f4a7c15ull;
        x ^= x >> 29;
    }
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    snprintf(out, cap, "\"%016llx\"", (unsigned long long)x);
}
