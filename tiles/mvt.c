/* MVT 2.1 encoder: store rows -> EPSG:3857 -> tile units -> GEOS clip by rect -> grid snapping and
 * simplification -> protobuf, with per-layer key and value dictionaries. */
#include "tiles/mvt.h"

#include <geos_c.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/crs.h"
#include "gis/layers.h"
#include "gis/wkb.h"
#include "tiles/matrix.h"
#include "util/zbuf.h"

/* ---- the layers: the map layers of the layer table (gis/layers.h) ---- */

const char *const *tile_mvt_plan_layers(void)
{
    return gis_layers_plan();
}

const char *const *tile_mvt_layer_keys(const char *name)
{
    const struct gis_layer *L = gis_layer_find(name);
    return L ? L->map.keys : NULL;
}

int tile_mvt_layer_minzoom(const char *name)
{
    const struct gis_layer *L = gis_layer_find(name);
    return L ? L->map.minzoom : -1;
}

/* ---- protobuf ---- */

static void pb_varint(struct buf *b, uint64_t v)
{
    char t[10];
    int n = 0;
    while (v >= 0x80) {
        t[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (char)v;
    buf_append(b, t, (size_t)n);
}

static void pb_key(struct buf *b, int field, int wire)
{
    pb_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

static void pb_bytes(struct buf *b, int field, const void *data, size_t len)
{
    pb_key(b, field, 2);
    pb_varint(b, len);
    buf_append(b, data, len);
}

/* Zigzag encoding without shifting negative values. */
static uint64_t zz64(long long v)
{
    return v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
}

static uint32_t zz(int32_t v)
{
    return (uint32_t)zz64(v);
}

/* ---- dictionaries ---- */

struct dict {
    char **s; /* encoded Value messages (values) or key strings, each with its length */
    size_t *len;
    int n, cap;
    int *slots; /* open addressing, index + 1 */
    int nslots;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static void dict_free(struct dict *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->s[i]);
    free(d->s);
    free(d->len);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

/* Index of p[0..n) in the dictionary, adding it; -1 when out of memory. */
static int dict_index(struct dict *d, const char *p, size_t n)
{
    if (d->n * 2 >= d->nslots) {
        int ns = d->nslots ? d->nslots * 2 : 64;
        int *sl = calloc((size_t)ns, sizeof *sl);
        if (!sl)
            return -1;
        for (int i = 0; i < d->n; i++) {
            size_t h = hash_bytes(d->s[i], d->len[i]) & (size_t)(ns - 1);
            while (sl[h])
                h = (h + 1) & (size_t)(ns - 1);
            sl[h] = i + 1;
        }
        free(d->slots);
        d->slots = sl, d->nslots = ns;
    }
    size_t h = hash_bytes(p, n) & (size_t)(d->nslots - 1);
    while (d->slots[h]) {
        int i = d->slots[h] - 1;
        if (d->len[i] == n && !memcmp(d->s[i], p, n))
            return i;
        h = (h + 1) & (size_t)(d->nslots - 1);
    }
    if (d->n == d->cap) {
        int nc = d->cap ? d->cap * 2 : 32;
        char **ns = realloc(d->s, sizeof *ns * (size_t)nc);
        if (!ns)
            return -1;
        d->s = ns;
        size_t *nl = realloc(d->len, sizeof *nl * (size_t)nc);
        if (!nl)
            return -1;
        d->len = nl, d->cap = nc;
    }
    char *c = malloc(n ? n : 1);
    if (!c)
        return -1;
    memcpy(c, p, n);
    d->s[d->n] = c, d->len[d->n] = n;
    d->slots[h] = ++d->n;
    return d->n - 1;
}

/* ---- geometry ---- */

struct pts {
    double *xy;
    int n, cap;
};

static bool pts_push(struct pts *p, double x, double y)
{
    if (p->n == p->cap) {
        int nc = p->cap ? p->cap * 2 : 256;
        double *nx = realloc(p->xy, sizeof *nx * 2 * (size_t)nc);
        if (!nx)
            return false;
        p->xy = nx, p->cap = nc;
    }
    p->xy[2 * p->n] = x, p->xy[2 * p->n + 1] = y;
    p->n++;
    return true;
}

struct enc {
    GEOSContextHandle_t gh;
    const char *date; /* plan layers as in force on this ISO date; NULL: today */
    int z;
    long x, y;
    double b[4];    /* tile extent, EPSG:3857 */
    double k;       /* tile units per metre */
    double tol;     /* simplification tolerance, tile units */
    struct pts raw; /* one feature's coordinates as read */
    int *ring_off;  /* raw ring starts, nrings + 1 */
    unsigned char *ring_shell;
    int nrings, caprings;
    int gtype;       /* 1 point, 2 line, 3 polygon */
    struct buf geom; /* the feature's packed geometry commands */
    int cx, cy;      /* cursor */
    int ncmd;        /* commands written */
    struct pts q;    /* scratch for one snapped ring */
};

static bool ring_push(struct enc *en, bool shell)
{
    if (en->nrings + 2 > en->caprings) {
        int nc = en->caprings ? en->caprings * 2 : 64;
        int *no = realloc(en->ring_off, sizeof *no * (size_t)nc);
        if (!no)
            return false;
        en->ring_off = no;
        unsigned char *ns = realloc(en->ring_shell, (size_t)nc);
        if (!ns)
            return false;
        en->ring_shell = ns, en->caprings = nc;
    }
    en->ring_off[en->nrings] = en->raw.n;
    en->ring_shell[en->nrings] = shell;
    en->nrings++;
    return true;
}

/* The WKB walk into the encoder's rings. */
static bool enc_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct enc *en = ctx;
    (void)n;
    en->gtype = kind;
    return ring_push(en, shell);
}

static bool enc_point(void *ctx, double x, double y)
{
    return pts_push(&((struct enc *)ctx)->raw, x, y);
}

static const struct gis_wkb_visitor enc_visitor = {enc_part, enc_point};

static void cmd(struct enc *en, int id, int count)
{
    pb_varint(&en->geom, (uint32_t)(id & 7) | (uint32_t)count << 3);
    en->ncmd++;
}

static void param(struct enc *en, int x, int y)
{
    pb_varint(&en->geom, zz(x - en->cx));
    pb_varint(&en->geom, zz(y - en->cy));
    en->cx = x, en->cy = y;
}

/* Perpendicular distance of p from the segment a-b, squared. */
static double seg_dist2(const double *p, const double *a, const double *b)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
    return ex * ex + ey * ey;
}

/* Douglas-Peucker over xy[lo..hi], marking kept points (iterative, with an explicit stack). */
static void dp_mark(const double *xy, int lo, int hi, double tol2, unsigned char *keep, int *stack)
{
    int sp = 0;
    stack[sp++] = lo, stack[sp++] = hi;
    while (sp) {
        int h = stack[--sp], l = stack[--sp];
        double best = -1;
        int bi = -1;
        for (int i = l + 1; i < h; i++) {
            double d = seg_dist2(&xy[2 * i], &xy[2 * l], &xy[2 * h]);
            if (d > best)
                best = d, bi = i;
        }
        if (bi >= 0 && best > tol2) {
            keep[bi] = 1;
            stack[sp++] = l, stack[sp++] = bi;
            stack[sp++] = bi, stack[sp++] = h;
        }
    }
}

/* Simplifies (Douglas-Peucker at en->tol) and snaps n points to the integer grid into en->q, dropping
 * repeats. */
static bool snap(struct enc *en, const double *xy, int n)
{
    en->q.n = 0;
    unsigned char *keep = calloc((size_t)n, 1);
    int *stack = malloc(sizeof *stack * 4 * (size_t)(n + 1));
    if (!keep || !stack) {
        free(keep);
        free(stack);
        return false;
    }
    keep[0] = keep[n - 1] = 1;
    if (en->tol > 0 && n > 4)
        dp_mark(xy, 0, n - 1, en->tol * en->tol, keep, stack);
    else
        memset(keep, 1, (size_t)n);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (!keep[i])
            continue;
        double x = round(xy[2 * i]), y = round(xy[2 * i + 1]);
        if (en->q.n && en->q.xy[2 * en->q.n - 2] == x && en->q.xy[2 * en->q.n - 1] == y)
            continue;
        ok = pts_push(&en->q, x, y);
    }
    free(keep);
    free(stack);
    return ok;
}

static double ring_area2(const struct pts *p)
{
    double a = 0;
    for (int i = 0; i < p->n; i++) {
        int j = (i + 1) % p->n;
        a += p->xy[2 * i] * p->xy[2 * j + 1] - p->xy[2 * j] * p->xy[2 * i + 1];
    }
    return a;
}

/* Writes a ring (closed or not) with the winding MVT 2.1 asks for: exterior rings positive by the
 * surveyor's formula in tile coordinates (clockwise on screen), holes negative. A shell that snapping
 * collapses keeps its footprint as a 1-unit square, so small parcels stay visible at low zooms. */
static bool emit_ring(struct enc *en, const double *xy, int n, bool shell)
{
    if (n < 2)
        return true;
    if (!snap(en, xy, n))
        return false;
    struct pts *q = &en->q;
    if (q->n > 1 && q->xy[0] == q->xy[2 * q->n - 2] && q->xy[1] == q->xy[2 * q->n - 1])
        q->n--; /* ClosePath closes it */
    double a = q->n >= 3 ? ring_area2(q) : 0;
    if (a == 0) {
        if (!shell)
            return true;
        double mnx = INFINITY, mny = INFINITY;
        for (int i = 0; i < n; i++)
            mnx = fmin(mnx, xy[2 * i]), mny = fmin(mny, xy[2 * i + 1]);
        double x0 = floor(mnx), y0 = floor(mny);
        q->n = 0;
        if (!pts_push(q, x0, y0) || !pts_push(q, x0 + 1, y0) || !pts_push(q, x0 + 1, y0 + 1) ||
            !pts_push(q, x0, y0 + 1))
            return false;
        a = ring_area2(q);
    }
    bool reverse = shell ? a < 0 : a > 0;
    cmd(en, 1, 1);
    int i0 = reverse ? q->n - 1 : 0;
    param(en, (int)q->xy[2 * i0], (int)q->xy[2 * i0 + 1]);
    cmd(en, 2, q->n - 1);
    for (int k = 1; k < q->n; k++) {
        int i = reverse ? q->n - 1 - k : k;
        param(en, (int)q->xy[2 * i], (int)q->xy[2 * i + 1]);
    }
    cmd(en, 7, 1);
    return true;
}

static bool emit_line(struct enc *en, const double *xy, int n)
{
    if (n < 2 || !snap(en, xy, n) || en->q.n < 2)
        return n < 2 || en->q.n < 2;
    cmd(en, 1, 1);
    param(en, (int)en->q.xy[0], (int)en->q.xy[1]);
    cmd(en, 2, en->q.n - 1);
    for (int i = 1; i < en->q.n; i++)
        param(en, (int)en->q.xy[2 * i], (int)en->q.xy[2 * i + 1]);
    return true;
}

static bool emit_seq(struct enc *en, const GEOSCoordSequence *cs, bool ring, bool shell)
{
    unsigned int n = 0;
    GEOSCoordSeq_getSize_r(en->gh, cs, &n);
    if (n == 0)
        return true;
    double *xy = malloc(sizeof *xy * 2 * n);
    if (!xy || !GEOSCoordSeq_copyToBuffer_r(en->gh, cs, xy, 0, 0)) {
        free(xy);
        return false;
    }
    bool ok = ring ? emit_ring(en, xy, (int)n, shell) : emit_line(en, xy, (int)n);
    free(xy);
    return ok;
}

/* Writes the lines or polygons of a clipped GEOS geometry. */
static bool emit_geos(struct enc *en, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(en->gh, g);
    switch (t) {
    case GEOS_LINESTRING:
    case GEOS_LINEARRING: return en->gtype != 2 || emit_seq(en, GEOSGeom_getCoordSeq_r(en->gh, g), false, false);
    case GEOS_POLYGON: {
        if (en->gtype != 3)
            return true;
        const GEOSGeometry *ext = GEOSGetExteriorRing_r(en->gh, g);
        if (!ext || !emit_seq(en, GEOSGeom_getCoordSeq_r(en->gh, ext), true, true))
            return false;
        int nh = GEOSGetNumInteriorRings_r(en->gh, g);
        for (int i = 0; i < nh; i++)
            if (!emit_seq(en, GEOSGeom_getCoordSeq_r(en->gh, GEOSGetInteriorRingN_r(en->gh, g, i)), true, false))
                return false;
        return true;
    }
    case GEOS_MULTILINESTRING:
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
        int n = GEOSGetNumGeometries_r(en->gh, g);
        for (int i = 0; i < n; i++)
            if (!emit_geos(en, GEOSGetGeometryN_r(en->gh, g, i)))
                return false;
        return true;
    }
    default: return true;
    }
}

