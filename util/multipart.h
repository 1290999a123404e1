/* multipart/form-data bodies (RFC 7578 over RFC 2046): the boundary from a Content-Type value and the
 * parts of a buffered body, as a browser form sends them. Untrusted input: a malformed body (no closing
 * delimiter, headers too long, too many parts, a bad boundary) is an error, never a crash.
 *
 * Ownership: parts point into the caller's body (data) and into the arena (names); both must outlive them. */
#ifndef UTIL_MULTIPART_H
#define UTIL_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

#define MULTIPART_BOUNDARY_MAX 70   /* RFC 2046 5.1.1 */
#define MULTIPART_HEADERS_MAX  4096 /* bytes of one part's header block */

/* One part: its form field name, file name (NULL when the part is no file), declared media type (NULL when
 * none was sent) and its bytes. */
struct multipart_part {
    const char *name, *filename, *content_type;
    const char *data;
    size_t len;
};

/* Copies the boundary parameter of a Content-Type value into out (MULTIPART_BOUNDARY_MAX + 1 bytes) when
 * the type is multipart/form-data and the boundary is 1 to 70 characters of RFC 2046's set; else false. */
bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1]);

/* Parses body (len bytes) with boundary into at most max parts, in a. ERR_INVALID naming the problem: no
 * first or closing delimiter, a part without Content-Disposition: form-data and a name, headers over
 * MULTIPART_HEADERS_MAX, more than max parts. A preamble and an epilogue are ignored. */
enum err_code multipart_parse(struct arena *a, const char *body, size_t len, const char *boundary, int max,
                              struct multipart_part **out, int *n, struct err *e);

/* The first part named name, or NULL; *count (may be NULL) gets how many parts have that name. */
const struct multipart_part *multipart_find(const struct multipart_part *parts, int n, const char *name, int *count);

#endif
