/* Plan extracts: the wyrys, sheets of the plan drawing at the plan's own scale with the requested parcels
 * outlined, a legend of what the sheet shows, a scale bar and the title block; in the PDF or as PNG. */
#include "gis/extract_int.h"

#include <cairo-pdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/drawing.h"
#include "gis/print.h"
#include "gis/render.h"
#include "gis/store_sql.h"
#include "gis/wkb.h"
#include "util/log.h"

/* The page and the map frame of each sheet format, in points. Frame sizes are whole points so the
 * renderer's pixel grid and the terrain agree exactly: 1 m at 1:S is 1000/S mm = 72000 / (25.4 S) pt.
 * Below the frame: the legend (9 rows), the scale bar and the footer. */
struct layout {
    double pw, ph; /* page */
    double mx, my; /* frame origin */
    int mw, mh;    /* frame size */
};
static const struct layout layouts[] = {
    [GIS_EXTRACT_A4] = {595.276, 841.890, 42, 124, 511, 500},
    [GIS_EXTRACT_A3_LANDSCAPE] = {1190.551, 841.890, 42, 124, 1106, 520},
    [GIS_EXTRACT_A3_PORTRAIT] = {841.890, 1190.551, 42, 124, 757, 850},
    [GIS_EXTRACT_A4_LANDSCAPE] = {841.890, 595.276, 42, 124, 757, 280},
};
#define NLAYOUTS ((int)(sizeof layouts / sizeof layouts[0]))
static const struct layout *layout_of(enum gis_extract_sheet f)
{
    return &layouts[(int)f >= 0 && (int)f < NLAYOUTS ? (int)f : 0];
}
#define MAP_X (L->mx)
#define MAP_Y (L->my)
#define MAP_W (L->mw)
#define MAP_H (L->mh)
/* Resolution a raster drawing is warped to for the PDF (dots per inch of the printed sheet). */
#define RASTER_DPI 200.0

bool gis_extract_sheet_parse(const char *s, enum gis_extract_sheet *out)
{
    if (!s)
        return false;
    if (!strcasecmp(s, "A4"))
        *out = GIS_EXTRACT_A4;
    else if (!strcasecmp(s, "A3") || !strcasecmp(s, "A3-landscape"))
        *out = GIS_EXTRACT_A3_LANDSCAPE;
    else if (!strcasecmp(s, "A3-portrait"))
        *out = GIS_EXTRACT_A3_PORTRAIT;
    else
        return false;
    return true;
}

const char *gis_extract_sheet_name(enum gis_extract_sheet f)
{
    return f == GIS_EXTRACT_A3_LANDSCAPE   ? "A3-landscape"
           : f == GIS_EXTRACT_A3_PORTRAIT  ? "A3-portrait"
           : f == GIS_EXTRACT_A4_LANDSCAPE ? "A4-landscape"
                                           : "A4";
}

int gis_extract_sheet_parts(enum gis_extract_sheet f)
{
    return f == GIS_EXTRACT_A4 || f == GIS_EXTRACT_A4_LANDSCAPE ? 1 : 2;
}

void gis_extract_sheet_frame(enum gis_extract_sheet f, double *w_mm, double *h_mm)
{
    *w_mm = layout_of(f)->mw / GIS_PDF_MM;
    *h_mm = layout_of(f)->mh / GIS_PDF_MM;
}

void gis_extract_sheet_page_size(enum gis_extract_sheet f, double *w, double *h)
{
    *w = layout_of(f)->pw;
    *h = layout_of(f)->ph;
}
#define OUTLINE_PT (0.6 * GIS_PDF_MM) /* requested parcels: 0.6 mm, red */

static int parcel_plan(const struct gis_extract_doc *d, int pi)
{
    for (int k = 0; k < d->nplans; k++)
        for (int j = 0; j < d->plans[k].nparcels; j++)
            if (d->plans[k].parcels[j].parcel == pi)
                return k;
    return -1;
}

static double sheet_w_m(const struct layout *L, long scale)
{
    return MAP_W / GIS_PDF_MM / 1000.0 * (double)scale;
}

static double sheet_h_m(const struct layout *L, long scale)
{
    return MAP_H / GIS_PDF_MM / 1000.0 * (double)scale;
}

/* Paper left around a parcel that fills the frame, in mm: the outline's half width and a little more. */
#define EDGE_MM 1.0

/* Groups parcels onto sheets: a parcel joins a sheet of the same plan if their common extent, with a
 * margin, still fits the map frame at the plan's scale. A parcel alone gets one sheet whenever it fits the
 * frame with EDGE_MM of paper around it (the margin shrinks, the scale never changes); only a parcel larger
 * than that gets a grid of sheets. */
int gis_extract_sheets_make(const struct gis_extract_doc *d, enum gis_extract_sheet f, struct gis_extract_sheet_at *out,
                            int max)
{
    const struct layout *L = layout_of(f);
    struct cluster {
        double bb[4];
        long scale;
        int plan;
    } cl[GIS_EXTRACT_MAX_SHEETS];
    int ncl = 0, n = 0;
    for (int i = 0; i < d->nparcels; i++) {
        int pl = parcel_plan(d, i);
        if (pl < 0)
            continue;
        long scale = d->plans[pl].ref.scale > 0 ? d->plans[pl].ref.scale : 1000;
        double w = sheet_w_m(L, scale), h = sheet_h_m(L, scale), margin = 0.08 * fmin(w, h);
        double edge = EDGE_MM / 1000.0 * (double)scale;
        const double *bb = d->parcels[i].p->bbox;
        double bw = bb[2] - bb[0], bh = bb[3] - bb[1];
        if (bw + 2 * edge > w || bh + 2 * edge > h) {
            double sw = w - 2 * margin, shh = h - 2 * margin;
            int nx = (int)ceil(bw / sw), ny = (int)ceil(bh / shh);
            for (int yy = ny - 1; yy >= 0; yy--)
                for (int xx = 0; xx < nx && n < max; xx++)
                    out[n++] = (struct gis_extract_sheet_at){.cx = bb[0] + bw / 2 + (xx - (nx - 1) / 2.0) * sw,
                                                             .cy = bb[1] + bh / 2 + (yy - (ny - 1) / 2.0) * shh,
                                                             .scale = scale,
                                                             .plan = pl};
            continue;
        }
        bool joined = false;
        for (int k = 0; k < ncl && !joined; k++) {
            if (cl[k].plan != pl)
                continue;
            double u[4] = {fmin(cl[k].bb[0], bb[0]), fmin(cl[k].bb[1], bb[1]), fmax(cl[k].bb[2], bb[2]),
                           fmax(cl[k].bb[3], bb[3])};
            if (u[2] - u[0] + 2 * margin <= w && u[3] - u[1] + 2 * margin <= h) {
                memcpy(cl[k].bb, u, sizeof u);
                joined = true;
            }
        }
        if (!joined && ncl < GIS_EXTRACT_MAX_SHEETS)
            cl[ncl++] = (struct cluster){{bb[0], bb[1], bb[2], bb[3]}, scale, pl};
    }
    for (int k = 0; k < ncl && n < max; k++)
        out[n++] = (struct gis_extract_sheet_at){.cx = (cl[k].bb[0] + cl[k].bb[2]) / 2,
                                                 .cy = (cl[k].bb[1] + cl[k].bb[3]) / 2,
                                                 .scale = cl[k].scale,
                                                 .plan = cl[k].plan};
    return n;
}

