/* libFuzzer harness: the request-header parsers (Range, If-None-Match, If-Range, Accept-Encoding, media
 * types, entity-tag variants) and the number and colour parsers that read query parameters. The input is
 * split at its first two NUL bytes into a header value, an entity tag and a length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gis/style.h"
#include "util/httphdr.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = 0;
    const char *value = buf;
    const char *etag = value + strlen(value) + 1;
    const char *num = etag + strlen(etag) + 1;
    if (num > buf + size + 2)
        num = buf + size + 2;
    size_t len = (size_t)strtoull(num, NULL, 10), first, last;
    httphdr_accepts_gzip(value);
    if (httphdr_range_parse(value, len, &first, &last) == HTTPHDR_RANGE_OK && (first > last || last >= len))
        abort(); /* a range the server would send must lie inside the body */
    httphdr_etag_match(value, etag);
    httphdr_if_range_ok(value, etag);
    httphdr_if_range_ok(value, NULL);
    httphdr_type_compressible(value);
    char out[64];
    httphdr_etag_variant(etag, "-gz", out, sizeof out);
    long l;
    text_parse_long(value, -1000000, 1000000, &l);
    struct gis_style_color c;
    gis_style_parse_color(value, &c);
    text_utf8_valid(value, strlen(value));
    free(buf);
    return 0;
}
