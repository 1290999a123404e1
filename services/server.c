/* The libmicrohttpd daemon: one access handler, route matching, request arenas, limits and logging. */
#include "services/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gis/arrears.h"
#include "gis/geocode.h"
#include "services/issue_order.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/twin.h"
#include "tiles/cache.h"
#include "util/buf.h"
#include "util/cpu.h"
#include "util/httphdr.h"
#include "util/log.h"
#include "util/text.h"
#include "util/zbuf.h"

/* One open connection, tracked from MHD's NOTIFY_CONNECTION "started" to "closed" for the request-head
 * deadline. head_since (monotonic ms) is when it began waiting for a request head: its opening, or the end
 * of its previous request; in_request is set while a request whose head is complete is being served. Both
 * are written by the connection's worker thread and read by the housekeeper, hence atomics. */
struct conn_track {
    struct conn_track *prev, *next;
    const struct MHD_Daemon *worker;
    int fd;
    long long head_since;
    int in_request;
    bool closing; /* shut down by us; under conns_lock */
};

struct svc_server {
    const struct config *cfg;
    struct svc_tenant tenants[CONFIG_MAX_TENANTS];
    int n_tenants;
    int listen_fd;
    int port;
    struct MHD_Daemon *daemon;
    /* connection tracking: the list and counters under conns_lock */
    pthread_mutex_t conns_lock;
    struct conn_track *conns;
    int n_live;   /* tracked connections not yet shut down by us */
    int evict_at; /* per worker: more live connections than this closes the slowest heads */
    long long n_timed_out, n_evicted;
    /* the housekeeper thread enforcing the head deadline, stopped through stop_cond */
    pthread_t housekeeper;
    bool housekeeper_running, stopping;
    pthread_cond_t stop_cond;
    /* the job threads (http_offload): a queue of suspended connections' requests under jobs_lock; pending
     * counts the queued and the running, jobs_idle is signalled when it drops to 0. Idle job threads wait
     * on their own condition, in a stack: new work wakes the one that went idle last (job_wake) */
    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_idle;
    struct job_slot *slots, *idle_top;
    /* processors free for a write or a task to start on: a job thread takes one to start a write (a method
     * other than GET and HEAD) or a task and gives it back when it ends or waits (cpu_yield). With more
     * writes than processors the rest wait in the queue instead of sharing the processors, so that each
     * request finishes, and its client sends the next, sooner. GET and HEAD jobs take none (docs/design.md) */
    int cpu_free;
    struct req_state *jobs_head, *jobs_tail;
    /* parts of running requests (svc_task_start), taken before new requests; tasks_done is signalled as each
     * ends */
    struct svc_task *tasks_head, *tasks_tail;
    pthread_cond_t tasks_done;
    int jobs_pending;
    bool jobs_stopping;
    int n_job_threads;
};

/* A job thread: its condition, and its link in the stack of idle ones (under jobs_lock). */
struct job_slot {
    struct svc_server *server;
    pthread_t thread;
    pthread_cond_t cond;
    struct job_slot *next_idle;
    bool idle;
    bool granted; /* job_wake handed it a processor with the wake-up */
};

/* Per-request state, created when the request line arrives (URI log callback) or on the first
 * access-handler call, and freed on completion. */
struct req_state {
    struct arena *arena;
    double start_ms;
    char *body;
    size_t body_len, body_cap;
    size_t discarded; /* bytes of an over-cap chunked body thrown away */
    size_t body_max;  /* the cap of this request's body: max_body, or more for an upload route */
    int too_large;
    struct err refused; /* an upload route's caller refused before its body was read */
    int status;
    size_t bytes;
    char *method, *path;
    bool begun;    /* the access handler has seen this request */
    bool quiet;    /* a routine answer (http_resp.quiet) */
    bool path_nul; /* the raw path has %00, which decodes to a NUL that cuts the path */
    /* a request moved to a job thread (http_offload): its connection, suspended until the job is done, the
     * link of the job queue, and what the job's dispatch left for the network thread to answer */
    struct MHD_Connection *conn;
    struct req_state *job_next;
    bool job_reads; /* a GET or HEAD (a page, a map image, a tile): it runs without a processor of cpu_free */
    bool job_done;
    enum err_code job_rc;
    struct http_req req;
    struct http_resp resp;
    struct err e;
};

static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

/* The per-thread readers, indexed by tenant; closed by the key destructor when the thread ends. */
struct thread_readers {
    struct gis_store *store[CONFIG_MAX_TENANTS];
};

static void readers_free(void *p)
{
    struct thread_readers *r = p;
    for (int i = 0; i < CONFIG_MAX_TENANTS; i++)
        gis_store_close(r->store[i]);
    free(r);
}

static void reader_key_init(void)
{
    pthread_key_create(&reader_key, readers_free);
}

struct gis_store *svc_tenant_reader(struct svc_tenant *t, struct err *e)
{
    pthread_once(&reader_once, reader_key_init);
    struct thread_readers *r = pthread_getspecific(reader_key);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r || pthread_setspecific(reader_key, r) != 0) {
            free(r);
            err_set(e, ERR_INTERNAL, "out of memory");
            return NULL;
        }
    }
    if (t->unavailable) {
        err_set(e, ERR_UNAVAILABLE, "the data of gmina %s are unavailable: its store could not be opened",
                t->cfg->name);
        return NULL;
    }
    if (svc_tenant_twin_hidden(t)) {
        err_set(e, ERR_UNAVAILABLE, "gmina %s is served by its primary site; this site keeps its twin copy",
                t->cfg->name);
        return NULL;
    }
    if (!r->store[t->index] && gis_store_open(t->store_path, GIS_STORE_READ, &r->store[t->index], e) != ERR_OK)
        return NULL;
    return r->store[t->index];
}

enum err_code svc_tenant_write(struct svc_tenant *t, svc_write_fn fn, void *ctx, struct err *e)
{
    if (t->unavailable || !t->writer)
        return err_set(e, ERR_UNAVAILABLE, "the data of gmina %s are unavailable: its store could not be opened",
                       t->cfg->name);
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_store_begin(t->writer, e);
    if (!rc)
        rc = fn(t->writer, ctx, e);
    if (!rc)
        rc = gis_store_commit(t->writer, e);
    if (rc)
        gis_store_rollback(t->writer);
    pthread_mutex_unlock(&t->write_lock);
    return rc;
}

/* ---- helpers for handlers (services/http.h) ---- */

static const char *kv_find(const char *const *kv, const char *name, bool fold)
{
    for (; kv[0]; kv += 2)
        if (fold ? !strcasecmp(kv[0], name) : !strcmp(kv[0], name))
            return kv[1];
    return NULL;
}

const char *http_query(struct http_req *req, const char *name)
{
    if (req->sub_query)
        return kv_find(req->sub_query, name, false);
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *req, const char *name)
{
    if (req->sub_headers)
        return kv_find(req->sub_headers, name, true);
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_base_url(struct http_req *req)
{
    const char *host = http_header(req, "X-Forwarded-Host");
    if (!host)
        host = http_header(req, "Host");
    const char *proto = http_header(req, "X-Forwarded-Proto");
    if (!proto || (strcmp(proto, "https") && strcmp(proto, "http")))
        proto = "http";
    if (!host || !*host || strlen(host) > 255 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host))
        host = "localhost";
    return arena_printf(req->arena, "%s://%s", proto, host);
}

const char *http_capture(struct http_req *req, const char *name)
{
    for (int i = 0; i < req->ncap; i++)
        if (!strcmp(req->cap_name[i], name))
            return req->cap_value[i];
    return NULL;
}

static void free_dump(void *p)
{
    free(p);
}

enum err_code http_resp_json(struct http_req *req, struct http_resp *resp, int status, json_t *j, struct err *e)
{
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s || arena_defer(req->arena, free_dump, s) != 0)
        return err_set(e, ERR_INTERNAL, "out of memory serialising JSON");
    http_resp_body(resp, status, "application/json", s, strlen(s));
    return ERR_OK;
}

