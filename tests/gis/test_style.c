/* Tests for gis/style: loading, validation errors naming layer and property, legacy and expression
 * filters, zoom interpolation, colours, and hostile documents. */
#include "gis/style.h"

#include <math.h>
#include <stdlib.h>

#include "tests/test.h"
#include "util/embed.h"

static struct gis_style *load(const char *json, struct err *e)
{
    struct gis_style *s = NULL;
    err_clear(e);
    gis_style_load(json, strlen(json), &s, e);
    return s;
}

/* A one-layer style around a layer body. */
static struct gis_style *load_layer(const char *layer, struct err *e)
{
    char doc[8192];
    snprintf(doc, sizeof doc,
             "{\"version\":8,\"sources\":{\"odra\":{\"type\":\"vector\",\"tiles\":[\"x\"]}},\"layers\":[%s]}", layer);
    return load(doc, e);
}

static struct gis_style_feature feature(const char *const *keys, const struct gis_style_value *vals, int n, int gt)
{
    return (struct gis_style_feature){keys, vals, n, gt, 7};
}

#define STR(x) ((struct gis_style_value){.type = GIS_STYLE_STRING, .s = (x)})
#define NUM(x) ((struct gis_style_value){.type = GIS_STYLE_NUMBER, .n = (x)})

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-6;
}

static void colours(void)
{
    struct gis_style_color c;
    CHECK(gis_style_parse_color("#f5d76e", &c) && near(c.r, 0xf5 / 255.0) && near(c.b, 0x6e / 255.0) && c.a == 1);
    CHECK(gis_style_parse_color("#fff", &c) && c.r == 1 && c.g == 1);
    CHECK(gis_style_parse_color("#11223380", &c) && near(c.a, 0x80 / 255.0));
    CHECK(gis_style_parse_color("rgba(255, 0, 0, 0.5)", &c) && c.r == 1 && c.g == 0 && near(c.a, 0.5));
    CHECK(gis_style_parse_color("rgb(0,128,255)", &c) && near(c.g, 128 / 255.0));
    CHECK(gis_style_parse_color("hsl(120, 100%, 50%)", &c) && near(c.g, 1) && near(c.r, 0));
    CHECK(gis_style_parse_color("transparent", &c) && c.a == 0);
    CHECK(gis_style_parse_color("White", &c) && c.r == 1);
    CHECK(!gis_style_parse_color("#12", &c));
    CHECK(!gis_style_parse_color("#gggggg", &c));
    CHECK(!gis_style_parse_color("rgb(1,2)", &c));
    CHECK(!gis_style_parse_color("rgb(1,2,3", &c));
    CHECK(!gis_style_parse_color("blurple", &c));
    CHECK(!gis_style_parse_color("", &c));
}

static void embedded_plan_style_loads(void)
{
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    CHECK(text != NULL);
    if (!text)
        return;
    struct err e = {0};
    struct gis_style *s = NULL;
    CHECK(gis_style_load(text, len, &s, &e) == ERR_OK);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    CHECK(gis_style_layer_count(s) > 10);
    CHECK_STR(gis_style_layer_id(gis_style_layer_at(s, 0)), "background");
    struct gis_style_color bg;
    CHECK(gis_style_background(s, 14, &bg) && bg.a == 1);
    /* The MPZP fill colours MN yellow-orange, U red, ZL green, WS blue. */
    const struct gis_style_layer *fill = NULL;
    for (int i = 0; i < gis_style_layer_count(s); i++)
        if (!strcmp(gis_style_layer_id(gis_style_layer_at(s, i)), "mpzp-fill"))
            fill = gis_style_layer_at(s, i);
    CHECK(fill != NULL);
    if (fill) {
        const char *keys[] = {"symbol"};
        struct gis_style_value v[] = {STR("MN")};
        struct gis_style_feature f = feature(keys, v, 1, 3);
        struct gis_style_ctx ctx = {14, &f, NULL};
        struct gis_style_color c = gis_style_color(fill, GIS_P_FILL_COLOR, &ctx);
        CHECK(c.r > 0.9 && c.g > 0.75 && c.b < 0.55); /* yellow-orange */
        v[0] = STR("U");
        c = gis_style_color(fill, GIS_P_FILL_COLOR, &ctx);
        CHECK(c.r > 0.85 && c.g < 0.5 && c.b < 0.5); /* red */
        v[0] = STR("ZL");
        c = gis_style_color(fill, GIS_P_FILL_COLOR, &ctx);
        CHECK(c.g > c.r && c.g > c.b); /* green */
        v[0] = STR("WS");
        c = gis_style_color(fill, GIS_P_FILL_COLOR, &ctx);
        CHECK(c.b > c.r && c.b > c.g); /* blue */
        CHECK_STR(gis_style_layer_group(fill), "mpzp");
        CHECK_STR(gis_style_layer_source_layer(fill), "plan-zones");
        CHECK(!gis_style_layer_on_request(fill));
    }
    /* the POG's obszary uzupełnienia zabudowy: hatched, drawn only where the group pog-ouz is asked for */
    int ouz = 0;
    for (int i = 0; i < gis_style_layer_count(s); i++) {
        const struct gis_style_layer *l = gis_style_layer_at(s, i);
        if (!strncmp(gis_style_layer_id(l), "pog-ouz-", 8)) {
            ouz++;
            CHECK(gis_style_layer_on_request(l) && !strcmp(gis_style_layer_group(l), "pog-ouz"));
        }
    }
    CHECK(ouz == 2);
    gis_style_free(s);
}

