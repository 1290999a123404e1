/* The GeoJSON geometry writer (gis/geojson.c): every geometry type, number formatting at its edges,
 * axis order per CRS, and damaged WKB. The OGC tests compare whole answers with GDAL and owslib. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gis/geojson.h"
#include "tests/test.h"

/* A little-endian WKB writer for the tests. */
struct w {
    unsigned char b[4096];
    size_t n;
};
static void u32(struct w *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w->b[w->n++] = (unsigned char)(v >> (8 * i));
}
static void f64(struct w *w, double d)
{
    memcpy(w->b + w->n, &d, 8);
    w->n += 8;
}
static void head(struct w *w, uint32_t type)
{
    w->b[w->n++] = 1;
    u32(w, type);
}
static void ring(struct w *w, double x, double y, double s)
{
    u32(w, 5);
    double xy[] = {x, y, x + s, y, x + s, y + s, x, y + s, x, y};
    for (int i = 0; i < 10; i++)
        f64(w, xy[i]);
}

static char *geo(const struct w *w, enum gis_crs crs, enum err_code *rc)
{
    struct buf out = {0};
    struct err e = {0};
    *rc = gis_geojson_from_wkb(&out, w->b, w->n, crs, &e);
    buf_append(&out, "", 1);
    return out.data;
}

static void every_type_in_the_storage_crs(void)
{
    enum err_code rc;
    struct w p = {0};
    head(&p, 1), f64(&p, 500000.5), f64(&p, 200000.25);
    char *s = geo(&p, GIS_CRS_2180, &rc); /* EPSG:2180 is northing first */
    CHECK(rc == ERR_OK);
    CHECK_STR(s, "{\"type\":\"Point\",\"coordinates\":[200000.25,500000.5]}");
    free(s);
    struct w l = {0};
    head(&l, 2), u32(&l, 2), f64(&l, 1), f64(&l, 2), f64(&l, 3.1), f64(&l, 4);
    s = geo(&l, GIS_CRS_3857, &rc);
    CHECK(rc == ERR_OK && strstr(s, "\"LineString\"") != NULL);
    free(s);
    struct w poly = {0};
    head(&poly, 3), u32(&poly, 2), ring(&poly, 0, 0, 10), ring(&poly, 2, 2, 1);
    s = geo(&poly, GIS_CRS_2180, &rc);
    CHECK_STR(s, "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[0,10],[10,10],[10,0],[0,0]],"
                 "[[2,2],[2,3],[3,3],[3,2],[2,2]]]}");
    free(s);
    struct w mp = {0};
    head(&mp, 6), u32(&mp, 2);
    head(&mp, 3), u32(&mp, 2), ring(&mp, 0, 0, 10), ring(&mp, 2, 2, 1);
    head(&mp, 3), u32(&mp, 1), ring(&mp, 20, 0, 1);
    s = geo(&mp, GIS_CRS_2180, &rc);
    CHECK_STR(s, "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[0,10],[10,10],[10,0],[0,0]],"
                 "[[2,2],[2,3],[3,3],[3,2],[2,2]]],[[[0,20],[0,21],[1,21],[1,20],[0,20]]]]}");
    free(s);
    struct w mpt = {0};
    head(&mpt, 4), u32(&mpt, 2), head(&mpt, 1), f64(&mpt, 1), f64(&mpt, 2), head(&mpt, 1), f64(&mpt, 3), f64(&mpt, 4);
    s = geo(&mpt, GIS_CRS_2180, &rc);
    CHECK_STR(s, "{\"type\":\"MultiPoint\",\"coordinates\":[[2,1],[4,3]]}");
    free(s);
    struct w ml = {0};
    head(&ml, 5), u32(&ml, 2), head(&ml, 2), u32(&ml, 2), f64(&ml, 1), f64(&ml, 2), f64(&ml, 3), f64(&ml, 4);
    head(&ml, 2), u32(&ml, 2), f64(&ml, 5), f64(&ml, 6), f64(&ml, 7), f64(&ml, 8);
    s = geo(&ml, GIS_CRS_2180, &rc);
    CHECK_STR(s, "{\"type\":\"MultiLineString\",\"coordinates\":[[[2,1],[4,3]],[[6,5],[8,7]]]}");
    free(s);
    struct w empty = {0};
    head(&empty, 3), u32(&empty, 0);
    s = geo(&empty, GIS_CRS_2180, &rc);
    CHECK_STR(s, "{\"type\":\"Polygon\",\"coordinates\":[]}");
    free(s);
}

