/* The map renderer: features are fetched per source layer through the R*Tree indexes, projected to pixels,
 * drawn layer by layer with Cairo, and labelled with Pango against a collision index of oriented boxes. */
#include "gis/render.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/halo.h"
#include "gis/layers.h"
#include "gis/png.h"
#include "gis/store_sql.h"
#include "gis/wkb.h"
#include "util/arena.h"
#include "util/log.h"

/* ---- source layers: the layers of the layer table (gis/layers.h), by index ---- */

#define NSRC GIS_LAYERS_MAX

/* The index of the map layer called name, or -1. */
static int src_find(const char *name)
{
    return gis_layer_index(gis_layer_find(name));
}

enum err_code gis_render_check_style(const struct gis_style *st, struct err *e)
{
    for (int i = 0; i < gis_style_layer_count(st); i++) {
        const struct gis_style_layer *l = gis_style_layer_at(st, i);
        const char *sl = gis_style_layer_source_layer(l);
        if (gis_style_layer_type(l) != GIS_STYLE_BACKGROUND && src_find(sl) < 0)
            return err_set(e, ERR_INVALID, "layer '%s': source-layer: '%s' is not a layer the server renderer has",
                           gis_style_layer_id(l), sl ? sl : "");
    }
    return ERR_OK;
}

/* The extent kept with the connection (gis_store_attach) while the spatial data stays as it was. */
struct extent_memo {
    long long state;
    bool any;
    double b[4];
};

static const char extent_key = 0;

bool gis_render_extent(struct gis_store *s, double out[4])
{
    long long state = gis_store_state(s);
    struct extent_memo *m = gis_store_attached(s, &extent_key);
    if (m && m->state == state && state >= 0) {
        memcpy(out, m->b, sizeof m->b);
        return m->any;
    }
    bool any = false;
    const struct gis_layer *L;
    for (int i = 0; (L = gis_layer_at(i)); i++) {
        double b[4];
        if (!L->extent || !gis_layer_extent(s, L, b))
            continue;
        if (!any)
            memcpy(out, b, sizeof b);
        else
            out[0] = fmin(out[0], b[0]), out[1] = fmin(out[1], b[1]), out[2] = fmax(out[2], b[2]),
            out[3] = fmax(out[3], b[3]);
        any = true;
    }
    m = malloc(sizeof *m);
    if (m) {
        *m = (struct extent_memo){.state = state, .any = any};
        if (any)
            memcpy(m->b, out, sizeof m->b);
        if (!gis_store_attach(s, &extent_key, m, free))
            free(m);
    }
    return any;
}

/* ---- zoom ---- */

double gis_render_zoom(enum gis_crs crs, const double bbox[4], int width, double scale)
{
    if (width <= 0 || !(bbox[2] > bbox[0]) || !(bbox[3] > bbox[1]))
        return NAN;
    /* Two points 1/4 of the width apart around the centre, measured on the sphere of Web Mercator. */
    double cx = (bbox[0] + bbox[2]) / 2, cy = (bbox[1] + bbox[3]) / 2, dx = (bbox[2] - bbox[0]) / 8;
    double p[4] = {cx - dx, cy, cx + dx, cy};
    struct err e = {0};
    if (gis_crs_transform(crs, GIS_CRS_CRS84, p, 2, &e) != ERR_OK)
        return NAN;
    const double R = 6378137.0, d2r = M_PI / 180;
    double la1 = p[1] * d2r, la2 = p[3] * d2r, dl = (p[2] - p[0]) * d2r;
    double h = sin((la2 - la1) / 2) * sin((la2 - la1) / 2) + cos(la1) * cos(la2) * sin(dl / 2) * sin(dl / 2);
    double dist = 2 * R * asin(fmin(1, sqrt(h)));
    double px = width / 4.0 / (scale > 0 ? scale : 1);
    if (!(dist > 0))
        return NAN;
    double mpp = dist / px, lat = (p[1] + p[3]) / 2 * d2r;
    return log2(78271.51696402048 * cos(lat) / mpp);
}

/* ---- features ---- */

struct feat {
    long long id;
    int gtype; /* 1 point, 2 line, 3 polygon */
    int nparts;
    int *off;             /* nparts + 1 point offsets into xy */
    unsigned char *shell; /* polygons: 1 where a ring starts a new polygon */
    double *xy;           /* pixels */
    double bb[4];
    double size; /* polygons: area in px²; lines: length in px */
    struct gis_style_value *vals;
};

struct layer_data {
    int state; /* 0 not loaded, 1 loaded */
    struct feat *f;
    long n;
};

/* Scratch arrays reused for every geometry. */
struct scratch {
    double *pts;
    int npts, cap;
    int *off;
    unsigned char *shell;
    int nparts, capparts;
    int gtype;
};

struct obox {
    double cx, cy, hw, hh, c, s;
    double bb[4];
};

/* What a PangoLayout of a label is made from, so that a recorded label can be laid out again. */
struct label_layout {
    const char *text, *font;
    double size, spacing_em;
    int width; /* Pango units, -1 for no wrapping */
};

struct label_rec {
    struct label_layout lay; /* strings owned by the record */
    double cx, cy, angle, bb[4];
    double w, h, lx, ly, halo_w, opacity;
    struct gis_style_color color, halo;
};

struct gis_render_labels {
    struct label_rec *v;
    int n, cap;
    int refs;
};

struct rctx {
    struct arena *a;
    cairo_t *cr;
    struct gis_store *store;
    const struct gis_render_opts *o;
    double zoom, scale;
    double q[4]; /* query box, EPSG:2180 */
    double upp;  /* 2180 units per pixel, roughly */
    bool nodata; /* the request is outside the data */
    double sx, sy;
    struct layer_data ld[NSRC];
    struct scratch sc;
    PangoContext *pango;
    PangoLayout *layout;
    struct obox *boxes;
    int nboxes, capboxes;
    struct gis_render_stats *st;
    struct err *e;
    bool no_filter; /* legend swatches of titled layers draw whatever their filter says */
    bool has_clip;
    double clip[4];                /* user-space extents of the clip: labels outside it are placed but not drawn */
    struct gis_render_labels *rec; /* o->labels_out: placed labels are recorded here, not drawn */
    struct label_layout cur;       /* how the layout of the label being placed was set up */
    /* o->first: the outlines no label crosses (pixels, unclipped), in struct rings form (declared below) */
    double *keep_xy;
    int *keep_off, nkeep;
    bool placing_first;
};

static bool sc_reserve(struct scratch *sc, int npts, int nparts)
{
    if (sc->npts + npts > sc->cap) {
        int cap = (sc->npts + npts) * 2 + 64;
        double *p = realloc(sc->pts, sizeof *p * 2 * (size_t)cap);
        if (!p)
            return false;
        sc->pts = p, sc->cap = cap;
    }
    if (sc->nparts + nparts + 1 > sc->capparts) {
        int cap = (sc->nparts + nparts + 1) * 2 + 16;
        int *o = realloc(sc->off, sizeof *o * (size_t)cap);
        if (!o)
            return false;
        sc->off = o;
        unsigned char *s = realloc(sc->shell, (size_t)cap);
        if (!s)
            return false;
        sc->shell = s, sc->capparts = cap;
    }
    return true;
}

/* The WKB walk into the scratch geometry: one part per point sequence, off[nparts] always its end. */
static bool sc_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct scratch *sc = ctx;
    if (n > 1000000 || !sc_reserve(sc, (int)n, 1))
        return false;
    sc->gtype = kind;
    sc->off[sc->nparts] = sc->npts;
    sc->shell[sc->nparts] = shell;
    sc->nparts++;
    sc->off[sc->nparts] = sc->npts;
    return true;
}

static bool sc_point(void *ctx, double x, double y)
{
    struct scratch *sc = ctx;
    sc->pts[2 * sc->npts] = x, sc->pts[2 * sc->npts + 1] = y;
    sc->off[sc->nparts] = ++sc->npts;
    return true;
}

static const struct gis_wkb_visitor sc_visitor = {sc_part, sc_point};

/* Projects the scratch geometry to pixels, drops vertices closer than tol px and stores it in f. */
static bool feat_build(struct rctx *rc, struct feat *f)
{
    struct scratch *sc = &rc->sc;
    const struct gis_render_opts *o = rc->o;
    if (sc->npts == 0)
        return false;
    if (gis_crs_epsg(o->crs) != 2180) {
        struct err e = {0};
        if (gis_crs_transform(GIS_CRS_2180, o->crs, sc->pts, (size_t)sc->npts, &e) != ERR_OK)
            return false;
    }
    const double tol2 = 0.3 * 0.3;
    f->gtype = sc->gtype;
    f->xy = arena_alloc(rc->a, sizeof *f->xy * 2 * (size_t)sc->npts);
    f->off = arena_alloc(rc->a, sizeof *f->off * (size_t)(sc->nparts + 1));
    f->shell = arena_alloc(rc->a, (size_t)sc->nparts + 1);
    if (!f->xy || !f->off || !f->shell)
        return false;
    int n = 0, np = 0;
    bool skip_holes = false;
    f->bb[0] = f->bb[1] = INFINITY;
    f->bb[2] = f->bb[3] = -INFINITY;
    f->size = 0;
    for (int p = 0; p < sc->nparts; p++) {
        int start = n;
        if (sc->shell[p])
            skip_holes = false;
        else if (skip_holes && f->gtype == 3)
            continue;
        double rb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int i = sc->off[p]; i < sc->off[p + 1]; i++) {
            double x = (sc->pts[2 * i] - o->bbox[0]) * rc->sx, y = (o->bbox[3] - sc->pts[2 * i + 1]) * rc->sy;
            if (!isfinite(x) || !isfinite(y))
                return false;
            bool last = i == sc->off[p + 1] - 1;
            if (n > start && !last) {
                double dx = x - f->xy[2 * (n - 1)], dy = y - f->xy[2 * (n - 1) + 1];
                if (dx * dx + dy * dy < tol2)
                    continue;
            }
            f->xy[2 * n] = x, f->xy[2 * n + 1] = y, n++;
            rb[0] = fmin(rb[0], x), rb[1] = fmin(rb[1], y), rb[2] = fmax(rb[2], x), rb[3] = fmax(rb[3], y);
        }
        int cnt = n - start;
        if (f->gtype == 3 && (cnt < 4 || (rb[2] - rb[0] < 0.5 && rb[3] - rb[1] < 0.5))) {
            n = start; /* degenerate at this scale */
            if (sc->shell[p])
                skip_holes = true;
            continue;
        }
        if (f->gtype == 2 && cnt < 2) {
            n = start;
            continue;
        }
        f->off[np] = start;
        f->shell[np] = sc->shell[p];
        np++;
        for (int k = 0; k < 4; k++)
            f->bb[k] = k < 2 ? fmin(f->bb[k], rb[k]) : fmax(f->bb[k], rb[k]);
        if (f->gtype == 3) {
            double area = 0;
            for (int i = start; i < n - 1; i++)
                area += f->xy[2 * i] * f->xy[2 * i + 3] - f->xy[2 * i + 2] * f->xy[2 * i + 1];
            f->size += sc->shell[p] ? fabs(area) / 2 : -fabs(area) / 2;
        } else if (f->gtype == 2) {
            for (int i = start; i < n - 1; i++)
                f->size += hypot(f->xy[2 * i + 2] - f->xy[2 * i], f->xy[2 * i + 3] - f->xy[2 * i + 1]);
        }
    }
    f->off[np] = n;
    f->nparts = np;
    return np > 0;
}

