/* The HTTP contract inside odra: a request, a response a handler fills, and the route table entry.
 * Everything a handler allocates comes from req->arena and lives until the response is sent. */
#ifndef SERVICES_HTTP_H
#define SERVICES_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

struct MHD_Connection;
struct svc_tenant;
struct svc_server;
struct auth_principal;

#define HTTP_MAX_CAPTURES 6
#define HTTP_MAX_HEADERS  12

struct http_req {
    struct arena *arena;
    const char *method; /* "GET", "POST", ...; HEAD is routed as GET */
    const char *path;   /* the decoded path, without the query */
    struct MHD_Connection *conn;
    struct svc_server *server;
    struct svc_tenant *tenant; /* set when the route has {t} */
    const char *cap_name[HTTP_MAX_CAPTURES];
    const char *cap_value[HTTP_MAX_CAPTURES];
    int ncap;
    const char *body; /* NUL-terminated request body, or NULL */
    size_t body_len;
    /* Who is asking, as the dispatcher established it for a route that is not public (services/auth.h);
     * NULL for public routes and anonymous callers. Lives in the arena. */
    const struct auth_principal *principal;
    /* What the handler adds to the audit row the dispatcher writes for a staff, admin or personal-data
     * route (e.g. which records a list showed); in the arena, or NULL. */
    const char *audit_note;
    /* An in-process request a page makes of an API route (http_subrequest): its query parameters and
     * headers are these NULL-ended name, value lists instead of the connection's. NULL otherwise. */
    const char *const *sub_query;
    const char *const *sub_headers;
    /* Set by the dispatcher: the request runs on a network thread and may move to a job thread
     * (http_offload); and whether it has. Handlers use the functions below, not these. */
    bool may_offload;
    bool offloaded;
};

struct http_resp {
    int status;               /* 200 unless the handler sets another */
    const char *content_type; /* default "application/json" */
    const char *body;         /* arena-owned or static */
    size_t len;
    const char *hname[HTTP_MAX_HEADERS];
    const char *hvalue[HTTP_MAX_HEADERS];
    int nheaders;
    /* A gzip stream of body prepared ahead (static assets), sent instead of compressing body again; NULL
     * when there is none. Lives as long as body. */
    const char *gz_body;
    size_t gz_len;
    /* A routine answer the access log only counts under [server] access_log = no-hits (the default): a tile
     * served from the cache. Errors are always logged. */
    bool quiet;
};

/* What the server adds to every GET answer a handler fills (services/server.c), so handlers need not:
 * - a 200 of a text type (JSON, XML, HTML, JavaScript, CSS, glyph protocol buffers) gets a strong ETag
 *   (a hash of the body) unless the handler set one, and If-None-Match is answered with 304;
 * - such bodies are gzipped when Accept-Encoding allows it (the gzip variant's ETag ends in "-gz"), with
 *   Vary: Accept-Encoding; a body the handler already encoded (Content-Encoding set) is left alone;
 * - a 200 answers a single Range with 206 and Content-Range (416 when unsatisfiable), uncompressed. */

/* A handler fills resp and returns ERR_OK, or returns an error code with e set; the server then
 * answers with the JSON error and the one status mapping in util/err. */
typedef enum err_code (*http_handler_fn)(struct http_req *req, struct http_resp *resp, struct err *e);

/* One documented parameter of a route, for the OpenAPI document. */
struct http_param_doc {
    const char *name;
    const char *in;   /* "query", "path" or "header"; or "status" (HTTP_DOC_STATUS) */
    const char *type; /* "string", "integer", "number" */
    int required;
    const char *description;
};

/* The {t} path parameter every tenant route has, and the entry that ends a list. */
#define HTTP_DOC_TENANT                                                                                                \
    {                                                                                                                  \
        "t", "path", "string", 1, "gmina slug"                                                                         \
    }
#define HTTP_DOC_END                                                                                                   \
    {                                                                                                                  \
        NULL, NULL, NULL, 0, NULL                                                                                      \
    }

