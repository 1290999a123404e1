/* Tests for the PDF typesetter (gis/pdf.h): paragraphs with Polish diacritics flowed across page breaks,
 * a table whose header repeats on the next page, running furniture counted in a first pass, tags and the
 * document language; the PDF is checked by qpdf --check and read back by pdftotext (poppler), as a
 * reader would. Hyphenation is checked on known words. ODRA_PDF_OUT=FILE.pdf keeps the document. */
#include "gis/pdf.h"

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/test.h"

static char dir[] = "/tmp/odra-test-pdf-XXXXXX";

/* Runs cmd and returns its standard output (malloc'd, NUL-terminated) and exit status in *status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t k;
    while (out && (k = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *o = realloc(out, cap * 2);
            if (!o)
                break;
            out = o;
            cap *= 2;
        }
    }
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (out)
        out[n] = 0;
    return out;
}

/* The value of "key:" in pdfinfo's output, up to the line end, in a static buffer; NULL when absent. */
static const char *info_value(const char *out, const char *key)
{
    static char v[256];
    char k[64];
    snprintf(k, sizeof k, "\n%s:", key);
    const char *p = strstr(out, k + 1) == out ? out + strlen(k + 1) : strstr(out, k);
    if (!p)
        return NULL;
    if (p != out + strlen(k + 1))
        p += strlen(k);
    p += strspn(p, " ");
    size_t n = strcspn(p, "\n");
    snprintf(v, sizeof v, "%.*s", (int)n, p);
    return v;
}

static int furniture_calls;

static void footer(struct gis_pdf *t)
{
    furniture_calls++;
    PangoLayout *l = gis_pdf_layout(t, gis_pdf_markup(t, "Strona %d z %d", t->page, t->total), "DejaVu Sans 7.5",
                                    gis_pdf_text_width(t), PANGO_ALIGN_RIGHT, false);
    gis_pdf_show(t, l, t->pg.left, gis_pdf_bottom(t) + 16);
    g_object_unref(l);
}

static const char *const para_text =
    "Zażółć gęślą jaźń: przeznaczenie terenu pod zabudowę mieszkaniową jednorodzinną, z zachowaniem "
    "nieprzekraczalnych linii zabudowy i wskaźników intensywności zabudowy określonych w ustaleniach "
    "szczegółowych planu miejscowego.";

/* The whole document; run with cr NULL to count pages and then to draw. */
static void typeset(struct gis_pdf *t, int nparas)
{
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");
    gis_pdf_para(t, gis_pdf_markup(t, "%s", "Wypis próbny — łódź, źrebię, ćma"), "DejaVu Sans Bold 15",
                 PANGO_ALIGN_CENTER, false, 0, "H1", 8);
    for (int i = 0; i < nparas; i++) {
        if (i % 10 == 0)
            gis_pdf_heading(t, gis_pdf_markup(t, "Rozdział %d. Ustalenia ogólne", i / 10 + 1), "DejaVu Sans Bold 11",
                            "H2", 6);
        gis_pdf_body(t, para_text, "DejaVu Serif 10", 0);
    }
    static const double w[] = {0.2, 0.5, 0.3};
    static const PangoAlignment al[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT};
    static const char *const head[] = {"Symbol", "Przeznaczenie", "Powierzchnia [m²]"};
    gis_pdf_table_begin(t, 3, w, al, head, "DejaVu Sans 8");
    gis_pdf_table_header(t);
    for (int i = 0; i < 60; i++) {
        const char *c[] = {gis_pdf_markup(t, "%dMN", i + 1), "teren zabudowy mieszkaniowej jednorodzinnej",
                           gis_pdf_markup(t, "%d", 1000 + i)};
        gis_pdf_table_row(t, c, false);
    }
    gis_pdf_table_end(t, 6);
    gis_pdf_finish(t);
}