int gis_extract_sheet_count(const struct gis_extract_doc *doc)
{
    static __thread struct gis_extract_sheet_at sh[GIS_EXTRACT_MAX_SHEETS];
    return gis_extract_sheets_make(doc, GIS_EXTRACT_A4, sh, GIS_EXTRACT_MAX_SHEETS);
}

int gis_extract_sheet_count_fmt(const struct gis_extract_doc *doc, enum gis_extract_sheet f)
{
    static __thread struct gis_extract_sheet_at sh[GIS_EXTRACT_MAX_SHEETS];
    return gis_extract_sheets_make(doc, f, sh, GIS_EXTRACT_MAX_SHEETS);
}

/* Adds the rings of an ISO WKB (multi)polygon to the path, mapping EPSG:2180 to the frame: a walk over
 * the WKB (gis_wkb_walk) that moves to each ring's first point and closes it after its last. */
struct path_ctx {
    cairo_t *cr;
    const double *bbox;
    double sx, sy;
    uint32_t n, i; /* points of the current ring, and how many are drawn */
};

static bool path_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct path_ctx *pc = ctx;
    (void)shell;
    pc->n = n, pc->i = 0;
    return kind == 3; /* polygons only */
}

static bool path_point(void *ctx, double x, double y)
{
    struct path_ctx *pc = ctx;
    double px = (x - pc->bbox[0]) * pc->sx, py = (pc->bbox[3] - y) * pc->sy;
    if (pc->i++ == 0)
        cairo_move_to(pc->cr, px, py);
    else
        cairo_line_to(pc->cr, px, py);
    if (pc->i == pc->n)
        cairo_close_path(pc->cr);
    return true;
}

static bool wkb_path(cairo_t *cr, const unsigned char *wkb, size_t len, const double bbox[4], double sx, double sy)
{
    static const struct gis_wkb_visitor v = {path_part, path_point};
    struct path_ctx pc = {.cr = cr, .bbox = bbox, .sx = sx, .sy = sy};
    return gis_wkb_walk(wkb, len, &v, &pc);
}

static const struct gis_style_layer *style_layer(const struct gis_style *st, const char *id)
{
    for (int i = 0; st && i < gis_style_layer_count(st); i++)
        if (!strcmp(gis_style_layer_id(gis_style_layer_at(st, i)), id))
            return gis_style_layer_at(st, i);
    return NULL;
}

/* The fill colour a style layer gives a feature with these properties. */
static bool style_fill(const struct gis_style *st, const char *layer, const char *key, const char *val, double zoom,
                       struct arena *a, struct gis_style_color *out)
{
    const struct gis_style_layer *l = style_layer(st, layer);
    if (!l)
        return false;
    const char *keys[] = {key};
    struct gis_style_value vals[] = {{.type = GIS_STYLE_STRING, .s = val}};
    struct gis_style_feature f = {.keys = keys, .vals = vals, .n = 1, .geom_type = 3};
    struct gis_style_ctx ctx = {.zoom = zoom, .f = &f, .a = a};
    *out = gis_style_color(l, GIS_P_FILL_COLOR, &ctx);
    double op = gis_style_number(l, GIS_P_FILL_OPACITY, &ctx);
    if (op > 0 && op < 1)
        out->a *= op;
    return true;
}

struct legend_item {
    int kind; /* 0 fill, 1 requested outline, 2 thin line, 3 dashed boundary, 4 styled line, 5 point, 6 hatch */
    struct gis_style_color c;
    struct gis_style_color line; /* kind 6: the outline; c is the hatch, angle its angle, width its spacing */
    double angle;
    const char *text;
    double width;   /* kind 4: line width in style pixels */
    double dash[4]; /* kind 4: dash pattern in line widths; ndash 0: solid */
    int ndash;
};

/* The line (or, for points, circle) a plan-lines style layer draws for a feature of this kind. */
static bool style_line(const struct gis_style *st, const char *kind, bool point, double zoom, struct arena *a,
                       struct legend_item *it)
{
    const struct gis_style_layer *l =
        style_layer(st, point ? "plan-line-points" : arena_printf(a, "plan-line-%s", kind));
    if (!l)
        return false;
    const char *keys[] = {"kind"};
    struct gis_style_value vals[] = {{.type = GIS_STYLE_STRING, .s = kind}};
    struct gis_style_feature f = {.keys = keys, .vals = vals, .n = 1, .geom_type = point ? 1 : 2};
    struct gis_style_ctx ctx = {.zoom = zoom, .f = &f, .a = a};
    it->kind = point ? 5 : 4;
    if (point) {
        it->c = gis_style_color(l, GIS_P_CIRCLE_COLOR, &ctx);
        return true;
    }
    it->c = gis_style_color(l, GIS_P_LINE_COLOR, &ctx);
    it->c.a *= gis_style_number(l, GIS_P_LINE_OPACITY, &ctx);
    it->width = gis_style_number(l, GIS_P_LINE_WIDTH, &ctx);
    struct gis_style_value dv = gis_style_eval(l, GIS_P_LINE_DASHARRAY, &ctx);
    for (int k = 0; dv.type == GIS_STYLE_ARRAY && k < dv.a.n && k < 4; k++)
        it->dash[it->ndash++] = dv.a.v[k].n;
    return true;
}

