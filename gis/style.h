/* MapLibre style JSON: the subset odra's server renderer implements, loaded, validated and compiled once,
 * then evaluated per feature (filters, zoom and property expressions).
 *
 * Ownership: a struct gis_style owns everything reachable from it and is immutable after gis_style_load,
 * so any number of threads may evaluate one style at once; strings an evaluation creates (to-string,
 * concat) come from the arena in the evaluation context. */
#ifndef GIS_STYLE_H
#define GIS_STYLE_H
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

enum gis_style_layer_type {
    GIS_STYLE_BACKGROUND,
    GIS_STYLE_FILL,
    GIS_STYLE_LINE,
    GIS_STYLE_CIRCLE,
    GIS_STYLE_SYMBOL,
};

/* Paint and layout properties the renderer implements. Any other property in a style is a load error. */
enum gis_style_prop {
    GIS_P_BACKGROUND_COLOR,
    GIS_P_BACKGROUND_OPACITY,
    GIS_P_FILL_COLOR,
    GIS_P_FILL_OPACITY,
    GIS_P_FILL_OUTLINE_COLOR,
    GIS_P_FILL_ANTIALIAS,
    GIS_P_LINE_COLOR,
    GIS_P_LINE_WIDTH,
    GIS_P_LINE_OPACITY,
    GIS_P_LINE_DASHARRAY,
    GIS_P_LINE_OFFSET,
    GIS_P_LINE_JOIN,
    GIS_P_LINE_CAP,
    GIS_P_LINE_MITER_LIMIT,
    GIS_P_CIRCLE_RADIUS,
    GIS_P_CIRCLE_COLOR,
    GIS_P_CIRCLE_OPACITY,
    GIS_P_CIRCLE_STROKE_WIDTH,
    GIS_P_CIRCLE_STROKE_COLOR,
    GIS_P_CIRCLE_STROKE_OPACITY,
    GIS_P_TEXT_FIELD,
    GIS_P_TEXT_SIZE,
    GIS_P_TEXT_FONT,
    GIS_P_TEXT_ANCHOR,
    GIS_P_TEXT_OFFSET,
    GIS_P_TEXT_PADDING,
    GIS_P_TEXT_MAX_WIDTH,
    GIS_P_TEXT_TRANSFORM,
    GIS_P_TEXT_LETTER_SPACING,
    GIS_P_TEXT_ALLOW_OVERLAP,
    GIS_P_TEXT_IGNORE_PLACEMENT,
    GIS_P_TEXT_OPTIONAL,
    GIS_P_SYMBOL_PLACEMENT,
    GIS_P_SYMBOL_SPACING,
    GIS_P_SYMBOL_SORT_KEY,
    GIS_P_TEXT_COLOR,
    GIS_P_TEXT_OPACITY,
    GIS_P_TEXT_HALO_COLOR,
    GIS_P_TEXT_HALO_WIDTH,
    GIS_P_VISIBILITY,
    GIS_P_COUNT
};

enum gis_style_vtype {
    GIS_STYLE_NULL,
    GIS_STYLE_BOOL,
    GIS_STYLE_NUMBER,
    GIS_STYLE_STRING,
    GIS_STYLE_COLOR,
    GIS_STYLE_ARRAY,
};

/* A colour with straight (not premultiplied) alpha, each channel in [0, 1]. */
struct gis_style_color {
    double r, g, b, a;
};

/* A value: literals, feature properties and expression results. Strings and arrays point into the
 * style, the feature or the evaluation arena. */
struct gis_style_value {
    enum gis_style_vtype type;
    union {
        bool b;
        double n;
        const char *s;
        struct gis_style_color c;
        struct {
            const struct gis_style_value *v;
            int n;
        } a;
    };
};

/* A feature as expressions see it: its properties by name, geometry type and id. */
struct gis_style_feature {
    const char *const *keys;
    const struct gis_style_value *vals;
    int n;
    int geom_type; /* 1 Point, 2 LineString, 3 Polygon (the MVT codes) */
    long long id;
};