/* Reading one source layer: each row of the bbox query becomes a feature in pixels with its attributes. */
struct load {
    struct rctx *rc;
    struct layer_data *ld;
    int nkeys;
    long cap, fcap;
};

static bool load_row(void *ctx, const struct gis_layer_row *row)
{
    struct load *l = ctx;
    struct rctx *rc = l->rc;
    struct layer_data *ld = l->ld;
    if (ld->n == l->cap) {
        rc->st->truncated = true;
        return false;
    }
    if (!row->wkb)
        return true;
    rc->sc.npts = rc->sc.nparts = 0;
    rc->sc.gtype = 0;
    if (!gis_wkb_walk(row->wkb, row->wkb_len, &sc_visitor, &rc->sc))
        return true;
    if (ld->n == l->fcap) {
        struct feat *nf = arena_alloc(rc->a, sizeof *nf * (size_t)l->fcap * 2);
        if (!nf)
            return false;
        memcpy(nf, ld->f, sizeof *nf * (size_t)l->fcap);
        ld->f = nf, l->fcap *= 2;
    }
    struct feat *f = &ld->f[ld->n];
    memset(f, 0, sizeof *f);
    f->id = row->id;
    if (!feat_build(rc, f))
        return true;
    f->vals = arena_alloc(rc->a, sizeof *f->vals * (size_t)(l->nkeys ? l->nkeys : 1));
    if (!f->vals)
        return false;
    for (int k = 0; k < l->nkeys; k++) {
        struct gis_value v;
        gis_layer_row_value(row, k, &v);
        switch (v.type) {
        case GIS_VALUE_INT:
        case GIS_VALUE_REAL: f->vals[k] = (struct gis_style_value){.type = GIS_STYLE_NUMBER, .n = v.d}; break;
        case GIS_VALUE_TEXT:
            f->vals[k] = (struct gis_style_value){.type = GIS_STYLE_STRING, .s = arena_strdup(rc->a, v.text)};
            if (!f->vals[k].s)
                f->vals[k].type = GIS_STYLE_NULL;
            break;
        default: f->vals[k].type = GIS_STYLE_NULL; break;
        }
    }
    ld->n++;
    return true;
}

static enum err_code layer_load(struct rctx *rc, int si)
{
    struct layer_data *ld = &rc->ld[si];
    if (ld->state)
        return ERR_OK;
    ld->state = 1;
    if (rc->nodata)
        return ERR_OK;
    const struct gis_layer *L = gis_layer_at(si);
    long cap = rc->o->max_features > 0 ? rc->o->max_features : GIS_RENDER_MAX_FEATURES;
    struct load l = {rc, ld, gis_layer_nkeys(L), cap, 256};
    ld->f = arena_alloc(rc->a, sizeof *ld->f * (size_t)l.fcap);
    if (!ld->f)
        return err_set(rc->e, ERR_INTERNAL, "out of memory");
    /* features smaller than about half a pixel are not drawn; points have no size */
    double min_size = !strcmp(L->map.name, "addresses") ? 0 : rc->upp * 0.4;
    return gis_store_bbox_query(rc->store, L, rc->q, min_size, cap + 1, rc->o->date, load_row, &l, rc->e);
}

static void feat_ctx(const struct rctx *rc, int si, const struct feat *f, struct gis_style_feature *sf,
                     struct gis_style_ctx *ctx)
{
    const struct gis_layer *L = gis_layer_at(si);
    *sf = (struct gis_style_feature){L->map.keys, f->vals, gis_layer_nkeys(L), f->gtype, f->id};
    *ctx = (struct gis_style_ctx){rc->zoom, sf, rc->a};
}

/* ---- paths ---- */

static void path_feat(cairo_t *cr, const struct feat *f, bool close)
{
    for (int p = 0; p < f->nparts; p++) {
        int a = f->off[p], b = f->off[p + 1];
        cairo_move_to(cr, f->xy[2 * a], f->xy[2 * a + 1]);
        for (int i = a + 1; i < b; i++)
            cairo_line_to(cr, f->xy[2 * i], f->xy[2 * i + 1]);
        if (close)
            cairo_close_path(cr);
    }
}

static void set_color(cairo_t *cr, struct gis_style_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

/* Features of one layer grouped by identical paint, drawn in one path per group: faster, and adjacent
 * polygons of one colour show no anti-aliasing seams between them. */
#define BATCH_KEY 20
#define BATCH_MAX 128

struct batch {
    double key[BATCH_KEY];
    long *idx;
    long n, cap;
};

struct batches {
    struct batch b[BATCH_MAX];
    int n;
};

static void batch_add(struct rctx *rc, struct batches *bs, const double *key, long fi)
{
    int i;
    for (i = 0; i < bs->n; i++)
        if (!memcmp(bs->b[i].key, key, sizeof bs->b[i].key))
            break;
    if (i == bs->n) {
        if (bs->n == BATCH_MAX)
            i = BATCH_MAX - 1; /* more paints than batches: the last one takes them (rare) */
        else
            memcpy(bs->b[bs->n++].key, key, sizeof bs->b[i].key);
    }
    struct batch *b = &bs->b[i];
    if (b->n == b->cap) {
        long cap = b->cap ? b->cap * 2 : 64;
        long *n = arena_alloc(rc->a, sizeof *n * (size_t)cap);
        if (!n)
            return;
        if (b->n)
            memcpy(n, b->idx, sizeof *n * (size_t)b->n);
        b->idx = n, b->cap = cap;
    }
    b->idx[b->n++] = fi;
}

static void hatch(struct rctx *rc, const double bb[4], const struct gis_style_hatch *h, struct gis_style_color c)
{
    cairo_t *cr = rc->cr;
    double sp = h->spacing * rc->scale, th = h->angle * M_PI / 180;
    double dx = cos(th), dy = -sin(th); /* direction of the hatch lines on screen (y down) */
    double nx = -dy, ny = dx;
    double tmin = INFINITY, tmax = -INFINITY;
    double corners[4][2] = {{bb[0], bb[1]}, {bb[2], bb[1]}, {bb[0], bb[3]}, {bb[2], bb[3]}};
    for (int i = 0; i < 4; i++) {
        double t = corners[i][0] * nx + corners[i][1] * ny;
        tmin = fmin(tmin, t), tmax = fmax(tmax, t);
    }
    double len = hypot(bb[2] - bb[0], bb[3] - bb[1]) + 2;
    double cx = (bb[0] + bb[2]) / 2, cy = (bb[1] + bb[3]) / 2, tc = cx * nx + cy * ny;
    cairo_new_path(cr);
    long lines = 0;
    for (double k = floor(tmin / sp); k <= ceil(tmax / sp) && lines < 20000; k++, lines++) {
        double off = k * sp - tc;
        double px = cx + nx * off, py = cy + ny * off;
        cairo_move_to(cr, px - dx * len, py - dy * len);
        cairo_line_to(cr, px + dx * len, py + dy * len);
    }
    set_color(cr, c, 1);
    cairo_set_line_width(cr, h->width * rc->scale);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_stroke(cr);
}

static void draw_fill(struct rctx *rc, const struct gis_style_layer *l, int si)
{
    struct layer_data *ld = &rc->ld[si];
    struct batches *bs = arena_alloc(rc->a, sizeof *bs);
    if (!bs)
        return;
    bool outline = gis_style_layer_has(l, GIS_P_FILL_OUTLINE_COLOR);
    for (long i = 0; i < ld->n; i++) {
        struct feat *f = &ld->f[i];
        if (f->gtype != 3)
            continue;
        struct gis_style_feature sf;
        struct gis_style_ctx ctx;
        feat_ctx(rc, si, f, &sf, &ctx);
        if (!rc->no_filter && !gis_style_layer_filter(l, &ctx))
            continue;
        double key[BATCH_KEY] = {0};
        struct gis_style_color c = gis_style_color(l, GIS_P_FILL_COLOR, &ctx);
        double op = gis_style_number(l, GIS_P_FILL_OPACITY, &ctx);
        key[0] = c.r, key[1] = c.g, key[2] = c.b, key[3] = c.a * op;
        if (outline) {
            struct gis_style_color oc = gis_style_color(l, GIS_P_FILL_OUTLINE_COLOR, &ctx);
            key[4] = oc.r, key[5] = oc.g, key[6] = oc.b, key[7] = oc.a * op;
        }
        if (key[3] <= 0 && key[7] <= 0)
            continue;
        batch_add(rc, bs, key, i);
    }
    const struct gis_style_hatch *h = gis_style_layer_hatch(l);
    cairo_t *cr = rc->cr;
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    for (int b = 0; b < bs->n; b++) {
        struct batch *bt = &bs->b[b];
        double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        cairo_new_path(cr);
        for (long k = 0; k < bt->n; k++) {
            struct feat *f = &ld->f[bt->idx[k]];
            path_feat(cr, f, true);
            bb[0] = fmin(bb[0], f->bb[0]), bb[1] = fmin(bb[1], f->bb[1]);
            bb[2] = fmax(bb[2], f->bb[2]), bb[3] = fmax(bb[3], f->bb[3]);
            rc->st->features++;
        }
        if (bt->key[3] > 0) {
            cairo_set_source_rgba(cr, bt->key[0], bt->key[1], bt->key[2], bt->key[3]);
            cairo_fill_preserve(cr);
        }
        if (h->on) {
            bb[0] = fmax(bb[0], 0), bb[1] = fmax(bb[1], 0);
            bb[2] = fmin(bb[2], rc->o->width), bb[3] = fmin(bb[3], rc->o->height);
            struct gis_style_color hc = h->has_color ? h->color
                                        : outline    ? (struct gis_style_color){bt->key[4], bt->key[5], bt->key[6], 1}
                                                     : (struct gis_style_color){bt->key[0], bt->key[1], bt->key[2], 1};
            cairo_save(cr);
            cairo_clip(cr);
            if (bb[2] > bb[0] && bb[3] > bb[1])
                hatch(rc, bb, h, hc);
            cairo_restore(cr);
            if (outline) {
                cairo_new_path(cr);
                for (long k = 0; k < bt->n; k++)
                    path_feat(cr, &ld->f[bt->idx[k]], true);
            }
        }
        if (outline && bt->key[7] > 0) {
            cairo_set_source_rgba(cr, bt->key[4], bt->key[5], bt->key[6], bt->key[7]);
            cairo_set_line_width(cr, 1 * rc->scale);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_set_dash(cr, NULL, 0, 0);
            cairo_stroke(cr);
        }
        cairo_new_path(cr);
    }
}

static void draw_line(struct rctx *rc, const struct gis_style_layer *l, int si)
{
    struct layer_data *ld = &rc->ld[si];
    struct batches *bs = arena_alloc(rc->a, sizeof *bs);
    if (!bs)
        return;
    for (long i = 0; i < ld->n; i++) {
        struct feat *f = &ld->f[i];
        if (f->gtype == 1)
            continue;
        struct gis_style_feature sf;
        struct gis_style_ctx ctx;
        feat_ctx(rc, si, f, &sf, &ctx);
        if (!rc->no_filter && !gis_style_layer_filter(l, &ctx))
            continue;
        double key[BATCH_KEY] = {0};
        struct gis_style_color c = gis_style_color(l, GIS_P_LINE_COLOR, &ctx);
        key[0] = c.r, key[1] = c.g, key[2] = c.b;
        key[3] = c.a * gis_style_number(l, GIS_P_LINE_OPACITY, &ctx);
        key[4] = gis_style_number(l, GIS_P_LINE_WIDTH, &ctx);
        const char *cap = gis_style_string(l, GIS_P_LINE_CAP, &ctx), *join = gis_style_string(l, GIS_P_LINE_JOIN, &ctx);
        key[5] = cap[0] == 'r' ? 1 : cap[0] == 's' ? 2 : 0;
        key[6] = join[0] == 'r' ? 1 : join[0] == 'b' ? 2 : 0;
        key[7] = gis_style_number(l, GIS_P_LINE_MITER_LIMIT, &ctx);
        struct gis_style_value d = gis_style_eval(l, GIS_P_LINE_DASHARRAY, &ctx);
        if (d.type == GIS_STYLE_ARRAY) {
            int nd = d.a.n < BATCH_KEY - 9 ? d.a.n : BATCH_KEY - 9;
            key[8] = nd;
            for (int k = 0; k < nd; k++)
                key[9 + k] = d.a.v[k].n;
        }
        if (key[3] <= 0 || key[4] <= 0)
            continue;
        batch_add(rc, bs, key, i);
    }
    cairo_t *cr = rc->cr;
    for (int b = 0; b < bs->n; b++) {
        struct batch *bt = &bs->b[b];
        cairo_new_path(cr);
        for (long k = 0; k < bt->n; k++) {
            struct feat *f = &ld->f[bt->idx[k]];
            path_feat(cr, f, f->gtype == 3);
            rc->st->features++;
        }
        double w = bt->key[4] * rc->scale;
        cairo_set_source_rgba(cr, bt->key[0], bt->key[1], bt->key[2], bt->key[3]);
        cairo_set_line_width(cr, w);
        cairo_set_line_cap(cr, bt->key[5] == 1   ? CAIRO_LINE_CAP_ROUND
                               : bt->key[5] == 2 ? CAIRO_LINE_CAP_SQUARE
                                                 : CAIRO_LINE_CAP_BUTT);
        cairo_set_line_join(cr, bt->key[6] == 1   ? CAIRO_LINE_JOIN_ROUND
                                : bt->key[6] == 2 ? CAIRO_LINE_JOIN_BEVEL
                                                  : CAIRO_LINE_JOIN_MITER);
        cairo_set_miter_limit(cr, bt->key[7] > 1 ? bt->key[7] : 1);
        int nd = (int)bt->key[8];
        if (nd > 0) {
            /* MapLibre dash lengths are in line widths; a zero dash with round caps draws a dot. */
            double dash[BATCH_KEY];
            bool any = false;
            for (int k = 0; k < nd; k++) {
                dash[k] = bt->key[9 + k] * (w > 1 ? w : 1);
                any |= dash[k] > 0;
            }
            cairo_set_dash(cr, dash, any ? nd : 0, 0);
        } else {
            cairo_set_dash(cr, NULL, 0, 0);
        }
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
}

static void draw_circle(struct rctx *rc, const struct gis_style_layer *l, int si)
{
    struct layer_data *ld = &rc->ld[si];
    cairo_t *cr = rc->cr;
    for (long i = 0; i < ld->n; i++) {
        struct feat *f = &ld->f[i];
        struct gis_style_feature sf;
        struct gis_style_ctx ctx;
        feat_ctx(rc, si, f, &sf, &ctx);
        if (!rc->no_filter && !gis_style_layer_filter(l, &ctx))
            continue;
        double r = gis_style_number(l, GIS_P_CIRCLE_RADIUS, &ctx) * rc->scale;
        double sw = gis_style_number(l, GIS_P_CIRCLE_STROKE_WIDTH, &ctx) * rc->scale;
        struct gis_style_color c = gis_style_color(l, GIS_P_CIRCLE_COLOR, &ctx);
        struct gis_style_color s = gis_style_color(l, GIS_P_CIRCLE_STROKE_COLOR, &ctx);
        double op = gis_style_number(l, GIS_P_CIRCLE_OPACITY, &ctx);
        double sop = gis_style_number(l, GIS_P_CIRCLE_STROKE_OPACITY, &ctx);
        cairo_new_path(cr);
        for (int p = 0; p < f->nparts; p++) {
            /* circles go on points; lines and polygons get one per vertex as MapLibre does */
            for (int k = f->off[p]; k < f->off[p + 1]; k++) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, f->xy[2 * k], f->xy[2 * k + 1], r, 0, 2 * M_PI);
            }
        }
        set_color(cr, c, op);
        cairo_fill_preserve(cr);
        if (sw > 0) {
            set_color(cr, s, sop);
            cairo_set_line_width(cr, sw);
            cairo_set_dash(cr, NULL, 0, 0);
            cairo_stroke(cr);
        }
        cairo_new_path(cr);
        rc->st->features++;
    }
}

