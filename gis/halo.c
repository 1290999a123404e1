/* Label halos on vector output as fills of dilated glyph outlines (gis/halo.h). */
#include "gis/halo.h"

#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gis/geos_ctx.h"

/* What a kept halo is found by: the font (Pango's description, and the size cairo draws it at), the glyph
 * and the halo's width. */
struct halo_key {
    char font[96];
    double matrix[4];
    unsigned long glyph;
    double w;
    double em; /* the size (from matrix) */
};

/* A glyph's halo at the origin: nrings rings, ring i of len[i] points, the points (x, y) one after another. */
struct halo_glyph {
    struct halo_key key;
    int nrings;
    int *len;
    double *xy;
};

#define HALO_SIMPLIFY 0.1   /* how far a halo's outline may stray from the dilated glyph's, in user units */
#define HALO_KEPT_MAX 16384 /* glyphs x sizes x widths; beyond it a halo is made each time, not kept */

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *kept;

static guint key_hash(gconstpointer p)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof(struct halo_key); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct halo_key)) == 0;
}

static void halo_free(struct halo_glyph *h)
{
    if (h) {
        free(h->len);
        free(h->xy);
        free(h);
    }
}

static void halo_free_v(gpointer p)
{
    halo_free(p);
}

unsigned gis_halo_kept(void)
{
    pthread_mutex_lock(&kept_lock);
    unsigned n = kept ? g_hash_table_size(kept) : 0;
    pthread_mutex_unlock(&kept_lock);
    return n;
}

/* The rings of the glyph's outline, flattened, as a GEOS multilinestring (each ring closed); NULL for a
 * glyph with no outline (a space) and on error (*failed then set). */
static GEOSGeometry *outline_rings(GEOSContextHandle_t g, cairo_scaled_font_t *sf, unsigned long glyph, bool *failed)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_scaled_font_get_font_options(sf, fo);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_matrix_t fm;
    cairo_scaled_font_get_font_matrix(sf, &fm);
    cairo_set_font_face(cr, cairo_scaled_font_get_font_face(sf));
    cairo_set_font_matrix(cr, &fm);
    /* flattened to 1/200 of the em (0.04 pt at 8 pt): finer than the eye, and the polygons stay small */
    cairo_set_tolerance(cr, fmax(hypot(fm.xx, fm.yx), hypot(fm.xy, fm.yy)) / 200);
    cairo_glyph_t gl = {.index = glyph, .x = 0, .y = 0};
    cairo_glyph_path(cr, &gl, 1);
    cairo_path_t *p = cairo_copy_path_flat(cr);
    GEOSGeometry **lines = NULL;
    int nlines = 0, cap = 0;
    GEOSCoordSequence *seq = NULL;
    double pts[2 * 512];
    int npts = 0;
    bool ok = p && p->status == CAIRO_STATUS_SUCCESS;
    for (int i = 0; ok && i <= p->num_data; i += i < p->num_data ? p->data[i].header.length : 1) {
        cairo_path_data_t *d = i < p->num_data ? &p->data[i] : NULL;
        bool ends = !d || d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_CLOSE_PATH;
        if (ends && npts >= 3) {
            /* a ring: closed on its first point */
            seq = GEOSCoordSeq_create_r(g, (unsigned)npts + 1, 2);
            for (int k = 0; seq && k <= npts; k++) {
                int j = k % npts;
                GEOSCoordSeq_setXY_r(g, seq, (unsigned)k, pts[2 * j], pts[2 * j + 1]);
            }
            GEOSGeometry *line = seq ? GEOSGeom_createLineString_r(g, seq) : NULL;
            seq = NULL;
            if (!line) {
                ok = false;
                break;
            }
            if (nlines == cap) {
                cap = cap ? 2 * cap : 8;
                GEOSGeometry **more = realloc(lines, (size_t)cap * sizeof *lines);
                if (!more) {
                    GEOSGeom_destroy_r(g, line);
                    ok = false;
                    break;
                }
                lines = more;
            }
            lines[nlines++] = line;
        }
        if (ends)
            npts = 0;
        if (d && (d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_LINE_TO)) {
            if (npts == 512) {
                ok = false; /* not a glyph at label sizes */
                break;
            }
            pts[2 * npts] = d[1].point.x, pts[2 * npts + 1] = d[1].point.y;
            npts++;
        }
    }
    if (p)
        cairo_path_destroy(p);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    GEOSGeometry *multi = NULL;
    if (ok && nlines) {
        multi = GEOSGeom_createCollection_r(g, GEOS_MULTILINESTRING, lines, (unsigned)nlines);
        if (!multi)
            ok = false;
        else
            nlines = 0; /* the collection owns them */
    }
    for (int k = 0; k < nlines; k++)
        GEOSGeom_destroy_r(g, lines[k]);
    free(lines);
    if (!ok)
        *failed = true;
    return multi;
}

