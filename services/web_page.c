/* What every server-rendered page shares: language, messages, layout data, headers, forms and the
 * in-process API (services/web_page.h). */
#include "services/web_page.h"

#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "services/auth.h"
#include "services/server.h"
#include "services/tmpl.h"
#include "util/log.h"

/* Every page: scripts, styles and images only from this server (no inline script or style), no plugins,
 * no framing, forms only to this server. */
#define WEB_CSP                                                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "               \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const char *web_root(void)
{
    const char *root = getenv("ODRA_WEB_ROOT");
    return root && *root ? root : ".";
}

static void json_release(void *j)
{
    json_decref(j);
}

/* ---- language and messages ---- */

/* The catalogues, loaded once per version of their file. */
static struct {
    pthread_mutex_t lock;
    json_t *cat[2];
    struct stat st[2];
} msgs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static json_t *catalogue(int i)
{
    static const char *const file[2] = {"pl", "en"};
    char path[1200];
    snprintf(path, sizeof path, "%s/web/messages/%s.json", web_root(), file[i]);
    struct stat st;
    bool have = stat(path, &st) == 0;
    pthread_mutex_lock(&msgs.lock);
    if (have && (!msgs.cat[i] || st.st_mtim.tv_sec != msgs.st[i].st_mtim.tv_sec ||
                 st.st_mtim.tv_nsec != msgs.st[i].st_mtim.tv_nsec || st.st_size != msgs.st[i].st_size)) {
        json_error_t je;
        json_t *c = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (json_is_object(c)) {
            json_decref(msgs.cat[i]);
            msgs.cat[i] = c;
            msgs.st[i] = st;
        } else {
            json_decref(c);
            log_error("pages: %s does not load: %s (line %d)", path, je.text, je.line);
        }
    }
    json_t *c = json_incref(msgs.cat[i]);
    pthread_mutex_unlock(&msgs.lock);
    return c;
}

/* The q-value Accept-Language gives language tag lang ("pl", "en": also pl-PL, en-GB), or -1. */
static double accept_q(const char *al, const char *lang)
{
    double best = -1;
    size_t n = strlen(lang);
    for (const char *p = al; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        if (!strncasecmp(p, lang, n) && (p[n] == '-' || p[n] == ';' || p[n] == ',' || p[n] == ' ' || !p[n])) {
            const char *q = strstr(p, ";q=");
            double v = q && q < p + len ? atof(q + 3) : 1.0;
            if (v > best)
                best = v;
        }
        p += len;
    }
    return best;
}

/* "pl" or "en": ?lang= (remembered in a cookie), the cookie, Accept-Language, else Polish. */
static const char *lang_pick(struct web_page *pg)
{
    struct http_req *req = pg->req;
    const char *q = http_query(req, "lang");
    if (q && (!strcmp(q, "pl") || !strcmp(q, "en"))) {
        http_resp_header(pg->resp, "Set-Cookie",
                         arena_printf(req->arena, "%s=%s; Path=/; Max-Age=31536000; SameSite=Lax", WEB_LANG_COOKIE, q));
        return !strcmp(q, "en") ? "en" : "pl";
    }
    const char *cookie = http_header(req, "Cookie");
    char v[8];
    if (cookie && auth_cookie_get(cookie, WEB_LANG_COOKIE, v, sizeof v) && (!strcmp(v, "pl") || !strcmp(v, "en")))
        return !strcmp(v, "en") ? "en" : "pl";
    const char *al = http_header(req, "Accept-Language");
    if (al && accept_q(al, "en") > accept_q(al, "pl"))
        return "en";
    return "pl";
}

const char *web_msg(const struct web_page *pg, const char *key)
{
    const char *s = json_string_value(json_object_get(pg->msgs, key));
    return s ? s : "";
}

const char *web_status(const struct web_page *pg, const char *kind, const char *status)
{
    if (!status)
        return "";
    const char *key = arena_printf(pg->req->arena, "%s.%s", kind, status);
    const char *s = key ? web_msg(pg, key) : "";
    return *s ? s : status;
}

