/* Tests for util/multipart: a browser's form, boundaries in the Content-Type, and hostile bodies (no
 * delimiters, unterminated parts, huge headers, too many parts, NULs, parameter tricks), each an error and
 * never a read outside the body (run under ASan). Also util/httphdr's Content-Disposition for downloads. */
#include "util/multipart.h"

#include <stdlib.h>
#include <string.h>

#include "tests/test.h"
#include "util/httphdr.h"

#define B "----WebKitFormBoundary7MA4YWxkTrZu0gW"

/* Parses body (copied to an exact-size heap block, so ASan sees any overread) with boundary B. */
static enum err_code parse(struct arena *a, const char *body, size_t len, int max, struct multipart_part **p, int *n)
{
    char *copy = arena_alloc(a, len ? len : 1);
    memcpy(copy, body, len);
    struct err e = {0};
    return multipart_parse(a, copy, len, B, max, p, n, &e);
}

static void boundaries(void)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    CHECK(multipart_boundary("multipart/form-data; boundary=" B, b) && !strcmp(b, B));
    CHECK(multipart_boundary("Multipart/Form-Data;boundary=\"a b'c\"", b) && !strcmp(b, "a b'c"));
    CHECK(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=x", b) && !strcmp(b, "x"));
    CHECK(!multipart_boundary("multipart/form-data", b));
    CHECK(!multipart_boundary("multipart/mixed; boundary=x", b));
    CHECK(!multipart_boundary("multipart/form-datax; boundary=x", b));
    CHECK(!multipart_boundary("multipart/form-data; boundary=", b));
    CHECK(!multipart_boundary("multipart/form-data; boundary=\"\"", b));
    CHECK(!multipart_boundary("multipart/form-data; boundary=\"x ", b)); /* unterminated quote */
    CHECK(!multipart_boundary("multipart/form-data; boundary=\"trailing \"", b));
    CHECK(!multipart_boundary("multipart/form-data; boundary=a<b", b));
    CHECK(!multipart_boundary("multipart/form-data; boundary=x; boundary=y", b));
    char longb[100];
    memset(longb, 'x', 71);
    strcpy(longb + 71, "");
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", longb);
    CHECK(!multipart_boundary(ct, b));
    ct[strlen(ct) - 1] = 0; /* 70 is the most */
    CHECK(multipart_boundary(ct, b) && strlen(b) == 70);
    CHECK(!multipart_boundary(NULL, b));
}

static void a_browser_form(void)
{
    struct arena *a = arena_new(4096);
    static const char body[] = "preamble\r\n--" B "\r\n"
                               "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
                               "tok\r\n--" B "\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"za\\\"żółć.pdf\"\r\n"
                               "Content-Type: application/pdf\r\n\r\n"
                               "%PDF-\r\n--not-the-boundary\r\n\r\n--" B "\r\n"
                               "content-disposition: FORM-DATA; name=body\r\n\r\n"
                               "\r\n--" B "--\r\nepilogue";
    struct multipart_part *p;
    int n;
    CHECK(parse(a, body, sizeof body - 1, 8, &p, &n) == ERR_OK);
    CHECK(n == 3);
    if (n == 3) {
        CHECK_STR(p[0].name, "csrf");
        CHECK(p[0].len == 3 && !memcmp(p[0].data, "tok", 3) && !p[0].filename && !p[0].content_type);
        CHECK_STR(p[1].name, "file");
        CHECK_STR(p[1].filename, "za\"żółć.pdf");
        CHECK_STR(p[1].content_type, "application/pdf");
        CHECK(p[1].len == 27 &&
              !memcmp(p[1].data, "%PDF-\r\n--not-the-boundary\r\n", 27)); /* the last CRLF is the delimiter's */
        CHECK_STR(p[2].name, "body");
        CHECK(p[2].len == 0);
        int count;
        CHECK(multipart_find(p, n, "file", &count) == &p[1] && count == 1);
        CHECK(!multipart_find(p, n, "nope", &count) && count == 0);
    }
    static const char nohead[] = "--" B "\r\n\r\nx\r\n--" B "--"; /* a part without headers has no name */
    CHECK(parse(a, nohead, sizeof nohead - 1, 8, &p, &n) == ERR_INVALID);
    arena_free(a);
}

static void hostile_bodies(void)
{
    struct arena *a = arena_new(4096);
    struct multipart_part *p;
    int n;
    static const char *const bad[] = {
        "",
        "no boundary at all",
        "--" B,                                                                   /* nothing after it */
        "--" B "\r\n",                                                            /* no headers end */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunclosed",  /* no closing delimiter */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--" B, /* delimiter at the very end */
        "--" B "X\r\n",                                                           /* a longer boundary */
        "--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" B "--", /* no name */
        "--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--" B "--",
        "--" B "\r\nno colon here\r\n\r\nx\r\n--" B "--",
        "--" B "\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--" B
        "--",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        enum err_code rc = parse(a, bad[i], strlen(bad[i]), 8, &p, &n);
        if (rc != ERR_INVALID)
            printf("  accepted bad body %zu\n", i);
        CHECK(rc == ERR_INVALID);
    }
    /* a NUL inside a header */
    static const char nul[] = "--" B "\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--" B "--";
    CHECK(parse(a, nul, sizeof nul - 1, 8, &p, &n) == ERR_INVALID);
    /* headers longer than the cap */
    size_t big = MULTIPART_HEADERS_MAX + 100;
    char *h = malloc(big + 200);
    int o = sprintf(h, "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ");
    memset(h + o, 'p', big);
    o += (int)big;
    o += sprintf(h + o, "\r\n\r\nx\r\n--" B "--");
    CHECK(parse(a, h, (size_t)o, 8, &p, &n) == ERR_INVALID);
    free(h);
    /* more parts than allowed */
    char many[4096];
    o = 0;
    for (int i = 0; i < 5; i++)
        o += sprintf(many + o, "--" B "\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nv\r\n", i);
    o += sprintf(many + o, "--" B "--");
    CHECK(parse(a, many, (size_t)o, 4, &p, &n) == ERR_INVALID);
    CHECK(parse(a, many, (size_t)o, 5, &p, &n) == ERR_OK && n == 5);
    /* every prefix of a good body is either an error or a parse that stays inside it */
    for (int cut = 0; cut < o; cut++)
        (void)parse(a, many, (size_t)cut, 8, &p, &n);
    arena_free(a);
}

static void download_disposition(void)
{
    char out[256];
    CHECK(httphdr_disposition("plan.pdf", out, sizeof out));
    CHECK_STR(out, "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf");
    CHECK(httphdr_disposition("a \"b\"; c%\\ż.pdf", out, sizeof out));
    CHECK_STR(out, "attachment; filename=\"a _b__ c____.pdf\"; filename*=UTF-8''a%20%22b%22%3B%20c%25%5C%C5%BC.pdf");
    CHECK(httphdr_disposition("x\r\nSet-Cookie: a=b", out, sizeof out));
    CHECK(!strchr(out, '\r') && !strchr(out, '\n'));
    char small[40];
    CHECK(!httphdr_disposition("plan.pdf", small, sizeof small));
    CHECK_STR(small, "attachment");
}

int main(void)
{
    RUN(boundaries);
    RUN(a_browser_form);
    RUN(hostile_bodies);
    RUN(download_disposition);
    return test_done();
}
