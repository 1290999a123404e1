/* RODO (GDPR) for a signed-in person: the export of everything held about them (GET /auth/me/export,
 * art. 15 and 20) and the erasure (POST /auth/me/erasure, art. 17), across the identity store and every
 * gmina's store, the core's cases directly and each module through its personal_data and erase hooks
 * (services/module.h). What is kept and why: docs/rodo.md. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gis/audit.h"
#include "gis/case_store.h"
#include "gis/identity.h"
#include "services/auth.h"
#include "services/cases.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"

/* The newest audit rows an export lists (the log is append-only and grows without bound), and the most
 * cases per gmina (the newest; more are marked "cases_truncated"). */
#define EXPORT_AUDIT_ROWS 5000
#define EXPORT_CASES      1000
/* The words that confirm an erasure. */
#define ERASURE_CONFIRM "USUŃ"

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static json_t *jtime_ms(long long ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char out[32];
    gmtime_r(&t, &tm);
    strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(out);
}

/* ---- the export ---- */

static void session_add(const struct gis_session_info *s, void *user)
{
    json_array_append_new(user, json_pack("{s:o, s:o, s:s}", "created", jtime_ms(s->created), "last_seen",
                                          jtime_ms(s->last_seen), "ip", s->ip));
}

static void audit_add(const struct gis_audit_row *r, void *user)
{
    const struct gis_audit_entry *a = &r->entry;
    json_array_append_new(user, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id, "at",
                                          jstr(r->at), "actor", jstr(a->actor), "action", jstr(a->action), "gmina",
                                          jstr(a->tenant), "record", jstr(a->record), "ip", jstr(a->ip), "detail",
                                          jstr(a->detail)));
}

/* The identity store's part: the account (no password hash), the verified person with the PESEL in full
 * (it is the subject's own), roles, sessions (never their tokens) and the audit rows about the account. */
static enum err_code identity_part(struct http_req *req, json_t *out, struct err *e)
{
    struct gis_identity *id = svc_auth_identity();
    const struct auth_principal *p = req->principal;
    struct gis_account a;
    char created[32];
    if (!id)
        return err_set(e, ERR_UNAVAILABLE, "the identity store is not open");
    if (gis_account_by_id(id, p->account.id, &a, created, e))
        return e->code;
    json_object_set_new(out, "account",
                        json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)a.id, "login", a.login, "kind", a.kind,
                                  "created", created, "disabled", a.disabled));
    struct gis_resident r;
    struct err re = {0};
    if (gis_resident_get(id, a.id, &r, &re) == ERR_OK) {
        json_object_set_new(out, "person",
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "pesel", r.pesel, "given_name", r.given_name,
                                      "surname", r.surname, "date_of_birth", r.date_of_birth, "verified_by",
                                      "login.gov.pl"));
        sodium_memzero(&r, sizeof r);
    } else {
        json_object_set_new(out, "person", json_null());
    }
    char grants[2048];
    gis_grants_text(id, a.id, grants, sizeof grants);
    json_object_set_new(out, "roles", json_string(grants));
    json_t *sessions = json_array(), *audit = json_array();
    json_object_set_new(out, "sessions", sessions);
    json_object_set_new(out, "audit", audit);
    if (gis_sessions_each(id, a.id, session_add, sessions, e) ||
        gis_audit_each_about(id, a.login, EXPORT_AUDIT_ROWS, audit_add, audit, e))
        return e->code;
    return ERR_OK;
}

/* The cases the account filed in req->tenant, each with its applicant, request and history. */
static enum err_code cases_part(struct http_req *req, struct gis_store *s, long long account, json_t *out,
                                struct err *e)
{
    struct gis_case_filter f = {.applicant_account = account, .limit = EXPORT_CASES};
    struct gis_case *v;
    int n;
    if (gis_case_list(s, req->arena, &f, &v, &n, e))
        return e->code;
    for (int i = 0; i < n; i++) {
        struct gis_case c;
        struct gis_case_event *ev;
        int nev;
        if (gis_case_find(s, req->arena, false, v[i].id, &c, e) || gis_case_events(s, req->arena, c.id, &ev, &nev, e))
            return e->code;
        json_t *cj = svc_case_json(req, &c, true, ev, nev);
        if (!cj)
            return err_set(e, ERR_INTERNAL, "out of memory building JSON");
        json_t *rq = c.request_json ? json_loads(c.request_json, 0, NULL) : NULL;
        json_object_set_new(cj, "request", rq ? rq : json_null());
        json_array_append_new(out, cj);
    }
    return ERR_OK;
}

/* One gmina's part: {gmina, name, cases, modules: {name: what the module holds}}; a module that fails
 * gets {"error": ...} there, as in a card of /locate. */