/* ---- labels ---- */

static void obox_make(struct obox *b, double cx, double cy, double w, double h, double angle, double pad)
{
    b->cx = cx, b->cy = cy, b->hw = w / 2 + pad, b->hh = h / 2 + pad;
    b->c = cos(angle), b->s = sin(angle);
    double ex = fabs(b->hw * b->c) + fabs(b->hh * b->s), ey = fabs(b->hw * b->s) + fabs(b->hh * b->c);
    b->bb[0] = cx - ex, b->bb[1] = cy - ey, b->bb[2] = cx + ex, b->bb[3] = cy + ey;
}

/* Separating-axis test of two oriented boxes. */
static bool obox_overlap(const struct obox *a, const struct obox *b)
{
    if (a->bb[2] < b->bb[0] || b->bb[2] < a->bb[0] || a->bb[3] < b->bb[1] || b->bb[3] < a->bb[1])
        return false;
    const struct obox *bx[2] = {a, b};
    double dx = b->cx - a->cx, dy = b->cy - a->cy;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            double ax = k ? -bx[i]->s : bx[i]->c, ay = k ? bx[i]->c : bx[i]->s;
            double ra = a->hw * fabs(ax * a->c + ay * a->s) + a->hh * fabs(-ax * a->s + ay * a->c);
            double rb = b->hw * fabs(ax * b->c + ay * b->s) + b->hh * fabs(-ax * b->s + ay * b->c);
            if (fabs(dx * ax + dy * ay) > ra + rb)
                return false;
        }
    return true;
}

static bool collides(const struct rctx *rc, const struct obox *b)
{
    for (int i = 0; i < rc->nboxes; i++)
        if (obox_overlap(&rc->boxes[i], b))
            return true;
    return false;
}

static void box_insert(struct rctx *rc, const struct obox *b)
{
    if (rc->nboxes == rc->capboxes) {
        int cap = rc->capboxes ? rc->capboxes * 2 : 256;
        struct obox *n = arena_alloc(rc->a, sizeof *n * (size_t)cap);
        if (!n)
            return;
        if (rc->nboxes)
            memcpy(n, rc->boxes, sizeof *n * (size_t)rc->nboxes);
        rc->boxes = n, rc->capboxes = cap;
    }
    rc->boxes[rc->nboxes++] = *b;
}

/* Rings of one polygon in pixels, clipped to the image, for label placement. */
struct rings {
    double *xy;
    int *off;
    int n, npts, cap, capr;
};

static bool rings_push(struct rings *r, double x, double y)
{
    if (r->npts == r->cap) {
        int cap = r->cap ? r->cap * 2 : 256;
        double *n = realloc(r->xy, sizeof *n * 2 * (size_t)cap);
        if (!n)
            return false;
        r->xy = n, r->cap = cap;
    }
    r->xy[2 * r->npts] = x, r->xy[2 * r->npts + 1] = y, r->npts++;
    return true;
}

static bool rings_begin(struct rings *r)
{
    if (r->n + 2 > r->capr) {
        int cap = r->capr ? r->capr * 2 : 16;
        int *n = realloc(r->off, sizeof *n * (size_t)cap);
        if (!n)
            return false;
        r->off = n, r->capr = cap;
    }
    r->off[r->n] = r->npts;
    return true;
}

static void rings_end(struct rings *r)
{
    if (r->npts - r->off[r->n] >= 3)
        r->n++;
    else
        r->npts = r->off[r->n];
    r->off[r->n] = r->npts;
}

/* Sutherland-Hodgman against one edge of the rect: side 0..3 = x>=lo, x<=hi, y>=lo, y<=hi. */
static int clip_edge(const double *in, int n, double *out, int side, double v)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double *a = &in[2 * i], *b = &in[2 * ((i + 1) % n)];
        double ca = side < 2 ? a[0] : a[1], cb = side < 2 ? b[0] : b[1];
        bool ina = side % 2 == 0 ? ca >= v : ca <= v, inb = side % 2 == 0 ? cb >= v : cb <= v;
        if (ina) {
            out[2 * m] = a[0], out[2 * m + 1] = a[1], m++;
        }
        if (ina != inb) {
            double t = (v - ca) / (cb - ca);
            out[2 * m] = a[0] + (b[0] - a[0]) * t, out[2 * m + 1] = a[1] + (b[1] - a[1]) * t, m++;
        }
    }
    return m;
}

static void rings_add_clipped(struct rings *r, const double *xy, int n, double w, double h)
{
    /* the closing point is dropped; clipping can at most double the vertex count per edge */
    int cnt = n > 1 && xy[0] == xy[2 * (n - 1)] && xy[1] == xy[2 * (n - 1) + 1] ? n - 1 : n;
    double *a = malloc(sizeof *a * 2 * (size_t)(cnt * 2 + 8)), *b = malloc(sizeof *b * 2 * (size_t)(cnt * 2 + 8));
    if (a && b) {
        memcpy(a, xy, sizeof *a * 2 * (size_t)cnt);
        int m = cnt;
        m = clip_edge(a, m, b, 0, 0);
        m = clip_edge(b, m, a, 1, w);
        m = clip_edge(a, m, b, 2, 0);
        m = clip_edge(b, m, a, 3, h);
        if (m >= 3 && rings_begin(r)) {
            for (int i = 0; i < m; i++)
                rings_push(r, a[2 * i], a[2 * i + 1]);
            rings_end(r);
        }
    }
    free(a);
    free(b);
}

