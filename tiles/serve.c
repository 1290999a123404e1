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

enum err_code tile_encode(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          struct buf *scratch, struct buf *out, struct err *e)
{
    out->len = 0;
    out->failed = false;
    if (f != TILE_MVT)
        return tile_render(s, ts, f, z, x, y, out, e);
    scratch->len = 0;
    scratch->failed = false;
    if (tile_render(s, ts, f, z, x, y, scratch, e) != ERR_OK)
        return e->code;
    return tile_gzip(scratch->data ? scratch->data : "", scratch->len, out, e);
}

enum err_code tile_serve(struct tile_tenant_caches *tc, struct gis_store *r, const struct tile_set *ts,
                         enum tile_format f, int z, long x, long y, struct tile_served *out, struct err *e)
{
    long long gen = tile_store_generation(r);
    struct tile_cache *c = caches_get(tc, ts, f, gen);
    struct buf *b = &out->bytes;
    bool found = false;
    struct err ce = {0};
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
    enum err_code rc = tile_encode(r, ts, f, z, x, y, &raw, b, e);
    buf_free(&raw);
    if (rc)
        return rc;
    tile_etag(b->data ? b->data : "", b->len, out->etag, sizeof out->etag);
    if (c && tile_cache_put(c, z, x, y, b->data ? b->data : "", b->len, gen, out->etag, &ce) != ERR_OK)
        log_error("tiles: cache: %s", ce.msg);
    return ERR_OK;
}
