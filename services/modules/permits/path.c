/* Pedestrian distance along the streets layer: the graph and Dijkstra's algorithm (path.h). */
#include "services/modules/permits/path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_M 0.01 /* points closer than this are one node */

struct seg {
    double ax, ay, bx, by;
    double minx, maxx;
};

/* A point where a segment is cut: its position along the segment and its coordinates. */
struct cut {
    double t, x, y;
};

struct cuts {
    struct cut *v;
    int n, cap;
};

struct edge {
    int a, b;
    double len;
};

struct arc {
    int to;
    double w;
};

struct permits_graph {
    struct seg *segs;
    int nseg, segcap;
    struct pt {
        double x, y;
    } * nodes;
    int nnodes, nodecap;
    int *slot; /* open-addressing hash of nodes by their coordinates rounded to MERGE_M */
    size_t nslot;
    struct edge *edges;
    int nedges, edgecap;
    int *off; /* adjacency, compressed: arcs of node i are arcs[off[i] .. off[i+1]) */
    struct arc *arcs;
    double *dist; /* from the last source */
    struct permits_snap src;
};

static bool grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return true;
    int c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

struct permits_graph *permits_graph_new(void)
{
    return calloc(1, sizeof(struct permits_graph));
}

void permits_graph_free(struct permits_graph *g)
{
    if (!g)
        return;
    free(g->segs);
    free(g->nodes);
    free(g->slot);
    free(g->edges);
    free(g->off);
    free(g->arcs);
    free(g->dist);
    free(g);
}

int permits_graph_nodes(const struct permits_graph *g)
{
    return g->nnodes;
}

int permits_graph_edges(const struct permits_graph *g)
{
    return g->nedges;
}

enum err_code permits_graph_add_line(struct permits_graph *g, const double *xy, int n, struct err *e)
{
    for (int i = 0; i + 1 < n; i++) {
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * i + 2], by = xy[2 * i + 3];
        if (hypot(bx - ax, by - ay) < MERGE_M)
            continue;
        if (!grow((void **)&g->segs, &g->segcap, g->nseg + 1, sizeof *g->segs))
            return err_set(e, ERR_INTERNAL, "out of memory");
        g->segs[g->nseg++] = (struct seg){ax, ay, bx, by, fmin(ax, bx), fmax(ax, bx)};
    }
    return ERR_OK;
}

static bool cut_add(struct cuts *c, double t, double x, double y)
{
    if (!grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v))
        return false;
    c->v[c->n++] = (struct cut){t, x, y};
    return true;
}

/* The position along s of the point (x, y) when it lies on s (within MERGE_M), else -1. */
static double on_seg(const struct seg *s, double x, double y)
{
    double dx = s->bx - s->ax, dy = s->by - s->ay, l2 = dx * dx + dy * dy;
    double t = ((x - s->ax) * dx + (y - s->ay) * dy) / l2;
    if (t < 0 || t > 1)
        return -1;
    return hypot(s->ax + t * dx - x, s->ay + t * dy - y) <= MERGE_M ? t : -1;
}

/* Where segments i and j cross or touch: a cut on each. */
static bool cross(const struct permits_graph *g, int i, int j, struct cuts *ci, struct cuts *cj)
{
    const struct seg *p = &g->segs[i], *q = &g->segs[j];
    double rx = p->bx - p->ax, ry = p->by - p->ay, sx = q->bx - q->ax, sy = q->by - q->ay;
    double den = rx * sy - ry * sx;
    double li = hypot(rx, ry), lj = hypot(sx, sy);
    if (fabs(den) > 1e-9 * li * lj) {
        double t = ((q->ax - p->ax) * sy - (q->ay - p->ay) * sx) / den;
        double u = ((q->ax - p->ax) * ry - (q->ay - p->ay) * rx) / den;
        double et = MERGE_M / li, eu = MERGE_M / lj;
        if (t < -et || t > 1 + et || u < -eu || u > 1 + eu)
            return true;
        t = fmin(1, fmax(0, t));
        u = fmin(1, fmax(0, u));
        double x = p->ax + t * rx, y = p->ay + t * ry;
        return cut_add(ci, t, x, y) && cut_add(cj, u, x, y);
    }
    /* parallel: only ends lying on the other segment join them */
    const double ends[4][2] = {{q->ax, q->ay}, {q->bx, q->by}, {p->ax, p->ay}, {p->bx, p->by}};
    for (int k = 0; k < 4; k++) {
        const struct seg *s = k < 2 ? p : q;
        struct cuts *c = k < 2 ? ci : cj;
        double t = on_seg(s, ends[k][0], ends[k][1]);
        if (t >= 0 && !cut_add(c, t, ends[k][0], ends[k][1]))
            return false;
    }
    return true;
}

static int cmp_seg(const void *a, const void *b)
{
    double x = ((const struct seg *)a)->minx, y = ((const struct seg *)b)->minx;
    return (x > y) - (x < y);
}

