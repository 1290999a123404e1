/* The tile pipeline: a tenant's caches, and cache lookup, render on a miss, compress, put. */
#include "tiles/serve.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tiles/cache.h"
#include "tiles/mvt.h"
#include "util/log.h"

void tile_tenant_caches_init(struct tile_tenant_caches *tc, const char *data_dir, const char *slug)
{
    memset(tc, 0, sizeof *tc);
    tc->data_dir = data_dir;
    tc->slug = slug;
    pthread_mutex_init(&tc->lock, NULL);
    pthread_mutex_init(&tc->fast.lock, NULL);
}

void tile_tenant_caches_close(struct tile_tenant_caches *tc)
{
    for (int k = 0; k < TILE_SET_SLOTS; k++)
        for (int f = 0; f < TILE_NFORMATS; f++)
            tile_cache_close(tc->caches[k][f]), tc->caches[k][f] = NULL;
    for (int i = 0; i < tc->ndated; i++)
        tile_cache_close(tc->dated[i].c), tc->dated[i].c = NULL;
    if (tc->fast.shm_tried && tc->fast.shm_fd >= 0)
        close(tc->fast.shm_fd);
    pthread_mutex_destroy(&tc->fast.lock);
    tc->ndated = 0;
    pthread_mutex_destroy(&tc->lock);
}

