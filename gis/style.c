/* MapLibre style loading: JSON (jansson) is validated and compiled into expression trees held in one arena
 * per style, so evaluation allocates nothing but the strings it creates. */
#include "gis/style.h"

#include <ctype.h>
#include <stdarg.h>
#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STYLE_MAX_LAYERS 1000
#define STYLE_MAX_DEPTH  48
#define STYLE_MAX_ARRAY  4096

enum op {
    OP_LIT,
    OP_GET,
    OP_HAS,
    OP_NOT,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ALL,
    OP_ANY,
    OP_IN,
    OP_LEGACY_IN,
    OP_MATCH,
    OP_CASE,
    OP_COALESCE,
    OP_TOSTRING,
    OP_TONUMBER,
    OP_TOBOOLEAN,
    OP_CONCAT,
    OP_ZOOM,
    OP_INTERP,
    OP_STEP,
    OP_GEOMTYPE,
    OP_ID,
    OP_DOWNCASE,
    OP_UPCASE,
};

/* The type a position expects; string literals in a colour position are parsed as colours at load. */
enum expect { X_ANY, X_COLOR, X_NUMBER, X_STRING, X_BOOL, X_NUMARRAY, X_ENUM, X_FONTS };

struct expr {
    enum op op;
    int n;
    struct expr **a;
    struct gis_style_value v; /* OP_LIT value; OP_GET/OP_HAS key in v.s */
    double base;              /* OP_INTERP: 1 for linear */
    enum expect expect;       /* what the result is coerced to */
};

struct gis_style_layer {
    const char *id;
    enum gis_style_layer_type type;
    const char *source_layer;
    const char *group;
    const char *legend;
    double minzoom, maxzoom;
    struct expr *filter;
    struct expr *prop[GIS_P_COUNT];
    bool visible;
    bool on_request; /* metadata "odra:on-request": drawn only where its group is asked for by name */
    struct gis_style_hatch hatch;
};

struct gis_style {
    struct arena *arena;
    const char *name;
    struct gis_style_layer *layers;
    int nlayers;
};

/* ---- property definitions ---- */

#define L_BG     (1u << GIS_STYLE_BACKGROUND)
#define L_FILL   (1u << GIS_STYLE_FILL)
#define L_LINE   (1u << GIS_STYLE_LINE)
#define L_CIRCLE (1u << GIS_STYLE_CIRCLE)
#define L_SYMBOL (1u << GIS_STYLE_SYMBOL)
#define L_ALL    (L_BG | L_FILL | L_LINE | L_CIRCLE | L_SYMBOL)

static const char *const enum_join[] = {"bevel", "round", "miter", NULL};
static const char *const enum_cap[] = {"butt", "round", "square", NULL};
static const char *const enum_anchor[] = {"center",   "left",      "right",       "top",          "bottom",
                                          "top-left", "top-right", "bottom-left", "bottom-right", NULL};
static const char *const enum_placement[] = {"point", "line", "line-center", NULL};
static const char *const enum_transform[] = {"none", "uppercase", "lowercase", NULL};
static const char *const enum_visibility[] = {"visible", "none", NULL};

struct prop_def {
    const char *name;
    bool layout;
    unsigned layers;
    enum expect type;
    const char *const *enums;
    double min; /* numbers and number arrays: smallest allowed literal */
    int count;  /* number arrays: exact length (0: any) */
};

static const struct prop_def props[GIS_P_COUNT] = {
    [GIS_P_BACKGROUND_COLOR] = {"background-color", false, L_BG, X_COLOR, NULL, 0, 0},
    [GIS_P_BACKGROUND_OPACITY] = {"background-opacity", false, L_BG, X_NUMBER, NULL, 0, 0},
    [GIS_P_FILL_COLOR] = {"fill-color", false, L_FILL, X_COLOR, NULL, 0, 0},
    [GIS_P_FILL_OPACITY] = {"fill-opacity", false, L_FILL, X_NUMBER, NULL, 0, 0},
    [GIS_P_FILL_OUTLINE_COLOR] = {"fill-outline-color", false, L_FILL, X_COLOR, NULL, 0, 0},
    [GIS_P_FILL_ANTIALIAS] = {"fill-antialias", false, L_FILL, X_BOOL, NULL, 0, 0},
    [GIS_P_LINE_COLOR] = {"line-color", false, L_LINE, X_COLOR, NULL, 0, 0},
    [GIS_P_LINE_WIDTH] = {"line-width", false, L_LINE, X_NUMBER, NULL, 0, 0},
    [GIS_P_LINE_OPACITY] = {"line-opacity", false, L_LINE, X_NUMBER, NULL, 0, 0},
    [GIS_P_LINE_DASHARRAY] = {"line-dasharray", false, L_LINE, X_NUMARRAY, NULL, 0, 0},
    [GIS_P_LINE_OFFSET] = {"line-offset", false, L_LINE, X_NUMBER, NULL, -1e9, 0},
    [GIS_P_LINE_JOIN] = {"line-join", true, L_LINE, X_ENUM, enum_join, 0, 0},
    [GIS_P_LINE_CAP] = {"line-cap", true, L_LINE, X_ENUM, enum_cap, 0, 0},
    [GIS_P_LINE_MITER_LIMIT] = {"line-miter-limit", true, L_LINE, X_NUMBER, NULL, 0, 0},
    [GIS_P_CIRCLE_RADIUS] = {"circle-radius", false, L_CIRCLE, X_NUMBER, NULL, 0, 0},
    [GIS_P_CIRCLE_COLOR] = {"circle-color", false, L_CIRCLE, X_COLOR, NULL, 0, 0},
    [GIS_P_CIRCLE_OPACITY] = {"circle-opacity", false, L_CIRCLE, X_NUMBER, NULL, 0, 0},
    [GIS_P_CIRCLE_STROKE_WIDTH] = {"circle-stroke-width", false, L_CIRCLE, X_NUMBER, NULL, 0, 0},
    [GIS_P_CIRCLE_STROKE_COLOR] = {"circle-stroke-color", false, L_CIRCLE, X_COLOR, NULL, 0, 0},
    [GIS_P_CIRCLE_STROKE_OPACITY] = {"circle-stroke-opacity", false, L_CIRCLE, X_NUMBER, NULL, 0, 0},
    [GIS_P_TEXT_FIELD] = {"text-field", true, L_SYMBOL, X_STRING, NULL, 0, 0},
    [GIS_P_TEXT_SIZE] = {"text-size", true, L_SYMBOL, X_NUMBER, NULL, 0, 0},
    [GIS_P_TEXT_FONT] = {"text-font", true, L_SYMBOL, X_FONTS, NULL, 0, 0},
    [GIS_P_TEXT_ANCHOR] = {"text-anchor", true, L_SYMBOL, X_ENUM, enum_anchor, 0, 0},
    [GIS_P_TEXT_OFFSET] = {"text-offset", true, L_SYMBOL, X_NUMARRAY, NULL, -1e9, 2},
    [GIS_P_TEXT_PADDING] = {"text-padding", true, L_SYMBOL, X_NUMBER, NULL, 0, 0},
    [GIS_P_TEXT_MAX_WIDTH] = {"text-max-width", true, L_SYMBOL, X_NUMBER, NULL, 0, 0},
    [GIS_P_TEXT_TRANSFORM] = {"text-transform", true, L_SYMBOL, X_ENUM, enum_transform, 0, 0},
    [GIS_P_TEXT_LETTER_SPACING] = {"text-letter-spacing", true, L_SYMBOL, X_NUMBER, NULL, -1e9, 0},
    [GIS_P_TEXT_ALLOW_OVERLAP] = {"text-allow-overlap", true, L_SYMBOL, X_BOOL, NULL, 0, 0},
    [GIS_P_TEXT_IGNORE_PLACEMENT] = {"text-ignore-placement", true, L_SYMBOL, X_BOOL, NULL, 0, 0},
    [GIS_P_TEXT_OPTIONAL] = {"text-optional", true, L_SYMBOL, X_BOOL, NULL, 0, 0},
    [GIS_P_SYMBOL_PLACEMENT] = {"symbol-placement", true, L_SYMBOL, X_ENUM, enum_placement, 0, 0},
    [GIS_P_SYMBOL_SPACING] = {"symbol-spacing", true, L_SYMBOL, X_NUMBER, NULL, 1, 0},
    [GIS_P_SYMBOL_SORT_KEY] = {"symbol-sort-key", true, L_SYMBOL, X_NUMBER, NULL, -1e9, 0},
    [GIS_P_TEXT_COLOR] = {"text-color", false, L_SYMBOL, X_COLOR, NULL, 0, 0},
    [GIS_P_TEXT_OPACITY] = {"text-opacity", false, L_SYMBOL, X_NUMBER, NULL, 0, 0},
    [GIS_P_TEXT_HALO_COLOR] = {"text-halo-color", false, L_SYMBOL, X_COLOR, NULL, 0, 0},
    [GIS_P_TEXT_HALO_WIDTH] = {"text-halo-width", false, L_SYMBOL, X_NUMBER, NULL, 0, 0},
    [GIS_P_VISIBILITY] = {"visibility", true, L_ALL, X_ENUM, enum_visibility, 0, 0},
};

