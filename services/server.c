/* The libmicrohttpd daemon: one access handler, route matching, request arenas, limits and logging. */
#include "services/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gis/geocode.h"
#include "services/module.h"
#include "services/routes.h"
#include "util/log.h"
#include "util/text.h"

struct svc_server {
    const struct config *cfg;
    struct svc_tenant tenants[CONFIG_MAX_TENANTS];
    int n_tenants;
    int listen_fd;
    int port;
    struct MHD_Daemon *daemon;
};

/* Per-request state, created on the first access-handler call and freed on completion. */
struct req_state {
    struct arena *arena;
    double start_ms;
    char *body;
    size_t body_len, body_cap;
    size_t discarded; /* bytes of an over-cap chunked body thrown away */
    int too_large;
    int status;
    size_t bytes;
    char *method, *path;
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
    if (!r->store[t->index] && gis_store_open(t->store_path, GIS_STORE_READ, &r->store[t->index], e) != ERR_OK)
        return NULL;
    return r->store[t->index];
}

/* ---- helpers for handlers (services/http.h) ---- */

const char *http_query(struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *req, const char *name)
{
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

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct req_state *rs, struct http_resp *resp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(resp->len, (void *)resp->body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", resp->content_type ? resp->content_type : "application/json");
    MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "ETag, Content-Crs, Link");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->hname[i], resp->hvalue[i]);
    rs->status = resp->status;
    rs->bytes = resp->len;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The one place an error becomes an HTTP answer: {"code", "description"} with the mapped status. */
static void error_resp(struct arena *a, struct http_resp *resp, const struct err *e)
{
    json_t *j = json_object();
    json_object_set_new(j, "code", json_string(err_name(e->code)));
    /* json_string rejects invalid UTF-8; messages echo user input, so fall back to a safe text. */
    json_t *desc = json_string(e->msg[0] ? e->msg : err_name(e->code));
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
    http_resp_body(resp, err_http_status(e->code), "application/json", body ? body : "{}", body ? strlen(body) : 2);
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
    return 0;
}

struct query_check {
    struct err *e;
    int count;
};

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct query_check *qc = cls;
    qc->count++;
    if (qc->count > 100) {
        err_set(qc->e, ERR_INVALID, "too many query parameters");
        return MHD_NO;
    }
    if (!text_utf8_valid(key, strlen(key)) || strlen(key) > 64) {
        err_set(qc->e, ERR_INVALID, "a query parameter name is not valid UTF-8 or is too long");
        return MHD_NO;
    }
    if (value && (!text_utf8_valid(value, strlen(value)) || strlen(value) > 65536)) {
        err_param(qc->e, key, "parameter '%s' is not valid UTF-8 text or is too long", key);
        return MHD_NO;
    }
    return MHD_YES;
}