void http_resp_body(struct http_resp *resp, int status, const char *content_type, const char *body, size_t len)
{
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->len = len;
}

void http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders < HTTP_MAX_HEADERS) {
        resp->hname[resp->nheaders] = name;
        resp->hvalue[resp->nheaders] = value;
        resp->nheaders++;
    }
}

static void free_data(void *p)
{
    free(p);
}

enum err_code http_resp_buf(struct http_req *req, struct http_resp *resp, int status, const char *content_type,
                            struct buf *b, struct err *e)
{
    if (b->failed || (b->data && arena_defer(req->arena, free_data, b->data) != 0)) {
        buf_free(b);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    http_resp_body(resp, status, content_type, b->data ? b->data : "", b->len);
    return ERR_OK;
}

bool http_if_none_match(struct http_req *req, const char *etag)
{
    const char *inm = http_header(req, "If-None-Match");
    return inm && httphdr_etag_match(inm, etag);
}

int http_status_of(enum err_code code)
{
    static const short status[] = {
        [ERR_OK] = 200,        [ERR_INVALID] = 400,    [ERR_UNAUTHORIZED] = 401,   [ERR_FORBIDDEN] = 403,
        [ERR_NOT_FOUND] = 404, [ERR_METHOD] = 405,     [ERR_NOT_ACCEPTABLE] = 406, [ERR_CONFLICT] = 409,
        [ERR_TOO_LARGE] = 413, [ERR_MEDIA_TYPE] = 415, [ERR_RANGE] = 416,          [ERR_UNPROCESSABLE] = 422,
        [ERR_TOO_MANY] = 429,  [ERR_IO] = 500,         [ERR_INTERNAL] = 500,       [ERR_UNAVAILABLE] = 503,
    };
    if ((unsigned)code >= sizeof status / sizeof status[0] || !status[code])
        return 500;
    return status[code];
}

/* ---- routing ---- */

void svc_server_each_route(void (*fn)(const struct http_route *r, void *user), void *user)
{
    for (const struct http_route *const *t = svc_route_tables; *t; t++)
        for (const struct http_route *r = *t; r->pattern; r++)
            fn(r, user);
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct http_route *r = (*m)->routes; r && r->pattern; r++)
            fn(r, user);
}

struct route_match {
    const struct http_route *route;
    int path_matched; /* some route matched the path, perhaps with another method */
    char allow[64];
    struct http_req *req;
    const char *segs[16];
    int nseg;
    int unknown_tenant;
};

/* Matches pattern against the path segments; fills the request's captures on success. */
static int pattern_match(const char *pattern, struct route_match *m, int commit)
{
    int i = 0;
    const char *p = pattern;
    int ncap = 0;
    while (*p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i >= m->nseg)
            return len == 0 && !end && i == m->nseg; /* pattern "/" against path "/" */
        const char *seg = m->segs[i];
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            if (!*seg)
                return 0;
            if (commit && ncap < HTTP_MAX_CAPTURES) {
                m->req->cap_name[ncap] = arena_strndup(m->req->arena, p + 1, len - 2);
                m->req->cap_value[ncap] = seg;
                ncap++;
                m->req->ncap = ncap;
            }
        } else if (strlen(seg) != len || strncmp(seg, p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
    }
    return i == m->nseg;
}

static void route_consider(const struct http_route *r, void *user)
{
    struct route_match *m = user;
    if (m->route || !pattern_match(r->pattern, m, 0))
        return;
    const char *method = m->req->method;
    if (!strcmp(method, "HEAD"))
        method = "GET";
    m->path_matched = 1;
    if (!strcmp(r->method, method)) {
        m->route = r;
        pattern_match(r->pattern, m, 1);
    } else if (!strstr(m->allow, r->method) && strlen(m->allow) + strlen(r->method) + 3 < sizeof m->allow) {
        if (m->allow[0])
            strcat(m->allow, ", ");
        strcat(m->allow, r->method);
    }
}

/* ---- responses ---- */

#define GZIP_MIN_BYTES 1024 /* smaller text bodies go out as they are: gzip would save next to nothing */

/* The index of the response header name the handler set (case-insensitive), or -1. */
static int resp_header_find(const struct http_resp *resp, const char *name)
{
    for (int i = 0; i < resp->nheaders; i++)
        if (!strcasecmp(resp->hname[i], name))
            return i;
    return -1;
}

/* What goes on the wire after negotiation: status, body and the headers that replace or join the
 * handler's. */
struct resp_out {
    int status;
    const char *content_type;
    const char *body;
    size_t len;
    const char *etag; /* replaces the handler's ETag when set */
    const char *vary; /* replaces the handler's Vary when set */
    const char *encoding;
    const char *content_range;
    bool accept_ranges;
    bool drop_handler_headers; /* a 416 says nothing about the representation */
};

static void error_resp(struct arena *a, struct http_resp *resp, const struct err *e);

static const char *req_header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Conditional requests, byte ranges and gzip for the handler's answer (the contract is in services/http.h).
 * PNG, JPEG, PDF and vector-tile bodies are never hashed or compressed here: tiles carry their own ETag. */