static void numbers_round_like_printf(void)
{
    /* 2 decimals in metres, trailing zeros left out; ties decided by the exact binary value */
    const double v[] = {0.5, -0.004, -1.25, 123.456, 200415.215, 200695.725, 1e-9, -0.005, 999999.999};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        struct w p = {0};
        head(&p, 1), f64(&p, v[i]), f64(&p, 0);
        enum err_code rc;
        char *s = geo(&p, GIS_CRS_2180, &rc), want[64], exp[128]; /* stored as given, northing first */
        int n = snprintf(want, sizeof want, "%.2f", v[i]);
        while (strchr(want, '.') && want[n - 1] == '0')
            want[--n] = 0;
        if (want[n - 1] == '.')
            want[--n] = 0;
        if (!strcmp(want, "-0"))
            strcpy(want, "0");
        snprintf(exp, sizeof exp, "{\"type\":\"Point\",\"coordinates\":[0,%s]}", want);
        CHECK_STR(s, exp);
        free(s);
    }
}

static void degrees_have_seven_decimals_and_axis_order(void)
{
    struct w p = {0};
    head(&p, 1), f64(&p, 500000), f64(&p, 500000); /* the centre of PUWG 1992: 19°E, 52°N */
    enum err_code rc;
    char *s = geo(&p, GIS_CRS_CRS84, &rc);
    CHECK(rc == ERR_OK);
    double lon = 0, lat = 0;
    CHECK(sscanf(s, "{\"type\":\"Point\",\"coordinates\":[%lf,%lf]}", &lon, &lat) == 2);
    CHECK(fabs(lon - 19) < 1e-6 && lat > 51 && lat < 53);
    free(s);
    s = geo(&p, GIS_CRS_4326, &rc); /* latitude first */
    double a = 0, b = 0;
    CHECK(sscanf(s, "{\"type\":\"Point\",\"coordinates\":[%lf,%lf]}", &a, &b) == 2 && fabs(b - 19) < 1e-6);
    const char *dot = strchr(s, '.');
    CHECK(dot && strspn(dot + 1, "0123456789") <= 7);
    free(s);
}

static void damaged_wkb_is_refused_and_writes_nothing(void)
{
    struct w poly = {0};
    head(&poly, 3), u32(&poly, 1), ring(&poly, 0, 0, 10);
    for (size_t cut = 0; cut < poly.n; cut++) {
        struct buf out = {0};
        struct err e = {0};
        buf_puts(&out, "x");
        CHECK(gis_geojson_from_wkb(&out, poly.b, cut, GIS_CRS_2180, &e) == ERR_INVALID);
        CHECK(out.len == 1);
        buf_free(&out);
    }
    struct w gc = {0}; /* a geometry collection: not a type the store holds */
    head(&gc, 7), u32(&gc, 0);
    struct buf out = {0};
    struct err e = {0};
    CHECK(gis_geojson_from_wkb(&out, gc.b, gc.n, GIS_CRS_2180, &e) == ERR_INVALID && out.len == 0);
    struct w huge = {0}; /* claims more points than the bytes hold */
    head(&huge, 2), u32(&huge, 0x7fffffff), f64(&huge, 1), f64(&huge, 2);
    CHECK(gis_geojson_from_wkb(&out, huge.b, huge.n, GIS_CRS_2180, &e) == ERR_INVALID && out.len == 0);
    buf_free(&out);
}

int main(void)
{
    RUN(every_type_in_the_storage_crs);
    RUN(numbers_round_like_printf);
    RUN(degrees_have_seven_decimals_and_axis_order);
    RUN(damaged_wkb_is_refused_and_writes_nothing);
    return test_done();
}