static struct gis_style_value v_num(double n)
{
    return (struct gis_style_value){.type = GIS_STYLE_NUMBER, .n = n};
}
static struct gis_style_value v_bool(bool b)
{
    return (struct gis_style_value){.type = GIS_STYLE_BOOL, .b = b};
}
static struct gis_style_value v_str(const char *s)
{
    return (struct gis_style_value){.type = GIS_STYLE_STRING, .s = s};
}
static struct gis_style_value v_color(double r, double g, double b, double a)
{
    return (struct gis_style_value){.type = GIS_STYLE_COLOR, .c = {r, g, b, a}};
}
static const struct gis_style_value v_null = {.type = GIS_STYLE_NULL};

static struct gis_style_value prop_default(enum gis_style_prop p)
{
    static const struct gis_style_value zero2[2] = {{.type = GIS_STYLE_NUMBER, .n = 0},
                                                    {.type = GIS_STYLE_NUMBER, .n = 0}};
    static const struct gis_style_value fonts[1] = {{.type = GIS_STYLE_STRING, .s = "DejaVu Sans"}};
    switch (p) {
    case GIS_P_BACKGROUND_COLOR:
    case GIS_P_FILL_COLOR:
    case GIS_P_LINE_COLOR:
    case GIS_P_CIRCLE_COLOR:
    case GIS_P_CIRCLE_STROKE_COLOR:
    case GIS_P_TEXT_COLOR: return v_color(0, 0, 0, 1);
    case GIS_P_FILL_OUTLINE_COLOR:
    case GIS_P_TEXT_HALO_COLOR: return v_color(0, 0, 0, 0);
    case GIS_P_BACKGROUND_OPACITY:
    case GIS_P_FILL_OPACITY:
    case GIS_P_LINE_OPACITY:
    case GIS_P_CIRCLE_OPACITY:
    case GIS_P_CIRCLE_STROKE_OPACITY:
    case GIS_P_TEXT_OPACITY:
    case GIS_P_LINE_WIDTH: return v_num(1);
    case GIS_P_FILL_ANTIALIAS: return v_bool(true);
    case GIS_P_LINE_DASHARRAY: return v_null;
    case GIS_P_LINE_OFFSET:
    case GIS_P_CIRCLE_STROKE_WIDTH:
    case GIS_P_TEXT_LETTER_SPACING:
    case GIS_P_TEXT_HALO_WIDTH: return v_num(0);
    case GIS_P_LINE_JOIN: return v_str("miter");
    case GIS_P_LINE_CAP: return v_str("butt");
    case GIS_P_LINE_MITER_LIMIT: return v_num(2);
    case GIS_P_CIRCLE_RADIUS: return v_num(5);
    case GIS_P_TEXT_FIELD: return v_str("");
    case GIS_P_TEXT_SIZE: return v_num(16);
    case GIS_P_TEXT_FONT: return (struct gis_style_value){.type = GIS_STYLE_ARRAY, .a = {fonts, 1}};
    case GIS_P_TEXT_ANCHOR: return v_str("center");
    case GIS_P_TEXT_OFFSET: return (struct gis_style_value){.type = GIS_STYLE_ARRAY, .a = {zero2, 2}};
    case GIS_P_TEXT_PADDING: return v_num(2);
    case GIS_P_TEXT_MAX_WIDTH: return v_num(10);
    case GIS_P_TEXT_TRANSFORM: return v_str("none");
    case GIS_P_TEXT_ALLOW_OVERLAP:
    case GIS_P_TEXT_IGNORE_PLACEMENT:
    case GIS_P_TEXT_OPTIONAL: return v_bool(false);
    case GIS_P_SYMBOL_PLACEMENT: return v_str("point");
    case GIS_P_SYMBOL_SPACING: return v_num(250);
    case GIS_P_SYMBOL_SORT_KEY: return v_null;
    case GIS_P_VISIBILITY: return v_str("visible");
    case GIS_P_COUNT: break;
    }
    return v_null;
}

/* ---- colours ---- */

static const struct {
    const char *name;
    unsigned rgb;
} named_colors[] = {
    {"black", 0x000000},       {"white", 0xffffff},     {"red", 0xff0000},       {"green", 0x008000},
    {"blue", 0x0000ff},        {"yellow", 0xffff00},    {"gray", 0x808080},      {"grey", 0x808080},
    {"silver", 0xc0c0c0},      {"maroon", 0x800000},    {"purple", 0x800080},    {"fuchsia", 0xff00ff},
    {"lime", 0x00ff00},        {"olive", 0x808000},     {"navy", 0x000080},      {"teal", 0x008080},
    {"aqua", 0x00ffff},        {"orange", 0xffa500},    {"brown", 0xa52a2a},     {"pink", 0xffc0cb},
    {"violet", 0xee82ee},      {"gold", 0xffd700},      {"darkgreen", 0x006400}, {"lightgray", 0xd3d3d3},
    {"lightgrey", 0xd3d3d3},   {"darkgray", 0xa9a9a9},  {"darkgrey", 0xa9a9a9},  {"whitesmoke", 0xf5f5f5},
    {"forestgreen", 0x228b22}, {"steelblue", 0x4682b4}, {"skyblue", 0x87ceeb},   {"tomato", 0xff6347},
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parses "n", "n%" as a channel or "n" as alpha; returns false on junk. */
static bool parse_css_numbers(const char *s, double *v, bool *pct, int max, int *count)
{
    *count = 0;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '/')
            s++;
        if (*s == ')')
            return s[1] == 0;
        if (*count == max)
            return false;
        char *end;
        v[*count] = strtod(s, &end);
        if (end == s || !isfinite(v[*count]))
            return false;
        pct[*count] = *end == '%';
        if (pct[*count])
            end++;
        if (!strncmp(end, "deg", 3))
            end += 3;
        (*count)++;
        s = end;
        if (*s != ' ' && *s != ',' && *s != ')' && *s != '/')
            return false;
    }
    return false;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static double hue_to_rgb(double m1, double m2, double h)
{
    if (h < 0)
        h += 1;
    if (h > 1)
        h -= 1;
    if (h * 6 < 1)
        return m1 + (m2 - m1) * h * 6;
    if (h * 2 < 1)
        return m2;
    if (h * 3 < 2)
        return m1 + (m2 - m1) * (2.0 / 3 - h) * 6;
    return m1;
}

bool gis_style_parse_color(const char *s, struct gis_style_color *out)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    if (len > 64)
        return false;
    if (s[0] == '#') {
        int d[8];
        size_t n = len - 1;
        if (n != 3 && n != 4 && n != 6 && n != 8)
            return false;
        for (size_t i = 0; i < n; i++)
            if ((d[i] = hexval((unsigned char)s[i + 1])) < 0)
                return false;
        if (n <= 4) {
            out->r = d[0] * 17 / 255.0, out->g = d[1] * 17 / 255.0, out->b = d[2] * 17 / 255.0;
            out->a = n == 4 ? d[3] * 17 / 255.0 : 1;
        } else {
            out->r = (d[0] * 16 + d[1]) / 255.0, out->g = (d[2] * 16 + d[3]) / 255.0;
            out->b = (d[4] * 16 + d[5]) / 255.0;
            out->a = n == 8 ? (d[6] * 16 + d[7]) / 255.0 : 1;
        }
        return true;
    }
    if (!strcasecmp(s, "transparent")) {
        *out = (struct gis_style_color){0, 0, 0, 0};
        return true;
    }
    for (size_t i = 0; i < sizeof named_colors / sizeof named_colors[0]; i++)
        if (!strcasecmp(s, named_colors[i].name)) {
            unsigned c = named_colors[i].rgb;
            *out = (struct gis_style_color){(c >> 16) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0, 1};
            return true;
        }
    double v[4];
    bool pct[4];
    int n;
    if (!strncasecmp(s, "rgba(", 5) || !strncasecmp(s, "rgb(", 4)) {
        if (!parse_css_numbers(strchr(s, '(') + 1, v, pct, 4, &n) || n < 3)
            return false;
        for (int i = 0; i < 3; i++)
            v[i] = pct[i] ? v[i] / 100 : v[i] / 255;
        *out = (struct gis_style_color){clamp01(v[0]), clamp01(v[1]), clamp01(v[2]),
                                        n == 4 ? clamp01(pct[3] ? v[3] / 100 : v[3]) : 1};
        return true;
    }
    if (!strncasecmp(s, "hsla(", 5) || !strncasecmp(s, "hsl(", 4)) {
        if (!parse_css_numbers(strchr(s, '(') + 1, v, pct, 4, &n) || n < 3)
            return false;
        double h = fmod(fmod(v[0], 360) + 360, 360) / 360, sat = clamp01(v[1] / 100), l = clamp01(v[2] / 100);
        double m2 = l <= 0.5 ? l * (sat + 1) : l + sat - l * sat, m1 = l * 2 - m2;
        *out = (struct gis_style_color){clamp01(hue_to_rgb(m1, m2, h + 1.0 / 3)), clamp01(hue_to_rgb(m1, m2, h)),
                                        clamp01(hue_to_rgb(m1, m2, h - 1.0 / 3)),
                                        n == 4 ? clamp01(pct[3] ? v[3] / 100 : v[3]) : 1};
        return true;
    }
    return false;
}