/* A status the operation may answer beyond those its access, inputs and method imply (the OpenAPI
 * document lists 400, 401, 403, 404, 413, 415, 422 and, for HTTP_SUBMIT, 429 by itself): code is "302",
 * "303" (with a Location header), "409", "429", ...; why says when. An entry of the params list. */
#define HTTP_DOC_STATUS(code, why)                                                                                     \
    {                                                                                                                  \
        code, "status", "", 0, why                                                                                     \
    }

/* Who may call a route. The zero value is "undeclared", and the server refuses to start while any route
 * is undeclared, so a new route cannot slip in open by omission. The dispatcher enforces it before the
 * handler runs (services/auth.c): 401 for an anonymous caller, 403 for a known one without the right. */
enum http_access_kind {
    HTTP_ACCESS_UNDECLARED = 0,
    HTTP_ACCESS_PUBLIC,  /* anyone, no identity looked at (tiles, maps, lookups: no per-request cost) */
    HTTP_ACCESS_SUBMIT,  /* anyone where the gmina allows anonymous submissions (`anonymous_submissions`),
                          * else a signed-in account; a signed-in caller's identity is kept */
    HTTP_ACCESS_ACCOUNT, /* any signed-in account (a session: resident, staff or admin), or, when `scope` is
                          * set, also an API client of the {t} gmina holding `scope` */
    HTTP_ACCESS_STAFF,   /* a session with `role` in the {t} gmina (or gmina_admin there, or a server admin),
                          * or, when `scope` is set, an API client of that gmina holding `scope` */
    HTTP_ACCESS_ADMIN,   /* a server admin's session */
};

struct http_access {
    enum http_access_kind kind;
    const char *role;  /* HTTP_ACCESS_STAFF: clerk, planner, module_admin or gmina_admin */
    const char *scope; /* HTTP_ACCESS_STAFF, HTTP_ACCESS_ACCOUNT: the API-client scope that also admits, e.g.
                        * "waste:write"; or NULL */
    /* An upload route: its body may be as large as [cases] attachment_max_bytes plus HTTP_UPLOAD_FRAMING
     * (multipart headers and a form's text fields) instead of [server] max_body, when that is larger. The
     * server checks the caller's credentials before it reads such a body (services/server.c). */
    bool upload;
    /* The answer holds personal data (RODO), so every call is audited (who, when, which record, from where)
     * whoever makes it (staff and admin routes are audited anyway): the _PERSONAL forms below. */
    bool personal;
};

/* What an upload route's body may carry beyond the file itself. */
#define HTTP_UPLOAD_FRAMING (64u << 10)

/* The access field of a route entry, one of these. */
#define HTTP_PUBLIC                                                                                                    \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_PUBLIC                                                                                     \
    }
#define HTTP_SUBMIT                                                                                                    \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_SUBMIT                                                                                     \
    }
#define HTTP_ACCOUNT                                                                                                   \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_ACCOUNT                                                                                    \
    }
/* A signed-in account, or an API client of the gmina with scope (a handler that serves both residents and
 * staff tells them apart with svc_is_staff, services/module.h). */
#define HTTP_ACCOUNT_OR_CLIENT(scope_)                                                                                 \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_ACCOUNT, .scope = (scope_)                                                                 \
    }
#define HTTP_STAFF(role_, scope_)                                                                                      \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_STAFF, .role = (role_), .scope = (scope_)                                                  \
    }
#define HTTP_ADMIN                                                                                                     \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_ADMIN                                                                                      \
    }
/* The same for an upload route (the `upload` field above). */
#define HTTP_ACCOUNT_UPLOAD                                                                                            \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_ACCOUNT, .upload = true                                                                    \
    }
#define HTTP_STAFF_UPLOAD(role_, scope_)                                                                               \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_STAFF, .role = (role_), .scope = (scope_), .upload = true                                  \
    }
/* Routes whose answers hold personal data: a signed-in account's own (audited too), or staff's. */
#define HTTP_ACCOUNT_PERSONAL                                                                                          \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_ACCOUNT, .personal = true                                                                  \
    }
#define HTTP_STAFF_PERSONAL(role_, scope_)                                                                             \
    {                                                                                                                  \
        .kind = HTTP_ACCESS_STAFF, .role = (role_), .scope = (scope_), .personal = true                                \
    }

