/* Authentication and access: passwords (Argon2id), sessions in cookies, API-client keys, CSRF, log-in
 * limits, the dispatcher's access check, the /auth routes and the audit of staff actions (services/auth.h).
 *
 * Per request, a public route costs nothing here: the dispatcher calls svc_auth_check only for routes
 * that are not public. A session check is one SHA-256 of the cookie and one indexed lookup in the
 * identity store; its last_seen is written at most every minute (or quarter of the idle timeout). */
#include "services/auth.h"

#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "gis/audit.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/saml.h"
#include "services/server.h"
#include "util/log.h"
#include "util/text.h"
#include "util/multipart.h"

/* ---- primitives ---- */

enum err_code auth_password_hash(const char *password, unsigned long long opslimit, size_t memlimit, char out[128],
                                 struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium cannot be initialised");
    _Static_assert(crypto_pwhash_STRBYTES <= 128, "Argon2id string fits");
    if (crypto_pwhash_str_alg(out, password, strlen(password), opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return err_set(e, ERR_INTERNAL, "Argon2id hashing failed (out of memory at memlimit %zu?)", memlimit);
    return ERR_OK;
}

bool auth_password_verify(const char *hash, const char *password)
{
    return sodium_init() >= 0 && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    if (sodium_init() < 0)
        abort(); /* no randomness: nothing safe to hand out */
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

bool auth_token_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    return n == AUTH_TOKEN_LEN && s[n] == 0;
}

void auth_token_hash(const char *token, unsigned char out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

bool auth_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t vl = len - nl - 1;
            while (vl && (p[nl + 1 + vl - 1] == ' ' || p[nl + 1 + vl - 1] == '\t'))
                vl--;
            if (vl >= cap)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = 0;
            return true;
        }
        p = end;
    }
    return false;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool auth_form_get(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = body, *end = body + len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *fe = amp ? amp : end;
        if ((size_t)(fe - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t o = 0;
            for (const char *q = p + nl + 1; q < fe; q++) {
                char c = *q;
                if (c == '+')
                    c = ' ';
                else if (c == '%') {
                    if (fe - q < 3 || hexval(q[1]) < 0 || hexval(q[2]) < 0)
                        return false;
                    c = (char)(hexval(q[1]) * 16 + hexval(q[2]));
                    q += 2;
                }
                if (o + 1 >= cap || c == 0)
                    return false;
                out[o++] = c;
            }
            out[o] = 0;
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

/* ---- the server's state ---- */

#define RATE_SLOTS 4096

/* A token bucket per key (an address or a login), in a fixed table: a key whose slot another key took
 * starts afresh, which errs on the side of letting a request through. */
struct rate_slot {
    unsigned long long key;
    double tokens;
    long long at_ms;
};

static struct {
    struct gis_identity *id;
    struct config_auth cfg;
    bool secure;
    pthread_mutex_t rate_lock;
    struct rate_slot rate[RATE_SLOTS];
    pthread_once_t decoy_once;
    char decoy_hash[128];
    struct auth_refusal_cap refusals; /* under rate_lock */
} auth = {.rate_lock = PTHREAD_MUTEX_INITIALIZER, .decoy_once = PTHREAD_ONCE_INIT};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum err_code svc_auth_open(const struct config *cfg, struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium cannot be initialised");
    char path[1100];
    snprintf(path, sizeof path, "%s/identity.sqlite", cfg->data_dir);
    if (gis_identity_open(path, &auth.id, e))
        return e->code;
    auth.cfg = cfg->auth;
    auth.secure = !strncmp(cfg->public_url, "https:", 6);
    memset(auth.rate, 0, sizeof auth.rate);
    memset(&auth.refusals, 0, sizeof auth.refusals);
    return ERR_OK;
}

void svc_auth_close(void)
{
    gis_identity_close(auth.id);
    auth.id = NULL;
}

struct gis_identity *svc_auth_identity(void)
{
    return auth.id;
}

/* The hash an unknown login is checked against, at the configured cost, so that it takes as long as a
 * wrong password for a real one; made on first need (one Argon2id run). */
static void decoy_make(void)
{
    char pw[AUTH_TOKEN_LEN + 1];
    auth_token_new(pw);
    struct err e = {0};
    if (auth_password_hash(pw, auth.cfg.opslimit, auth.cfg.memlimit, auth.decoy_hash, &e))
        log_error("auth: %s", e.msg);
}

/* FNV-1a of s continued from h, ASCII letters folded to lower case when fold; a separator follows s. */
static unsigned long long fnv(unsigned long long h, const char *s, bool fold)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        h = (h ^ (unsigned char)(fold && c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ULL;
    }
    return (h ^ 0xffu) * 1099511628211ULL;
}

#define FNV_BASIS 1469598103934665603ULL

/* Takes one token from key's bucket (per_min a minute, as many at once); false with *retry_s when empty. */
static bool rate_take(const char *kind, const char *key, int per_min, int *retry_s)
{
    unsigned long long h = fnv(fnv(FNV_BASIS, kind, false), key, true);
    long long now = now_ms();
    double rate = per_min / 60000.0; /* tokens per ms */
    pthread_mutex_lock(&auth.rate_lock);
    struct rate_slot *s = &auth.rate[h % RATE_SLOTS];
    if (s->key != h || !s->at_ms) {
        s->key = h;
        s->tokens = per_min;
        s->at_ms = now;
    }
    s->tokens += (double)(now - s->at_ms) * rate;
    if (s->tokens > per_min)
        s->tokens = per_min;
    s->at_ms = now;
    bool ok = s->tokens >= 1;
    if (ok)
        s->tokens -= 1;
    else
        *retry_s = (int)ceil((1 - s->tokens) / rate / 1000);
    pthread_mutex_unlock(&auth.rate_lock);
    if (!ok && *retry_s < 1)
        *retry_s = 1;
    return ok;
}

const char *svc_auth_client_ip(struct http_req *req)
{
    const union MHD_ConnectionInfo *ci =
        req->conn ? MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, sizeof buf);
    }
    return arena_strdup(req->arena, buf);
}

/* ---- audit ---- */

static const char *actor_of(struct http_req *req, const struct auth_principal *p)
{
    if (!p)
        return "-";
    if (p->via == AUTH_VIA_CLIENT)
        return arena_printf(req->arena, "client:%s", p->account.login);
    return p->account.login;
}

/* The audit rows of a page's in-process requests, written together (svc_auth_audit_batch_*). */
#define BATCH_MAX 32
struct svc_audit_batch {
    struct gis_audit_entry row[BATCH_MAX];
    int n;
};

static __thread struct svc_audit_batch *batch_now;

struct svc_audit_batch *svc_auth_audit_batch_new(struct arena *a)
{
    struct svc_audit_batch *b = arena_alloc(a, sizeof *b);
    if (b && arena_defer(a, svc_auth_audit_batch_flush, b))
        return NULL; /* the flush ran on the empty batch */
    return b;
}

void svc_auth_audit_batch_use(struct svc_audit_batch *b)
{
    batch_now = b;
}

void svc_auth_audit_batch_flush(void *p)
{
    struct svc_audit_batch *b = p;
    if (!b || !b->n || !auth.id)
        return;
    struct err e = {0};
    if (gis_audit_append_many(auth.id, b->row, b->n, &e))
        log_error("audit: cannot record %d rows of a page (the first %s by %s): %s", b->n, b->row[0].action,
                  b->row[0].actor, e.msg);
    b->n = 0;
}

/* Keeps a (its strings live in the request's arena, as the batch does) in the batch of this thread, when
 * there is one: whether it did. */
static bool batch_add(const struct gis_audit_entry *a)
{
    struct svc_audit_batch *b = batch_now;
    if (!b)
        return false;
    if (b->n == BATCH_MAX)
        svc_auth_audit_batch_flush(b);
    b->row[b->n++] = *a;
    return true;
}

static void audit_write(struct http_req *req, const struct auth_principal *p, const char *action, const char *record,
                        const char *detail)
{
    if (!auth.id)
        return;
    struct gis_audit_entry a = {
        .actor = actor_of(req, p),
        .action = action,
        .tenant = req->tenant ? req->tenant->cfg->slug : NULL,
        .record = record,
        .ip = svc_auth_client_ip(req),
        .detail = detail,
    };
    if (batch_add(&a))
        return;
    struct err e = {0};
    if (gis_audit_append(auth.id, &a, &e))
        log_error("audit: cannot record %s by %s: %s", action, a.actor, e.msg);
}

void svc_auth_audit(struct http_req *req, const char *action, const char *record, const char *detail)
{
    audit_write(req, req->principal, action, record, detail);
}

void svc_auth_audit_request(struct http_req *req, const struct http_route *r, int status)
{
    const char *action = arena_printf(req->arena, "%s %s", r->method, r->pattern);
    audit_write(req, req->principal, action, req->path,
                arena_printf(req->arena, "status %d%s%s%s", status, r->access.personal ? ", personal data" : "",
                             req->audit_note ? "; " : "", req->audit_note ? req->audit_note : ""));
}

bool auth_refusal_take(struct auth_refusal_cap *c, unsigned long long key, long long now_ms, int per_min,
                       long long *earlier, long long *over_cap)
{
    long long minute = now_ms / 60000 + 1; /* never 0, the value of an unused slot */
    if (!key)
        key = 1; /* 0 marks an unused slot too */
    if (c->minute != minute) {
        c->minute = minute;
        c->rows = 0;
    }
    struct auth_refusal_slot *s = &c->slot[key % AUTH_REFUSAL_SLOTS];
    if (s->key == key && s->minute == minute) {
        s->unrecorded++;
        return false;
    }
    if (c->rows >= per_min) {
        c->over_cap++;
        return false;
    }
    *earlier = s->key == key ? s->unrecorded : 0;
    *over_cap = c->over_cap;
    s->key = key, s->minute = minute, s->unrecorded = 0;
    c->rows++;
    c->over_cap = 0;
    return true;
}

/* Audits a 401 or 403 of the access check, within the cap (struct auth_refusal_cap). */
static void refusal_audit(struct http_req *req, const struct http_route *r, const struct auth_principal *p,
                          const struct err *e)
{
    int status = http_status_of(e->code);
    const char *ip = svc_auth_client_ip(req);
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    unsigned long long key = fnv(fnv(fnv(fnv(FNV_BASIS, ip, false), r->method, false), r->pattern, false), st, false);
    long long earlier = 0, over = 0;
    pthread_mutex_lock(&auth.rate_lock);
    bool row = auth_refusal_take(&auth.refusals, key, now_ms(), AUTH_REFUSALS_PER_MIN, &earlier, &over);
    pthread_mutex_unlock(&auth.rate_lock);
    if (!row)
        return;
    const char *detail = arena_printf(req->arena, "%d %s %s: %.160s", status, r->method, r->pattern, e->msg);
    if (earlier)
        detail = arena_printf(req->arena, "%s; %lld more from this address since its last row", detail, earlier);
    if (over)
        detail = arena_printf(req->arena, "%s; %lld refusals unrecorded over the cap of %d rows a minute", detail, over,
                              AUTH_REFUSALS_PER_MIN);
    audit_write(req, p, "access.refused", arena_printf(req->arena, "%.200s", req->path), detail);
}

/* ---- the access check ---- */

enum err_code svc_auth_table_check(const struct http_route *table, const char *owner, struct err *e)
{
    for (const struct http_route *r = table; r && r->pattern; r++)
        if (r->access.kind <= HTTP_ACCESS_UNDECLARED || r->access.kind > HTTP_ACCESS_ADMIN ||
            (r->access.kind == HTTP_ACCESS_STAFF && !r->access.role))
            return err_set(e, ERR_INVALID, "route %s %s (%s) declares no access (services/http.h): refusing to start",
                           r->method, r->pattern, owner);
    return ERR_OK;
}

enum err_code svc_auth_routes_check(struct err *e)
{
    for (const struct http_route *const *t = svc_route_tables; *t; t++)
        if (svc_auth_table_check(*t, "core", e))
            return e->code;
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (svc_auth_table_check((*m)->routes, (*m)->name, e))
            return e->code;
    return ERR_OK;
}

static bool state_changing(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

static bool content_type_is(struct http_req *req, const char *type)
{
    const char *ct = http_header(req, "Content-Type");
    size_t n = strlen(type);
    return ct && !strncasecmp(ct, type, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* The session the request's cookie names, if it is valid and current; expired ones are deleted. */
static bool session_resolve(struct http_req *req, struct auth_principal *p)
{
    const char *cookie = http_header(req, "Cookie");
    char token[AUTH_TOKEN_LEN + 2];
    if (!cookie || !auth_cookie_get(cookie, AUTH_COOKIE, token, sizeof token) || !auth_token_valid(token))
        return false;
    auth_token_hash(token, p->token_hash);
    struct gis_session s;
    struct err e = {0};
    if (gis_session_find(auth.id, p->token_hash, &s, &e))
        return false;
    long long now = now_ms();
    if (s.account.disabled || now - s.last_seen > (long long)auth.cfg.session_idle_s * 1000 ||
        now - s.created > (long long)auth.cfg.session_max_s * 1000) {
        gis_session_delete(auth.id, p->token_hash, &e);
        return false;
    }
    long long touch_every = (long long)auth.cfg.session_idle_s * 250;
    if (touch_every > 60000)
        touch_every = 60000;
    if (now - s.last_seen >= touch_every)
        gis_session_touch(auth.id, p->token_hash, now, &e);
    p->via = AUTH_VIA_SESSION;
    p->account = s.account;
    p->admin = !strcmp(s.account.kind, "admin");
    snprintf(p->csrf, sizeof p->csrf, "%s", s.csrf);
    p->created = s.created;
    p->last_seen = now;
    return true;
}

/* The API client whose key the Authorization header carries; ERR_UNAUTHORIZED when it names none. */
static enum err_code client_resolve(struct http_req *req, const char *authz, struct auth_principal *p, struct err *e)
{
    if (strncasecmp(authz, "Bearer ", 7) != 0)
        return err_set(e, ERR_UNAUTHORIZED,
                       "Nieobsługiwany sposób uwierzytelnienia (unsupported Authorization scheme): send "
                       "'Authorization: Bearer <API key>'");
    const char *key = authz + 7;
    while (*key == ' ')
        key++;
    struct err le = {0};
    if (strlen(key) != AUTH_KEY_LEN || strncmp(key, AUTH_KEY_PREFIX, 5) || !auth_token_valid(key + 5)) {
        return err_set(e, ERR_UNAUTHORIZED, "Nieprawidłowy klucz API (invalid API key)");
    }
    auth_token_hash(key, p->token_hash);
    if (gis_client_find(auth.id, p->token_hash, &p->account, &le))
        return err_set(e, ERR_UNAUTHORIZED, "Nieprawidłowy klucz API (invalid API key)");
    (void)req;
    p->via = AUTH_VIA_CLIENT;
    return ERR_OK;
}

/* The text field name of a multipart/form-data body (a browser's upload form), copied into out (cap bytes);
 * false when the body is no such form, is malformed, or lacks the field or it is too long. */
static bool multipart_field(struct http_req *req, const char *name, char *out, size_t cap)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    struct multipart_part *parts;
    int n;
    struct err e = {0};
    if (!multipart_boundary(http_header(req, "Content-Type"), boundary) ||
        multipart_parse(req->arena, req->body, req->body_len, boundary, 16, &parts, &n, &e))
        return false;
    const struct multipart_part *p = multipart_find(parts, n, name, NULL);
    if (!p || p->filename || p->len >= cap || memchr(p->data, 0, p->len))
        return false;
    memcpy(out, p->data, p->len);
    out[p->len] = 0;
    return true;
}

/* For a state-changing request made with a session: the session's CSRF token must come with it. */
static enum err_code csrf_check(struct http_req *req, const struct auth_principal *p, struct err *e)
{
    if (p->via != AUTH_VIA_SESSION || !state_changing(req->method))
        return ERR_OK;
    const char *given = http_header(req, "X-CSRF-Token");
    char field[AUTH_TOKEN_LEN + 2];
    if (!given && req->body && content_type_is(req, "application/x-www-form-urlencoded") &&
        auth_form_get(req->body, req->body_len, "csrf", field, sizeof field))
        given = field;
    if (!given && req->body && multipart_field(req, "csrf", field, sizeof field))
        given = field;
    size_t n = strlen(p->csrf);
    if (!given || strlen(given) != n || !n || sodium_memcmp(given, p->csrf, n) != 0)
        return err_set(e, ERR_FORBIDDEN,
                       "Brak lub nieprawidłowy token CSRF (missing or wrong CSRF token): send the session's "
                       "csrf_token in the X-CSRF-Token header or the csrf form field");
    return ERR_OK;
}

static const char *role_polish(const char *role)
{
    if (!strcmp(role, "clerk"))
        return "urzędnik";
    if (!strcmp(role, "planner"))
        return "planista";
    if (!strcmp(role, "module_admin"))
        return "administrator modułu";
    if (!strcmp(role, "gmina_admin"))
        return "administrator gminy";
    return role;
}

/* svc_auth_check's decision for route r, with the CSRF check when csrf is set (svc_auth_identify leaves it
 * out); p (zeroed) gets the caller when one is known. */
static enum err_code access_check(struct http_req *req, const struct http_route *r, struct http_resp *resp,
                                  struct auth_principal *p, bool csrf, struct err *e)
{
    const struct http_access *a = &r->access;
    const char *authz = http_header(req, "Authorization");
    bool known = false;
    if (authz) {
        if (client_resolve(req, authz, p, e)) {
            if (a->scope)
                http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"odra\", error=\"invalid_token\"");
            return e->code;
        }
        known = true;
    } else {
        known = session_resolve(req, p);
    }
    const char *tenant = req->tenant ? req->tenant->cfg->slug : "";
    switch (a->kind) {
    case HTTP_ACCESS_SUBMIT:
        if (!known) {
            int retry = 0;
            if (req->tenant && req->tenant->cfg->anonymous_submissions) {
                if (rate_take("submit", svc_auth_client_ip(req), auth.cfg.submissions_per_ip, &retry))
                    return ERR_OK;
                http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%d", retry));
                return err_set(e, ERR_TOO_MANY,
                               "Zbyt wiele wniosków z tego adresu, spróbuj ponownie za %d s (too many anonymous "
                               "submissions from this address; retry in %d s, or sign in)",
                               retry, retry);
            }
            return err_set(e, ERR_UNAUTHORIZED,
                           "Zaloguj się, aby złożyć wniosek w gminie %s (sign in: this gmina takes no anonymous "
                           "submissions)",
                           req->tenant ? req->tenant->cfg->name : "?");
        }
        break;
    case HTTP_ACCESS_ACCOUNT:
    case HTTP_ACCESS_ADMIN:
        if (!known)
            return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
        if (p->via == AUTH_VIA_CLIENT && a->kind == HTTP_ACCESS_ACCOUNT && a->scope) {
            if (strcmp(p->account.tenant, tenant) || !gis_client_has_scope(auth.id, p->account.id, a->scope))
                return err_set(e, ERR_FORBIDDEN,
                               "Klucz API bez uprawnienia %s w gminie %s (the API key lacks the scope %s for this "
                               "gmina)",
                               a->scope, req->tenant ? req->tenant->cfg->name : "?", a->scope);
            break;
        }
        if (p->via != AUTH_VIA_SESSION)
            return err_set(e, ERR_FORBIDDEN,
                           "Tylko dla zalogowanych osób, nie dla klientów API (for signed-in "
                           "people, not API clients)");
        if (a->kind == HTTP_ACCESS_ADMIN && !p->admin)
            return err_set(e, ERR_FORBIDDEN, "Tylko dla administratora serwera (server administrators only)");
        break;
    case HTTP_ACCESS_STAFF:
        if (!known) {
            if (a->scope)
                http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"odra\"");
            return err_set(e, ERR_UNAUTHORIZED,
                           "Wymagane zalogowanie pracownika gminy (sign-in required: staff with the role %s)%s",
                           a->role, a->scope ? ", or an API client's key (Authorization: Bearer)" : "");
        }
        if (p->via == AUTH_VIA_CLIENT) {
            if (!a->scope || strcmp(p->account.tenant, tenant) ||
                !gis_client_has_scope(auth.id, p->account.id, a->scope))
                return err_set(e, ERR_FORBIDDEN,
                               "Klucz API bez uprawnienia %s w gminie %s (the API key lacks the scope %s for this "
                               "gmina)",
                               a->scope ? a->scope : "-", req->tenant ? req->tenant->cfg->name : "?",
                               a->scope ? a->scope : "-");
        } else if (!p->admin && !gis_grant_has(auth.id, p->account.id, tenant, a->role)) {
            return err_set(e, ERR_FORBIDDEN, "Brak roli „%s” w gminie %s (you lack the role %s in this gmina)",
                           role_polish(a->role), req->tenant ? req->tenant->cfg->name : "?", a->role);
        }
        break;
    default: return err_set(e, ERR_INTERNAL, "route %s %s declares no access", r->method, r->pattern);
    }
    return csrf ? csrf_check(req, p, e) : ERR_OK;
}

bool svc_auth_has_role(const struct auth_principal *p, const char *tenant, const char *role)
{
    if (!p || p->via != AUTH_VIA_SESSION)
        return false;
    return p->admin || (auth.id && tenant && gis_grant_has(auth.id, p->account.id, tenant, role));
}

enum err_code svc_auth_page_check(struct http_req *req, const struct http_route *r, struct err *e)
{
    const struct auth_principal *p = req->principal;
    const struct http_access *a = &r->access;
    const char *tenant = req->tenant ? req->tenant->cfg->slug : NULL;
    if (!p || p->via != AUTH_VIA_SESSION)
        err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie pracownika gminy (sign-in required)");
    else if (a->kind == HTTP_ACCESS_ADMIN && !p->admin)
        err_set(e, ERR_FORBIDDEN, "Tylko dla administratora serwera (server administrators only)");
    else if (a->kind == HTTP_ACCESS_STAFF && !svc_auth_has_role(p, tenant, a->role))
        err_set(e, ERR_FORBIDDEN, "Brak roli „%s” w gminie %s (you lack the role %s in this gmina)",
                role_polish(a->role), req->tenant ? req->tenant->cfg->name : "?", a->role);
    else
        return ERR_OK;
    refusal_audit(req, r, p, e);
    return e->code;
}

/* svc_auth_check and svc_auth_identify: the decision, its refusal audited, the caller kept. */
static enum err_code access_admit(struct http_req *req, const struct http_route *r, struct http_resp *resp, bool csrf,
                                  struct err *e)
{
    if (r->access.kind == HTTP_ACCESS_PUBLIC)
        return ERR_OK;
    if (!auth.id)
        return err_set(e, ERR_UNAVAILABLE, "the identity store is not open");
    struct auth_principal *p = arena_alloc(req->arena, sizeof *p);
    if (!p)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memset(p, 0, sizeof *p);
    if (access_check(req, r, resp, p, csrf, e)) {
        if (e->code == ERR_UNAUTHORIZED || e->code == ERR_FORBIDDEN)
            refusal_audit(req, r, p->via ? p : NULL, e);
        return e->code;
    }
    req->principal = p->via ? p : NULL; /* an anonymous submission stays anonymous */
    return ERR_OK;
}

enum err_code svc_auth_check(struct http_req *req, const struct http_route *r, struct http_resp *resp, struct err *e)
{
    return access_admit(req, r, resp, true, e);
}

enum err_code svc_auth_identify(struct http_req *req, const struct http_route *r, struct http_resp *resp, struct err *e)
{
    return access_admit(req, r, resp, false, e);
}

const struct auth_principal *svc_auth_session_peek(struct http_req *req)
{
    if (!auth.id)
        return NULL;
    struct auth_principal *p = arena_alloc(req->arena, sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    return session_resolve(req, p) ? p : NULL;
}

/* ---- /auth ---- */

static const char *cookie_header(struct http_req *req, const char *token, int max_age)
{
    return arena_printf(req->arena, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s", AUTH_COOKIE, token, max_age,
                        auth.secure ? "; Secure" : "");
}

static json_t *account_json(const struct auth_principal *p)
{
    json_t *j = json_pack("{s:s, s:s, s:b}", "login", p->account.login, "kind", p->account.kind, "admin", p->admin);
    struct gis_resident r;
    struct err re = {0};
    if (!strcmp(p->account.kind, "resident") && gis_resident_get(auth.id, p->account.id, &r, &re) == ERR_OK) {
        /* the person as login.gov.pl verified them; the PESEL only masked (docs/saml.md) */
        char masked[12];
        gis_pesel_mask(r.pesel, masked);
        json_object_set_new(j, "person",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "given_name", r.given_name, "surname", r.surname,
                                      "date_of_birth", r.date_of_birth, "pesel_masked", masked, "verified_by",
                                      "login.gov.pl"));
        sodium_memzero(r.pesel, sizeof r.pesel);
    }
    char grants[2048];
    gis_grants_text(auth.id, p->account.id, grants, sizeof grants);
    json_t *roles = json_array();
    for (char *save = NULL, *g = strtok_r(grants, ", ", &save); g; g = strtok_r(NULL, ", ", &save)) {
        char *colon = strchr(g, ':');
        if (colon) {
            *colon = 0;
            json_array_append_new(roles, json_pack("{s:s, s:s}", "tenant", g, "role", colon + 1));
        }
    }
    json_object_set_new(j, "roles", roles);
    return j;
}

/* The login and password of a log-in request, JSON or a form. */
static enum err_code login_body(struct http_req *req, char *login, size_t lcap, char *password, size_t pcap,
                                struct err *e)
{
    if (!req->body || !req->body_len)
        return err_set(e, ERR_INVALID, "Brak danych logowania (empty body: send login and password)");
    if (content_type_is(req, "application/x-www-form-urlencoded")) {
        if (!auth_form_get(req->body, req->body_len, "login", login, lcap))
            return err_param(e, "login", "Brak loginu (login missing or too long)");
        if (!auth_form_get(req->body, req->body_len, "password", password, pcap))
            return err_param(e, "password", "Brak hasła (password missing or too long)");
    } else if (content_type_is(req, "application/json")) {
        json_error_t je;
        json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            return err_set(e, ERR_INVALID, "Nieprawidłowy JSON (the body is not a JSON object)");
        }
        const char *l = json_string_value(json_object_get(j, "login"));
        const char *pw = json_string_value(json_object_get(j, "password"));
        enum err_code rc = ERR_OK;
        if (!l || strlen(l) >= lcap)
            rc = err_param(e, "login", "Brak loginu (login missing or too long)");
        else if (!pw || strlen(pw) >= pcap)
            rc = err_param(e, "password", "Brak hasła (password missing or too long)");
        else {
            strcpy(login, l);
            strcpy(password, pw);
        }
        json_decref(j);
        if (rc)
            return rc;
    } else {
        return err_set(e, ERR_MEDIA_TYPE,
                       "Send application/json or application/x-www-form-urlencoded with login and password");
    }
    if (!*login || !text_utf8_valid(login, strlen(login)))
        return err_param(e, "login", "Nieprawidłowy login (login empty or not UTF-8)");
    if (!*password)
        return err_param(e, "password", "Brak hasła (password empty)");
    return ERR_OK;
}

static enum err_code too_many(struct http_resp *resp, struct http_req *req, int retry_s, struct err *e)
{
    http_resp_header(resp, "Retry-After", arena_printf(req->arena, "%d", retry_s));
    return err_set(e, ERR_TOO_MANY,
                   "Zbyt wiele prób logowania, spróbuj ponownie za %d s (too many log-in attempts; retry in %d s)",
                   retry_s, retry_s);
}

static enum err_code auth_login(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!auth.id)
        return err_set(e, ERR_UNAVAILABLE, "the identity store is not open");
    http_resp_header(resp, "Cache-Control", "no-store");
    const char *ip = svc_auth_client_ip(req);
    int retry = 0;
    if (!rate_take("ip", ip, auth.cfg.login_per_ip, &retry))
        return too_many(resp, req, retry, e);
    char login[GIS_LOGIN_MAX + 1], *password = arena_alloc(req->arena, AUTH_PASSWORD_MAX + 1);
    if (!password)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (login_body(req, login, sizeof login, password, AUTH_PASSWORD_MAX + 1, e))
        return e->code;
    if (!rate_take("login", login, auth.cfg.login_per_account, &retry))
        return too_many(resp, req, retry, e);
    long long now = now_ms(), locked_until = 0;
    int failures = 0;
    gis_login_failures_get(auth.id, login, now, 86400LL * 1000, &failures, &locked_until);
    if (locked_until > now)
        return too_many(resp, req, (int)((locked_until - now + 999) / 1000), e);

    /* the decoy hash (verified for unknown logins, so they cost what a wrong password costs) is made at the first
     * log-in of any kind, so that its one-time cost falls on no particular kind of login */
    pthread_once(&auth.decoy_once, decoy_make);
    struct auth_principal *p = arena_alloc(req->arena, sizeof *p);
    if (!p)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memset(p, 0, sizeof *p);
    char hash[256];
    struct err le = {0};
    bool found = gis_account_find_login(auth.id, login, &p->account, hash, sizeof hash, &le) == ERR_OK;
    bool ok;
    if (found && hash[0]) {
        ok = auth_password_verify(hash, password);
    } else {
        /* the same work and the same answer as a wrong password, so no login can be told to exist; an account
         * without a password (a resident of the national login) takes the same path */
        auth_password_verify(auth.decoy_hash, password);
        ok = false;
    }
    if (!ok) {
        failures++;
        long long until = 0;
        if (failures >= auth.cfg.lockout_after) {
            int doublings = failures - auth.cfg.lockout_after;
            long long lock = (long long)auth.cfg.lockout_s * 1000;
            for (int i = 0; i < doublings && lock < 86400LL * 1000; i++)
                lock *= 2;
            if (lock > 86400LL * 1000)
                lock = 86400LL * 1000;
            until = now + lock;
        }
        gis_login_failures_set(auth.id, login, failures, now, until, &le);
        struct auth_principal *who = found ? p : NULL;
        audit_write(req, who, "login.failed", found ? p->account.login : "",
                    until ? arena_printf(req->arena, "locked for %lld s", (until - now) / 1000) : NULL);
        sodium_memzero(password, strlen(password));
        return err_set(e, ERR_UNAUTHORIZED, "Nieprawidłowy login lub hasło (wrong login or password)");
    }
    if (crypto_pwhash_str_needs_rehash(hash, auth.cfg.opslimit, auth.cfg.memlimit) != 0) {
        char fresh[128];
        if (!auth_password_hash(password, auth.cfg.opslimit, auth.cfg.memlimit, fresh, &le))
            gis_account_set_password(auth.id, p->account.id, fresh, &le);
    }
    sodium_memzero(password, strlen(password));
    if (failures)
        gis_login_failures_clear(auth.id, login, &le);
    struct gis_account account = p->account;
    if (svc_auth_session_start(req, resp, &account, "password", &p, e))
        return e->code;
    return http_resp_json(req, resp, 200, svc_auth_session_json(p), e);
}

