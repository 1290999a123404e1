/* MBTiles tile cache with change-driven invalidation: the policy (hot cache, freshness, which tiles a change
 * reaches, per-thread readers). The files themselves are read and written by gis/mbtiles.c. */
#include "tiles/cache.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/changes.h"
#include "gis/crs.h"
#include "gis/mbtiles.h"
#include "tiles/matrix.h"
#include "util/log.h"

/* Read connections for lookups, so hits on different threads do not queue behind one mutex (WAL lets
 * them read while the writer connection stores or invalidates). A thread always uses the same slot. */
#define CACHE_READERS 16

struct cache_reader {
    pthread_mutex_t lock;
    struct gis_mbtiles *m; /* opened on first use */
    bool failed;
};

struct tile_cache {
    struct gis_mbtiles *m; /* the writer connection, under lock */
    pthread_mutex_t lock;
    char path[1024];
    struct cache_reader rd[CACHE_READERS];
    double buffer;
    int meta;            /* invalidation covers whole blocks of meta x meta tiles (raster label metatiles) */
    enum tile_grid grid; /* the tile matrix set of the tiles */
    long long applied;   /* read without the lock through __atomic */
    unsigned long id;    /* names this cache in the hot cache (never reused, unlike the pointer) */
    unsigned long epoch; /* bumped after each applied change: hot entries of older epochs are stale */
    long long state;     /* the plan state whose tiles it holds (tile_cache_state); -1: not known yet */
    /* write-behind (tile_cache_put_later): tiles served but not yet in the file, under lock; the flusher
     * thread writes them in one transaction per batch */
    struct pending_tile *pending;
    size_t npending;
    bool dirty;    /* on the flusher's list (under wb.lock) */
    bool flushing; /* the flusher is writing this cache's batch (under wb.lock) */
    struct tile_cache *next_dirty;
};

struct pending_tile {
    struct pending_tile *next;
    int z;
    long x, y;
    long long gen;
    size_t len;
    unsigned char data[];
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
    long count;
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
    sh->count--;
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
    sh->count++;
    while (sh->bytes > cap && sh->lru.newer != he) { /* evict from the oldest end */
        struct hot_entry *old = sh->lru.newer;
        uint64_t oh = hot_hash(old->cache, old->z, old->x, old->y);
        hot_unlink(sh, hot_find(sh, oh, old->cache, old->z, old->x, old->y));
    }
    pthread_mutex_unlock(&sh->lock);
}

void tile_hot_usage(size_t *bytes, size_t *bound, long *tiles)
{
    pthread_once(&hot_once, hot_init);
    *bytes = 0, *bound = HOT_BYTES, *tiles = 0;
    for (int i = 0; i < HOT_SHARDS; i++) {
        pthread_mutex_lock(&hot[i].lock);
        *bytes += hot[i].bytes;
        *tiles += hot[i].count;
        pthread_mutex_unlock(&hot[i].lock);
    }
}

/* ---- write-behind: the caches' writes off the request path ----
 * A miss used to commit its tile to the MBTiles file before answering, one transaction a tile through the
 * cache's one writer. Now the served tile goes to memory (the hot cache, so the next request hits) and to
 * the cache's pending list; one flusher thread writes each cache's pending tiles in one transaction, a few
 * milliseconds later or as soon as WB_BATCH are waiting. A tile still pending when the process dies is
 * simply rendered again: the cache is rebuildable, and a transaction is never torn. */
#define WB_BATCH    64
#define WB_DELAY_MS 5

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done; /* wake: work for the flusher; done: a cache's batch was written */
    struct tile_cache *dirty;  /* caches with pending tiles */
    bool urgent;               /* a cache has WB_BATCH pending */
} wb = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false};
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;

/* Forgets c's pending tiles (the file is being emptied). Call under c->lock. */
static void drop_pending_locked(struct tile_cache *c)
{
    while (c->pending) {
        struct pending_tile *next = c->pending->next;
        free(c->pending);
        c->pending = next;
    }
    c->npending = 0;
}

/* Writes c's pending tiles in one transaction; those rendered before a change the cache has applied since
 * are dropped (the change invalidated them). Call under c->lock. */
