/* Twin sites: the mutual-TLS listener for the partner's frames, the shipper of this site's frames, the
 * synchronous acknowledgement of submissions, takeover and fencing (see services/twin.h, docs/twins.md). */
#include "services/twin.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gis/backup.h"
#include "gis/twin.h"
#include "gis/twin_identity.h"
#include "services/auth.h"
#include "services/twin_client.h"
#include "util/buf.h"
#include "util/cpu.h"
#include "util/log.h"

#define TWIN_BATCH_FRAMES 256
#define TWIN_BODY_MAX     (GIS_TWIN_MAX_FRAME + (8u << 20))

/* What this process knows of each tenant's twin, by tenant index. */
struct twin_tenant {
    long long acked;     /* the highest frame id the twin acknowledged (applied and committed) */
    long long persisted; /* acked as last written to the store (trimming its outbox) */
    bool synced;         /* acked was learnt from the twin's status since the last failure */
    bool reachable;      /* the last exchange with the twin succeeded */
    bool solo;           /* promoted here, with no twin confirming yet: submissions go to the outbox */
    long long fails;     /* failed exchanges since the last that succeeded */
    long long attempts;  /* exchanges begun so far */
    long long failed_at; /* the attempt that failed last: a waiting submission stops waiting when one that
                            began after it started (so shipped its frame, or tried to) fails */
    char error[256];
};

static struct {
    struct svc_server *srv;
    const struct config *cfg;
    struct twin_tenant tenants[CONFIG_MAX_TENANTS];
    pthread_mutex_t lock; /* guards tenants[] */
    pthread_cond_t acked_cond, work_cond;
    pthread_t shipper;
    bool running, stopping;
    long long kicks; /* submissions waiting: the shipper goes round again instead of sleeping */
    struct MHD_Daemon *daemon;
    char *tls_cert, *tls_key, *tls_ca;
} tw = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .acked_cond = PTHREAD_COND_INITIALIZER, .work_cond = PTHREAD_COND_INITIALIZER};

/* <data>/twin.lock: held shared by every server of the data directory while it runs (released by the kernel
 * when it dies, kill -9 included); `odra twin rejoin` takes it exclusively, so it refuses to replace a store
 * under a running server. */
static int serve_lock_fd = -1;

static void serve_lock_path(const struct config *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s/twin.lock", c->data_dir);
}

enum err_code svc_twin_serve_lock(const struct config *c, struct err *e)
{
    char path[1100];
    serve_lock_path(c, path, sizeof path);
    if (serve_lock_fd < 0 && (serve_lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(serve_lock_fd, LOCK_SH | LOCK_NB) != 0)
        return err_set(e, ERR_UNAVAILABLE, "%s: `odra twin rejoin` is replacing a store of this data directory", path);
    return ERR_OK;
}

enum err_code svc_twin_rejoin_lock(const struct config *c, int *fd, struct err *e)
{
    char path[1100];
    serve_lock_path(c, path, sizeof path);
    if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return err_set(e, ERR_CONFLICT,
                       "an odra server is running on %s (it holds %s): stop it first, rejoin replaces its store",
                       c->data_dir, path);
    }
    return ERR_OK;
}

static bool twin_configured(const struct config *c)
{
    return c->twin.peer[0] || c->twin.listen_host[0];
}

static char *read_text(const struct config *c, const char *p, struct err *e)
{
    char path[1024];
    twin_client_path(c, p, path, sizeof path);
    struct buf b = {0};
    if (!buf_read_file(&b, path) && !b.failed) {
        buf_free(&b);
        err_set(e, ERR_IO, "[twin] %s: %s", path, strerror(errno));
        return NULL;
    }
    if (b.failed || !b.len) {
        buf_free(&b);
        err_set(e, ERR_IO, "[twin] %s: empty or unreadable", path);
        return NULL;
    }
    return b.data;
}

bool svc_tenant_twin_hidden(const struct svc_tenant *t)
{
    return __atomic_load_n(&t->twin_hidden, __ATOMIC_ACQUIRE);
}

enum err_code svc_twin_tenant_opened(const struct config *cfg, struct svc_tenant *t, struct err *e)
{
    struct gis_twin_status st;
    if (gis_twin_status_read(t->writer, &st, e))
        return e->code;
    if (st.role == GIS_TWIN_NONE)
        for (int i = 0; i < cfg->twin.n_primary; i++)
            if (!strcmp(cfg->twin.primary[i], t->cfg->slug)) {
                if (gis_twin_make_primary(t->writer, 1, e))
                    return e->code;
                st.role = GIS_TWIN_PRIMARY;
            }
    __atomic_store_n(&t->twin_hidden, st.role == GIS_TWIN_REPLICA, __ATOMIC_RELEASE);
    if (st.role != GIS_TWIN_NONE)
        log_info("gmina %s: twin %s, term %lld, last frame %lld", t->cfg->slug, gis_twin_role_name(st.role), st.term,
                 st.last_id);
    return ERR_OK;
}

static json_t *fetch_json(const struct twin_fetch *f)
{
    return f->body.len ? json_loadb(f->body.data, f->body.len, 0, NULL) : NULL;
}

/* What the listener and the applier know of each replica's frames, by tenant index. The primary counts a
 * frame acknowledged once it is received: applied, or durably in the inbox. */
