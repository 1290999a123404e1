/* Tilesets: what each named tileset draws, and the one function that renders a tile of it as a raster
 * PNG (through gis/render with the plan style, with a buffer so labels are not cut at tile edges) or as
 * an MVT (tiles/mvt). The plan style is loaded from the embedded styles/plan.json on first use and
 * shared read-only by all threads. */
#ifndef TILES_TILESET_H
#define TILES_TILESET_H
#include <stdbool.h>

#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

enum tile_format {
    TILE_PNG,   /* 256 px */
    TILE_PNG2X, /* 512 px, same area */
    TILE_MVT,   /* uncompressed protobuf */
};
#define TILE_NFORMATS 3

/* Pixels of buffer rendered around a 256-px raster tile (scaled for @2x), so labels and symbols that
 * cross the edge are drawn in both tiles. */
#define TILE_RASTER_BUFFER 64

struct tile_set {
    const char *name;          /* URL name: "plan", "parcels" */
    const char *title;         /* Polish title */
    const char *description;   /* English description */
    const char *const *groups; /* style layer groups drawn in rasters (NULL: all) */
    const char *const *layers; /* MVT layers (NULL: all) */
    bool transparent;          /* rasters without background */
};

/* The tilesets, ended by an entry whose name is NULL. */
extern const struct tile_set tile_sets[];

const struct tile_set *tile_set_find(const char *name);

/* "png", "png@2x", "mvt": the cache file suffix. */
const char *tile_format_name(enum tile_format f);
/* The media type of a tile of format f. */
const char *tile_format_mime(enum tile_format f);

/* The fraction of a tile's side that a change near, but outside, a tile of format f can still reach:
 * the render buffer. Cache invalidation grows each change by it. */
double tile_format_buffer(enum tile_format f);

struct tile_cache;

/* Opens the cache file of tenant slug, tileset ts and format f under data_dir:
 * DATA/tiles/SLUG/NAME.FORMAT.mbtiles (directories created as needed); gen is the store generation
 * (tile_store_generation) used when the file is new. *out is freed with tile_cache_close. */
enum err_code tile_set_cache_open(const char *data_dir, const char *slug, const struct tile_set *ts, enum tile_format f,
                                  long long gen, struct tile_cache **out, struct err *e);

/* Renders tile z/x/y of ts in format f and appends the bytes to out (PNG, or MVT uncompressed). A tile
 * without data is still a valid tile (a PNG of the background, a zero-length MVT). s is the caller's
 * store connection. */
enum err_code tile_render(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          struct buf *out, struct err *e);

#endif