/* ---- the layout ---- */

/* The current address with lang=other instead of any lang parameter. */
struct query_copy {
    struct buf *b;
    bool first;
};

static enum MHD_Result query_copy_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct query_copy *qc = cls;
    if (!strcmp(key, "lang"))
        return MHD_YES;
    buf_puts(qc->b, qc->first ? "?" : "&");
    qc->first = false;
    tmpl_url_encode(qc->b, key);
    if (value) {
        buf_puts(qc->b, "=");
        tmpl_url_encode(qc->b, value);
    }
    return MHD_YES;
}

/* This page's address without any lang parameter (*here), and with lang=other (the return). */
static const char *lang_href(struct web_page *pg, const char *other, const char **here)
{
    struct buf b = {0};
    struct query_copy qc = {&b, true};
    buf_puts(&b, pg->req->path);
    if (pg->req->conn && !pg->req->sub_query && !strcmp(pg->req->method, "GET"))
        MHD_get_connection_values(pg->req->conn, MHD_GET_ARGUMENT_KIND, query_copy_one, &qc);
    *here = arena_strdup(pg->req->arena, b.data ? b.data : "");
    buf_printf(&b, "%slang=%s", qc.first ? "?" : "&", other);
    const char *s = arena_strdup(pg->req->arena, b.data ? b.data : "");
    buf_free(&b);
    return s;
}