/* ---- compiling ---- */

struct cc {
    struct arena *a;
    struct err *e;
    const char *layer; /* layer id for messages */
    const char *where; /* "paint.fill-color", "filter" */
    int depth;
};

static struct expr *fail(struct cc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct expr *fail(struct cc *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(c->e, ERR_INVALID, "layer '%s': %s: %s", c->layer, c->where, msg);
    return NULL;
}

static struct expr *node(struct cc *c, enum op op, int n)
{
    struct expr *x = arena_alloc(c->a, sizeof *x);
    if (!x || (n && !(x->a = arena_alloc(c->a, sizeof *x->a * (size_t)n)))) {
        err_set(c->e, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    x->op = op;
    x->n = n;
    x->base = 1;
    return x;
}

static struct expr *lit(struct cc *c, struct gis_style_value v)
{
    struct expr *x = node(c, OP_LIT, 0);
    if (x)
        x->v = v;
    return x;
}

/* A JSON scalar or array of scalars as a value; objects are refused. */
static bool json_to_value(struct cc *c, json_t *j, struct gis_style_value *out, int depth)
{
    if (depth > 4) {
        fail(c, "nested arrays are too deep");
        return false;
    }
    switch (json_typeof(j)) {
    case JSON_NULL: *out = v_null; return true;
    case JSON_TRUE: *out = v_bool(true); return true;
    case JSON_FALSE: *out = v_bool(false); return true;
    case JSON_INTEGER:
    case JSON_REAL: *out = v_num(json_number_value(j)); return true;
    case JSON_STRING: *out = v_str(arena_strdup(c->a, json_string_value(j))); return out->s != NULL;
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        if (n > STYLE_MAX_ARRAY) {
            fail(c, "array is too long");
            return false;
        }
        struct gis_style_value *v = arena_alloc(c->a, sizeof *v * (n ? n : 1));
        if (!v)
            return false;
        for (size_t i = 0; i < n; i++)
            if (!json_to_value(c, json_array_get(j, i), &v[i], depth + 1))
                return false;
        *out = (struct gis_style_value){.type = GIS_STYLE_ARRAY, .a = {v, (int)n}};
        return true;
    }
    default: fail(c, "objects are not allowed here"); return false;
    }
}

static struct expr *compile(struct cc *c, json_t *j, enum expect want);

static const struct {
    const char *name;
    enum op op;
} ops[] = {
    {"literal", OP_LIT},
    {"get", OP_GET},
    {"has", OP_HAS},
    {"!", OP_NOT},
    {"==", OP_EQ},
    {"!=", OP_NE},
    {"<", OP_LT},
    {"<=", OP_LE},
    {">", OP_GT},
    {">=", OP_GE},
    {"all", OP_ALL},
    {"any", OP_ANY},
    {"in", OP_IN},
    {"match", OP_MATCH},
    {"case", OP_CASE},
    {"coalesce", OP_COALESCE},
    {"to-string", OP_TOSTRING},
    {"to-number", OP_TONUMBER},
    {"to-boolean", OP_TOBOOLEAN},
    {"concat", OP_CONCAT},
    {"zoom", OP_ZOOM},
    {"interpolate", OP_INTERP},
    {"step", OP_STEP},
    {"geometry-type", OP_GEOMTYPE},
    {"id", OP_ID},
    {"downcase", OP_DOWNCASE},
    {"upcase", OP_UPCASE},
};

static bool find_op(const char *name, enum op *op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(ops[i].name, name)) {
            *op = ops[i].op;
            return true;
        }
    return false;
}

/* Compiles args [from, from+count) of array j into x->a[k...], each expecting want. */
static bool compile_args(struct cc *c, struct expr *x, json_t *j, size_t from, enum expect want)
{
    for (size_t i = from; i < json_array_size(j); i++)
        if (!(x->a[i - from] = compile(c, json_array_get(j, i), want)))
            return false;
    return true;
}

static struct expr *arity(struct cc *c, const char *name, const char *what)
{
    char msg[128];
    snprintf(msg, sizeof msg, "'%s' expects %s", name, what);
    return fail(c, "%s", msg);
}

/* Numeric literal stop inputs of interpolate and step, strictly ascending. */
static bool stop_input(struct cc *c, json_t *j, double *prev, bool first, double *out)
{
    if (!json_is_number(j)) {
        fail(c, "stop inputs must be numeric literals");
        return false;
    }
    *out = json_number_value(j);
    if (!first && *out <= *prev) {
        fail(c, "stop inputs must be strictly ascending");
        return false;
    }
    *prev = *out;
    return true;
}

/* ["literal", v]: a colour where the property wants one. */
static struct expr *compile_literal(struct cc *c, json_t *j, const char *name, enum expect want)
{
    if (json_array_size(j) != 2)
        return arity(c, name, "1 argument");
    struct gis_style_value v;
    if (!json_to_value(c, json_array_get(j, 1), &v, 0))
        return c->e->code ? NULL : fail(c, "bad literal");
    if (want == X_COLOR && v.type == GIS_STYLE_STRING) {
        struct gis_style_color col;
        if (!gis_style_parse_color(v.s, &col))
            return fail(c, "'%s' is not a colour", v.s);
        v = v_color(col.r, col.g, col.b, col.a);
    }
    return lit(c, v);
}

/* ["get", name] and ["has", name], with a literal property name. */
static struct expr *compile_property(struct cc *c, json_t *j, const char *name, enum op op)
{
    if (json_array_size(j) != 2)
        return arity(c, name, "1 argument (a property name)");
    if (!json_is_string(json_array_get(j, 1)))
        return fail(c, "'%s' needs a literal property name", name);
    struct expr *x = node(c, op, 0);
    if (!x)
        return NULL;
    x->v = v_str(arena_strdup(c->a, json_string_value(json_array_get(j, 1))));
    return x;
}

/* ["match", input, label(s), output, ..., fallback]: labels are string or number literals, or non-empty
 * arrays of them. */
static struct expr *compile_match(struct cc *c, json_t *j, const char *name, enum expect want)
{
    size_t n = json_array_size(j);
    struct expr *x;
    if (n < 5 || n % 2 == 0)
        return arity(c, name, "an input, label/output pairs and a fallback");
    if (!(x = node(c, OP_MATCH, (int)n - 1)) || !(x->a[0] = compile(c, json_array_get(j, 1), X_ANY)))
        return NULL;
    for (size_t i = 2; i + 1 < n; i += 2) {
        json_t *label = json_array_get(j, i);
        if (json_is_array(label)) {
            if (json_array_size(label) == 0)
                return fail(c, "match labels must not be empty arrays");
            for (size_t k = 0; k < json_array_size(label); k++)
                if (!json_is_string(json_array_get(label, k)) && !json_is_number(json_array_get(label, k)))
                    return fail(c, "match labels must be string or number literals");
        } else if (!json_is_string(label) && !json_is_number(label)) {
            return fail(c, "match labels must be string or number literals");
        }
        struct gis_style_value v;
        if (!json_to_value(c, label, &v, 0) || !(x->a[i - 1] = lit(c, v)) ||
            !(x->a[i] = compile(c, json_array_get(j, i + 1), want)))
            return NULL;
    }
    if (!(x->a[n - 2] = compile(c, json_array_get(j, n - 1), want)))
        return NULL;
    return x;
}

/* ["case", condition, output, ..., fallback] */
static struct expr *compile_case(struct cc *c, json_t *j, const char *name, enum expect want)
{
    size_t n = json_array_size(j);
    struct expr *x;
    if (n < 4 || n % 2 == 1)
        return arity(c, name, "condition/output pairs and a fallback");
    if (!(x = node(c, OP_CASE, (int)n - 1)))
        return NULL;
    for (size_t i = 1; i < n; i++)
        if (!(x->a[i - 1] = compile(c, json_array_get(j, i), (i % 2 == 1 && i + 1 < n) ? X_BOOL : want)))
            return NULL;
    return x;
}

/* ["interpolate", ["linear"] or ["exponential", base], input, stop, output, ...] */
static struct expr *compile_interpolate(struct cc *c, json_t *j, const char *name, enum expect want)
{
    size_t n = json_array_size(j);
    struct expr *x;
    if (n < 5 || n % 2 == 0)
        return arity(c, name, "an interpolation type, an input and stop/output pairs");
    if (want != X_NUMBER && want != X_COLOR && want != X_NUMARRAY && want != X_ANY)
        return fail(c, "'interpolate' cannot produce this property's type");
    json_t *type = json_array_get(j, 1);
    const char *tn = json_string_value(json_array_get(type, 0));
    if (!json_is_array(type) || !tn)
        return fail(c, "interpolation type must be [\"linear\"] or [\"exponential\", base]");
    if (!(x = node(c, OP_INTERP, (int)n - 2)))
        return NULL;
    if (!strcmp(tn, "linear") && json_array_size(type) == 1)
        x->base = 1;
    else if (!strcmp(tn, "exponential") && json_array_size(type) == 2 && json_is_number(json_array_get(type, 1)) &&
             json_number_value(json_array_get(type, 1)) > 0)
        x->base = json_number_value(json_array_get(type, 1));
    else
        return fail(c, "unsupported interpolation type '%s' (use linear or exponential)", tn);
    if (!(x->a[0] = compile(c, json_array_get(j, 2), X_NUMBER)))
        return NULL;
    double prev = 0, v;
    for (size_t i = 3; i + 1 < n + 1; i += 2) {
        if (!stop_input(c, json_array_get(j, i), &prev, i == 3, &v) || !(x->a[i - 2] = lit(c, v_num(v))) ||
            !(x->a[i - 1] = compile(c, json_array_get(j, i + 1), want)))
            return NULL;
    }
    return x;
}

/* ["step", input, output0, stop1, output1, ...] */
static struct expr *compile_step(struct cc *c, json_t *j, const char *name, enum expect want)
{
    size_t n = json_array_size(j);
    struct expr *x;
    if (n < 3 || n % 2 == 0)
        return arity(c, name, "an input, a first output and stop/output pairs");
    if (!(x = node(c, OP_STEP, (int)n - 1)) || !(x->a[0] = compile(c, json_array_get(j, 1), X_NUMBER)) ||
        !(x->a[1] = compile(c, json_array_get(j, 2), want)))
        return NULL;
    double prev = 0, v;
    for (size_t i = 3; i < n; i += 2)
        if (!stop_input(c, json_array_get(j, i), &prev, i == 3, &v) || !(x->a[i - 1] = lit(c, v_num(v))) ||
            !(x->a[i] = compile(c, json_array_get(j, i + 1), want)))
            return NULL;
    return x;
}

/* One operator's expression: its arity checked and its arguments compiled, each expecting its type. */
static struct expr *compile_expr(struct cc *c, json_t *j, const char *name, enum op op, enum expect want)
{
    size_t n = json_array_size(j);
    struct expr *x;
    switch (op) {
    case OP_LIT: return compile_literal(c, j, name, want);
    case OP_GET:
    case OP_HAS: return compile_property(c, j, name, op);
    case OP_NOT:
    case OP_TOSTRING:
    case OP_TOBOOLEAN:
    case OP_DOWNCASE:
    case OP_UPCASE:
        if (n != 2)
            return arity(c, name, "1 argument");
        if (!(x = node(c, op, 1)) || !compile_args(c, x, j, 1, op == OP_NOT ? X_BOOL : X_ANY))
            return NULL;
        return x;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_IN:
        if (n != 3)
            return arity(c, name, "2 arguments");
        if (!(x = node(c, op, 2)) || !compile_args(c, x, j, 1, X_ANY))
            return NULL;
        return x;
    case OP_ALL:
    case OP_ANY:
        if (!(x = node(c, op, (int)n - 1)) || !compile_args(c, x, j, 1, X_BOOL))
            return NULL;
        return x;
    case OP_COALESCE:
    case OP_CONCAT:
    case OP_TONUMBER:
        if (n < 2)
            return arity(c, name, "at least 1 argument");
        if (!(x = node(c, op, (int)n - 1)) || !compile_args(c, x, j, 1, op == OP_COALESCE ? want : X_ANY))
            return NULL;
        return x;
    case OP_ZOOM:
    case OP_GEOMTYPE:
    case OP_ID:
        if (n != 1)
            return arity(c, name, "no arguments");
        return node(c, op, 0);
    case OP_MATCH: return compile_match(c, j, name, want);
    case OP_CASE: return compile_case(c, j, name, want);
    case OP_INTERP: return compile_interpolate(c, j, name, want);
    case OP_STEP: return compile_step(c, j, name, want);
    case OP_LEGACY_IN: break;
    }
    return fail(c, "unsupported expression '%s'", name);
}

/* "{label}" tokens in a text-field string become a concat of literals and gets. */
static struct expr *compile_tokens(struct cc *c, const char *s)
{
    if (!strchr(s, '{'))
        return lit(c, v_str(arena_strdup(c->a, s)));
    struct expr *parts[64];
    int np = 0;
    const char *p = s;
    while (*p && np < 62) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            parts[np++] = lit(c, v_str(arena_strdup(c->a, p)));
            break;
        }
        if (open > p)
            parts[np++] = lit(c, v_str(arena_strndup(c->a, p, (size_t)(open - p))));
        struct expr *g = node(c, OP_GET, 0);
        if (!g)
            return NULL;
        g->v = v_str(arena_strndup(c->a, open + 1, (size_t)(close - open - 1)));
        parts[np++] = g;
        p = close + 1;
    }
    for (int i = 0; i < np; i++)
        if (!parts[i] || (parts[i]->op == OP_LIT && !parts[i]->v.s))
            return NULL;
    struct expr *x = node(c, OP_CONCAT, np);
    if (!x)
        return NULL;
    memcpy(x->a, parts, sizeof parts[0] * (size_t)np);
    return x;
}