/* Legend rows only of the plans in force on the sheet's date (?5), as the map draws them. */
#define LEGEND_IN_FORCE "AND plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL("p", "?5") ")"

static int legend_query(struct gis_store *s, struct arena *a, const struct gis_style *st, double zoom,
                        const double bb[4], const char *as_of, const char *sql, const char *layer_prefix, bool per_kind,
                        struct legend_item *items, int n, int max)
{
    sqlite3_stmt *q;
    struct err le = {0};
    if (!(q = gis_store_cached(s, sql, &le)))
        return n;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(q, i + 1, bb[i]);
    sqlite3_bind_text(q, 5, as_of, -1, SQLITE_STATIC);
    while (n < max && sqlite3_step(q) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *label = (const char *)sqlite3_column_text(q, 2);
        if (!key)
            continue;
        struct legend_item it = {.kind = 0};
        const char *layer = per_kind ? arena_printf(a, "%s%s", layer_prefix, key) : layer_prefix;
        if (!style_fill(st, layer, per_kind ? "kind" : "symbol", key, zoom, a, &it.c))
            it.c = (struct gis_style_color){0.8, 0.8, 0.8, 1};
        it.text = arena_printf(a, "%s — %s", per_kind ? (label ? label : key) : key, name ? name : "");
        items[n++] = it;
    }
    gis_store_release(q);
    return n;
}

/* Legend rows of the plan-drawing lines and points on the sheet, one per kind (and geometry: a kind drawn
 * both as lines and as points gets two rows), in the code list's order, with the code list's Polish name. */
static int legend_lines(struct gis_store *s, struct arena *a, const struct gis_style *st, double zoom,
                        const double bb[4], const char *as_of, struct legend_item *items, int n, int max)
{
    sqlite3_stmt *q;
    struct err le = {0};
    if (!(q = gis_store_cached(
              s,
              "SELECT t.kind, k.label, max(GeometryType(t.geom) LIKE '%POINT%') FROM plan_lines t JOIN "
              "plan_line_kinds k ON k.code = t.kind WHERE t.id IN (SELECT pkid FROM "
              "idx_plan_lines_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
              "ST_Intersects(" GIS_PLAN_PART_GEOM_SQL(
                  "t",
                  "?5") ", BuildMbr(?1, ?2, ?3, ?4, 2180)) "
                        "AND t.plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL(
                            "p",
                            "?5") ") "
                                  "GROUP BY t.kind, GeometryType(t.geom) LIKE '%POINT%' ORDER BY min(k.ord), t.kind",
              &le)))
        return n;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(q, i + 1, bb[i]);
    sqlite3_bind_text(q, 5, as_of, -1, SQLITE_STATIC);
    while (n < max && sqlite3_step(q) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(q, 0), *label = (const char *)sqlite3_column_text(q, 1);
        struct legend_item it = {.kind = 2};
        if (!kind || !label)
            continue;
        if (!style_line(st, kind, sqlite3_column_int(q, 2) != 0, zoom, a, &it))
            it.c = (struct gis_style_color){0.2, 0.2, 0.2, 1};
        it.text = arena_strdup(a, label);
        items[n++] = it;
    }
    gis_store_release(q);
    return n;
}

/* The legend row of the obszary uzupełnienia zabudowy where the sheet shows one, hatched and outlined as
 * the style's pog-ouz layers draw them. */
static int legend_ouz(struct gis_store *s, struct arena *a, const struct gis_style *st, const double bb[4],
                      const char *as_of, struct legend_item *items, int n, int max)
{
    sqlite3_stmt *q;
    struct err le = {0};
    if (n >= max || !(q = gis_store_cached(
                          s,
                          "SELECT 1 FROM pog_ouz WHERE id IN (SELECT pkid FROM idx_pog_ouz_geom WHERE xmax >= ?1 AND "
                          "xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND ST_Intersects(" GIS_PLAN_PART_GEOM_SQL(
                              "pog_ouz", "?5") ", BuildMbr(?1, ?2, ?3, ?4, 2180)) " LEGEND_IN_FORCE " LIMIT 1",
                          &le)))
        return n;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(q, i + 1, bb[i]);
    sqlite3_bind_text(q, 5, as_of, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        struct legend_item it = {.kind = 6,
                                 .c = {0.48, 0.23, 0.55, 0.6},
                                 .line = {0.48, 0.23, 0.55, 1},
                                 .angle = -45,
                                 .width = 7,
                                 .text = "obszar uzupełnienia zabudowy"};
        const struct gis_style_layer *f = style_layer(st, "pog-ouz-fill"), *o = style_layer(st, "pog-ouz-outline");
        const struct gis_style_hatch *h = f ? gis_style_layer_hatch(f) : NULL;
        if (h && h->on) {
            it.angle = h->angle, it.width = h->spacing;
            if (h->has_color)
                it.c = h->color;
        }
        if (f && gis_style_layer_legend(f))
            it.text = gis_style_layer_legend(f);
        if (o) {
            struct gis_style_feature feat = {.geom_type = 3};
            struct gis_style_ctx ctx = {.zoom = 16, .f = &feat, .a = a};
            it.line = gis_style_color(o, GIS_P_LINE_COLOR, &ctx);
        }
        items[n++] = it;
    }
    gis_store_release(q);
    return n;
}