/* Appends the rings of polygon poly to h (grown with realloc). */
static bool add_rings(GEOSContextHandle_t g, const GEOSGeometry *poly, struct halo_glyph *h, int *pcap)
{
    int nholes = GEOSGetNumInteriorRings_r(g, poly);
    for (int r = -1; r < nholes; r++) {
        const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(g, poly) : GEOSGetInteriorRingN_r(g, poly, r);
        const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(g, ring) : NULL;
        unsigned n = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(g, cs, &n))
            return false;
        if (n < 4)
            continue;
        n--; /* the closing point: cairo_close_path draws that side */
        int have = 0;
        for (int k = 0; k < h->nrings; k++)
            have += h->len[k];
        int *len = realloc(h->len, (size_t)(h->nrings + 1) * sizeof *len);
        if (!len)
            return false;
        h->len = len;
        if (have + (int)n > *pcap) {
            int cap = 2 * (have + (int)n);
            double *xy = realloc(h->xy, (size_t)cap * 2 * sizeof *xy);
            if (!xy)
                return false;
            h->xy = xy, *pcap = cap;
        }
        for (unsigned k = 0; k < n; k++)
            if (!GEOSCoordSeq_getXY_r(g, cs, k, &h->xy[2 * (have + (int)k)], &h->xy[2 * (have + (int)k) + 1]))
                return false;
        h->len[h->nrings++] = (int)n;
    }
    return true;
}

/* The halo of key's glyph, made now: NULL on error; a glyph with no outline gets one with no rings. */
static struct halo_glyph *halo_make(const struct halo_key *key, cairo_scaled_font_t *sf)
{
    struct err e = {0};
    struct gis_geos *t = gis_geos_get(&e);
    struct halo_glyph *h = calloc(1, sizeof *h);
    if (!t || !h) {
        free(h);
        return NULL;
    }
    h->key = *key;
    GEOSContextHandle_t g = t->ctx;
    bool failed = false;
    GEOSGeometry *rings = outline_rings(g, sf, key->glyph, &failed);
    if (failed) {
        halo_free(h);
        return NULL;
    }
    if (!rings)
        return h;
    GEOSBufferParams *bp = GEOSBufferParams_create_r(g);
    GEOSGeometry *area = NULL;
    if (bp && GEOSBufferParams_setEndCapStyle_r(g, bp, GEOSBUF_CAP_ROUND) &&
        GEOSBufferParams_setJoinStyle_r(g, bp, GEOSBUF_JOIN_ROUND) && GEOSBufferParams_setQuadrantSegments_r(g, bp, 3))
        area = GEOSBufferWithParams_r(g, rings, bp, key->w);
    if (bp)
        GEOSBufferParams_destroy_r(g, bp);
    GEOSGeom_destroy_r(g, rings);
    if (area) {
        /* thinned to within 0.1 unit (a point on documents: 0.035 mm, under a dot of a 600 dpi printer), which
         * halves the points of the flattened curves and the joins' arcs, and with them most of a map's page */
        GEOSGeometry *simple = GEOSTopologyPreserveSimplify_r(g, area, HALO_SIMPLIFY);
        GEOSGeom_destroy_r(g, area);
        area = simple;
    }
    /* shells one way round and holes the other, so that the nonzero rule fills their union */
    bool ok = area && GEOSNormalize_r(g, area) == 0;
    int cap = 0;
    int nparts = ok ? GEOSGetNumGeometries_r(g, area) : 0;
    for (int i = 0; ok && i < nparts; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(g, area, i);
        ok = part && GEOSGeomTypeId_r(g, part) == GEOS_POLYGON && add_rings(g, part, h, &cap);
    }
    if (area)
        GEOSGeom_destroy_r(g, area);
    if (!ok) {
        halo_free(h);
        return NULL;
    }
    return h;
}

