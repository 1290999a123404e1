/* The persistent tile cache: one MBTiles 1.3 file per tenant, tileset and format, and its exact
 * invalidation from the store's `changes` table (migration 002, one row per import with the bbox of what
 * it changed).
 *
 * Concurrency: a cache owns one writer SQLite connection (WAL), used under the cache's mutex, and up to 16
 * read-only connections for lookups, one per thread slot, so any number of threads may share one struct
 * tile_cache and hits on different threads do not wait for each other. Only one process should write a cache file at a
 * time
 * (`odra seed` while the server runs works through SQLite's locking, but see docs/api.md).
 *
 * Freshness: every tile is stored with the store generation (the highest change id) read before it
 * was rendered. tile_cache_sync applies every newer change: it deletes, at every zoom, the tiles whose
 * extent grown by the render buffer intersects the change's bbox, and no others. A tile rendered from an
 * older generation than the cache has applied is not stored, so a render racing an import never leaves a
 * stale tile behind. */
#ifndef TILES_CACHE_H
#define TILES_CACHE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "tiles/matrix.h"
#include "util/buf.h"
#include "util/err.h"

struct tile_cache;

/* Opens (creating when missing) the MBTiles file at path. format is the MBTiles format ("png" or
 * "pbf"); buffer is the fraction of a tile's side a change can reach beyond the tile (the render
 * buffer); name and json are metadata written when the file is created (json may be NULL). A new file
 * starts at store generation gen. *out is owned by the caller and freed with tile_cache_close. */
enum err_code tile_cache_open(const char *path, const char *name, const char *format, const char *json, double buffer,
                              long long gen, struct tile_cache **out, struct err *e);

/* Makes invalidation cover whole aligned blocks of meta x meta tiles (fewer at zooms with fewer tiles)
 * around what the buffer reaches: raster tiles place labels per metatile (tiles/tileset.h), so a change
 * can move labels anywhere in the metatiles it reaches. A file whose tiles were stored with another meta
 * (metadata odra:label_meta, absent = 1) is emptied, since its tiles would not match new neighbours.
 * Call it right after tile_cache_open, before the cache is shared. */
void tile_cache_set_meta(struct tile_cache *c, int meta);

/* Says which grid the cache's tiles are in (tiles/matrix.h; a new cache is WebMercatorQuad), so that a
 * change invalidates the right tiles. Call it right after tile_cache_open, before the cache is shared. */
void tile_cache_set_grid(struct tile_cache *c, enum tile_grid g);

/* Makes c hold the tiles of plan state `state` (gis_plan_state): when the file holds those of another
 * state (the day changed and a plan came into force or ended), every tile is dropped and state recorded;
 * a file that records none just records it. Cheap when nothing changed. */
enum err_code tile_cache_state(struct tile_cache *c, long long state, struct err *e);

/* Closes the connection and frees the cache. NULL is a no-op. */
void tile_cache_close(struct tile_cache *c);

/* The store generation: the highest id in the store's changes table (0 when it has none). */
long long tile_store_generation(struct gis_store *s);

/* Applies the store's changes newer than the last one applied (gen is the store generation the caller
 * just read). Cheap when there is nothing new. */
enum err_code tile_cache_sync(struct tile_cache *c, struct gis_store *s, long long gen, struct err *e);

/* Whether c has applied the store's changes up to generation gen (tile_cache_sync would do nothing). */
bool tile_cache_synced(struct tile_cache *c, long long gen);

/* Looks up z/x/y (XYZ numbering): on a hit appends the stored bytes to out, writes their ETag
 * (tile_etag) to etag and sets *found. Recently served tiles of every cache are also kept in memory (64 MB
 * in all, least recently used out first), so a hot tile costs neither a SQLite read nor hashing; applying a
 * change makes every in-memory tile of that cache stale at once. */
enum err_code tile_cache_get(struct tile_cache *c, int z, long x, long y, struct buf *out, bool *found, char etag[24],
                             struct err *e);

/* True when z/x/y is cached. */
bool tile_cache_has(struct tile_cache *c, int z, long x, long y);

/* Stores a tile rendered at store generation gen (see the header comment); a stale one is dropped. etag
 * is the tile's tile_etag, to keep it in memory too for the next request; NULL stores it in the file only
 * (seeding, where nothing asks for it soon). */
enum err_code tile_cache_put(struct tile_cache *c, int z, long x, long y, const void *data, size_t len, long long gen,
                             const char *etag, struct err *e);

/* As tile_cache_put with an etag, for the request path: the tile goes to memory at once (the next request
 * for it hits) and to the file a few milliseconds later, batched with others in one transaction by a
 * background writer (write-behind), so a miss never waits for the cache's writer. has, count and close
 * write what is pending first. A tile lost when the process dies is only rendered again. */
void tile_cache_put_later(struct tile_cache *c, int z, long x, long y, const void *data, size_t len, long long gen,
                          const char *etag);

/* Tiles stored, and the last change id applied (for tests and the seeder). */
long tile_cache_count(struct tile_cache *c);
long long tile_cache_applied(struct tile_cache *c);

/* The hot cache of every tile cache in memory: the bytes it holds (entries with their headers), its bound
 * and the tiles in it (for /health and `make soak`). */
void tile_hot_usage(size_t *bytes, size_t *bound, long *tiles);

/* A strong ETag for bytes: a quoted 64-bit hash of them in hex (four lanes, splitmix64 mixing),
 * written into out (at least 24 bytes). */
void tile_etag(const void *data, size_t len, char *out, size_t cap);

#endif