static struct expr *compile(struct cc *c, json_t *j, enum expect want)
{
    if (++c->depth > STYLE_MAX_DEPTH) {
        c->depth--;
        return fail(c, "expression nested too deeply");
    }
    struct expr *x = NULL;
    if (json_is_array(j) && json_array_size(j) > 0 && json_is_string(json_array_get(j, 0)) && want != X_FONTS) {
        const char *name = json_string_value(json_array_get(j, 0));
        enum op op;
        if (find_op(name, &op))
            x = compile_expr(c, j, name, op, want);
        else
            x = fail(c, "unknown expression operator '%s'", name);
    } else if (json_is_array(j)) {
        struct gis_style_value v;
        if (json_array_size(j) == 0 && want != X_NUMARRAY)
            x = fail(c, "empty array is not an expression");
        else if (json_to_value(c, j, &v, 0))
            x = lit(c, v);
    } else if (json_is_string(j) && want == X_COLOR) {
        struct gis_style_color col;
        if (!gis_style_parse_color(json_string_value(j), &col))
            x = fail(c, "'%s' is not a colour", json_string_value(j));
        else
            x = lit(c, v_color(col.r, col.g, col.b, col.a));
    } else if (json_is_string(j) && want == X_STRING) {
        x = compile_tokens(c, json_string_value(j));
    } else if (json_is_object(j)) {
        x = fail(c, "objects are not expressions");
    } else {
        struct gis_style_value v;
        if (json_to_value(c, j, &v, 0))
            x = lit(c, v);
    }
    if (x)
        x->expect = want;
    c->depth--;
    return x;
}

/* Legacy filters (["==", "symbol", "MN"], ["in", "kind", "a", "b"], ["has", "k"], "$type") compile to the
 * same trees as expression filters. The test mirrors isExpressionFilter in the style spec. */
static bool is_expression_filter(json_t *f)
{
    if (json_is_boolean(f))
        return true;
    if (!json_is_array(f) || json_array_size(f) == 0)
        return false;
    const char *op = json_string_value(json_array_get(f, 0));
    if (!op)
        return false;
    size_t n = json_array_size(f);
    json_t *a1 = json_array_get(f, 1), *a2 = json_array_get(f, 2);
    if (!strcmp(op, "has"))
        return n >= 2 && strcmp(json_string_value(a1) ? json_string_value(a1) : "", "$id") &&
               strcmp(json_string_value(a1) ? json_string_value(a1) : "", "$type");
    if (!strcmp(op, "in"))
        return n >= 3 && (!json_is_string(a1) || json_is_array(a2));
    if (!strcmp(op, "!in") || !strcmp(op, "!has") || !strcmp(op, "none"))
        return false;
    if (!strcmp(op, "==") || !strcmp(op, "!=") || !strcmp(op, ">") || !strcmp(op, ">=") || !strcmp(op, "<") ||
        !strcmp(op, "<="))
        return n != 3 || json_is_array(a1) || json_is_array(a2);
    if (!strcmp(op, "any") || !strcmp(op, "all")) {
        for (size_t i = 1; i < n; i++)
            if (!is_expression_filter(json_array_get(f, i)) && !json_is_boolean(json_array_get(f, i)))
                return false;
        return true;
    }
    return true;
}

static struct expr *legacy_key(struct cc *c, json_t *k)
{
    const char *key = json_string_value(k);
    if (!key)
        return fail(c, "legacy filter needs a property name");
    if (!strcmp(key, "$type"))
        return node(c, OP_GEOMTYPE, 0);
    if (!strcmp(key, "$id"))
        return node(c, OP_ID, 0);
    struct expr *g = node(c, OP_GET, 0);
    if (g)
        g->v = v_str(arena_strdup(c->a, key));
    return g;
}

