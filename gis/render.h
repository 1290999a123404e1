/* The one map renderer: Cairo for geometry, Pango for text, driven by a MapLibre style (gis/style.h).
 * It draws WMS images, raster tiles and the wyrys into any cairo_t the caller owns.
 *
 * Ownership: the caller owns the cairo_t, the store connection and the style; everything the renderer
 * allocates lives in a private arena freed before each call returns, except surfaces it returns, which
 * the caller destroys. Functions use the calling thread's PROJ context, so threads may render at once,
 * each with its own store connection and cairo_t.
 *
 * Zoom: styles are written for MapLibre GL, whose zoom assumes 512-px tiles, so the zoom of a map is
 * log2(78271.51696 * cos(lat) / m) where m is the ground size in metres of one style pixel (a device
 * pixel times scale) at the map centre. A 256-px raster tile at XYZ level z therefore renders at zoom
 * z - 1 with scale 1, and so does its 512-px @2x version with scale 2 (same zoom, finer pixels). */
#ifndef GIS_RENDER_H
#define GIS_RENDER_H
#include <cairo.h>
#include <stdbool.h>

#include "gis/crs.h"
#include "gis/store.h"
#include "gis/style.h"
#include "util/buf.h"
#include "util/err.h"

/* Features fetched per source layer and request, at most; more are left out and stats->truncated set. */
#define GIS_RENDER_MAX_FEATURES 30000
/* Labels placed per request, at most. */
#define GIS_RENDER_MAX_LABELS 4000

struct gis_render_opts {
    enum gis_crs crs;
    double bbox[4];            /* minx, miny, maxx, maxy in crs, traditional (east, north) order */
    int width, height;         /* device pixels of the target */
    double scale;              /* device pixels per style pixel: 1 for screens, 300/96 for a 300-dpi print */
    const char *const *groups; /* draw only style layers whose odra:group is listed; NULL draws all */
    int ngroups;
    bool transparent; /* leave the background clear */
    bool has_bgcolor; /* paint bgcolor instead of the style's background */
    struct gis_style_color bgcolor;
    long max_features;  /* per source layer; 0 means GIS_RENDER_MAX_FEATURES */
    bool labels_inside; /* keep every label fully inside the image (true for single images) */
    /* GIS_RENDER_LABELS_ALL draws everything; _NONE leaves out the symbol (label) layers; _ONLY draws just
     * them, without background, so a caller can place the labels of a larger area (a raster metatile)
     * over a map drawn without labels. */
    enum { GIS_RENDER_LABELS_ALL, GIS_RENDER_LABELS_NONE, GIS_RENDER_LABELS_ONLY } label_mode;
    /* With GIS_RENDER_LABELS_ONLY: when set, the labels are placed but not drawn, and on success
     * *labels_out receives them (gis_render_labels_draw draws them, as often as wanted). */
    struct gis_render_labels **labels_out;
    const char *date; /* plan layers as in force on this ISO date (gis_store_bbox_query); NULL: today */
    /* A document's own labels, placed before any of the style's (the wyrys: the requested parcels'
     * numbers), in the look of the first symbol layer of source layer first_layer, bold and a fifth
     * larger: inside the polygon when it fits, else beside it, never dropped. No label crosses the
     * outline of their polygons (theirs neither), and first_layer's style labels of the same features
     * (by row id) are left out. */
    const struct gis_render_first *first;
    int nfirst;
    const char *first_layer; /* "parcels" */
    /* When set, the box of every label placed is appended here (tests check the layout with it). */
    struct gis_render_boxes *boxes_out;
};

struct gis_render_first {
    long id;                  /* row id in first_layer's table */
    const char *text;         /* the label */
    const unsigned char *wkb; /* the polygon, ISO WKB in EPSG:2180 */
    size_t wkb_len;
};

/* A placed label's box in the device pixels of the render: centre, half sizes (padding included) and the
 * angle (radians, clockwise on the page). first: one of opts.first. */
struct gis_render_box {
    double cx, cy, hw, hh, angle;
    bool first;
};
struct gis_render_boxes {
    struct gis_render_box *v; /* malloc'ed; the caller frees v */
    int n, cap;
};

/* Labels placed by one render, with everything needed to draw them again: reference counted and
 * read-only once made, so threads may share one. */
struct gis_render_labels;

struct gis_render_stats {
    double zoom;
    long features;       /* drawn, all layers */
    long labels;         /* placed */
    long labels_dropped; /* did not fit or collided */
    bool truncated;      /* some source layer hit max_features */
    double ms;
};

/* The MapLibre zoom (512-px convention, see the top of this file) of a map of bbox in crs at width
 * device pixels and scale. Returns NAN when the bbox cannot be transformed. */
double gis_render_zoom(enum gis_crs crs, const double bbox[4], int width, double scale);

/* Draws the map into cr, whose user space must be the target's device pixels (0,0 top left). The
 * cairo_t's status is checked once at the end; a store or PROJ failure is an error, an empty map is not.
 * stats may be NULL. */
enum err_code gis_render_map(cairo_t *cr, struct gis_store *s, const struct gis_style *st,
                             const struct gis_render_opts *o, struct gis_render_stats *stats, struct err *e);

/* Draws recorded labels into cr, whose user space must be the device pixels of the render that placed
 * them; labels wholly outside cr's clip are skipped. The pixels are those gis_render_map draws. */
void gis_render_labels_draw(cairo_t *cr, const struct gis_render_labels *L);
void gis_render_labels_ref(struct gis_render_labels *L);
/* Drops a reference; the last one frees. NULL is a no-op. */
void gis_render_labels_unref(struct gis_render_labels *L);
long gis_render_labels_count(const struct gis_render_labels *L);

enum gis_render_format { GIS_RENDER_PNG, GIS_RENDER_JPEG };

/* Encodes an image surface (ARGB32 or RGB24) and appends it to out: PNG (RGB for RGB24, RGBA for ARGB32,
 * zlib level `quality` 1..9, 0 for the default) or JPEG (quality 1..100, 0 for 88; alpha is dropped).
 * PNG goes through our own encoder (gis/png.h) because cairo's fixed zlib settings cost more than the
 * rendering; JPEG comes from GDAL (libjpeg-turbo). */
enum err_code gis_render_encode(cairo_surface_t *s, enum gis_render_format fmt, int quality, struct buf *out,
                                struct err *e);

/* The source layers styles read are the map layers of the layer table (gis/layers.h): the core's and
 * those modules register. A style only reads a source layer when it draws it, so a table need not exist
 * in every store. */

/* Checks that every source-layer the style names is one the renderer can read (a map layer of the table);
 * ERR_INVALID naming the layer otherwise. */
enum err_code gis_render_check_style(const struct gis_style *st, struct err *e);

/* The extent of the store's map data in EPSG:2180 (minx, miny, maxx, maxy): of the layers marked extent in
 * the layer table. False when it is empty. */
bool gis_render_extent(struct gis_store *s, double out[4]);

/* A legend image for the style layers in groups (NULL: all): one row per symbol found in the store
 * (zone symbols with their Polish names) or per layer with an odra:legend title. On success *out is a
 * new ARGB32 image surface the caller destroys. */
enum err_code gis_render_legend(struct gis_store *s, const struct gis_style *st, const char *const *groups, int ngroups,
                                double scale, cairo_surface_t **out, struct err *e);

#endif