static struct {
    pthread_mutex_t lock, apply_lock; /* apply_lock: one inbox frame applied at a time */
    pthread_cond_t cond;
    long long received[CONFIG_MAX_TENANTS], applied[CONFIG_MAX_TENANTS];
    bool loaded[CONFIG_MAX_TENANTS];
    char error[CONFIG_MAX_TENANTS][256];          /* the applier's last failure */
    struct gis_store *reader[CONFIG_MAX_TENANTS]; /* the listener's, used under tenant_lock */
    /* one request of a tenant at a time on the listener (its frames stay in order, its reader has one user);
     * the listener runs a thread per connection, so one tenant's slow apply does not hold up another's */
    pthread_mutex_t tenant_lock[CONFIG_MAX_TENANTS];
    pthread_t thread;
    bool running, stopping;
} ib = {.lock = PTHREAD_MUTEX_INITIALIZER, .apply_lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* ---- the identity store's rows (gis/twin_identity.h) ---- */

/* What of the identity store each gmina's store holds already, by tenant index. */
static struct {
    pthread_mutex_t lock; /* one copy at a time: the marks only move forward */
    long long version[CONFIG_MAX_TENANTS], audit[CONFIG_MAX_TENANTS];
    bool done[CONFIG_MAX_TENANTS]; /* the accounts were compared once since start (or since a takeover) */
} im = {.lock = PTHREAD_MUTEX_INITIALIZER};

static enum err_code ident_write(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_twin_ident_write(w, ctx, e);
}

/* Copies what changed in the identity store for t into t's store, as a write of its own (a frame like any
 * other); a twin primary's only. Cheap when nothing changed: two counters read. */
static void ident_mirror(struct svc_tenant *t)
{
    struct gis_identity *id = svc_auth_identity();
    if (!id || !t->writer || gis_twin_store_role(t->writer) != GIS_TWIN_PRIMARY)
        return;
    int i = t->index;
    pthread_mutex_lock(&im.lock);
    long long version, top;
    gis_twin_ident_marks(id, &version, &top);
    bool accounts = !im.done[i] || version != im.version[i];
    if (accounts || top > im.audit[i]) {
        struct gis_twin_ident *x = NULL;
        struct err e = {0};
        if (!gis_twin_ident_read(id, t->cfg->slug, accounts, im.audit[i], &x, &e) &&
            (gis_twin_ident_empty(x) || !svc_tenant_write(t, ident_write, x, &e))) {
            if (accounts)
                im.version[i] = version, im.done[i] = true;
            im.audit[i] = gis_twin_ident_audit_top(x);
        } else {
            log_warn("gmina %s: identity rows not copied for the twin: %s", t->cfg->slug, e.msg);
        }
        gis_twin_ident_free(x);
    }
    pthread_mutex_unlock(&im.lock);
}

/* ---- the shipper ---- */

static void tenant_note(int i, bool reachable, const char *error)
{
    pthread_mutex_lock(&tw.lock);
    tw.tenants[i].reachable = reachable;
    if (!reachable)
        tw.tenants[i].synced = false, tw.tenants[i].fails++, tw.tenants[i].failed_at = tw.tenants[i].attempts;
    snprintf(tw.tenants[i].error, sizeof tw.tenants[i].error, "%s", error ? error : "");
    pthread_cond_broadcast(&tw.acked_cond);
    pthread_mutex_unlock(&tw.lock);
}

/* An exchange with the twin about tenant i begins (before its outbox is read). */
static void tenant_attempt(int i)
{
    pthread_mutex_lock(&tw.lock);
    tw.tenants[i].attempts++;
    pthread_mutex_unlock(&tw.lock);
}

static void tenant_acked(int i, long long id)
{
    pthread_mutex_lock(&tw.lock);
    if (id > tw.tenants[i].acked)
        tw.tenants[i].acked = id;
    tw.tenants[i].reachable = tw.tenants[i].synced = true;
    tw.tenants[i].fails = 0;
    tw.tenants[i].solo = false;
    tw.tenants[i].error[0] = 0;
    pthread_cond_broadcast(&tw.acked_cond);
    pthread_mutex_unlock(&tw.lock);
}

/* The store learnt of a newer term at its twin: it is a stale primary, fenced from now on. */
static void tenant_fence(struct svc_tenant *t, long long term)
{
    struct err e = {0};
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_twin_fence(t->writer, term, &e);
    pthread_mutex_unlock(&t->write_lock);
    if (rc)
        log_error("gmina %s: cannot fence the stale primary: %s", t->cfg->slug, e.msg);
    else
        log_warn("gmina %s: its twin was promoted (term %lld): this store is fenced, run `odra twin rejoin`",
                 t->cfg->slug, term);
    tenant_note(t->index, false, "fenced: the twin was promoted");
}

/* Learns the twin's state of t: its applied frame (our acknowledged), or that it is a newer primary. */
static void ship_sync(CURL *h, struct svc_tenant *t, long long term)
{
    char url[512];
    snprintf(url, sizeof url, "%s/twin/%s/status", tw.cfg->twin.peer, t->cfg->slug);
    struct twin_fetch f = {0};
    struct err e = {0};
    tenant_attempt(t->index);
    if (twin_client_exchange(tw.cfg, h, url, NULL, 0, 3000, &f, &e) || f.status != 200) {
        if (!e.code)
            err_set(&e, ERR_UNAVAILABLE, "twin status: HTTP %ld", f.status);
        tenant_note(t->index, false, e.msg);
        buf_free(&f.body);
        return;
    }
    json_t *j = fetch_json(&f);
    buf_free(&f.body);
    const char *role = json_string_value(json_object_get(j, "role"));
    long long pterm = json_integer_value(json_object_get(j, "term"));
    long long applied = json_integer_value(json_object_get(j, json_object_get(j, "received") ? "received" : "applied"));
    if (role && pterm > term && (!strcmp(role, "primary") || !strcmp(role, "replica")))
        tenant_fence(t, pterm);
    else if (role && !strcmp(role, "replica"))
        tenant_acked(t->index, applied);
    else
        tenant_note(t->index, false, role ? "the twin holds no replica of this gmina" : "bad twin status");
    json_decref(j);
}

static enum err_code frame_append(const struct gis_twin_frame *f, void *ctx, struct err *e)
{
    (void)e;
    struct buf *b = ctx;
    gis_twin_frame_encode(f, b);
    return b->len > (8u << 20) ? ERR_TOO_LARGE : ERR_OK; /* a batch of about 8 MiB at most */
}

/* Sends t's frames above acked; returns whether it sent any. */
static bool ship_frames(CURL *h, struct svc_tenant *t, struct gis_store *r, long long acked, long long term)
{
    struct buf b = {0};
    struct err e = {0};
    tenant_attempt(t->index);
    enum err_code rc = gis_twin_outbox_each(r, t->cfg->slug, acked, TWIN_BATCH_FRAMES, frame_append, &b, &e);
    if ((rc && rc != ERR_TOO_LARGE) || b.failed || !b.len) {
        buf_free(&b);
        return false;
    }
    char url[512];
    snprintf(url, sizeof url, "%s/twin/%s/frames", tw.cfg->twin.peer, t->cfg->slug);
    struct twin_fetch f = {0};
    struct err he = {0};
    rc = twin_client_exchange(tw.cfg, h, url, b.data, b.len, 10000, &f, &he);
    buf_free(&b);
    json_t *j = rc ? NULL : fetch_json(&f);
    buf_free(&f.body);
    /* received: applied, or durably in the twin's inbox (a large frame is applied behind) */
    long long applied = json_integer_value(json_object_get(j, json_object_get(j, "received") ? "received" : "applied"));
    long long pterm = json_integer_value(json_object_get(j, "term"));
    if (!rc && f.status == 200)
        tenant_acked(t->index, applied);
    else if (!rc && f.status == 409 && pterm > term)
        tenant_fence(t, pterm);
    else {
        const char *d = json_string_value(json_object_get(j, "description"));
        char msg[300];
        snprintf(msg, sizeof msg, "%s", rc ? he.msg : d ? d : "the twin refused the frames");
        tenant_note(t->index, false, msg);
    }
    json_decref(j);
    return !rc && f.status == 200;
}

/* Writes the acknowledged id into the store (trimming its outbox) at most once a second. */
static void ship_persist(struct svc_tenant *t, long long acked, time_t *last)
{
    time_t now = time(NULL);
    if (acked <= tw.tenants[t->index].persisted || now == *last)
        return;
    struct err e = {0};
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_twin_ack(t->writer, acked, &e);
    pthread_mutex_unlock(&t->write_lock);
    if (!rc) {
        pthread_mutex_lock(&tw.lock);
        tw.tenants[t->index].persisted = acked;
        pthread_mutex_unlock(&tw.lock);
        *last = now;
    }
}

/* One round over the primaries: returns whether anything is left to send. */
static bool ship_round(CURL *h, time_t *persisted_at)
{
    bool more = false;
    for (int i = 0; i < svc_server_tenant_count(tw.srv); i++) {
        struct svc_tenant *t = svc_server_tenant(tw.srv, i);
        if (t->unavailable || !t->writer)
            continue;
        struct gis_twin_status st;
        struct err e = {0};
        struct gis_store *r = svc_tenant_reader(t, &e);
        if (!r || gis_twin_status_read(r, &st, &e) || st.role != GIS_TWIN_PRIMARY)
            continue;
        ident_mirror(t); /* accounts changed by `odra user add`, audit rows of staff requests */
        pthread_mutex_lock(&tw.lock);
        bool synced = tw.tenants[i].synced;
        long long acked = tw.tenants[i].acked;
        tw.tenants[i].solo = st.solo; /* the store says, across restarts: promoted, no twin since */
        pthread_mutex_unlock(&tw.lock);
        if (!synced) {
            ship_sync(h, t, st.term);
            pthread_mutex_lock(&tw.lock);
            more |= tw.tenants[i].synced && st.last_id > tw.tenants[i].acked; /* ship at once, not in 200 ms */
            pthread_mutex_unlock(&tw.lock);
            continue;
        }
        if (st.last_id > acked && ship_frames(h, t, r, acked, st.term))
            more = true;
        pthread_mutex_lock(&tw.lock);
        acked = tw.tenants[i].acked;
        pthread_mutex_unlock(&tw.lock);
        if (st.solo && acked > st.acked)
            *persisted_at = 0; /* the first acknowledgement after a takeover ends `solo` at once */
        ship_persist(t, acked, persisted_at);
    }
    return more;
}

static void *shipper_main(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    time_t persisted_at = 0;
    pthread_mutex_lock(&tw.lock);
    while (!tw.stopping) {
        long long kicks = tw.kicks;
        pthread_mutex_unlock(&tw.lock);
        bool more = h && ship_round(h, &persisted_at);
        pthread_mutex_lock(&tw.lock);
        if (more || tw.stopping || kicks != tw.kicks)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&tw.work_cond, &tw.lock, &ts);
    }
    pthread_mutex_unlock(&tw.lock);
    if (h)
        curl_easy_cleanup(h);
    return NULL;
}