static void test_document(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/doc.pdf", dir);
    struct arena *a = arena_new(1 << 16);
    PangoContext *pc = gis_pdf_context("pl-PL");
    struct err e = {0};
    CHECK(gis_pdf_check_fonts(pc, &e) == ERR_OK);
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .furniture = footer};
    typeset(&t, 40);
    int pages = t.page;
    CHECK(pages >= 3); /* forty paragraphs and a sixty-row table do not fit two A4 pages */
    CHECK(furniture_calls == pages);

    struct buf out = {0};
    buf_puts(&out, "x"); /* the PDF need not start the buffer */
    const struct gis_pdf_info info = {.title = "Wypis próbny", .author = "Burmistrz Słubic", .subject = "test"};
    cairo_surface_t *surf = gis_pdf_surface_create(&out, gis_pdf_a4.w, gis_pdf_a4.h, &info);
    cairo_t *cr = cairo_create(surf);
    struct gis_pdf d = {.pc = pc, .a = a, .pg = gis_pdf_a4, .furniture = footer, .cr = cr, .total = pages};
    typeset(&d, 40);
    CHECK(d.page == pages); /* both passes break the same way */
    CHECK(cairo_status(cr) == CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    CHECK(cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surf);
    CHECK(gis_pdf_finalize(&out, 1, "pl-PL", &info, &e) == ERR_OK);
    CHECK(!out.failed && out.len > 1000);
    /* the language, added by an incremental update, and the structure tree of a tagged PDF */
    CHECK(memmem(out.data, out.len, "/Lang (pl-PL)", 13) != NULL);
    CHECK(memmem(out.data, out.len, "/StructTreeRoot", 15) != NULL);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(out.data + 1, 1, out.len - 1, f) == out.len - 1);
    if (f)
        fclose(f);
    if (getenv("ODRA_PDF_OUT")) {
        FILE *k = fopen(getenv("ODRA_PDF_OUT"), "wb");
        if (k) {
            fwrite(out.data + 1, 1, out.len - 1, k);
            fclose(k);
        }
    }
    buf_free(&out);

    int st;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "qpdf --check '%s' 2>&1", path);
    char *q = run(cmd, &st);
    CHECK(st == 0);
    CHECK(q && strstr(q, "No syntax or stream encoding errors"));
    if (st != 0 && q)
        printf("  %s\n", q);
    free(q);

    snprintf(cmd, sizeof cmd, "pdfinfo '%s'", path);
    char *info_out = run(cmd, &st);
    CHECK(st == 0);
    char want[64];
    CHECK(info_out && info_value(info_out, "Pages") && atoi(info_value(info_out, "Pages")) == pages);
    CHECK(info_out && test_streq(info_value(info_out, "Title"), "Wypis próbny"));
    CHECK(info_out && test_streq(info_value(info_out, "Author"), "Burmistrz Słubic"));
    CHECK(info_out && test_streq(info_value(info_out, "Tagged"), "yes"));
    free(info_out);

    /* the text reads back with its diacritics, the footer names every page, the table's header repeats */
    snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' -", path);
    char *txt = run(cmd, &st);
    CHECK(st == 0 && txt);
    if (txt) {
        CHECK(strstr(txt, "Wypis próbny — łódź, źrebię, ćma"));
        CHECK(strstr(txt, "Zażółć gęślą jaźń"));
        CHECK(strstr(txt, "Rozdział 4. Ustalenia ogólne"));
        for (int p = 1; p <= pages; p++) {
            snprintf(want, sizeof want, "Strona %d z %d", p, pages);
            CHECK(strstr(txt, want));
        }
        int heads = 0;
        for (const char *s = txt; (s = strstr(s, "Powierzchnia [m²]")); s++)
            heads++;
        CHECK(heads >= 2); /* the table crosses a page break */
        CHECK(strstr(txt, "60MN") && strstr(txt, "1059"));
        /* justified lines break words at soft hyphens, which show only at a line's end */
        int breaks = 0;
        for (const char *s = txt; (s = strstr(s, "\xC2\xAD")); s += 2, breaks++)
            CHECK(s[2] == '\n');
        CHECK(breaks > 0);
    }
    free(txt);
    g_object_unref(pc);
    arena_free(a);
}

static void test_hyphenate(void)
{
    struct arena *a = arena_new(4096);
    /* a soft hyphen (SH) before a consonant between vowels or before a digraph (cz, sz, rz, dz, ch) that
     * stands before a vowel, at least three letters from either end of a word of eight letters or more */
#define SH "\xC2\xAD"
    CHECK_STR(gis_pdf_hyphenate(a, "zabudowy"), "zabu" SH "dowy");
    CHECK_STR(gis_pdf_hyphenate(a, "dom i ogród"), "dom i ogród");
    CHECK_STR(gis_pdf_hyphenate(a, "przeznaczenie"), "przezna" SH "cze" SH "nie");
    CHECK_STR(gis_pdf_hyphenate(a, "mieszkaniową"), "mieszka" SH "niową");
    const char *h = gis_pdf_hyphenate(a, "Zażółć gęślą jaźń, 12 m²");
    CHECK(h && strstr(h, "jaźń, 12 m²"));
    arena_free(a);
}