/* The form token of a caller without a session: the odra_form cookie's, or a new one set in the answer. */
static const char *anonymous_token(struct web_page *pg)
{
    const char *cookie = http_header(pg->req, "Cookie");
    char tok[AUTH_TOKEN_LEN + 2];
    if (cookie && auth_cookie_get(cookie, WEB_FORM_COOKIE, tok, sizeof tok) && auth_token_valid(tok))
        return arena_strdup(pg->req->arena, tok);
    char *fresh = arena_alloc(pg->req->arena, AUTH_TOKEN_LEN + 1);
    if (!fresh)
        return "";
    auth_token_new(fresh);
    http_resp_header(pg->resp, "Set-Cookie",
                     arena_printf(pg->req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict", WEB_FORM_COOKIE, fresh));
    return fresh;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

enum err_code web_page_begin(struct http_req *req, struct http_resp *resp, const char *title_key, struct web_page *pg,
                             struct err *e)
{
    memset(pg, 0, sizeof *pg);
    pg->req = req, pg->resp = resp;
    pg->lang = lang_pick(pg);
    pg->msgs = catalogue(!strcmp(pg->lang, "en"));
    pg->data = json_object();
    if (!pg->msgs || !pg->data || arena_defer(req->arena, json_release, pg->msgs) ||
        arena_defer(req->arena, json_release, pg->data)) {
        if (!pg->msgs)
            return err_set(e, ERR_UNAVAILABLE, "the pages' messages (web/messages/) are not installed");
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    pg->who = req->principal ? req->principal : svc_auth_session_peek(req);
    if (!req->principal)
        req->principal = pg->who;
    pg->form_token = pg->who ? pg->who->csrf : anonymous_token(pg);
    const char *other = !strcmp(pg->lang, "en") ? "pl" : "en";
    json_t *d = pg->data;
    json_object_set_new(d, "lang", json_string(pg->lang));
    const char *here = NULL, *lh = lang_href(pg, other, &here);
    pg->here = here ? here : req->path;
    json_object_set_new(d, "lang_href", json_string(lh ? lh : ""));
    json_object_set_new(d, "here", json_string(here ? here : ""));
    json_object_set_new(d, "lang_other", json_string(other));
    json_object_set_new(d, "title", json_string(web_msg(pg, title_key)));
    json_object_set_new(d, "csrf", json_string(pg->form_token));
    json_object_set_new(d, "path", json_string(req->path));
    if (pg->who)
        json_object_set_new(d, "me", json_pack("{s:s}", "login", pg->who->account.login));
    if (req->tenant && svc_auth_has_role(pg->who, req->tenant->cfg->slug, "clerk"))
        json_object_set_new(d, "clerk", json_true()); /* the header links the clerks' pages */
    const struct config *cfg = svc_server_config(req->server);
    json_object_set_new(d, "saml", json_boolean(cfg && cfg->saml.sp_entity_id[0]));
    if (req->tenant) {
        const struct config_tenant *t = req->tenant->cfg;
        json_object_set_new(d, "gmina",
                            json_pack("{s:s, s:s, s:o, s:b, s:b}", "slug", t->slug, "name", t->name, "organ",
                                      jstr(t->organ), "anonymous", t->anonymous_submissions, "extracts", t->extracts));
    }
    return ERR_OK;
}

static void page_headers(struct web_page *pg)
{
    struct http_resp *resp = pg->resp;
    /* a form whose answer redirects to a payment provider: Chromium holds form-action to the redirect too */
    const char *csp = pg->csp ? pg->csp : WEB_CSP;
    http_resp_header(resp, "Content-Security-Policy",
                     pg->form_origin ? arena_printf(pg->req->arena, "%s %s", csp, pg->form_origin) : csp);
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "Referrer-Policy", "same-origin");
    http_resp_header(resp, "Cache-Control", "private, no-store");
    http_resp_header(resp, "Content-Language", pg->lang);
    http_resp_header(resp, "Vary", pg->vary ? pg->vary : "Accept-Language, Cookie");
}

enum err_code web_page_send(struct web_page *pg, int status, const char *name, struct err *e)
{
    svc_auth_audit_batch_flush(pg->audits);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/web/templates", web_root());
    struct buf b = {0};
    if (tmpl_render(dir, name, pg->data, pg->msgs, &b, e)) {
        buf_free(&b);
        log_error("pages: %s", e->msg);
        return e->code == ERR_NOT_FOUND ? err_set(e, ERR_UNAVAILABLE, "the page templates are not installed") : e->code;
    }
    page_headers(pg);
    return http_resp_buf(pg->req, pg->resp, status, "text/html; charset=utf-8", &b, e);
}

enum err_code web_page_send_text(struct web_page *pg, int status, const char *name, const char *text, struct err *e)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/web/templates", web_root());
    struct buf b = {0};
    if (tmpl_render_text(dir, name, text, pg->data, pg->msgs, &b, e)) {
        buf_free(&b);
        log_error("pages: %s", e->msg);
        return e->code == ERR_NOT_FOUND ? err_set(e, ERR_UNAVAILABLE, "the page templates are not installed") : e->code;
    }
    page_headers(pg);
    return http_resp_buf(pg->req, pg->resp, status, "text/html; charset=utf-8", &b, e);
}

enum err_code web_page_error(struct web_page *pg, const struct err *failed, struct err *e)
{
    svc_auth_audit_batch_flush(pg->audits);
    int status = http_status_of(failed->code);
    char key[32];
    snprintf(key, sizeof key, "error.%d", status);
    const char *text = web_msg(pg, key);
    json_object_set_new(pg->data, "error",
                        json_pack("{s:i, s:s, s:s}", "status", status, "text",
                                  *text ? text : web_msg(pg, "error.other"), "detail",
                                  web_api_text(pg, failed->msg, status)));
    json_object_set_new(pg->data, "title", json_string(web_msg(pg, "error.title")));
    return web_page_send(pg, status, "error", e);
}

enum err_code web_page_redirect(struct web_page *pg, const char *location)
{
    svc_auth_audit_batch_flush(pg->audits);
    page_headers(pg);
    http_resp_header(pg->resp, "Location", location);
    http_resp_body(pg->resp, 303, "text/html; charset=utf-8", "", 0);
    return ERR_OK;
}

const char *web_href(struct web_page *pg, const char *fmt, const char *arg)
{
    struct buf b = {0};
    buf_printf(&b, "/%s", pg->req->tenant ? pg->req->tenant->cfg->slug : "");
    const char *hole = strstr(fmt, "%s");
    if (hole && arg) {
        buf_append(&b, fmt, (size_t)(hole - fmt));
        tmpl_url_encode(&b, arg);
        buf_puts(&b, hole + 2);
    } else {
        buf_puts(&b, fmt);
    }
    const char *s = arena_strdup(pg->req->arena, b.data ? b.data : "");
    buf_free(&b);
    return s;
}

bool web_local_path(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

const char *web_return_here(const struct web_page *pg)
{
    /* the SAML log-in keeps a return path of up to 255 bytes (services/saml.c): a longer one comes back to
     * the page without its query */
    const char *h = pg->here && strlen(pg->here) < 256 && web_local_path(pg->here) ? pg->here : pg->req->path;
    return h;
}

/* ---- the API in-process ---- */

enum err_code web_api(struct web_page *pg, const char *method, const char *path, const char *const *query,
                      const char *const *headers, const char *body, json_t **out, int *status, struct err *e)
{
    return web_api_n(pg, method, path, query, headers, body, body ? strlen(body) : 0, out, status, e);
}

enum err_code web_api_n(struct web_page *pg, const char *method, const char *path, const char *const *query,
                        const char *const *headers, const char *body, size_t len, json_t **out, int *status,
                        struct err *e)
{
    struct http_resp sub;
    *out = NULL;
    /* a read's audit rows wait for the page's answer and share one commit (svc_auth_audit_batch_new); a
     * submission's are written as over HTTP, before its answer is used */
    bool read = !strcmp(method, "GET");
    if (read && !pg->audits)
        pg->audits = svc_auth_audit_batch_new(pg->req->arena);
    if (read)
        svc_auth_audit_batch_use(pg->audits);
    enum err_code rc = http_subrequest(pg->req, method, path, query, headers, body, len, &sub, e);
    svc_auth_audit_batch_use(NULL);
    *status = rc ? http_status_of(rc) : sub.status;
    if (rc) {
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", web_api_text(pg, e->msg, *status));
        snprintf(e->msg, sizeof e->msg, "%s", msg);
        return rc;
    }
    for (int i = 0; i < sub.nheaders; i++)
        if (!strcasecmp(sub.hname[i], "Set-Cookie"))
            http_resp_header(pg->resp, sub.hname[i], sub.hvalue[i]);
    if (sub.body && sub.content_type && strstr(sub.content_type, "json")) {
        *out = json_loadb(sub.body, sub.len, 0, NULL);
        if (*out && arena_defer(pg->req->arena, json_release, *out)) {
            json_decref(*out);
            *out = NULL;
        }
    }
    if (*status >= 400) {
        static const struct {
            int status;
            enum err_code code;
        } codes[] = {{401, ERR_UNAUTHORIZED},  {403, ERR_FORBIDDEN}, {404, ERR_NOT_FOUND},
                     {409, ERR_CONFLICT},      {413, ERR_TOO_LARGE}, {415, ERR_MEDIA_TYPE},
                     {422, ERR_UNPROCESSABLE}, {429, ERR_TOO_MANY},  {503, ERR_UNAVAILABLE}};
        enum err_code code = *status >= 500 ? ERR_INTERNAL : ERR_INVALID;
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
            if (codes[i].status == *status)
                code = codes[i].code;
        const char *d = json_string_value(json_object_get(*out, "description"));
        return err_set(e, code, "%s", web_api_text(pg, d ? d : "", *status));
    }
    return ERR_OK;
}

/* How many bytes of s (n bytes) are outside ASCII (a Polish letter, a typographic quote). */
static size_t non_ascii(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (unsigned char)s[i] >= 0x80;
    return k;
}

/* Whether the n bytes at s read as English: hardly a byte outside ASCII, and one of a few common words (so
 * that "(art. 6k ust. 2a)" is not taken for English). */
static bool english(const char *s, size_t n)
{
    static const char *const words[] = {" the ", " must ",   " is ",    " not ", " with ", " an ", " or ",
                                        " of ",  "required", "missing", "wrong", "empty",  " only"};
    if (n < 6 || non_ascii(s, n) * 10 > n)
        return false;
    char buf[512];
    snprintf(buf, sizeof buf, " %.*s ", (int)(n < sizeof buf - 3 ? n : sizeof buf - 3), s);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(buf, words[i]))
            return true;
    return false;
}

const char *web_api_text(const struct web_page *pg, const char *desc, int status)
{
    if (!desc || strcmp(pg->lang, "en"))
        return desc ? desc : "";
    if (!non_ascii(desc, strlen(desc)) && english(desc, strcspn(desc, "("))) /* English already */
        return desc;
    /* "Polish (English)" or "Polish (English): more English": the first bracket that reads as English, with
     * what follows it when that has no Polish letters */
    for (const char *open = strchr(desc, '('); open; open = strchr(open + 1, '(')) {
        const char *close = strchr(open, ')');
        if (!close || !english(open + 1, (size_t)(close - open - 1)))
            continue;
        const char *tail = close + 1;
        bool tail_ok = *tail && !non_ascii(tail, strlen(tail));
        return arena_printf(pg->req->arena, "%.*s%s", (int)(close - open - 1), open + 1, tail_ok ? tail : "");
    }
    char key[32];
    snprintf(key, sizeof key, "error.%d", status);
    const char *text = web_msg(pg, key);
    return *text ? text : web_msg(pg, "error.other");
}

/* ---- forms ---- */

const char *web_form(struct web_page *pg, const char *name)
{
    struct http_req *req = pg->req;
    const char *ct = http_header(req, "Content-Type");
    if (!req->body || !ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33))
        return NULL;
    char *out = arena_alloc(req->arena, req->body_len + 1);
    if (!out || !auth_form_get(req->body, req->body_len, name, out, req->body_len + 1))
        return NULL;
    return out;
}

enum err_code web_form_check(struct web_page *pg, struct err *e)
{
    const char *given = http_header(pg->req, "X-CSRF-Token"); /* as the API takes it */
    if (!given)
        given = web_form(pg, "csrf");
    const char *want = pg->form_token;
    size_t n = want ? strlen(want) : 0;
    if (!given || !n || strlen(given) != n || sodium_memcmp(given, want, n) != 0)
        return err_set(e, ERR_FORBIDDEN,
                       "Formularz wygasł lub nie pochodzi z tej strony: otwórz go ponownie (missing or wrong CSRF "
                       "token)");
    return ERR_OK;
}

const char *web_num(const struct web_page *pg, double v, int d)
{
    bool pl = !strcmp(pg->lang, "pl");
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", d, fabs(v));
    const char *dot = strchr(raw, '.');
    size_t ilen = dot ? (size_t)(dot - raw) : strlen(raw);
    struct buf b = {0};
    if (v < 0 && strspn(raw, "0.") != strlen(raw))
        buf_puts(&b, "-");
    for (size_t i = 0; i < ilen; i++) {
        if (i && (ilen - i) % 3 == 0)
            buf_puts(&b, pl ? "\xC2\xA0" : ",");
        buf_append(&b, raw + i, 1);
    }
    if (dot)
        buf_printf(&b, "%s%s", pl ? "," : ".", dot + 1);
    const char *s = arena_strdup(pg->req->arena, b.data ? b.data : "0");
    buf_free(&b);
    return s;
}

/* ---- the entry page ---- */

enum err_code web_index(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "index.title", &pg, e))
        return e->code;
    json_t *list = json_array();
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        const struct config_tenant *t = svc_server_tenant(req->server, i)->cfg;
        json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:s}", "slug", t->slug, "name", t->name, "organ",
                                              jstr(t->organ), "teryt", t->teryt));
    }
    json_object_set_new(pg.data, "gminas", list);
    return web_page_send(&pg, 200, "index", e);
}