static json_t *tenant_part(struct http_req *req, struct svc_tenant *t, long long account, int *ncases)
{
    json_t *j = json_pack("{s:s, s:s}", "gmina", t->cfg->slug, "name", t->cfg->name);
    struct err e = {0};
    struct gis_store *s = t->unavailable ? NULL : svc_tenant_reader(t, &e);
    if (!s) {
        json_object_set_new(j, "error", json_string("dane tej gminy są chwilowo niedostępne (store unavailable)"));
        return j;
    }
    json_t *cases = json_array(), *mods = json_object();
    json_object_set_new(j, "cases", cases);
    json_object_set_new(j, "modules", mods);
    req->tenant = t; /* svc_case_json links into the gmina */
    if (cases_part(req, s, account, cases, &e))
        json_object_set_new(j, "error", json_string(e.msg));
    *ncases += (int)json_array_size(cases);
    if (json_array_size(cases) >= EXPORT_CASES) /* gis_case_list's most; a clerk exports the rest */
        json_object_set_new(j, "cases_truncated", json_true());
    for (const struct svc_module *const *m = svc_modules; *m; m++) {
        if (!(*m)->personal_data || !svc_module_enabled(t->cfg, *m))
            continue;
        json_t *mo = json_object();
        struct err me = {0};
        if ((*m)->personal_data(t, s, account, mo, &me)) {
            json_decref(mo);
            mo = json_pack("{s:{s:s, s:s}}", "error", "code", err_name(me.code), "description", me.msg);
        }
        json_object_set_new(mods, (*m)->name, mo);
    }
    req->tenant = NULL;
    return j;
}

static enum err_code me_export(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    json_t *j = json_object();
    if (arena_defer(req->arena, (void (*)(void *))json_decref, j))
        return err_set(e, ERR_INTERNAL, "out of memory");
    json_object_set_new(j, "generated_at", jtime_ms((long long)time(NULL) * 1000));
    json_object_set_new(j, "about",
                        json_string("Wszystkie dane o Tobie przechowywane przez ten serwer (art. 15 i 20 RODO); "
                                    "co przechowujemy i dlaczego: docs/rodo.md"));
    if (identity_part(req, j, e))
        return e->code;
    json_t *gminas = json_array();
    json_object_set_new(j, "gminas", gminas);
    int ncases = 0;
    for (int i = 0; i < svc_server_tenant_count(req->server); i++)
        json_array_append_new(gminas, tenant_part(req, svc_server_tenant(req->server, i), p->account.id, &ncases));
    char *text = json_dumps(j, JSON_INDENT(1));
    if (!text)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    const char *body = arena_strdup(req->arena, text);
    size_t len = strlen(text);
    free(text);
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    req->audit_note = arena_printf(req->arena, "RODO export: account #%lld, %d cases", p->account.id, ncases);
    http_resp_body(resp, 200, "application/json", body, len);
    http_resp_header(resp, "Content-Disposition", "attachment; filename=\"odra-moje-dane.json\"");
    http_resp_header(resp, "Cache-Control", "no-store");
    return ERR_OK;
}

/* ---- the erasure ---- */

/* The body must confirm with {"confirm": "USUŃ"}; a password account must also give its password
 * (svc_auth_reconfirm). */
static enum err_code erasure_confirmed(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_error_t je;
    json_t *b = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!b || arena_defer(req->arena, (void (*)(void *))json_decref, b)) {
        json_decref(b);
        return err_param(e, "body", "Nieprawidłowy JSON (the body is not valid JSON)");
    }
    const char *confirm = json_string_value(json_object_get(b, "confirm"));
    if (!confirm || strcmp(confirm, ERASURE_CONFIRM) != 0)
        return err_at(e, ERR_UNPROCESSABLE, "confirm",
                      "Aby usunąć swoje dane, potwierdź żądanie, wpisując „%s” w polu confirm (confirm the erasure "
                      "with {\"confirm\": \"%s\"})",
                      ERASURE_CONFIRM, ERASURE_CONFIRM);
    return svc_auth_reconfirm(req, resp, json_string_value(json_object_get(b, "password")), e);
}

/* The open cases of the account in every gmina, as "number (gmina)" joined by ", ", or NULL when none. */
static const char *open_cases(struct http_req *req, long long account, struct err *e)
{
    struct buf b = {0};
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        struct svc_tenant *t = svc_server_tenant(req->server, i);
        struct gis_store *s = t->unavailable ? NULL : svc_tenant_reader(t, e);
        if (!s && !e->code)
            err_set(e, ERR_UNAVAILABLE, "Dane gminy %s są chwilowo niedostępne; spróbuj później (store unavailable)",
                    t->cfg->name);
        struct gis_case_filter f = {.applicant_account = account, .open_only = true, .limit = 1000};
        struct gis_case *v;
        int n;
        if (!s || gis_case_list(s, req->arena, &f, &v, &n, e)) {
            buf_free(&b);
            return NULL;
        }
        for (int k = 0; k < n; k++)
            buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", v[k].case_number, t->cfg->name);
    }
    const char *r = b.len ? arena_strdup(req->arena, b.data) : NULL;
    buf_free(&b);
    return r;
}