/* glibc's own conversion of d with "%.*f", into s of n bytes. */
static int glibc_fixed(char *s, size_t n, double d, int prec)
{
    return snprintf(s, n, "%.*f", prec, d);
}

/* One comparison of gis_pdf_fixed against glibc; counts a mismatch (printing the first few). */
static void same_as_glibc(double d, int prec, int *bad)
{
    char want[64], got[64];
    int wl = glibc_fixed(want, sizeof want, d, prec), gl = gis_pdf_fixed(got, sizeof got, d, prec);
    if (gl < 0)
        return; /* declined: glibc writes it */
    if (gl != wl || strcmp(want, got) != 0) {
        if ((*bad)++ < 5)
            printf("  %.17g with precision %d: glibc \"%s\", gis_pdf_fixed \"%s\"\n", d, prec, want, got);
    }
}

/* xorshift64*, so that a failure repeats */
static uint64_t rnd_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12, rnd_state ^= rnd_state << 25, rnd_state ^= rnd_state >> 27;
    return rnd_state * 2685821657736338717u;
}

/* The numbers cairo writes into PDFs come out as glibc writes them: random magnitudes, the exact ties (a tie
 * goes to the even digit), the doubles on either side of every rounding boundary, negative zero and small
 * negatives ("-0.000"), and truncation to a short buffer. What it declines (NaN, infinity, 1e9 and above, a
 * precision above 6) is left to glibc. */
static void test_fixed_numbers(void)
{
    int bad = 0;
    for (int i = 0; i < 400000; i++) {
        double mag = pow(10, (double)(rnd() % 1300) / 100.0 - 4); /* 1e-4 .. 1e9 */
        double d = (double)(rnd() >> 11) / 9007199254740992.0 * mag * (rnd() & 1 ? -1 : 1);
        same_as_glibc(d, (int)(rnd() % 7), &bad);
        /* cairo's "%.18f" of numbers below 0.1, down to subnormals */
        double small = ldexp((double)(rnd() >> 11), -(int)(rnd() % 1100)) * (rnd() & 1 ? -1 : 1);
        same_as_glibc(fmod(small, 0.1), (int)(rnd() % 19), &bad);
    }
    for (int prec = 0; prec <= 6; prec++) {
        double scale = pow(10, prec);
        for (long k = -20000; k <= 20000; k++) {
            double tie = ((double)k + 0.5) / scale; /* the boundary, often not exact */
            same_as_glibc(tie, prec, &bad);
            same_as_glibc(nextafter(tie, INFINITY), prec, &bad);
            same_as_glibc(nextafter(tie, -INFINITY), prec, &bad);
            same_as_glibc((double)k / scale, prec, &bad);
        }
    }
    /* exact binary ties: k/2^m with few enough bits */
    for (long k = -5000; k <= 5000; k++)
        for (int m = 1; m <= 12; m++)
            for (int prec = 0; prec <= 6; prec++)
                same_as_glibc(ldexp((double)k, -m), prec, &bad);
    const double edges[] = {0.0,
                            -0.0,
                            -0.0004,
                            -0.0005,
                            0.0005,
                            0.0015,
                            0.0025,
                            2.5,
                            0.125,
                            -0.125,
                            999999999.9999,
                            -999999999.9996,
                            1e9 - 1e-7,
                            123456.7890005,
                            4503599627370495.5 / 1e7};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        for (int prec = 0; prec <= 18; prec++)
            same_as_glibc(edges[i], prec, &bad);
    CHECK(bad == 0);

    char s[16];
    CHECK(gis_pdf_fixed(s, sizeof s, NAN, 3) == -1);
    CHECK(gis_pdf_fixed(s, sizeof s, INFINITY, 3) == -1);
    CHECK(gis_pdf_fixed(s, sizeof s, 1e9, 3) == -1);
    CHECK(gis_pdf_fixed(s, sizeof s, 1.5, 19) == -1);
    CHECK(gis_pdf_fixed(s, sizeof s, 1.5, -1) == -1);
    CHECK(gis_pdf_fixed(s, sizeof s, -0.0, 3) == 6 && strcmp(s, "-0.000") == 0);
    /* truncation as snprintf: the length of the whole, the buffer cut and terminated */
    CHECK(gis_pdf_fixed(s, 5, 1234.5678, 3) == 8 && strcmp(s, "1234") == 0);
    CHECK(gis_pdf_fixed(s, 1, 1234.5678, 3) == 8 && s[0] == 0);
    CHECK(gis_pdf_fixed(NULL, 0, 1234.5678, 3) == 8);
}