static void negotiate(struct MHD_Connection *conn, struct req_state *rs, const struct http_resp *resp,
                      struct resp_out *o)
{
    struct arena *a = rs->arena;
    o->status = resp->status;
    o->content_type = resp->content_type ? resp->content_type : "application/json";
    o->body = resp->body ? resp->body : "";
    o->len = resp->len;
    bool textual = resp_header_find(resp, "Content-Encoding") < 0 && httphdr_type_compressible(o->content_type);
    if (textual) {
        int v = resp_header_find(resp, "Vary");
        if (v < 0)
            o->vary = "Accept-Encoding";
        else if (!strcasestr(resp->hvalue[v], "Accept-Encoding"))
            o->vary = arena_printf(a, "%s, Accept-Encoding", resp->hvalue[v]);
    }
    bool get = !strcmp(rs->method, "GET") || !strcmp(rs->method, "HEAD");
    bool whole = get && resp->status == 200;
    const char *range = whole ? req_header(conn, "Range") : NULL;
    bool gz = textual && !range && resp->status != 204 && resp->status != 304 &&
              (resp->gz_body || o->len >= GZIP_MIN_BYTES) && httphdr_accepts_gzip(req_header(conn, "Accept-Encoding"));
    const char *etag = NULL, *identity_etag = NULL;
    if (whole) {
        o->accept_ranges = true;
        int ei = resp_header_find(resp, "ETag");
        etag = identity_etag = ei >= 0 ? resp->hvalue[ei] : NULL;
        if (!etag && textual) {
            char tag[24];
            tile_etag(o->body, o->len, tag, sizeof tag);
            etag = identity_etag = o->etag = arena_strdup(a, tag);
        }
        char variant[160];
        if (gz && etag && httphdr_etag_variant(etag, "-gz", variant, sizeof variant))
            etag = o->etag = arena_strdup(a, variant);
        else if (gz && etag)
            gz = false; /* a handler tag that is no entity tag: keep one representation */
        const char *inm = req_header(conn, "If-None-Match");
        if (etag && inm && httphdr_etag_match(inm, etag)) {
            o->status = 304;
            o->body = "";
            o->len = 0;
            return;
        }
        const char *if_range = range ? req_header(conn, "If-Range") : NULL;
        size_t first = 0, last = 0;
        enum httphdr_range rr = range && (!if_range || httphdr_if_range_ok(if_range, etag))
                                    ? httphdr_range_parse(range, o->len, &first, &last)
                                    : HTTPHDR_RANGE_NONE;
        if (rr == HTTPHDR_RANGE_OK) {
            o->status = 206;
            o->content_range = arena_printf(a, "bytes %zu-%zu/%zu", first, last, o->len);
            o->body += first;
            o->len = last - first + 1;
            return;
        }
        if (rr == HTTPHDR_RANGE_UNSATISFIABLE) {
            struct err e = {0};
            struct http_resp er;
            err_set(&e, ERR_RANGE, "no requested byte range overlaps the %zu bytes of this resource", o->len);
            o->content_range = arena_printf(a, "bytes */%zu", o->len);
            error_resp(a, &er, &e);
            o->status = er.status;
            o->content_type = er.content_type;
            o->body = er.body;
            o->len = er.len;
            o->etag = o->vary = NULL;
            o->accept_ranges = false;
            o->drop_handler_headers = true;
            return;
        }
    }
    if (!gz)
        return;
    if (resp->gz_body) {
        o->body = resp->gz_body;
        o->len = resp->gz_len;
    } else {
        struct buf b = {0};
        struct err e = {0};
        int level = o->len > (256u << 10) ? 1 : 6;
        if (zbuf_compress(ZBUF_GZIP, level, o->body, o->len, &b, &e) != ERR_OK || b.failed ||
            arena_defer(a, free_dump, b.data) != 0) {
            buf_free(&b);
            if (whole)
                o->etag = identity_etag; /* out of memory: the identity body, under its own tag */
            return;
        }
        o->body = b.data;
        o->len = b.len;
    }
    o->encoding = "gzip";
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct req_state *rs, struct http_resp *resp)
{
    struct resp_out o = {0};
    negotiate(conn, rs, resp, &o);
    /* No copy: every body is static or lives in the request's arena, which request_completed frees only
     * after libmicrohttpd has sent the last byte (or dropped the connection). */
    struct MHD_Response *r = MHD_create_response_from_buffer(o.len, (void *)o.body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", o.content_type);
    /* defaults a handler may replace; never twice (two Access-Control-Allow-Origin values fail CORS) */
    int nh = o.drop_handler_headers ? 0 : resp->nheaders;
    static const char *const defaults[][2] = {
        {"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Expose-Headers", "ETag, Location, Link, Content-Crs, Content-Range, Content-Disposition"},
        {"X-Content-Type-Options", "nosniff"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!nh || resp_header_find(resp, defaults[i][0]) < 0)
            MHD_add_response_header(r, defaults[i][0], defaults[i][1]);
    for (int i = 0; i < nh; i++) {
        if ((o.etag && !strcasecmp(resp->hname[i], "ETag")) || (o.vary && !strcasecmp(resp->hname[i], "Vary")))
            continue;
        MHD_add_response_header(r, resp->hname[i], resp->hvalue[i]);
    }
    if (o.etag)
        MHD_add_response_header(r, "ETag", o.etag);
    if (o.vary)
        MHD_add_response_header(r, "Vary", o.vary);
    if (o.encoding)
        MHD_add_response_header(r, "Content-Encoding", o.encoding);
    if (o.content_range)
        MHD_add_response_header(r, "Content-Range", o.content_range);
    if (o.accept_ranges)
        MHD_add_response_header(r, "Accept-Ranges", "bytes");
    rs->status = o.status;
    rs->bytes = o.len;
    rs->quiet = resp->quiet;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)o.status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The one place an error becomes an HTTP answer: {"code", "description"} with the mapped status. */
static void error_resp(struct arena *a, struct http_resp *resp, const struct err *e)
{
    json_t *j = json_object();
    json_object_set_new(j, "code", json_string(err_name(e->code)));
    /* A failure of the server itself (500): its message names files and quotes SQLite or GDAL, which is for the
     * server's log (job_answer writes it there), not for the caller. */
    const char *msg = http_status_of(e->code) == 500 ? "internal error; the details are in the server's log" : e->msg;
    /* json_string rejects invalid UTF-8; messages echo user input, so fall back to a safe text. */
    json_t *desc = json_string(msg[0] ? msg : err_name(e->code));
    json_object_set_new(j, "description", desc ? desc : json_string("invalid request"));
    if (e->param[0])
        json_object_set_new(j, "parameter", json_string(e->param));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const char *body = "{\"code\":\"InternalServerError\",\"description\":\"out of memory\"}";
    if (s) {
        body = arena_strdup(a, s);
        free(s);
    }
    memset(resp, 0, sizeof *resp);
    http_resp_body(resp, http_status_of(e->code), "application/json", body ? body : "{}", body ? strlen(body) : 2);
}

/* ---- the access handler ---- */

static int split_path(struct arena *a, const char *url, struct route_match *m)
{
    char *copy = arena_strdup(a, url);
    if (!copy || copy[0] != '/')
        return -1;
    m->nseg = 0;
    char *p = copy + 1;
    if (!*p)
        return 0; /* "/" has no segments */
    while (p) {
        if (m->nseg == (int)(sizeof m->segs / sizeof m->segs[0]))
            return -1;
        char *slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        m->segs[m->nseg++] = p;
        p = slash ? slash + 1 : NULL;
    }
    /* One trailing slash names the same resource: /{t}/ogc/ is /{t}/ogc (owslib asks for the former). */
    if (m->nseg > 0 && !*m->segs[m->nseg - 1])
        m->nseg--;
    return 0;
}

struct query_check {
    struct err *e;
    int count;
};

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                       const char *value, size_t value_size)
{
    (void)kind;
    struct query_check *qc = cls;
    qc->count++;
    if (qc->count > 100) {
        err_set(qc->e, ERR_INVALID, "too many query parameters");
        return MHD_NO;
    }
    /* %00 decodes to a NUL, which would silently cut the name or value short for every lookup */
    if (memchr(key, 0, key_size)) {
        err_param(qc->e, "query", "a query parameter name contains a NUL character (%%00)");
        return MHD_NO;
    }
    if (!text_utf8_valid(key, strlen(key)) || strlen(key) > 64) {
        err_set(qc->e, ERR_INVALID, "a query parameter name is not valid UTF-8 or is too long");
        return MHD_NO;
    }
    if (value && memchr(value, 0, value_size)) {
        err_param(qc->e, key, "parameter '%s' contains a NUL character (%%00)", key);
        return MHD_NO;
    }
    if (value && (!text_utf8_valid(value, strlen(value)) || strlen(value) > 65536)) {
        err_param(qc->e, key, "parameter '%s' is not valid UTF-8 text or is too long", key);
        return MHD_NO;
    }
    return MHD_YES;
}

/* Finds the route of m->req (method and path), filling its captures. */
static enum err_code route_lookup(struct route_match *m, struct http_resp *resp, struct err *e)
{
    struct http_req *req = m->req;
    if (split_path(req->arena, req->path, m) != 0)
        return err_set(e, ERR_NOT_FOUND, "no such path");
    svc_server_each_route(route_consider, m);
    if (!m->path_matched)
        return err_set(e, ERR_NOT_FOUND, "no such path: %s", req->path);
    if (!m->route) {
        http_resp_header(resp, "Allow", arena_strdup(req->arena, m->allow));
        return err_set(e, ERR_METHOD, "method %s is not allowed here; allowed: %s", req->method, m->allow);
    }
    return ERR_OK;
}

/* The cap of a request's body, decided from its head: [server] max_body, or for an upload route (access
 * .upload) attachment_max_bytes plus framing when larger. An upload route's caller is identified first
 * (without the CSRF check, whose form field may be in the body): one it refuses gets its error in
 * rs->refused, answered before any of a body that may be megabytes is read. */
static void body_limit(struct svc_server *s, struct MHD_Connection *conn, struct req_state *rs)
{
    rs->body_max = s->cfg->max_body_bytes;
    if (strcmp(rs->method, "POST") && strcmp(rs->method, "PUT"))
        return;
    struct http_req req = {.arena = rs->arena, .method = rs->method, .path = rs->path, .conn = conn, .server = s};
    struct route_match m = {.req = &req};
    struct http_resp resp = {0};
    struct err e = {0};
    if (rs->path_nul || route_lookup(&m, &resp, &e) || !m.route->access.upload)
        return; /* the dispatcher answers it after the body */
    size_t up = s->cfg->cases.attachment_max_bytes + HTTP_UPLOAD_FRAMING;
    if (up > rs->body_max)
        rs->body_max = up;
    const char *slug = http_capture(&req, "t");
    req.tenant = slug ? svc_server_tenant_find(s, slug) : NULL;
    if (!req.tenant || req.tenant->unavailable)
        return;
    if (svc_auth_identify(&req, m.route, &resp, &e))
        rs->refused = e;
}

static enum err_code dispatch(struct svc_server *s, struct http_req *req, struct http_resp *resp, bool path_nul,
                              struct err *e)
{
    if (path_nul)
        return err_param(e, "path", "the path contains a NUL character (%%00)");
    if (!text_utf8_valid(req->path, strlen(req->path)))
        return err_set(e, ERR_INVALID, "the path is not valid UTF-8");
    struct query_check qc = {.e = e};
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, check_query_arg, &qc);
    if (e->code)
        return e->code;
    if (!strcmp(req->method, "OPTIONS")) {
        http_resp_body(resp, 204, "text/plain", "", 0);
        http_resp_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        http_resp_header(resp, "Access-Control-Allow-Headers",
                         "Content-Type, Authorization, If-None-Match, If-Range, Range");
        http_resp_header(resp, "Access-Control-Max-Age", "86400");
        return ERR_OK;
    }
    struct route_match m = {.req = req};
    if (route_lookup(&m, resp, e))
        return e->code;
    const char *slug = http_capture(req, "t");
    if (slug) {
        req->tenant = svc_server_tenant_find(s, slug);
        if (!req->tenant)
            return err_set(e, ERR_NOT_FOUND, "unknown gmina '%s'", slug);
        if (req->tenant->unavailable)
            return err_set(e, ERR_UNAVAILABLE,
                           "the data of gmina %s are unavailable: its store could not be opened when the server "
                           "started (the server log says why); the other gminas are served",
                           req->tenant->cfg->name);
        if (svc_tenant_twin_hidden(req->tenant))
            return err_set(e, ERR_UNAVAILABLE,
                           "Dane gminy %s udostępnia jej ośrodek podstawowy; ten serwer przechowuje tylko ich kopię "
                           "zapasową.",
                           req->tenant->cfg->name);
    }
    const struct svc_module *mod = svc_module_of_route(m.route);
    if (mod && (!req->tenant || !svc_module_enabled(req->tenant->cfg, mod)))
        return err_set(e, ERR_NOT_FOUND, "the e-service '%s' is not enabled in gmina %s", mod->name,
                       req->tenant ? req->tenant->cfg->name : "?");
    /* A write commits (an fsync), may wait for the twin or hash a password; a page gathers several answers,
     * some in-process requests: never on a network thread. */
    bool page = m.route->produces && !strcmp(m.route->produces, "text/html");
    if ((page || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))) && http_offload(req))
        return ERR_OK;
    enum http_access_kind access = m.route->access.kind;
    if (access != HTTP_ACCESS_PUBLIC && svc_auth_check(req, m.route, resp, e))
        return e->code;
    /* a twin primary's write waits for its twin's acknowledgement (services/twin.h) */
    if (access != HTTP_ACCESS_PUBLIC && svc_twin_before_write(req, e))
        return e->code;
    resp->status = 200;
    enum err_code rc = m.route->handler(req, resp, e);
    if (req->offloaded) /* the handler moved the request to a job thread, where it runs again in full */
        return ERR_OK;
    if (!rc)
        rc = svc_twin_after_write(req, resp, e);
    if (access == HTTP_ACCESS_STAFF || access == HTTP_ACCESS_ADMIN || m.route->access.personal)
        svc_auth_audit_request(req, m.route, rc ? http_status_of(rc) : resp->status);
    return rc;
}

