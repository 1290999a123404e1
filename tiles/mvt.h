/* Mapbox Vector Tile 2.1 encoding straight from a store: one layer per map layer of the layer table (the
 * plan style's: plan-zones, pog-zones, overlays, parcels, buildings, addresses, streets, landcover, plans;
 * and the modules'), with the attributes the style reads, clipped by GEOS to the tile plus a buffer, snapped to the
 * 4096 grid, simplified per zoom without collapsing small polygons, and with the winding order the spec asks for.
 *
 * Ownership: the caller owns the store connection and the output buffer; nothing else outlives a call.
 * Uses the calling thread's PROJ context and a GEOS context of its own, so threads may encode at once,
 * each with its own store connection. */
#ifndef TILES_MVT_H
#define TILES_MVT_H
#include <stdbool.h>

#include "gis/layers.h"
#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

#define TILE_MVT_EXTENT 4096
/* Tile units of buffer around the tile kept after clipping. */
#define TILE_MVT_BUFFER 64
/* Features per layer and tile, at most. */
#define TILE_MVT_MAX_FEATURES 50000

/* The layers are the map layers of the layer table (gis/layers.h), named by their source-layer names; a
 * module's come with its registration. The encoder reads them only through gis/ (gis_store_bbox_query). */

/* The plan tileset's layer names, in drawing order, ended by NULL: what a tile of "all layers" holds. */
const char *const *tile_mvt_plan_layers(void);

/* The attribute names of layer name, ended by NULL, or NULL for an unknown layer. */
const char *const *tile_mvt_layer_keys(const char *name);

/* The lowest zoom at which layer name is put into tiles (-1 for an unknown layer). */
int tile_mvt_layer_minzoom(const char *name);

/* What a tileset's metadata (TileJSON vector_layers, tippecanoe's metadata.json) says of a layer. */
struct tile_mvt_layer_info {
    long count;                      /* features with a geometry in the layer's table (its spatial index) */
    const char *geometry;            /* "Point", "LineString" or "Polygon"; NULL when the store does not say */
    bool number[GIS_LAYER_MAX_KEYS]; /* per attribute, in tile_mvt_layer_keys order: numeric (else a string) */
};

/* Fills *out for layer name from store s: the table's feature count and geometry type (SpatiaLite's
 * geometry_columns), and each attribute's type from its column's declared type, or, for an expression,
 * from its value in the first row. A table the store lacks answers a count of 0 and strings.
 * ERR_NOT_FOUND for an unknown layer. */
enum err_code tile_mvt_layer_info(struct gis_store *s, const char *name, struct tile_mvt_layer_info *out,
                                  struct err *e);

/* Encodes tile z/x/y with the listed layers, in that order (NULL: the plan tileset's), its plan layers as
 * in force on date (ISO; NULL: today), and appends the protobuf to out. Empty layers are left out, so a tile without
 * data is a valid, zero-length MVT. Sets *features (may be NULL) to the number of features written. */
enum err_code tile_mvt_encode(struct gis_store *s, const char *const *layers, int z, long x, long y, const char *date,
                              struct buf *out, long *features, struct err *e);

/* Gzips data into out (RFC 1952). */
enum err_code tile_gzip(const void *data, size_t len, struct buf *out, struct err *e);
/* Gunzips data into out; ERR_INVALID when it is not a gzip stream. */
enum err_code tile_gunzip(const void *data, size_t len, struct buf *out, struct err *e);

#endif