static struct expr *negate(struct cc *c, struct expr *x)
{
    struct expr *n = x ? node(c, OP_NOT, 1) : NULL;
    if (n)
        n->a[0] = x;
    return n;
}

static struct expr *compile_legacy(struct cc *c, json_t *f)
{
    if (!json_is_array(f) || json_array_size(f) == 0 || !json_is_string(json_array_get(f, 0)))
        return fail(c, "a filter must be an array starting with an operator");
    if (++c->depth > STYLE_MAX_DEPTH) {
        c->depth--;
        return fail(c, "filter nested too deeply");
    }
    const char *op = json_string_value(json_array_get(f, 0));
    size_t n = json_array_size(f);
    struct expr *x = NULL;
    static const struct {
        const char *name;
        enum op op;
    } cmp[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT}, {">=", OP_GE}};
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
        if (!strcmp(op, cmp[i].name)) {
            if (n != 3) {
                x = arity(c, op, "a property name and a value");
                goto out;
            }
            struct gis_style_value v;
            if ((x = node(c, cmp[i].op, 2)) && (x->a[0] = legacy_key(c, json_array_get(f, 1))) &&
                json_to_value(c, json_array_get(f, 2), &v, 0))
                x->a[1] = lit(c, v);
            if (x && (!x->a[0] || !x->a[1]))
                x = NULL;
            goto out;
        }
    if (!strcmp(op, "in") || !strcmp(op, "!in")) {
        if (n < 2) {
            x = arity(c, op, "a property name");
            goto out;
        }
        struct expr *in = node(c, OP_LEGACY_IN, (int)n - 1);
        if (in && (in->a[0] = legacy_key(c, json_array_get(f, 1)))) {
            for (size_t i = 2; i < n; i++) {
                struct gis_style_value v;
                if (!json_to_value(c, json_array_get(f, i), &v, 0) || !(in->a[i - 1] = lit(c, v))) {
                    in = NULL;
                    break;
                }
            }
        } else {
            in = NULL;
        }
        x = op[0] == '!' ? negate(c, in) : in;
    } else if (!strcmp(op, "has") || !strcmp(op, "!has")) {
        if (n != 2 || !json_is_string(json_array_get(f, 1))) {
            x = arity(c, op, "a property name");
            goto out;
        }
        struct expr *h = node(c, OP_HAS, 0);
        if (h)
            h->v = v_str(arena_strdup(c->a, json_string_value(json_array_get(f, 1))));
        x = op[0] == '!' ? negate(c, h) : h;
    } else if (!strcmp(op, "all") || !strcmp(op, "any") || !strcmp(op, "none")) {
        struct expr *g = node(c, op[1] == 'l' ? OP_ALL : OP_ANY, (int)n - 1);
        for (size_t i = 1; g && i < n; i++) {
            json_t *sub = json_array_get(f, i);
            if (json_is_boolean(sub))
                g->a[i - 1] = lit(c, v_bool(json_is_true(sub)));
            else
                g->a[i - 1] = compile_legacy(c, sub);
            if (!g->a[i - 1])
                g = NULL;
        }
        x = !strcmp(op, "none") ? negate(c, g) : g;
    } else {
        x = fail(c, "unknown filter operator '%s'", op);
    }
out:
    c->depth--;
    return x;
}

static struct expr *compile_filter(struct cc *c, json_t *f)
{
    if (is_expression_filter(f))
        return compile(c, f, X_BOOL);
    return compile_legacy(c, f);
}

/* A legacy zoom function {"stops": [[z, v], ...], "base": b, "type": "exponential"|"interval"}. */
static struct expr *compile_function(struct cc *c, json_t *fn, enum expect want)
{
    json_t *stops = json_object_get(fn, "stops");
    const char *type = json_string_value(json_object_get(fn, "type"));
    if (json_object_get(fn, "property"))
        return fail(c, "property functions are not supported; use an expression");
    size_t ns = json_array_size(stops);
    if (!json_is_array(stops) || ns == 0)
        return fail(c, "a function needs a non-empty \"stops\" array");
    bool interval = type ? !strcmp(type, "interval") : (want != X_NUMBER && want != X_COLOR && want != X_NUMARRAY);
    if (type && strcmp(type, "interval") && strcmp(type, "exponential"))
        return fail(c, "function type '%s' is not supported", type);
    json_t *b = json_object_get(fn, "base");
    struct expr *x = node(c, interval ? OP_STEP : OP_INTERP, interval ? (int)ns * 2 : (int)ns * 2 + 1);
    if (!x || !(x->a[0] = node(c, OP_ZOOM, 0)))
        return NULL;
    x->base = b && json_is_number(b) && json_number_value(b) > 0 ? json_number_value(b) : 1;
    double prev = 0;
    for (size_t i = 0; i < ns; i++) {
        json_t *s = json_array_get(stops, i);
        double z;
        if (!json_is_array(s) || json_array_size(s) != 2 || !stop_input(c, json_array_get(s, 0), &prev, i == 0, &z))
            return c->e->code ? NULL : fail(c, "each stop must be [zoom, value]");
        struct expr *out = compile(c, json_array_get(s, 1), want);
        if (!out)
            return NULL;
        if (interval) {
            /* step: a[1] is the first output, then (stop, output) pairs from the second stop on */
            if (i == 0) {
                x->a[1] = out;
                x->n = 2;
            } else {
                x->a[x->n++] = lit(c, v_num(z));
                x->a[x->n++] = out;
            }
        } else {
            x->a[1 + 2 * i] = lit(c, v_num(z));
            x->a[2 + 2 * i] = out;
        }
    }
    x->expect = want;
    return x;
}

/* Checks a literal against its property's type. */
static bool check_literal(struct cc *c, const struct prop_def *d, const struct gis_style_value *v)
{
    switch (d->type) {
    case X_COLOR:
        if (v->type != GIS_STYLE_COLOR)
            return fail(c, "expected a colour"), false;
        return true;
    case X_NUMBER:
        if (v->type != GIS_STYLE_NUMBER)
            return fail(c, "expected a number"), false;
        if (v->n < d->min)
            return fail(c, "value is below the allowed minimum"), false;
        if ((strstr(d->name, "opacity")) && v->n > 1)
            return fail(c, "opacity must be between 0 and 1"), false;
        return true;
    case X_BOOL:
        if (v->type != GIS_STYLE_BOOL)
            return fail(c, "expected true or false"), false;
        return true;
    case X_ENUM:
        if (v->type != GIS_STYLE_STRING)
            return fail(c, "expected one of the property's keywords"), false;
        for (const char *const *k = d->enums; *k; k++)
            if (!strcmp(*k, v->s))
                return true;
        return fail(c, "'%s' is not an allowed value", v->s), false;
    case X_NUMARRAY:
        if (v->type != GIS_STYLE_ARRAY || (d->count && v->a.n != d->count))
            return fail(c, "%s", d->count == 2 ? "expected an array of 2 numbers" : "expected an array of numbers"),
                   false;
        for (int i = 0; i < v->a.n; i++)
            if (v->a.v[i].type != GIS_STYLE_NUMBER || v->a.v[i].n < d->min)
                return fail(c, "array elements must be numbers within range"), false;
        return true;
    case X_FONTS:
        if (v->type != GIS_STYLE_ARRAY || v->a.n == 0)
            return fail(c, "expected a non-empty array of font names"), false;
        for (int i = 0; i < v->a.n; i++)
            if (v->a.v[i].type != GIS_STYLE_STRING)
                return fail(c, "font names must be strings"), false;
        return true;
    case X_STRING:
    case X_ANY: return true;
    }
    return true;
}

/* Checks literal outputs of match/case/step/interpolate/coalesce recursively. */
static bool check_outputs(struct cc *c, const struct prop_def *d, const struct expr *x)
{
    switch (x->op) {
    case OP_LIT: return check_literal(c, d, &x->v);
    case OP_MATCH:
        for (int i = 2; i < x->n; i += 2)
            if (!check_outputs(c, d, x->a[i]))
                return false;
        return check_outputs(c, d, x->a[x->n - 1]);
    case OP_CASE:
        for (int i = 1; i < x->n; i += 2)
            if (!check_outputs(c, d, x->a[i]))
                return false;
        return check_outputs(c, d, x->a[x->n - 1]);
    case OP_STEP:
        for (int i = 1; i < x->n; i += 2)
            if (!check_outputs(c, d, x->a[i]))
                return false;
        return true;
    case OP_INTERP:
        for (int i = 2; i < x->n; i += 2)
            if (!check_outputs(c, d, x->a[i]))
                return false;
        return true;
    case OP_COALESCE:
        for (int i = 0; i < x->n; i++)
            if (!check_outputs(c, d, x->a[i]))
                return false;
        return true;
    default: return true;
    }
}

