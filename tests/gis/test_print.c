/* The planners' map print (gis/print.c): paper names, the frame's ground extent at a scale, the checks of a
 * print's parameters, and one sheet of an empty store as a one-page PDF of the paper's size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gis/print.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static void paper_names(void)
{
    enum gis_extract_sheet f;
    CHECK(gis_print_paper_parse("A4", NULL, &f) && f == GIS_EXTRACT_A4);
    CHECK(gis_print_paper_parse("a4", "landscape", &f) && f == GIS_EXTRACT_A4_LANDSCAPE);
    CHECK(gis_print_paper_parse("A3", "portrait", &f) && f == GIS_EXTRACT_A3_PORTRAIT);
    CHECK(gis_print_paper_parse("A3", "LANDSCAPE", &f) && f == GIS_EXTRACT_A3_LANDSCAPE);
    CHECK(!gis_print_paper_parse("A0", NULL, &f));
    CHECK(!gis_print_paper_parse(NULL, NULL, &f));
    CHECK(!gis_print_paper_parse("A4", "diagonal", &f));
    CHECK(!gis_print_paper_parse("A4-landscape", NULL, &f));
    /* the wyrys never takes the print's A4 landscape */
    CHECK(!gis_extract_sheet_parse("A4-landscape", &f));
    CHECK(gis_extract_sheet_parts(GIS_EXTRACT_A4_LANDSCAPE) == 1);
}

static void ground_extent(void)
{
    double w, h;
    /* the A4 frame is 511 x 500 pt: at 1:1000 its ground size in metres is its size in millimetres */
    gis_print_extent(GIS_EXTRACT_A4, 1000, &w, &h);
    CHECK(fabs(w - 511 * 25.4 / 72) < 1e-9 && fabs(h - 500 * 25.4 / 72) < 1e-9);
    gis_print_extent(GIS_EXTRACT_A3_LANDSCAPE, GIS_PRINT_SCALE_MAX, &w, &h);
    CHECK(w < 4000 && h < 2000); /* the largest print stays a few kilometres */
}

static enum err_code print_to(struct gis_store *s, const struct gis_print *p, struct buf *out, struct err *e)
{
    err_clear(e);
    buf_free(out);
    return gis_print_pdf(s, p, out, e);
}

static void checks_and_one_page(void)
{
    char path[] = "/tmp/odra-test-print-XXXXXX";
    struct gis_store *s = test_store_new(path);
    CHECK(s != NULL);
    if (!s)
        return;
    struct buf out = {0};
    struct err e = {0};
    struct gis_print p = {.paper = GIS_EXTRACT_A4, .cx = 233500, .cy = 485000, .scale = 1000, .gmina = "Próbna"};
    CHECK(print_to(s, &p, &out, &e) == ERR_OK);
    CHECK(out.len > 1000 && !memcmp(out.data, "%PDF", 4));
    CHECK(out.data && memmem(out.data, out.len, "/MediaBox [ 0 0 595.27", 22) != NULL);
    p.paper = GIS_EXTRACT_A3_LANDSCAPE;
    CHECK(print_to(s, &p, &out, &e) == ERR_OK);
    CHECK(out.data && memmem(out.data, out.len, "/MediaBox [ 0 0 1190.55", 23) != NULL);
    p.scale = GIS_PRINT_SCALE_MAX + 1;
    CHECK(print_to(s, &p, &out, &e) == ERR_INVALID && !strcmp(e.param, "scale"));
    p.scale = 0;
    CHECK(print_to(s, &p, &out, &e) == ERR_INVALID && !strcmp(e.param, "scale"));
    p.scale = 1000, p.cx = NAN;
    CHECK(print_to(s, &p, &out, &e) == ERR_INVALID && !strcmp(e.param, "bbox")); /* no centre and no parcels */
    p.cx = 233500, p.as_of = "2026-02-30";
    CHECK(print_to(s, &p, &out, &e) == ERR_INVALID && !strcmp(e.param, "date"));
    p.as_of = NULL, p.paper = (enum gis_extract_sheet)42;
    CHECK(print_to(s, &p, &out, &e) == ERR_INVALID && !strcmp(e.param, "paper"));
    const char *ids[] = {"080505_4.0001.1"};
    p.paper = GIS_EXTRACT_A4, p.parcels = ids, p.nparcels = 1;
    CHECK(print_to(s, &p, &out, &e) == ERR_UNPROCESSABLE); /* not in this store */
    buf_free(&out);
    gis_store_close(s);
    unlink(path);
}

int main(void)
{
    RUN(paper_names);
    RUN(ground_extent);
    RUN(checks_and_one_page);
    return test_done();
}
