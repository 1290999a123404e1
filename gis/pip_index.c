/* Point in polygon on WKB read in place: a single test, and a banded edge index for many points on one
 * polygon. */
#include "gis/pip_index.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gis/wkb.h"

/* Calls fn for every edge of every ring of a Polygon or MultiPolygon (through gis_wkb_walk). False when
 * the bytes are not such a geometry or end early, or when fn asks to stop. */
typedef bool (*edge_fn)(void *ctx, double ax, double ay, double bx, double by);

struct edge_walk {
    edge_fn fn;
    void *ctx;
    bool started; /* the ring has a previous point */
    double px, py;
};

static bool edge_part(void *ctx, int kind, uint32_t n, bool shell)
{
    (void)n, (void)shell;
    ((struct edge_walk *)ctx)->started = false;
    return kind == 3;
}

static bool edge_point(void *ctx, double x, double y)
{
    struct edge_walk *ew = ctx;
    bool go = !ew->started || ew->fn(ew->ctx, ew->px, ew->py, x, y);
    ew->started = true, ew->px = x, ew->py = y;
    return go;
}

static bool wkb_edges(const unsigned char *wkb, size_t len, edge_fn fn, void *ctx)
{
    static const struct gis_wkb_visitor v = {edge_part, edge_point};
    struct edge_walk ew = {.fn = fn, .ctx = ctx};
    return gis_wkb_walk(wkb, len, &v, &ew);
}

/* One edge against the point: 2 when the point is on it (within 1 mm), else flips the even-odd count when
 * a ray from the point towards +x crosses it. */
static int edge_locate(double x, double y, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = ax + t * dx - x, ey = ay + t * dy - y;
    if (ex * ex + ey * ey < 1e-6)
        return 2;
    return (ay > y) != (by > y) && x < ax + (y - ay) * dx / dy;
}

struct locate_ctx {
    double x, y;
    int inside;
};

static bool locate_edge(void *ctx, double ax, double ay, double bx, double by)
{
    struct locate_ctx *l = ctx;
    int r = edge_locate(l->x, l->y, ax, ay, bx, by);
    if (r == 2) {
        l->inside = 2;
        return false;
    }
    l->inside ^= r;
    return true;
}

int gis_pip_wkb_locate(const unsigned char *wkb, size_t len, double x, double y)
{
    struct locate_ctx l = {x, y, 0};
    bool whole = wkb_edges(wkb, len, locate_edge, &l);
    return l.inside == 2 ? 2 : whole ? l.inside : 0;
}

/* The polygon's edges bucketed into horizontal bands, so a point is tested against the few edges of its
 * band instead of all of them. */
struct gis_pip {
    double bb[4];
    long n, cap;
    double *xy; /* x0 y0 x1 y1 per edge */
    long nbands;
    double y0, bh;
    long *off, *idx; /* the edges of band b: idx[off[b] .. off[b + 1]) */
};

static bool pip_add(void *ctx, double ax, double ay, double bx, double by)
{
    struct gis_pip *p = ctx;
    if (p->n == p->cap) {
        long cap = p->cap ? 2 * p->cap : 256;
        double *xy = realloc(p->xy, sizeof *xy * 4 * (size_t)cap);
        if (!xy)
            return false;
        p->xy = xy, p->cap = cap;
    }
    double *e = p->xy + 4 * p->n++;
    e[0] = ax, e[1] = ay, e[2] = bx, e[3] = by;
    p->bb[0] = fmin(p->bb[0], fmin(ax, bx)), p->bb[1] = fmin(p->bb[1], fmin(ay, by));
    p->bb[2] = fmax(p->bb[2], fmax(ax, bx)), p->bb[3] = fmax(p->bb[3], fmax(ay, by));
    return true;
}

/* Bands an edge reaches, with the 1 mm of the boundary test. */
static void pip_span(const struct gis_pip *p, const double *e, long *b0, long *b1)
{
    double lo = fmin(e[1], e[3]) - 1e-3, hi = fmax(e[1], e[3]) + 1e-3;
    *b0 = (long)floor((lo - p->y0) / p->bh), *b1 = (long)floor((hi - p->y0) / p->bh);
    *b0 = *b0 < 0 ? 0 : *b0 >= p->nbands ? p->nbands - 1 : *b0;
    *b1 = *b1 < 0 ? 0 : *b1 >= p->nbands ? p->nbands - 1 : *b1;
}

struct gis_pip *gis_pip_build(const unsigned char *wkb, size_t len)
{
    struct gis_pip *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->bb[0] = p->bb[1] = INFINITY, p->bb[2] = p->bb[3] = -INFINITY;
    if (!wkb_edges(wkb, len, pip_add, p) || p->n == 0) {
        gis_pip_free(p);
        return NULL;
    }
    p->nbands = p->n / 4 < 1 ? 1 : p->n / 4 > 4096 ? 4096 : p->n / 4;
    p->y0 = p->bb[1];
    p->bh = (p->bb[3] - p->bb[1]) / (double)p->nbands;
    if (!(p->bh > 0))
        p->bh = 1, p->nbands = 1;
    p->off = calloc((size_t)p->nbands + 1, sizeof *p->off);
    long total = 0;
    for (long i = 0; p->off && i < p->n; i++) {
        long b0, b1;
        pip_span(p, p->xy + 4 * i, &b0, &b1);
        for (long b = b0; b <= b1; b++)
            p->off[b + 1]++;
        total += b1 - b0 + 1;
    }
    p->idx = p->off ? malloc(sizeof *p->idx * (size_t)(total ? total : 1)) : NULL;
    long *fill = p->idx ? calloc((size_t)p->nbands, sizeof *fill) : NULL;
    if (!fill) {
        gis_pip_free(p);
        return NULL;
    }
    for (long b = 0; b < p->nbands; b++)
        p->off[b + 1] += p->off[b];
    for (long i = 0; i < p->n; i++) {
        long b0, b1;
        pip_span(p, p->xy + 4 * i, &b0, &b1);
        for (long b = b0; b <= b1; b++)
            p->idx[p->off[b] + fill[b]++] = i;
    }
    free(fill);
    return p;
}

int gis_pip_locate(const struct gis_pip *p, double x, double y)
{
    if (!p || x < p->bb[0] - 1e-3 || x > p->bb[2] + 1e-3 || y < p->bb[1] - 1e-3 || y > p->bb[3] + 1e-3)
        return 0;
    long b = (long)floor((y - p->y0) / p->bh);
    b = b < 0 ? 0 : b >= p->nbands ? p->nbands - 1 : b;
    int inside = 0;
    for (long k = p->off[b]; k < p->off[b + 1]; k++) {
        const double *e = p->xy + 4 * p->idx[k];
        int r = edge_locate(x, y, e[0], e[1], e[2], e[3]);
        if (r == 2)
            return 2;
        inside ^= r;
    }
    return inside;
}

void gis_pip_bbox(const struct gis_pip *p, double bb[4])
{
    memcpy(bb, p->bb, sizeof p->bb);
}

void gis_pip_free(struct gis_pip *p)
{
    if (!p)
        return;
    free(p->xy);
    free(p->off);
    free(p->idx);
    free(p);
}
