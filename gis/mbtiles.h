/* MBTiles 1.3 files (SQLite): the storage of the tile caches (tiles/cache.c keeps the policy: which tile,
 * its freshness, invalidation by the store's change log). Tiles are addressed in XYZ numbering; the
 * flipped rows of MBTiles (counted from the south) stay in here. Besides the format's tables a tile row
 * keeps `gen`, the store generation it was rendered at.
 *
 * A struct gis_mbtiles is one connection, used by one thread at a time (the caller serialises). Opened
 * for writing it creates the file and its tables when missing (WAL, synchronous=NORMAL: a cache can be
 * rebuilt, so it trades durability for speed); opened for reading, any number of them look tiles up
 * while the writer stores and deletes. These functions are the tile caches' part of the store interface
 * (docs/design.md, "The store interface"). */
#ifndef GIS_MBTILES_H
#define GIS_MBTILES_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct gis_mbtiles;

enum gis_mbtiles_mode {
    GIS_MBTILES_READ,  /* lookups only (gis_mbtiles_get); the file must exist */
    GIS_MBTILES_WRITE, /* everything; creates the file and its tables when missing */
};

/* Opens the file at path. *out is owned by the caller and freed with gis_mbtiles_close. */
enum err_code gis_mbtiles_open(const char *path, enum gis_mbtiles_mode mode, struct gis_mbtiles **out, struct err *e);

/* Closes the connection. NULL is a no-op. */
void gis_mbtiles_close(struct gis_mbtiles *m);

/* A metadata value read as an integer; dflt when absent or unreadable. */
long long gis_mbtiles_meta_ll(struct gis_mbtiles *m, const char *name, long long dflt);

/* Sets a metadata value (name, value), replacing one there. */
enum err_code gis_mbtiles_meta_set(struct gis_mbtiles *m, const char *name, const char *value, struct err *e);

/* A write transaction around several changes (rollback never fails, and is safe without one). */
enum err_code gis_mbtiles_begin(struct gis_mbtiles *m, struct err *e);
enum err_code gis_mbtiles_commit(struct gis_mbtiles *m, struct err *e);
void gis_mbtiles_rollback(struct gis_mbtiles *m);

/* Looks up z/x/y: on a hit appends its bytes to out and sets *found. The hot path of a tile cache's
 * misses in memory: a prepared statement, no copy but the one into out. */
enum err_code gis_mbtiles_get(struct gis_mbtiles *m, int z, long x, long y, struct buf *out, bool *found,
                              struct err *e);

/* True when z/x/y is stored (false on any error). */
bool gis_mbtiles_has(struct gis_mbtiles *m, int z, long x, long y);

/* Stores (or replaces) z/x/y rendered at store generation gen. */
enum err_code gis_mbtiles_put(struct gis_mbtiles *m, int z, long x, long y, const void *data, size_t len, long long gen,
                              struct err *e);

/* Deletes the tiles of zoom z with x0 <= x <= x1 and y0 <= y <= y1. */
enum err_code gis_mbtiles_delete(struct gis_mbtiles *m, int z, long x0, long y0, long x1, long y1, struct err *e);

/* Deletes every tile. */
enum err_code gis_mbtiles_clear(struct gis_mbtiles *m, struct err *e);

/* Tiles stored; -1 when they cannot be counted. */
long gis_mbtiles_count(struct gis_mbtiles *m);

#endif