static GEOSCoordSequence *seq_of(struct enc *en, int r)
{
    int a = en->ring_off[r], b = en->ring_off[r + 1];
    return GEOSCoordSeq_copyFromBuffer_r(en->gh, &en->raw.xy[2 * a], (unsigned)(b - a), 0, 0);
}

/* Clips and writes the feature read into en->raw (already in tile units). */
static bool emit_feature(struct enc *en)
{
    const double lo = -TILE_MVT_BUFFER, hi = TILE_MVT_EXTENT + TILE_MVT_BUFFER;
    en->geom.len = 0;
    en->cx = en->cy = 0, en->ncmd = 0;
    if (en->gtype == 1) {
        int np = 0;
        for (int i = 0; i < en->raw.n; i++) {
            double x = round(en->raw.xy[2 * i]), y = round(en->raw.xy[2 * i + 1]);
            if (x >= lo && x <= hi && y >= lo && y <= hi)
                np++;
        }
        if (!np)
            return true;
        cmd(en, 1, np);
        for (int i = 0; i < en->raw.n; i++) {
            double x = round(en->raw.xy[2 * i]), y = round(en->raw.xy[2 * i + 1]);
            if (x >= lo && x <= hi && y >= lo && y <= hi)
                param(en, (int)x, (int)y);
        }
        return true;
    }
    /* per part (a polygon with its holes, or a line): inside the clip box as is, outside dropped, across
     * it clipped by GEOS */
    for (int r = 0; r < en->nrings;) {
        int end = r + 1;
        if (en->gtype == 3)
            while (end < en->nrings && !en->ring_shell[end])
                end++;
        double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int i = en->ring_off[r]; i < en->ring_off[r + 1]; i++)
            bb[0] = fmin(bb[0], en->raw.xy[2 * i]), bb[1] = fmin(bb[1], en->raw.xy[2 * i + 1]),
            bb[2] = fmax(bb[2], en->raw.xy[2 * i]), bb[3] = fmax(bb[3], en->raw.xy[2 * i + 1]);
        if (bb[2] < lo || bb[0] > hi || bb[3] < lo || bb[1] > hi) {
            r = end;
            continue;
        }
        if (bb[0] >= lo && bb[2] <= hi && bb[1] >= lo && bb[3] <= hi) {
            for (int k = r; k < end; k++) {
                const double *xy = &en->raw.xy[2 * en->ring_off[k]];
                int n = en->ring_off[k + 1] - en->ring_off[k];
                if (!(en->gtype == 3 ? emit_ring(en, xy, n, k == r) : emit_line(en, xy, n)))
                    return false;
            }
            r = end;
            continue;
        }
        GEOSGeometry *g = NULL;
        if (en->gtype == 2) {
            GEOSCoordSequence *cs = seq_of(en, r);
            g = cs ? GEOSGeom_createLineString_r(en->gh, cs) : NULL;
        } else {
            GEOSCoordSequence *cs = seq_of(en, r);
            GEOSGeometry *shell = cs ? GEOSGeom_createLinearRing_r(en->gh, cs) : NULL;
            int nh = end - r - 1;
            GEOSGeometry **holes = nh ? malloc(sizeof *holes * (size_t)nh) : NULL;
            int got = 0;
            for (int k = 0; shell && k < nh && holes; k++) {
                GEOSCoordSequence *hs = seq_of(en, r + 1 + k);
                GEOSGeometry *h = hs ? GEOSGeom_createLinearRing_r(en->gh, hs) : NULL;
                if (h)
                    holes[got++] = h;
            }
            if (shell)
                g = GEOSGeom_createPolygon_r(en->gh, shell, holes, (unsigned)got);
            else
                for (int k = 0; k < got; k++)
                    GEOSGeom_destroy_r(en->gh, holes[k]);
            free(holes);
        }
        r = end;
        if (!g)
            continue; /* a ring GEOS refuses (too few points): skip that part */
        GEOSGeometry *c = GEOSClipByRect_r(en->gh, g, lo, lo, hi, hi);
        GEOSGeom_destroy_r(en->gh, g);
        if (!c)
            continue;
        bool ok = emit_geos(en, c);
        GEOSGeom_destroy_r(en->gh, c);
        if (!ok)
            return false;
    }
    return true;
}

