/* Seeding: renders every missing tile of a zoom range over a box into a tenant's tile caches on worker
 * threads (tile_encode, then tile_cache_put). Tiles already cached are skipped, so a stopped run resumes
 * where it stopped. The command line and the progress bar are `odra seed`'s (services/cli_seed.c). */
#ifndef TILES_SEED_H
#define TILES_SEED_H
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "tiles/cache.h"
#include "tiles/tileset.h"
#include "util/err.h"

#define TILE_SEED_MAX_THREADS 64

/* The tiles of one zoom inside the box: columns x0..x1, rows y0..y1. */
struct tile_seed_range {
    int z;
    long x0, y0, x1, y1;
    long long first; /* index of its first tile in the whole job */
};

/* A seeding job. The caller sets store_path, ts and formats, then calls tile_seed_plan, tile_seed_open
 * and tile_seed_start; the counters may be read (__atomic_load_n) while it runs. */
struct tile_seed {
    const char *store_path; /* the tenant's store, opened read-only by each worker */
    const struct tile_set *ts;
    enum tile_format formats[TILE_NFORMATS];
    int nformats;
    struct tile_cache *caches[TILE_NFORMATS];
    struct tile_seed_range ranges[TILE_MAX_ZOOM + 1];
    int nranges;
    long long tiles;            /* tiles in the ranges */
    long long total;            /* tiles × formats */
    long long next;             /* atomic: next tile index to take */
    long long done;             /* atomic: tiles × formats handled, cached before or rendered now */
    long long rendered;         /* atomic */
    long long bytes;            /* atomic: bytes stored */
    volatile sig_atomic_t stop; /* set (tile_seed_stop) to stop the workers after their current tile */
    char error[600];            /* the first failure, "" when none */
    pthread_mutex_t lock;
    pthread_t threads[TILE_SEED_MAX_THREADS];
    int started;
};

/* Fills j's ranges with the tiles of zooms za..zb that intersect b3857 (EPSG:3857 W,S,E,N); false when
 * there are none. */
bool tile_seed_plan(struct tile_seed *j, const double b3857[4], int za, int zb);

/* Opens the caches of j's formats for tenant slug under data_dir (gen: the store generation; state: the
 * plan state of today, gis_plan_state, which the caches then hold (tile_cache_state), or -1 for a
 * tileset without plan data). Call tile_seed_close afterwards, whether it succeeded or not. */
enum err_code tile_seed_open(struct tile_seed *j, const char *data_dir, const char *slug, long long gen,
                             long long state, struct err *e);

/* Starts up to threads workers (at most TILE_SEED_MAX_THREADS); returns how many started. */
int tile_seed_start(struct tile_seed *j, int threads);

/* Asks the workers to stop; safe in a signal handler. */
void tile_seed_stop(struct tile_seed *j);

/* Waits for the workers started. j->error then says whether seeding failed. */
void tile_seed_wait(struct tile_seed *j);

/* Closes the caches tile_seed_open opened (after tile_seed_wait). */
void tile_seed_close(struct tile_seed *j);

#endif