/* A hatched legend swatch (kind 6) in the box x, y, 16 x 7.5. */
static void legend_hatch(cairo_t *cr, const struct legend_item *it, double x, double y)
{
    cairo_save(cr);
    cairo_rectangle(cr, x, y, 16, 7.5);
    cairo_clip(cr);
    double th = it->angle * M_PI / 180, dx = cos(th), dy = -sin(th), step = fmax(it->width * 0.75 * 0.6, 2);
    cairo_set_source_rgba(cr, it->c.r, it->c.g, it->c.b, it->c.a > 0 ? it->c.a : 1);
    cairo_set_line_width(cr, 0.5);
    for (double k = -20; k <= 20; k += step) {
        double cx = x + 8 - dy * k, cy = y + 3.75 + dx * k; /* along the normal, then the line through it */
        cairo_move_to(cr, cx - dx * 20, cy - dy * 20);
        cairo_line_to(cr, cx + dx * 20, cy + dy * 20);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
    cairo_save(cr);
    double dash[] = {2.5, 1, 0.5, 1};
    cairo_set_dash(cr, dash, 4, 0);
    cairo_set_source_rgba(cr, it->line.r, it->line.g, it->line.b, it->line.a > 0 ? it->line.a : 1);
    cairo_set_line_width(cr, 0.9);
    cairo_rectangle(cr, x + 0.5, y + 0.5, 15, 6.5);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void north_arrow(cairo_t *cr, double x, double y)
{
    cairo_save(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_arc(cr, x, y, 15, 0, 2 * M_PI);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x, y - 12);
    cairo_line_to(cr, x + 6, y + 9);
    cairo_line_to(cr, x, y + 5);
    cairo_close_path(cr);
    cairo_fill(cr);
    cairo_move_to(cr, x, y - 12);
    cairo_line_to(cr, x - 6, y + 9);
    cairo_line_to(cr, x, y + 5);
    cairo_close_path(cr);
    cairo_set_line_width(cr, 0.7);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* One sheet being drawn: what its steps share. */
struct sheet_ctx {
    struct gis_pdf *t;
    const struct gis_extract_meta *m;
    const struct gis_extract_plan *pl;
    const struct layout *L;
    const struct gis_extract_sheet_at *sh;
    const struct gis_extract_doc *d; /* its as_of: the plans drawn are those in force on it */
    bool pog;
    bool last;                     /* the document's last page: it carries the seal mark */
    const struct gis_print *print; /* a planner's map print (gis/print.c), NULL for a wyrys sheet */
    double bbox[4];                /* the frame in EPSG:2180 */
    /* the plan's raster drawing under the frame (sheet_base), NULL when the sheet is drawn from the
     * vectors: rw x rh is the frame's raster at RASTER_DPI, base_m maps it to the base's pixels */
    cairo_surface_t *base;
    cairo_matrix_t base_m;
    int rw, rh;
};

/* Width of the seal mark at the right of the legend on the last sheet. */
#define MARK_W 200.0

/* The title block above the frame: the document, the plan, the organ, case, date, sheet and scale. */
static void sheet_title(const struct sheet_ctx *g, int k, int n)
{
    struct gis_pdf *t = g->t;
    const struct gis_extract_meta *m = g->m;
    const struct gis_extract_plan *pl = g->pl;
    const struct layout *L = g->L;
    bool pog = g->pog;
    const struct gis_extract_sheet_at *sh = g->sh;
    /* title block */
    PangoLayout *l =
        gis_pdf_layout(t,
                       gis_pdf_markup(t, "<b>WYRYS%s</b>\n%s", g->d->archival ? " Z PLANU ARCHIWALNEGO" : "",
                                      pog ? "z rysunku planu ogólnego gminy"
                                          : "z rysunku miejscowego planu zagospodarowania przestrzennego"),
                       "DejaVu Sans 10", 330, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "H1");
    gis_pdf_show(t, l, MAP_X, 34);
    gis_pdf_tag_end(t);
    double y = 34 + gis_pdf_height(l) + 3;
    g_object_unref(l);
    l = gis_pdf_layout(
        t,
        gis_pdf_markup(t, "<b>%s</b>\n%s%s%s\n<i>%s</i>", pl->ref.title ? pl->ref.title : "",
                       pl->ref.resolution ? pl->ref.resolution : "", pl->ref.publication ? ", " : "",
                       pl->ref.publication ? pl->ref.publication : "",
                       g->base ? "Wyrys z rysunku planu." : "Wyrys sporządzony na podstawie danych wektorowych planu."),
        "DejaVu Sans 7.5", 340, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, MAP_X, y);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t,
                                      "%s\nZnak sprawy: <b>%s</b>\nData: %s\nStan na dzień: %s\nArkusz %d z %d\n"
                                      "Skala <b>1:%ld</b>",
                                      m->organ ? m->organ : "", m->case_number, gis_extract_date_pl(t->a, m->date),
                                      gis_extract_date_pl(t->a, g->d->as_of), k + 1, n, sh->scale),
                       "DejaVu Sans 8", MAP_W - 350, PANGO_ALIGN_RIGHT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, MAP_X + 350, 34);
    gis_pdf_tag_end(t);
    g_object_unref(l);
}

/* The plan's raster drawing under the frame, or NULL: the scan's own pixels placed by *base_m (warped only
 * where that cannot be done); rw x rh is the frame's raster at RASTER_DPI. In a PDF it is embedded as JPEG. */
static cairo_surface_t *sheet_base(const struct sheet_ctx *g, struct gis_store *s, int rw, int rh,
                                   cairo_matrix_t *base_m)
{
    cairo_t *cr = g->t->cr;
    const struct gis_extract_plan *pl = g->pl;
    bool pog = g->pog;
    const double *bbox = g->bbox;
    cairo_surface_t *base = NULL;
    if (!pog) {
        struct gis_drawing dr;
        struct err de = {0};
        if (gis_drawing_get(s, pl->ref.id, &dr, &de) == ERR_OK) {
            enum err_code wr = gis_drawing_window(&dr, bbox, rw, rh, &base, base_m, &de);
            if (wr == ERR_UNPROCESSABLE) {
                err_clear(&de);
                wr = gis_drawing_warp(&dr, bbox, rw, rh, &base, &de);
                if (!wr)
                    cairo_matrix_init_scale(base_m, cairo_image_surface_get_width(base) / (double)rw,
                                            cairo_image_surface_get_height(base) / (double)rh);
            }
            if (!wr) {
                /* the PDF embeds it as JPEG: a scan compresses far better so than with Flate */
                struct buf jpg = {0};
                if (cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_PDF &&
                    gis_render_encode(base, GIS_RENDER_JPEG, 85, &jpg, &de) == ERR_OK && !jpg.failed) {
                    if (cairo_surface_set_mime_data(base, CAIRO_MIME_TYPE_JPEG, (unsigned char *)jpg.data, jpg.len,
                                                    free, jpg.data) == CAIRO_STATUS_SUCCESS)
                        jpg.data = NULL;
                }
                buf_free(&jpg);
            } else if (wr != ERR_NOT_FOUND)
                log_warn("plan %ld: raster drawing %ld not used: %s", pl->ref.id, dr.id, de.msg);
            gis_drawing_free(&dr);
        }
    }
    return base;
}

/* The map: the plan drawing (rendered, or the raster drawing with the parcels over it), the requested
 * parcels outlined in red, the north arrow and the frame; *zoom is the render's zoom for the legend. */
static enum err_code sheet_map(const struct sheet_ctx *g, struct gis_store *s, const struct gis_extract_doc *d,
                               double *zoom, struct err *e)
{
    cairo_t *cr = g->t->cr;
    struct gis_pdf *t = g->t;
    const struct gis_extract_meta *m = g->m;
    const struct layout *L = g->L;
    bool pog = g->pog;
    const double *bbox = g->bbox;
    const struct gis_extract_sheet_at *sh = g->sh;
    double wm = sheet_w_m(L, sh->scale), hm = sheet_h_m(L, sh->scale);
    double sx = MAP_W / wm, sy = MAP_H / hm;
    /* the map */
    static const char *const g_mpzp[] = {"landcover", "mpzp",    "mpzp-lines", "overlays", "plan-lines",
                                         "buildings", "parcels", "plans",      "streets"};
    static const char *const g_pog[] = {"landcover", "pog", "pog-ouz", "pog-labels", "buildings", "parcels", "streets"};
    /* a planner's print may leave out some of the layers (gis_print.omit) */
    const char *kept[9];
    int nkept = 0;
    const char *const *all = pog ? g_pog : g_mpzp;
    for (int i = 0; i < (pog ? 7 : 9); i++)
        if (!g->print || !(g->print->omit & gis_print_omit_bit(all[i])))
            kept[nkept++] = all[i];
    struct gis_render_opts o = {.crs = GIS_CRS_2180,
                                .bbox = {bbox[0], bbox[1], bbox[2], bbox[3]},
                                .width = MAP_W,
                                .height = MAP_H,
                                .scale = 0.75, /* style pixels are 1/96 in, PDF units 1/72 in */
                                .groups = kept,
                                .ngroups = nkept,
                                .labels_inside = true,
                                .date = d->as_of,
                                .first_layer = "parcels",
                                .boxes_out = m->probe ? &m->probe->boxes : NULL};
    /* the requested parcels' numbers come first; no other label crosses their outlines */
    struct gis_render_first *first = arena_alloc(t->a, sizeof *first * (size_t)(d->nparcels ? d->nparcels : 1));
    for (int i = 0; first && i < d->nparcels; i++) {
        const struct gis_parcel *p = d->parcels[i].p;
        if (p->bbox[2] < bbox[0] || p->bbox[0] > bbox[2] || p->bbox[3] < bbox[1] || p->bbox[1] > bbox[3])
            continue;
        first[o.nfirst++] = (struct gis_render_first){p->id, p->number, p->wkb, p->wkb_len};
    }
    o.first = first;
    if (m->probe) {
        memcpy(m->probe->bbox, bbox, sizeof m->probe->bbox);
        const double fr[4] = {MAP_X, MAP_Y, MAP_W, MAP_H};
        memcpy(m->probe->frame, fr, sizeof fr);
    }
    struct gis_render_stats stats = {0};
    /* A plan with a raster drawing: the drawing is the base, with the parcels (lines and numbers) drawn
     * over it; zone labels and symbols are those of the drawing itself. The base is the scan's own pixels
     * under the frame, placed by a matrix (warped only where that cannot be done): rw x rh is the frame's
     * raster at RASTER_DPI, and base_m maps it to the base's pixels. */
    cairo_surface_t *base = g->base;
    const cairo_matrix_t base_m = g->base_m;
    int rw = g->rw, rh = g->rh;
    static const char *const g_over[] = {"parcels"};
    if (base) {
        o.groups = g_over;
        o.ngroups = 1;
        o.transparent = true;
    }
    gis_pdf_tag_begin(t, "Figure");
    cairo_save(cr);
    cairo_translate(cr, MAP_X, MAP_Y);
    cairo_rectangle(cr, 0, 0, MAP_W, MAP_H);
    cairo_clip(cr);
    if (base) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, 1, 1, 1); /* paper where the drawing does not reach */
        cairo_paint(cr);
        cairo_scale(cr, MAP_W / (double)rw, MAP_H / (double)rh);
        cairo_set_source_surface(cr, base, 0, 0);
        cairo_pattern_set_matrix(cairo_get_source(cr), &base_m);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
        cairo_restore(cr);
    }
    enum err_code rc = m->style ? gis_render_map(cr, s, m->style, &o, &stats, e) : ERR_OK;
    if (!rc) {
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        for (int i = 0; i < d->nparcels; i++) {
            const struct gis_parcel *p = d->parcels[i].p;
            if (p->bbox[2] < bbox[0] || p->bbox[0] > bbox[2] || p->bbox[3] < bbox[1] || p->bbox[1] > bbox[3])
                continue;
            cairo_new_path(cr);
            if (!wkb_path(cr, p->wkb, p->wkb_len, bbox, sx, sy))
                continue;
            cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
            cairo_set_line_width(cr, OUTLINE_PT + 1.6);
            cairo_stroke_preserve(cr);
            cairo_set_source_rgb(cr, 0.86, 0.0, 0.0);
            cairo_set_line_width(cr, OUTLINE_PT);
            cairo_stroke(cr);
        }
        north_arrow(cr, MAP_W - 22, 22);
    }
    cairo_restore(cr);
    gis_pdf_tag_end(t);
    if (rc)
        return rc;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, MAP_X, MAP_Y, MAP_W, MAP_H);
    cairo_stroke(cr);
    cairo_restore(cr);
    *zoom = stats.zoom;
    return ERR_OK;
}