/* Appends a Value message for attribute k of row to vb (cleared first); false when the value is NULL. */
static bool value_msg(const struct gis_layer_row *row, int k, struct buf *vb)
{
    vb->len = 0;
    struct gis_value v;
    gis_layer_row_value(row, k, &v);
    switch (v.type) {
    case GIS_VALUE_INT: {
        if (v.i >= 0) {
            pb_key(vb, 5, 0);
            pb_varint(vb, (uint64_t)v.i);
        } else {
            pb_key(vb, 6, 0);
            pb_varint(vb, zz64(v.i));
        }
        return true;
    }
    case GIS_VALUE_REAL: {
        double d = v.d;
        if (d == floor(d) && fabs(d) < 1e15) {
            long long n = (long long)d;
            pb_key(vb, n >= 0 ? 5 : 6, 0);
            pb_varint(vb, n >= 0 ? (uint64_t)n : zz64(n));
        } else {
            pb_key(vb, 3, 1);
            buf_append(vb, (const char *)&d, 8); /* little-endian hosts only (x86-64, arm64) */
        }
        return true;
    }
    case GIS_VALUE_TEXT: pb_bytes(vb, 1, v.text, v.len); return true;
    default: return false;
    }
}

/* One layer of a tile being encoded: its features, and the key and value dictionaries they index. */
struct layer_enc {
    struct enc *en;
    const struct gis_layer *L;
    int nkeys;
    int keyidx[GIS_LAYER_MAX_KEYS];
    struct buf feats, fb, tags, vb;
    struct dict keys, vals;
    long n;
    enum err_code rc;
    struct err *e;
};

