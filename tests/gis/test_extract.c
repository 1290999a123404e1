/* Tests for gis/extract on a small hand-made store: fees on worked examples, text cleaning, case numbers
 * and codes, the document model (a parcel across three zones, one outside every MPZP, one outside every
 * plan), the limits, the PDF (valid structure, language, pages, issuing in one transaction), and the wyrys
 * on a hand-made raster drawing (GeoTIFF in EPSG:2180 and 2176) and on A3 sheets.
 * ODRA_EXTRACT_OUT=FILE.pdf keeps the rendered document for a look. */
#include "gis/extract.h"

#include <cairo.h>
#include <gdal.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/drawing.h"
#include "gis/geos_ctx.h"
#include "gis/store_sql.h"
#include "tests/png_check.h"
#include "tests/test.h"
#include "util/sha256.h"

static char dir[] = "/tmp/odra-test-extract-XXXXXX";
static char path[256];
static struct gis_store *store;

#define X0 197000.0
#define Y0 507000.0

static void execf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void execf(const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    struct err e = {0};
    if (gis_store_exec(store, sql, &e) != ERR_OK)
        printf("  SQL failed: %s\n  %s\n", e.msg, sql);
}

static const char *rect(double x0, double y0, double x1, double y1)
{
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, 512, "GeomFromText('MULTIPOLYGON(((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f)))', 2180)",
             X0 + x0, Y0 + y0, X0 + x1, Y0 + y0, X0 + x1, Y0 + y1, X0 + x0, Y0 + y1, X0 + x0, Y0 + y0);
    return b;
}

static void build_store(void)
{
    struct err e = {0};
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/t.sqlite", dir);
    if (gis_store_open(path, GIS_STORE_CREATE, &store, &e)) {
        printf("  %s\n", e.msg);
        exit(1);
    }
    execf("INSERT INTO obreby (id, unit, number, name, geom) VALUES (1, '080505_4', '0001', 'Słubice', %s)",
          rect(-1000, -1000, 3000, 1000));
    /* POG over x < 2000; MPZP over 0..200 x 0..200 */
    execf("INSERT INTO plans (id, kind, title, resolution, publication, scale, geom) VALUES (1, 'pog', "
          "'Plan ogólny gminy Słubice', 'Uchwała nr I/1/2026 Rady Miejskiej w Słubicach z dnia 1 lutego 2026 r.', "
          "'Dz. Urz. Woj. Lubuskiego z 2026 r. poz. 1', 5000, %s)",
          rect(-1000, -1000, 2000, 1000));
    execf("INSERT INTO plans (id, kind, title, resolution, publication, scale, geom) VALUES (2, 'mpzp', "
          "'Miejscowy plan zagospodarowania przestrzennego „Testowe”', 'Uchwała nr II/2/2019 Rady Miejskiej w "
          "Słubicach z dnia 2 marca 2019 r.', 'Dz. Urz. Woj. Lubuskiego z 2019 r. poz. 2', NULL, %s)",
          rect(0, 0, 200, 200));
    execf("INSERT INTO plan_zones (id, plan_id, label, symbol, name, max_height_m, geom) VALUES "
          "(1, 2, '1MN', 'MN', 'teren zabudowy mieszkaniowej jednorodzinnej', 9, %s), "
          "(2, 2, '2U', 'U', 'teren zabudowy usługowej', 12, %s), "
          "(3, 2, '3KDD', 'KDD', 'teren drogi publicznej klasy dojazdowej', NULL, %s)",
          rect(0, 0, 40, 200), rect(40, 0, 75, 200), rect(75, 0, 200, 200));
    execf("INSERT INTO overlays (id, plan_id, kind, label, name, geom) VALUES (1, 2, 'konserwatorska', 'SOK', "
          "'strefa ochrony konserwatorskiej', %s)",
          rect(0, 0, 20, 20));
    execf("INSERT INTO pog_zones (id, plan_id, label, symbol, name, max_intensity, max_coverage_pct, max_height_m, "
          "min_bio_pct, geom) VALUES (1, 1, '1SJ', 'SJ', 'strefa wielofunkcyjna z zabudową mieszkaniową "
          "jednorodzinną', 0.8, 40, 12, 40, %s)",
          rect(-1000, -1000, 2000, 1000));
    execf("INSERT INTO provisions (plan_id, scope, zone_id, overlay_id, ord, heading, body) VALUES "
          "(2, 'general', NULL, NULL, 1, '§ 1. Przedmiot planu', 'Uchwala się miejscowy plan zagospodarowania "
          "przestrzennego „Testowe”.\nGranice obszaru objętego planem określa rysunek planu.'), "
          "(2, 'zone', 1, NULL, 2, '§ 5. Teren 1MN', 'Przeznaczenie: zabudowa mieszkaniowa jednorodzinna; "
          "maksymalna wysokość zabudowy 9 m.'), "
          "(2, 'zone', 2, NULL, 3, '§ 6. Teren 2U', 'Przeznaczenie: zabudowa usługowa; gęśl jaźń zażółć.'), "
          "(2, 'zone', 3, NULL, 4, '§ 7. Teren 3KDD', 'Przeznaczenie: droga publiczna klasy dojazdowej.'), "
          "(2, 'overlay', NULL, 1, 5, '§ 8. Strefa ochrony', 'W strefie ochrony konserwatorskiej obowiązuje "
          "uzgadnianie z konserwatorem zabytków.'), "
          "(1, 'general', NULL, NULL, 1, '§ 1. Plan ogólny', 'Ustala się strefy planistyczne.')");
    /* 1/1: 100 x 60 across 1MN, 2U and 3KDD (40, 35 and 25 m wide); 2/1: outside the MPZP, inside the POG;
     * 3/1: outside every plan */
    execf("INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES "
          "('080505_4.0001.1/1', 1, '1/1', 6000, %s), ('080505_4.0001.2/1', 1, '2/1', 2500, %s), "
          "('080505_4.0001.3/1', 1, '3/1', 900, %s)",
          rect(0, 10, 100, 70), rect(500, 500, 550, 550), rect(2500, 0, 2530, 30));
}