static bool point_in_rings(const struct rings *r, double x, double y)
{
    bool in = false;
    for (int k = 0; k < r->n; k++)
        for (int i = r->off[k], j = r->off[k + 1] - 1; i < r->off[k + 1]; j = i++) {
            double xi = r->xy[2 * i], yi = r->xy[2 * i + 1], xj = r->xy[2 * j], yj = r->xy[2 * j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
                in = !in;
        }
    return in;
}

static double seg_dist2(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, t = 0;
    if (dx != 0 || dy != 0)
        t = fmax(0, fmin(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
    double ex = ax + t * dx - px, ey = ay + t * dy - py;
    return ex * ex + ey * ey;
}

/* Signed distance to the outline: positive inside. */
static double rings_dist(const struct rings *r, double x, double y)
{
    double best = INFINITY;
    for (int k = 0; k < r->n; k++)
        for (int i = r->off[k], j = r->off[k + 1] - 1; i < r->off[k + 1]; j = i++)
            best = fmin(best, seg_dist2(x, y, r->xy[2 * j], r->xy[2 * j + 1], r->xy[2 * i], r->xy[2 * i + 1]));
    return (point_in_rings(r, x, y) ? 1 : -1) * sqrt(best);
}

struct cell {
    double x, y, h, d, max;
};

static void heap_push(struct cell *hp, int *n, struct cell c)
{
    int i = (*n)++;
    hp[i] = c;
    while (i > 0 && hp[(i - 1) / 2].max < hp[i].max) {
        struct cell t = hp[i];
        hp[i] = hp[(i - 1) / 2];
        hp[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct cell heap_pop(struct cell *hp, int *n)
{
    struct cell top = hp[0];
    hp[0] = hp[--(*n)];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && hp[l].max > hp[m].max)
            m = l;
        if (r < *n && hp[r].max > hp[m].max)
            m = r;
        if (m == i)
            break;
        struct cell t = hp[i];
        hp[i] = hp[m];
        hp[m] = t;
        i = m;
    }
    return top;
}

static struct cell cell_make(const struct rings *r, double x, double y, double h)
{
    struct cell c = {x, y, h, rings_dist(r, x, y), 0};
    c.max = c.d + h * M_SQRT2;
    return c;
}

/* Pole of inaccessibility (the polylabel algorithm): the inside point farthest from the outline, found
 * to within precision px with a bounded number of cells, or the first point found (the area centroid
 * first) at least `enough` px from the outline: a label that fits there with room to spare need not go to
 * the exact pole. Returns its distance, or -1. */
static double polylabel(const struct rings *r, double precision, double enough, double *ox, double *oy)
{
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < r->npts; i++) {
        bb[0] = fmin(bb[0], r->xy[2 * i]), bb[1] = fmin(bb[1], r->xy[2 * i + 1]);
        bb[2] = fmax(bb[2], r->xy[2 * i]), bb[3] = fmax(bb[3], r->xy[2 * i + 1]);
    }
    double w = bb[2] - bb[0], h = bb[3] - bb[1], size = fmin(w, h);
    if (!(size > 0))
        return -1;
    enum { MAX_CELLS = 1200 };
    struct cell *hp = malloc(sizeof *hp * (MAX_CELLS + 8));
    if (!hp)
        return -1;
    int n = 0, visited = 0;
    double ch = size / 2;
    for (double x = bb[0]; x < bb[2] && n < MAX_CELLS / 2; x += size)
        for (double y = bb[1]; y < bb[3] && n < MAX_CELLS / 2; y += size)
            heap_push(hp, &n, cell_make(r, x + ch, y + ch, ch));
    struct cell best = cell_make(r, (bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2, 0);
    /* the area centroid is often a good first guess */
    double ax = 0, ay = 0, area = 0;
    for (int k = 0; k < r->n; k++)
        for (int i = r->off[k], j = r->off[k + 1] - 1; i < r->off[k + 1]; j = i++) {
            double f = r->xy[2 * j] * r->xy[2 * i + 1] - r->xy[2 * i] * r->xy[2 * j + 1];
            ax += (r->xy[2 * j] + r->xy[2 * i]) * f, ay += (r->xy[2 * j + 1] + r->xy[2 * i + 1]) * f, area += f * 3;
        }
    if (area != 0) {
        struct cell cc = cell_make(r, ax / area, ay / area, 0);
        if (cc.d > best.d)
            best = cc;
    }
    while (n > 0 && visited < MAX_CELLS && best.d < enough) {
        struct cell c = heap_pop(hp, &n);
        visited++;
        if (c.d > best.d)
            best = c;
        if (c.max - best.d <= precision)
            continue;
        double hh = c.h / 2;
        if (n + 4 > MAX_CELLS)
            break;
        heap_push(hp, &n, cell_make(r, c.x - hh, c.y - hh, hh));
        heap_push(hp, &n, cell_make(r, c.x + hh, c.y - hh, hh));
        heap_push(hp, &n, cell_make(r, c.x - hh, c.y + hh, hh));
        heap_push(hp, &n, cell_make(r, c.x + hh, c.y + hh, hh));
    }
    free(hp);
    *ox = best.x, *oy = best.y;
    return best.d;
}

/* Liang-Barsky: does segment a-b meet the box [-hw,hw]x[-hh,hh]? */
static bool seg_hits_box(double ax, double ay, double bx, double by, double hw, double hh)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax + hw, hw - ax, ay + hh, hh - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
        } else {
            double t = q[i] / p[i];
            if (p[i] < 0)
                t0 = fmax(t0, t);
            else
                t1 = fmin(t1, t);
            if (t0 > t1)
                return false;
        }
    }
    return true;
}

/* True when the oriented box lies wholly inside the rings. */
static bool box_inside(const struct rings *r, const struct obox *b)
{
    if (!point_in_rings(r, b->cx, b->cy))
        return false;
    for (int k = 0; k < r->n; k++)
        for (int i = r->off[k], j = r->off[k + 1] - 1; i < r->off[k + 1]; j = i++) {
            double ax = r->xy[2 * j] - b->cx, ay = r->xy[2 * j + 1] - b->cy;
            double bx = r->xy[2 * i] - b->cx, by = r->xy[2 * i + 1] - b->cy;
            double lax = ax * b->c + ay * b->s, lay = -ax * b->s + ay * b->c;
            double lbx = bx * b->c + by * b->s, lby = -bx * b->s + by * b->c;
            if (seg_hits_box(lax, lay, lbx, lby, b->hw, b->hh))
                return false;
        }
    return true;
}

struct label {
    const char *text;
    double w, h;   /* logical size of the layout, px */
    double fit_h;  /* height that must fit inside a polygon: the ink and part of the halo */
    double lx, ly; /* logical rect origin, for drawing */
    double pad;
    bool allow_overlap, ignore_placement;
    struct gis_style_color color, halo;
    double halo_w, opacity;
};

static bool in_image(const struct rctx *rc, const struct obox *b)
{
    if (!rc->o->labels_inside)
        return true;
    double m = -0.5;
    return b->bb[0] >= m && b->bb[1] >= m && b->bb[2] <= rc->o->width - m && b->bb[3] <= rc->o->height - m;
}

static void label_draw(struct rctx *rc, const struct label *lb, double cx, double cy, double angle)
{
    cairo_t *cr = rc->cr;
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    if (angle != 0)
        cairo_rotate(cr, angle);
    double ox = -lb->w / 2 - lb->lx, oy = -lb->h / 2 - lb->ly;
    pango_cairo_update_layout(cr, rc->layout);
    cairo_surface_type_t target = cairo_surface_get_type(cairo_get_group_target(cr));
    bool vector = target == CAIRO_SURFACE_TYPE_PDF || target == CAIRO_SURFACE_TYPE_PS ||
                  target == CAIRO_SURFACE_TYPE_SVG || target == CAIRO_SURFACE_TYPE_RECORDING;
    if (vector && lb->halo_w > 0 && lb->halo.a > 0) {
        /* On a document the halo is a filled outline, not text, so the label is text exactly once and a
         * screen reader or pdftotext reads it once: the glyphs' outlines dilated by the halo's width
         * (gis/halo.h), the area a stroke of twice the width covers, without cairo measuring a stroke. */
        cairo_save(cr);
        set_color(cr, lb->halo, lb->opacity);
        cairo_new_path(cr);
        if (gis_halo_path(cr, rc->layout, ox, oy, lb->halo_w)) {
            cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
            cairo_fill(cr);
        } else {
            cairo_move_to(cr, ox, oy);
            pango_cairo_layout_path(cr, rc->layout);
            cairo_set_line_width(cr, 2 * lb->halo_w);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_stroke(cr);
        }
        cairo_restore(cr);
    } else if (lb->halo_w > 0 && lb->halo.a > 0) {
        /* The halo is the text drawn around a circle of the halo's radius: cached glyph masks blit much
         * faster than stroking glyph outlines, and at map label sizes the two look the same. */
        cairo_set_source_rgb(cr, lb->halo.r, lb->halo.g, lb->halo.b);
        double r = lb->halo_w;
        int n = r <= 1.2 ? 8 : r <= 2.5 ? 12 : 16;
        /* the group is only as large as the label (push_group sizes it to the clip) */
        cairo_save(cr);
        cairo_rectangle(cr, -lb->w / 2 - r - 2, -lb->h / 2 - r - 2, lb->w + 2 * r + 4, lb->h + 2 * r + 4);
        cairo_clip(cr);
        cairo_push_group(cr);
        for (int k = 0; k < n; k++) {
            double a = 2 * M_PI * k / n;
            cairo_move_to(cr, ox + r * cos(a), oy + r * sin(a));
            pango_cairo_show_layout(cr, rc->layout);
        }
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, lb->halo.a * lb->opacity);
        cairo_restore(cr);
    }
    set_color(cr, lb->color, lb->opacity);
    cairo_move_to(cr, ox, oy);
    pango_cairo_show_layout(cr, rc->layout);
    cairo_restore(cr);
}

static PangoFontDescription *font_for(const char *name, double px);

/* The Pango context labels are laid out with: no hinting, so a layout measures the same anywhere. */
static PangoContext *label_context(void)
{
    PangoContext *pc = pango_font_map_create_context(pango_cairo_font_map_get_default());
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(pc, fo);
    cairo_font_options_destroy(fo);
    return pc;
}

static void layout_setup(PangoLayout *layout, const struct label_layout *ll)
{
    PangoFontDescription *fd = font_for(ll->font, ll->size);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    PangoAttrList *attrs = NULL;
    if (ll->spacing_em != 0) {
        attrs = pango_attr_list_new();
        pango_attr_list_insert(attrs, pango_attr_letter_spacing_new((int)(ll->spacing_em * ll->size * PANGO_SCALE)));
    }
    pango_layout_set_attributes(layout, attrs);
    if (attrs)
        pango_attr_list_unref(attrs);
    pango_layout_set_width(layout, ll->width);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD);
    pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
    pango_layout_set_text(layout, ll->text, -1);
}