static void expression_filters(void)
{
    struct err e;
    struct gis_style *s = load_layer("{\"id\":\"a\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\","
                                     "\"filter\":[\"all\",[\"in\",[\"get\",\"symbol\"],[\"literal\",[\"MN\",\"MW\"]]],"
                                     "[\"!\",[\"has\",\"hidden\"]],[\">=\",[\"zoom\"],12],"
                                     "[\"any\",[\"==\",[\"geometry-type\"],\"Polygon\"],false]]}",
                                     &e);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    const struct gis_style_layer *l = gis_style_layer_at(s, 0);
    const char *keys[] = {"symbol", "hidden"};
    struct gis_style_value v[] = {STR("MW"), NUM(1)};
    struct gis_style_feature f = feature(keys, v, 1, 3);
    struct gis_style_ctx ctx = {14, &f, NULL};
    CHECK(gis_style_layer_filter(l, &ctx));
    ctx.zoom = 11;
    CHECK(!gis_style_layer_filter(l, &ctx));
    ctx.zoom = 14;
    v[0] = STR("U");
    CHECK(!gis_style_layer_filter(l, &ctx));
    v[0] = STR("MN");
    f.n = 2; /* now has "hidden" */
    CHECK(!gis_style_layer_filter(l, &ctx));
    f.n = 1;
    f.geom_type = 2;
    CHECK(!gis_style_layer_filter(l, &ctx));
    gis_style_free(s);
}

static void legacy_filters(void)
{
    struct err e;
    struct gis_style *s =
        load_layer("{\"id\":\"b\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
                   "\"filter\":[\"all\",[\"==\",\"$type\",\"LineString\"],[\"in\",\"kind\",\"a\",\"b\"],"
                   "[\"!in\",\"kind\",\"c\"],[\"!has\",\"skip\"],[\">\",\"rank\",2],"
                   "[\"none\",[\"==\",\"kind\",\"z\"]]]}",
                   &e);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    const struct gis_style_layer *l = gis_style_layer_at(s, 0);
    const char *keys[] = {"kind", "rank", "skip"};
    struct gis_style_value v[] = {STR("b"), NUM(3), NUM(0)};
    struct gis_style_feature f = feature(keys, v, 2, 2);
    struct gis_style_ctx ctx = {14, &f, NULL};
    CHECK(gis_style_layer_filter(l, &ctx));
    v[1] = NUM(2);
    CHECK(!gis_style_layer_filter(l, &ctx));
    v[1] = NUM(5);
    v[0] = STR("c");
    CHECK(!gis_style_layer_filter(l, &ctx));
    v[0] = STR("a");
    f.n = 3;
    CHECK(!gis_style_layer_filter(l, &ctx));
    f.n = 2;
    f.geom_type = 3;
    CHECK(!gis_style_layer_filter(l, &ctx));
    gis_style_free(s);
}