/* ---- submissions ---- */

static bool may_write(const struct http_req *req)
{
    return req->tenant && req->tenant->writer && strcmp(req->method, "GET") && strcmp(req->method, "HEAD") &&
           tw.running && tw.cfg->twin.peer[0];
}

enum err_code svc_twin_before_write(struct http_req *req, struct err *e)
{
    if (req->tenant && req->tenant->writer && gis_twin_store_role(req->tenant->writer) == GIS_TWIN_FENCED &&
        strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
        return err_set(e, ERR_UNAVAILABLE,
                       "Ten serwer nie przyjmuje już zgłoszeń gminy %s: jej dane przejął ośrodek zapasowy "
                       "(serwer jest odcięty, \"fenced\"). Prosimy skorzystać z adresu podanego przez urząd.",
                       req->tenant->cfg->name);
    if (!may_write(req) || gis_twin_store_last_id(req->tenant->writer) == 0)
        return ERR_OK;
    int i = req->tenant->index;
    pthread_mutex_lock(&tw.lock);
    /* known unreachable: an exchange failed since the last that succeeded (not merely none yet) */
    bool refuse = !tw.tenants[i].reachable && tw.tenants[i].fails > 0 && !tw.tenants[i].solo &&
                  !config_twin_outbox_mode(&tw.cfg->twin, req->tenant->cfg->slug);
    pthread_mutex_unlock(&tw.lock);
    if (refuse)
        return err_set(e, ERR_UNAVAILABLE,
                       "Przyjmowanie zgłoszeń w gminie %s jest chwilowo wstrzymane: brak połączenia z ośrodkiem "
                       "zapasowym, więc zgłoszenie nie mogłoby zostać bezpiecznie zapisane w dwóch miejscach. "
                       "Prosimy spróbować ponownie za kilka minut.",
                       req->tenant->cfg->name);
    return ERR_OK;
}

enum err_code svc_twin_after_write(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!may_write(req))
        return ERR_OK;
    ident_mirror(req->tenant); /* the request's audit rows are confirmed with it */
    long long target = gis_twin_store_last_id(req->tenant->writer);
    int i = req->tenant->index;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = ts.tv_nsec + (long long)tw.cfg->twin.ack_timeout_ms * 1000000LL;
    ts.tv_sec += ns / 1000000000LL, ts.tv_nsec = ns % 1000000000LL;
    cpu_yield(); /* the twin's acknowledgement takes a round trip: another job may compute meanwhile */
    pthread_mutex_lock(&tw.lock);
    if (tw.tenants[i].acked < target) {
        tw.kicks++;
        pthread_cond_signal(&tw.work_cond);
    }
    int wrc = 0;
    /* A failed exchange ends the wait: the shipper retries, the answer says what happened. Only one that began
     * after the wait did: one in flight may have read the outbox before this write's frame was in it, and
     * its failure (or a success that resets the count, as a status exchange's does) says nothing of it. */
    long long begun = tw.tenants[i].attempts;
    while (tw.tenants[i].acked < target && wrc == 0 && tw.tenants[i].failed_at <= begun)
        wrc = pthread_cond_timedwait(&tw.acked_cond, &tw.lock, &ts);
    bool confirmed = tw.tenants[i].acked >= target;
    bool outbox = tw.tenants[i].solo || config_twin_outbox_mode(&tw.cfg->twin, req->tenant->cfg->slug);
    pthread_mutex_unlock(&tw.lock);
    if (confirmed)
        return ERR_OK;
    if (outbox) {
        http_resp_header(resp, "Odra-Replication", "pending");
        return ERR_OK;
    }
    return err_set(e, ERR_UNAVAILABLE,
                   "Ośrodek zapasowy gminy %s nie potwierdził zapisu w wyznaczonym czasie, więc zgłoszenie nie "
                   "zostało przyjęte jako bezpiecznie zapisane. Mogło ono jednak zostać zarejestrowane: przed "
                   "ponownym wysłaniem prosimy sprawdzić swoje sprawy lub skontaktować się z urzędem.",
                   req->tenant->cfg->name);
}