enum err_code http_subrequest(struct http_req *req, const char *method, const char *path, const char *const *query,
                              const char *const *headers, const char *body, size_t body_len, struct http_resp *resp,
                              struct err *e)
{
    static const char *const none[] = {NULL, NULL};
    struct http_req sub = {.arena = req->arena,
                           .method = method,
                           .path = path,
                           .conn = req->conn,
                           .server = req->server,
                           .body = body,
                           .body_len = body_len,
                           .principal = req->principal,
                           .sub_query = query ? query : none,
                           .sub_headers = headers ? headers : none};
    struct route_match m = {.req = &sub};
    memset(resp, 0, sizeof *resp);
    if (route_lookup(&m, resp, e))
        return e->code;
    const char *slug = http_capture(&sub, "t");
    if (slug && !(sub.tenant = svc_server_tenant_find(req->server, slug)))
        return err_set(e, ERR_NOT_FOUND, "unknown gmina '%s'", slug);
    if (sub.tenant && sub.tenant->unavailable)
        return err_set(e, ERR_UNAVAILABLE, "the data of gmina %s are unavailable", sub.tenant->cfg->name);
    const struct svc_module *mod = svc_module_of_route(m.route);
    if (mod && (!sub.tenant || !svc_module_enabled(sub.tenant->cfg, mod)))
        return err_set(e, ERR_NOT_FOUND, "the e-service '%s' is not enabled here", mod->name);
    enum http_access_kind access = m.route->access.kind;
    bool staff = access == HTTP_ACCESS_STAFF || access == HTTP_ACCESS_ADMIN;
    if (staff && svc_auth_page_check(&sub, m.route, e))
        return e->code;
    if (access == HTTP_ACCESS_ACCOUNT && !req->principal)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    /* a submission made through a page waits for the twin as one made over HTTP (services/twin.h) */
    if (access != HTTP_ACCESS_PUBLIC && svc_twin_before_write(&sub, e))
        return e->code;
    resp->status = 200;
    enum err_code rc = m.route->handler(&sub, resp, e);
    if (!rc)
        rc = svc_twin_after_write(&sub, resp, e);
    if (staff || m.route->access.personal)
        svc_auth_audit_request(&sub, m.route, rc ? http_status_of(rc) : resp->status);
    req->audit_note = sub.audit_note ? sub.audit_note : req->audit_note;
    return rc;
}

/* Each thread keeps the state of its last finished request for the next one (its arena emptied, one
 * block kept): a keep-alive client's small requests then allocate nothing from the heap for it. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void req_state_destroy(void *p)
{
    struct req_state *rs = p;
    arena_free(rs->arena);
    free(rs);
}

static void spare_key_make(void)
{
    if (pthread_key_create(&spare_key, req_state_destroy))
        abort();
}

static struct req_state *req_state_new(void)
{
    pthread_once(&spare_once, spare_key_make);
    struct req_state *rs = pthread_getspecific(spare_key);
    if (rs) {
        pthread_setspecific(spare_key, NULL);
        struct arena *a = rs->arena;
        memset(rs, 0, sizeof *rs);
        rs->arena = a;
        return rs;
    }
    rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->arena = arena_new(16384);
    if (!rs->arena) {
        free(rs);
        return NULL;
    }
    return rs;
}

/* Ends a request's state: kept as this thread's spare when it has none, else freed. */
static void req_state_end(struct req_state *rs)
{
    pthread_once(&spare_once, spare_key_make);
    if (!pthread_getspecific(spare_key)) {
        arena_reset(rs->arena);
        if (!pthread_setspecific(spare_key, rs))
            return;
    }
    req_state_destroy(rs);
}

