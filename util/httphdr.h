/* The request headers the server negotiates on (Accept-Encoding, Range, If-None-Match, If-Range) and the
 * media types worth compressing, as pure functions over NUL-terminated header values (RFC 9110). Nothing
 * here allocates; hostile values give "no" answers, never a crash. */
#ifndef UTIL_HTTPHDR_H
#define UTIL_HTTPHDR_H
#include <stdbool.h>
#include <stddef.h>

/* Whether an Accept-Encoding value allows gzip: a "gzip" (or "x-gzip") coding, else "*", with a q-value
 * above 0. An explicit "gzip;q=0" refuses gzip even when "*" is listed. NULL (no header) is false. */
bool httphdr_accepts_gzip(const char *accept_encoding);

enum httphdr_range {
    HTTPHDR_RANGE_NONE,          /* no usable Range: send the whole body (absent, malformed, other unit, or
                                  * several ranges of which one at least is satisfiable) */
    HTTPHDR_RANGE_OK,            /* one satisfiable range: [*first, *last], both inclusive */
    HTTPHDR_RANGE_UNSATISFIABLE, /* no range overlaps the body: 416 */
};

/* Parses a Range value ("bytes=0-99", "bytes=100-", "bytes=-500", ...) for a body of len bytes; a last
 * position past the end is clipped to it. */
enum httphdr_range httphdr_range_parse(const char *range, size_t len, size_t *first, size_t *last);

/* Whether the If-None-Match value list ("*", or entity tags separated by commas) matches etag, with the
 * weak comparison of RFC 9110 13.1.2 (a W/ prefix on either side is ignored). */
bool httphdr_etag_match(const char *list, const char *etag);

/* Whether an If-Range value allows a partial answer for a representation with this etag (NULL when it
 * has none): it must be the same strong entity tag. A date or anything else does not match. */
bool httphdr_if_range_ok(const char *if_range, const char *etag);

/* Whether a body of this media type is worth gzip: text types, JSON and XML types (also +json, +xml and the
 * OGC XML types), JavaScript and protocol buffers (glyphs). Images, PDF and vector tiles are not. */
bool httphdr_type_compressible(const char *content_type);

/* Writes etag with suffix added to its opaque part ("\"abc\"" and "-gz" give "\"abc-gz\"", a weak tag
 * stays weak) into out; false when it does not fit or etag is not a quoted tag. */
bool httphdr_etag_variant(const char *etag, const char *suffix, char *out, size_t cap);

/* Writes a Content-Disposition value for a download named filename (UTF-8) into out (cap bytes):
 * `attachment; filename="ASCII"; filename*=UTF-8''PERCENT-ENCODED` (RFC 6266, RFC 8187), where the quoted
 * fallback has every byte outside printable ASCII, and '"', '\\', '%', ';', replaced by '_'. Returns false
 * (out "attachment") when it does not fit. */
bool httphdr_disposition(const char *filename, char *out, size_t cap);

#endif