static bool compile_prop(struct cc *c, struct gis_style_layer *l, const char *section, const char *key, json_t *val,
                         bool layout)
{
    char where[128];
    snprintf(where, sizeof where, "%s.%s", section, key);
    c->where = where;
    int p = -1;
    for (int i = 0; i < GIS_P_COUNT; i++)
        if (!strcmp(props[i].name, key)) {
            p = i;
            break;
        }
    if (p < 0)
        return fail(c, "property is not supported by the server renderer"), false;
    const struct prop_def *d = &props[p];
    if (d->layout != layout)
        return fail(c, "%s",
                    layout ? "is a paint property, not a layout property"
                           : "is a layout property, not a paint property"),
               false;
    if (!(d->layers & (1u << l->type)))
        return fail(c, "property does not apply to this layer type"), false;
    struct expr *x = json_is_object(val) ? compile_function(c, val, d->type) : compile(c, val, d->type);
    if (!x || !check_outputs(c, d, x))
        return false;
    l->prop[p] = x;
    return true;
}

static const char *const layer_types[] = {
    [GIS_STYLE_BACKGROUND] = "background", [GIS_STYLE_FILL] = "fill",     [GIS_STYLE_LINE] = "line",
    [GIS_STYLE_CIRCLE] = "circle",         [GIS_STYLE_SYMBOL] = "symbol",
};

static bool parse_hatch(struct cc *c, struct gis_style_layer *l, json_t *h)
{
    c->where = "metadata.odra:hatch";
    if (!json_is_object(h))
        return fail(c, "must be an object"), false;
    l->hatch = (struct gis_style_hatch){.on = true, .spacing = 6, .angle = 45, .width = 1};
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v)
    {
        if (!strcmp(key, "color")) {
            if (!gis_style_parse_color(json_string_value(v), &l->hatch.color))
                return fail(c, "color is not a colour"), false;
            l->hatch.has_color = true;
            continue;
        }
        double *dst = !strcmp(key, "spacing") ? &l->hatch.spacing
                      : !strcmp(key, "angle") ? &l->hatch.angle
                      : !strcmp(key, "width") ? &l->hatch.width
                                              : NULL;
        if (!dst)
            return fail(c, "unknown key '%s'", key), false;
        if (!json_is_number(v))
            return fail(c, "'%s' must be a number", key), false;
        *dst = json_number_value(v);
    }
    if (!(l->hatch.spacing >= 2 && l->hatch.spacing <= 200 && l->hatch.width > 0 && l->hatch.width <= 20 &&
          fabs(l->hatch.angle) <= 360))
        return fail(c, "spacing must be 2..200, width 0..20 and angle -360..360"), false;
    if (l->type != GIS_STYLE_FILL)
        return fail(c, "hatching applies to fill layers only"), false;
    return true;
}

static bool parse_layer(struct cc *c, json_t *sources, json_t *j, struct gis_style_layer *l, int index)
{
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "#%d", index);
    c->layer = idbuf;
    c->where = "layer";
    if (!json_is_object(j))
        return fail(c, "a layer must be an object"), false;
    const char *id = json_string_value(json_object_get(j, "id"));
    if (!id || !*id)
        return fail(c, "a layer needs a string id"), false;
    if (!(l->id = arena_strdup(c->a, id)))
        return false;
    c->layer = l->id;
    c->where = "type";
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        return fail(c, "a layer needs a type"), false;
    int t = -1;
    for (int i = 0; i <= GIS_STYLE_SYMBOL; i++)
        if (!strcmp(layer_types[i], type))
            t = i;
    if (t < 0)
        return fail(c, "layer type '%s' is not supported (fill, line, circle, symbol, background)", type), false;
    l->type = (enum gis_style_layer_type)t;
    l->minzoom = 0;
    l->maxzoom = 24;
    l->visible = true;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        c->where = key;
        if (!strcmp(key, "id") || !strcmp(key, "type"))
            continue;
        if (!strcmp(key, "source")) {
            if (!json_is_string(v))
                return fail(c, "must be a string"), false;
            json_t *src = json_object_get(sources, json_string_value(v));
            if (!src)
                return fail(c, "source '%s' is not defined in sources", json_string_value(v)), false;
            const char *st = json_string_value(json_object_get(src, "type"));
            if (!st || strcmp(st, "vector"))
                return fail(c, "source '%s' must be a vector source", json_string_value(v)), false;
        } else if (!strcmp(key, "source-layer")) {
            if (!json_is_string(v))
                return fail(c, "must be a string"), false;
            l->source_layer = arena_strdup(c->a, json_string_value(v));
        } else if (!strcmp(key, "minzoom") || !strcmp(key, "maxzoom")) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 24)
                return fail(c, "must be a number from 0 to 24"), false;
            *(key[1] == 'i' ? &l->minzoom : &l->maxzoom) = json_number_value(v);
        } else if (!strcmp(key, "filter")) {
            if (!(l->filter = compile_filter(c, v)))
                return false;
        } else if (!strcmp(key, "layout") || !strcmp(key, "paint")) {
            if (!json_is_object(v))
                return fail(c, "must be an object"), false;
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv)
            {
                if (!compile_prop(c, l, key, pk, pv, key[0] == 'l'))
                    return false;
            }
        } else if (!strcmp(key, "metadata")) {
            if (!json_is_object(v))
                return fail(c, "must be an object"), false;
            json_t *g = json_object_get(v, "odra:group"), *lg = json_object_get(v, "odra:legend"),
                   *h = json_object_get(v, "odra:hatch"), *rq = json_object_get(v, "odra:on-request");
            c->where = "metadata";
            if ((g && !json_is_string(g)) || (lg && !json_is_string(lg)))
                return fail(c, "odra:group and odra:legend must be strings"), false;
            if ((rq && !json_is_boolean(rq)) || (json_is_true(rq) && !g))
                return fail(c, "odra:on-request must be a boolean, and true only with an odra:group"), false;
            l->on_request = json_is_true(rq);
            l->group = g ? arena_strdup(c->a, json_string_value(g)) : NULL;
            l->legend = lg ? arena_strdup(c->a, json_string_value(lg)) : NULL;
            if (h && !parse_hatch(c, l, h))
                return false;
        } else {
            return fail(c, "unknown layer key"), false;
        }
    }
    c->where = "source";
    if (l->type != GIS_STYLE_BACKGROUND && (!json_object_get(j, "source") || !l->source_layer))
        return fail(c, "a %s layer needs a source and a source-layer", type), false;
    if (l->minzoom >= l->maxzoom) {
        c->where = "minzoom";
        return fail(c, "minzoom must be below maxzoom"), false;
    }
    if (l->prop[GIS_P_VISIBILITY] && l->prop[GIS_P_VISIBILITY]->op == OP_LIT &&
        !strcmp(l->prop[GIS_P_VISIBILITY]->v.s, "none"))
        l->visible = false;
    return true;
}

enum err_code gis_style_load(const char *text, size_t len, struct gis_style **out, struct err *e)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set(e, ERR_INVALID, "style is not valid JSON: line %d: %s", jerr.line, jerr.text);
    struct gis_style *s = calloc(1, sizeof *s);
    enum err_code rc = ERR_OK;
    if (!s || !(s->arena = arena_new(16384))) {
        free(s);
        json_decref(root);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    json_t *layers = json_object_get(root, "layers"), *sources = json_object_get(root, "sources");
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 8) {
        rc = err_set(e, ERR_INVALID, "style: \"version\" must be 8");
        goto done;
    }
    if (!json_is_object(sources)) {
        rc = err_set(e, ERR_INVALID, "style: \"sources\" must be an object");
        goto done;
    }
    if (!json_is_array(layers) || json_array_size(layers) > STYLE_MAX_LAYERS) {
        rc = err_set(e, ERR_INVALID, "style: \"layers\" must be an array of at most %d layers", STYLE_MAX_LAYERS);
        goto done;
    }
    const char *name = json_string_value(json_object_get(root, "name"));
    s->name = arena_strdup(s->arena, name ? name : "");
    s->nlayers = (int)json_array_size(layers);
    s->layers = arena_alloc(s->arena, sizeof *s->layers * (size_t)(s->nlayers ? s->nlayers : 1));
    if (!s->layers) {
        rc = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    struct cc c = {.a = s->arena, .e = e};
    for (int i = 0; i < s->nlayers; i++) {
        if (!parse_layer(&c, sources, json_array_get(layers, (size_t)i), &s->layers[i], i)) {
            rc = e->code ? e->code : err_set(e, ERR_INVALID, "style: layer %d is invalid", i);
            goto done;
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(s->layers[k].id, s->layers[i].id)) {
                rc = err_set(e, ERR_INVALID, "layer '%s': id: duplicate layer id", s->layers[i].id);
                goto done;
            }
    }
done:
    json_decref(root);
    if (rc) {
        gis_style_free(s);
        return rc;
    }
    *out = s;
    return ERR_OK;
}

void gis_style_free(struct gis_style *s)
{
    if (!s)
        return;
    arena_free(s->arena);
    free(s);
}

const char *gis_style_name(const struct gis_style *s)
{
    return s->name;
}

int gis_style_layer_count(const struct gis_style *s)
{
    return s->nlayers;
}

const struct gis_style_layer *gis_style_layer_at(const struct gis_style *s, int i)
{
    return i >= 0 && i < s->nlayers ? &s->layers[i] : NULL;
}