enum err_code svc_auth_session_start(struct http_req *req, struct http_resp *resp, const struct gis_account *account,
                                     const char *method, struct auth_principal **out, struct err *e)
{
    if (!auth.id)
        return err_set(e, ERR_UNAVAILABLE, "the identity store is not open");
    if (account->disabled || !strcmp(account->kind, "client"))
        return err_set(e, ERR_FORBIDDEN, "Konto zablokowane (this account is disabled)");
    struct auth_principal *p = arena_alloc(req->arena, sizeof *p);
    if (!p)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memset(p, 0, sizeof *p);
    p->account = *account;
    struct err le = {0};
    /* A session token the browser brought is never adopted: it is ended, and a new one made. */
    const char *cookie = http_header(req, "Cookie");
    char old[AUTH_TOKEN_LEN + 2];
    if (cookie && auth_cookie_get(cookie, AUTH_COOKIE, old, sizeof old) && auth_token_valid(old)) {
        unsigned char oh[32];
        auth_token_hash(old, oh);
        gis_session_delete(auth.id, oh, &le);
    }
    long long now = now_ms();
    char token[AUTH_TOKEN_LEN + 1];
    auth_token_new(token);
    auth_token_new(p->csrf);
    auth_token_hash(token, p->token_hash);
    p->via = AUTH_VIA_SESSION;
    p->admin = !strcmp(p->account.kind, "admin");
    p->created = p->last_seen = now;
    if (gis_session_add(auth.id, p->token_hash, p->account.id, p->csrf, now, svc_auth_client_ip(req), e)) {
        sodium_memzero(token, sizeof token);
        return e->code;
    }
    req->principal = p;
    audit_write(req, p, "login", p->account.login, method);
    http_resp_header(resp, "Set-Cookie", cookie_header(req, token, auth.cfg.session_max_s));
    http_resp_header(resp, "Cache-Control", "no-store");
    sodium_memzero(token, sizeof token);
    if (out)
        *out = p;
    return ERR_OK;
}