/* A route: method and pattern, where {t} matches a tenant slug, {name} one path segment. The doc
 * fields feed /api: a NULL summary keeps a router-internal route out of it; the access field gives the
 * operation's `security` there. Tables end with an entry whose pattern is NULL. */
struct http_route {
    const char *method;
    const char *pattern;
    http_handler_fn handler;
    const char *tag;
    const char *summary;
    const char *produces;                /* response media type, default application/json */
    const struct http_param_doc *params; /* ended by a NULL name; may be NULL */
    struct http_access access;           /* who may call it; must be declared (not zero) */
};

/* The one mapping from a status code (util/err.h) to an HTTP status: ERR_INVALID is 400, ERR_NOT_FOUND 404,
 * ERR_UNPROCESSABLE 422, ERR_IO and ERR_INTERNAL 500, ... An unknown code is 500. */
int http_status_of(enum err_code code);

/* Heavy work off the network threads. libmicrohttpd serves each connection on one of a few network threads,
 * each with many connections: a request that renders or waits (a PDF, a map, a tile miss, a commit's fsync,
 * the twin's acknowledgement) would hold up every other connection of its thread. The dispatcher moves every
 * write (a method other than GET and HEAD) to a job thread before its handler runs. A GET handler that finds
 * it has heavy work to do calls http_offload first: when it returns true, the handler returns ERR_OK at once,
 * having written nothing and answered nothing, and the whole request runs again from the start on a job
 * thread, where http_offload returns false. http_may_offload tells, without moving, whether it would. */
bool http_may_offload(const struct http_req *req);
bool http_offload(struct http_req *req);

/* The value of query parameter name, or NULL. */
const char *http_query(struct http_req *req, const char *name);

/* The value of request header name, or NULL. */
const char *http_header(struct http_req *req, const char *name);

/* The absolute base URL of this server as the client reached it, e.g. "http://127.0.0.1:8080", from
 * X-Forwarded-Proto/-Host or Host. A host with characters outside host-name syntax is replaced by
 * "localhost", since the result is echoed into links and XML. Lives in req->arena. */
const char *http_base_url(struct http_req *req);

/* The value of path capture {name}, or NULL. */
const char *http_capture(struct http_req *req, const char *name);

/* Sets a JSON body from j (the reference is stolen) with the given status. */
enum err_code http_resp_json(struct http_req *req, struct http_resp *resp, int status, json_t *j, struct err *e);

/* Sets a body that outlives the request (static) or lives in req->arena. */
void http_resp_body(struct http_resp *resp, int status, const char *content_type, const char *body, size_t len);

/* Adds a response header; name and value must live as long as the request. Extra headers are dropped. */
void http_resp_header(struct http_resp *resp, const char *name, const char *value);

/* Makes b's bytes the body, handing their memory to req->arena (b is emptied); ERR_INTERNAL when b failed
 * to grow. */
enum err_code http_resp_buf(struct http_req *req, struct http_resp *resp, int status, const char *content_type,
                            struct buf *b, struct err *e);

/* Calls the route that answers method and path in-process, on behalf of req's caller (req->principal),
 * as the pages do (services/web_pages.c): query and headers are NULL-ended name, value lists (may be NULL),
 * body may be NULL. The same route table, tenant and module checks and handler as over HTTP, so a page
 * shows exactly what the API answers; a route that is not public needs a signed-in caller (else
 * ERR_UNAUTHORIZED, as the API's 401), a staff or admin route a session with its role or a server admin
 * (svc_auth_page_check: else ERR_FORBIDDEN, audited) and is audited as over HTTP. The CSRF check is the
 * page's own. resp gets the answer; a handler's error is
 * returned with e set, as the dispatcher would answer it. */
enum err_code http_subrequest(struct http_req *req, const char *method, const char *path, const char *const *query,
                              const char *const *headers, const char *body, size_t body_len, struct http_resp *resp,
                              struct err *e);

/* Whether the request's If-None-Match is "*" or names etag. */
bool http_if_none_match(struct http_req *req, const char *etag);

#endif