static int cmp_cut(const void *a, const void *b)
{
    double x = ((const struct cut *)a)->t, y = ((const struct cut *)b)->t;
    return (x > y) - (x < y);
}

static size_t node_hash(long long kx, long long ky)
{
    unsigned long long h =
        (unsigned long long)kx * 0x9E3779B97F4A7C15ull ^ (unsigned long long)ky * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h ^ (h >> 29));
}

static long long node_key(double v)
{
    return llround(v / MERGE_M);
}

/* Doubles the node hash and puts every node in it again. */
static bool rehash(struct permits_graph *g)
{
    size_t n = g->nslot ? g->nslot * 2 : 1024;
    int *slot = malloc(n * sizeof *slot);
    if (!slot)
        return false;
    memset(slot, 0xff, n * sizeof *slot);
    for (int k = 0; k < g->nnodes; k++) {
        size_t i = node_hash(node_key(g->nodes[k].x), node_key(g->nodes[k].y)) & (n - 1);
        while (slot[i] >= 0)
            i = (i + 1) & (n - 1);
        slot[i] = k;
    }
    free(g->slot);
    g->slot = slot;
    g->nslot = n;
    return true;
}

/* The node at (x, y), made when there is none; -1 when out of memory. */
static int node_at(struct permits_graph *g, double x, double y)
{
    if (((size_t)g->nnodes + 1) * 2 > g->nslot && !rehash(g))
        return -1;
    long long kx = node_key(x), ky = node_key(y);
    size_t i = node_hash(kx, ky) & (g->nslot - 1);
    for (; g->slot[i] >= 0; i = (i + 1) & (g->nslot - 1)) {
        int k = g->slot[i];
        if (node_key(g->nodes[k].x) == kx && node_key(g->nodes[k].y) == ky)
            return k;
    }
    if (!grow((void **)&g->nodes, &g->nodecap, g->nnodes + 1, sizeof *g->nodes))
        return -1;
    g->nodes[g->nnodes] = (struct pt){x, y};
    g->slot[i] = g->nnodes;
    return g->nnodes++;
}

/* The nodes and edges of a segment from its cuts. */
static bool seg_edges(struct permits_graph *g, struct cuts *c)
{
    qsort(c->v, (size_t)c->n, sizeof *c->v, cmp_cut);
    int prev = -1;
    for (int k = 0; k < c->n; k++) {
        int n = node_at(g, c->v[k].x, c->v[k].y);
        if (n < 0)
            return false;
        if (prev >= 0 && n != prev) {
            if (!grow((void **)&g->edges, &g->edgecap, g->nedges + 1, sizeof *g->edges))
                return false;
            g->edges[g->nedges++] =
                (struct edge){prev, n, hypot(g->nodes[n].x - g->nodes[prev].x, g->nodes[n].y - g->nodes[prev].y)};
        }
        prev = n;
    }
    return true;
}

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    int xa = x->a < x->b ? x->a : x->b, xb = x->a < x->b ? x->b : x->a;
    int ya = y->a < y->b ? y->a : y->b, yb = y->a < y->b ? y->b : y->a;
    return xa != ya ? (xa > ya) - (xa < ya) : (xb > yb) - (xb < yb);
}

/* One edge per pair of nodes: overlapping collinear streets (cut at each other's ends) give the same edge
 * twice, and two copies would let two points on "one" street snap to different edges. */
static void edges_unique(struct permits_graph *g)
{
    if (g->nedges > 1)
        qsort(g->edges, (size_t)g->nedges, sizeof *g->edges, cmp_edge);
    int n = 0;
    for (int i = 0; i < g->nedges; i++)
        if (!n || cmp_edge(&g->edges[n - 1], &g->edges[i]))
            g->edges[n++] = g->edges[i];
    g->nedges = n;
}

static bool adjacency(struct permits_graph *g)
{
    edges_unique(g);
    g->off = calloc((size_t)g->nnodes + 1, sizeof *g->off);
    g->arcs = malloc(((size_t)g->nedges * 2 + 1) * sizeof *g->arcs);
    g->dist = malloc(((size_t)g->nnodes + 1) * sizeof *g->dist);
    if (!g->off || !g->arcs || !g->dist)
        return false;
    for (int i = 0; i < g->nedges; i++)
        g->off[g->edges[i].a + 1]++, g->off[g->edges[i].b + 1]++;
    for (int i = 0; i < g->nnodes; i++)
        g->off[i + 1] += g->off[i];
    int *fill = calloc((size_t)g->nnodes + 1, sizeof *fill);
    if (!fill)
        return false;
    for (int i = 0; i < g->nedges; i++) {
        const struct edge *ed = &g->edges[i];
        g->arcs[g->off[ed->a] + fill[ed->a]++] = (struct arc){ed->b, ed->len};
        g->arcs[g->off[ed->b] + fill[ed->b]++] = (struct arc){ed->a, ed->len};
    }
    free(fill);
    return true;
}