json_t *svc_auth_session_json(const struct auth_principal *p)
{
    return json_pack("{s:o, s:s, s:i, s:i}", "account", account_json(p), "csrf_token", p->csrf, "idle_timeout_s",
                     auth.cfg.session_idle_s, "max_age_s", auth.cfg.session_max_s);
}

enum err_code svc_auth_session_end(struct http_req *req, struct http_resp *resp, const char *detail, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p || p->via != AUTH_VIA_SESSION)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    if (gis_session_delete(auth.id, p->token_hash, e))
        return e->code;
    svc_auth_audit(req, "logout", p->account.login, detail);
    svc_auth_cookie_clear(req, resp);
    return ERR_OK;
}

enum err_code svc_auth_reconfirm(struct http_req *req, struct http_resp *resp, const char *password, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p || p->via != AUTH_VIA_SESSION)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    char hash[256];
    struct gis_account a;
    if (gis_account_find_login(auth.id, p->account.login, &a, hash, sizeof hash, e))
        return e->code;
    if (!hash[0])
        return ERR_OK;
    int retry = 0;
    if (!rate_take("login", p->account.login, auth.cfg.login_per_account, &retry)) {
        sodium_memzero(hash, sizeof hash);
        return too_many(resp, req, retry, e);
    }
    bool ok = password && strlen(password) <= AUTH_PASSWORD_MAX && auth_password_verify(hash, password);
    sodium_memzero(hash, sizeof hash);
    if (ok)
        return ERR_OK;
    svc_auth_audit(req, "reconfirm.failed", p->account.login, NULL);
    return err_at(e, ERR_FORBIDDEN, "password",
                  "Podaj swoje aktualne hasło w polu password, aby potwierdzić tę operację (the account's password "
                  "is missing or wrong)");
}

