/* Tests for util/httphdr: Accept-Encoding q-values, byte ranges, entity-tag lists and compressible types. */
#include "util/httphdr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/test.h"

static void accept_encoding_weights(void)
{
    CHECK(httphdr_accepts_gzip("gzip"));
    CHECK(httphdr_accepts_gzip("gzip, deflate, br"));
    CHECK(httphdr_accepts_gzip("br;q=1.0, GZip;q=0.5"));
    CHECK(httphdr_accepts_gzip("x-gzip"));
    CHECK(httphdr_accepts_gzip("*"));
    CHECK(httphdr_accepts_gzip("identity;q=1, *;q=0.1"));
    CHECK(httphdr_accepts_gzip("gzip ; q=0.001"));
    CHECK(!httphdr_accepts_gzip(NULL));
    CHECK(!httphdr_accepts_gzip(""));
    CHECK(!httphdr_accepts_gzip("identity"));
    CHECK(!httphdr_accepts_gzip("deflate, br"));
    CHECK(!httphdr_accepts_gzip("gzip;q=0"));
    CHECK(!httphdr_accepts_gzip("gzip;q=0.000, deflate"));
    CHECK(!httphdr_accepts_gzip("*, gzip;q=0")); /* the explicit refusal wins over the wildcard */
    CHECK(!httphdr_accepts_gzip("*;q=0"));
    CHECK(!httphdr_accepts_gzip("gzipfoo, xgzip"));  /* whole tokens only */
    CHECK(!httphdr_accepts_gzip("gzip;q=nonsense")); /* a malformed weight is no consent */
    CHECK(!httphdr_accepts_gzip("gzip;q=2"));
    CHECK(httphdr_accepts_gzip("deflate;q=0.5;level=1, gzip;foo=bar;q=0.3"));
}

