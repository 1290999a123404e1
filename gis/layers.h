/* The layer table: one struct gis_layer per store table with geometry, the one place that says what the
 * table is to each part of the server. Its OGC API Features collection (gis/features.c), its source layer
 * for styles and vector tiles (gis/render.c, tiles/mvt.c), its place in the plan map, its own tileset
 * (tiles/tileset.c) and whether it counts toward the data extent all come from its entry. The core's
 * layers are the static table gis_layers_core; a module adds its own with gis_layers_register (through
 * the `layers` member of its struct svc_module), and from then on they are part of the same table.
 *
 * The spatial-index query (gis_store_bbox_query) and the other per-layer reads of the store are here too,
 * so no caller outside gis/ writes SQL against a layer's table.
 *
 * Ownership: layers and everything they point to are static. Register at startup, before any thread
 * reads the table; afterwards the table is read-only and shared by all threads. */
#ifndef GIS_LAYERS_H
#define GIS_LAYERS_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

enum gis_prop_type { GIS_PROP_TEXT, GIS_PROP_INT, GIS_PROP_REAL };

/* A property of a collection's features. */
struct gis_prop {
    const char *name; /* property name in GeoJSON and in filters */
    const char *sql;  /* SQL expression over the collection's FROM clause (fixed text, never user input) */
    enum gis_prop_type type;
    bool queryable; /* usable as an equality filter ?name=value */
    const char *description;
};

/* A layer as OGC API Features serves it. id NULL: the layer is not a collection. The geometry is always
 * the layer's table's `geom` (see struct gis_layer), reached from a collection with gis_collection_layer. */
struct gis_collection {
    const char *id;               /* "parcels", "plan-zones", ... */
    const char *title;            /* Polish title shown to users */
    const char *description;      /* English description for the API */
    const char *from;             /* FROM clause; the layer's table is aliased t */
    const char *geometry_type;    /* "MultiPolygon", "Point", ... */
    const struct gis_prop *props; /* ended by a NULL name */
};

/* The most attributes a layer has on maps. */
#define GIS_LAYER_MAX_KEYS 16

/* A layer on maps: its source layer, which styles draw and vector tiles carry. name NULL: not on maps. */
struct gis_layer_map {
    const char *name;        /* source-layer name in styles and MVT: "plan-zones" */
    const char *from;        /* FROM clause of the map query; the layer's table is aliased t */
    const char *const *keys; /* attribute names, ended by NULL (at most GIS_LAYER_MAX_KEYS) */
    const char *const *cols; /* their SQL expressions (fixed text), in the same order */
    int minzoom;             /* lowest zoom at which vector tiles hold it */
    int plan;                /* its place in the plan tileset's vector tiles, bottom first (1, 2, ...); 0: not in it */
    /* Plan data, which the map shows as in force on a date (gis_store_bbox_query's date): GIS_LAYER_PLANS
     * for the plans table itself, GIS_LAYER_PLAN_PART for a table with plan_id whose features an amendment
     * in force replaces inside its boundary (they are drawn cut by it). */
    enum { GIS_LAYER_UNDATED, GIS_LAYER_PLANS, GIS_LAYER_PLAN_PART } dated;
};

/* A tileset of the layer alone (named like its source layer): what OGC API - Tiles serves for its
 * collection, and a module's map. Its vector tiles hold only this layer; its rasters are transparent and
 * draw the listed groups of its style. title NULL: no tileset of its own. */
struct gis_layer_tileset {
    const char *title;         /* Polish title */
    const char *description;   /* English description */
    const char *const *groups; /* style layer groups drawn in rasters; NULL: the whole style */
    const char *style;         /* embedded MapLibre style of its rasters, e.g. "styles/waste.json"; NULL: plan */
    bool listed;               /* listed with the map tilesets (/{t}/tiles, WMTS), not only under its collection */
};

struct gis_layer {
    /* The table: geometry column geom (EPSG:2180), SpatiaLite spatial index idx_<table>_geom, integer key
     * id. NULL ends a list of layers. */
    const char *table;
    struct gis_collection collection;
    struct gis_layer_map map;
    struct gis_layer_tileset tileset;
    bool extent; /* counts toward the extent of the map data (gis_render_extent) */
};

/* The most layers: core and registered. */
#define GIS_LAYERS_MAX 32

/* The core's layers, ended by a NULL table. */
extern const struct gis_layer gis_layers_core[];

/* Adds layers (ended by a NULL table; static, as everything they point to) after the core's. Call at
 * startup, before any thread reads the table. Registering the same layers again is a no-op; a table,
 * collection id or source-layer name that another layer has is ERR_INVALID, so is a place in the plan map
 * (that map is the core's) or more than GIS_LAYER_MAX_KEYS attributes. */
