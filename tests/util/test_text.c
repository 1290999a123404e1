/* Tests for util/text: UTF-8 validation, diacritic folding, strict number parsing. */
#include "util/text.h"

#include <math.h>

#include "tests/test.h"

static void fold_polish(void)
{
    char out[128];
    text_fold("ul. Jedności Robotniczej 12a", out, sizeof out);
    CHECK_STR(out, "ul jednosci robotniczej 12a");
    text_fold("ŻÓŁĆ gęślą JAŹŃ", out, sizeof out);
    CHECK_STR(out, "zolc gesla jazn");
    text_fold("  Ośno   Lubuskie, 69-220 ", out, sizeof out);
    CHECK_STR(out, "osno lubuskie 69 220");
    text_fold("Straße Müller", out, sizeof out);
    CHECK_STR(out, "strase muller");
}

static void fold_truncates_safely(void)
{
    char out[5];
    CHECK(text_fold("Słubice", out, sizeof out) == 4);
    CHECK_STR(out, "slub");
    char bad[] = {'a', (char)0xc5, 0, 0};
    text_fold(bad, out, sizeof out);
    CHECK_STR(out, "a");
}

static void utf8_validation(void)
{
    CHECK(text_utf8_valid("Górzyca", strlen("Górzyca")));
    CHECK(!text_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!text_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!text_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(!text_utf8_valid("a\x01"
                           "b",
                           3));         /* control byte */
    CHECK(!text_utf8_valid("\xc5", 1)); /* truncated */
    CHECK(text_utf8_valid("line\nnext\t", 10));
}

static void numbers(void)
{
    long v;
    double d;
    CHECK(text_parse_long("42", 0, 100, &v) && v == 42);
    CHECK(!text_parse_long("42x", 0, 100, &v));
    CHECK(!text_parse_long("101", 0, 100, &v));
    CHECK(!text_parse_long("", 0, 100, &v));
    CHECK(!text_parse_long("99999999999999999999999", 0, 100, &v));
    CHECK(text_parse_double("14.561", &d) && fabs(d - 14.561) < 1e-12);
    CHECK(!text_parse_double("nan", &d));
    CHECK(!text_parse_double("inf", &d));
    CHECK(!text_parse_double("1e400", &d));
    CHECK(!text_parse_double("0x1p3", &d));
    CHECK(!text_parse_double("1.5 ", &d));
}

static void xml_escape(void)
{
    char out[64];
    CHECK(text_xml_escape("<a href=\"x\">&'</a>", out, sizeof out) == strlen(out));
    CHECK_STR(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

static void rng_deterministic(void)
{
    struct text_rng a = {42}, b = {42};
    for (int i = 0; i < 100; i++)
        CHECK(text_rng_next(&a) == text_rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        double u = text_rng_uniform(&a, 2.0, 3.0);
        CHECK(u >= 2.0 && u < 3.0);
        CHECK(text_rng_below(&a, 7) < 7);
    }
}

int main(void)
{
    RUN(fold_polish);
    RUN(fold_truncates_safely);
    RUN(utf8_validation);
    RUN(numbers);
    RUN(xml_escape);
    RUN(rng_deterministic);
    return test_done();
}