/* The legend under the frame, only what this sheet shows; returns the y of the scale bar below it. */
static double sheet_legend(const struct sheet_ctx *g, struct gis_store *s, double zoom)
{
    cairo_t *cr = g->t->cr;
    struct gis_pdf *t = g->t;
    const struct layout *L = g->L;
    PangoLayout *l;
    /* legend: only what this sheet shows */
    struct legend_item items[40];
    int ni = 0;
    if (!g->print || g->d->nparcels)
        items[ni++] = (struct legend_item){
            .kind = 1, .text = g->print ? "działki wskazane na wydruku" : "działki objęte wypisem i wyrysem"};
    if (!g->print || !(g->print->omit & GIS_PRINT_OMIT_PARCELS))
        items[ni++] = (struct legend_item){.kind = 2, .text = "granice działek ewidencyjnych"};
    if (!g->pog)
        items[ni++] = (struct legend_item){.kind = 3, .text = "granica obszaru objętego planem"};
    if (g->pog)
        ni = legend_query(s, t->a, g->m->style, zoom, g->bbox, g->d->as_of,
                          "SELECT symbol, min(name), NULL FROM pog_zones WHERE id IN (SELECT pkid FROM "
                          "idx_pog_zones_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 2180)) " LEGEND_IN_FORCE
                          " GROUP BY symbol ORDER BY symbol",
                          "pog-fill", false, items, ni, 36);
    if (g->pog)
        ni = legend_ouz(s, t->a, g->m->style, g->bbox, g->d->as_of, items, ni, 36);
    else {
        ni = legend_query(s, t->a, g->m->style, zoom, g->bbox, g->d->as_of,
                          "SELECT symbol, min(name), NULL FROM plan_zones WHERE id IN (SELECT pkid FROM "
                          "idx_plan_zones_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(" GIS_PLAN_PART_GEOM_SQL(
                              "plan_zones", "?5") ", BuildMbr(?1, ?2, ?3, ?4, 2180)) " LEGEND_IN_FORCE
                                                  " GROUP BY symbol ORDER BY symbol",
                          "mpzp-fill", false, items, ni, 36);
        ni = legend_query(s, t->a, g->m->style, zoom, g->bbox, g->d->as_of,
                          "SELECT kind, min(name), min(label) FROM overlays WHERE id IN (SELECT pkid FROM "
                          "idx_overlays_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(" GIS_PLAN_PART_GEOM_SQL(
                              "overlays", "?5") ", BuildMbr(?1, ?2, ?3, ?4, 2180)) " LEGEND_IN_FORCE
                                                " GROUP BY kind ORDER BY kind",
                          "overlay-", true, items, ni, 36);
        ni = legend_lines(s, t->a, g->m->style, zoom, g->bbox, g->d->as_of, items, ni, 36);
    }
    double ly = MAP_Y + MAP_H + 8;
    l = gis_pdf_layout(
        t,
        g->base ? "<b>Legenda</b> (elementy widoczne na arkuszu; podkład: rysunek planu, raster georeferencyjny)"
                : "<b>Legenda</b> (elementy widoczne na arkuszu)",
        "DejaVu Sans 7.5", MAP_W, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "H2");
    gis_pdf_show(t, l, MAP_X, ly);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    ly += 13;
    const int per_col = 9, ncols = ni <= 2 * per_col ? 2 : 3;
    const double colw = (MAP_W - (MARK_W + 10)) / (double)ncols, rowh = 11;
    gis_pdf_tag_begin(t, "L");
    for (int i = 0; i < ni && i < per_col * ncols; i++) {
        double x = MAP_X + (i / per_col) * colw, yy = ly + (i % per_col) * rowh;
        cairo_save(cr);
        cairo_rectangle(cr, x, yy + 1, 16, 7.5);
        if (items[i].kind == 6) {
            cairo_new_path(cr);
            legend_hatch(cr, &items[i], x, yy + 1);
        } else if (items[i].kind == 0) {
            struct gis_style_color c = items[i].c;
            cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a > 0 ? c.a : 1);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            cairo_set_line_width(cr, 0.4);
            cairo_stroke(cr);
        } else {
            cairo_new_path(cr);
            if (items[i].kind == 1) {
                cairo_rectangle(cr, x + 1, yy + 1.5, 14, 6.5);
                cairo_set_source_rgb(cr, 0.86, 0, 0);
                cairo_set_line_width(cr, OUTLINE_PT);
            } else if (items[i].kind == 5) {
                cairo_arc(cr, x + 8, yy + 4.75, 3, 0, 2 * M_PI);
                struct gis_style_color c = items[i].c;
                cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a > 0 ? c.a : 1);
                cairo_fill(cr);
            } else if (items[i].kind == 4) {
                /* as the map draws it: style pixels are 0.75 pt, dashes are in line widths */
                double w = fmax(items[i].width * 0.75, 0.3), dash[4];
                for (int k = 0; k < items[i].ndash; k++)
                    dash[k] = items[i].dash[k] * fmax(w, 0.75);
                cairo_move_to(cr, x, yy + 4.75);
                cairo_line_to(cr, x + 16, yy + 4.75);
                struct gis_style_color c = items[i].c;
                cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a > 0 ? c.a : 1);
                cairo_set_line_width(cr, w);
                cairo_set_line_cap(cr, items[i].ndash && items[i].dash[0] == 0 ? CAIRO_LINE_CAP_ROUND
                                                                               : CAIRO_LINE_CAP_BUTT);
                if (items[i].ndash)
                    cairo_set_dash(cr, dash, items[i].ndash, 0);
            } else {
                cairo_move_to(cr, x, yy + 4.75);
                cairo_line_to(cr, x + 16, yy + 4.75);
                cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
                cairo_set_line_width(cr, items[i].kind == 2 ? 0.5 : 1.2);
                if (items[i].kind == 3) {
                    double dash[] = {4, 2};
                    cairo_set_dash(cr, dash, 2, 0);
                }
            }
            cairo_stroke(cr);
        }
        cairo_restore(cr);
        l = gis_pdf_layout_wrap(t, gis_pdf_markup(t, "%s", items[i].text), "DejaVu Sans 6.3", colw - 24,
                                PANGO_ALIGN_LEFT, false, PANGO_WRAP_WORD_CHAR, PANGO_ELLIPSIZE_END);
        gis_pdf_tag_begin(t, "LI");
        gis_pdf_show(t, l, x + 20, yy);
        gis_pdf_tag_end(t);
        g_object_unref(l);
    }
    gis_pdf_tag_end(t);
    return ly + per_col * rowh + 14;
}

