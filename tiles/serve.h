/* The tile pipeline: a tenant's tile caches and the one path every tile takes, whoever asks for it (XYZ
 * tiles, OGC API - Tiles, `odra seed`): apply the store's changes to the cache, look the tile up, and on a
 * miss render it, compress it (MVT is kept gzipped, as MBTiles wants) and put it. Nothing here knows HTTP:
 * the caller gets the stored bytes and their ETag, and negotiates the rest with its client. */
#ifndef TILES_SERVE_H
#define TILES_SERVE_H
#include <pthread.h>
#include <stdbool.h>

#include "gis/store.h"
#include "tiles/tileset.h"
#include "util/buf.h"
#include "util/err.h"

/* Caches of other plan states a tenant keeps open (tile_serve with a date). */
#define TILE_STATE_CACHES 8

/* One tenant's tile caches, one per tileset (tile_set_index) and format, opened on first use and kept
 * until tile_tenant_caches_close. A cache that cannot be opened is logged once and its tiles are then
 * served uncached. Any number of threads may use one after tile_tenant_caches_init. */
struct tile_tenant_caches {
    const char *data_dir, *slug; /* where the files are: DATA/tiles/SLUG/ (tile_set_cache_open) */
    pthread_mutex_t lock;        /* taken to open a cache */
    struct tile_cache *caches[TILE_SET_SLOTS][TILE_NFORMATS];
    bool failed[TILE_SET_SLOTS][TILE_NFORMATS];
    /* caches of other plan states than today's (tiles asked for with a date), first come first kept;
     * beyond TILE_STATE_CACHES such tiles are rendered uncached */
    struct tile_state_cache {
        int set, format;
        long long state;
        struct tile_cache *c; /* NULL: it could not be opened */
    } dated[TILE_STATE_CACHES];
    int ndated;
    /* A hit without a store transaction (tile_serve): the store's generation and today's plan state as
     * the last full lookup found them, with the commit counter of the store's WAL index read before it.
     * Trusted while that counter is unchanged, for at most a second (so a new day, or a store file
     * replaced under a running server, is seen within a second). Under fast.lock. */
    struct tile_fast {
        pthread_mutex_t lock;
        bool shm_tried;  /* shm_fd was opened (or tried) */
        int shm_fd;      /* the store's -shm file; -1: unavailable (no fast hits) */
        bool known;      /* the fields below hold a full lookup's findings */
        unsigned change; /* the WAL index's change counter before that lookup */
        double at_ms;    /* when (log_now_ms) */
        long long gen, today;
    } fast;
};

/* Prepares tc for the caches of tenant slug under data_dir; both strings must outlive tc. */
void tile_tenant_caches_init(struct tile_tenant_caches *tc, const char *data_dir, const char *slug);

/* Closes every cache tc opened. Call it when no thread uses tc any more. */
void tile_tenant_caches_close(struct tile_tenant_caches *tc);

/* Renders tile z/x/y of ts in format f, plan data as in force on date (ISO; NULL: today), as it is stored
 * and served: a PNG, or a gzipped MVT. Replaces the contents of out; scratch is working space (the
 * uncompressed MVT), which a loop may reuse. */
enum err_code tile_encode(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          const char *date, struct buf *scratch, struct buf *out, struct err *e);

/* A tile as tile_serve gives it. */
struct tile_served {
    struct buf bytes; /* PNG, or gzipped MVT; the caller frees it (buf_free) */
    char etag[24];    /* tile_etag of bytes */
    bool hit;         /* from the cache, not rendered now */
    /* set by the caller: on a miss, return at once with deferred set and nothing rendered (the caller moves
     * the request off its network thread, then asks again without it) */
    bool defer_miss;
    bool deferred;
};

/* Tile z/x/y of ts in format f, its plan data as in force on date (ISO, checked by the caller; NULL:
 * today), for a tenant whose store connection is r: from tc's cache (after applying the store's newer
 * changes), else rendered (tile_encode) and put into the cache. The caches are keyed by the plan state
 * of the date (gis_plan_state): a date with today's plans in force is served from the tileset's cache,
 * which drops its tiles when today's plans change; another date from a cache of its own state. Cache
 * failures are logged and the tile served anyway; a failed render is the error. */
enum err_code tile_serve(struct tile_tenant_caches *tc, struct gis_store *r, const struct tile_set *ts,
                         enum tile_format f, int z, long x, long y, const char *date, struct tile_served *out,
                         struct err *e);

#endif