const char *gis_style_layer_id(const struct gis_style_layer *l)
{
    return l->id;
}

enum gis_style_layer_type gis_style_layer_type(const struct gis_style_layer *l)
{
    return l->type;
}

const char *gis_style_layer_source_layer(const struct gis_style_layer *l)
{
    return l->source_layer;
}

const char *gis_style_layer_group(const struct gis_style_layer *l)
{
    return l->group;
}

const char *gis_style_layer_legend(const struct gis_style_layer *l)
{
    return l->legend;
}

bool gis_style_layer_on_request(const struct gis_style_layer *l)
{
    return l->on_request;
}

const struct gis_style_hatch *gis_style_layer_hatch(const struct gis_style_layer *l)
{
    return &l->hatch;
}

double gis_style_layer_minzoom(const struct gis_style_layer *l)
{
    return l->minzoom;
}

double gis_style_layer_maxzoom(const struct gis_style_layer *l)
{
    return l->maxzoom;
}

bool gis_style_layer_active(const struct gis_style_layer *l, double zoom)
{
    return l->visible && zoom >= l->minzoom && zoom < l->maxzoom;
}

bool gis_style_layer_has(const struct gis_style_layer *l, enum gis_style_prop p)
{
    return (unsigned)p < GIS_P_COUNT && l->prop[p] != NULL;
}

/* ---- evaluation ---- */

static struct gis_style_value eval(const struct expr *x, const struct gis_style_ctx *ctx);

static bool truthy(struct gis_style_value v)
{
    return v.type == GIS_STYLE_BOOL && v.b;
}

static bool value_eq(struct gis_style_value a, struct gis_style_value b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case GIS_STYLE_NULL: return true;
    case GIS_STYLE_BOOL: return a.b == b.b;
    case GIS_STYLE_NUMBER: return a.n == b.n;
    case GIS_STYLE_STRING: return !strcmp(a.s, b.s);
    case GIS_STYLE_COLOR: return !memcmp(&a.c, &b.c, sizeof a.c);
    case GIS_STYLE_ARRAY:
        if (a.a.n != b.a.n)
            return false;
        for (int i = 0; i < a.a.n; i++)
            if (!value_eq(a.a.v[i], b.a.v[i]))
                return false;
        return true;
    }
    return false;
}

static const char *value_to_string(struct gis_style_value v, struct arena *a)
{
    char buf[96];
    switch (v.type) {
    case GIS_STYLE_NULL: return "";
    case GIS_STYLE_BOOL: return v.b ? "true" : "false";
    case GIS_STYLE_STRING: return v.s;
    case GIS_STYLE_NUMBER:
        if (v.n == floor(v.n) && fabs(v.n) < 1e15)
            snprintf(buf, sizeof buf, "%.0f", v.n);
        else
            snprintf(buf, sizeof buf, "%.15g", v.n);
        break;
    case GIS_STYLE_COLOR:
        snprintf(buf, sizeof buf, "rgba(%d,%d,%d,%g)", (int)lround(v.c.r * 255), (int)lround(v.c.g * 255),
                 (int)lround(v.c.b * 255), v.c.a);
        break;
    case GIS_STYLE_ARRAY: return "";
    }
    return a ? arena_strdup(a, buf) : "";
}

static int compare(struct gis_style_value a, struct gis_style_value b, bool *ok)
{
    *ok = true;
    if (a.type == GIS_STYLE_NUMBER && b.type == GIS_STYLE_NUMBER)
        return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    if (a.type == GIS_STYLE_STRING && b.type == GIS_STYLE_STRING)
        return strcmp(a.s, b.s);
    *ok = false;
    return 0;
}

static struct gis_style_value interp_value(struct gis_style_value a, struct gis_style_value b, double t,
                                           struct arena *ar)
{
    if (a.type == GIS_STYLE_NUMBER && b.type == GIS_STYLE_NUMBER)
        return v_num(a.n + (b.n - a.n) * t);
    if (a.type == GIS_STYLE_COLOR && b.type == GIS_STYLE_COLOR)
        return v_color(a.c.r + (b.c.r - a.c.r) * t, a.c.g + (b.c.g - a.c.g) * t, a.c.b + (b.c.b - a.c.b) * t,
                       a.c.a + (b.c.a - a.c.a) * t);
    if (a.type == GIS_STYLE_ARRAY && b.type == GIS_STYLE_ARRAY && a.a.n == b.a.n && ar) {
        struct gis_style_value *v = arena_alloc(ar, sizeof *v * (size_t)(a.a.n ? a.a.n : 1));
        if (!v)
            return a;
        for (int i = 0; i < a.a.n; i++)
            v[i] = interp_value(a.a.v[i], b.a.v[i], t, ar);
        return (struct gis_style_value){.type = GIS_STYLE_ARRAY, .a = {v, a.a.n}};
    }
    return t < 1 ? a : b;
}

static struct gis_style_value coerce(struct gis_style_value v, enum expect want, struct arena *a)
{
    if (want == X_COLOR && v.type == GIS_STYLE_STRING) {
        struct gis_style_color c;
        return gis_style_parse_color(v.s, &c) ? v_color(c.r, c.g, c.b, c.a) : v_null;
    }
    if (want == X_STRING && v.type != GIS_STYLE_STRING)
        return v_str(value_to_string(v, a));
    return v;
}

/* ["get", key] and ["has", key]: the feature's value of key, or whether it has one. */
static struct gis_style_value eval_property(const struct expr *x, const struct gis_style_feature *f)
{
    if (f)
        for (int i = 0; i < f->n; i++)
            if (!strcmp(f->keys[i], x->v.s))
                return x->op == OP_GET ? f->vals[i] : v_bool(true);
    return x->op == OP_GET ? v_null : v_bool(false);
}

static struct gis_style_value eval_compare(const struct expr *x, const struct gis_style_ctx *ctx)
{
    bool ok;
    int r = compare(eval(x->a[0], ctx), eval(x->a[1], ctx), &ok);
    if (!ok)
        return v_bool(false);
    return v_bool(x->op == OP_LT ? r < 0 : x->op == OP_LE ? r <= 0 : x->op == OP_GT ? r > 0 : r >= 0);
}

/* "all" and "any", short-circuiting. */
static struct gis_style_value eval_all_any(const struct expr *x, const struct gis_style_ctx *ctx)
{
    bool any = x->op == OP_ANY;
    for (int i = 0; i < x->n; i++)
        if (truthy(eval(x->a[i], ctx)) == any)
            return v_bool(any);
    return v_bool(!any);
}

/* ["in", needle, haystack]: an element of an array, or a substring of a string. */
static struct gis_style_value eval_in(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx), b = eval(x->a[1], ctx);
    if (b.type == GIS_STYLE_ARRAY) {
        for (int i = 0; i < b.a.n; i++)
            if (value_eq(a, b.a.v[i]))
                return v_bool(true);
        return v_bool(false);
    }
    if (b.type == GIS_STYLE_STRING && a.type == GIS_STYLE_STRING)
        return v_bool(strstr(b.s, a.s) != NULL);
    return v_bool(false);
}

/* The legacy filter ["in", key, v1, v2, ...]. */
static struct gis_style_value eval_legacy_in(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    for (int i = 1; i < x->n; i++)
        if (value_eq(a, x->a[i]->v))
            return v_bool(true);
    return v_bool(false);
}

/* ["match", input, label(s), output, ..., fallback] */
static struct gis_style_value eval_match(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    for (int i = 1; i + 1 < x->n; i += 2) {
        const struct gis_style_value *lab = &x->a[i]->v;
        if (lab->type == GIS_STYLE_ARRAY) {
            for (int k = 0; k < lab->a.n; k++)
                if (value_eq(a, lab->a.v[k]))
                    return eval(x->a[i + 1], ctx);
        } else if (value_eq(a, *lab)) {
            return eval(x->a[i + 1], ctx);
        }
    }
    return eval(x->a[x->n - 1], ctx);
}

/* ["case", condition, output, ..., fallback] */
static struct gis_style_value eval_case(const struct expr *x, const struct gis_style_ctx *ctx)
{
    for (int i = 0; i + 1 < x->n; i += 2)
        if (truthy(eval(x->a[i], ctx)))
            return eval(x->a[i + 1], ctx);
    return eval(x->a[x->n - 1], ctx);
}

static struct gis_style_value eval_coalesce(const struct expr *x, const struct gis_style_ctx *ctx)
{
    for (int i = 0; i < x->n; i++) {
        struct gis_style_value a = eval(x->a[i], ctx);
        if (a.type != GIS_STYLE_NULL)
            return a;
    }
    return v_null;
}

/* ["to-number", v, ...]: the first argument that converts. */
static struct gis_style_value eval_to_number(const struct expr *x, const struct gis_style_ctx *ctx)
{
    for (int i = 0; i < x->n; i++) {
        struct gis_style_value a = eval(x->a[i], ctx);
        if (a.type == GIS_STYLE_NUMBER)
            return a;
        if (a.type == GIS_STYLE_BOOL)
            return v_num(a.b);
        if (a.type == GIS_STYLE_NULL)
            return v_num(0);
        if (a.type == GIS_STYLE_STRING && *a.s) {
            char *end;
            double d = strtod(a.s, &end);
            if (!*end && isfinite(d))
                return v_num(d);
        }
    }
    return v_null;
}