void svc_auth_cookie_clear(struct http_req *req, struct http_resp *resp)
{
    http_resp_header(resp, "Set-Cookie", cookie_header(req, "", 0));
    http_resp_header(resp, "Cache-Control", "no-store");
}

void svc_auth_single_logout(struct http_req *req, json_t *j)
{
    const char *url = NULL;
    struct err se = {0};
    switch (saml_session_logout(req, req->principal->token_hash, &url, &se)) {
    case SAML_SLO_NONE: break;
    case SAML_SLO_DONE: json_object_set_new(j, "single_logout", json_string("done")); break;
    case SAML_SLO_REDIRECT:
        json_object_set_new(j, "single_logout", json_string("redirect"));
        json_object_set_new(j, "single_logout_url", json_string(url));
        break;
    case SAML_SLO_FAILED:
        json_object_set_new(j, "single_logout", json_string("failed"));
        json_object_set_new(j, "single_logout_error", json_string(se.msg));
        break;
    }
}

static enum err_code auth_logout(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_auth_session_end(req, resp, NULL, e))
        return e->code;
    json_t *j = json_pack("{s:s}", "status", "wylogowano");
    svc_auth_single_logout(req, j);
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code auth_logout_all(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p || p->via != AUTH_VIA_SESSION)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    long long n = 0;
    if (gis_sessions_delete_account(auth.id, p->account.id, &n, e))
        return e->code;
    svc_auth_audit(req, "logout.all", p->account.login, arena_printf(req->arena, "%lld sessions", n));
    svc_auth_cookie_clear(req, resp);
    json_t *j = json_pack("{s:s, s:I}", "status", "wylogowano", "sessions", (json_int_t)n);
    svc_auth_single_logout(req, j);
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code auth_me(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    http_resp_header(resp, "Cache-Control", "no-store");
    long long idle_end = p->last_seen + (long long)auth.cfg.session_idle_s * 1000,
              max_end = p->created + (long long)auth.cfg.session_max_s * 1000;
    json_t *j = json_pack("{s:o, s:s, s:I}", "account", account_json(p), "csrf_token", p->csrf, "expires_in_s",
                          (json_int_t)(((idle_end < max_end ? idle_end : max_end) - now_ms()) / 1000));
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- GET /{t}/clerks ---- */

struct clerks_of {
    const char *tenant;
    json_t *list;
};

static void clerk_one(const struct gis_account *a, void *user)
{
    struct clerks_of *c = user;
    if (!a->disabled && (!strcmp(a->kind, "staff") || !strcmp(a->kind, "admin")) &&
        gis_grant_has(auth.id, a->id, c->tenant, "clerk"))
        json_array_append_new(c->list, json_pack("{s:s}", "login", a->login));
}

/* The clerks of the gmina (people with the clerk or gmina_admin role there, not disabled), by login: whom a
 * case can be assigned to. */
static enum err_code clerks_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct clerks_of c = {req->tenant->cfg->slug, json_array()};
    if (!c.list)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (gis_accounts_each(auth.id, clerk_one, &c, e)) {
        json_decref(c.list);
        return e->code;
    }
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, json_pack("{s:o}", "clerks", c.list), e);
}