/* Called by MHD with the raw request line's URI, before it splits off the query and decodes the path:
 * the only place a %00 in the path can still be seen. The state returned becomes the request's con_cls. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)conn;
    struct req_state *rs = req_state_new();
    if (rs && uri) {
        size_t n = strcspn(uri, "?");
        for (size_t i = 0; i + 2 < n && !rs->path_nul; i++)
            rs->path_nul = uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0';
    }
    return rs;
}

/* The tracking record of conn (NULL when tracking failed for it). */
static struct conn_track *conn_track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs rs's request again from the start, as a job: on a job thread, or on the network thread when the job
 * threads are stopping. What it answers stays in rs for job_answer. */
static void job_run(struct svc_server *s, struct req_state *rs)
{
    rs->req = (struct http_req){
        .arena = rs->arena,
        .method = rs->method,
        .path = rs->path,
        .conn = rs->conn,
        .server = s,
        .body = rs->body,
        .body_len = rs->body_len,
    };
    rs->resp = (struct http_resp){0};
    rs->e = (struct err){0};
    rs->job_rc = dispatch(s, &rs->req, &rs->resp, rs->path_nul, &rs->e);
}

/* The server one of whose processors the calling job thread holds (jobs_lock's cpu_free), or NULL. */
static __thread struct svc_server *cpu_held;

/* Takes the job thread that went idle last off the idle stack and wakes it (under jobs_lock); NULL when none is
 * idle. */
static struct job_slot *job_pop_idle(struct svc_server *s)
{
    struct job_slot *j = s->idle_top;
    if (!j)
        return NULL;
    s->idle_top = j->next_idle;
    j->idle = false;
    pthread_cond_signal(&j->cond);
    return j;
}

/* Wakes the job thread that went idle last, if any is idle and a processor is free, and hands it the processor
 * (under jobs_lock). Last in, first out: at low concurrency the same few threads take the work, with their
 * caches warm (readers' pages, prepared statements, layouts, seal templates, PROJ), instead of every thread in
 * turn; a thread's first job costs some 20 ms more. The processor goes with the wake-up so that work arriving
 * in a burst wakes no more threads than can run: the others would race the running ones for it. */
static void job_wake(struct svc_server *s)
{
    if (!s->idle_top || s->cpu_free <= 0)
        return;
    s->cpu_free--;
    job_pop_idle(s)->granted = true; /* it runs once jobs_lock is released */
}

/* Gives back the processor the calling job thread holds, if it still does (jobs_lock held): the thread
 * goes on to the next work itself. */
static void cpu_release(struct svc_server *s)
{
    if (cpu_held == s) {
        s->cpu_free++;
        cpu_held = NULL;
    }
}

/* Gives back the calling job thread's processor (jobs_lock held), before it blocks, and wakes a thread for
 * the queued work it frees a processor for. */
static void cpu_yield_locked(struct svc_server *s)
{
    if (cpu_held != s)
        return;
    cpu_release(s);
    if (s->tasks_head || s->jobs_head)
        job_wake(s);
}

/* Takes j off the idle stack, where it may still be after a spurious wake-up (under jobs_lock). */
static void job_unidle(struct svc_server *s, struct job_slot *j)
{
    if (!j->idle)
        return;
    for (struct job_slot **p = &s->idle_top; *p; p = &(*p)->next_idle)
        if (*p == j) {
            *p = j->next_idle;
            break;
        }
    j->idle = false;
}

/* Suspends conn and queues its request for a job thread; false when the job threads are stopping. */
static bool job_queue(struct svc_server *s, struct MHD_Connection *conn, struct req_state *rs)
{
    pthread_mutex_lock(&s->jobs_lock);
    if (s->jobs_stopping) {
        pthread_mutex_unlock(&s->jobs_lock);
        return false;
    }
    /* suspended before a job thread can see it, so that its resume never comes first */
    MHD_suspend_connection(conn);
    rs->job_next = NULL;
    rs->job_reads = !strcmp(rs->method, "GET") || !strcmp(rs->method, "HEAD");
    rs->job_done = false;
    if (s->jobs_tail)
        s->jobs_tail->job_next = rs;
    else
        s->jobs_head = rs;
    s->jobs_tail = rs;
    s->jobs_pending++;
    if (rs->job_reads && s->cpu_free <= 0)
        job_pop_idle(s); /* it needs no processor */
    else
        job_wake(s);
    pthread_mutex_unlock(&s->jobs_lock);
    return true;
}

enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE };

/* The server whose job threads take tasks; NULL before they start and once they stop. */
static struct svc_server *task_server;

void svc_task_start(struct svc_task *t)
{
    t->next = NULL;
    t->queued_on = NULL;
    t->state = TASK_QUEUED;
    struct svc_server *s = __atomic_load_n(&task_server, __ATOMIC_ACQUIRE);
    if (!s)
        return; /* svc_task_wait runs it */
    pthread_mutex_lock(&s->jobs_lock);
    if (!s->jobs_stopping) {
        if (s->tasks_tail)
            s->tasks_tail->next = t;
        else
            s->tasks_head = t;
        s->tasks_tail = t;
        t->queued_on = s;
        job_wake(s);
    }
    pthread_mutex_unlock(&s->jobs_lock);
}

void svc_task_wait(struct svc_task *t)
{
    struct svc_server *s = t->queued_on;
    bool run_here = true;
    if (s) {
        pthread_mutex_lock(&s->jobs_lock);
        if (t->state == TASK_QUEUED) {
            /* not taken yet: out of the queue, and run here */
            struct svc_task **p = &s->tasks_head, *prev = NULL;
            while (*p && *p != t)
                prev = *p, p = &(*p)->next;
            if (*p)
                *p = t->next;
            if (s->tasks_tail == t)
                s->tasks_tail = prev;
        } else {
            run_here = false;
            while (t->state != TASK_DONE)
                pthread_cond_wait(&s->tasks_done, &s->jobs_lock);
        }
        pthread_mutex_unlock(&s->jobs_lock);
    }
    if (run_here) {
        t->state = TASK_RUNNING;
        t->fn(t->arg);
        t->state = TASK_DONE;
    }
}

/* The job threads' cpu_yield (util/cpu.h): the processor to the next job, not taken again by this one (the
 * little that is left after the wait runs beside the next job). */
static void job_yield(void)
{
    struct svc_server *s = cpu_held;
    if (!s)
        return;
    pthread_mutex_lock(&s->jobs_lock);
    cpu_yield_locked(s);
    pthread_mutex_unlock(&s->jobs_lock);
}

/* Whether job thread j may take work now (under jobs_lock): some is queued and j has a processor for it (handed
 * over or free), or the threads are stopping (which drains the queue whatever the processors). */
static bool job_may_take(const struct svc_server *s, const struct job_slot *j)
{
    bool cpu = j->granted || s->cpu_free > 0;
    return s->jobs_stopping || (s->tasks_head && cpu) || (s->jobs_head && (s->jobs_head->job_reads || cpu));
}

static void *job_main(void *arg)
{
    struct job_slot *me = arg;
    struct svc_server *s = me->server;
    pthread_setname_np(pthread_self(), "odra-job");
    cpu_yield_hook(job_yield);
    pthread_mutex_lock(&s->jobs_lock);
    for (;;) {
        while (!job_may_take(s, me)) {
            if (me->granted) { /* another thread took the work first */
                me->granted = false;
                s->cpu_free++;
            }
            if (!me->idle) {
                me->next_idle = s->idle_top;
                s->idle_top = me;
                me->idle = true;
            }
            pthread_cond_wait(&me->cond, &s->jobs_lock);
        }
        job_unidle(s, me);
        bool cpu = me->granted || s->cpu_free > 0 || s->jobs_stopping;
        struct svc_task *t = cpu ? s->tasks_head : NULL;
        if (t || (s->jobs_head && !s->jobs_head->job_reads)) {
            if (!me->granted)
                s->cpu_free--;
            cpu_held = s;
        } else if (me->granted) {
            s->cpu_free++;
        }
        me->granted = false;
        if (t) {
            s->tasks_head = t->next;
            if (!s->tasks_head)
                s->tasks_tail = NULL;
            t->state = TASK_RUNNING;
            pthread_mutex_unlock(&s->jobs_lock);
            t->fn(t->arg);
            pthread_mutex_lock(&s->jobs_lock);
            cpu_release(s);
            t->state = TASK_DONE;
            pthread_cond_broadcast(&s->tasks_done);
            continue;
        }
        struct req_state *rs = s->jobs_head;
        if (!rs)
            break; /* stopping, and nothing left */
        s->jobs_head = rs->job_next;
        if (!s->jobs_head)
            s->jobs_tail = NULL;
        pthread_mutex_unlock(&s->jobs_lock);
        job_run(s, rs);
        rs->job_done = true;
        /* rs is the network thread's again from here: it may answer and free it at once */
        MHD_resume_connection(rs->conn);
        pthread_mutex_lock(&s->jobs_lock);
        cpu_release(s);
        if (--s->jobs_pending == 0)
            pthread_cond_broadcast(&s->jobs_idle);
    }
    pthread_mutex_unlock(&s->jobs_lock);
    return NULL;
}

