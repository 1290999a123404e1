/* Tilesets: what each named tileset draws, and the one function that renders a tile of it as a raster
 * PNG (through gis/render with the plan style: the map with a buffer, the labels per metatile so they
 * are not cut at tile edges, see TILE_LABEL_META) or as
 * an MVT (tiles/mvt). The plan style is loaded from the embedded styles/plan.json on first use and
 * shared read-only by all threads. */
#ifndef TILES_TILESET_H
#define TILES_TILESET_H
#include <stdbool.h>

#include "gis/layers.h"
#include "gis/store.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "util/buf.h"
#include "util/err.h"

enum tile_format {
    TILE_PNG,       /* 256 px */
    TILE_PNG2X,     /* 512 px, same area */
    TILE_MVT,       /* uncompressed protobuf */
    TILE_PNG_CRS84, /* 256 px in the WorldCRS84Quad grid (the others are WebMercatorQuad) */
};
#define TILE_NFORMATS 4

/* The grid (tile matrix set) of the tiles of format f. */
enum tile_grid tile_format_grid(enum tile_format f);

/* Pixels of buffer rendered around a 256-px raster tile (scaled for @2x), so wide lines and symbols
 * that cross the edge are drawn in both tiles (labels: TILE_LABEL_META). */
#define TILE_RASTER_BUFFER 64

/* Labels of raster tiles are placed per metatile: a fixed block of TILE_LABEL_META x TILE_LABEL_META
 * tiles at the tile's zoom (the whole world below that). Every tile of a metatile places the labels of
 * the whole metatile the same way (polygon anchors from the zones clipped to the metatile, collisions in
 * one fixed order) and draws those that reach into it; a label must lie wholly inside its metatile. So
 * neighbouring tiles always agree, and no label is cut at a tile edge. The placed labels of recent
 * metatiles are memoized per store file and generation, so the other tiles of a metatile only draw them
 * (the pixels are the same either way). A change anywhere in a metatile (grown by the render buffer) can
 * move labels in all of its tiles: cache invalidation covers whole metatiles of raster tiles
 * (tile_cache_set_meta). */
#define TILE_LABEL_META 4

/* The metatile side in tiles at zoom z for format f: TILE_LABEL_META, less at low zooms, 1 for MVT. */
int tile_label_meta(enum tile_format f, int z);

struct tile_set {
    const char *name;              /* URL name: "plan", "parcels" */
    const char *title;             /* Polish title */
    const char *description;       /* English description */
    const char *const *groups;     /* style layer groups drawn in rasters (NULL: all) */
    const char *const *layers;     /* MVT layers (NULL: the plan tileset's, tile_mvt_plan_layers) */
    bool transparent;              /* rasters without background */
    const char *style;             /* embedded MapLibre style of the rasters, e.g. "styles/waste.json"; NULL: plan */
    const struct gis_layer *layer; /* the layer whose own tileset this is (gis_layer_tileset), NULL: the plan */
};

/* The tilesets are the plan map and one for each layer of the layer table (gis/layers.h) that declares a
 * tileset of its own. */

/* The most tilesets listed by tile_set_at: the plan and the layers' listed ones. */
#define TILE_MAX_SETS 16

/* Makes the tilesets of the layers registered with gis_layers_register (after the core's), and loads and
 * checks their styles (which must be embedded and use only known source layers). Call at startup, after
 * registering the layers and before any thread renders; calling it again is a no-op. The tiles layer
 * serves whatever is registered: which tenant may see which set is the caller's business. */
enum err_code tile_sets_register(struct err *e);

/* Tileset i (0 .. ) of the listed ones: the plan, then the layers' listed ones in the order of the layer
 * table; NULL past the end. */
const struct tile_set *tile_set_at(int i);

/* The tileset of one source layer, as OGC API - Tiles serves it for the collection of that name: the
 * layer's own tileset (listed or not), whose MVTs hold only that layer and whose rasters (transparent)
 * draw only that layer's style groups. NULL for a layer without one (landcover, streets, obreby) and for
 * unknown names. */
const struct tile_set *tile_set_of_layer(const char *name);

/* A number below TILE_SET_SLOTS for every tileset tile_set_at or tile_set_of_layer gives (for tables of
 * per-tileset state such as open caches): below TILE_MAX_SETS for the listed ones; -1 for any other. */
#define TILE_SET_SLOTS (TILE_MAX_SETS + 8)
int tile_set_index(const struct tile_set *ts);

/* The listed tileset called name, or NULL (not the unlisted ones of tile_set_of_layer). */
const struct tile_set *tile_set_find(const char *name);

/* "png", "png@2x", "mvt", "png-crs84": the cache file suffix. */
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
/* The same for the tiles of another plan state than today's (gis_plan_state, a past or future date):
 * DATA/tiles/SLUG/NAME.FORMAT.pSTATE.mbtiles. */
enum err_code tile_set_cache_open_state(const char *data_dir, const char *slug, const struct tile_set *ts,
                                        enum tile_format f, long long gen, long long state, struct tile_cache **out,
                                        struct err *e);

/* Whether ts shows plan data, which depends on the date (gis_layer_map.dated). */
bool tile_set_dated(const struct tile_set *ts);

/* Renders tile z/x/y of ts in format f, its plan data as in force on date (ISO; NULL: today), and appends
 * the bytes to out (PNG, or MVT uncompressed). A tile without data is still a valid tile (a PNG of the
 * background, a zero-length MVT). s is the caller's store connection. */
enum err_code tile_render(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          const char *date, struct buf *out, struct err *e);

#endif