/* What an evaluation sees: the zoom, the feature (may be NULL) and the arena for created strings. */
struct gis_style_ctx {
    double zoom;
    const struct gis_style_feature *f;
    struct arena *a;
};

/* Hatching for a fill layer, from its metadata "odra:hatch": {"spacing": px, "angle": deg, "width": px,
 * "color": colour}. The browser ignores metadata and shows the plain fill; the server adds the hatch. */
struct gis_style_hatch {
    bool on;
    double spacing, angle, width;
    bool has_color;
    struct gis_style_color color;
};

struct gis_style;
struct gis_style_layer;

/* Parses and validates a style document. On failure returns ERR_INVALID with a message that names the
 * layer id and the property ("layer 'zones-fill': paint.fill-color: ..."); *out is then NULL. On success
 * *out is owned by the caller and freed with gis_style_free. */
enum err_code gis_style_load(const char *json, size_t len, struct gis_style **out, struct err *e);

/* Frees a style. NULL is a no-op. */
void gis_style_free(struct gis_style *s);

const char *gis_style_name(const struct gis_style *s);

/* The style's layers in drawing order. */
int gis_style_layer_count(const struct gis_style *s);
const struct gis_style_layer *gis_style_layer_at(const struct gis_style *s, int i);

const char *gis_style_layer_id(const struct gis_style_layer *l);
enum gis_style_layer_type gis_style_layer_type(const struct gis_style_layer *l);
/* The source-layer ("plan-zones"), or NULL for background layers. */
const char *gis_style_layer_source_layer(const struct gis_style_layer *l);
/* The map layer group from metadata "odra:group" ("mpzp", "parcels", ...), or NULL. */
const char *gis_style_layer_group(const struct gis_style_layer *l);
/* The legend title from metadata "odra:legend", or NULL. */
const char *gis_style_layer_legend(const struct gis_style_layer *l);
const struct gis_style_hatch *gis_style_layer_hatch(const struct gis_style_layer *l);
/* Whether the layer is drawn only where its group is asked for by name (metadata "odra:on-request": true),
 * not in renders of the whole style: the POG wyrys's obszary uzupełnienia zabudowy. */
bool gis_style_layer_on_request(const struct gis_style_layer *l);

/* The layer's zoom range [minzoom, maxzoom). */
double gis_style_layer_minzoom(const struct gis_style_layer *l);
double gis_style_layer_maxzoom(const struct gis_style_layer *l);

/* True when the layer is visible (layout visibility) and zoom is within [minzoom, maxzoom). */
bool gis_style_layer_active(const struct gis_style_layer *l, double zoom);

/* True when the layer's filter accepts the feature in ctx (no filter accepts everything). */
bool gis_style_layer_filter(const struct gis_style_layer *l, const struct gis_style_ctx *ctx);

/* True when the layer sets property p (otherwise the default applies). */
bool gis_style_layer_has(const struct gis_style_layer *l, enum gis_style_prop p);

/* Evaluates property p (the default when unset or when the expression fails at run time). */
struct gis_style_value gis_style_eval(const struct gis_style_layer *l, enum gis_style_prop p,
                                      const struct gis_style_ctx *ctx);

/* Typed shortcuts over gis_style_eval. */
double gis_style_number(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx);
struct gis_style_color gis_style_color(const struct gis_style_layer *l, enum gis_style_prop p,
                                       const struct gis_style_ctx *ctx);
bool gis_style_bool(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx);
/* String result ("" for null); numbers are formatted as MapLibre's to-string does. */
const char *gis_style_string(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx);

/* Parses a CSS colour as the style spec allows ("#rgb", "#rrggbbaa", "rgb()", "rgba()", "hsl()",
 * "hsla()" and the common names). Returns false on anything else. */
bool gis_style_parse_color(const char *s, struct gis_style_color *out);

/* The background colour of the style's first visible background layer at zoom, or false if none. */
bool gis_style_background(const struct gis_style *s, double zoom, struct gis_style_color *out);

#endif
