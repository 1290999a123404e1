/* Seeding: the worker threads of `odra seed`, each with its own read-only store connection, taking the
 * next tile of the job until none is left. */
#include "tiles/seed.h"

#include <stdio.h>

#include "gis/crs.h"
#include "gis/store.h"
#include "tiles/serve.h"

bool tile_seed_plan(struct tile_seed *j, const double b3857[4], int za, int zb)
{
    long long ntiles = 0;
    j->nranges = 0;
    for (int z = za; z <= zb; z++) {
        long r[4];
        if (!tile_range(z, b3857, 0, r))
            continue;
        j->ranges[j->nranges] = (struct tile_seed_range){z, r[0], r[1], r[2], r[3], ntiles};
        ntiles += (long long)(r[2] - r[0] + 1) * (r[3] - r[1] + 1);
        j->nranges++;
    }
    j->tiles = ntiles;
    j->total = ntiles * j->nformats;
    return j->nranges > 0;
}

enum err_code tile_seed_open(struct tile_seed *j, const char *data_dir, const char *slug, long long gen,
                             long long state, struct err *e)
{
    pthread_mutex_init(&j->lock, NULL);
    for (int f = 0; f < j->nformats; f++)
        if (tile_set_cache_open(data_dir, slug, j->ts, j->formats[f], gen, &j->caches[f], e) != ERR_OK ||
            (state >= 0 && tile_cache_state(j->caches[f], state, e) != ERR_OK))
            return e->code;
    return ERR_OK;
}

void tile_seed_stop(struct tile_seed *j)
{
    j->stop = 1;
}

static void seed_fail(struct tile_seed *j, const char *msg)
{
    pthread_mutex_lock(&j->lock);
    if (!j->error[0])
        snprintf(j->error, sizeof j->error, "%s", msg);
    pthread_mutex_unlock(&j->lock);
    j->stop = 1;
}

static void *seed_worker(void *arg)
{
    struct tile_seed *j = arg;
    struct gis_store *s = NULL;
    struct err e = {0};
    if (gis_store_open(j->store_path, GIS_STORE_READ, &s, &e) != ERR_OK) {
        seed_fail(j, e.msg);
        return NULL;
    }
    long long gen = tile_store_generation(s);
    for (int f = 0; f < j->nformats; f++)
        if (tile_cache_sync(j->caches[f], s, gen, &e) != ERR_OK)
            seed_fail(j, e.msg);
    struct buf b = {0}, gz = {0};
    while (!j->stop) {
        long long i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (i >= j->tiles)
            break;
        int r = j->nranges - 1;
        while (r > 0 && j->ranges[r].first > i)
            r--;
        const struct tile_seed_range *R = &j->ranges[r];
        long k = (long)(i - R->first), w = R->x1 - R->x0 + 1;
        long x = R->x0 + k % w, y = R->y0 + k / w;
        for (int f = 0; f < j->nformats && !j->stop; f++) {
            struct tile_cache *c = j->caches[f];
            if (!tile_cache_has(c, R->z, x, y)) {
                if (tile_encode(s, j->ts, j->formats[f], R->z, x, y, NULL, &b, &gz, &e) != ERR_OK) {
                    seed_fail(j, e.msg);
                    break;
                }
                if (tile_cache_put(c, R->z, x, y, gz.data ? gz.data : "", gz.len, gen, NULL, &e) != ERR_OK) {
                    seed_fail(j, e.msg);
                    break;
                }
                __atomic_fetch_add(&j->rendered, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&j->bytes, (long long)gz.len, __ATOMIC_RELAXED);
            }
            __atomic_fetch_add(&j->done, 1, __ATOMIC_RELAXED);
        }
    }
    buf_free(&b);
    buf_free(&gz);
    gis_store_close(s);
    gis_crs_thread_cleanup();
    return NULL;
}

int tile_seed_start(struct tile_seed *j, int threads)
{
    for (int i = 0; i < threads && j->started < TILE_SEED_MAX_THREADS; i++)
        if (pthread_create(&j->threads[j->started], NULL, seed_worker, j) == 0)
            j->started++;
    return j->started;
}

void tile_seed_wait(struct tile_seed *j)
{
    for (int i = 0; i < j->started; i++)
        pthread_join(j->threads[i], NULL);
    j->started = 0;
}

void tile_seed_close(struct tile_seed *j)
{
    for (int f = 0; f < j->nformats; f++)
        tile_cache_close(j->caches[f]), j->caches[f] = NULL;
    pthread_mutex_destroy(&j->lock);
}