json_t *svc_twin_health(const struct svc_tenant *t)
{
    if (!t->writer || !tw.cfg || !twin_configured(tw.cfg))
        return NULL;
    struct gis_twin_status st;
    struct err e = {0};
    struct gis_store *r = svc_tenant_reader((struct svc_tenant *)t, &e);
    if (!r && svc_tenant_twin_hidden(t)) {
        pthread_mutex_lock(&ib.lock);
        json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "role", "replica", "received", (json_int_t)ib.received[t->index],
                              "applied", (json_int_t)ib.applied[t->index], "inbox_error",
                              ib.error[t->index][0] ? json_string(ib.error[t->index]) : json_null());
        pthread_mutex_unlock(&ib.lock);
        return j;
    }
    if (!r || gis_twin_status_read(r, &st, &e) || st.role == GIS_TWIN_NONE)
        return NULL;
    pthread_mutex_lock(&tw.lock);
    const struct twin_tenant *x = &tw.tenants[t->index];
    long long acked = x->acked > st.acked ? x->acked : st.acked;
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:o}", "role", gis_twin_role_name(st.role), "term",
                          (json_int_t)st.term, "last_frame", (json_int_t)st.last_id, "acknowledged", (json_int_t)acked,
                          "not_replicated", (json_int_t)(st.last_id > acked ? st.last_id - acked : 0), "twin_reachable",
                          x->reachable, "mode",
                          x->solo || config_twin_outbox_mode(&tw.cfg->twin, t->cfg->slug) ? "outbox" : "refuse",
                          "error", x->error[0] ? json_string(x->error) : json_null());
    pthread_mutex_unlock(&tw.lock);
    return j;
}

/* ---- the listener (libmicrohttpd with GnuTLS; client certificates required) ---- */