static void interpolate_step_match_case(void)
{
    struct err e;
    struct gis_style *s = load_layer(
        "{\"id\":\"c\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{"
        "\"line-width\":[\"interpolate\",[\"linear\"],[\"zoom\"],10,1,20,11],"
        "\"line-opacity\":[\"interpolate\",[\"exponential\",2],[\"zoom\"],0,0,2,0.6],"
        "\"line-color\":[\"case\",[\"==\",[\"get\",\"k\"],\"x\"],\"#ff0000\",[\"step\",[\"zoom\"],\"#000000\",15,\"#"
        "0000ff\"]],"
        "\"line-dasharray\":[\"match\",[\"get\",\"k\"],[\"d\",\"e\"],[\"literal\",[2,1]],[\"literal\",[1,0]]]},"
        "\"layout\":{\"line-cap\":\"round\",\"line-join\":{\"stops\":[[10,\"miter\"],[14,\"round\"]]}}}",
        &e);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    const struct gis_style_layer *l = gis_style_layer_at(s, 0);
    const char *keys[] = {"k"};
    struct gis_style_value v[] = {STR("x")};
    struct gis_style_feature f = feature(keys, v, 1, 2);
    struct gis_style_ctx ctx = {15, &f, NULL};
    CHECK(near(gis_style_number(l, GIS_P_LINE_WIDTH, &ctx), 6));
    ctx.zoom = 5;
    CHECK(near(gis_style_number(l, GIS_P_LINE_WIDTH, &ctx), 1));
    ctx.zoom = 25;
    CHECK(near(gis_style_number(l, GIS_P_LINE_WIDTH, &ctx), 11));
    ctx.zoom = 1; /* exponential base 2: (2^1 - 1) / (2^2 - 1) = 1/3 of the way */
    CHECK(near(gis_style_number(l, GIS_P_LINE_OPACITY, &ctx), 0.2));
    struct gis_style_color c = gis_style_color(l, GIS_P_LINE_COLOR, &ctx);
    CHECK(c.r == 1 && c.b == 0);
    v[0] = STR("d");
    ctx.zoom = 16;
    c = gis_style_color(l, GIS_P_LINE_COLOR, &ctx);
    CHECK(c.b == 1 && c.r == 0);
    ctx.zoom = 12;
    c = gis_style_color(l, GIS_P_LINE_COLOR, &ctx);
    CHECK(c.b == 0 && c.r == 0 && c.a == 1);
    struct gis_style_value d = gis_style_eval(l, GIS_P_LINE_DASHARRAY, &ctx);
    CHECK(d.type == GIS_STYLE_ARRAY && d.a.n == 2 && d.a.v[0].n == 2);
    CHECK_STR(gis_style_string(l, GIS_P_LINE_CAP, &ctx), "round");
    CHECK_STR(gis_style_string(l, GIS_P_LINE_JOIN, &ctx), "miter");
    ctx.zoom = 14;
    CHECK_STR(gis_style_string(l, GIS_P_LINE_JOIN, &ctx), "round");
    /* unset properties give the spec defaults */
    CHECK_STR(gis_style_string(l, GIS_P_VISIBILITY, &ctx), "visible");
    CHECK(near(gis_style_number(l, GIS_P_LINE_MITER_LIMIT, &ctx), 2));
    gis_style_free(s);
}

static void text_fields(void)
{
    struct err e;
    struct gis_style *s = load_layer(
        "{\"id\":\"t\",\"type\":\"symbol\",\"source\":\"odra\",\"source-layer\":\"x\",\"minzoom\":10,\"layout\":{"
        "\"text-field\":[\"concat\",[\"get\",\"label\"],\" \",[\"to-string\",[\"get\",\"n\"]],[\"upcase\",\"ł\"]],"
        "\"text-font\":[\"DejaVu Sans Bold\"],\"text-size\":12,\"symbol-placement\":\"line\","
        "\"text-offset\":[0,1]},\"paint\":{\"text-halo-width\":1.5,\"text-halo-color\":\"#fff\"}}",
        &e);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    struct arena *a = arena_new(1024);
    const struct gis_style_layer *l = gis_style_layer_at(s, 0);
    const char *keys[] = {"label", "n"};
    struct gis_style_value v[] = {STR("1MN"), NUM(12)};
    struct gis_style_feature f = feature(keys, v, 2, 3);
    struct gis_style_ctx ctx = {14, &f, a};
    CHECK_STR(gis_style_string(l, GIS_P_TEXT_FIELD, &ctx), "1MN 12Ł");
    CHECK(!gis_style_layer_active(l, 9.9));
    CHECK(gis_style_layer_active(l, 10));
    CHECK_STR(gis_style_string(l, GIS_P_SYMBOL_PLACEMENT, &ctx), "line");
    gis_style_free(s);
    /* "{token}" strings, the legacy form */
    s = load_layer("{\"id\":\"t2\",\"type\":\"symbol\",\"source\":\"odra\",\"source-layer\":\"x\","
                   "\"layout\":{\"text-field\":\"nr {label}!\"}}",
                   &e);
    CHECK(s != NULL);
    if (s) {
        CHECK_STR(gis_style_string(gis_style_layer_at(s, 0), GIS_P_TEXT_FIELD, &ctx), "nr 1MN!");
        gis_style_free(s);
    }
    arena_free(a);
}