/* The scale bar at y by and the numeric scale beside it. */
static void sheet_scale_bar(const struct sheet_ctx *g, double by)
{
    cairo_t *cr = g->t->cr;
    struct gis_pdf *t = g->t;
    const struct layout *L = g->L;
    const struct gis_extract_sheet_at *sh = g->sh;
    PangoLayout *l;
    /* numeric scale and scale bar: the longest round length not above 100 mm */
    static const double lens[] = {10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000};
    double bar_m = lens[0];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        if (lens[i] * 1000.0 / (double)sh->scale <= 100.0 + 1e-9)
            bar_m = lens[i];
    double bar_pt = bar_m * 1000.0 / (double)sh->scale * GIS_PDF_MM, bx = MAP_X;
    gis_pdf_tag_begin(t, "Figure");
    cairo_save(cr);
    cairo_set_line_width(cr, 0.5);
    for (int i = 0; i < 5; i++) {
        cairo_rectangle(cr, bx + i * bar_pt / 5, by, bar_pt / 5, 4);
        cairo_set_source_rgb(cr, i % 2 ? 1 : 0, i % 2 ? 1 : 0, i % 2 ? 1 : 0);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    for (int i = 0; i <= 5; i += 5) {
        l = gis_pdf_layout(t, gis_pdf_markup(t, "%s", i ? arena_printf(t->a, "%g m", bar_m) : "0"), "DejaVu Sans 6.5",
                           60, PANGO_ALIGN_CENTER, false);
        gis_pdf_show(t, l, bx + i * bar_pt / 5 - 30, by - 10);
        g_object_unref(l);
    }
    gis_pdf_tag_end(t);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t, "Skala 1:%ld  (%g m w terenie = %g mm na wydruku %s w skali 100%%)", sh->scale,
                                      bar_m, bar_m * 1000.0 / (double)sh->scale,
                                      g->print && gis_extract_sheet_parts(g->print->paper) == 2 ? "A3" : "A4"),
                       "DejaVu Sans 7", MAP_W - MARK_W - 10, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, bx, by + 7);
    gis_pdf_tag_end(t);
    g_object_unref(l);
}