enum err_code permits_graph_build(struct permits_graph *g, struct err *e)
{
    int n = g->nseg;
    struct cuts *c = calloc((size_t)n + 1, sizeof *c);
    bool ok = c && rehash(g);
    if (n > 1) /* sweep along x: only overlapping spans meet */
        qsort(g->segs, (size_t)n, sizeof *g->segs, cmp_seg);
    for (int i = 0; ok && i < n; i++) {
        const struct seg *s = &g->segs[i];
        ok = cut_add(&c[i], 0, s->ax, s->ay) && cut_add(&c[i], 1, s->bx, s->by);
    }
    for (int i = 0; ok && i < n; i++)
        for (int j = i + 1; ok && j < n && g->segs[j].minx <= g->segs[i].maxx + MERGE_M; j++) {
            const struct seg *p = &g->segs[i], *q = &g->segs[j];
            if (fmin(p->ay, p->by) > fmax(q->ay, q->by) + MERGE_M || fmin(q->ay, q->by) > fmax(p->ay, p->by) + MERGE_M)
                continue;
            ok = cross(g, i, j, &c[i], &c[j]);
        }
    for (int i = 0; ok && i < n; i++)
        ok = seg_edges(g, &c[i]);
    for (int i = 0; c && i < n; i++)
        free(c[i].v);
    free(c);
    if (!ok || !adjacency(g))
        return err_set(e, ERR_INTERNAL, "out of memory building the streets graph");
    return ERR_OK;
}

void permits_graph_snap(const struct permits_graph *g, double x, double y, struct permits_snap *out)
{
    *out = (struct permits_snap){.edge = -1, .connect = INFINITY};
    for (int i = 0; i < g->nedges; i++) {
        const struct edge *ed = &g->edges[i];
        double ax = g->nodes[ed->a].x, ay = g->nodes[ed->a].y;
        double dx = g->nodes[ed->b].x - ax, dy = g->nodes[ed->b].y - ay;
        double t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
        t = fmin(1, fmax(0, t));
        double px = ax + t * dx, py = ay + t * dy, d = hypot(x - px, y - py);
        if (d < out->connect)
            *out = (struct permits_snap){i, px, py, t, d};
    }
}

/* ---- Dijkstra over a binary heap (lazy deletion: a node may be queued more than once) ---- */

struct item {
    double d;
    int node;
};

struct heap {
    struct item *v;
    int n, cap;
};

static bool heap_push(struct heap *h, double d, int node)
{
    if (!grow((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v))
        return false;
    int i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2].d > d) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = (struct item){d, node};
    return true;
}

static struct item heap_pop(struct heap *h)
{
    struct item top = h->v[0], last = h->v[--h->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1].d < h->v[c].d)
            c++;
        if (h->v[c].d >= last.d)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

enum err_code permits_graph_from(struct permits_graph *g, double x, double y, struct err *e)
{
    permits_graph_snap(g, x, y, &g->src);
    if (g->src.edge < 0)
        return err_set(e, ERR_NOT_FOUND, "the streets graph has no edge here");
    for (int i = 0; i < g->nnodes; i++)
        g->dist[i] = INFINITY;
    const struct edge *ed = &g->edges[g->src.edge];
    struct heap h = {0};
    g->dist[ed->a] = g->src.connect + g->src.t * ed->len;
    g->dist[ed->b] = fmin(g->dist[ed->b], g->src.connect + (1 - g->src.t) * ed->len);
    bool ok = heap_push(&h, g->dist[ed->a], ed->a) && heap_push(&h, g->dist[ed->b], ed->b);
    while (ok && h.n) {
        struct item it = heap_pop(&h);
        if (it.d > g->dist[it.node])
            continue; /* a stale entry */
        for (int k = g->off[it.node]; ok && k < g->off[it.node + 1]; k++) {
            double d = it.d + g->arcs[k].w;
            if (d < g->dist[g->arcs[k].to]) {
                g->dist[g->arcs[k].to] = d;
                ok = heap_push(&h, d, g->arcs[k].to);
            }
        }
    }
    free(h.v);
    return ok ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory finding the shortest path");
}

double permits_graph_dist(const struct permits_graph *g, double x, double y)
{
    struct permits_snap t;
    permits_graph_snap(g, x, y, &t);
    if (t.edge < 0 || g->src.edge < 0)
        return -1;
    const struct edge *ed = &g->edges[t.edge];
    double d = t.connect + fmin(g->dist[ed->a] + t.t * ed->len, g->dist[ed->b] + (1 - t.t) * ed->len);
    if (t.edge == g->src.edge) /* both on one edge: along it, without a node between */
        d = fmin(d, g->src.connect + fabs(g->src.t - t.t) * ed->len + t.connect);
    return isfinite(d) ? d : -1;
}