/* The fortified snprintf that cairo calls is odra's (the executable's symbol comes first): it writes "%.*f",
 * "%f", "%.18f", "%d" and "%ld" as glibc does, passes every other format to glibc, and a libcairo call reaches it. */
static void test_fixed_in_cairo(void)
{
    typedef int (*chk_fn)(char *, size_t, int, size_t, const char *, ...);
    void *sym = dlsym(RTLD_DEFAULT, "__snprintf_chk");
    chk_fn chk;
    memcpy(&chk, &sym, sizeof chk);
    CHECK(sym != NULL);
    if (!sym)
        return;
    Dl_info info;
    CHECK(dladdr(sym, &info) && info.dli_sname && strcmp(info.dli_sname, "__snprintf_chk") == 0 && info.dli_fname &&
          !strstr(info.dli_fname, "libc.so"));
    char s[64];
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.*f", 3, 144.4255) == 7 && strcmp(s, "144.425") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.*f", 3, 144.4265) == 7 && strcmp(s, "144.427") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%f", -2.0 / 3) == 9 && strcmp(s, "-0.666667") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.*f", 3, NAN) == 3 && strcmp(s, "nan") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.18f", 0.05) == 20 && strcmp(s, "0.050000000000000003") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.18f", 1e-300) == 20 && strcmp(s, "0.000000000000000000") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%.18f", -0.07) == 21 && strcmp(s, "-0.070000000000000007") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%d", INT_MIN) == 11 && strcmp(s, "-2147483648") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%d", 0) == 1 && strcmp(s, "0") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%ld", LONG_MIN) == 20 && strcmp(s, "-9223372036854775808") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%ld", 1234567890123L) == 13 && strcmp(s, "1234567890123") == 0);
    CHECK(chk(s, 3, 1, 3, "%d", 12345) == 5 && strcmp(s, "12") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%010ld", 1234L) == 10 && strcmp(s, "0000001234") == 0);
    CHECK(chk(s, sizeof s, 1, sizeof s, "%d %s", 42, "m²") == 6 && strcmp(s, "42 m²") == 0);
    CHECK(chk(s, 4, 1, 4, "%.*f", 3, 12.5) == 6 && strcmp(s, "12.") == 0);
}

/* cairo's PDF streams are gathered and compressed whole by libdeflate (pdf.c): a stream fed in pieces and
 * drained through a small window inflates back to its input with zlib; one ended early says so; a stream
 * anyone else opens is zlib's own; and a PDF cairo writes goes through the gathering. */
static void test_deflate_gather(void)
{
    static unsigned char in[200000], back[200000], out[64];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)((i * 7 + (i >> 9)) % 251 < 200 ? 'a' + i % 13 : i % 256);
    z_stream z = {0};
    CHECK(gis_pdf_deflate_gather(&z, Z_DEFAULT_COMPRESSION) == Z_OK);
    for (size_t at = 0; at < sizeof in; at += 16384) {
        z.next_in = in + at;
        z.avail_in = (uInt)(sizeof in - at < 16384 ? sizeof in - at : 16384);
        CHECK(deflate(&z, Z_NO_FLUSH) == Z_OK && z.avail_in == 0);
    }
    unsigned char *comp = malloc(sizeof in + 1024);
    size_t clen = 0;
    int rc;
    do {
        z.next_out = out, z.avail_out = sizeof out;
        rc = deflate(&z, Z_FINISH);
        memcpy(comp + clen, out, sizeof out - z.avail_out);
        clen += sizeof out - z.avail_out;
    } while (rc == Z_OK && clen < sizeof in + 1024 - sizeof out);
    CHECK(rc == Z_STREAM_END);
    CHECK(z.total_in == sizeof in && z.total_out == clen && clen < sizeof in / 2);
    CHECK(deflateEnd(&z) == Z_OK);
    uLongf blen = sizeof back;
    CHECK(uncompress(back, &blen, comp, clen) == Z_OK && blen == sizeof in && memcmp(back, in, sizeof in) == 0);
    free(comp);

    z_stream early = {0};
    CHECK(gis_pdf_deflate_gather(&early, 1) == Z_OK);
    early.next_in = in, early.avail_in = 1000;
    CHECK(deflate(&early, Z_NO_FLUSH) == Z_OK);
    CHECK(deflateEnd(&early) == Z_DATA_ERROR);

    /* opened here, not by cairo: zlib's own stream, whose state points back to it */
    z_stream own = {0};
    CHECK(deflateInit(&own, Z_DEFAULT_COMPRESSION) == Z_OK);
    CHECK(own.state && *(z_streamp *)(void *)own.state == &own);
    unsigned char small[256];
    own.next_in = in, own.avail_in = 100, own.next_out = small, own.avail_out = sizeof small;
    CHECK(deflate(&own, Z_FINISH) == Z_STREAM_END);
    CHECK(deflateEnd(&own) == Z_OK);
    blen = sizeof back;
    CHECK(uncompress(back, &blen, small, own.total_out) == Z_OK && blen == 100 && memcmp(back, in, 100) == 0);

    unsigned long before = gis_pdf_deflate_gathered();
    struct buf pdf = {0};
    cairo_surface_t *surf = gis_pdf_surface_create(&pdf, 200, 200, NULL);
    cairo_t *cr = cairo_create(surf);
    cairo_rectangle(cr, 10, 10, 50, 50);
    cairo_fill(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    cairo_surface_destroy(surf);
    CHECK(gis_pdf_deflate_gathered() > before);
    CHECK(pdf.len > 100 && memcmp(pdf.data, "%PDF", 4) == 0);
    buf_free(&pdf);
}