/* The processors this process may run on (its affinity: taskset, a cgroup's cpuset), at least 1. */
static int processors(void)
{
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    if (n < 1)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n;
}

/* Starts the job threads ([server] job_threads); with none, heavy requests run on the network threads. */
static enum err_code jobs_start(struct svc_server *s, struct err *e)
{
    s->cpu_free = processors();
    int n = s->cfg->job_threads;
    if (n < 0) {
        int cpus = s->cpu_free;
        n = cpus > 2 ? 2 * cpus : 4;
        if (n > 64)
            n = 64;
    }
    if (n == 0)
        return ERR_OK;
    s->slots = calloc((size_t)n, sizeof *s->slots);
    if (!s->slots)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (; s->n_job_threads < n; s->n_job_threads++) {
        struct job_slot *j = &s->slots[s->n_job_threads];
        j->server = s;
        pthread_cond_init(&j->cond, NULL);
        if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
            pthread_cond_destroy(&j->cond);
            return err_set(e, ERR_INTERNAL, "cannot start the job threads");
        }
    }
    struct svc_server *none = NULL;
    __atomic_compare_exchange_n(&task_server, &none, s, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    return ERR_OK;
}

/* Lets the queued and running jobs finish (each resumes its connection), then joins the threads: before the
 * daemon stops, which must find no connection suspended. Later heavy requests run on the network threads. */