/* Reads one feature into the encoder's rings, in tile units; false when it has no geometry to draw. */
static bool feature_read(struct layer_enc *le, const struct gis_layer_row *row)
{
    struct enc *en = le->en;
    en->raw.n = en->nrings = 0;
    en->gtype = 0;
    if (!row->wkb || !gis_wkb_walk(row->wkb, row->wkb_len, &enc_visitor, en) || !en->raw.n)
        return false;
    en->ring_off[en->nrings] = en->raw.n;
    if (gis_crs_transform(GIS_CRS_2180, GIS_CRS_3857, en->raw.xy, (size_t)en->raw.n, le->e) != ERR_OK) {
        le->rc = le->e->code;
        return false;
    }
    for (int i = 0; i < en->raw.n; i++) {
        en->raw.xy[2 * i] = (en->raw.xy[2 * i] - en->b[0]) * en->k;
        en->raw.xy[2 * i + 1] = (en->b[3] - en->raw.xy[2 * i + 1]) * en->k;
    }
    return true;
}

static bool feature_add(void *ctx, const struct gis_layer_row *row)
{
    struct layer_enc *le = ctx;
    struct enc *en = le->en;
    if (!feature_read(le, row))
        return !le->rc;
    if (!emit_feature(en)) {
        le->rc = err_set(le->e, ERR_INTERNAL, "out of memory");
        return false;
    }
    if (en->ncmd == 0)
        return true;
    le->tags.len = 0;
    for (int k = 0; k < le->nkeys; k++) {
        if (!value_msg(row, k, &le->vb))
            continue;
        if (le->keyidx[k] < 0)
            le->keyidx[k] = dict_index(&le->keys, le->L->map.keys[k], strlen(le->L->map.keys[k]));
        int vi = dict_index(&le->vals, le->vb.data, le->vb.len);
        if (le->keyidx[k] < 0 || vi < 0) {
            le->rc = err_set(le->e, ERR_INTERNAL, "out of memory");
            return false;
        }
        pb_varint(&le->tags, (uint64_t)le->keyidx[k]);
        pb_varint(&le->tags, (uint64_t)vi);
    }
    le->fb.len = 0;
    pb_key(&le->fb, 1, 0);
    pb_varint(&le->fb, (uint64_t)row->id);
    if (le->tags.len)
        pb_bytes(&le->fb, 2, le->tags.data, le->tags.len);
    pb_key(&le->fb, 3, 0);
    pb_varint(&le->fb, (uint64_t)en->gtype);
    pb_bytes(&le->fb, 4, en->geom.data, en->geom.len);
    pb_bytes(&le->feats, 2, le->fb.data, le->fb.len);
    le->n++;
    return true;
}

