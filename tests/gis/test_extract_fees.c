/* Tests for the extract fees (gis/extract_fees.c) and the wypis page count at the fee's 5-page limit:
 * the wyrys of 1 to 11 A4-sized parts and of A3 sheets, the exemptions of the act (by purpose code and by
 * applicant kind), one fee per plan, and, on wypisy of every length around five pages, that the closing
 * part (fee statement, signature, verification) is never alone on a page and never takes a 5-page wypis to
 * the 6-page fee. The pages are read back with pdftotext, an independent reader. */
#include "gis/extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test.h"

static void wyrys_parts(void)
{
    for (int n = 1; n <= 11; n++) {
        struct gis_extract_fee_in in = {.wyrys_parts = n};
        struct gis_extract_fee f = gis_extract_fee_compute(NULL, &in);
        CHECK(f.wyrys_pln == (n * 20 > 200 ? 200 : n * 20));
        CHECK(f.total_pln == f.wyrys_pln && f.due_pln == f.total_pln && f.wypis_pln == 0);
    }
    /* A3 sheets: two A4-sized parts each */
    CHECK(gis_extract_sheet_parts(GIS_EXTRACT_A3_LANDSCAPE) == 2 && gis_extract_sheet_parts(GIS_EXTRACT_A4) == 1);
    for (int sheets = 1; sheets <= 6; sheets++) {
        struct gis_extract_fee_in in = {.wyrys_parts = sheets * gis_extract_sheet_parts(GIS_EXTRACT_A3_PORTRAIT)};
        struct gis_extract_fee f = gis_extract_fee_compute(NULL, &in);
        CHECK(f.wyrys_pln == (sheets * 40 > 200 ? 200 : sheets * 40));
    }
}

static void wypis_pages_and_plans(void)
{
    struct gis_extract_fee_in in = {.wypis_pages = 5, .plans = 3};
    CHECK(gis_extract_fee_compute(NULL, &in).wypis_pln == 30);
    in.wypis_pages = 6;
    CHECK(gis_extract_fee_compute(NULL, &in).wypis_pln == 50);
    in.per_plan = true; /* one wypis per plan cited */
    struct gis_extract_fee f = gis_extract_fee_compute(NULL, &in);
    CHECK(f.wypis_pln == 150 && f.wypis_count == 3);
    CHECK(f.nplan_fees == 3 && f.plan_fees[2].pages == 6 && f.plan_fees[2].pln == 50);
    /* each plan's own wypis by its own pages: 3, 6 and 5 pages are 30 + 50 + 30 zł */
    const int pages[] = {3, 6, 5};
    in.plan_pages = pages;
    f = gis_extract_fee_compute(NULL, &in);
    CHECK(f.wypis_pln == 110 && f.wypis_count == 3 && f.wypis_pages == 6);
    CHECK(f.plan_fees[0].pln == 30 && f.plan_fees[1].pln == 50 && f.plan_fees[2].pages == 5 &&
          f.plan_fees[2].pln == 30);
    in.per_plan = false; /* one fee for the document: its own pages, the plans' ignored */
    f = gis_extract_fee_compute(NULL, &in);
    CHECK(f.wypis_pln == 50 && f.wypis_count == 1 && f.nplan_fees == 0);
    in.per_plan = true;
    in.plan_pages = NULL;
    in.plans = 1;
    CHECK(gis_extract_fee_compute(NULL, &in).wypis_pln == 50);
    CHECK(gis_extract_fee_compute(NULL, &in).nplan_fees == 0);
    in.wypis_pages = 0;
    CHECK(gis_extract_fee_compute(NULL, &in).total_pln == 0);
}

static void exemptions(void)
{
    CHECK(gis_extract_exemption_for("budownictwo_mieszkaniowe", NULL) == GIS_EXEMPT_HOUSING);
    CHECK(gis_extract_exemption_for("sprzedaz", NULL) == GIS_EXEMPT_NONE);
    CHECK(gis_extract_exemption_for("budowa domu", "person") == GIS_EXEMPT_NONE); /* free text claims nothing */
    CHECK(gis_extract_exemption_for(NULL, "budget_unit") == GIS_EXEMPT_BUDGET_UNIT);
    CHECK(gis_extract_exemption_for("sprzedaz", "local_government") == GIS_EXEMPT_LOCAL_GOVERNMENT);
    CHECK(gis_extract_exemption_for(NULL, "public_benefit_org") == GIS_EXEMPT_PUBLIC_BENEFIT);
    CHECK(gis_extract_exemption_for(NULL, "social_assistance") == GIS_EXEMPT_POVERTY);
    CHECK(!gis_extract_applicant_kind_ok("king") && gis_extract_applicant_kind_ok("company"));
    CHECK_STR(gis_extract_exemption_text(GIS_EXEMPT_HOUSING)->article, "art. 2 ust. 1 pkt 1 lit. h");
    CHECK_STR(gis_extract_exemption_text(GIS_EXEMPT_BUDGET_UNIT)->article, "art. 7 pkt 1");
    CHECK_STR(gis_extract_exemption_text(GIS_EXEMPT_LOCAL_GOVERNMENT)->article, "art. 7 pkt 2");
    CHECK_STR(gis_extract_exemption_text(GIS_EXEMPT_PUBLIC_BENEFIT)->article, "art. 7 pkt 3");
    CHECK_STR(gis_extract_exemption_text(GIS_EXEMPT_POVERTY)->article, "art. 2 ust. 1 pkt 2");
    struct gis_extract_fee_in in = {.wypis_pages = 2, .wyrys_parts = 3, .exemption = GIS_EXEMPT_HOUSING};
    struct gis_extract_fee f = gis_extract_fee_compute(NULL, &in);
    CHECK(f.total_pln == 90 && f.due_pln == 0 && f.exemption == GIS_EXEMPT_HOUSING);
}