static void label_record(struct gis_render_labels *L, const struct rctx *rc, const struct label *lb, double cx,
                         double cy, double angle, const struct obox *b)
{
    if (L->n == L->cap) {
        int cap = L->cap ? L->cap * 2 : 64;
        struct label_rec *v = realloc(L->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        L->v = v, L->cap = cap;
    }
    char *text = strdup(rc->cur.text), *font = strdup(rc->cur.font ? rc->cur.font : "DejaVu Sans");
    if (!text || !font) {
        free(text);
        free(font);
        return;
    }
    struct label_rec *r = &L->v[L->n++];
    *r = (struct label_rec){.lay = rc->cur,
                            .cx = cx,
                            .cy = cy,
                            .angle = angle,
                            .w = lb->w,
                            .h = lb->h,
                            .lx = lb->lx,
                            .ly = lb->ly,
                            .halo_w = lb->halo_w,
                            .opacity = lb->opacity,
                            .color = lb->color,
                            .halo = lb->halo};
    r->lay.text = text, r->lay.font = font;
    memcpy(r->bb, b->bb, sizeof r->bb);
}

/* Whether box b meets an outline of o->first. */
static bool crosses_keepout(const struct rctx *rc, const struct obox *b)
{
    for (int k = 0; k < rc->nkeep; k++)
        for (int i = rc->keep_off[k] + 1; i < rc->keep_off[k + 1]; i++) {
            const double *a = &rc->keep_xy[2 * (i - 1)], *c = &rc->keep_xy[2 * i];
            if (fmax(a[0], c[0]) < b->bb[0] || fmin(a[0], c[0]) > b->bb[2] || fmax(a[1], c[1]) < b->bb[1] ||
                fmin(a[1], c[1]) > b->bb[3])
                continue;
            double ax = a[0] - b->cx, ay = a[1] - b->cy, bx = c[0] - b->cx, by = c[1] - b->cy;
            if (seg_hits_box(ax * b->c + ay * b->s, -ax * b->s + ay * b->c, bx * b->c + by * b->s,
                             -bx * b->s + by * b->c, b->hw, b->hh))
                return true;
        }
    return false;
}

static void box_report(struct rctx *rc, const struct obox *b, double angle)
{
    struct gis_render_boxes *B = rc->o->boxes_out;
    if (B->n == B->cap) {
        int cap = B->cap ? B->cap * 2 : 64;
        struct gis_render_box *v = realloc(B->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        B->v = v, B->cap = cap;
    }
    B->v[B->n++] = (struct gis_render_box){b->cx, b->cy, b->hw, b->hh, angle, rc->placing_first};
}

/* Places the label's box at (cx, cy, angle) if it fits (inside fit when given), collides with nothing and
 * crosses no outline of o->first; draws it and records the box. */
static bool try_place(struct rctx *rc, const struct label *lb, double cx, double cy, double angle,
                      const struct rings *fit)
{
    struct obox b;
    obox_make(&b, cx, cy, lb->w, fit ? lb->fit_h : lb->h, angle, 0);
    if (fit && !box_inside(fit, &b))
        return false;
    if (!in_image(rc, &b))
        return false;
    obox_make(&b, cx, cy, lb->w, lb->h, angle, lb->pad);
    if (!lb->allow_overlap && (collides(rc, &b) || crosses_keepout(rc, &b)))
        return false;
    if (rc->o->boxes_out)
        box_report(rc, &b, angle);
    /* labels wholly outside the clip (the part of a metatile that is not the tile) are placed, not drawn */
    double m = lb->halo_w + 2;
    if (rc->rec)
        label_record(rc->rec, rc, lb, cx, cy, angle, &b);
    else if (!rc->has_clip || (b.bb[2] + m >= rc->clip[0] && b.bb[0] - m <= rc->clip[2] && b.bb[3] + m >= rc->clip[1] &&
                               b.bb[1] - m <= rc->clip[3]))
        label_draw(rc, lb, cx, cy, angle);
    if (!lb->ignore_placement)
        box_insert(rc, &b);
    rc->st->labels++;
    return true;
}

/* Keeps text upright: angles within [-90°, 90°), so vertical text reads bottom to top. */
static double upright(double a)
{
    while (a >= M_PI / 2 - 1e-9)
        a -= M_PI;
    while (a < -M_PI / 2 - 1e-9)
        a += M_PI;
    return a;
}

static double principal_angle(const struct rings *r)
{
    double mx = 0, my = 0;
    int n = 0;
    for (int i = 0; i < r->npts; i++, n++)
        mx += r->xy[2 * i], my += r->xy[2 * i + 1];
    if (!n)
        return 0;
    mx /= n, my /= n;
    double sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < r->npts; i++) {
        double dx = r->xy[2 * i] - mx, dy = r->xy[2 * i + 1] - my;
        sxx += dx * dx, syy += dy * dy, sxy += dx * dy;
    }
    return upright(0.5 * atan2(2 * sxy, sxx - syy));
}

static double nearest_edge_angle(const struct rings *r, double x, double y)
{
    double best = INFINITY, ang = 0;
    for (int k = 0; k < r->n; k++)
        for (int i = r->off[k], j = r->off[k + 1] - 1; i < r->off[k + 1]; j = i++) {
            double ax = r->xy[2 * j], ay = r->xy[2 * j + 1], bx = r->xy[2 * i], by = r->xy[2 * i + 1];
            double d = seg_dist2(x, y, ax, ay, bx, by);
            if (d < best && (ax != bx || ay != by))
                best = d, ang = atan2(by - ay, bx - ax);
        }
    return upright(ang);
}

static bool place_polygon(struct rctx *rc, const struct label *lb, const struct feat *f, struct rings *r)
{
    /* polygons of the feature, largest first (at most 4 tried) */
    int starts[64], ns = 0;
    for (int p = 0; p < f->nparts && ns < 64; p++)
        if (f->shell[p] || p == 0)
            starts[ns++] = p;
    bool tried[64] = {false};
    for (int attempt = 0; attempt < ns && attempt < 4; attempt++) {
        int best = -1;
        double best_area = -1;
        for (int i = 0; i < ns; i++) {
            if (tried[i])
                continue;
            int p = starts[i];
            double area = 0;
            for (int k = f->off[p]; k < f->off[p + 1] - 1; k++)
                area += f->xy[2 * k] * f->xy[2 * k + 3] - f->xy[2 * k + 2] * f->xy[2 * k + 1];
            if (fabs(area) > best_area)
                best_area = fabs(area), best = i;
        }
        if (best < 0)
            break;
        tried[best] = true;
        int p0 = starts[best], p1 = best + 1 < ns ? starts[best + 1] : f->nparts;
        r->n = r->npts = 0;
        for (int p = p0; p < p1; p++)
            rings_add_clipped(r, &f->xy[2 * f->off[p]], f->off[p + 1] - f->off[p], rc->o->width, rc->o->height);
        if (r->n == 0)
            continue;
        double px = 0, py = 0;
        double d = polylabel(r, 1.0, hypot(lb->w, lb->h) / 2 + lb->halo_w + 4, &px, &py);
        if (d < fmin(lb->fit_h, lb->w) / 2 - 0.5)
            continue; /* not even the short side fits */
        if (try_place(rc, lb, px, py, 0, r))
            return true;
        /* strips (roads, rivers) run along their nearest edge; blobs along their main axis */
        double ang = nearest_edge_angle(r, px, py);
        if (fabs(ang) > 0.05 && try_place(rc, lb, px, py, ang, r))
            return true;
        double pca = principal_angle(r);
        if (fabs(pca - ang) > 0.05 && fabs(pca) > 0.05 && try_place(rc, lb, px, py, pca, r))
            return true;
        /* slide along the main axis, both ways */
        double step = fmax(lb->w / 2, 6);
        for (int k = 1; k <= 4; k++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double qx = px + cos(ang) * step * k * sgn, qy = py + sin(ang) * step * k * sgn;
                if (try_place(rc, lb, qx, qy, 0, r) || (fabs(ang) > 0.05 && try_place(rc, lb, qx, qy, ang, r)))
                    return true;
            }
    }
    return false;
}

static bool place_line(struct rctx *rc, const struct label *lb, const struct feat *f, double spacing, bool center_only)
{
    int placed = 0;
    double need = lb->w + 2 * lb->pad;
    for (int p = 0; p < f->nparts; p++) {
        int a = f->off[p], b = f->off[p + 1];
        double total = 0;
        for (int i = a; i < b - 1; i++)
            total += hypot(f->xy[2 * i + 2] - f->xy[2 * i], f->xy[2 * i + 3] - f->xy[2 * i + 1]);
        if (total < need)
            continue;
        /* candidate centres: the middle, then every spacing px either way */
        int maxk = center_only ? 0 : (int)fmin(8, total / spacing + 1);
        for (int k = 0; k <= maxk * 2; k++) {
            double s = total / 2 + ((k + 1) / 2) * spacing * (k % 2 ? -1 : 1);
            if (s - lb->w / 2 < 0 || s + lb->w / 2 > total)
                continue;
            /* the points of the window [s - w/2, s + w/2] */
            double s0 = s - lb->w / 2, s1 = s + lb->w / 2, acc = 0;
            double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            bool ok = true;
            double devmax = 0;
            int first = -1, last = -1;
            for (int i = a; i < b - 1; i++) {
                double sx = f->xy[2 * i], sy = f->xy[2 * i + 1], ex = f->xy[2 * i + 2], ey = f->xy[2 * i + 3];
                double len = hypot(ex - sx, ey - sy);
                if (len > 0 && acc + len >= s0 && acc <= s0) {
                    double t = (s0 - acc) / len;
                    x0 = sx + (ex - sx) * t, y0 = sy + (ey - sy) * t, first = i;
                }
                if (len > 0 && acc + len >= s1 && acc <= s1) {
                    double t = (s1 - acc) / len;
                    x1 = sx + (ex - sx) * t, y1 = sy + (ey - sy) * t, last = i;
                    break;
                }
                acc += len;
            }
            if (first < 0 || last < 0)
                continue;
            double cl = hypot(x1 - x0, y1 - y0);
            if (cl < lb->w * 0.9)
                continue;
            for (int i = first + 1; i <= last && ok; i++) {
                double vx = f->xy[2 * i], vy = f->xy[2 * i + 1];
                double dev = fabs((x1 - x0) * (y0 - vy) - (x0 - vx) * (y1 - y0)) / cl;
                devmax = fmax(devmax, dev);
                if (devmax > lb->h * 0.35)
                    ok = false;
            }
            if (!ok)
                continue;
            double ang = upright(atan2(y1 - y0, x1 - x0));
            if (try_place(rc, lb, (x0 + x1) / 2, (y0 + y1) / 2, ang, NULL)) {
                placed++;
                if (center_only || placed >= 3)
                    return true;
                k++; /* the neighbour candidate would sit next to this one */
            }
        }
    }
    return placed > 0;
}

static PangoFontDescription *font_for(const char *name, double px)
{
    /* MapLibre font stacks name faces like "DejaVu Sans Bold"; Pango parses the same form. Fonts the
     * machine lacks fall back through fontconfig (DejaVu Sans is always there). */
    PangoFontDescription *d = pango_font_description_from_string(name && *name ? name : "DejaVu Sans");
    if (!pango_font_description_get_family(d) || !*pango_font_description_get_family(d))
        pango_font_description_set_family(d, "DejaVu Sans");
    pango_font_description_set_absolute_size(d, px * PANGO_SCALE);
    return d;
}

struct order {
    long i;
    double key;
};

static int order_cmp(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Whether feature id of source layer si is one of o->first. */
static bool is_first(const struct rctx *rc, int si, long long id)
{
    const struct gis_render_opts *o = rc->o;
    if (!o->nfirst || !o->first_layer || src_find(o->first_layer) != si)
        return false;
    for (int k = 0; k < o->nfirst; k++)
        if (o->first[k].id == id)
            return true;
    return false;
}

static void draw_symbol(struct rctx *rc, const struct gis_style_layer *l, int si)
{
    struct layer_data *ld = &rc->ld[si];
    if (!ld->n)
        return;
    struct order *ord = arena_alloc(rc->a, sizeof *ord * (size_t)ld->n);
    if (!ord)
        return;
    bool has_sort = gis_style_layer_has(l, GIS_P_SYMBOL_SORT_KEY);
    long n = 0;
    for (long i = 0; i < ld->n; i++) {
        struct gis_style_feature sf;
        struct gis_style_ctx ctx;
        feat_ctx(rc, si, &ld->f[i], &sf, &ctx);
        if (!rc->no_filter && !gis_style_layer_filter(l, &ctx))
            continue;
        if (is_first(rc, si, ld->f[i].id))
            continue; /* labelled first, by place_first */
        /* priority: the sort key, else bigger polygons and longer lines first */
        ord[n].i = i;
        ord[n].key = has_sort ? gis_style_number(l, GIS_P_SYMBOL_SORT_KEY, &ctx) : -ld->f[i].size;
        n++;
    }
    qsort(ord, (size_t)n, sizeof *ord, order_cmp);
    struct rings r = {0};
    for (long k = 0; k < n && rc->st->labels < GIS_RENDER_MAX_LABELS; k++) {
        struct feat *f = &ld->f[ord[k].i];
        struct gis_style_feature sf;
        struct gis_style_ctx ctx;
        feat_ctx(rc, si, f, &sf, &ctx);
        const char *text = gis_style_string(l, GIS_P_TEXT_FIELD, &ctx);
        if (!text || !*text || !g_utf8_validate(text, -1, NULL))
            continue;
        const char *tf = gis_style_string(l, GIS_P_TEXT_TRANSFORM, &ctx);
        char *owned = NULL;
        if (tf[0] == 'u')
            text = owned = g_utf8_strup(text, -1);
        else if (tf[0] == 'l')
            text = owned = g_utf8_strdown(text, -1);
        double size = gis_style_number(l, GIS_P_TEXT_SIZE, &ctx) * rc->scale;
        if (size < 1 || size > 400) {
            g_free(owned);
            continue;
        }
        struct gis_style_value fonts = gis_style_eval(l, GIS_P_TEXT_FONT, &ctx);
        const char *fname = fonts.type == GIS_STYLE_ARRAY && fonts.a.n > 0 && fonts.a.v[0].type == GIS_STYLE_STRING
                                ? fonts.a.v[0].s
                                : "DejaVu Sans";
        const char *placement = gis_style_string(l, GIS_P_SYMBOL_PLACEMENT, &ctx);
        bool on_line = placement[0] == 'l';
        struct label lb = {
            .text = text,
            .pad = gis_style_number(l, GIS_P_TEXT_PADDING, &ctx) * rc->scale,
            .allow_overlap = gis_style_bool(l, GIS_P_TEXT_ALLOW_OVERLAP, &ctx),
            .ignore_placement = gis_style_bool(l, GIS_P_TEXT_IGNORE_PLACEMENT, &ctx),
            .color = gis_style_color(l, GIS_P_TEXT_COLOR, &ctx),
            .halo = gis_style_color(l, GIS_P_TEXT_HALO_COLOR, &ctx),
            .halo_w = gis_style_number(l, GIS_P_TEXT_HALO_WIDTH, &ctx) * rc->scale,
            .opacity = gis_style_number(l, GIS_P_TEXT_OPACITY, &ctx),
        };
        double spacing_em = gis_style_number(l, GIS_P_TEXT_LETTER_SPACING, &ctx);
        double max_w = gis_style_number(l, GIS_P_TEXT_MAX_WIDTH, &ctx);
        bool placed = false;
        /* a label that does not fit its polygon is tried once more at 80 % size */
        for (int attempt = 0; attempt < 2 && !placed; attempt++) {
            double sz = attempt ? size * 0.8 : size;
            rc->cur = (struct label_layout){text, fname, sz, spacing_em,
                                            on_line || max_w <= 0 ? -1 : (int)(max_w * sz * PANGO_SCALE)};
            layout_setup(rc->layout, &rc->cur);
            PangoRectangle ink, logical;
            pango_layout_get_pixel_extents(rc->layout, &ink, &logical);
            lb.w = logical.width, lb.h = logical.height, lb.lx = logical.x, lb.ly = logical.y;
            lb.fit_h = fmin(lb.h, ink.height + lb.halo_w);
            if (lb.w <= 0 || lb.h <= 0)
                break;
            if (on_line) {
                placed = place_line(rc, &lb, f, gis_style_number(l, GIS_P_SYMBOL_SPACING, &ctx) * rc->scale,
                                    placement[4] == '-');
                break;
            } else if (f->gtype == 3) {
                placed = place_polygon(rc, &lb, f, &r);
            } else {
                struct gis_style_value off = gis_style_eval(l, GIS_P_TEXT_OFFSET, &ctx);
                double ox = off.type == GIS_STYLE_ARRAY && off.a.n == 2 ? off.a.v[0].n * sz : 0;
                double oy = off.type == GIS_STYLE_ARRAY && off.a.n == 2 ? off.a.v[1].n * sz : 0;
                const char *anchor = gis_style_string(l, GIS_P_TEXT_ANCHOR, &ctx);
                double ax = strstr(anchor, "left") ? lb.w / 2 : strstr(anchor, "right") ? -lb.w / 2 : 0;
                double ay = strstr(anchor, "top") ? lb.h / 2 : strstr(anchor, "bottom") ? -lb.h / 2 : 0;
                /* points, and lines placed as points at their middle vertex */
                int v = f->gtype == 1 ? f->off[0] : (f->off[0] + f->off[1]) / 2;
                placed = try_place(rc, &lb, f->xy[2 * v] + ox + ax, f->xy[2 * v + 1] + oy + ay, 0, NULL);
                break;
            }
        }
        if (!placed)
            rc->st->labels_dropped++;
        g_free(owned);
    }
    free(r.xy);
    free(r.off);
    pango_layout_set_attributes(rc->layout, NULL);
}

/* ---- a document's own labels (o->first) ---- */

/* The polygon of o->first[k] in pixels into f, or false. */
static bool first_feat(struct rctx *rc, int k, struct feat *f)
{
    const struct gis_render_first *fi = &rc->o->first[k];
    rc->sc.npts = rc->sc.nparts = 0;
    rc->sc.gtype = 0;
    memset(f, 0, sizeof *f);
    f->id = fi->id;
    return fi->wkb && gis_wkb_walk(fi->wkb, fi->wkb_len, &sc_visitor, &rc->sc) && rc->sc.gtype == 3 &&
           feat_build(rc, f);
}

/* The outlines of o->first, which no label may cross. */
static void keepout_build(struct rctx *rc)
{
    int npts = 0, nparts = 0;
    struct feat *fs = arena_alloc(rc->a, sizeof *fs * (size_t)rc->o->nfirst);
    bool *ok = arena_alloc(rc->a, (size_t)rc->o->nfirst);
    if (!fs || !ok)
        return;
    for (int k = 0; k < rc->o->nfirst; k++)
        if ((ok[k] = first_feat(rc, k, &fs[k])))
            npts += fs[k].off[fs[k].nparts], nparts += fs[k].nparts;
    rc->keep_xy = arena_alloc(rc->a, sizeof *rc->keep_xy * 2 * (size_t)(npts ? npts : 1));
    rc->keep_off = arena_alloc(rc->a, sizeof *rc->keep_off * (size_t)(nparts + 1));
    if (!rc->keep_xy || !rc->keep_off)
        return;
    int n = 0;
    rc->keep_off[0] = 0;
    for (int k = 0; k < rc->o->nfirst; k++)
        for (int p = 0; ok[k] && p < fs[k].nparts; p++) {
            int a = fs[k].off[p], b = fs[k].off[p + 1];
            memcpy(&rc->keep_xy[2 * n], &fs[k].xy[2 * a], sizeof *rc->keep_xy * 2 * (size_t)(b - a));
            n += b - a;
            rc->keep_off[++rc->nkeep] = n;
        }
}

/* Beside the polygon's box: above, below, right, left, then the corners, ever further out; true once
 * placed. */
static bool place_beside(struct rctx *rc, const struct label *lb, const struct feat *f)
{
    static const double dirs[][2] = {{0, -1}, {0, 1}, {1, 0}, {-1, 0}, {1, -1}, {-1, -1}, {1, 1}, {-1, 1}};
    double mx = (f->bb[0] + f->bb[2]) / 2, my = (f->bb[1] + f->bb[3]) / 2;
    double hw = (f->bb[2] - f->bb[0]) / 2, hh = (f->bb[3] - f->bb[1]) / 2;
    for (double gap = 2; gap <= 48; gap *= 2)
        for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
            double cx = mx + dirs[d][0] * (hw + lb->w / 2 + lb->pad + gap);
            double cy = my + dirs[d][1] * (hh + lb->h / 2 + lb->pad + gap);
            if (!dirs[d][0] && fabs(cx - mx) < 1e-9)
                cx = mx;
            if (try_place(rc, lb, cx, cy, 0, NULL))
                return true;
        }
    return false;
}

/* Places o->first before the style's labels, in the look of first_layer's first symbol layer (bold, a
 * fifth larger); a label that finds no free place is drawn over the others at its polygon's inside
 * point rather than left out. */
static void place_first(struct rctx *rc, const struct gis_style *st)
{
    const struct gis_render_opts *o = rc->o;
    const struct gis_style_layer *l = NULL;
    for (int i = 0; i < gis_style_layer_count(st) && !l; i++) {
        const struct gis_style_layer *c = gis_style_layer_at(st, i);
        const char *src = gis_style_layer_source_layer(c);
        if (gis_style_layer_type(c) == GIS_STYLE_SYMBOL && src && !strcmp(src, o->first_layer))
            l = c;
    }
    if (!l)
        return;
    rc->placing_first = true;
    struct rings r = {0};
    struct gis_style_feature sf = {.geom_type = 3};
    struct gis_style_ctx ctx = {rc->zoom, &sf, rc->a};
    double size = gis_style_number(l, GIS_P_TEXT_SIZE, &ctx) * 1.2 * rc->scale;
    for (int k = 0; k < o->nfirst && size >= 1 && size <= 400; k++) {
        struct feat f;
        const char *text = o->first[k].text;
        if (!text || !*text || !g_utf8_validate(text, -1, NULL) || !first_feat(rc, k, &f))
            continue;
        struct label lb = {
            .text = text,
            .pad = fmax(gis_style_number(l, GIS_P_TEXT_PADDING, &ctx), 1) * rc->scale,
            .color = gis_style_color(l, GIS_P_TEXT_COLOR, &ctx),
            .halo = gis_style_color(l, GIS_P_TEXT_HALO_COLOR, &ctx),
            .halo_w = gis_style_number(l, GIS_P_TEXT_HALO_WIDTH, &ctx) * rc->scale,
            .opacity = gis_style_number(l, GIS_P_TEXT_OPACITY, &ctx),
        };
        lb.color.a = 1;
        bool placed = false;
        for (int attempt = 0; attempt < 2 && !placed; attempt++) {
            rc->cur = (struct label_layout){text, "DejaVu Sans Bold", attempt ? size * 0.8 : size, 0, -1};
            layout_setup(rc->layout, &rc->cur);
            PangoRectangle ink, logical;
            pango_layout_get_pixel_extents(rc->layout, &ink, &logical);
            lb.w = logical.width, lb.h = logical.height, lb.lx = logical.x, lb.ly = logical.y;
            lb.fit_h = fmin(lb.h, ink.height + lb.halo_w);
            placed = place_polygon(rc, &lb, &f, &r) || (attempt && place_beside(rc, &lb, &f));
        }
        if (!placed) {
            double px = (f.bb[0] + f.bb[2]) / 2, py = (f.bb[1] + f.bb[3]) / 2;
            lb.allow_overlap = true;
            if (!try_place(rc, &lb, px, py, 0, NULL))
                rc->st->labels_dropped++;
        }
    }
    free(r.xy);
    free(r.off);
    rc->placing_first = false;
}

/* ---- the map ---- */

static bool group_enabled(const struct gis_render_opts *o, const struct gis_style_layer *l)
{
    if (!o->groups)
        return !gis_style_layer_on_request(l);
    const char *g = gis_style_layer_group(l);
    if (!g)
        return false;
    for (int i = 0; i < o->ngroups; i++)
        if (o->groups[i] && !strcmp(o->groups[i], g))
            return true;
    return false;
}

/* The query box in EPSG:2180: the request box cut to the data extent first, so a world-wide request does
 * not push far-away coordinates through PROJ. */
static void query_box(struct rctx *rc)
{
    const struct gis_render_opts *o = rc->o;
    double ext[4], ext_t[4], cut[4];
    struct err e = {0};
    rc->nodata = true;
    if (!gis_render_extent(rc->store, ext))
        return;
    if (gis_crs_transform_bbox(GIS_CRS_2180, o->crs, ext, ext_t, &e) != ERR_OK)
        return;
    /* labels and wide lines reach in from outside: a margin of 64 px */
    double mx = (o->bbox[2] - o->bbox[0]) / o->width * 64 * rc->scale;
    double my = (o->bbox[3] - o->bbox[1]) / o->height * 64 * rc->scale;
    cut[0] = fmax(o->bbox[0] - mx, ext_t[0]), cut[1] = fmax(o->bbox[1] - my, ext_t[1]);
    cut[2] = fmin(o->bbox[2] + mx, ext_t[2]), cut[3] = fmin(o->bbox[3] + my, ext_t[3]);
    if (cut[0] > cut[2] || cut[1] > cut[3])
        return;
    if (gis_crs_transform_bbox(o->crs, GIS_CRS_2180, cut, rc->q, &e) != ERR_OK)
        return;
    double full[4];
    if (gis_crs_transform_bbox(o->crs, GIS_CRS_2180, o->bbox, full, &e) == ERR_OK)
        rc->upp = (full[2] - full[0]) / o->width;
    else
        rc->upp = (rc->q[2] - rc->q[0]) / o->width;
    rc->nodata = false;
}

enum err_code gis_render_map(cairo_t *cr, struct gis_store *s, const struct gis_style *st,
                             const struct gis_render_opts *o, struct gis_render_stats *stats, struct err *e)
{
    struct gis_render_stats local = {0};
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    double t0 = log_now_ms();
    if (o->width <= 0 || o->height <= 0 || !(o->bbox[2] > o->bbox[0]) || !(o->bbox[3] > o->bbox[1]))
        return err_set(e, ERR_INVALID, "empty map size or bbox");
    struct rctx rc = {.cr = cr, .store = s, .o = o, .st = stats, .e = e};
    rc.scale = o->scale > 0 ? o->scale : 1;
    rc.zoom = gis_render_zoom(o->crs, o->bbox, o->width, rc.scale);
    if (!isfinite(rc.zoom))
        rc.zoom = 0;
    stats->zoom = rc.zoom;
    rc.sx = o->width / (o->bbox[2] - o->bbox[0]);
    rc.sy = o->height / (o->bbox[3] - o->bbox[1]);
    if (!(rc.a = arena_new(1 << 16)))
        return err_set(e, ERR_INTERNAL, "out of memory");
    query_box(&rc);

    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    if (!o->transparent && o->label_mode != GIS_RENDER_LABELS_ONLY) {
        struct gis_style_color bg = {1, 1, 1, 1};
        if (o->has_bgcolor)
            bg = o->bgcolor;
        else
            gis_style_background(st, rc.zoom, &bg);
        cairo_set_source_rgba(cr, bg.r, bg.g, bg.b, 1);
        cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
        cairo_paint(cr);
        cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    }
    cairo_rectangle(cr, 0, 0, o->width, o->height);
    cairo_clip(cr);
    cairo_clip_extents(cr, &rc.clip[0], &rc.clip[1], &rc.clip[2], &rc.clip[3]);
    rc.has_clip = true;
    if (o->labels_out && o->label_mode == GIS_RENDER_LABELS_ONLY) {
        if (!(rc.rec = calloc(1, sizeof *rc.rec))) {
            cairo_restore(cr);
            arena_free(rc.a);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        rc.rec->refs = 1;
    }

    rc.pango = label_context();
    rc.layout = pango_layout_new(rc.pango);
    /* the document's own labels take their places first; drawn last, over everything (held back in a
     * recording of their own unless the caller records the labels anyway) */
    struct gis_render_labels *firsts = NULL;
    if (o->nfirst > 0 && o->first_layer && o->label_mode != GIS_RENDER_LABELS_NONE && !rc.nodata) {
        keepout_build(&rc);
        if (!rc.rec && o->label_mode == GIS_RENDER_LABELS_ALL && (firsts = calloc(1, sizeof *firsts))) {
            firsts->refs = 1;
            rc.rec = firsts;
        }
        place_first(&rc, st);
        if (firsts)
            rc.rec = NULL;
    }

    enum err_code rcode = ERR_OK;
    for (int i = 0; i < gis_style_layer_count(st) && !rcode; i++) {
        const struct gis_style_layer *l = gis_style_layer_at(st, i);
        enum gis_style_layer_type t = gis_style_layer_type(l);
        if (t == GIS_STYLE_BACKGROUND || !gis_style_layer_active(l, rc.zoom) || !group_enabled(o, l))
            continue;
        if ((t == GIS_STYLE_SYMBOL) != (o->label_mode == GIS_RENDER_LABELS_ONLY) &&
            o->label_mode != GIS_RENDER_LABELS_ALL)
            continue;
        int si = src_find(gis_style_layer_source_layer(l));
        if (si < 0)
            continue;
        if ((rcode = layer_load(&rc, si)) != ERR_OK)
            break;
        switch (t) {
        case GIS_STYLE_FILL: draw_fill(&rc, l, si); break;
        case GIS_STYLE_LINE: draw_line(&rc, l, si); break;
        case GIS_STYLE_CIRCLE: draw_circle(&rc, l, si); break;
        case GIS_STYLE_SYMBOL: draw_symbol(&rc, l, si); break;
        case GIS_STYLE_BACKGROUND: break;
        }
    }
    if (firsts) {
        if (!rcode)
            gis_render_labels_draw(cr, firsts);
        gis_render_labels_unref(firsts);
    }
    g_object_unref(rc.layout);
    g_object_unref(rc.pango);
    cairo_restore(cr);
    free(rc.sc.pts);
    free(rc.sc.off);
    free(rc.sc.shell);
    arena_free(rc.a);
    stats->ms = log_now_ms() - t0;
    if (!rcode && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rcode = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    if (rc.rec) {
        if (rcode)
            gis_render_labels_unref(rc.rec);
        else
            *o->labels_out = rc.rec;
    }
    return rcode;
}

void gis_render_labels_draw(cairo_t *cr, const struct gis_render_labels *L)
{
    if (!L || !L->n)
        return;
    double clip[4];
    cairo_clip_extents(cr, &clip[0], &clip[1], &clip[2], &clip[3]);
    struct rctx rc = {.cr = cr, .pango = label_context()};
    rc.layout = pango_layout_new(rc.pango);
    cairo_save(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    for (int i = 0; i < L->n; i++) {
        const struct label_rec *r = &L->v[i];
        double m = r->halo_w + 2;
        if (r->bb[2] + m < clip[0] || r->bb[0] - m > clip[2] || r->bb[3] + m < clip[1] || r->bb[1] - m > clip[3])
            continue;
        layout_setup(rc.layout, &r->lay);
        struct label lb = {.text = r->lay.text,
                           .w = r->w,
                           .h = r->h,
                           .lx = r->lx,
                           .ly = r->ly,
                           .color = r->color,
                           .halo = r->halo,
                           .halo_w = r->halo_w,
                           .opacity = r->opacity};
        label_draw(&rc, &lb, r->cx, r->cy, r->angle);
    }
    cairo_restore(cr);
    g_object_unref(rc.layout);
    g_object_unref(rc.pango);
}

void gis_render_labels_ref(struct gis_render_labels *L)
{
    if (L)
        __atomic_add_fetch(&L->refs, 1, __ATOMIC_RELAXED);
}

void gis_render_labels_unref(struct gis_render_labels *L)
{
    if (!L || __atomic_sub_fetch(&L->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (int i = 0; i < L->n; i++) {
        free((char *)L->v[i].lay.text);
        free((char *)L->v[i].lay.font);
    }
    free(L->v);
    free(L);
}

long gis_render_labels_count(const struct gis_render_labels *L)
{
    return L ? L->n : 0;
}

/* ---- legend ---- */

/* Source layers whose rows come from the distinct values of a column, with a heading. */
static const struct {
    const char *src, *sql, *key, *heading;
} legend_enums[] = {
    {"pog-zones", "SELECT symbol, min(name) FROM pog_zones GROUP BY symbol ORDER BY symbol", "symbol",
     "Strefy planistyczne (plan ogólny)"},
    {"plan-zones", "SELECT symbol, min(name) FROM plan_zones GROUP BY symbol ORDER BY symbol", "symbol",
     "Przeznaczenie terenów (MPZP)"},
    {"overlays", "SELECT kind, min(name) FROM overlays GROUP BY kind ORDER BY kind", "kind", "Obszary i strefy"},
    {"landcover", "SELECT kind, NULL FROM landcover GROUP BY kind ORDER BY kind", "kind", "Pokrycie terenu"},
};

static const char *landcover_name(const char *kind)
{
    static const char *const names[][2] = {
        {"river", "rzeka"}, {"forest", "las"}, {"water", "wody"}, {"meadow", "łąki i pastwiska"}, {NULL, NULL}};
    for (int i = 0; names[i][0]; i++)
        if (!strcmp(names[i][0], kind))
            return names[i][1];
    return kind;
}

#define LEGEND_MAX_ROWS 120

struct legend_row {
    bool heading;
    const char *text;
    int si;    /* source layer of the swatch */
    int layer; /* a single style layer, or -1 for every fill/line layer of the source that accepts vals */
    struct gis_style_value vals[8];
};

static void legend_swatch(struct rctx *rc, const struct gis_style *st, const struct legend_row *row, double w, double h)
{
    const struct gis_layer_map *sl = &gis_layer_at(row->si)->map;
    double m = 1.5 * rc->scale;
    struct feat f = {0};
    double xy[10] = {m, m, w - m, m, w - m, h - m, m, h - m, m, m};
    int off[2] = {0, 5};
    unsigned char shell[1] = {1};
    f.gtype = 3, f.nparts = 1, f.off = off, f.shell = shell, f.xy = xy;
    f.bb[0] = m, f.bb[1] = m, f.bb[2] = w - m, f.bb[3] = h - m;
    f.vals = (struct gis_style_value *)row->vals;
    struct feat line = f;
    double lxy[4] = {m, h / 2, w - m, h / 2};
    int loff[2] = {0, 2};
    line.gtype = 2, line.xy = lxy, line.off = loff;
    struct feat pt = f;
    double pxy[2] = {w / 2, h / 2};
    int poff[2] = {0, 1};
    pt.gtype = 1, pt.xy = pxy, pt.off = poff;
    bool lines_only = !strcmp(sl->name, "streets");
    bool points = !strcmp(sl->name, "addresses");
    for (int i = 0; i < gis_style_layer_count(st); i++) {
        const struct gis_style_layer *l = gis_style_layer_at(st, i);
        enum gis_style_layer_type t = gis_style_layer_type(l);
        if (row->layer >= 0 ? i != row->layer
                            : (src_find(gis_style_layer_source_layer(l)) != row->si || gis_style_layer_legend(l) ||
                               !group_enabled(rc->o, l)))
            continue;
        rc->ld[row->si] = (struct layer_data){1, points ? &pt : lines_only ? &line : &f, 1};
        rc->no_filter = row->layer >= 0;
        double zoom = rc->zoom;
        rc->zoom = gis_style_layer_minzoom(l) > zoom ? gis_style_layer_minzoom(l) + 2 : zoom;
        if (t == GIS_STYLE_FILL)
            draw_fill(rc, l, row->si);
        else if (t == GIS_STYLE_LINE)
            draw_line(rc, l, row->si);
        else if (t == GIS_STYLE_CIRCLE)
            draw_circle(rc, l, row->si);
        rc->zoom = zoom;
        rc->no_filter = false;
    }
    rc->ld[row->si] = (struct layer_data){0};
}

static void legend_vals(struct legend_row *row, int si, const char *key, const char *value, const char *name,
                        struct arena *a)
{
    const struct gis_layer_map *sl = &gis_layer_at(si)->map;
    for (int k = 0; k < 8 && sl->keys[k]; k++) {
        const char *v = !strcmp(sl->keys[k], key) ? value : !strcmp(sl->keys[k], "name") ? name : NULL;
        row->vals[k] = v ? (struct gis_style_value){.type = GIS_STYLE_STRING, .s = arena_strdup(a, v)}
                         : (struct gis_style_value){.type = GIS_STYLE_NULL};
    }
}

static const char *legend_heading(const char *src)
{
    static const char *const h[][2] = {{"landcover", "Pokrycie terenu"},
                                       {"pog-zones", "Strefy planistyczne (plan ogólny)"},
                                       {"plan-zones", "Przeznaczenie terenów (MPZP)"},
                                       {"overlays", "Obszary i strefy"},
                                       {"plans", "Granice"},
                                       {NULL, NULL}};
    for (int i = 0; h[i][0]; i++)
        if (!strcmp(h[i][0], src))
            return h[i][1];
    return "Ewidencja";
}

/* The enumerated rows of source si: one per distinct symbol or kind that some layer draws. */
static int legend_enum_rows(struct rctx *rc, const struct gis_style *st, int si, struct legend_row *rows, int nrows,
                            int cap)
{
    for (size_t k = 0; k < sizeof legend_enums / sizeof legend_enums[0]; k++) {
        if (strcmp(legend_enums[k].src, gis_layer_at(si)->map.name))
            continue;
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(gis_store_db(rc->store), legend_enums[k].sql, -1, &q, NULL) != SQLITE_OK)
            return nrows;
        while (sqlite3_step(q) == SQLITE_ROW && nrows < cap) {
            const char *val = (const char *)sqlite3_column_text(q, 0);
            const char *name = (const char *)sqlite3_column_text(q, 1);
            if (!val)
                continue;
            struct legend_row *r = &rows[nrows];
            *r = (struct legend_row){.si = si, .layer = -1};
            legend_vals(r, si, legend_enums[k].key, val, name, rc->a);
            struct gis_style_feature sf = {gis_layer_at(si)->map.keys, r->vals, 0, 3, 0};
            while (gis_layer_at(si)->map.keys[sf.n])
                sf.n++;
            struct gis_style_ctx ctx = {rc->zoom, &sf, rc->a};
            bool drawn = false;
            for (int j = 0; j < gis_style_layer_count(st) && !drawn; j++) {
                const struct gis_style_layer *lj = gis_style_layer_at(st, j);
                enum gis_style_layer_type tj = gis_style_layer_type(lj);
                drawn = (tj == GIS_STYLE_FILL || tj == GIS_STYLE_LINE) &&
                        src_find(gis_style_layer_source_layer(lj)) == si && !gis_style_layer_legend(lj) &&
                        group_enabled(rc->o, lj) && gis_style_layer_filter(lj, &ctx);
            }
            if (!drawn)
                continue;
            const char *label = !strcmp(gis_layer_at(si)->map.name, "landcover") ? landcover_name(val) : name;
            r->text = label && *label && strcmp(label, val) ? arena_printf(rc->a, "%s — %s", val, label)
                                                            : arena_strdup(rc->a, val);
            nrows++;
        }
        sqlite3_finalize(q);
        break;
    }
    return nrows;
}

/* The legend's rows for the style layers the options enable, at most LEGEND_MAX_ROWS: per source layer a
 * heading, then enumerated symbols or the layers' own legend titles; returns how many. */
static int legend_rows(struct rctx *rc, const struct gis_style *st, struct legend_row *rows)
{
    int nrows = 0;
    bool done_src[NSRC] = {false};
    const char *last_heading = NULL;
    for (int i = 0; i < gis_style_layer_count(st) && nrows < LEGEND_MAX_ROWS - 2; i++) {
        const struct gis_style_layer *first = gis_style_layer_at(st, i);
        int si = src_find(gis_style_layer_source_layer(first));
        if (si < 0 || done_src[si] || gis_style_layer_type(first) == GIS_STYLE_SYMBOL || !group_enabled(rc->o, first))
            continue;
        done_src[si] = true;
        int start = nrows + 1;
        const char *heading = legend_heading(gis_layer_at(si)->map.name);
        bool new_heading = !last_heading || strcmp(last_heading, heading);
        if (new_heading)
            rows[nrows++] = (struct legend_row){.heading = true, .text = heading, .layer = -1};
        else
            start = nrows;
        /* enumerated rows when a fill layer of this source has no legend title of its own */
        for (int j = i; j < gis_style_layer_count(st); j++) {
            const struct gis_style_layer *l = gis_style_layer_at(st, j);
            if (src_find(gis_style_layer_source_layer(l)) == si && gis_style_layer_type(l) == GIS_STYLE_FILL &&
                !gis_style_layer_legend(l) && group_enabled(rc->o, l)) {
                nrows = legend_enum_rows(rc, st, si, rows, nrows, LEGEND_MAX_ROWS);
                break;
            }
        }
        for (int j = i; j < gis_style_layer_count(st) && nrows < LEGEND_MAX_ROWS; j++) {
            const struct gis_style_layer *l = gis_style_layer_at(st, j);
            if (src_find(gis_style_layer_source_layer(l)) == si && gis_style_layer_legend(l) &&
                group_enabled(rc->o, l) && gis_style_layer_type(l) != GIS_STYLE_SYMBOL)
                rows[nrows++] = (struct legend_row){.text = gis_style_layer_legend(l), .si = si, .layer = j};
        }
        if (nrows < start && new_heading)
            nrows--; /* a heading with nothing under it */
        else if (new_heading)
            last_heading = heading;
    }
    return nrows;
}

enum err_code gis_render_legend(struct gis_store *s, const struct gis_style *st, const char *const *groups, int ngroups,
                                double scale, cairo_surface_t **out, struct err *e)
{
    *out = NULL;
    struct gis_render_opts o = {.crs = GIS_CRS_2180,
                                .width = 1,
                                .height = 1,
                                .scale = scale > 0 ? scale : 1,
                                .groups = groups,
                                .ngroups = ngroups};
    struct gis_render_stats stats = {0};
    /* swatches are drawn at the zoom the map is read at; the legend lists every zoom's layers */
    struct rctx rc = {.o = &o, .st = &stats, .e = e, .scale = o.scale, .zoom = 13, .store = s, .no_filter = false};
    if (!(rc.a = arena_new(16384)))
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct legend_row *rows = arena_alloc(rc.a, sizeof *rows * LEGEND_MAX_ROWS);
    int nrows = 0;
    if (rows)
        nrows = legend_rows(&rc, st, rows);
    if (!rows) {
        arena_free(rc.a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    /* measure */
    double sc = o.scale, pad = 6 * sc, sw = 30 * sc, sh = 16 * sc, gap = 8 * sc, rowh = 20 * sc;
    PangoFontMap *fm = pango_cairo_font_map_get_default();
    PangoContext *pc = pango_font_map_create_context(fm);
    PangoLayout *lay = pango_layout_new(pc);
    PangoFontDescription *fn = font_for("DejaVu Sans", 11 * sc), *fb = font_for("DejaVu Sans Bold", 11 * sc);
    double width = 160 * sc, height = pad * 2;
    for (int i = 0; i < nrows; i++) {
        pango_layout_set_font_description(lay, rows[i].heading ? fb : fn);
        pango_layout_set_text(lay, rows[i].text ? rows[i].text : "", -1);
        int tw, th;
        pango_layout_get_pixel_size(lay, &tw, &th);
        width = fmax(width, pad * 2 + (rows[i].heading ? 0 : sw + gap) + tw + 4 * sc);
        height += rows[i].heading && i > 0 ? rowh + 4 * sc : rowh;
    }
    if (nrows == 0)
        height += rowh;
    int iw = (int)ceil(fmin(width, 2000)), ih = (int)ceil(fmin(height, 4000));
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, iw, ih);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    rc.cr = cr;
    double y = pad;
    for (int i = 0; i < nrows; i++) {
        const struct legend_row *r = &rows[i];
        if (r->heading && i > 0)
            y += 4 * sc;
        if (!r->heading) {
            cairo_save(cr);
            cairo_translate(cr, pad, y + (rowh - sh) / 2);
            o.width = (int)sw, o.height = (int)sh;
            legend_swatch(&rc, st, r, sw, sh);
            cairo_restore(cr);
        }
        pango_layout_set_font_description(lay, r->heading ? fb : fn);
        pango_layout_set_text(lay, r->text ? r->text : "", -1);
        int tw, th;
        pango_layout_get_pixel_size(lay, &tw, &th);
        cairo_move_to(cr, pad + (r->heading ? 0 : sw + gap), y + (rowh - th) / 2);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        pango_cairo_show_layout(cr, lay);
        y += rowh;
    }
    if (nrows == 0) {
        pango_layout_set_font_description(lay, fn);
        pango_layout_set_text(lay, "(brak obiektów)", -1);
        cairo_move_to(cr, pad, pad);
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        pango_cairo_show_layout(cr, lay);
    }
    pango_font_description_free(fn);
    pango_font_description_free(fb);
    g_object_unref(lay);
    g_object_unref(pc);
    enum err_code rcode = ERR_OK;
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rcode = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    free(rc.sc.pts);
    free(rc.sc.off);
    free(rc.sc.shell);
    arena_free(rc.a);
    if (rcode) {
        cairo_surface_destroy(surf);
        return rcode;
    }
    *out = surf;
    return ERR_OK;
}

/* ---- encoding: PNG in gis/png.c, JPEG here ---- */

/* JPEG through GDAL's JPEG driver (libjpeg-turbo) from an in-memory dataset. */
static enum err_code encode_jpeg(cairo_surface_t *s, int quality, struct buf *out, struct err *e)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    GDALDriverH mem = GDALGetDriverByName("MEM"), jpg = GDALGetDriverByName("JPEG");
    if (!mem || !jpg)
        return err_set(e, ERR_INTERNAL, "JPEG: GDAL drivers are not registered");
    GDALDatasetH ds = GDALCreate(mem, "", w, h, 3, GDT_Byte, NULL);
    if (!ds)
        return err_set(e, ERR_INTERNAL, "JPEG: cannot create an in-memory dataset");
    unsigned char *band = malloc((size_t)w * (size_t)h);
    bool ok = band != NULL;
    for (int k = 0; ok && k < 3; k++) {
        for (int y = 0; y < h; y++) {
            const uint32_t *row = (const uint32_t *)(px + (size_t)y * (size_t)stride);
            for (int x = 0; x < w; x++)
                band[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)(row[x] >> (16 - 8 * k));
        }
        ok = GDALRasterIO(GDALGetRasterBand(ds, k + 1), GF_Write, 0, 0, w, h, band, w, h, GDT_Byte, 0, 0) == CE_None;
    }
    free(band);
    char name[96], q[32];
    snprintf(name, sizeof name, "/vsimem/odra-render-%p-%p.jpg", (void *)s, (void *)out);
    snprintf(q, sizeof q, "QUALITY=%d", quality > 0 && quality <= 100 ? quality : 88);
    char *opts[] = {q, NULL};
    GDALDatasetH jds = ok ? GDALCreateCopy(jpg, name, ds, FALSE, opts, NULL, NULL) : NULL;
    GDALClose(ds);
    if (jds)
        GDALClose(jds);
    vsi_l_offset n = 0;
    GByte *data = jds ? VSIGetMemFileBuffer(name, &n, TRUE) : NULL;
    VSIUnlink(name);
    char aux[128];
    snprintf(aux, sizeof aux, "%s.aux.xml", name);
    VSIUnlink(aux);
    if (!data)
        return err_set(e, ERR_INTERNAL, "JPEG: encoding failed");
    buf_append(out, (const char *)data, (size_t)n);
    CPLFree(data);
    return out->failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}

enum err_code gis_render_encode(cairo_surface_t *s, enum gis_render_format fmt, int quality, struct buf *out,
                                struct err *e)
{
    cairo_surface_flush(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_surface_status(s)));
    return fmt == GIS_RENDER_JPEG ? encode_jpeg(s, quality, out, e) : gis_png_encode(s, quality, out, e);
}