/* Appends the Layer message of le's features to out. */
static enum err_code layer_write(struct layer_enc *le, struct buf *out)
{
    struct buf lb = {0};
    pb_key(&lb, 15, 0);
    pb_varint(&lb, 2);
    pb_bytes(&lb, 1, le->L->map.name, strlen(le->L->map.name));
    buf_append(&lb, le->feats.data, le->feats.len);
    for (int i = 0; i < le->keys.n; i++)
        pb_bytes(&lb, 3, le->keys.s[i], le->keys.len[i]);
    for (int i = 0; i < le->vals.n; i++)
        pb_bytes(&lb, 4, le->vals.s[i], le->vals.len[i]);
    pb_key(&lb, 5, 0);
    pb_varint(&lb, TILE_MVT_EXTENT);
    pb_bytes(out, 3, lb.data, lb.len);
    enum err_code rc = lb.failed ? err_set(le->e, ERR_INTERNAL, "out of memory") : ERR_OK;
    buf_free(&lb);
    return rc;
}

static enum err_code encode_layer(struct enc *en, struct gis_store *s, const struct gis_layer *L, const double q[4],
                                  struct buf *out, long *nfeat, struct err *e)
{
    struct layer_enc le = {.en = en, .L = L, .nkeys = gis_layer_nkeys(L), .e = e};
    for (int k = 0; k < le.nkeys; k++)
        le.keyidx[k] = -1;
    enum err_code rc = gis_store_bbox_query(s, L, q, 0, TILE_MVT_MAX_FEATURES, en->date, feature_add, &le, e);
    if (!rc)
        rc = le.rc;
    if (!rc && le.n > 0)
        rc = layer_write(&le, out);
    if (!rc && (le.feats.failed || le.fb.failed || le.tags.failed || le.vb.failed || en->geom.failed))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    *nfeat += le.n;
    buf_free(&le.feats);
    buf_free(&le.fb);
    buf_free(&le.tags);
    buf_free(&le.vb);
    dict_free(&le.keys);
    dict_free(&le.vals);
    return rc;
}