static void jobs_stop(struct svc_server *s)
{
    struct svc_server *me = s;
    __atomic_compare_exchange_n(&task_server, &me, NULL, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    pthread_mutex_lock(&s->jobs_lock);
    s->jobs_stopping = true;
    while (job_pop_idle(s))
        ;
    while (s->jobs_pending > 0)
        pthread_cond_wait(&s->jobs_idle, &s->jobs_lock);
    pthread_mutex_unlock(&s->jobs_lock);
    for (int i = 0; i < s->n_job_threads; i++) {
        pthread_join(s->slots[i].thread, NULL);
        pthread_cond_destroy(&s->slots[i].cond);
    }
    s->n_job_threads = 0;
    s->idle_top = NULL;
    free(s->slots);
    s->slots = NULL;
}

bool http_may_offload(const struct http_req *req)
{
    return req->may_offload && !req->offloaded;
}

bool http_offload(struct http_req *req)
{
    if (!http_may_offload(req))
        return false;
    req->offloaded = true;
    return true;
}

/* The answer of a dispatched request (rs->job_rc, rs->e, rs->resp): its error becomes the JSON error. */
static enum MHD_Result job_answer(struct MHD_Connection *conn, struct req_state *rs)
{
    struct http_resp *resp = &rs->resp;
    struct err *e = &rs->e;
    enum err_code rc = rs->job_rc;
    if (rc != ERR_OK) {
        if (e->code == ERR_OK)
            err_set(e, rc, "%s", err_name(rc));
        /* an unavailable gmina was logged once at start; its 503s are in the request log */
        if (http_status_of(e->code) >= 500 && !(rs->req.tenant && rs->req.tenant->unavailable))
            log_error("%s %s: %s", rs->method, rs->path, e->msg);
        int nh = resp->nheaders;
        const char *hn[HTTP_MAX_HEADERS], *hv[HTTP_MAX_HEADERS];
        memcpy(hn, resp->hname, sizeof hn);
        memcpy(hv, resp->hvalue, sizeof hv);
        error_resp(rs->arena, resp, e);
        for (int i = 0; i < nh; i++)
            http_resp_header(resp, hn[i], hv[i]);
    }
    return send_resp(conn, rs, resp);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                      const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct svc_server *s = cls;
    struct req_state *rs = *con_cls;
    if (!rs) {
        rs = req_state_new();
        if (!rs)
            return MHD_NO;
        *con_cls = rs;
    }
    if (!rs->begun) {
        rs->begun = true;
        struct conn_track *ct = conn_track_of(conn);
        if (ct)
            __atomic_store_n(&ct->in_request, 1, __ATOMIC_RELEASE);
        rs->start_ms = log_now_ms();
        rs->method = arena_strdup(rs->arena, method);
        rs->path = arena_strdup(rs->arena, url);
        if (!rs->method || !rs->path)
            return MHD_NO;
        /* Refuse an announced oversized body, or an upload's caller without the right, before reading any
         * of the body. */
        body_limit(s, conn, rs);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        long n;
        if (cl && (!text_parse_long(cl, 0, 1L << 40, &n) || (size_t)n > rs->body_max))
            rs->too_large = 1;
        if (!rs->too_large && !rs->refused.code)
            return MHD_YES;
    }
    if (rs->job_done) /* resumed: the job thread has run it */
        return job_answer(conn, rs);
    if (*upload_size) {
        if (!rs->too_large && rs->body_len + *upload_size > rs->body_max)
            rs->too_large = 1;
        if (rs->too_large) {
            /* A chunked body over the cap: MHD 0.9.75 cannot answer before the body ends, so discard up
             * to a bound and answer 413 at its end; past the bound, close the connection. */
            rs->discarded += *upload_size;
            *upload_size = 0;
            return rs->discarded > 4 * rs->body_max ? MHD_NO : MHD_YES;
        }
        if (rs->body_len + *upload_size + 1 > rs->body_cap) {
            size_t cap = (rs->body_len + *upload_size + 1) * 2;
            if (cap > rs->body_max + 1)
                cap = rs->body_max + 1;
            char *nb = arena_alloc(rs->arena, cap);
            if (!nb)
                return MHD_NO;
            if (rs->body_len)
                memcpy(nb, rs->body, rs->body_len);
            rs->body = nb;
            rs->body_cap = cap;
        }
        memcpy(rs->body + rs->body_len, upload_data, *upload_size);
        rs->body_len += *upload_size;
        rs->body[rs->body_len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    struct http_resp resp = {0};
    struct err e = {0};
    if (rs->refused.code || rs->too_large) {
        /* Announced too large, or an upload's caller refused: answered on the first call, before any of
         * the body is read. */
        if (rs->refused.code)
            e = rs->refused;
        else
            err_set(&e, ERR_TOO_LARGE, "request body larger than %zu bytes", rs->body_max);
        error_resp(rs->arena, &resp, &e);
        http_resp_header(&resp, "Connection", "close");
        return send_resp(conn, rs, &resp);
    }
    rs->conn = conn;
    rs->req = (struct http_req){
        .arena = rs->arena,
        .method = rs->method,
        .path = rs->path,
        .conn = conn,
        .server = s,
        .body = rs->body,
        .body_len = rs->body_len,
        .may_offload = s->n_job_threads > 0,
    };
    rs->resp = (struct http_resp){0};
    rs->e = (struct err){0};
    rs->job_rc = dispatch(s, &rs->req, &rs->resp, rs->path_nul, &rs->e);
    if (rs->req.offloaded && job_queue(s, conn, rs))
        return MHD_YES;    /* answered when the job thread resumes the connection */
    if (rs->req.offloaded) /* the job threads are stopping: run it here */
        job_run(s, rs);
    return job_answer(conn, rs);
}

/* [server] access_log, set when the server starts, and the answers it left out of the log */
static int access_log_mode = ACCESS_LOG_NO_HITS;
static unsigned long long unlogged;

unsigned long long svc_server_unlogged(void)
{
    return __atomic_load_n(&unlogged, __ATOMIC_RELAXED);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct conn_track *ct = conn_track_of(conn);
    if (ct) {
        /* a keep-alive connection now waits for its next head, under a fresh deadline */
        __atomic_store_n(&ct->head_since, now_ms(), __ATOMIC_RELAXED);
        __atomic_store_n(&ct->in_request, 0, __ATOMIC_RELEASE);
    }
    struct req_state *rs = *con_cls;
    if (!rs)
        return;
    if (!rs->begun) { /* the request line came, the access handler never ran (bad head, closed) */
        req_state_end(rs);
        *con_cls = NULL;
        return;
    }
    double ms = log_now_ms() - rs->start_ms;
    if (access_log_mode != ACCESS_LOG_ALL && rs->status && rs->status < 400 &&
        (access_log_mode == ACCESS_LOG_OFF || rs->quiet)) {
        __atomic_add_fetch(&unlogged, 1, __ATOMIC_RELAXED);
    } else if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || rs->status)
        log_info("%s %s %d %zuB %.1fms", rs->method, rs->path, rs->status, rs->bytes, ms);
    else
        log_info("%s %s aborted (%d) %.1fms", rs->method, rs->path, (int)toe, ms);
    req_state_end(rs);
    *con_cls = NULL;
}

static long long now_ms(void);

/* libmicrohttpd's messages, with a repeat of the previous one within ten seconds counted instead of
 * logged: every connection closed in the middle of its head (a slowloris shut down by the head deadline)
 * says the same, and hundreds of identical lines would bury the rest. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char last[512];
    static long long last_ms, repeats;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    long long now = now_ms();
    pthread_mutex_lock(&lock);
    if (!strcmp(line, last) && now - last_ms < 10000) {
        repeats++;
    } else {
        if (repeats)
            log_warn("http: (the message before repeated %lld times)", repeats);
        log_warn("http: %s", line);
        memcpy(last, line, sizeof last);
        last_ms = now;
        repeats = 0;
    }
    pthread_mutex_unlock(&lock);
}

/* ---- the request-head deadline and the slowest heads first out near the limit ----
 *
 * libmicrohttpd's own timeout counts inactivity, so a client that trickles one header byte every few
 * seconds keeps its connection for ever, and a few hundred of them fill max_connections. Every open
 * connection is tracked here (NOTIFY_CONNECTION): the housekeeper thread shuts down those whose request
 * head is older than head_timeout however much trickled in, and a new connection that brings its worker
 * near the worker's share of max_connections shuts down that worker's connections that have waited
 * longest for a head (idle keep-alives and trickling heads) first, so there is always room for a client
 * that sends its request at once. Closing is shutdown(2) on the socket: libmicrohttpd then sees the end
 * of the stream and closes the connection in its own thread. It calls the "closed" notification, which
 * takes conns_lock, before it closes the descriptor, so under that lock a tracked fd is still this
 * connection's own. */

/* Shuts down ct's socket; under conns_lock. */
static void conn_close_locked(struct svc_server *s, struct conn_track *ct)
{
    if (!ct->closing) {
        ct->closing = true;
        s->n_live--;
        shutdown(ct->fd, SHUT_RDWR);
    }
}

/* Makes room in worker: while it has more live connections than evict_at, closes the one that has waited
 * longest for a request head (never keep, the newcomer). Under conns_lock. */
static void conns_evict_locked(struct svc_server *s, const struct MHD_Daemon *worker, const struct conn_track *keep)
{
    if (s->n_live <= s->evict_at)
        return; /* no worker can be past its mark: skip the walk */
    int live = 0;
    for (struct conn_track *c = s->conns; c; c = c->next)
        live += c->worker == worker && !c->closing;
    while (live > s->evict_at) {
        struct conn_track *victim = NULL;
        long long oldest = 0;
        for (struct conn_track *c = s->conns; c; c = c->next) {
            if (c == keep || c->worker != worker || c->closing || __atomic_load_n(&c->in_request, __ATOMIC_ACQUIRE))
                continue;
            long long since = __atomic_load_n(&c->head_since, __ATOMIC_RELAXED);
            if (!victim || since < oldest)
                victim = c, oldest = since;
        }
        if (!victim)
            return; /* every other connection is being served: libmicrohttpd's own limit applies */
        conn_close_locked(s, victim);
        s->n_evicted++;
        live--;
    }
}

static void conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct svc_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *d = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
        struct conn_track *ct = fd && d ? calloc(1, sizeof *ct) : NULL;
        *socket_context = ct;
        if (!ct)
            return; /* untracked: only libmicrohttpd's own timeout applies to it */
        ct->fd = fd->connect_fd;
        ct->worker = d->daemon;
        ct->head_since = now_ms();
        pthread_mutex_lock(&s->conns_lock);
        ct->next = s->conns;
        if (s->conns)
            s->conns->prev = ct;
        s->conns = ct;
        s->n_live++;
        conns_evict_locked(s, ct->worker, ct);
        pthread_mutex_unlock(&s->conns_lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_track *ct = *socket_context;
        if (!ct)
            return;
        pthread_mutex_lock(&s->conns_lock);
        if (!ct->closing)
            s->n_live--;
        if (ct->prev)
            ct->prev->next = ct->next;
        else
            s->conns = ct->next;
        if (ct->next)
            ct->next->prev = ct->prev;
        pthread_mutex_unlock(&s->conns_lock);
        free(ct);
        *socket_context = NULL;
    }
}

/* The housekeeper: four times a second, shuts down connections whose request head is past the deadline;
 * logs what it and the eviction closed at most every ten seconds. */
static void *housekeeper_main(void *arg)
{
    struct svc_server *s = arg;
    long long deadline = (long long)s->cfg->head_timeout_s * 1000, last_log = now_ms();
    long long logged_timed_out = 0, logged_evicted = 0;
    pthread_mutex_lock(&s->conns_lock);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&s->stop_cond, &s->conns_lock, &ts);
        long long now = now_ms();
        for (struct conn_track *c = s->conns; c; c = c->next)
            if (!c->closing && !__atomic_load_n(&c->in_request, __ATOMIC_ACQUIRE) &&
                now - __atomic_load_n(&c->head_since, __ATOMIC_RELAXED) > deadline) {
                conn_close_locked(s, c);
                s->n_timed_out++;
            }
        if (now - last_log >= 10000 && (s->n_timed_out != logged_timed_out || s->n_evicted != logged_evicted)) {
            log_warn("http: closed %lld connections whose request head took over %d s and %lld that waited "
                     "longest for a head near the connection limit (since start)",
                     s->n_timed_out, s->cfg->head_timeout_s, s->n_evicted);
            logged_timed_out = s->n_timed_out, logged_evicted = s->n_evicted;
            last_log = now;
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
    return NULL;
}

/* ---- lifecycle ---- */

static enum err_code bind_listen(struct svc_server *s, struct err *e)
{
    const struct config *c = s->cfg;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int family;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const char *host = c->listen_host;
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        family = sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)c->port);
        len = sizeof *sin;
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        family = sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)c->port);
        len = sizeof *sin6;
    } else {
        return err_set(e, ERR_INVALID, "listen: '%s' is not an IP address", c->listen_host);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, ERR_IO, "listen: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 511) != 0) {
        int err = errno;
        close(fd);
        return err_set(e, ERR_IO, "cannot listen on %s:%d: %s", c->listen_host, c->port, strerror(err));
    }
    getsockname(fd, (struct sockaddr *)&ss, &len);
    s->port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
    s->listen_fd = fd;
    return ERR_OK;
}