/* The footer: what the wyrys belongs to, and the sheet number. */
static void sheet_footer(const struct sheet_ctx *g, int k, int n)
{
    cairo_t *cr = g->t->cr;
    struct gis_pdf *t = g->t;
    const struct gis_extract_meta *m = g->m;
    const struct layout *L = g->L;
    PangoLayout *l;
    /* footer */
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 0.4);
    cairo_move_to(cr, MAP_X, L->ph - 32);
    cairo_line_to(cr, MAP_X + MAP_W, L->ph - 32);
    cairo_stroke(cr);
    if (g->print) { /* the frame's corners in PL-1992, so the sheet can be placed again */
        l = gis_pdf_layout(t,
                           gis_pdf_markup(t,
                                          "Ramka mapy w układzie PL-1992 (EPSG:2180): x od %.1f do %.1f, y od %.1f "
                                          "do %.1f",
                                          g->bbox[0], g->bbox[2], g->bbox[1], g->bbox[3]),
                           "DejaVu Sans 7", MAP_W, PANGO_ALIGN_LEFT, false);
        gis_pdf_tag_begin(t, "P");
        gis_pdf_show(t, l, MAP_X, L->ph - 28);
        gis_pdf_tag_end(t);
        g_object_unref(l);
        cairo_restore(cr);
        return;
    }
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Wyrys stanowi załącznik do wypisu, znak sprawy %s", m->case_number),
                       "DejaVu Sans 7", MAP_W, PANGO_ALIGN_LEFT, false);
    gis_pdf_show(t, l, MAP_X, L->ph - 28);
    g_object_unref(l);
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Arkusz %d z %d", k + 1, n), "DejaVu Sans 7", MAP_W, PANGO_ALIGN_RIGHT,
                       false);
    gis_pdf_show(t, l, MAP_X, L->ph - 28);
    g_object_unref(l);
    cairo_restore(cr);
    gis_pdf_tag_end(t);
}

const char *gis_extract_code_grouped(struct arena *a, const char *code)
{
    char grouped[GIS_EXTRACT_CODE_LEN + 8];
    size_t o = 0;
    for (int i = 0; code[i] && o + 2 < sizeof grouped; i++) {
        if (i && i % 4 == 0)
            grouped[o++] = '-';
        grouped[o++] = code[i];
    }
    grouped[o] = 0;
    return arena_strdup(a, grouped);
}

/* The right column under the frame, on every sheet: the signature block (the official's name and function
 * and the line to sign on), the seal mark on the document's last page, and the verification code with its
 * QR code, so that a sheet taken out of the document still says what it belongs to. */
static void sheet_signature(const struct sheet_ctx *g)
{
    struct gis_pdf *t = g->t;
    const struct gis_extract_meta *m = g->m;
    const struct layout *L = g->L;
    double x = MAP_X + MAP_W - MARK_W, y = MAP_Y + MAP_H + 8;
    gis_pdf_tag_begin(t, "P");
    bool zup = m->signatory_zup && *m->signatory_zup; /* "z up. Burmistrza", as on the wypis */
    PangoLayout *l =
        gis_pdf_layout(t,
                       gis_pdf_markup(t, "%s%s%s%s%s\n………………………………………", zup ? m->signatory_zup : "", zup ? "\n" : "",
                                      m->signatory ? m->signatory : "", m->signatory && m->signatory_role ? ", " : "",
                                      m->signatory_role ? m->signatory_role : ""),
                       "DejaVu Sans 6.5", MARK_W, PANGO_ALIGN_CENTER, false);
    gis_pdf_show(t, l, x, y);
    y += gis_pdf_height(l) + 3;
    g_object_unref(l);
    gis_pdf_tag_end(t);
    if (g->last) {
        const struct gis_pdf_seal_mark mk = {
            .organ = m->organ ? m->organ : "", .date = gis_extract_date_pl(t->a, m->date), .signer = m->seal_signer};
        gis_pdf_seal_mark(t, x, y, MARK_W, L->ph, &mk);
        y += GIS_PDF_MARK_H + 3;
    }
    if (!m->verification_code)
        return;
    const double qs = 40;
    const char *url = m->verify_url ? m->verify_url : m->verification_code;
    gis_pdf_tag_begin(t, "Figure");
    gis_pdf_qr(t, url, x, y, qs);
    gis_pdf_tag_end(t);
    l = gis_pdf_layout(
        t, gis_pdf_markup(t, "Kod weryfikacyjny:\n<b>%s</b>", gis_extract_code_grouped(t->a, m->verification_code)),
        "DejaVu Sans 6.5", MARK_W - qs - 4, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, x + qs + 4, y + 8);
    g_object_unref(l);
    /* under the QR code, the column's full width: where the code is checked (the address without the code,
     * which the QR code holds whole) */
    size_t ul = strlen(url), cl = strlen(m->verification_code);
    const char *base =
        ul > cl && !strcmp(url + ul - cl, m->verification_code) ? arena_printf(t->a, "%.*s", (int)(ul - cl), url) : url;
    l = gis_pdf_layout_wrap(t, gis_pdf_markup(t, "Sprawdzenie kodu: %s", base), "DejaVu Sans 5", MARK_W,
                            PANGO_ALIGN_LEFT, false, PANGO_WRAP_CHAR, PANGO_ELLIPSIZE_NONE);
    gis_pdf_show(t, l, x, y + qs + 1);
    gis_pdf_tag_end(t);
    g_object_unref(l);
}