static enum err_code dispatch(struct svc_server *s, struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!text_utf8_valid(req->path, strlen(req->path)))
        return err_set(e, ERR_INVALID, "the path is not valid UTF-8");
    struct query_check qc = {.e = e};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_arg, &qc);
    if (e->code)
        return e->code;
    if (!strcmp(req->method, "OPTIONS")) {
        http_resp_body(resp, 204, "text/plain", "", 0);
        http_resp_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        http_resp_header(resp, "Access-Control-Allow-Headers", "Content-Type, Authorization, If-None-Match");
        http_resp_header(resp, "Access-Control-Max-Age", "86400");
        return ERR_OK;
    }
    struct route_match m = {.req = req};
    if (split_path(req->arena, req->path, &m) != 0)
        return err_set(e, ERR_NOT_FOUND, "no such path");
    svc_server_each_route(route_consider, &m);
    if (!m.path_matched)
        return err_set(e, ERR_NOT_FOUND, "no such path: %s", req->path);
    if (!m.route) {
        http_resp_header(resp, "Allow", arena_strdup(req->arena, m.allow));
        return err_set(e, ERR_METHOD, "method %s is not allowed here; allowed: %s", req->method, m.allow);
    }
    const char *slug = http_capture(req, "t");
    if (slug) {
        req->tenant = svc_server_tenant_find(s, slug);
        if (!req->tenant)
            return err_set(e, ERR_NOT_FOUND, "unknown gmina '%s'", slug);
    }
    const struct svc_module *mod = svc_module_of_route(m.route);
    if (mod && (!req->tenant || !svc_module_enabled(req->tenant->cfg, mod)))
        return err_set(e, ERR_NOT_FOUND, "the e-service '%s' is not enabled in gmina %s", mod->name,
                       req->tenant ? req->tenant->cfg->name : "?");
    resp->status = 200;
    return m.route->handler(req, resp, e);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                      const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct svc_server *s = cls;
    struct req_state *rs = *con_cls;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs)
            return MHD_NO;
        rs->arena = arena_new(16384);
        if (!rs->arena) {
            free(rs);
            return MHD_NO;
        }
        rs->start_ms = log_now_ms();
        rs->method = arena_strdup(rs->arena, method);
        rs->path = arena_strdup(rs->arena, url);
        *con_cls = rs;
        /* Refuse an announced oversized body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        long n;
        if (cl && (!text_parse_long(cl, 0, 1L << 40, &n) || (size_t)n > s->cfg->max_body_bytes))
            rs->too_large = 1;
        if (!rs->too_large)
            return MHD_YES;
    }
    if (*upload_size) {
        if (!rs->too_large && rs->body_len + *upload_size > s->cfg->max_body_bytes)
            rs->too_large = 1;
        if (rs->too_large) {
            /* A chunked body over the cap: MHD 0.9.75 cannot answer before the body ends, so discard up
             * to a bound and answer 413 at its end; past the bound, close the connection. */
            rs->discarded += *upload_size;
            *upload_size = 0;
            return rs->discarded > 4 * s->cfg->max_body_bytes ? MHD_NO : MHD_YES;
        }
        if (rs->body_len + *upload_size + 1 > rs->body_cap) {
            size_t cap = (rs->body_len + *upload_size + 1) * 2;
            if (cap > s->cfg->max_body_bytes + 1)
                cap = s->cfg->max_body_bytes + 1;
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
    if (rs->too_large) {
        /* Announced too large: answered on the first call, before any of the body is read. */
        err_set(&e, ERR_TOO_LARGE, "request body larger than %zu bytes", s->cfg->max_body_bytes);
        error_resp(rs->arena, &resp, &e);
        http_resp_header(&resp, "Connection", "close");
        return send_resp(conn, rs, &resp);
    }
    struct http_req req = {
        .arena = rs->arena,
        .method = rs->method,
        .path = rs->path,
        .conn = conn,
        .server = s,
        .body = rs->body,
        .body_len = rs->body_len,
    };
    enum err_code rc = dispatch(s, &req, &resp, &e);
    if (rc != ERR_OK) {
        if (e.code == ERR_OK)
            err_set(&e, rc, "%s", err_name(rc));
        if (err_http_status(e.code) >= 500)
            log_error("%s %s: %s", rs->method, rs->path, e.msg);
        int nh = resp.nheaders;
        const char *hn[HTTP_MAX_HEADERS], *hv[HTTP_MAX_HEADERS];
        memcpy(hn, resp.hname, sizeof hn);
        memcpy(hv, resp.hvalue, sizeof hv);
        error_resp(rs->arena, &resp, &e);
        for (int i = 0; i < nh; i++)
            http_resp_header(&resp, hn[i], hv[i]);
    }
    return send_resp(conn, rs, &resp);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct req_state *rs = *con_cls;
    if (!rs)
        return;
    double ms = log_now_ms() - rs->start_ms;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || rs->status)
        log_info("%s %s %d %zuB %.1fms", rs->method, rs->path, rs->status, rs->bytes, ms);
    else
        log_info("%s %s aborted (%d) %.1fms", rs->method, rs->path, (int)toe, ms);
    arena_free(rs->arena);
    free(rs);
    *con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    log_warn("http: %s", line);
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

enum err_code svc_server_new(const struct config *cfg, struct svc_server **out, struct err *e)
{
    *out = NULL;
    struct svc_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_INTERNAL, "out of memory");
    s->cfg = cfg;
    s->listen_fd = -1;
    for (int i = 0; i < cfg->n_tenants; i++) {
        struct svc_tenant *t = &s->tenants[i];
        t->cfg = &cfg->tenants[i];
        t->index = i;
        snprintf(t->store_path, sizeof t->store_path, "%s/%s.sqlite", cfg->data_dir, t->cfg->slug);
        pthread_mutex_init(&t->write_lock, NULL);
        s->n_tenants++;
        if (gis_store_open(t->store_path, GIS_STORE_WRITE, &t->writer, e) != ERR_OK ||
            svc_modules_migrate(t->cfg, t->writer, e) != ERR_OK) {
            svc_server_free(s);
            return e->code;
        }
    }
    if (svc_modules_register_tilesets(e) != ERR_OK) {
        svc_server_free(s);
        return e->code;
    }
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->init && (*m)->init(e) != ERR_OK) {
            svc_server_free(s);
            return e->code;
        }
    if (bind_listen(s, e) != ERR_OK) {
        svc_server_free(s);
        return e->code;
    }
    *out = s;
    return ERR_OK;
}

enum err_code svc_server_start(struct svc_server *s, struct err *e)
{
    const struct config *c = s->cfg;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, access_handler, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)c->max_connections_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->connection_memory,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL, MHD_OPTION_END);
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
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->fini)
            (*m)->fini();
    for (int i = 0; i < s->n_tenants; i++) {
        gis_store_close(s->tenants[i].writer);
        pthread_mutex_destroy(&s->tenants[i].write_lock);
        gis_geocoder_free(s->tenants[i].geocoder);
    }
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