/* Each invalid layer fails at load with the layer id and the property in the message. */
static void invalid_styles_name_layer_and_property(void)
{
    static const struct {
        const char *layer, *expect1, *expect2;
    } cases[] = {
        {"{\"id\":\"r\",\"type\":\"raster\",\"source\":\"odra\"}", "layer 'r'", "raster"},
        {"{\"id\":\"f1\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{\"fill-color\":\"#"
         "12\"}}",
         "layer 'f1'", "paint.fill-color"},
        {"{\"id\":\"f2\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{\"fill-opacity\":2}}",
         "layer 'f2'", "paint.fill-opacity"},
        {"{\"id\":\"f3\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{\"fill-pattern\":"
         "\"a\"}}",
         "layer 'f3'", "paint.fill-pattern"},
        {"{\"id\":\"f4\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{\"line-width\":1}}",
         "layer 'f4'", "paint.line-width"},
        {"{\"id\":\"l1\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"layout\":{\"line-cap\":"
         "\"pointy\"}}",
         "layer 'l1'", "layout.line-cap"},
        {"{\"id\":\"l2\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{\"line-join\":"
         "\"round\"}}",
         "layer 'l2'", "paint.line-join"},
        {"{\"id\":\"l3\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-width\":[\"interpolate\",[\"linear\"],[\"zoom\"],10]}}",
         "layer 'l3'", "paint.line-width"},
        {"{\"id\":\"l4\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-color\":[\"match\",[\"get\",\"a\"],\"x\",\"#fff\"]}}",
         "layer 'l4'", "expects"},
        {"{\"id\":\"l5\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-width\":[\"get\",\"a\",\"b\"]}}",
         "layer 'l5'", "'get' expects"},
        {"{\"id\":\"l6\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-width\":[\"frobnicate\",1]}}",
         "layer 'l6'", "frobnicate"},
        {"{\"id\":\"l7\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-width\":[\"interpolate\",[\"linear\"],[\"zoom\"],10,1,5,2]}}",
         "layer 'l7'", "ascending"},
        {"{\"id\":\"l8\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"paint\":{\"line-color\":[\"case\",true,\"#fff\",\"nope\"]}}",
         "layer 'l8'", "colour"},
        {"{\"id\":\"l9\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"filter\":[\"==\",\"a\"]}",
         "layer 'l9'", "filter"},
        {"{\"id\":\"l10\",\"type\":\"line\",\"source\":\"nowhere\",\"source-layer\":\"x\"}", "layer 'l10'", "source"},
        {"{\"id\":\"l11\",\"type\":\"line\",\"source\":\"odra\"}", "layer 'l11'", "source-layer"},
        {"{\"id\":\"l12\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"minzoom\":30}", "layer 'l12'",
         "minzoom"},
        {"{\"id\":\"l13\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"bogus\":1}", "layer 'l13'",
         "bogus"},
        {"{\"id\":\"s1\",\"type\":\"symbol\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"layout\":{\"text-anchor\":\"middle\"}}",
         "layer 's1'", "layout.text-anchor"},
        {"{\"id\":\"s2\",\"type\":\"symbol\",\"source\":\"odra\",\"source-layer\":\"x\",\"layout\":{\"text-font\":"
         "\"x\"}}",
         "layer 's2'", "layout.text-font"},
        {"{\"id\":\"s3\",\"type\":\"symbol\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"layout\":{\"text-offset\":[1,2,3]}}",
         "layer 's3'", "layout.text-offset"},
        {"{\"id\":\"h1\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"metadata\":{\"odra:hatch\":{\"spacing\":0}}}",
         "layer 'h1'", "odra:hatch"},
        {"{\"id\":\"r1\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"metadata\":{\"odra:on-request\":1,\"odra:group\":\"g\"}}",
         "layer 'r1'", "odra:on-request"},
        {"{\"id\":\"r2\",\"type\":\"fill\",\"source\":\"odra\",\"source-layer\":\"x\","
         "\"metadata\":{\"odra:on-request\":true}}",
         "layer 'r2'", "odra:group"},
        {"{\"type\":\"fill\"}", "layer '#0'", "id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e;
        struct gis_style *s = load_layer(cases[i].layer, &e);
        CHECK(s == NULL && e.code == ERR_INVALID);
        if (!strstr(e.msg, cases[i].expect1) || !strstr(e.msg, cases[i].expect2))
            printf("  case %zu: message \"%s\" lacks \"%s\"/\"%s\"\n", i, e.msg, cases[i].expect1, cases[i].expect2);
        CHECK(strstr(e.msg, cases[i].expect1) && strstr(e.msg, cases[i].expect2));
        gis_style_free(s);
    }
}

static void hostile_documents(void)
{
    struct err e;
    CHECK(load("", &e) == NULL && e.code == ERR_INVALID);
    CHECK(load("[]", &e) == NULL);
    CHECK(load("{\"version\":7,\"sources\":{},\"layers\":[]}", &e) == NULL && strstr(e.msg, "version"));
    CHECK(load("{\"version\":8,\"layers\":[]}", &e) == NULL && strstr(e.msg, "sources"));
    CHECK(load("{\"version\":8,\"sources\":{},\"layers\":{}}", &e) == NULL && strstr(e.msg, "layers"));
    CHECK(load("{\"version\":8,\"version\":8,\"sources\":{},\"layers\":[]}", &e) == NULL);
    /* duplicate layer ids */
    CHECK(load("{\"version\":8,\"sources\":{},\"layers\":[{\"id\":\"a\",\"type\":\"background\"},"
               "{\"id\":\"a\",\"type\":\"background\"}]}",
               &e) == NULL &&
          strstr(e.msg, "duplicate"));
    /* deep nesting is refused, not recursed into */
    char deep[20000];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n,
                          "{\"id\":\"d\",\"type\":\"line\",\"source\":\"odra\","
                          "\"source-layer\":\"x\",\"paint\":{\"line-width\":");
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "[\"coalesce\",");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "1");
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, ",2]");
    snprintf(deep + n, sizeof deep - n, "}}");
    CHECK(load_layer(deep, &e) == NULL && strstr(e.msg, "deep"));
    /* an empty style is valid */
    struct gis_style *s = load("{\"version\":8,\"sources\":{},\"layers\":[]}", &e);
    CHECK(s && gis_style_layer_count(s) == 0);
    gis_style_free(s);
    /* runtime type errors fall back to defaults instead of failing */
    s = load_layer("{\"id\":\"rt\",\"type\":\"line\",\"source\":\"odra\",\"source-layer\":\"x\",\"paint\":{"
                   "\"line-width\":[\"get\",\"w\"],\"line-color\":[\"get\",\"c\"]}}",
                   &e);
    CHECK(s != NULL);
    if (s) {
        const char *keys[] = {"w", "c"};
        struct gis_style_value v[] = {STR("wide"), STR("not a colour")};
        struct gis_style_feature f = feature(keys, v, 2, 2);
        struct gis_style_ctx ctx = {14, &f, NULL};
        CHECK(gis_style_number(gis_style_layer_at(s, 0), GIS_P_LINE_WIDTH, &ctx) == 1);
        struct gis_style_color c = gis_style_color(gis_style_layer_at(s, 0), GIS_P_LINE_COLOR, &ctx);
        CHECK(c.r == 0 && c.a == 1);
        v[1] = STR("#00ff00");
        c = gis_style_color(gis_style_layer_at(s, 0), GIS_P_LINE_COLOR, &ctx);
        CHECK(c.g == 1);
        gis_style_free(s);
    }
}

int main(void)
{
    RUN(colours);
    RUN(embedded_plan_style_loads);
    RUN(expression_filters);
    RUN(legacy_filters);
    RUN(interpolate_step_match_case);
    RUN(text_fields);
    RUN(invalid_styles_name_layer_and_property);
    RUN(hostile_documents);
    return test_done();
}