static void byte_ranges(void)
{
    size_t f = 99, l = 99;
    CHECK(httphdr_range_parse("bytes=0-99", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 0 && l == 99);
    CHECK(httphdr_range_parse("bytes=900-", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 900 && l == 999);
    CHECK(httphdr_range_parse("bytes=-100", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 900 && l == 999);
    CHECK(httphdr_range_parse("bytes=-5000", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 0 && l == 999);
    CHECK(httphdr_range_parse("bytes=990-5000", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 990 && l == 999);
    CHECK(httphdr_range_parse("Bytes = 5-5", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 5 && l == 5);
    CHECK(httphdr_range_parse("bytes=0-99999999999999999999999999", 10, &f, &l) == HTTPHDR_RANGE_OK && f == 0 &&
          l == 9);
    CHECK(httphdr_range_parse("bytes=1000-", 1000, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    CHECK(httphdr_range_parse("bytes=99999999999999999999999-", 1000, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    CHECK(httphdr_range_parse("bytes=-0", 1000, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    CHECK(httphdr_range_parse("bytes=0-0", 0, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    CHECK(httphdr_range_parse("bytes=-10", 0, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    CHECK(httphdr_range_parse("bytes=2000-3000, 4000-", 1000, &f, &l) == HTTPHDR_RANGE_UNSATISFIABLE);
    /* several ranges: the whole body, as RFC 9110 allows */
    CHECK(httphdr_range_parse("bytes=0-1, 5-9", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=0-1,2000-", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=, 0-1 ,", 1000, &f, &l) == HTTPHDR_RANGE_OK && f == 0 && l == 1);
    /* malformed fields are ignored */
    CHECK(httphdr_range_parse(NULL, 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=5-1", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=a-b", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=1-2x", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=--1", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("items=0-1", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes 0-1", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
    CHECK(httphdr_range_parse("bytes=-", 1000, &f, &l) == HTTPHDR_RANGE_NONE);
}

static void entity_tags(void)
{
    CHECK(httphdr_etag_match("\"abc\"", "\"abc\""));
    CHECK(httphdr_etag_match("\"x\", \"abc\"", "\"abc\""));
    CHECK(httphdr_etag_match("W/\"abc\"", "\"abc\""));
    CHECK(httphdr_etag_match("\"abc\"", "W/\"abc\""));
    CHECK(httphdr_etag_match("*", "\"abc\""));
    CHECK(httphdr_etag_match(" ,\"q\",,W/\"abc\" ", "\"abc\""));
    CHECK(!httphdr_etag_match("\"abc-gz\"", "\"abc\""));
    CHECK(!httphdr_etag_match("\"abc\"", "\"abc-gz\""));
    CHECK(!httphdr_etag_match("\"ab\"", "\"abc\""));
    CHECK(!httphdr_etag_match("abc", "\"abc\""));
    CHECK(!httphdr_etag_match("\"abc", "\"abc\""));
    CHECK(!httphdr_etag_match(NULL, "\"abc\""));
    CHECK(!httphdr_etag_match("\"abc\"", NULL));
    CHECK(httphdr_if_range_ok("\"abc\"", "\"abc\""));
    CHECK(httphdr_if_range_ok(" \"abc\" ", "\"abc\""));
    CHECK(!httphdr_if_range_ok("W/\"abc\"", "\"abc\""));
    CHECK(!httphdr_if_range_ok("\"abc\"", "W/\"abc\""));
    CHECK(!httphdr_if_range_ok("\"abd\"", "\"abc\""));
    CHECK(!httphdr_if_range_ok("Wed, 21 Oct 2015 07:28:00 GMT", "\"abc\""));
    CHECK(!httphdr_if_range_ok("\"abc\"", NULL));
    char out[32];
    CHECK(httphdr_etag_variant("\"abc\"", "-gz", out, sizeof out) && !strcmp(out, "\"abc-gz\""));
    CHECK(httphdr_etag_variant("W/\"abc\"", "-gz", out, sizeof out) && !strcmp(out, "W/\"abc-gz\""));
    CHECK(!httphdr_etag_variant("abc", "-gz", out, sizeof out));
    CHECK(!httphdr_etag_variant("\"0123456789012345678901234567890\"", "-gz", out, sizeof out));
}

static void compressible_types(void)
{
    const char *yes[] = {"application/json",
                         "application/geo+json",
                         "application/vnd.oai.openapi+json;version=3.0",
                         "application/schema+json",
                         "application/xml; charset=UTF-8",
                         "text/xml; charset=UTF-8",
                         "text/html; charset=utf-8",
                         "text/css",
                         "text/javascript",
                         "application/javascript",
                         "application/x-protobuf",
                         "application/vnd.ogc.se_xml",
                         "application/vnd.ogc.gml",
                         "application/gml+xml; version=3.2",
                         "text/plain",
                         "text/calendar; charset=utf-8",
                         "APPLICATION/JSON",
                         NULL};
    const char *no[] = {"image/png",
                        "image/jpeg",
                        "application/pdf",
                        "application/vnd.mapbox-vector-tile",
                        "application/octet-stream",
                        "application/zip",
                        "text/",
                        "application/",
                        "",
                        "json",
                        NULL};
    for (int i = 0; yes[i]; i++)
        if (!httphdr_type_compressible(yes[i])) {
            printf("  not compressible: %s\n", yes[i]);
            CHECK(0);
        }
    for (int i = 0; no[i]; i++)
        if (httphdr_type_compressible(no[i])) {
            printf("  compressible: %s\n", no[i]);
            CHECK(0);
        }
    CHECK(!httphdr_type_compressible(NULL));
}

/* Random header values from a small alphabet of meaningful bytes: nothing crashes (run under `make asan`)
 * and every range answered lies inside the body. */
static void hostile_values_never_break(void)
{
    static const char alphabet[] = "bytes=-,;q0123456789 \t*\"W/gzipGZIP.x\x01\xff";
    unsigned long long seed = 2026;
    char v[96];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(seed >> 33) % (sizeof v - 1);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            v[i] = alphabet[(seed >> 33) % (sizeof alphabet - 1)];
        }
        v[n] = 0;
        if (round % 3 == 0 && n > 6)
            memcpy(v, "bytes=", 6);
        size_t len = (size_t)(seed >> 40) % 5000, f = 0, l = 0;
        if (httphdr_range_parse(v, len, &f, &l) == HTTPHDR_RANGE_OK)
            CHECK(f <= l && l < len);
        (void)httphdr_accepts_gzip(v);
        (void)httphdr_etag_match(v, "\"abc\"");
        (void)httphdr_if_range_ok(v, "\"abc\"");
        (void)httphdr_type_compressible(v);
        char out[32];
        (void)httphdr_etag_variant(v, "-gz", out, sizeof out);
    }
}

int main(void)
{
    RUN(accept_encoding_weights);
    RUN(byte_ranges);
    RUN(entity_tags);
    RUN(compressible_types);
    RUN(hostile_values_never_break);
    return test_done();
}
