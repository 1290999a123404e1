/* The tile pipeline: a tenant's caches, and cache lookup, render on a miss, compress, put. */
#include "tiles/serve.h"

#include <string.h>

#include "tiles/cache.h"
#include "tiles/mvt.h"
#include "util/log.h"

void tile_tenant_caches_init(struct tile_tenant_caches *tc, const char *data_dir, const char *slug)
{
    memset(tc, 0, sizeof *tc);
    tc->data_dir = data_dir;
    tc->slug = slug;
    pthread_mutex_init(&tc->lock, NULL);
}

void tile_tenant_caches_close(struct tile_tenant_caches *tc)
{
    for (int k = 0; k < TILE_SET_SLOTS; k++)
        for (int f = 0; f < TILE_NFORMATS; f++)
            tile_cache_close(tc->caches[k][f]), tc->caches[k][f] = NULL;
    for (int i = 0; i < tc->ndated; i++)
        tile_cache_close(tc->dated[i].c), tc->dated[i].c = NULL;
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

enum err_code tile_serve(struct tile_tenant_caches *tc, struct gis_store *r, const struct tile_set *ts,
                         enum tile_format f, int z, long x, long y, const char *date, struct tile_served *out,
                         struct err *e)
{
    /* one read transaction for the whole tile: one snapshot (the generation matches what is drawn), and
     * the store's file locks taken once rather than once per query */
    bool begun = gis_store_read_begin(r);
    enum err_code rc = tile_serve_locked(tc, r, ts, f, z, x, y, date, out, e);
    gis_store_read_end(r, begun);
    return rc;
}