/* The text of page `page` of the PDF at path (pdftotext), in a malloc'd string. */
static char *page_text(const char *path, int page)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 -f %d -l %d '%s' - 2>/dev/null", page, page, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t r;
    while (s && (r = fread(s + n, 1, cap - n - 1, p)) > 0)
        n += r;
    pclose(p);
    if (s)
        s[n] = 0;
    return s;
}

/* A document of one plan whose provisions are `lines` one-line paragraphs marked "BODYLINE". */
static struct gis_extract_doc *doc_of(struct arena *a, int lines)
{
    struct gis_extract_doc *d = arena_alloc(a, sizeof *d);
    struct gis_extract_plan *pl = arena_alloc(a, sizeof *pl);
    struct gis_extract_provision *pv = arena_alloc(a, sizeof *pv * (size_t)lines);
    memset(d, 0, sizeof *d);
    memset(pl, 0, sizeof *pl);
    for (int i = 0; i < lines; i++)
        pv[i] = (struct gis_extract_provision){.scope = "general", .body = arena_printf(a, "BODYLINE %d.", i + 1)};
    pl->ref = (struct gis_plan_ref){.id = 1, .kind = "mpzp", .title = "Plan testowy", .resolution = "Uchwała nr 1"};
    pl->provisions = pv;
    pl->nprovisions = lines;
    *d = (struct gis_extract_doc){.as_of = "2026-05-14", .plans = pl, .nplans = 1};
    return d;
}

/* Every wypis length from four to seven pages: the fee follows the page count, the closing part is whole
 * on the last page, a sixth page always holds text of the wypis itself, and the compact closing part
 * keeps a wypis at five pages at least once (the boundary) while some lengths do need six. */
static void page_limit_boundary(void)
{
    char path[] = "/tmp/odra-test-fees-XXXXXX.pdf";
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    int five = 0, six = 0, compact5 = 0;
    for (int lines = 160; lines <= 250; lines++) {
        struct arena *a = arena_new(1 << 16);
        struct gis_extract_meta m = {.organ = "Burmistrz Testowa",
                                     .place = "Testowo",
                                     .legal_basis = "art. 30 ust. 1 u.p.z.p.",
                                     .signatory = "Anna Nowak",
                                     .signatory_role = "Kierownik Referatu",
                                     .signatory_zup = "z up. Burmistrza",
                                     .gmina = "Testowo",
                                     .case_number = "GP.6727.1.2026",
                                     .date = "2026-05-14",
                                     .applicant_name = "Jan Kowalski",
                                     .verification_code = "ABCDEFGHIJKLMNOPQRSTUVWX",
                                     .verify_url = "https://gis.example.pl/verify/ABCDEFGHIJKLMNOPQRSTUVWX",
                                     .wypis = true};
        struct buf out = {0};
        struct gis_extract_result r;
        struct err e = {0};
        enum err_code rc = gis_extract_pdf(NULL, doc_of(a, lines), &m, &out, &r, &e);
        CHECK(rc == ERR_OK);
        FILE *f = fopen(path, "wb");
        if (!rc && f) {
            fwrite(out.data, 1, out.len, f);
            fclose(f);
            char *last = page_text(path, r.wypis_pages);
            bool whole =
                last && strstr(last, "Opłata skarbowa") && strstr(last, "Anna Nowak") && strstr(last, "ABCD-EFGH");
            if (!whole)
                printf("  %d lines: the closing part is not whole on page %d\n", lines, r.wypis_pages);
            CHECK(whole);
            CHECK(r.fee.wypis_pln == (r.wypis_pages <= 5 ? 30 : 50));
            if (r.wypis_pages == 6) {
                bool body = last && strstr(last, "BODYLINE");
                if (!body)
                    printf("  %d lines: page 6 holds only the closing part\n", lines);
                CHECK(body);
                six++;
            }
            five += r.wypis_pages == 5;
            compact5 += r.wypis_pages == 5 && r.compact_tail;
            free(last);
        } else if (f)
            fclose(f);
        buf_free(&out);
        arena_free(a);
    }
    printf("  wypisy of 5 pages: %d (closing part compact in %d), of 6 pages: %d\n", five, compact5, six);
    CHECK(five > 0 && six > 0 && compact5 > 0);
    unlink(path);
}

int main(void)
{
    RUN(wyrys_parts);
    RUN(wypis_pages_and_plans);
    RUN(exemptions);
    RUN(page_limit_boundary);
    return test_done();
}
