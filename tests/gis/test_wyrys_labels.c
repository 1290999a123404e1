/* Tests for the wyrys's labels on a real demo store (tools/demo, the Słubice gmina): for 100 parcels, the
 * labels the renderer placed on the sheet (gis_extract_meta.probe) are checked here with geometry of our
 * own (not the renderer's): the requested parcel's number is on the sheet exactly once, no two label boxes
 * overlap, and no label box meets the requested parcel's outline. The same is checked on the PDF's text by
 * tests/integration/test_wyrys_labels.py. Also: the plan-drawing lines reach the demo and the wyrys's
 * legend, and a parcel that fits the frame gets one sheet (at the boundary). */
#include "gis/extract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "gis/wkb.h"
#include "tests/test.h"
#include "tools/demo/demo.h"

static char dir[] = "/tmp/odra-test-wyrys-XXXXXX";
static char path[320];
static struct gis_store *store;

/* ---- geometry of our own: oriented boxes as four corners ---- */

struct quad {
    double x[4], y[4];
};

static struct quad quad_of(const struct gis_render_box *b)
{
    struct quad q;
    double c = cos(b->angle), s = sin(b->angle);
    static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int k = 0; k < 4; k++) {
        q.x[k] = b->cx + sx[k] * b->hw * c - sy[k] * b->hh * s;
        q.y[k] = b->cy + sx[k] * b->hw * s + sy[k] * b->hh * c;
    }
    return q;
}

/* Whether the projections of a and b on the normals of a's edges are disjoint on some axis (by tol). */
static bool separated_by(const struct quad *a, const struct quad *b, double tol)
{
    for (int k = 0; k < 4; k++) {
        double nx = -(a->y[(k + 1) % 4] - a->y[k]), ny = a->x[(k + 1) % 4] - a->x[k];
        double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY, len = hypot(nx, ny);
        if (len == 0)
            continue;
        for (int i = 0; i < 4; i++) {
            double pa = (a->x[i] * nx + a->y[i] * ny) / len, pb = (b->x[i] * nx + b->y[i] * ny) / len;
            amin = fmin(amin, pa), amax = fmax(amax, pa), bmin = fmin(bmin, pb), bmax = fmax(bmax, pb);
        }
        if (amax <= bmin + tol || bmax <= amin + tol)
            return true;
    }
    return false;
}

static bool quads_overlap(const struct quad *a, const struct quad *b)
{
    return !separated_by(a, b, 0.01) && !separated_by(b, a, 0.01);
}

static double cross(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static bool segs_cross(double ax, double ay, double bx, double by, double cx, double cy, double dx, double dy)
{
    double d1 = cross(cx, cy, dx, dy, ax, ay), d2 = cross(cx, cy, dx, dy, bx, by);
    double d3 = cross(ax, ay, bx, by, cx, cy), d4 = cross(ax, ay, bx, by, dx, dy);
    return ((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0));
}

static bool inside_quad(const struct quad *q, double x, double y)
{
    int pos = 0, neg = 0;
    for (int k = 0; k < 4; k++) {
        double c = cross(q->x[k], q->y[k], q->x[(k + 1) % 4], q->y[(k + 1) % 4], x, y);
        pos += c > 0, neg += c < 0;
    }
    return !pos || !neg;
}

/* ---- the parcel's outline in frame points ---- */

struct outline {
    double xy[2 * 4096];
    int start[64], nparts, n;
    const double *bbox;
    double sx, sy;
};

static bool ol_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct outline *o = ctx;
    (void)kind, (void)n, (void)shell;
    if (o->nparts == 63)
        return false;
    o->start[o->nparts++] = o->n;
    o->start[o->nparts] = o->n;
    return true;
}

static bool ol_point(void *ctx, double x, double y)
{
    struct outline *o = ctx;
    if (o->n == 4096)
        return false;
    o->xy[2 * o->n] = (x - o->bbox[0]) * o->sx, o->xy[2 * o->n + 1] = (o->bbox[3] - y) * o->sy;
    o->start[o->nparts] = ++o->n;
    return true;
}

static bool quad_meets_outline(const struct quad *q, const struct outline *o)
{
    for (int p = 0; p < o->nparts; p++)
        for (int i = o->start[p] + 1; i < o->start[p + 1]; i++) {
            const double *a = &o->xy[2 * (i - 1)], *b = &o->xy[2 * i];
            if (inside_quad(q, a[0], a[1]))
                return true;
            for (int k = 0; k < 4; k++)
                if (segs_cross(a[0], a[1], b[0], b[1], q->x[k], q->y[k], q->x[(k + 1) % 4], q->y[(k + 1) % 4]))
                    return true;
        }
    return false;
}