struct twin_req {
    struct buf body;
    bool too_large;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct MHD_Response *r = MHD_create_response_from_buffer(s ? strlen(s) : 0, s ? s : "", MHD_RESPMEM_MUST_COPY);
    free(s);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result answer_err(struct MHD_Connection *conn, const struct err *e, long long term, long long applied)
{
    static const unsigned status[] = {
        [ERR_INVALID] = 400,   [ERR_FORBIDDEN] = 403,     [ERR_NOT_FOUND] = 404,  [ERR_CONFLICT] = 409,
        [ERR_TOO_LARGE] = 413, [ERR_UNPROCESSABLE] = 422, [ERR_UNAVAILABLE] = 503};
    unsigned st = (unsigned)e->code < sizeof status / sizeof status[0] && status[e->code] ? status[e->code] : 500;
    return answer(conn, st,
                  json_pack("{s:s, s:s, s:I, s:I}", "code", err_name(e->code), "description", e->msg, "term",
                            (json_int_t)term, "applied", (json_int_t)applied));
}

/* Whether the peer showed a certificate that our CA signed. */
static bool client_verified(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    unsigned status = 0;
    unsigned n = 0;
    if (!gnutls_certificate_get_peers(ci->tls_session, &n) || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(ci->tls_session, &status) == 0 && status == 0;
}

/* ---- the twin's inbox: large frames received durably, applied behind (docs/twins.md, "Bulk frames") ---- */

#define TWIN_LANE_MIN (1u << 20) /* a changeset this large is received into the inbox and applied behind */

static void inbox_path(const struct svc_tenant *t, long long id, char *out, size_t cap)
{
    if (id)
        snprintf(out, cap, "%s/twin-inbox/%s/%020lld.frame", tw.cfg->data_dir, t->cfg->slug, id);
    else
        snprintf(out, cap, "%s/twin-inbox/%s", tw.cfg->data_dir, t->cfg->slug);
}

/* The store's twin state read without its writer, which the applier may hold for minutes; the listener's. */
static enum err_code lane_status(struct svc_tenant *t, struct gis_twin_status *st, struct err *e)
{
    memset(st, 0, sizeof *st);
    struct gis_store **r = &ib.reader[t->index];
    if (!*r && gis_store_open(t->store_path, GIS_STORE_READ, r, e))
        return e->code;
    return gis_twin_status_read(*r, st, e);
}

/* Learns, once, what of t's inbox is there: frames above the applied id, in an unbroken run. */
static void inbox_load(struct svc_tenant *t)
{
    int i = t->index;
    pthread_mutex_lock(&ib.lock);
    bool loaded = ib.loaded[i];
    pthread_mutex_unlock(&ib.lock);
    struct gis_twin_status st;
    struct err e = {0};
    if (loaded || lane_status(t, &st, &e))
        return;
    char path[1200];
    long long received = st.last_id;
    for (;;) {
        inbox_path(t, received + 1, path, sizeof path);
        if (access(path, F_OK) != 0)
            break;
        received++;
    }
    /* files at or below the applied id were applied before a crash took their unlink */
    inbox_path(t, 0, path, sizeof path);
    DIR *d = opendir(path);
    for (struct dirent *de; d && (de = readdir(d));) {
        char f[1500];
        long long id = atoll(de->d_name);
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        if (de->d_name[0] != '.' && (id <= st.last_id || id > received))
            unlink(f);
    }
    if (d)
        closedir(d);
    pthread_mutex_lock(&ib.lock);
    ib.applied[i] = st.last_id, ib.received[i] = received, ib.loaded[i] = true;
    pthread_cond_broadcast(&ib.cond);
    pthread_mutex_unlock(&ib.lock);
}

/* Writes the encoded frame p[0..n) durably as t's inbox frame id (temporary file, fsync, rename, directory
 * fsync). */
static enum err_code inbox_write(struct svc_tenant *t, long long id, const unsigned char *p, size_t n, struct err *e)
{
    char dir[1100], path[1200], tmp[1300];
    snprintf(dir, sizeof dir, "%s/twin-inbox", tw.cfg->data_dir);
    mkdir(dir, 0700);
    inbox_path(t, 0, dir, sizeof dir);
    mkdir(dir, 0700);
    inbox_path(t, id, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t off = 0;
    while (fd >= 0 && off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    bool ok = fd >= 0 && off == n && fsync(fd) == 0;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    int dfd = ok ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    ok = ok && dfd >= 0 && fsync(dfd) == 0;
    if (dfd >= 0)
        close(dfd);
    if (!ok) {
        unlink(tmp);
        return err_set(e, ERR_IO, "twin inbox %s: %s", path, strerror(errno));
    }
    return ERR_OK;
}

/* Takes frame f (encoded p[0..n)) into t's inbox after every check that writes nothing. */
static enum err_code inbox_put(struct svc_tenant *t, const unsigned char *p, size_t n, const struct gis_twin_frame *f,
                               struct err *e)
{
    int i = t->index;
    struct gis_twin_status st;
    if (lane_status(t, &st, e))
        return e->code;
    if (st.role != GIS_TWIN_REPLICA)
        return err_set(e, ERR_UNAVAILABLE, "gmina %s is not a twin replica here", t->cfg->slug);
    pthread_mutex_lock(&ib.lock);
    long long received = ib.received[i];
    pthread_mutex_unlock(&ib.lock);
    bool dup;
    if (gis_twin_check(ib.reader[i], t->cfg->slug, st.term, received, f, &dup, e))
        return e->code;
    if (dup || inbox_write(t, f->id, p, n, e))
        return e->code;
    pthread_mutex_lock(&ib.lock);
    ib.received[i] = f->id;
    pthread_cond_broadcast(&ib.cond);
    pthread_mutex_unlock(&ib.lock);
    return ERR_OK;
}

/* Applies frame f at once, as the frames of an idle inbox are. */
static enum err_code frame_apply_now(struct svc_tenant *t, const struct gis_twin_frame *f, struct err *e)
{
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_twin_apply(t->writer, t->cfg->slug, f, e);
    pthread_mutex_unlock(&t->write_lock);
    pthread_mutex_lock(&ib.lock);
    if (!rc && f->id > ib.applied[t->index])
        ib.applied[t->index] = f->id;
    if (!rc && f->id > ib.received[t->index])
        ib.received[t->index] = f->id;
    pthread_mutex_unlock(&ib.lock);
    return rc;
}

/* Applies inbox frame id of t (the next one) and drops its file. */
static enum err_code inbox_apply_one(struct svc_tenant *t, long long id, struct err *e)
{
    int i = t->index;
    pthread_mutex_lock(&ib.apply_lock);
    pthread_mutex_lock(&ib.lock);
    bool done = ib.applied[i] >= id;
    pthread_mutex_unlock(&ib.lock);
    char path[1200];
    inbox_path(t, id, path, sizeof path);
    struct buf b = {0};
    struct gis_twin_frame f;
    size_t used;
    enum err_code rc = ERR_OK;
    if (!done && !buf_read_file(&b, path))
        rc = err_set(e, ERR_IO, "twin inbox %s: %s", path, b.failed ? "out of memory" : strerror(errno));
    else if (!done && !(rc = gis_twin_frame_parse((const unsigned char *)b.data, b.len, &f, &used, e)))
        rc = frame_apply_now(t, &f, e);
    buf_free(&b);
    if (!rc)
        unlink(path);
    pthread_mutex_unlock(&ib.apply_lock);
    return rc;
}

/* Applies everything in t's inbox (a takeover must have all it acknowledged). */
static enum err_code inbox_drain(struct svc_tenant *t, struct err *e)
{
    inbox_load(t);
    for (;;) {
        pthread_mutex_lock(&ib.lock);
        long long next = ib.applied[t->index] + 1, received = ib.received[t->index];
        pthread_mutex_unlock(&ib.lock);
        if (next > received)
            return ERR_OK;
        if (inbox_apply_one(t, next, e))
            return e->code;
    }
}

static void *applier_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ib.lock);
    while (!ib.stopping) {
        int n = svc_server_tenant_count(tw.srv), i = 0;
        while (i < n && ib.received[i] <= ib.applied[i])
            i++;
        bool failed = false;
        if (i < n) {
            long long id = ib.applied[i] + 1;
            pthread_mutex_unlock(&ib.lock);
            struct err e = {0};
            struct svc_tenant *t = svc_server_tenant(tw.srv, i);
            failed = inbox_apply_one(t, id, &e) != ERR_OK;
            if (failed)
                log_error("twin: frame %lld of %s in the inbox does not apply: %s", id, t->cfg->slug, e.msg);
            pthread_mutex_lock(&ib.lock);
            snprintf(ib.error[i], sizeof ib.error[i], "%s", failed ? e.msg : "");
            if (!failed)
                continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += failed ? 5 : 1;
        pthread_cond_timedwait(&ib.cond, &ib.lock, &ts);
    }
    pthread_mutex_unlock(&ib.lock);
    return NULL;
}

static enum MHD_Result twin_status(struct MHD_Connection *conn, struct svc_tenant *t)
{
    struct gis_twin_status st;
    struct err e = {0};
    if (lane_status(t, &st, &e))
        return answer_err(conn, &e, 0, 0);
    inbox_load(t);
    pthread_mutex_lock(&ib.lock);
    long long received =
        st.role == GIS_TWIN_REPLICA && ib.received[t->index] > st.last_id ? ib.received[t->index] : st.last_id;
    pthread_mutex_unlock(&ib.lock);
    return answer(conn, 200,
                  json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "tenant", t->cfg->slug, "role",
                            gis_twin_role_name(st.role), "term", (json_int_t)st.term, "applied", (json_int_t)st.last_id,
                            "received", (json_int_t)received, "acknowledged", (json_int_t)st.acked));
}

/* Takes the frames of the body in order: applied at once while the inbox is idle and the frame is small, else
 * received into the inbox; answers the ids applied and received. */
static enum MHD_Result twin_frames(struct MHD_Connection *conn, struct svc_tenant *t, const struct buf *body)
{
    struct err e = {0};
    size_t off = 0;
    int i = t->index;
    inbox_load(t);
    const unsigned char *p = (const unsigned char *)body->data;
    while (!e.code && off < body->len) {
        struct gis_twin_frame f;
        size_t used;
        if (gis_twin_frame_parse(p + off, body->len - off, &f, &used, &e))
            break;
        pthread_mutex_lock(&ib.lock);
        bool lane = ib.received[i] > ib.applied[i] || f.len >= TWIN_LANE_MIN;
        pthread_mutex_unlock(&ib.lock);
        if (!(lane ? inbox_put(t, p + off, used, &f, &e) : frame_apply_now(t, &f, &e)))
            off += used;
    }
    struct gis_twin_status st;
    struct err se = {0};
    lane_status(t, &st, &se);
    pthread_mutex_lock(&ib.lock);
    long long received = ib.received[i] > st.last_id ? ib.received[i] : st.last_id;
    pthread_mutex_unlock(&ib.lock);
    if (e.code) {
        log_warn("twin: frames for %s refused: %s", t->cfg->slug, e.msg);
        return answer_err(conn, &e, st.term, st.last_id);
    }
    return answer(conn, 200,
                  json_pack("{s:I, s:I, s:I}", "applied", (json_int_t)st.last_id, "received", (json_int_t)received,
                            "term", (json_int_t)st.term));
}

/* A consistent copy of the primary's store, for a twin joining or rejoining. */
static enum MHD_Result twin_snapshot(struct MHD_Connection *conn, struct svc_tenant *t)
{
    struct gis_twin_status st;
    struct err e = {0};
    gis_twin_status_read(t->writer, &st, &e);
    if (st.role != GIS_TWIN_PRIMARY) {
        err_set(&e, ERR_CONFLICT, "gmina %s is not a primary here (%s)", t->cfg->slug, gis_twin_role_name(st.role));
        return answer_err(conn, &e, st.term, st.last_id);
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.twin-snapshot-%d", t->store_path, (int)getpid());
    unlink(tmp);
    struct gis_backup_info info;
    if (gis_backup_store(t->store_path, tmp, 30000, &info, &e))
        return answer_err(conn, &e, st.term, st.last_id);
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    unlink(tmp);
    if (fd < 0) {
        err_set(&e, ERR_IO, "snapshot: %s", strerror(errno));
        return answer_err(conn, &e, st.term, st.last_id);
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)info.bytes, fd);
    MHD_add_response_header(r, "Content-Type", "application/vnd.sqlite3");
    MHD_add_response_header(r, "X-Odra-Sha256", info.sha256);
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result twin_hash(struct MHD_Connection *conn, struct svc_tenant *t)
{
    struct gis_store *r = NULL;
    struct err e = {0};
    char hex[65];
    long long at = 0;
    if (gis_store_open(t->store_path, GIS_STORE_READ, &r, &e) || gis_twin_content_hash(r, hex, &at, &e)) {
        gis_store_close(r);
        return answer_err(conn, &e, 0, 0);
    }
    gis_store_close(r);
    return answer(conn, 200, json_pack("{s:s, s:s, s:I}", "tenant", t->cfg->slug, "hash", hex, "at", (json_int_t)at));
}

/* Whether the peer answers as a live primary of t (a promotion would then fence it). */
static bool peer_is_primary(struct svc_tenant *t)
{
    CURL *h = curl_easy_init();
    if (!h)
        return false;
    char url[512];
    snprintf(url, sizeof url, "%s/twin/%s/status", tw.cfg->twin.peer, t->cfg->slug);
    struct twin_fetch f = {0};
    struct err e = {0};
    bool yes = false;
    if (!twin_client_exchange(tw.cfg, h, url, NULL, 0, 2000, &f, &e) && f.status == 200) {
        json_t *j = fetch_json(&f);
        const char *role = json_string_value(json_object_get(j, "role"));
        yes = role && !strcmp(role, "primary");
        json_decref(j);
    }
    buf_free(&f.body);
    curl_easy_cleanup(h);
    return yes;
}

/* Takeover: the replica becomes the primary of a new term and is served from now on. */
static enum MHD_Result twin_promote(struct MHD_Connection *conn, struct svc_tenant *t, bool force)
{
    struct err e = {0};
    if (!force && tw.cfg->twin.peer[0] && peer_is_primary(t)) {
        err_set(&e, ERR_CONFLICT,
                "the primary of %s still answers at %s: promoting would fence a live site (use --force to do it)",
                t->cfg->slug, tw.cfg->twin.peer);
        return answer_err(conn, &e, 0, 0);
    }
    if (inbox_drain(t, &e)) /* everything acknowledged must be applied before the store is served */
        return answer_err(conn, &e, 0, 0);
    long long term = 0;
    struct gis_twin_ident_report rep = {0};
    pthread_mutex_lock(&t->write_lock);
    /* with the gmina's staff, clients, residents and audit rows, as the old site's identity store had them:
     * imported first (idempotent), then the new term and the renumbering of account ids in one transaction */
    enum err_code rc = svc_auth_identity()
                           ? gis_twin_ident_promote(svc_auth_identity(), t->writer, t->cfg->slug, &term, &rep, &e)
                           : gis_twin_promote(t->writer, &term, &e);
    struct gis_twin_status st;
    struct err se = {0};
    gis_twin_status_read(t->writer, &st, &se);
    pthread_mutex_unlock(&t->write_lock);
    if (rc)
        return answer_err(conn, &e, st.term, st.last_id);
    if (rep.skipped)
        log_warn("gmina %s: accounts not imported, their logins are taken here: %s", t->cfg->slug, rep.skipped_logins);
    pthread_mutex_lock(&im.lock);
    im.done[t->index] = false, im.audit[t->index] = 0; /* this site's own rows are copied from now on */
    pthread_mutex_unlock(&im.lock);
    pthread_mutex_lock(&tw.lock);
    tw.tenants[t->index] = (struct twin_tenant){.acked = st.last_id, .persisted = st.last_id, .solo = true};
    pthread_mutex_unlock(&tw.lock);
    __atomic_store_n(&t->twin_hidden, false, __ATOMIC_RELEASE);
    log_warn("gmina %s: promoted to primary, term %lld, from frame %lld", t->cfg->slug, term, st.last_id);
    json_t *ident =
        json_pack("{s:i, s:i, s:i, s:s, s:i, s:i}", "added", rep.added, "merged", rep.merged, "skipped", rep.skipped,
                  "skipped_logins", rep.skipped_logins, "audit", rep.audit, "remapped", rep.remapped);
    return answer(conn, 200,
                  json_pack("{s:s, s:s, s:I, s:I, s:o}", "tenant", t->cfg->slug, "role", "primary", "term",
                            (json_int_t)term, "last_frame", (json_int_t)st.last_id, "identity", ident));
}

static enum MHD_Result twin_route(struct MHD_Connection *conn, const char *method, const char *url,
                                  const struct buf *body)
{
    struct err e = {0};
    char slug[33], what[17];
    int n = 0;
    if (sscanf(url, "/twin/%32[a-z0-9-]/%16[a-z]%n", slug, what, &n) != 2 || url[n]) {
        err_set(&e, ERR_NOT_FOUND, "no such twin resource");
        return answer_err(conn, &e, 0, 0);
    }
    struct svc_tenant *t = svc_server_tenant_find(tw.srv, slug);
    if (!t || t->unavailable || !t->writer) {
        err_set(&e, ERR_NOT_FOUND, "gmina %s has no store here", slug);
        return answer_err(conn, &e, 0, 0);
    }
    bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    pthread_mutex_lock(&ib.tenant_lock[t->index]);
    enum MHD_Result ret;
    if (get && !strcmp(what, "status"))
        ret = twin_status(conn, t);
    else if (post && !strcmp(what, "frames"))
        ret = twin_frames(conn, t, body);
    else if (get && !strcmp(what, "snapshot"))
        ret = twin_snapshot(conn, t);
    else if (get && !strcmp(what, "hash"))
        ret = twin_hash(conn, t);
    else if (post && !strcmp(what, "promote")) {
        const char *force = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "force");
        ret = twin_promote(conn, t, force && !strcmp(force, "1"));
    } else {
        err_set(&e, ERR_NOT_FOUND, "no such twin resource");
        ret = answer_err(conn, &e, 0, 0);
    }
    pthread_mutex_unlock(&ib.tenant_lock[t->index]);
    return ret;
}

static enum MHD_Result twin_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version;
    struct twin_req *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        if (!client_verified(conn)) {
            struct err e = {0};
            err_set(&e, ERR_FORBIDDEN, "a client certificate signed by the twins' CA is required");
            return answer_err(conn, &e, 0, 0);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body.len + *upload_size > TWIN_BODY_MAX)
            r->too_large = true;
        else
            buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_large || r->body.failed) {
        struct err e = {0};
        err_set(&e, ERR_TOO_LARGE, "body over %u bytes", (unsigned)TWIN_BODY_MAX);
        return answer_err(conn, &e, 0, 0);
    }
    return twin_route(conn, method, url, &r->body);
}