static void fees(void)
{
    struct gis_extract_fee f = gis_extract_fees(NULL, 3, 1);
    CHECK(f.wypis_pln == 30 && f.wyrys_pln == 20 && f.total_pln == 50);
    f = gis_extract_fees(NULL, 5, 2);
    CHECK(f.wypis_pln == 30 && f.wyrys_pln == 40 && f.total_pln == 70);
    f = gis_extract_fees(NULL, 6, 0);
    CHECK(f.wypis_pln == 50 && f.wyrys_pln == 0 && f.total_pln == 50);
    f = gis_extract_fees(NULL, 12, 10);
    CHECK(f.wypis_pln == 50 && f.wyrys_pln == 200 && f.total_pln == 250);
    f = gis_extract_fees(NULL, 1, 11); /* capped */
    CHECK(f.wyrys_pln == 200 && f.total_pln == 230);
    f = gis_extract_fees(NULL, 0, 3); /* wyrys only */
    CHECK(f.wypis_pln == 0 && f.wyrys_pln == 60);
    struct gis_extract_rates r = gis_extract_fee_defaults;
    r.wyrys_sheet_pln = 25;
    f = gis_extract_fees(&r, 1, 2);
    CHECK(f.wyrys_pln == 50);
}

static void clean_text(void)
{
    struct arena *a = arena_new(4096);
    CHECK_STR(gis_extract_clean(a, "  Jan\tKowalski \n", 200), "Jan Kowalski");
    CHECK_STR(gis_extract_clean(a,
                                "Zbigniew\xE2\x80\xAE"
                                "odrot\x07"
                                "x",
                                200),
              "Zbigniewodrotx");
    CHECK_STR(gis_extract_clean(a, "bad\xFF\xFEutf", 200), "badutf");
    CHECK_STR(gis_extract_clean(a, "Łódź", 200), "Łódź");
    char *long_name = gis_extract_clean(a, "ąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąąą", 10);
    CHECK_STR(long_name, "ąąąąąąąąą…");
    CHECK_STR(gis_extract_clean(a, NULL, 10), "");
    arena_free(a);
}