static void flush_locked(struct tile_cache *c)
{
    struct pending_tile *p = c->pending;
    c->pending = NULL;
    c->npending = 0;
    if (!p)
        return;
    struct err e = {0};
    bool open = gis_mbtiles_begin(c->m, &e) == ERR_OK;
    while (p) {
        struct pending_tile *next = p->next;
        if (open && p->gen >= c->applied && gis_mbtiles_put(c->m, p->z, p->x, p->y, p->data, p->len, p->gen, &e))
            open = false, gis_mbtiles_rollback(c->m);
        free(p);
        p = next;
    }
    if (open && gis_mbtiles_commit(c->m, &e) != ERR_OK)
        open = false;
    if (!open)
        log_error("tiles: cache %s: write-behind: %s", c->path, e.msg);
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wb.lock);
    for (;;) {
        while (!wb.dirty)
            pthread_cond_wait(&wb.wake, &wb.lock);
        if (!wb.urgent) { /* let a few more arrive, for a bigger transaction */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += WB_DELAY_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L)
                until.tv_sec++, until.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&wb.wake, &wb.lock, &until);
        }
        wb.urgent = false;
        struct tile_cache *c = wb.dirty;
        if (!c)
            continue;
        wb.dirty = c->next_dirty;
        c->dirty = false;
        c->flushing = true;
        pthread_mutex_unlock(&wb.lock);
        pthread_mutex_lock(&c->lock);
        flush_locked(c);
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_lock(&wb.lock);
        c->flushing = false;
        pthread_cond_broadcast(&wb.done);
    }
    return NULL;
}

static void wb_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, flusher, NULL) == 0)
        pthread_detach(t);
    else
        log_error("tiles: cannot start the cache writer thread; tiles are written as they are served");
}

/* Takes c off the flusher's list and waits for a batch in progress; its pending tiles are then only
 * written by the caller (under c->lock). */
static void wb_forget(struct tile_cache *c)
{
    pthread_mutex_lock(&wb.lock);
    for (struct tile_cache **l = &wb.dirty; *l; l = &(*l)->next_dirty)
        if (*l == c) {
            *l = c->next_dirty;
            break;
        }
    c->dirty = false;
    while (c->flushing)
        pthread_cond_wait(&wb.done, &wb.lock);
    pthread_mutex_unlock(&wb.lock);
}

/* Writes c's pending tiles now (for readers of the file itself: has, count). */
static void flush_now(struct tile_cache *c)
{
    pthread_mutex_lock(&c->lock);
    flush_locked(c);
    pthread_mutex_unlock(&c->lock);
}

void tile_cache_set_meta(struct tile_cache *c, int meta)
{
    c->meta = meta > 1 ? meta : 1;
    /* tiles drawn with another label metatile (or before there was one) would not match new neighbours */
    pthread_mutex_lock(&c->lock);
    if (gis_mbtiles_meta_ll(c->m, "odra:label_meta", 1) != c->meta) {
        char v[16];
        snprintf(v, sizeof v, "%d", c->meta);
        struct err ignore = {0};
        drop_pending_locked(c);
        if (!gis_mbtiles_clear(c->m, &ignore))
            gis_mbtiles_meta_set(c->m, "odra:label_meta", v, &ignore);
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
    c->state = -1;
    if (gis_mbtiles_open(path, GIS_MBTILES_WRITE, &c->m, e)) {
        tile_cache_close(c);
        return e->code;
    }
    long long applied = gis_mbtiles_meta_ll(c->m, "odra:change_id", -1);
    if (applied < 0) {
        /* a new file: nothing cached yet, so every change so far is already reflected */
        char v[32], mz[8];
        snprintf(v, sizeof v, "%lld", gen);
        snprintf(mz, sizeof mz, "%d", TILE_MAX_ZOOM);
        const char *meta[][2] = {{"name", name},
                                 {"format", format},
                                 {"type", "overlay"},
                                 {"version", "1.3"},
                                 {"minzoom", "0"},
                                 {"maxzoom", mz},
                                 {"bounds", "14.40,52.10,15.10,52.60"},
                                 {"json", json},
                                 {"odra:change_id", v}};
        struct err ignore = {0};
        gis_mbtiles_begin(c->m, &ignore);
        for (size_t i = 0; i < sizeof meta / sizeof *meta; i++)
            if (meta[i][1])
                gis_mbtiles_meta_set(c->m, meta[i][0], meta[i][1], &ignore);
        if (gis_mbtiles_commit(c->m, e)) {
            tile_cache_close(c);
            return e->code;
        }
        applied = gen;
    }
    c->applied = applied;
    *out = c;
    return ERR_OK;
}

void tile_cache_close(struct tile_cache *c)
{
    if (!c)
        return;
    wb_forget(c);
    if (c->m)
        flush_now(c);
    gis_mbtiles_close(c->m);
    for (int i = 0; i < CACHE_READERS; i++) {
        gis_mbtiles_close(c->rd[i].m);
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
        return gis_mbtiles_clear(c->m, e);
    }
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
        rc = gis_mbtiles_delete(c->m, z, r[0], r[1], r[2], r[3], e);
    }
    return rc;
}

/* Applies one change of the store's log (gis_changes_each); ctx is the sync in progress. */
struct sync_run {
    struct tile_cache *c;
    long long last;
};

static enum err_code sync_change(long long id, const double *bbox, void *ctx, struct err *e)
{
    struct sync_run *run = ctx;
    enum err_code rc = bbox ? invalidate(run->c, bbox, e) : ERR_OK;
    run->last = id;
    return rc;
}