static void twin_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    struct twin_req *r = *con_cls;
    if (r) {
        buf_free(&r->body);
        free(r);
    }
    *con_cls = NULL;
}

static enum err_code listener_start(const struct config *c, struct err *e)
{
    if (!(tw.tls_cert = read_text(c, c->twin.cert, e)) || !(tw.tls_key = read_text(c, c->twin.key, e)) ||
        !(tw.tls_ca = read_text(c, c->twin.ca, e)))
        return e->code;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->twin.port)};
    const char *host = strcmp(c->twin.listen_host, "localhost") ? c->twin.listen_host : "127.0.0.1";
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return err_set(e, ERR_INVALID, "[twin] listen: '%s' is not an IPv4 address", c->twin.listen_host);
    /* a thread per connection (at most 16): a slow apply of one gmina's frames does not block another's */
    tw.daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, twin_access, NULL, MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_HTTPS_MEM_CERT, tw.tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, tw.tls_key, MHD_OPTION_HTTPS_MEM_TRUST, tw.tls_ca, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_NOTIFY_COMPLETED, twin_completed, NULL, MHD_OPTION_END);
    if (!tw.daemon)
        return err_set(e, ERR_IO, "[twin] cannot start the TLS listener on %s:%d", c->twin.listen_host, c->twin.port);
    log_info("twin: TLS listener on https://%s:%d/ (client certificates required)", c->twin.listen_host, c->twin.port);
    return ERR_OK;
}