/* ---- the store and the documents ---- */

static void make_store(void)
{
    struct config_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "slubice");
    snprintf(t.teryt, sizeof t.teryt, "0805053");
    struct err e = {0};
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/slubice.sqlite", dir);
    if (gis_demo_create(path, &t, 1, 2026, NULL, NULL, NULL, &e) != ERR_OK ||
        gis_store_open(path, GIS_STORE_READ, &store, &e) != ERR_OK) {
        printf("  %s\n", e.msg);
        exit(1);
    }
}

static int ids_of(const char *sql, char ids[][64], int max)
{
    sqlite3_stmt *st;
    struct err e = {0};
    int n = 0;
    if (gis_store_prepare(store, sql, &st, &e) != ERR_OK) {
        printf("  %s\n", e.msg);
        return 0;
    }
    while (n < max && sqlite3_step(st) == SQLITE_ROW)
        snprintf(ids[n++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return n;
}

/* Renders sheet 1 of the wyrys of parcel id (PNG at 36 dpi: the layout is in points whatever the dpi)
 * with the probe on; returns the number of sheets, 0 on failure. */
static int render(const char *id, struct arena *a, struct gis_extract_doc **doc, struct gis_extract_probe *pr)
{
    const char *ids[] = {id};
    struct err e = {0};
    if (gis_extract_build(store, a, ids, 1, NULL, doc, &e) != ERR_OK) {
        printf("  %s: %s\n", id, e.msg);
        return 0;
    }
    struct gis_extract_meta m = {.case_number = "GP.6727.1.2026",
                                 .date = "2026-12-04",
                                 .organ = "Burmistrz Słubic",
                                 .verification_code = "ABCDEFGHIJKLMNOPQRSTUVWX",
                                 .wyrys = true,
                                 .style = gis_extract_style(),
                                 .sheet = GIS_EXTRACT_A4,
                                 .probe = pr};
    struct buf png = {0};
    enum err_code rc = gis_extract_wyrys_png(store, *doc, &m, 0, 36, &png, &e);
    buf_free(&png);
    if (rc) {
        printf("  %s: %s\n", id, e.msg);
        return 0;
    }
    return gis_extract_sheet_count(*doc);
}

/* 100 parcels: 70 inside local plans (zone symbols, building lines, street names around them), 30 anywhere. */
static void labels_never_collide_nor_cover_the_parcel(void)
{
    static char ids[100][64];
    int n = ids_of("SELECT parcel_id FROM parcels p WHERE EXISTS (SELECT 1 FROM plans pl WHERE pl.kind = 'mpzp' AND "
                   "pl.amends_plan_id IS NULL AND ST_Within(ST_PointOnSurface(p.geom), pl.geom)) "
                   "ORDER BY (id * 7919) % 10007 LIMIT 70",
                   ids, 70);
    n += ids_of("SELECT parcel_id FROM parcels ORDER BY (id * 104729) % 10007 LIMIT 30", ids + n, 30);
    CHECK(n == 100);
    int bad_overlap = 0, bad_outline = 0, bad_number = 0, total_labels = 0;
    for (int k = 0; k < n; k++) {
        struct arena *a = arena_new(1 << 16);
        struct gis_extract_doc *doc = NULL;
        struct gis_extract_probe pr = {0};
        if (!render(ids[k], a, &doc, &pr)) {
            CHECK(!"rendered");
            arena_free(a);
            continue;
        }
        const struct gis_parcel *p = doc->parcels[0].p;
        struct outline *o = calloc(1, sizeof *o);
        o->bbox = pr.bbox;
        o->sx = pr.frame[2] / (pr.bbox[2] - pr.bbox[0]), o->sy = pr.frame[3] / (pr.bbox[3] - pr.bbox[1]);
        static const struct gis_wkb_visitor v = {ol_part, ol_point};
        CHECK(gis_wkb_walk(p->wkb, p->wkb_len, &v, o));
        int firsts = 0;
        total_labels += pr.boxes.n;
        for (int i = 0; i < pr.boxes.n; i++) {
            struct quad qi = quad_of(&pr.boxes.v[i]);
            firsts += pr.boxes.v[i].first;
            if (quad_meets_outline(&qi, o) && bad_outline++ < 3)
                printf("  %s: label %d (%s) meets the parcel's outline\n", ids[k], i,
                       pr.boxes.v[i].first ? "its number" : "another");
            for (int j = i + 1; j < pr.boxes.n; j++) {
                struct quad qj = quad_of(&pr.boxes.v[j]);
                if (quads_overlap(&qi, &qj) && bad_overlap++ < 3)
                    printf("  %s: labels %d and %d overlap\n", ids[k], i, j);
            }
        }
        if (firsts != 1 && bad_number++ < 3)
            printf("  %s: its number placed %d times\n", ids[k], firsts);
        free(o);
        free(pr.boxes.v);
        arena_free(a);
    }
    printf("  %d parcels, %d labels checked\n", n, total_labels);
    CHECK(total_labels > 10 * n);
    CHECK(bad_overlap == 0);
    CHECK(bad_outline == 0);
    CHECK(bad_number == 0);
}

/* The demo's plans have building lines along their streets and a protection zone, in force with them. */
static void demo_has_building_lines(void)
{
    static char got[8][64];
    int n = ids_of("SELECT DISTINCT kind FROM plan_lines ORDER BY kind", got, 8);
    bool nieprz = false, obow = false, zone = false;
    for (int k = 0; k < n; k++) {
        nieprz |= !strcmp(got[k], "linia_zabudowy_nieprzekraczalna");
        obow |= !strcmp(got[k], "linia_zabudowy_obowiazujaca");
        zone |= !strcmp(got[k], "granica_strefy_konserwatorskiej");
    }
    CHECK(nieprz && obow && zone);
    /* every building line lies inside its zone, 6 or 8 m from the road's boundary */
    CHECK(ids_of("SELECT l.id FROM plan_lines l JOIN plan_zones z ON z.plan_id = l.plan_id AND z.label = l.zone_label "
                 "WHERE l.kind LIKE 'linia_zabudowy%' AND NOT ST_Within(l.geom, ST_Buffer(z.geom, 0.01))",
                 got, 8) == 0);
    CHECK(ids_of("SELECT l.id FROM plan_lines l JOIN plan_zones z ON z.plan_id = l.plan_id AND z.label = l.zone_label "
                 "WHERE l.kind LIKE 'linia_zabudowy%' AND abs(ST_Distance(l.geom, ST_Boundary(z.geom)) - "
                 "CAST(l.label AS REAL)) > 0.01",
                 got, 8) == 0);
}

/* The legend of a sheet with building lines names them, from the code list. */
static void legend_names_building_lines(void)
{
    static char ids[1][64];
    CHECK(ids_of("SELECT p.parcel_id FROM parcels p JOIN plan_lines l ON l.kind = 'linia_zabudowy_nieprzekraczalna' "
                 "WHERE p.id IN (SELECT pkid FROM idx_parcels_geom WHERE xmin <= MbrMaxX(l.geom) AND xmax >= "
                 "MbrMinX(l.geom) AND ymin <= MbrMaxY(l.geom) AND ymax >= MbrMinY(l.geom)) AND "
                 "ST_Intersects(p.geom, l.geom) AND l.plan_id IN (SELECT id FROM plans WHERE amends_plan_id IS NULL) "
                 "LIMIT 1",
                 ids, 1) == 1);
    struct arena *a = arena_new(1 << 16);
    const char *id[] = {ids[0]};
    struct gis_extract_doc *doc = NULL;
    struct err e = {0};
    CHECK(gis_extract_build(store, a, id, 1, NULL, &doc, &e) == ERR_OK);
    struct gis_extract_meta m = {.case_number = "GP.6727.1.2026",
                                 .date = "2026-12-04",
                                 .wyrys = true,
                                 .style = gis_extract_style(),
                                 .sheet = GIS_EXTRACT_A4};
    struct buf pdf = {0};
    struct gis_extract_result res;
    CHECK(doc && gis_extract_pdf(store, doc, &m, &pdf, &res, &e) == ERR_OK);
    char pdfp[400], txtp[400], cmd[900];
    snprintf(pdfp, sizeof pdfp, "%s/legend.pdf", dir);
    snprintf(txtp, sizeof txtp, "%s/legend.txt", dir);
    FILE *f = fopen(pdfp, "wb");
    if (f) {
        fwrite(pdf.data, 1, pdf.len, f);
        fclose(f);
    }
    snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s %s", pdfp, txtp);
    CHECK(system(cmd) == 0);
    char text[20000] = "";
    f = fopen(txtp, "r");
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = 0;
        fclose(f);
    }
    CHECK(strstr(text, "nieprzekraczalna linia zabudowy") != NULL);
    CHECK(strstr(text, "Wyrys sporządzony na podstawie danych wektorowych planu") != NULL);
    CHECK(strstr(text, "GP.6727.1.2026") != NULL);
    buf_free(&pdf);
    arena_free(a);
}

int main(void)
{
    make_store();
    RUN(demo_has_building_lines);
    RUN(legend_names_building_lines);
    RUN(labels_never_collide_nor_cover_the_parcel);
    gis_store_close(store);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", dir);
    return test_done();
}