/* One gmina's part of an erasure, on its writer in one transaction: the core's cases, then each module. */
struct erase_job {
    struct svc_tenant *t;
    long long account;
    const char *login, *pseudonym;
    int cases;
};

static enum err_code erase_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct erase_job *job = ctx;
    int n = 0;
    if (gis_cases_erase_applicant(w, job->account, job->login, job->pseudonym, &n, e)) {
        if (e->code == ERR_CONFLICT) { /* a case filed since the check: e's message is its number */
            char numbers[sizeof e->msg];
            snprintf(numbers, sizeof numbers, "%s", e->msg);
            err_clear(e);
            return err_set(e, ERR_CONFLICT, "Nie można teraz usunąć danych: sprawy w toku w gminie %s: %s",
                           job->t->cfg->name, numbers);
        }
        return e->code;
    }
    job->cases += n;
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->erase && svc_module_enabled(job->t->cfg, *m) && (*m)->erase(job->t, w, job->account, e))
            return e->code;
    return ERR_OK;
}

static enum err_code me_erasure(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p || p->via != AUTH_VIA_SESSION)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    if (strcmp(p->account.kind, "resident") != 0)
        return err_set(e, ERR_FORBIDDEN,
                       "Konto pracownika lub administratora zamyka administrator serwera (odra user disable); tu "
                       "swoje dane usuwają mieszkańcy (staff and admin accounts are closed by an administrator)");
    if (erasure_confirmed(req, resp, e))
        return e->code;
    const char *open = open_cases(req, p->account.id, e);
    if (e->code)
        return e->code;
    if (open)
        return err_set(e, ERR_CONFLICT,
                       "Nie można teraz usunąć danych: masz sprawy w toku: %s. Dane z akt sprawy można "
                       "zanonimizować dopiero po jej zakończeniu — złóż żądanie ponownie, gdy sprawy zostaną "
                       "załatwione lub wycofane.",
                       open);
    struct erase_job job = {.account = p->account.id, .login = p->account.login};
    job.pseudonym = arena_printf(req->arena, "osoba usunięta #%lld", p->account.id);
    json_t *gminas = json_array();
    if (arena_defer(req->arena, (void (*)(void *))json_decref, gminas))
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        job.t = svc_server_tenant(req->server, i);
        int before = job.cases;
        /* A failure leaves the gminas done so far done and the account open, so that the request can be made
         * again: every step is idempotent. */
        if (svc_tenant_write(job.t, erase_run, &job, e))
            return e->code;
        if (job.cases > before)
            json_array_append_new(gminas, json_string(job.t->cfg->slug));
    }
    long long sessions = 0;
    const char *new_login = arena_printf(req->arena, "usuniete-%lld", p->account.id);
    if (gis_account_erase(svc_auth_identity(), p->account.id, new_login, &sessions, e))
        return e->code;
    svc_auth_audit(req, "rodo.erasure", arena_printf(req->arena, "account #%lld", p->account.id),
                   arena_printf(req->arena, "%d cases pseudonymised, %lld sessions ended, login now %s", job.cases,
                                sessions, new_login));
    json_t *j =
        json_pack("{s:s, s:s, s:i, s:O, s:I, s:s}", "status", "usunięto", "pseudonym", job.pseudonym,
                  "cases_pseudonymised", job.cases, "gminas", gminas, "sessions_ended", (json_int_t)sessions, "note",
                  "Sprawy i wydane dokumenty zostają w archiwum gminy (art. 17 ust. 3 lit. b RODO) pod "
                  "pseudonimem; dane osobowe usunięto, konto zamknięto.");
    svc_auth_single_logout(req, j);
    svc_auth_cookie_clear(req, resp);
    return http_resp_json(req, resp, 200, j, e);
}

static const struct http_param_doc p_none[] = {HTTP_DOC_END};

const struct http_route svc_rodo_routes[] = {
    {"GET", "/auth/me/export", me_export, "auth",
     "RODO: everything held about the signed-in account, as one JSON attachment: the account, the verified person "
     "(PESEL in full), sessions, audit entries, and in every gmina the cases with history, fee and documents and "
     "what each e-service holds",
     NULL, p_none, HTTP_ACCOUNT_PERSONAL},
    {"POST", "/auth/me/erasure", me_erasure, "auth",
     "RODO: erase the signed-in resident's personal data: JSON {confirm: \"USUŃ\", password (password accounts)}; "
     "cases and issued documents stay under a pseudonym, the account is closed and its sessions end; 409 listing "
     "the cases still open",
     NULL, p_none, HTTP_ACCOUNT},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
