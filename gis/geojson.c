/* GeoJSON geometries written from WKB: one batch transform per geometry and fixed decimals printed by
 * integer arithmetic. This replaces SpatiaLite's AsGeoJSON(ST_Transform(...)) in OGC API items, whose
 * transform looked the CRS definitions up in spatial_ref_sys (an SQL query) on every row. */
#include "gis/geojson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/wkb.h"

struct part {
    int kind; /* 1 point, 2 line string, 3 polygon ring */
    uint32_t n;
    bool shell;
};

struct collect {
    double *xy;
    size_t n, cap;
    struct part *parts;
    size_t nparts, capparts;
    bool failed;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

static bool on_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct collect *c = ctx;
    if (!grow((void **)&c->parts, &c->capparts, c->nparts + 1, sizeof *c->parts)) {
        c->failed = true;
        return false;
    }
    c->parts[c->nparts++] = (struct part){kind, n, shell};
    return true;
}

static bool on_point(void *ctx, double x, double y)
{
    struct collect *c = ctx;
    if (!grow((void **)&c->xy, &c->cap, 2 * (c->n + 1), sizeof *c->xy)) {
        c->failed = true;
        return false;
    }
    c->xy[2 * c->n] = x;
    c->xy[2 * c->n + 1] = y;
    c->n++;
    return true;
}

/* v with at most `decimals` decimals, trailing zeros (and a bare point) left out, as AsGeoJSON prints. */
static void put_num(struct buf *out, double v, int decimals)
{
    static const long long pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    long long p = pow10[decimals];
    double a = fabs(v) * (double)p;
    double half = a - floor(a) - 0.5;
    if (a >= 9e15 || (half > -1e-6 && half < 1e-6)) {
        /* beyond exact integers, or a tie after scaling (whose rounding the scaling itself may have
         * decided): printf rounds the exact binary value, then the zeros go */
        char t[64];
        int n = snprintf(t, sizeof t, "%.*f", decimals, v);
        if (n > 0 && n < (int)sizeof t && decimals > 0) {
            while (t[n - 1] == '0')
                n--;
            if (t[n - 1] == '.')
                n--;
        }
        if (n == 2 && !strncmp(t, "-0", 2))
            t[0] = '0', t[1] = 0, n = 1;
        buf_append(out, t, n > 0 && n < (int)sizeof t ? (size_t)n : 0);
        return;
    }
    long long s = llround(a), ip = s / p, fp = s % p;
    char tmp[48];
    int n = 0;
    char digits[24];
    int nd = 0;
    do
        digits[nd++] = (char)('0' + ip % 10);
    while ((ip /= 10) > 0);
    if (v < 0 && s != 0)
        tmp[n++] = '-';
    while (nd > 0)
        tmp[n++] = digits[--nd];
    if (fp) {
        int d = decimals;
        while (fp % 10 == 0)
            fp /= 10, d--;
        tmp[n++] = '.';
        for (int i = d - 1; i >= 0; i--) {
            tmp[n + i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        n += d;
    }
    buf_append(out, tmp, (size_t)n);
}

static void put_point(struct buf *out, const double *xy, bool swap, int decimals)
{
    buf_append(out, "[", 1);
    put_num(out, xy[swap ? 1 : 0], decimals);
    buf_append(out, ",", 1);
    put_num(out, xy[swap ? 0 : 1], decimals);
    buf_append(out, "]", 1);
}

static void put_seq(struct buf *out, const double *xy, uint32_t n, bool swap, int decimals)
{
    buf_append(out, "[", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            buf_append(out, ",", 1);
        put_point(out, xy + 2 * (size_t)i, swap, decimals);
    }
    buf_append(out, "]", 1);
}

/* The geometry type of a WKB (1 to 6), or 0 when the header is not one of those. */
static int wkb_type(const unsigned char *wkb, size_t len)
{
    if (len < 5 || wkb[0] > 1)
        return 0;
    uint32_t t = wkb[0] ? (uint32_t)wkb[1] | (uint32_t)wkb[2] << 8 | (uint32_t)wkb[3] << 16 | (uint32_t)wkb[4] << 24
                        : (uint32_t)wkb[4] | (uint32_t)wkb[3] << 8 | (uint32_t)wkb[2] << 16 | (uint32_t)wkb[1] << 24;
    return t < 4000 && t % 1000 >= 1 && t % 1000 <= 6 ? (int)(t % 1000) : 0;
}

static void put_coordinates(struct buf *out, int type, const struct collect *c, bool swap, int decimals)
{
    static const char *const names[] = {"",           "Point",           "LineString",  "Polygon",
                                        "MultiPoint", "MultiLineString", "MultiPolygon"};
    buf_printf(out, "{\"type\":\"%s\",\"coordinates\":", names[type]);
    const double *xy = c->xy;
    if (type == 1 || type == 2) {
        if (c->nparts == 0 || (type == 1 && c->parts[0].n == 0))
            buf_puts(out, "[]");
        else if (type == 1)
            put_point(out, xy, swap, decimals);
        else
            put_seq(out, xy, c->parts[0].n, swap, decimals);
        buf_append(out, "}", 1);
        return;
    }
    buf_append(out, "[", 1);
    bool open_poly = false;
    for (size_t i = 0; i < c->nparts; i++) {
        const struct part *p = &c->parts[i];
        if (type == 6 && p->shell) { /* a multipolygon's next polygon */
            buf_puts(out, open_poly ? "],[" : "[");
            open_poly = true;
        } else if (i) {
            buf_append(out, ",", 1);
        }
        if (type == 4)
            put_point(out, xy, swap, decimals);
        else
            put_seq(out, xy, p->n, swap, decimals);
        xy += 2 * (size_t)p->n;
    }
    if (open_poly)
        buf_append(out, "]", 1);
    buf_puts(out, "]}");
}

enum err_code gis_geojson_from_wkb(struct buf *out, const unsigned char *wkb, size_t len, enum gis_crs to,
                                   struct err *e)
{
    int type = wkb_type(wkb, len);
    struct collect c = {0};
    static const struct gis_wkb_visitor v = {on_part, on_point};
    enum err_code rc = ERR_OK;
    if (!type || !gis_wkb_walk(wkb, len, &v, &c))
        rc = c.failed ? err_set(e, ERR_INTERNAL, "out of memory") : err_set(e, ERR_INVALID, "unreadable geometry");
    else if (to != GIS_CRS_2180 && c.n)
        rc = gis_crs_transform(GIS_CRS_2180, to, c.xy, c.n, e);
    if (!rc) {
        bool degrees = to == GIS_CRS_4326 || to == GIS_CRS_CRS84;
        put_coordinates(out, type, &c, gis_crs_north_first(to), degrees ? 7 : 2);
    }
    free(c.xy);
    free(c.parts);
    return rc;
}