/* The cache, or NULL when it cannot be opened (tiles are then served uncached, and the failure logged once). */
static struct tile_cache *caches_get(struct tile_tenant_caches *tc, const struct tile_set *ts, enum tile_format f,
                                     long long gen)
{
    int k = tile_set_index(ts);
    if (k < 0 || k >= TILE_SET_SLOTS)
        return NULL;
    struct tile_cache *c = __atomic_load_n(&tc->caches[k][f], __ATOMIC_ACQUIRE);
    if (c || tc->failed[k][f])
        return c;
    pthread_mutex_lock(&tc->lock);
    c = tc->caches[k][f];
    if (!c && !tc->failed[k][f]) {
        struct err e = {0};
        if (tile_set_cache_open(tc->data_dir, tc->slug, ts, f, gen, &c, &e) != ERR_OK) {
            log_error("tiles: %s", e.msg);
            tc->failed[k][f] = true;
        } else {
            __atomic_store_n(&tc->caches[k][f], c, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&tc->lock);
    return c;
}

/* The cache of plan state `state` (another than today's), or NULL (then served uncached). */
static struct tile_cache *state_cache_get(struct tile_tenant_caches *tc, const struct tile_set *ts, enum tile_format f,
                                          long long gen, long long state)
{
    int k = tile_set_index(ts);
    struct tile_cache *c = NULL;
    pthread_mutex_lock(&tc->lock);
    int i = 0;
    while (i < tc->ndated && !(tc->dated[i].set == k && tc->dated[i].format == (int)f && tc->dated[i].state == state))
        i++;
    if (i < tc->ndated) {
        c = tc->dated[i].c;
    } else if (i < TILE_STATE_CACHES) {
        struct err e = {0};
        if (tile_set_cache_open_state(tc->data_dir, tc->slug, ts, f, gen, state, &c, &e) != ERR_OK)
            log_error("tiles: %s", e.msg);
        tc->dated[tc->ndated++] = (struct tile_state_cache){k, (int)f, state, c};
    }
    pthread_mutex_unlock(&tc->lock);
    return c;
}

enum err_code tile_encode(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          const char *date, struct buf *scratch, struct buf *out, struct err *e)
{
    out->len = 0;
    out->failed = false;
    if (f != TILE_MVT)
        return tile_render(s, ts, f, z, x, y, date, out, e);
    scratch->len = 0;
    scratch->failed = false;
    if (tile_render(s, ts, f, z, x, y, date, scratch, e) != ERR_OK)
        return e->code;
    return tile_gzip(scratch->data ? scratch->data : "", scratch->len, out, e);
}

static enum err_code tile_serve_locked(struct tile_tenant_caches *tc, struct gis_store *r, const struct tile_set *ts,
                                       enum tile_format f, int z, long x, long y, const char *date,
                                       struct tile_served *out, struct err *e)
{
    long long gen = tile_store_generation(r);
    struct tile_cache *c = NULL;
    struct err ce = {0};
    if (tile_set_dated(ts)) {
        long long today = gis_plan_state(r, NULL), state = date ? gis_plan_state(r, date) : today;
        if (state == today) {
            date = NULL; /* the same map as today's */
            c = caches_get(tc, ts, f, gen);
            if (c && tile_cache_state(c, state, &ce)) {
                log_error("tiles: cache: %s", ce.msg);
                c = NULL;
            }
        } else {
            c = state_cache_get(tc, ts, f, gen, state);
        }
    } else {
        date = NULL;
        c = caches_get(tc, ts, f, gen);
    }
    struct buf *b = &out->bytes;
    bool found = false;
    out->etag[0] = '\0';
    if (c && (tile_cache_sync(c, r, gen, &ce) || tile_cache_get(c, z, x, y, b, &found, out->etag, &ce))) {
        log_error("tiles: cache: %s", ce.msg);
        found = false;
        b->len = 0;
    }
    out->hit = found;
    if (found)
        return ERR_OK;
    if (out->defer_miss) {
        out->deferred = true;
        return ERR_OK;
    }
    struct buf raw = {0};
    enum err_code rc = tile_encode(r, ts, f, z, x, y, date, &raw, b, e);
    buf_free(&raw);
    if (rc)
        return rc;
    tile_etag(b->data ? b->data : "", b->len, out->etag, sizeof out->etag);
    if (c)
        tile_cache_put_later(c, z, x, y, b->data ? b->data : "", b->len, gen, out->etag);
    return ERR_OK;
}

/* The commit counter of the store's WAL index: iChange of the first copy of the index header (the
 * "WAL-mode File Format" of sqlite.org: u32 iVersion, u32 unused, u32 iChange, in native byte order),
 * which SQLite bumps and writes last on every commit, before any reader can see that commit. Read
 * with pread on the -shm file, which shares its pages with SQLite's mapping. False when there is no
 * such file (not WAL, or not readable): then every tile takes the full path. Under fast.lock. */
static bool store_change_counter(struct tile_tenant_caches *tc, unsigned *change)
{
    struct tile_fast *fs = &tc->fast;
    if (!fs->shm_tried) {
        char path[4096];
        fs->shm_tried = true;
        fs->shm_fd = -1;
        if (snprintf(path, sizeof path, "%s/%s.sqlite-shm", tc->data_dir, tc->slug) < (int)sizeof path)
            fs->shm_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    uint32_t v;
    if (fs->shm_fd < 0 || pread(fs->shm_fd, &v, sizeof v, 8) != (ssize_t)sizeof v)
        return false;
    *change = v;
    return true;
}

/* A cache hit of today's map with no store transaction, when the store has had no commit since the
 * last full lookup (tile_fast); false sends the caller the full way. */
static bool fast_hit(struct tile_tenant_caches *tc, const struct tile_set *ts, enum tile_format f, int z, long x,
                     long y, struct tile_served *out)
{
    struct tile_fast *fs = &tc->fast;
    unsigned change;
    pthread_mutex_lock(&fs->lock);
    bool ok = fs->known && store_change_counter(tc, &change) && change == fs->change && log_now_ms() - fs->at_ms < 1000;
    long long gen = fs->gen, today = fs->today;
    pthread_mutex_unlock(&fs->lock);
    struct tile_cache *c = ok ? caches_get(tc, ts, f, gen) : NULL;
    struct err ce = {0};
    if (!c || !tile_cache_synced(c, gen) || (tile_set_dated(ts) && tile_cache_state(c, today, &ce)))
        return false;
    bool found = false;
    if (tile_cache_get(c, z, x, y, &out->bytes, &found, out->etag, &ce) || !found) {
        out->bytes.len = 0;
        return false;
    }
    out->hit = true;
    return true;
}

/* Notes what a full lookup in a transaction of its own found, for fast_hit. */
static void fast_learn(struct tile_tenant_caches *tc, struct gis_store *r, bool counted, unsigned change)
{
    long long gen = tile_store_generation(r), today = gis_plan_state(r, NULL);
    struct tile_fast *fs = &tc->fast;
    pthread_mutex_lock(&fs->lock);
    fs->known = counted;
    fs->change = change, fs->gen = gen, fs->today = today, fs->at_ms = log_now_ms();
    pthread_mutex_unlock(&fs->lock);
}

enum err_code tile_serve(struct tile_tenant_caches *tc, struct gis_store *r, const struct tile_set *ts,
                         enum tile_format f, int z, long x, long y, const char *date, struct tile_served *out,
                         struct err *e)
{
    if (!date && fast_hit(tc, ts, f, z, x, y, out))
        return ERR_OK;
    /* the counter is read before the transaction begins, so the snapshot holds every commit it counts */
    unsigned change = 0;
    pthread_mutex_lock(&tc->fast.lock);
    bool counted = store_change_counter(tc, &change);
    pthread_mutex_unlock(&tc->fast.lock);
    /* one read transaction for the whole tile: one snapshot (the generation matches what is drawn), and
     * the store's file locks taken once rather than once per query */
    bool begun = gis_store_read_begin(r);
    enum err_code rc = tile_serve_locked(tc, r, ts, f, z, x, y, date, out, e);
    if (begun && !rc)
        fast_learn(tc, r, counted, change);
    gis_store_read_end(r, begun);
    return rc;
}