bool tile_cache_synced(struct tile_cache *c, long long gen)
{
    return gen <= __atomic_load_n(&c->applied, __ATOMIC_ACQUIRE);
}

enum err_code tile_cache_sync(struct tile_cache *c, struct gis_store *s, long long gen, struct err *e)
{
    if (gen <= __atomic_load_n(&c->applied, __ATOMIC_ACQUIRE))
        return ERR_OK;
    pthread_mutex_lock(&c->lock);
    enum err_code rc = ERR_OK;
    long long applied = c->applied;
    if (gen > applied) {
        struct sync_run run = {c, applied};
        rc = gis_mbtiles_begin(c->m, e);
        if (!rc)
            rc = gis_changes_each(s, applied, gen, sync_change, &run, e);
        if (!rc) {
            long long last = gen > run.last ? gen : run.last;
            char v[32];
            snprintf(v, sizeof v, "%lld", last);
            rc = gis_mbtiles_meta_set(c->m, "odra:change_id", v, e);
            if (!rc)
                rc = gis_mbtiles_commit(c->m, e);
            if (!rc) {
                __atomic_add_fetch(&c->epoch, 1, __ATOMIC_RELEASE); /* after the commit: see hot_get */
                __atomic_store_n(&c->applied, last, __ATOMIC_RELEASE);
            }
        }
        if (rc)
            gis_mbtiles_rollback(c->m);
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
    if (!r->m && !r->failed) {
        struct err ignore = {0};
        r->failed = gis_mbtiles_open(c->path, GIS_MBTILES_READ, &r->m, &ignore) != ERR_OK;
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
    if (!r)
        pthread_mutex_lock(lock);
    enum err_code rc = gis_mbtiles_get(r ? r->m : c->m, z, x, y, out, found, e);
    pthread_mutex_unlock(lock);
    if (rc)
        return rc;
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
    flush_locked(c);
    bool hit = gis_mbtiles_has(c->m, z, x, y);
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
    enum err_code rc = gis_mbtiles_put(c->m, z, x, y, data, len, gen, e);
    if (!rc && etag) /* under the lock, so no change is applied between the store and this */
        hot_put(c, __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE), z, x, y, len ? data : "", len, etag);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void tile_cache_put_later(struct tile_cache *c, int z, long x, long y, const void *data, size_t len, long long gen,
                          const char *etag)
{
    pthread_once(&wb_once, wb_start);
    struct pending_tile *p = malloc(sizeof *p + len);
    if (!p)
        return; /* only a later miss more */
    p->z = z, p->x = x, p->y = y, p->gen = gen, p->len = len;
    memcpy(p->data, len ? data : "", len);
    pthread_mutex_lock(&c->lock);
    if (gen < c->applied) {
        pthread_mutex_unlock(&c->lock);
        free(p);
        return; /* rendered before a change this cache has already applied */
    }
    /* under the lock, so no change is applied between the check and the hot entry's epoch */
    hot_put(c, __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE), z, x, y, len ? data : "", len, etag);
    p->next = c->pending;
    c->pending = p;
    size_t n = ++c->npending;
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_lock(&wb.lock);
    if (!c->dirty) { /* also while a batch of it is being written: what came after waits for the next */
        c->dirty = true;
        c->next_dirty = wb.dirty;
        wb.dirty = c;
    }
    if (n >= WB_BATCH)
        wb.urgent = true;
    pthread_cond_signal(&wb.wake);
    pthread_mutex_unlock(&wb.lock);
}

enum err_code tile_cache_state(struct tile_cache *c, long long state, struct err *e)
{
    if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == state)
        return ERR_OK;
    pthread_mutex_lock(&c->lock);
    enum err_code rc = ERR_OK;
    long long held = gis_mbtiles_meta_ll(c->m, "odra:plan_state", -1);
    if (held != state) {
        char v[32];
        snprintf(v, sizeof v, "%lld", state);
        rc = gis_mbtiles_begin(c->m, e);
        drop_pending_locked(c); /* of the old state */
        if (!rc && held >= 0)
            rc = gis_mbtiles_clear(c->m, e);
        if (!rc)
            rc = gis_mbtiles_meta_set(c->m, "odra:plan_state", v, e);
        if (!rc)
            rc = gis_mbtiles_commit(c->m, e);
        else
            gis_mbtiles_rollback(c->m);
        if (!rc && held >= 0)
            __atomic_add_fetch(&c->epoch, 1, __ATOMIC_RELEASE); /* the hot entries are of the old state */
    }
    if (!rc)
        __atomic_store_n(&c->state, state, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

long tile_cache_count(struct tile_cache *c)
{
    pthread_mutex_lock(&c->lock);
    flush_locked(c);
    long n = gis_mbtiles_count(c->m);
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