/* The print's title block: what it is and that it is informative; the gmina, the dates, the paper, the scale
 * and the sheet's centre. */
static void print_title(const struct sheet_ctx *g)
{
    struct gis_pdf *t = g->t;
    const struct gis_print *p = g->print;
    const struct layout *L = g->L;
    char today[11];
    gis_cal_format_date(gis_cal_today(), today);
    PangoLayout *l =
        gis_pdf_layout(t,
                       gis_pdf_markup(t, "<b>WYDRUK Z MAPY PLANISTYCZNEJ</b>\n%s%s%s\n<i>%s</i>",
                                      g->pog ? "plan ogólny gminy" : "miejscowe plany zagospodarowania przestrzennego",
                                      p->gmina ? ", gmina " : "", p->gmina ? p->gmina : "",
                                      "Wydruk informacyjny; nie zastępuje wypisu i wyrysu (art. 30 u.p.z.p.)."),
                       "DejaVu Sans 9", 360, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "H1");
    gis_pdf_show(t, l, MAP_X, 34);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t,
                                      "%s\nData wydruku: %s\nStan na dzień: %s\nFormat: %s, %s\nSkala <b>1:%ld</b>\n"
                                      "Środek arkusza (PL-1992): %.1f, %.1f",
                                      p->organ ? p->organ : "", gis_extract_date_pl(t->a, today),
                                      gis_extract_date_pl(t->a, g->d->as_of),
                                      gis_extract_sheet_parts(p->paper) == 2 ? "A3" : "A4",
                                      L->pw > L->ph ? "poziomo" : "pionowo", g->sh->scale, g->sh->cx, g->sh->cy),
                       "DejaVu Sans 8", MAP_W - 370, PANGO_ALIGN_RIGHT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, MAP_X + 370, 34);
    gis_pdf_tag_end(t);
    g_object_unref(l);
}

/* Draws wyrys sheet k of n into cr, whose user space is PDF points of the sheet format's page; *raster
 * (may be NULL) is set when the sheet is drawn on the plan's raster drawing. */
static enum err_code sheet_draw(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                const struct gis_extract_sheet_at *sh, int k, int n, bool *raster,
                                const struct gis_print *print, struct err *e)
{
    const struct gis_extract_meta *m = t->user;
    const struct gis_extract_plan *pl = &d->plans[sh->plan];
    const struct layout *L = layout_of(print ? print->paper : m->sheet);
    double wm = sheet_w_m(L, sh->scale), hm = sheet_h_m(L, sh->scale);
    struct sheet_ctx g = {.t = t,
                          .m = m,
                          .pl = pl,
                          .L = L,
                          .sh = sh,
                          .d = d,
                          .pog = print ? print->pog : pl->ref.kind && !strcmp(pl->ref.kind, "pog"),
                          .last = k == n - 1,
                          .print = print,
                          .bbox = {sh->cx - wm / 2, sh->cy - hm / 2, sh->cx + wm / 2, sh->cy + hm / 2}};
    /* A plan with a raster drawing: the drawing is the base, with the parcels (lines and numbers) drawn
     * over it, and the sheet says so. */
    g.rw = (int)lround(MAP_W / 72.0 * RASTER_DPI), g.rh = (int)lround(MAP_H / 72.0 * RASTER_DPI);
    g.base = g.pog || print ? NULL : sheet_base(&g, s, g.rw, g.rh, &g.base_m);
    if (raster)
        *raster = g.base != NULL;
    gis_pdf_tag_begin(t, "Sect");
    if (print)
        print_title(&g);
    else
        sheet_title(&g, k, n);
    double zoom;
    enum err_code rc = sheet_map(&g, s, d, &zoom, e);
    if (g.base)
        cairo_surface_destroy(g.base);
    if (rc)
        return rc;
    sheet_scale_bar(&g, sheet_legend(&g, s, zoom));
    if (!print)
        sheet_signature(&g);
    sheet_footer(&g, k, n);
    gis_pdf_tag_end(t);
    return cairo_status(t->cr) ? err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(t->cr)))
                               : ERR_OK;
}

enum err_code gis_extract_sheet_draw(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                     const struct gis_extract_sheet_at *sh, int k, int n, bool *raster, struct err *e)
{
    return sheet_draw(t, s, d, sh, k, n, raster, NULL, e);
}

enum err_code gis_extract_print_draw(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                     const struct gis_extract_sheet_at *sh, const struct gis_print *p, struct err *e)
{
    return sheet_draw(t, s, d, sh, 0, 1, NULL, p, e);
}

enum err_code gis_extract_wyrys_png(struct gis_store *s, const struct gis_extract_doc *doc,
                                    const struct gis_extract_meta *m, int sheet, double dpi, struct buf *out,
                                    struct err *e)
{
    if (!(dpi >= 36 && dpi <= 600))
        return err_param(e, "dpi", "dpi must be between 36 and 600");
    struct arena *a = arena_new(1 << 16);
    struct gis_extract_sheet_at *sheets = a ? arena_alloc(a, sizeof *sheets * GIS_EXTRACT_MAX_SHEETS) : NULL;
    if (!sheets) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    int n = gis_extract_sheets_make(doc, m->sheet, sheets, GIS_EXTRACT_MAX_SHEETS);
    const struct layout *L = layout_of(m->sheet);
    if (sheet < 0 || sheet >= n) {
        arena_free(a);
        return err_param(e, "sheet", "the wyrys has %d sheet(s); sheet %d does not exist", n, sheet + 1);
    }
    int w = (int)ceil(L->pw * dpi / 72), h = (int)ceil(L->ph * dpi / 72);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(img);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 72, dpi / 72);
    PangoContext *pc = gis_pdf_context("pl-PL");
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .user = m, .cr = cr};
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    if (!rc)
        rc = gis_extract_sheet_draw(&t, s, doc, &sheets[sheet], sheet, n, NULL, e);
    cairo_destroy(cr);
    cairo_surface_flush(img);
    if (!rc)
        rc = gis_render_encode(img, GIS_RENDER_PNG, 6, out, e);
    cairo_surface_destroy(img);
    g_object_unref(pc);
    arena_free(a);
    return rc;
}