static void case_numbers_and_codes(void)
{
    struct arena *a = arena_new(4096);
    char c1[GIS_EXTRACT_CODE_LEN + 1], c2[GIS_EXTRACT_CODE_LEN + 1];
    struct err e = {0};
    CHECK(gis_extract_new_code(c1, &e) == ERR_OK && gis_extract_new_code(c2, &e) == ERR_OK);
    CHECK(strlen(c1) == 24 && strcmp(c1, c2) != 0);
    CHECK(strspn(c1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 24);
    char h[65];
    sha256_hex("abc", 3, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    arena_free(a);
}

static void document_model(void)
{
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    const char *ids[] = {"080505_4.0001.1/1", "080505_4.0001.2/1", "080505_4.0001.3/1", "080505_4.0001.1/1"};
    struct gis_extract_doc *d = NULL;
    CHECK(gis_extract_build(store, a, ids, 4, NULL, &d, &e) == ERR_OK);
    if (!d) {
        printf("  %s\n", e.msg);
        arena_free(a);
        return;
    }
    CHECK(d->nparcels == 3); /* duplicate dropped */
    CHECK(d->parcels[0].status == GIS_EXTRACT_MPZP);
    CHECK(d->parcels[1].status == GIS_EXTRACT_POG);
    CHECK(d->parcels[2].status == GIS_EXTRACT_NONE);
    CHECK(d->nplans == 2);
    CHECK_STR(d->plans[0].ref.kind, "mpzp");
    CHECK_STR(d->plans[1].ref.kind, "pog");
    const struct gis_extract_parcel_plan *pp = &d->plans[0].parcels[0];
    long sum = 0;
    double share = 0;
    int zones = 0, overlays = 0;
    for (int i = 0; i < pp->nrows; i++) {
        if (pp->rows[i].hit->kind == GIS_ZONE_OVERLAY) {
            overlays++;
            CHECK(pp->rows[i].area_m2 == 200); /* 20 x 10 */
            continue;
        }
        zones++;
        sum += pp->rows[i].area_m2;
        share += pp->rows[i].share_pct;
        if (!strcmp(pp->rows[i].hit->label, "1MN"))
            CHECK(pp->rows[i].area_m2 == 2400 && fabs(pp->rows[i].share_pct - 40) < 1e-9);
        if (!strcmp(pp->rows[i].hit->label, "3KDD"))
            CHECK(pp->rows[i].area_m2 == 1500 && fabs(pp->rows[i].share_pct - 25) < 1e-9);
    }
    CHECK(zones == 3 && overlays == 1);
    CHECK(sum + pp->outside_m2 == 6000 && pp->outside_m2 == 0);
    CHECK(fabs(share - 100) < 1e-9);
    /* provisions: general, the three touched zones, the touched overlay */
    CHECK(d->plans[0].nprovisions == 5);
    CHECK_STR(d->plans[0].provisions[0].scope, "general");
    CHECK_STR(d->plans[0].provisions[1].owner, "1MN");
    CHECK_STR(d->plans[0].provisions[4].scope, "overlay");
    CHECK(d->plans[1].nprovisions == 1);
    CHECK(gis_extract_sheet_count(d) == 2); /* the MPZP parcel and the POG parcel, far apart */
    arena_free(a);
}

static void limits(void)
{
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    struct gis_extract_doc *d = NULL;
    const char *bad[] = {"080505_4.0001.1/1", "080505_4.0001.999/9"};
    CHECK(gis_extract_build(store, a, bad, 2, NULL, &d, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "080505_4.0001.999/9") != NULL);
    err_clear(&e);
    const char *junk[] = {"'; DROP TABLE parcels; --"};
    CHECK(gis_extract_build(store, a, junk, 1, NULL, &d, &e) == ERR_UNPROCESSABLE);
    err_clear(&e);
    const char *many[GIS_EXTRACT_MAX_PARCELS + 1];
    for (int i = 0; i <= GIS_EXTRACT_MAX_PARCELS; i++)
        many[i] = "080505_4.0001.1/1";
    CHECK(gis_extract_build(store, a, many, GIS_EXTRACT_MAX_PARCELS + 1, NULL, &d, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "100") != NULL);
    err_clear(&e);
    CHECK(gis_extract_build(store, a, many, 0, NULL, &d, &e) == ERR_UNPROCESSABLE);
    arena_free(a);
}

static void issue_pdf(void)
{
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    struct gis_store *rd = NULL;
    CHECK(gis_store_open(path, GIS_STORE_READ, &rd, &e) == ERR_OK);
    const char *ids[] = {"080505_4.0001.1/1", "080505_4.0001.2/1", "080505_4.0001.3/1"};
    char hostile[600];
    memset(hostile, 'W', sizeof hostile - 1);
    hostile[sizeof hostile - 1] = 0;
    memcpy(hostile,
           "Jan \xE2\x80\xAE"
           "Kowalski\x01 ",
           16);
    struct gis_extract_issue is = {
        .parcels = ids,
        .nparcels = 3,
        .applicant_name = hostile,
        .applicant_address = "ul. Jedności Robotniczej 1, 69-100 Słubice",
        .purpose = "sprzedaż działki",
        .wypis = true,
        .wyrys = true,
        .case_format = "GP.6727.{seq}.{year}",
        .verify_base = "https://odra.example/verify/",
        .tmpl = {.organ = "Burmistrz Słubic",
                 .place = "Słubice",
                 .legal_basis = "art. 30 ust. 1 ustawy o planowaniu i zagospodarowaniu przestrzennym",
                 .signatory = "z up. Burmistrza",
                 .signatory_role = "Kierownik Referatu",
                 .gmina = "Słubice"},
    };
    struct gis_extract_record r1 = {0}, r2 = {0};
    CHECK(rd && gis_extract_issue(store, rd, a, &is, &r1, &e) == ERR_OK);
    if (e.code)
        printf("  %s\n", e.msg);
    CHECK(gis_extract_issue(store, rd, a, &is, &r2, &e) == ERR_OK);
    CHECK(r1.case_number && r2.case_number && strcmp(r1.case_number, r2.case_number) != 0);
    CHECK(r1.case_number && !strncmp(r1.case_number, "GP.6727.1.", 10));
    CHECK(r2.case_number && !strncmp(r2.case_number, "GP.6727.2.", 10));
    CHECK(r1.pdf_len > 1000 && !memcmp(r1.pdf, "%PDF-", 5));
    CHECK(r1.res.wyrys_sheets == 2 && r1.res.wypis_pages >= 1);
    CHECK(r1.res.fee.total_pln == r1.res.fee.wypis_pln + 40);
    /* the language added by the incremental update */
    bool lang = false;
    for (size_t i = 0; i + 14 < r1.pdf_len && !lang; i++)
        lang = !memcmp(r1.pdf + i, "/Lang (pl-PL)", 13);
    CHECK(lang);
    CHECK(gis_store_count(store, "extracts") == 2 || gis_store_count(store, "extracts") == -1);
    /* a failing issue (unknown parcel) stores nothing and takes no case number */
    const char *bad[] = {"080505_4.0001.404/1"};
    is.parcels = bad;
    is.nparcels = 1;
    err_clear(&e);
    struct gis_extract_record r3;
    CHECK(gis_extract_issue(store, rd, a, &is, &r3, &e) == ERR_UNPROCESSABLE);
    sqlite3_stmt *st;
    CHECK(gis_store_prepare(store, "SELECT count(*), max(seq) FROM extracts", &st, &e) == ERR_OK);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        CHECK(sqlite3_column_int(st, 0) == 2 && sqlite3_column_int(st, 1) == 2);
    sqlite3_finalize(st);
    const char *keep = getenv("ODRA_EXTRACT_OUT");
    if (keep && r1.pdf) {
        FILE *f = fopen(keep, "wb");
        if (f) {
            fwrite(r1.pdf, 1, r1.pdf_len, f);
            fclose(f);
        }
    }
    gis_store_close(rd);
    arena_free(a);
}

/* A two-colour drawing of the MPZP (0..200 x 0..200 m): blue west of x = 100, green east of it, written
 * as a GeoTIFF in crs covering the plan's bbox transformed to crs. */
static bool make_drawing(enum gis_crs crs, struct buf *out)
{
    double bb[4] = {X0, Y0, X0 + 200, Y0 + 200}, cb[4];
    struct err e = {0};
    if (gis_crs_transform_bbox(GIS_CRS_2180, crs, bb, cb, &e))
        return false;
    int w = 200, h = 200;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(img);
    /* in crs the plan is a slightly rotated square; split the image at the transformed x = 100 line */
    double mid[4] = {X0 + 100, Y0, X0 + 100, Y0 + 200};
    gis_crs_transform(GIS_CRS_2180, crs, mid, 2, &e);
    double sx = w / (cb[2] - cb[0]), sy = h / (cb[3] - cb[1]);
    cairo_set_source_rgb(cr, 0, 1, 0);
    cairo_paint(cr);
    cairo_move_to(cr, 0, 0);
    cairo_line_to(cr, (mid[2] - cb[0]) * sx, (cb[3] - mid[3]) * sy);
    cairo_line_to(cr, (mid[0] - cb[0]) * sx, (cb[3] - mid[1]) * sy);
    cairo_line_to(cr, 0, h);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0, 0, 1);
    cairo_fill(cr);
    cairo_destroy(cr);
    bool ok = gis_drawing_geotiff(img, crs, cb, out, &e) == ERR_OK;
    if (!ok)
        printf("  %s\n", e.msg);
    cairo_surface_destroy(img);
    return ok;
}

static uint32_t px_at(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s)))[x] & 0xffffff;
}