enum err_code gis_layers_register(const struct gis_layer *layers, struct err *e);

/* Layer i (0 ..) of the core then the registered ones, or NULL past the end; its index below
 * GIS_LAYERS_MAX, or -1 for a layer not in the table. */
const struct gis_layer *gis_layer_at(int i);
int gis_layer_index(const struct gis_layer *L);

/* The layer whose source layer on maps is called name, or NULL. */
const struct gis_layer *gis_layer_find(const char *name);

/* The names of the plan tileset's layers in drawing order (bottom first), ended by NULL. */
const char *const *gis_layers_plan(void);

/* The number of map attributes of L. */
int gis_layer_nkeys(const struct gis_layer *L);

/* The layer that collection c belongs to (every collection is part of one). */
const struct gis_layer *gis_collection_layer(const struct gis_collection *c);

/* ---- reading a layer from a store ---- */

/* A value of a map attribute. text points into the row: valid until the row callback returns. */
enum gis_value_type { GIS_VALUE_NULL, GIS_VALUE_INT, GIS_VALUE_REAL, GIS_VALUE_TEXT };
struct gis_value {
    enum gis_value_type type;
    long long i;      /* GIS_VALUE_INT */
    double d;         /* GIS_VALUE_REAL, and GIS_VALUE_INT as a double */
    const char *text; /* GIS_VALUE_TEXT, len bytes (NUL-terminated) */
    size_t len;
};

/* One row of a layer's map query. wkb (the geometry as WKB, in EPSG:2180) is NULL for a row without one. */
struct gis_layer_row {
    long long id;
    const unsigned char *wkb;
    size_t wkb_len;
    void *cursor; /* private to gis/ */
};

/* Attribute k (the order of L->map.keys) of row. */
void gis_layer_row_value(const struct gis_layer_row *row, int k, struct gis_value *v);

/* Called for each row; returns false to stop the query (without an error). */
typedef bool (*gis_layer_row_fn)(void *ctx, const struct gis_layer_row *row);

/* The spatial-index query of layer L: calls fn for every feature whose index box meets bbox (EPSG:2180:
 * minx, miny, maxx, maxy) and is at least min_size wide or high (0: any), at most limit of them, with its
 * map attributes. A dated layer (plan data) gives only the features of plans in force on date (ISO
 * "YYYY-MM-DD"; NULL: today), the way gis_place_zones answers for a parcel: an amended plan's features
 * come cut by the boundaries of its amendments in force. The statement is prepared once per connection and kept
 * (gis_store_cached); rows are handed over without a copy. A store failure is ERR_IO naming the layer. */
enum err_code gis_store_bbox_query(struct gis_store *s, const struct gis_layer *L, const double bbox[4],
                                   double min_size, long limit, const char *date, gis_layer_row_fn fn, void *ctx,
                                   struct err *e);

/* A key of the plan data as in force on date (ISO; NULL: today): a hash of the ids of the plans in force
 * then, so that two dates with the same plans in force get the same maps (and share their cached
 * tiles). Never negative; 0 when the store cannot say. */
long long gis_plan_state(struct gis_store *s, const char *date);

/* Appends to b the spatial-index test of L's table, for a WHERE clause over a FROM that aliases the table
 * t: whether t.id is among the index entries whose box meets the box given by the SQL parameters
 * param[] = {maxx, minx, maxy, miny} ("?1" or ":maxx"); extra, when not NULL, is one more condition on the
 * index entry (xmin, ymin, xmax, ymax). gis_store_bbox_query and the OGC API feature query use it. */
void gis_layer_bbox_sql(struct buf *b, const struct gis_layer *L, const char *const param[4], const char *extra);

/* The extent of L's features in EPSG:2180 (its spatial index); false when it has none or the store lacks
 * the table. */
bool gis_layer_extent(struct gis_store *s, const struct gis_layer *L, double out[4]);

/* What a tileset's metadata says of a layer. */
struct gis_layer_info {
    long count;                      /* features with a geometry (its spatial index) */
    const char *geometry;            /* "Point", "LineString" or "Polygon"; NULL when the store does not say */
    bool number[GIS_LAYER_MAX_KEYS]; /* per map attribute: numeric (else a string) */
};

/* Fills *out for L from store s: the feature count, the geometry type (SpatiaLite's geometry_columns), and
 * each map attribute's type from its column's declared type, or, for an expression, from its value in
 * the first row. A table the store lacks answers a count of 0 and strings. */
void gis_layer_info(struct gis_store *s, const struct gis_layer *L, struct gis_layer_info *out);

#endif