enum err_code svc_twin_start(struct svc_server *s, struct err *e)
{
    const struct config *c = svc_server_config(s);
    tw.srv = s, tw.cfg = c;
    if (!twin_configured(c))
        return ERR_OK;
    if (!c->twin.cert[0] || !c->twin.key[0] || !c->twin.ca[0])
        return err_set(e, ERR_INVALID, "[twin] needs cert, key and ca");
    if (svc_twin_serve_lock(c, e) || (svc_auth_identity() && gis_twin_ident_prepare(svc_auth_identity(), e)))
        return e->code;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tw.acked_cond, &ca);
    pthread_cond_init(&tw.work_cond, &ca);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_cond_init(&ib.cond, &ca);
    pthread_condattr_destroy(&ca);
    for (int i = 0; i < CONFIG_MAX_TENANTS; i++)
        pthread_mutex_init(&ib.tenant_lock[i], NULL);
    if (c->twin.listen_host[0]) /* a restart resumes the inbox (before the listener's threads use ib.reader) */
        for (int i = 0; i < svc_server_tenant_count(s); i++)
            if (svc_tenant_twin_hidden(svc_server_tenant(s, i)))
                inbox_load(svc_server_tenant(s, i));
    if (c->twin.listen_host[0] && listener_start(c, e))
        return e->code;
    if (c->twin.listen_host[0]) {
        ib.stopping = false;
        if (pthread_create(&ib.thread, NULL, applier_main, NULL) != 0)
            return err_set(e, ERR_INTERNAL, "cannot start the twin applier thread");
        ib.running = true;
    }
    tw.stopping = false;
    if (c->twin.peer[0]) {
        if (pthread_create(&tw.shipper, NULL, shipper_main, NULL) != 0)
            return err_set(e, ERR_INTERNAL, "cannot start the twin shipper thread");
        tw.running = true;
    }
    return ERR_OK;
}

void svc_twin_stop(void)
{
    if (tw.running) {
        pthread_mutex_lock(&tw.lock);
        tw.stopping = true;
        pthread_cond_broadcast(&tw.work_cond);
        pthread_cond_broadcast(&tw.acked_cond);
        pthread_mutex_unlock(&tw.lock);
        pthread_join(tw.shipper, NULL);
        tw.running = false;
    }
    if (tw.daemon)
        MHD_stop_daemon(tw.daemon);
    tw.daemon = NULL;
    if (ib.running) {
        pthread_mutex_lock(&ib.lock);
        ib.stopping = true;
        pthread_cond_broadcast(&ib.cond);
        pthread_mutex_unlock(&ib.lock);
        pthread_join(ib.thread, NULL);
        ib.running = false;
    }
    for (int i = 0; i < CONFIG_MAX_TENANTS; i++) {
        gis_store_close(ib.reader[i]);
        ib.reader[i] = NULL;
    }
    free(tw.tls_cert), free(tw.tls_key), free(tw.tls_ca);
    tw.tls_cert = tw.tls_key = tw.tls_ca = NULL;
}