/* A thread hands out the same layout, already shaped, for the same text, font and settings, and a new one
 * when any of them differs; past GIS_PDF_LAYOUTS_KEPT it starts afresh; a kept layout draws the same as a
 * fresh one. */
static void test_layouts_kept(void)
{
    struct arena *a = arena_new(1 << 16);
    PangoContext *pc = gis_pdf_context("pl-PL"), *pc2 = gis_pdf_context("pl-PL"), *en = gis_pdf_context("en");
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4}, t2 = {.pc = pc2, .a = a, .pg = gis_pdf_a4},
                   te = {.pc = en, .a = a, .pg = gis_pdf_a4};
    PangoLayout *l1 = gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false);
    int w1, h1;
    pango_layout_get_size(l1, &w1, &h1);
    PangoLayout *l2 = gis_pdf_layout(&t2, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false);
    CHECK(l1 == l2); /* another document of the same language */
    PangoLayout *other[] = {
        gis_pdf_layout(&t, "Wypis z planu.", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false),
        gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 10", 200, PANGO_ALIGN_LEFT, false),
        gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 9", 201, PANGO_ALIGN_LEFT, false),
        gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_RIGHT, false),
        gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, true),
        gis_pdf_layout_wrap(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false, PANGO_WRAP_CHAR,
                            PANGO_ELLIPSIZE_NONE),
        gis_pdf_layout_wrap(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false, PANGO_WRAP_WORD_CHAR,
                            PANGO_ELLIPSIZE_END),
        gis_pdf_layout(&te, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false),
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        CHECK(other[i] != l1);
        for (size_t j = 0; j < i; j++)
            CHECK(other[i] != other[j]);
        g_object_unref(other[i]);
    }
    unsigned kept = gis_pdf_layouts_kept();
    CHECK(kept >= 9 && kept <= GIS_PDF_LAYOUTS_KEPT);
    for (int i = 0; i < GIS_PDF_LAYOUTS_KEPT; i++)
        g_object_unref(gis_pdf_layout(&t, gis_pdf_markup(&t, "%d", i), "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false));
    CHECK(gis_pdf_layouts_kept() <= GIS_PDF_LAYOUTS_KEPT);
    PangoLayout *l3 = gis_pdf_layout(&t, "Wypis z planu", "DejaVu Sans 9", 200, PANGO_ALIGN_LEFT, false);
    int w3, h3;
    pango_layout_get_size(l3, &w3, &h3);
    CHECK(w3 == w1 && h3 == h1);
    /* the one the caller still holds lives on, and is unchanged */
    pango_layout_get_size(l1, &w3, &h3);
    CHECK(w3 == w1 && h3 == h1 && !strcmp(pango_layout_get_text(l1), "Wypis z planu"));
    g_object_unref(l1);
    g_object_unref(l2);
    g_object_unref(l3);
    g_object_unref(pc);
    g_object_unref(pc2);
    g_object_unref(en);
    arena_free(a);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_hyphenate);
    RUN(test_document);
    RUN(test_fixed_numbers);
    RUN(test_fixed_in_cairo);
    RUN(test_deflate_gather);
    RUN(test_layouts_kept);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", dir);
    return test_done();
}
