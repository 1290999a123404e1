/* Tests for gis/extract on a small hand-made store: fees on worked examples, text cleaning, case numbers
 * and codes, the document model (a parcel across three zones, one outside every MPZP, one outside every
 * plan), the limits, and the PDF (valid structure, language, pages, issuing in one transaction).
 * ODRA_EXTRACT_OUT=FILE.pdf keeps the rendered document for a look. */
#include "gis/extract.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test.h"

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
    CHECK_STR(gis_extract_case_number(a, "GP.6727.{seq}.{year}", 15, 2026), "GP.6727.15.2026");
    CHECK_STR(gis_extract_case_number(a, "{year}/{seq}", 3, 2025), "2025/3");
    char c1[GIS_EXTRACT_CODE_LEN + 1], c2[GIS_EXTRACT_CODE_LEN + 1];
    struct err e = {0};
    CHECK(gis_extract_new_code(c1, &e) == ERR_OK && gis_extract_new_code(c2, &e) == ERR_OK);
    CHECK(strlen(c1) == 24 && strcmp(c1, c2) != 0);
    CHECK(strspn(c1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 24);
    char h[65];
    gis_extract_sha256("abc", 3, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    arena_free(a);
}

static void document_model(void)
{
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    const char *ids[] = {"080505_4.0001.1/1", "080505_4.0001.2/1", "080505_4.0001.3/1", "080505_4.0001.1/1"};
    struct gis_extract_doc *d = NULL;
    CHECK(gis_extract_build(store, a, ids, 4, &d, &e) == ERR_OK);
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
    CHECK(gis_extract_build(store, a, bad, 2, &d, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "080505_4.0001.999/9") != NULL);
    err_clear(&e);
    const char *junk[] = {"'; DROP TABLE parcels; --"};
    CHECK(gis_extract_build(store, a, junk, 1, &d, &e) == ERR_UNPROCESSABLE);
    err_clear(&e);
    const char *many[GIS_EXTRACT_MAX_PARCELS + 1];
    for (int i = 0; i <= GIS_EXTRACT_MAX_PARCELS; i++)
        many[i] = "080505_4.0001.1/1";
    CHECK(gis_extract_build(store, a, many, GIS_EXTRACT_MAX_PARCELS + 1, &d, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "100") != NULL);
    err_clear(&e);
    CHECK(gis_extract_build(store, a, many, 0, &d, &e) == ERR_UNPROCESSABLE);
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

int main(void)
{
    build_store();
    RUN(fees);
    RUN(clean_text);
    RUN(case_numbers_and_codes);
    RUN(document_model);
    RUN(limits);
    RUN(issue_pdf);
    gis_store_close(store);
    gis_place_thread_cleanup();
    unlink(path);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    rmdir(dir);
    return test_done();
}