enum err_code svc_seal_open(const struct config *cfg, const struct config_tenant *t, struct gis_seal **out,
                            struct err *e)
{
    *out = NULL;
    if (!t->seal[0])
        return ERR_OK;
    if (!strncmp(t->seal, "pkcs11:", 7))
        return gis_seal_open_pkcs11(cfg->data_dir, t->seal_pkcs11_module, t->seal, t->seal_password_file,
                                    t->seal_certificate, t->tsa_url, out, e);
    return gis_seal_open(cfg->data_dir, t->seal, t->seal_password_file, t->tsa_url, out, e);
}

enum err_code svc_server_new(const struct config *cfg, struct svc_server **out, struct err *e)
{
    *out = NULL;
    struct svc_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_INTERNAL, "out of memory");
    s->cfg = cfg;
    s->listen_fd = -1;
    if (svc_auth_routes_check(e) != ERR_OK || gis_rates_interest_load(cfg->interest_rates, e) != ERR_OK) {
        free(s);
        return e->code;
    }
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_mutex_init(&s->jobs_lock, NULL);
    pthread_cond_init(&s->jobs_idle, NULL);
    pthread_cond_init(&s->tasks_done, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    int available = 0;
    struct err first = {0};
    for (int i = 0; i < cfg->n_tenants; i++) {
        struct svc_tenant *t = &s->tenants[i];
        t->cfg = &cfg->tenants[i];
        t->index = i;
        tile_tenant_caches_init(&t->tiles, cfg->data_dir, t->cfg->slug);
        snprintf(t->store_path, sizeof t->store_path, "%s/%s.sqlite", cfg->data_dir, t->cfg->slug);
        pthread_mutex_init(&t->write_lock, NULL);
        t->issue_order = svc_issue_order_new(); /* NULL (out of memory): issues render under the writer */
        s->n_tenants++;
        struct err te = {0};
        if (gis_store_open(t->store_path, GIS_STORE_WRITE, &t->writer, &te) != ERR_OK ||
            svc_modules_migrate(t->cfg, t->writer, &te) != ERR_OK || svc_twin_tenant_opened(cfg, t, &te) != ERR_OK) {
            /* One gmina's store missing or broken must not take the others down. */
            gis_store_close(t->writer);
            t->writer = NULL;
            t->unavailable = true;
            snprintf(t->unavailable_reason, sizeof t->unavailable_reason, "%s", te.msg);
            if (!first.code)
                first = te;
            continue;
        }
        available++;
    }
    if (cfg->n_tenants > 0 && available == 0) { /* a wrong --data, or no `odra demo` yet: one line */
        err_set(e, first.code, "no gmina's store could be opened: %s", first.msg);
        svc_server_free(s);
        return e->code;
    }
    /* the seals, of the gminas being served: without one, documents are issued unsealed (docs/seal.md) */
    for (int i = 0; i < s->n_tenants; i++) {
        struct svc_tenant *t = &s->tenants[i];
        if (t->unavailable)
            continue;
        struct err se = {0};
        if (!t->cfg->seal[0])
            snprintf(t->seal_problem, sizeof t->seal_problem, "no seal is configured");
        else if (svc_seal_open(cfg, t->cfg, &t->seal, &se))
            snprintf(t->seal_problem, sizeof t->seal_problem, "%s", se.msg);
        if (t->seal)
            log_info("gmina %s: electronic seal \"%s\" (%s, PAdES-%s)", t->cfg->slug, gis_seal_subject(t->seal),
                     gis_seal_key_type(t->seal), gis_seal_level(t->seal));
        else
            log_warn("gmina %s: documents are issued WITHOUT an electronic seal: %s", t->cfg->slug, t->seal_problem);
    }
    for (int i = 0; i < s->n_tenants; i++)
        if (s->tenants[i].unavailable)
            log_error("gmina %s (%s) is unavailable, its paths answer 503: %s", s->tenants[i].cfg->slug,
                      s->tenants[i].cfg->name, s->tenants[i].unavailable_reason);
    if (svc_modules_register(e) != ERR_OK) {
        svc_server_free(s);
        return e->code;
    }
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->init && (*m)->init(e) != ERR_OK) {
            svc_server_free(s);
            return e->code;
        }
    svc_map_assets_load();
    if (svc_auth_open(cfg, e) != ERR_OK || bind_listen(s, e) != ERR_OK) {
        svc_server_free(s);
        return e->code;
    }
    *out = s;
    return ERR_OK;
}

enum err_code svc_server_start(struct svc_server *s, struct err *e)
{
    const struct config *c = s->cfg;
    access_log_mode = c->access_log;
    /* libmicrohttpd splits max_connections evenly over its worker threads, each refusing connections past
     * its share; keep an eighth of each share (at least one) free for clients that send their head at once. */
    int threads = c->threads > 0 ? c->threads : 1, share = c->max_connections / threads;
    int reserve = share / 8 > 1 ? share / 8 : 1;
    s->evict_at = share - reserve > 0 ? share - reserve : 1;
    if (pthread_create(&s->housekeeper, NULL, housekeeper_main, s) != 0)
        return err_set(e, ERR_INTERNAL, "cannot start the connection housekeeper thread");
    s->housekeeper_running = true;
    if (jobs_start(s, e) != ERR_OK)
        return e->code;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
        access_handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)c->max_connections_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->connection_memory,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logged, NULL, MHD_OPTION_END);
    if (!s->daemon)
        return err_set(e, ERR_IO, "cannot start the HTTP daemon on %s:%d", c->listen_host, s->port);
    return ERR_OK;
}

int svc_server_port(const struct svc_server *s)
{
    return s->port;
}

void svc_server_free(struct svc_server *s)
{
    if (!s)
        return;
    if (s->housekeeper_running) {
        pthread_mutex_lock(&s->conns_lock);
        s->stopping = true;
        pthread_cond_signal(&s->stop_cond);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->housekeeper, NULL);
    }
    jobs_stop(s); /* the daemon must find no connection suspended */
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->fini)
            (*m)->fini();
    svc_auth_close();
    for (int i = 0; i < s->n_tenants; i++) {
        gis_store_close(s->tenants[i].writer);
        pthread_mutex_destroy(&s->tenants[i].write_lock);
        svc_issue_order_free(s->tenants[i].issue_order);
        gis_geocoder_free(s->tenants[i].geocoder);
        gis_seal_free(s->tenants[i].seal);
        tile_tenant_caches_close(&s->tenants[i].tiles);
    }
    pthread_cond_destroy(&s->stop_cond);
    pthread_mutex_destroy(&s->conns_lock);
    pthread_cond_destroy(&s->jobs_idle);
    pthread_cond_destroy(&s->tasks_done);
    pthread_mutex_destroy(&s->jobs_lock);
    /* The main thread may hold readers too (tests, CLI); release them with the server. */
    pthread_once(&reader_once, reader_key_init);
    struct thread_readers *r = pthread_getspecific(reader_key);
    if (r) {
        readers_free(r);
        pthread_setspecific(reader_key, NULL);
    }
    free(s);
}

const struct config *svc_server_config(const struct svc_server *s)
{
    return s->cfg;
}

int svc_server_tenant_count(const struct svc_server *s)
{
    return s->n_tenants;
}

struct svc_tenant *svc_server_tenant(struct svc_server *s, int i)
{
    return i >= 0 && i < s->n_tenants ? &s->tenants[i] : NULL;
}

struct svc_tenant *svc_server_tenant_find(struct svc_server *s, const char *slug)
{
    for (int i = 0; i < s->n_tenants; i++)
        if (!strcmp(s->tenants[i].cfg->slug, slug))
            return &s->tenants[i];
    return NULL;
}