static bool pdf_has(const unsigned char *pdf, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(pdf + i, needle, k))
            return true;
    return false;
}

static void raster_drawing(void)
{
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    enum gis_crs crss[] = {GIS_CRS_2180, GIS_CRS_2176};
    for (int k = 0; k < 2; k++) {
        struct buf tif = {0};
        CHECK(make_drawing(crss[k], &tif));
        CHECK(tif.len > 100 && !memcmp(tif.data, "II*", 3));
        long id = 0;
        CHECK(gis_drawing_add(store, 2, "test.tif", tif.data, tif.len, 1000, 0, &id, &e) == ERR_OK);
        if (e.code)
            printf("  %s\n", e.msg);
        buf_free(&tif);
        struct gis_drawing d;
        CHECK(gis_drawing_get(store, 2, &d, &e) == ERR_OK);
        CHECK(d.id == id && d.srid == gis_crs_epsg(crss[k]) && d.scale == 1000);
        /* the extent in EPSG:2180 covers the plan (a rotated 2176 rectangle a little more) */
        CHECK(d.bbox[0] <= X0 + 0.01 && d.bbox[0] > X0 - 20 && d.bbox[3] >= Y0 + 199.99 && d.bbox[3] < Y0 + 220);
        CHECK(d.bbox[2] >= X0 + 199.99 && d.bbox[2] < X0 + 220 && d.bbox[1] <= Y0 + 0.01 && d.bbox[1] > Y0 - 20);
        /* warped to a frame of 300 x 300 m at 1 m/px: west half blue, east half green, outside white */
        cairo_surface_t *img = NULL;
        double frame[4] = {X0 - 50, Y0 - 50, X0 + 250, Y0 + 250};
        CHECK(gis_drawing_warp(&d, frame, 300, 300, &img, &e) == ERR_OK);
        if (img) {
            CHECK(px_at(img, 50 + 40, 150) == 0x0000ff);
            CHECK(px_at(img, 50 + 160, 150) == 0x00ff00);
            CHECK(px_at(img, 20, 20) == 0xffffff);
            CHECK(px_at(img, 280, 150) == 0xffffff);
            cairo_surface_destroy(img);
        }
        /* the same frame as the drawing's own pixels and a matrix: drawn with it, the same picture */
        cairo_matrix_t mat;
        img = NULL;
        CHECK(gis_drawing_window(&d, frame, 300, 300, &img, &mat, &e) == ERR_OK);
        if (img) {
            CHECK(cairo_image_surface_get_width(img) < 300); /* a window, not the frame */
            cairo_surface_t *out = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 300, 300);
            cairo_t *cr = cairo_create(out);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_paint(cr);
            cairo_set_source_surface(cr, img, 0, 0);
            cairo_pattern_set_matrix(cairo_get_source(cr), &mat);
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
            cairo_paint(cr);
            cairo_destroy(cr);
            cairo_surface_flush(out);
            CHECK(px_at(out, 50 + 40, 150) == 0x0000ff);
            CHECK(px_at(out, 50 + 160, 150) == 0x00ff00);
            CHECK(px_at(out, 20, 20) == 0xffffff);
            CHECK(px_at(out, 280, 150) == 0xffffff);
            cairo_surface_destroy(out);
            cairo_surface_destroy(img);
        }
        double away[4] = {X0 + 5000, Y0 + 5000, X0 + 5300, Y0 + 5300};
        CHECK(gis_drawing_window(&d, away, 300, 300, &img, &mat, &e) == ERR_NOT_FOUND);
        err_clear(&e);
        gis_drawing_free(&d);
    }
    /* a file GDAL cannot read, and one without georeferencing, are refused */
    CHECK(gis_drawing_add(store, 2, "bad.tif", "not a tiff", 10, 1000, 0, NULL, &e) == ERR_INVALID);
    CHECK(gis_drawing_exists(store, 2) && !gis_drawing_exists(store, 1));
    err_clear(&e);

    /* the wyrys of the MPZP parcel is drawn on the drawing (the newest: EPSG:2176), as an embedded JPEG */
    const char *ids[] = {"080505_4.0001.1/1"};
    struct gis_extract_doc *doc = NULL;
    CHECK(gis_extract_build(store, a, ids, 1, NULL, &doc, &e) == ERR_OK);
    struct gis_extract_meta m = {.organ = "Burmistrz Słubic",
                                 .gmina = "Słubice",
                                 .case_number = "GP.6727.9.2026",
                                 .date = "2026-05-14",
                                 .wypis = false,
                                 .wyrys = true,
                                 .style = gis_extract_style()};
    struct buf pdf = {0};
    struct gis_extract_result res;
    CHECK(doc && gis_extract_pdf(store, doc, &m, &pdf, &res, &e) == ERR_OK);
    if (e.code)
        printf("  %s\n", e.msg);
    CHECK(res.wyrys_sheets == 1 && res.wyrys_raster == 1 && res.fee.wyrys_pln == 20);
    CHECK(pdf_has((unsigned char *)pdf.data, pdf.len, "/DCTDecode"));
    CHECK(pdf_has((unsigned char *)pdf.data, pdf.len, "/MediaBox [ 0 0 595.27"));
    const char *keep = getenv("ODRA_EXTRACT_RASTER_OUT");
    if (keep) {
        FILE *f = fopen(keep, "wb");
        if (f) {
            fwrite(pdf.data, 1, pdf.len, f);
            fclose(f);
        }
    }
    buf_free(&pdf);
    /* A3 landscape and portrait: page sizes, and the fee counts two A4-sized parts per sheet */
    m.sheet = GIS_EXTRACT_A3_LANDSCAPE;
    CHECK(doc && gis_extract_pdf(store, doc, &m, &pdf, &res, &e) == ERR_OK);
    CHECK(res.wyrys_sheets == 1 && res.fee.wyrys_sheets == 2 && res.fee.wyrys_pln == 40);
    CHECK(pdf_has((unsigned char *)pdf.data, pdf.len, "/MediaBox [ 0 0 1190.55"));
    buf_free(&pdf);
    m.sheet = GIS_EXTRACT_A3_PORTRAIT;
    CHECK(doc && gis_extract_pdf(store, doc, &m, &pdf, &res, &e) == ERR_OK);
    CHECK(pdf_has((unsigned char *)pdf.data, pdf.len, "/MediaBox [ 0 0 841.89 1190.55"));
    buf_free(&pdf);
    struct buf png = {0};
    CHECK(doc && gis_extract_wyrys_png(store, doc, &m, 0, 36, &png, &e) == ERR_OK && png.len > 100);
    buf_free(&png);
    /* at 300 dpi on A4 and A3 the sheet decodes with libpng at its full pixel size */
    for (int k = 0; k < 2; k++) {
        m.sheet = k ? GIS_EXTRACT_A3_PORTRAIT : GIS_EXTRACT_A4;
        struct png_check c;
        CHECK(doc && gis_extract_wyrys_png(store, doc, &m, 0, 300, &png, &e) == ERR_OK);
        int rc = png_check_decode(png.data, png.len, &c);
        if (rc)
            printf("  libpng: %s\n", c.msg);
        CHECK(rc == 0 && png_check_varied(&c));
        CHECK(abs(c.width - (k ? 3508 : 2480)) <= 2 && abs(c.height - (k ? 4961 : 3508)) <= 2); /* 210 and 297 mm */
        png_check_free(&c);
        buf_free(&png);
    }
    enum gis_extract_sheet f;
    CHECK(gis_extract_sheet_parse("a3", &f) && f == GIS_EXTRACT_A3_LANDSCAPE);
    CHECK(gis_extract_sheet_parse("A3-portrait", &f) && f == GIS_EXTRACT_A3_PORTRAIT);
    CHECK(!gis_extract_sheet_parse("A2", &f) && !gis_extract_sheet_parse(NULL, &f));
    /* no drawing: the vector path */
    gis_store_exec(store, "DELETE FROM plan_drawings", &e);
    m.sheet = GIS_EXTRACT_A4;
    CHECK(doc && gis_extract_pdf(store, doc, &m, &pdf, &res, &e) == ERR_OK);
    CHECK(res.wyrys_raster == 0 && !pdf_has((unsigned char *)pdf.data, pdf.len, "/DCTDecode"));
    buf_free(&pdf);
    arena_free(a);
}

int main(void)
{
    GDALAllRegister();
    build_store();
    RUN(fees);
    RUN(clean_text);
    RUN(case_numbers_and_codes);
    RUN(document_model);
    RUN(limits);
    RUN(issue_pdf);
    RUN(raster_drawing);
    gis_store_close(store);
    gis_geos_thread_cleanup();
    unlink(path);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    rmdir(dir);
    return test_done();
}