enum err_code tile_mvt_layer_info(struct gis_store *s, const char *name, struct tile_mvt_layer_info *out, struct err *e)
{
    const struct gis_layer *L = gis_layer_find(name);
    if (!L)
        return err_set(e, ERR_NOT_FOUND, "no MVT layer '%s'", name);
    struct gis_layer_info info;
    gis_layer_info(s, L, &info);
    *out = (struct tile_mvt_layer_info){.count = info.count, .geometry = info.geometry};
    memcpy(out->number, info.number, sizeof out->number);
    return ERR_OK;
}

enum err_code tile_mvt_encode(struct gis_store *s, const char *const *layers, int z, long x, long y, const char *date,
                              struct buf *out, long *features, struct err *e)
{
    if (tile_check(z, x, y, e))
        return e->code;
    struct enc en = {.z = z, .x = x, .y = y, .date = date};
    tile_bounds(z, x, y, en.b);
    en.k = TILE_MVT_EXTENT / (en.b[2] - en.b[0]);
    /* below the last zoom of the style's source (16), drop detail under a quarter of a tile unit */
    en.tol = z < 16 ? 0.25 : 0;
    double grow = (en.b[2] - en.b[0]) * TILE_MVT_BUFFER / TILE_MVT_EXTENT;
    double qb[4] = {en.b[0] - grow, en.b[1] - grow, en.b[2] + grow, en.b[3] + grow}, q[4];
    if (gis_crs_transform_bbox(GIS_CRS_3857, GIS_CRS_2180, qb, q, e) != ERR_OK)
        return e->code;
    en.gh = GEOS_init_r();
    if (!en.gh)
        return err_set(e, ERR_INTERNAL, "GEOS: cannot create a context");
    long nf = 0;
    enum err_code rc = ERR_OK;
    const char *const *names = layers ? layers : gis_layers_plan();
    for (int i = 0; names[i] && !rc; i++) {
        const struct gis_layer *L = gis_layer_find(names[i]);
        if (L && z >= L->map.minzoom)
            rc = encode_layer(&en, s, L, q, out, &nf, e);
    }
    if (!rc && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    free(en.raw.xy);
    free(en.q.xy);
    free(en.ring_off);
    free(en.ring_shell);
    buf_free(&en.geom);
    GEOS_finish_r(en.gh);
    if (features)
        *features = nf;
    return rc;
}

/* ---- gzip ---- */

enum err_code tile_gzip(const void *data, size_t len, struct buf *out, struct err *e)
{
    return zbuf_compress(ZBUF_GZIP, 6, data, len, out, e);
}

enum err_code tile_gunzip(const void *data, size_t len, struct buf *out, struct err *e)
{
    return zbuf_gunzip(data, len, (size_t)1 << 28, out, e);
}
