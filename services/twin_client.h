/* The client side of the twin protocol: HTTPS with this site's certificate (mutual TLS, libcurl), for the
 * shipper (services/twin.c) and `odra twin` (services/cli_twin.c). */
#ifndef SERVICES_TWIN_CLIENT_H
#define SERVICES_TWIN_CLIENT_H
#include <curl/curl.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"

/* An answer: its status (0: none), its body (owned, buf_free it) unless written to `to`, and the
 * X-Odra-Sha256 header of a snapshot. */
struct twin_fetch {
    struct buf body;
    long status;
    FILE *to;
    char sha256[65];
};

/* A path of c's [twin] (cert, key, ca): relative to the data directory unless absolute. */
void twin_client_path(const struct config *c, const char *p, char *out, size_t cap);

/* One exchange on the handle h (kept for keep-alive): GET when body is NULL, else POST of body[0..len).
 * ERR_UNAVAILABLE naming the failure when there is no answer. Certificate, key and CA from c's [twin]
 * (relative to the data directory unless absolute). */
enum err_code twin_client_exchange(const struct config *c, CURL *h, const char *url, const void *body, size_t len,
                                   long timeout_ms, struct twin_fetch *f, struct err *e);

/* The same on a handle of its own. */
enum err_code twin_client_http(const struct config *c, const char *url, const void *body, size_t len, long timeout_ms,
                               struct twin_fetch *f, struct err *e);

/* GETs url into the new file path (mode 0600) and its X-Odra-Sha256 into sha256; ERR_UNAVAILABLE or ERR_IO,
 * with the file removed, unless the answer was a 200 written whole. */
enum err_code twin_client_download(const struct config *c, const char *url, const char *path, char sha256[65],
                                   struct err *e);

#endif