static const struct http_param_doc p_none[] = {HTTP_DOC_END};
static const struct http_param_doc p_tenant[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc p_login[] = {
    HTTP_DOC_STATUS("429", "Too many log-in attempts from this address or for this login; Retry-After says when to "
                           "try again"),
    HTTP_DOC_END,
};

const struct http_route svc_auth_routes[] = {
    {"POST", "/auth/login", auth_login, "auth",
     "Log in with login and password (JSON or form): sets the session cookie and answers the account and its CSRF "
     "token",
     NULL, p_login, HTTP_PUBLIC},
    {"POST", "/auth/logout", auth_logout, "auth", "End this session (needs the CSRF token)", NULL, p_none,
     HTTP_ACCOUNT},
    {"POST", "/auth/logout-all", auth_logout_all, "auth",
     "End every session of this account, on every device (needs the CSRF token)", NULL, p_none, HTTP_ACCOUNT},
    {"GET", "/auth/me", auth_me, "auth", "The signed-in account, its roles and the session's CSRF token", NULL, p_none,
     HTTP_ACCOUNT},
    {"GET", "/{t}/clerks", clerks_get, "auth",
     "The gmina's clerks by login (people with the clerk or gmina_admin role there, not disabled): whom a case can "
     "be assigned to",
     NULL, p_tenant, HTTP_STAFF("clerk", "cases:read")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