static struct gis_style_value eval_to_boolean(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    switch (a.type) {
    case GIS_STYLE_BOOL: return a;
    case GIS_STYLE_NUMBER: return v_bool(a.n != 0 && !isnan(a.n));
    case GIS_STYLE_STRING: return v_bool(*a.s != 0);
    case GIS_STYLE_NULL: return v_bool(false);
    default: return v_bool(true);
    }
}

static struct gis_style_value eval_concat(const struct expr *x, const struct gis_style_ctx *ctx)
{
    if (!ctx->a)
        return v_str("");
    const char *parts[64];
    size_t total = 0;
    int n = x->n < 64 ? x->n : 64;
    for (int i = 0; i < n; i++) {
        parts[i] = value_to_string(eval(x->a[i], ctx), ctx->a);
        total += strlen(parts[i]);
    }
    char *s = arena_alloc(ctx->a, total + 1);
    if (!s)
        return v_str("");
    char *p = s;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        memcpy(p, parts[i], l);
        p += l;
    }
    *p = 0;
    return v_str(s);
}

/* "downcase" and "upcase", Unicode-aware. */
static struct gis_style_value eval_case_change(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    if (a.type != GIS_STYLE_STRING || !ctx->a || !g_utf8_validate(a.s, -1, NULL))
        return a;
    char *g = x->op == OP_UPCASE ? g_utf8_strup(a.s, -1) : g_utf8_strdown(a.s, -1);
    const char *s = arena_strdup(ctx->a, g);
    g_free(g);
    return v_str(s ? s : "");
}

/* ["interpolate", type, input, stop, output, ...]: linear or exponential between the stops around input. */
static struct gis_style_value eval_interpolate(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    if (a.type != GIS_STYLE_NUMBER)
        return v_null;
    double in = a.n;
    int nstops = (x->n - 1) / 2;
    if (in <= x->a[1]->v.n)
        return eval(x->a[2], ctx);
    if (in >= x->a[1 + 2 * (nstops - 1)]->v.n)
        return eval(x->a[2 * nstops], ctx);
    for (int i = 0; i + 1 < nstops; i++) {
        double lo = x->a[1 + 2 * i]->v.n, hi = x->a[3 + 2 * i]->v.n;
        if (in >= lo && in < hi) {
            double t = x->base == 1 ? (in - lo) / (hi - lo) : (pow(x->base, in - lo) - 1) / (pow(x->base, hi - lo) - 1);
            struct gis_style_value o1 = coerce(eval(x->a[2 + 2 * i], ctx), x->expect, ctx->a);
            struct gis_style_value o2 = coerce(eval(x->a[4 + 2 * i], ctx), x->expect, ctx->a);
            return interp_value(o1, o2, t, ctx->a);
        }
    }
    return eval(x->a[2 * nstops], ctx);
}

/* ["step", input, output0, stop1, output1, ...] */
static struct gis_style_value eval_step(const struct expr *x, const struct gis_style_ctx *ctx)
{
    struct gis_style_value a = eval(x->a[0], ctx);
    if (a.type != GIS_STYLE_NUMBER)
        return v_null;
    int best = 1;
    for (int i = 2; i + 1 < x->n; i += 2)
        if (a.n >= x->a[i]->v.n)
            best = i + 1;
    return eval(x->a[best], ctx);
}

/* One operator per line: the expression's value before it is coerced to what its place expects. */
static struct gis_style_value eval_raw(const struct expr *x, const struct gis_style_ctx *ctx)
{
    const struct gis_style_feature *f = ctx->f;
    switch (x->op) {
    case OP_LIT: return x->v;
    case OP_GET:
    case OP_HAS: return eval_property(x, f);
    case OP_NOT: return v_bool(!truthy(eval(x->a[0], ctx)));
    case OP_EQ: return v_bool(value_eq(eval(x->a[0], ctx), eval(x->a[1], ctx)));
    case OP_NE: return v_bool(!value_eq(eval(x->a[0], ctx), eval(x->a[1], ctx)));
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: return eval_compare(x, ctx);
    case OP_ALL:
    case OP_ANY: return eval_all_any(x, ctx);
    case OP_IN: return eval_in(x, ctx);
    case OP_LEGACY_IN: return eval_legacy_in(x, ctx);
    case OP_MATCH: return eval_match(x, ctx);
    case OP_CASE: return eval_case(x, ctx);
    case OP_COALESCE: return eval_coalesce(x, ctx);
    case OP_TOSTRING: return v_str(value_to_string(eval(x->a[0], ctx), ctx->a));
    case OP_TONUMBER: return eval_to_number(x, ctx);
    case OP_TOBOOLEAN: return eval_to_boolean(x, ctx);
    case OP_CONCAT: return eval_concat(x, ctx);
    case OP_ZOOM: return v_num(ctx->zoom);
    case OP_GEOMTYPE:
        return v_str(!f ? "Unknown" : f->geom_type == 1 ? "Point" : f->geom_type == 2 ? "LineString" : "Polygon");
    case OP_ID: return f ? v_num((double)f->id) : v_null;
    case OP_DOWNCASE:
    case OP_UPCASE: return eval_case_change(x, ctx);
    case OP_INTERP: return eval_interpolate(x, ctx);
    case OP_STEP: return eval_step(x, ctx);
    }
    return v_null;
}

static struct gis_style_value eval(const struct expr *x, const struct gis_style_ctx *ctx)
{
    return coerce(eval_raw(x, ctx), x->expect, ctx->a);
}

bool gis_style_layer_filter(const struct gis_style_layer *l, const struct gis_style_ctx *ctx)
{
    return !l->filter || truthy(eval(l->filter, ctx));
}

/* Accepts a result of the property's type, or falls back to the default. */
static bool fits(enum gis_style_prop p, struct gis_style_value v)
{
    switch (props[p].type) {
    case X_COLOR: return v.type == GIS_STYLE_COLOR;
    case X_NUMBER: return v.type == GIS_STYLE_NUMBER && isfinite(v.n);
    case X_BOOL: return v.type == GIS_STYLE_BOOL;
    case X_ENUM:
        if (v.type != GIS_STYLE_STRING)
            return false;
        for (const char *const *k = props[p].enums; *k; k++)
            if (!strcmp(*k, v.s))
                return true;
        return false;
    case X_NUMARRAY:
        if (v.type != GIS_STYLE_ARRAY)
            return false;
        for (int i = 0; i < v.a.n; i++)
            if (v.a.v[i].type != GIS_STYLE_NUMBER)
                return false;
        return !props[p].count || v.a.n == props[p].count;
    case X_FONTS: return v.type == GIS_STYLE_ARRAY && v.a.n > 0 && v.a.v[0].type == GIS_STYLE_STRING;
    case X_STRING: return v.type == GIS_STYLE_STRING;
    case X_ANY: return true;
    }
    return false;
}

struct gis_style_value gis_style_eval(const struct gis_style_layer *l, enum gis_style_prop p,
                                      const struct gis_style_ctx *ctx)
{
    if ((unsigned)p >= GIS_P_COUNT)
        return v_null;
    if (!l->prop[p])
        return prop_default(p);
    struct gis_style_value v = eval(l->prop[p], ctx);
    return fits(p, v) ? v : prop_default(p);
}

double gis_style_number(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx)
{
    struct gis_style_value v = gis_style_eval(l, p, ctx);
    return v.type == GIS_STYLE_NUMBER ? v.n : 0;
}

struct gis_style_color gis_style_color(const struct gis_style_layer *l, enum gis_style_prop p,
                                       const struct gis_style_ctx *ctx)
{
    struct gis_style_value v = gis_style_eval(l, p, ctx);
    return v.type == GIS_STYLE_COLOR ? v.c : (struct gis_style_color){0, 0, 0, 0};
}

bool gis_style_bool(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx)
{
    return truthy(gis_style_eval(l, p, ctx));
}

const char *gis_style_string(const struct gis_style_layer *l, enum gis_style_prop p, const struct gis_style_ctx *ctx)
{
    struct gis_style_value v = gis_style_eval(l, p, ctx);
    return v.type == GIS_STYLE_STRING ? v.s : value_to_string(v, ctx->a);
}

bool gis_style_background(const struct gis_style *s, double zoom, struct gis_style_color *out)
{
    for (int i = 0; i < s->nlayers; i++) {
        const struct gis_style_layer *l = &s->layers[i];
        if (l->type == GIS_STYLE_BACKGROUND && gis_style_layer_active(l, zoom)) {
            struct gis_style_ctx ctx = {.zoom = zoom};
            *out = gis_style_color(l, GIS_P_BACKGROUND_COLOR, &ctx);
            out->a *= gis_style_number(l, GIS_P_BACKGROUND_OPACITY, &ctx);
            return true;
        }
    }
    return false;
}