/* The kept halo of key, made and kept if new; *owned set when the caller must free it (not kept). */
static struct halo_glyph *halo_get(const struct halo_key *key, cairo_scaled_font_t *sf, bool *owned)
{
    *owned = false;
    pthread_mutex_lock(&kept_lock);
    if (!kept)
        kept = g_hash_table_new_full(key_hash, key_equal, NULL, halo_free_v);
    struct halo_glyph *h = g_hash_table_lookup(kept, key);
    pthread_mutex_unlock(&kept_lock);
    if (h)
        return h;
    h = halo_make(key, sf);
    if (!h)
        return NULL;
    pthread_mutex_lock(&kept_lock);
    struct halo_glyph *there = g_hash_table_lookup(kept, key);
    if (there) {
        halo_free(h);
        h = there;
    } else if (g_hash_table_size(kept) < HALO_KEPT_MAX) {
        g_hash_table_insert(kept, &h->key, h);
    } else {
        *owned = true;
    }
    pthread_mutex_unlock(&kept_lock);
    return h;
}

/* A placed glyph halo. */
struct placed {
    struct halo_glyph *h;
    bool owned;
    double x, y;
};

bool gis_halo_path(cairo_t *cr, PangoLayout *layout, double x, double y, double w)
{
    struct placed *pl = NULL;
    int n = 0, cap = 0;
    bool ok = w > 0;
    PangoLayoutIter *it = ok ? pango_layout_get_iter(layout) : NULL;
    do {
        PangoLayoutRun *run = it ? pango_layout_iter_get_run_readonly(it) : NULL;
        if (!run)
            continue;
        cairo_scaled_font_t *sf = pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(run->item->analysis.font));
        if (!sf || cairo_scaled_font_status(sf)) {
            ok = false;
            break;
        }
        struct halo_key key;
        memset(&key, 0, sizeof key);
        PangoFontDescription *fd = pango_font_describe(run->item->analysis.font);
        char *name = fd ? pango_font_description_to_string(fd) : NULL;
        g_strlcpy(key.font, name ? name : "", sizeof key.font);
        g_free(name);
        if (fd)
            pango_font_description_free(fd);
        cairo_matrix_t fm;
        cairo_scaled_font_get_font_matrix(sf, &fm);
        key.matrix[0] = fm.xx, key.matrix[1] = fm.yx, key.matrix[2] = fm.xy, key.matrix[3] = fm.yy;
        key.em = fmax(hypot(fm.xx, fm.yx), hypot(fm.xy, fm.yy));
        key.w = round(w * 1000) / 1000;
        PangoRectangle logical;
        pango_layout_iter_get_run_extents(it, NULL, &logical);
        double base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
        int gx = logical.x;
        for (int i = 0; ok && i < run->glyphs->num_glyphs; i++) {
            const PangoGlyphInfo *gi = &run->glyphs->glyphs[i];
            double px = x + (double)(gx + gi->geometry.x_offset) / PANGO_SCALE;
            double py = y + base + (double)gi->geometry.y_offset / PANGO_SCALE;
            gx += gi->geometry.width;
            if (gi->glyph & PANGO_GLYPH_UNKNOWN_FLAG || gi->glyph == PANGO_GLYPH_EMPTY)
                continue; /* drawn as a hex box or nothing: no outline of a font glyph */
            key.glyph = gi->glyph;
            bool owned;
            struct halo_glyph *h = halo_get(&key, sf, &owned);
            if (!h) {
                ok = false;
                break;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                struct placed *more = realloc(pl, (size_t)cap * sizeof *pl);
                if (!more) {
                    if (owned)
                        halo_free(h);
                    ok = false;
                    break;
                }
                pl = more;
            }
            pl[n++] = (struct placed){.h = h, .owned = owned, .x = px, .y = py};
        }
    } while (ok && it && pango_layout_iter_next_run(it));
    if (it)
        pango_layout_iter_free(it);
    for (int i = 0; i < n; i++) {
        const struct halo_glyph *h = pl[i].h;
        const double *p = h->xy;
        for (int r = 0; ok && r < h->nrings; r++) {
            cairo_move_to(cr, pl[i].x + p[0], pl[i].y + p[1]);
            for (int k = 1; k < h->len[r]; k++)
                cairo_line_to(cr, pl[i].x + p[2 * k], pl[i].y + p[2 * k + 1]);
            cairo_close_path(cr);
            p += 2 * h->len[r];
        }
        if (pl[i].owned)
            halo_free(pl[i].h);
    }
    free(pl);
    return ok;
}
