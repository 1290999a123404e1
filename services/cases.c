/* Cases over HTTP: the resident's own cases (GET /{t}/me, /{t}/me/cases/{id}), the clerk's queue
 * (GET /{t}/cases) and the clerk's actions on a case: assign, status, fee, decision. Every staff request
 * is in the audit log (the dispatcher records it), and each action adds its own entry naming the case.
 * A resident sees only cases filed with their account: another's case by id is a 404, as for a case that
 * does not exist. */
#include "services/cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "gis/extract.h"
#include "gis/identity.h"
#include "gis/receipt.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/payments.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/text.h"

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static struct gis_store *reader(struct svc_tenant *t, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(t, e);
    if (!s && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", t->cfg->name);
    return s;
}

bool svc_case_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n != 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

json_t *svc_case_json(struct http_req *req, const struct gis_case *c, bool with_applicant,
                      const struct gis_case_event *events, int nevents)
{
    const char *base = req->tenant->cfg->public_url;
    const char *slug = req->tenant->cfg->slug;
    json_t *docs = json_loads(c->documents_json ? c->documents_json : "[]", 0, NULL);
    json_t *links = json_object();
    if (links && !strcmp(c->module, "extracts")) {
        json_object_set_new(links, "extract",
                            json_string(arena_printf(req->arena, "%s/%s/extracts/%s", base, slug, c->id)));
        /* the sealed receipt of the request (docs/seal.md), by the same secret */
        json_object_set_new(links, "receipt",
                            json_string(arena_printf(req->arena, "%s/%s/extracts/%s/receipt.pdf", base, slug, c->id)));
    }
    int today = 0, due = 0;
    char tbuf[11];
    time_t now = time(NULL);
    struct tm lt;
    localtime_r(&now, &lt);
    snprintf(tbuf, sizeof tbuf, "%04d-%02d-%02d", lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
    bool dated = gis_cal_parse_date(tbuf, &today) && c->deadline && gis_cal_parse_date(c->deadline, &due);
    bool open = gis_case_status_open(c->status);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:i, s:s, s:s}, s:o, s:o, s:o, s:o}", "id", c->id,
                          "case_number", c->case_number, "module", c->module, "status", c->status, "created_at",
                          c->created_at, "deadline", c->deadline ? c->deadline : "", "days_left",
                          open && dated ? json_integer(due - today) : json_null(), "fee", "amount_pln", c->fee_pln,
                          "currency", "PLN", "status", c->fee_status ? c->fee_status : "due", "documents",
                          docs ? docs : json_array(), "assigned_to", jstr(c->assigned_login), "reason", jstr(c->reason),
                          "links", links ? links : json_object());
    if (j)
        svc_pay_fee_fields(req->arena, json_object_get(j, "fee"), c);
    if (j && with_applicant)
        json_object_set_new(j, "applicant",
                            json_pack("{s:o, s:o, s:o}", "login", jstr(c->applicant_login), "name",
                                      jstr(c->applicant_name), "email", jstr(c->applicant_email)));
    if (j && events) {
        json_t *h = json_array();
        for (int i = 0; h && i < nevents; i++)
            json_array_append_new(h, json_pack("{s:o, s:o, s:o, s:o}", "at", jstr(events[i].at), "by",
                                               jstr(events[i].actor), "status", jstr(events[i].status), "note",
                                               jstr(events[i].note)));
        json_object_set_new(j, "history", h ? h : json_array());
    }
    return j;
}

/* The case with its history as JSON, read on s. */
static enum err_code case_full_json(struct http_req *req, struct gis_store *s, const struct gis_case *c,
                                    bool with_applicant, json_t **out, struct err *e)
{
    struct gis_case_event *ev;
    int n;
    if (gis_case_events(s, req->arena, c->id, &ev, &n, e))
        return e->code;
    *out = svc_case_json(req, c, with_applicant, ev, n);
    if (!*out)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    if (svc_case_thread_add(req, s, c->id, *out, e)) {
        json_decref(*out);
        *out = NULL;
        return e->code;
    }
    return ERR_OK;
}

/* ---- the resident's view ---- */

static enum err_code me_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_case_filter f = {.applicant_account = p->account.id, .limit = 1000};
    struct gis_case *v;
    int n;
    if (gis_case_list(s, req->arena, &f, &v, &n, e))
        return e->code;
    json_t *cases = json_array();
    int due_pln = 0;
    long remaining_gr = 0; /* what is still to pay: the fee less what its virtual account received */
    for (int i = 0; cases && i < n; i++) {
        json_t *cj = svc_case_json(req, &v[i], false, NULL, 0);
        if (!cj || json_array_append_new(cases, cj)) {
            json_decref(cases);
            cases = NULL;
        }
        if (v[i].fee_status && !strcmp(v[i].fee_status, "due") && strcmp(v[i].status, GIS_CASE_REFUSED) &&
            strcmp(v[i].status, GIS_CASE_WITHDRAWN)) {
            long rest = v[i].pay_nrb ? v[i].pay_due_gr - v[i].pay_paid_gr : (long)v[i].fee_pln * 100;
            due_pln += v[i].fee_pln;
            remaining_gr += rest > 0 ? rest : 0;
        }
    }
    /* what each enabled module shows this resident (the waste balance, ...): their `me` hooks */
    json_t *mods = cases ? svc_modules_me(req->tenant, s, p->account.id) : NULL;
    json_t *j = mods ? json_pack("{s:{s:s, s:s}, s:s, s:o, s:{s:i, s:I, s:s}, s:o}", "account", "login",
                                 p->account.login, "kind", p->account.kind, "gmina", req->tenant->cfg->slug, "cases",
                                 cases, "fees_due", "amount_pln", due_pln, "remaining_gr", (json_int_t)remaining_gr,
                                 "currency", "PLN", "modules", mods)
                     : NULL;
    if (!mods)
        json_decref(cases);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    svc_auth_audit(req, "me.read", p->account.login, arena_printf(req->arena, "%d cases", n));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* The signed-in caller's own case named by the path's {id} into *c, read on *s: another's case, or none, is
 * the same 404. */
static enum err_code own_case(struct http_req *req, struct gis_store **s, struct gis_case *c, struct err *e)
{
    const struct auth_principal *p = req->principal;
    const char *id = http_capture(req, "id");
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    if (!(*s = reader(req->tenant, e)))
        return e->code;
    if (!svc_case_id_ok(id) || gis_case_find(*s, req->arena, false, id, c, e) || c->applicant_account != p->account.id)
        return err_set(e, ERR_NOT_FOUND, "nie ma takiej sprawy (no such case of yours)");
    return ERR_OK;
}

static enum err_code me_case_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *s;
    struct gis_case c;
    json_t *j;
    if (own_case(req, &s, &c, e) || case_full_json(req, s, &c, false, &j, e))
        return e->code;
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* GET /{t}/me/cases/{id}/receipt.pdf: the applicant's copy of the receipt of one of their own cases. */
static enum err_code me_case_receipt(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *s;
    struct gis_case c;
    if (own_case(req, &s, &c, e))
        return e->code;
    return svc_case_receipt_send(req, resp, c.id, e);
}

/* ---- the clerk's queue ---- */

static bool slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

/* What the audit row of a queue read names: how many cases it showed and the numbers of the first ones. */
static const char *queue_note(struct http_req *req, const struct gis_case *c, int n)
{
    enum { NAMED = 100 };
    struct buf b = {0};
    buf_printf(&b, "%d cases", n);
    for (int i = 0; i < n && i < NAMED; i++)
        buf_printf(&b, "%s%s", i ? ", " : ": ", c[i].case_number);
    if (n > NAMED)
        buf_printf(&b, " and %d more", n - NAMED);
    const char *note = b.data ? arena_strdup(req->arena, b.data) : NULL;
    buf_free(&b);
    return note;
}

static enum err_code cases_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_case_filter f = {.queue_order = true};
    const char *v;
    int day;
    if ((v = http_query(req, "status")) && *v) {
        if (!strcmp(v, "open"))
            f.open_only = true;
        else if (!gis_case_status_valid(v))
            return err_param(e, "status",
                             "status must be open, złożony, w toku, do uzupełnienia, załatwiony, odmowa or wycofany");
        else
            f.status = v;
    }
    if ((v = http_query(req, "module")) && *v) {
        if (!slug_ok(v))
            return err_param(e, "module", "module must be a module name such as extracts");
        f.module = v;
    }
    if ((v = http_query(req, "assigned")) && *v) {
        if (!strcmp(v, "none"))
            f.unassigned = true;
        else if (!strcmp(v, "me") && req->principal)
            f.assigned_login = req->principal->account.login;
        else if (strlen(v) > GIS_LOGIN_MAX || !text_utf8_valid(v, strlen(v)))
            return err_param(e, "assigned", "assigned must be me, none or a clerk's login");
        else
            f.assigned_login = v;
    }
    if ((v = http_query(req, "due_before")) && *v) {
        if (!gis_cal_parse_date(v, &day))
            return err_param(e, "due_before", "due_before must be a date YYYY-MM-DD");
        f.due_before = v;
    }
    if ((v = http_query(req, "limit")) && *v) {
        char *end;
        long l = strtol(v, &end, 10);
        if (*end || l < 1 || l > 1000)
            return err_param(e, "limit", "limit must be an integer from 1 to 1000");
        f.limit = (int)l;
    }
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_case *c;
    int n;
    if (gis_case_list(s, req->arena, &f, &c, &n, e))
        return e->code;
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++) {
        json_t *cj = svc_case_json(req, &c[i], true, NULL, 0);
        if (!cj || json_array_append_new(arr, cj)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    json_t *j = arr ? json_pack("{s:s, s:i, s:o}", "gmina", req->tenant->cfg->slug, "count", n, "cases", arr) : NULL;
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    req->audit_note = queue_note(req, c, n);
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code case_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *id = http_capture(req, "id");
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_case c;
    if (!svc_case_id_ok(id) || gis_case_find(s, req->arena, false, id, &c, e))
        return err_set(e, ERR_NOT_FOUND, "no case with this id");
    json_t *j;
    if (case_full_json(req, s, &c, true, &j, e))
        return e->code;
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

enum err_code svc_case_receipt_send(struct http_req *req, struct http_resp *resp, const char *id, struct err *e)
{
    struct gis_store *s = reader(req->tenant, e);
    struct gis_receipt_stored r;
    struct gis_case c;
    if (!s)
        return e->code;
    if (!svc_case_id_ok(id) || gis_case_find(s, req->arena, false, id, &c, e) ||
        gis_receipt_find(s, req->arena, id, true, &r, e))
        return err_set(e, ERR_NOT_FOUND, "no receipt for this case");
    char fname[96];
    size_t o = 0;
    for (const char *p = c.case_number; *p && o + 1 < sizeof fname; p++)
        fname[o++] =
            (char)((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_');
    fname[o] = 0;
    http_resp_body(resp, 200, "application/pdf", (const char *)r.pdf, r.pdf_len);
    http_resp_header(resp, "ETag", arena_printf(req->arena, "\"%s\"", r.sha256));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    http_resp_header(resp, "X-Robots-Tag", "noindex");
    http_resp_header(resp, "Content-Disposition",
                     arena_printf(req->arena, "inline; filename=\"potwierdzenie-%s.pdf\"", fname));
    return ERR_OK;
}

/* GET /{t}/cases/{id}/receipt.pdf: the clerk's copy of the receipt. */
static enum err_code case_receipt(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return svc_case_receipt_send(req, resp, http_capture(req, "id"), e);
}

/* ---- the clerk's actions ---- */

enum case_action { ACT_ASSIGN, ACT_STATUS, ACT_FEE, ACT_DECISION };

/* One action on the tenant's writer: the case read, changed and written back with its history entry, and
 * the answer (the case with its history) read in the same transaction. */
struct case_op {
    struct http_req *req;
    enum case_action act;
    const char *id;
    const char *value, *note; /* status / fee status / decision; note or reason */
    long long account;        /* ACT_ASSIGN: the clerk's account */
    const char *login;        /* ACT_ASSIGN: the clerk's login */
    const char *case_number;  /* out, for the audit */
    const char *audit;        /* out: what was done */
    json_t *j;                /* out */
};

static const char *actor(struct http_req *req)
{
    return req->principal ? req->principal->account.login : "system";
}

static enum err_code case_op_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct case_op *op = ctx;
    struct http_req *req = op->req;
    struct arena *a = req->arena;
    struct gis_case c;
    if (gis_case_find(w, a, false, op->id, &c, e))
        return e->code;
    op->case_number = c.case_number;
    bool open = gis_case_status_open(c.status);
    switch (op->act) {
    case ACT_ASSIGN:
        if (!open)
            return err_set(e, ERR_CONFLICT, "sprawa %s jest zakończona (%s)", c.case_number, c.status);
        c.assigned_account = op->account;
        c.assigned_login = op->login;
        if (!strcmp(c.status, GIS_CASE_FILED))
            c.status = GIS_CASE_OPEN;
        if (gis_case_update(w, &c, e) ||
            gis_case_event_add(w, c.id, actor(req), c.status, arena_printf(a, "przydzielona: %s", op->login), e))
            return e->code;
        op->audit = arena_printf(a, "assigned to %s", op->login);
        break;
    case ACT_STATUS:
        if (!open)
            return err_set(e, ERR_CONFLICT, "sprawa %s jest zakończona (%s)", c.case_number, c.status);
        if (!strcmp(c.module, "extracts") &&
            (!strcmp(op->value, GIS_CASE_DONE) || !strcmp(op->value, GIS_CASE_REFUSED)))
            return err_at(e, ERR_UNPROCESSABLE, "status",
                          "an extract is issued or refused by a decision (POST /{t}/cases/{id}/decision)");
        c.status = op->value;
        if (gis_case_update(w, &c, e) || gis_case_event_add(w, c.id, actor(req), c.status, op->note, e))
            return e->code;
        op->audit = arena_printf(a, "status %s", op->value);
        break;
    case ACT_FEE:
        if (!c.fee_status || strcmp(c.fee_status, "due") != 0)
            return err_set(e, ERR_CONFLICT, "the fee of case %s is already settled (%s)", c.case_number,
                           c.fee_status ? c.fee_status : "?");
        if (!open)
            return err_set(e, ERR_CONFLICT, "sprawa %s jest zakończona (%s)", c.case_number, c.status);
        c.fee_status = op->value;
        if (gis_case_fee_set(w, c.id, c.fee_pln, c.fee_status, e) ||
            gis_case_event_add(w, c.id, actor(req), c.status,
                               arena_printf(a, "opłata %d zł: %s%s%s", c.fee_pln,
                                            !strcmp(op->value, "paid") ? "uiszczona" : "zwolnienie z opłaty",
                                            op->note ? " — " : "", op->note ? op->note : ""),
                               e))
            return e->code;
        op->audit = arena_printf(a, "fee %s", op->value);
        /* issued once the fee is settled and the electronic seal is available; without the seal the case
         * waits (a clerk's decision may still issue it, unsealed) */
        if (!strcmp(c.module, "extracts") && req->tenant->cfg->extract_issue == CONFIG_ISSUE_ON_PAYMENT) {
            if (!req->tenant->seal) {
                if (gis_case_event_add(w, c.id, actor(req), c.status,
                                       "wydanie czeka na pieczęć elektroniczną urzędu (nie jest skonfigurowana)", e))
                    return e->code;
                op->audit = arena_printf(a, "fee %s, extract waits for the seal", op->value);
            } else {
                if (svc_extract_issue_case(req, w, &c, "wydany po rozliczeniu opłaty (extract_issue = on_payment)", e))
                    return e->code;
                op->audit = arena_printf(a, "fee %s, extract issued", op->value);
            }
        }
        break;
    case ACT_DECISION:
        if (!strcmp(op->value, "issue")) {
            if (strcmp(c.module, "extracts") != 0)
                return err_set(e, ERR_CONFLICT, "case %s has no document to issue here", c.case_number);
            if (svc_extract_issue_case(req, w, &c, op->note ? op->note : "wydany decyzją urzędnika", e))
                return e->code;
            op->audit = "decision: issued";
        } else {
            if (!open)
                return err_set(e, ERR_CONFLICT, "sprawa %s jest zakończona (%s)", c.case_number, c.status);
            c.status = GIS_CASE_REFUSED;
            c.reason = op->note;
            if (gis_case_update(w, &c, e) || gis_case_event_add(w, c.id, actor(req), c.status, op->note, e))
                return e->code;
            op->audit = "decision: refused";
        }
        break;
    }
    struct gis_case now;
    if (gis_case_find(w, a, false, op->id, &now, e))
        return e->code;
    return case_full_json(req, w, &now, true, &op->j, e);
}

enum err_code svc_case_body_object(struct http_req *req, json_t **out, struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_error_t jerr;
    json_t *b = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!b)
        return err_param(e, "body", "the body is not valid JSON");
    if (arena_defer(req->arena, (void (*)(void *))json_decref, b))
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!json_is_object(b))
        return err_param(e, "body", "the body must be a JSON object");
    *out = b;
    return ERR_OK;
}

/* Optional text field name of b, cleaned (control characters dropped, at most max characters); *out NULL
 * when absent or empty. */
static enum err_code body_text(struct http_req *req, json_t *b, const char *name, int max, const char **out,
                               struct err *e)
{
    json_t *v = json_object_get(b, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_string(v))
        return err_at(e, ERR_UNPROCESSABLE, name, "%s must be a string", name);
    if (json_string_length(v) > (size_t)max * 4)
        return err_at(e, ERR_UNPROCESSABLE, name, "%s is too long (at most %d characters)", name, max);
    const char *c = gis_extract_clean(req->arena, json_string_value(v), max);
    *out = c && *c ? c : NULL;
    return ERR_OK;
}

static enum err_code case_op_do(struct http_req *req, struct http_resp *resp, struct case_op *op, struct err *e)
{
    op->req = req;
    op->id = http_capture(req, "id");
    if (!svc_case_id_ok(op->id))
        return err_set(e, ERR_NOT_FOUND, "no case with this id");
    if (svc_tenant_write(req->tenant, case_op_run, op, e)) {
        json_decref(op->j);
        return e->code;
    }
    svc_auth_audit(req, "case.action", op->case_number, op->audit);
    return http_resp_json(req, resp, 200, op->j, e);
}

static enum err_code case_assign(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    const char *login;
    if (svc_case_body_object(req, &b, e) || body_text(req, b, "login", GIS_LOGIN_MAX, &login, e))
        return e->code;
    const struct auth_principal *p = req->principal;
    struct case_op op = {.act = ACT_ASSIGN};
    if (!login) { /* to oneself */
        if (!p || p->via != AUTH_VIA_SESSION)
            return err_at(e, ERR_UNPROCESSABLE, "login", "login names the clerk to assign the case to");
        op.account = p->account.id, op.login = p->account.login;
    } else {
        struct gis_account acc;
        struct err ae = {0};
        struct gis_identity *id = svc_auth_identity();
        if (!id || gis_account_get(id, login, &acc, &ae) || acc.disabled || strcmp(acc.kind, "client") == 0 ||
            !gis_grant_has(id, acc.id, req->tenant->cfg->slug, "clerk"))
            return err_at(e, ERR_UNPROCESSABLE, "login", "no clerk of gmina %s has this login", req->tenant->cfg->name);
        op.account = acc.id;
        op.login = arena_strdup(req->arena, acc.login);
    }
    return case_op_do(req, resp, &op, e);
}

static enum err_code case_status(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    const char *note;
    if (svc_case_body_object(req, &b, e) || body_text(req, b, "note", 1000, &note, e))
        return e->code;
    const char *st = json_string_value(json_object_get(b, "status"));
    if (!gis_case_status_valid(st) || !strcmp(st, GIS_CASE_FILED))
        return err_at(e, ERR_UNPROCESSABLE, "status",
                      "status must be w toku, do uzupełnienia, wycofany (or for other modules załatwiony, odmowa)");
    struct case_op op = {.act = ACT_STATUS, .value = st, .note = note};
    return case_op_do(req, resp, &op, e);
}

static enum err_code case_fee(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    const char *note;
    if (svc_case_body_object(req, &b, e) || body_text(req, b, "note", 1000, &note, e))
        return e->code;
    const char *st = json_string_value(json_object_get(b, "status"));
    if (!st || (strcmp(st, "paid") != 0 && strcmp(st, "exempt") != 0))
        return err_at(e, ERR_UNPROCESSABLE, "status", "status must be paid or exempt");
    struct case_op op = {.act = ACT_FEE, .value = st, .note = note};
    return case_op_do(req, resp, &op, e);
}

static enum err_code case_decision(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    const char *reason;
    if (svc_case_body_object(req, &b, e) || body_text(req, b, "reason", 1000, &reason, e))
        return e->code;
    const char *d = json_string_value(json_object_get(b, "decision"));
    if (!d || (strcmp(d, "issue") != 0 && strcmp(d, "refuse") != 0))
        return err_at(e, ERR_UNPROCESSABLE, "decision", "decision must be issue or refuse");
    if (!strcmp(d, "refuse") && !reason)
        return err_at(e, ERR_UNPROCESSABLE, "reason", "a refusal needs its reason");
    struct case_op op = {.act = ACT_DECISION, .value = d, .note = reason};
    return case_op_do(req, resp, &op, e);
}

static const struct http_param_doc p_tenant[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};
static const struct http_param_doc p_id[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "case id (32 hex characters; for an extract the same as the extract's id)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_id_op[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "case id (32 hex characters; for an extract the same as the extract's id)"},
    HTTP_DOC_STATUS("409", "The case is already closed, its fee already settled, or it has no document to issue"),
    HTTP_DOC_END,
};
static const struct http_param_doc p_queue[] = {
    HTTP_DOC_TENANT,
    {"status", "query", "string", 0,
     "open (złożony, w toku, do uzupełnienia), or one status: złożony, w toku, do uzupełnienia, załatwiony, odmowa, "
     "wycofany"},
    {"module", "query", "string", 0, "the module of the cases, e.g. extracts"},
    {"assigned", "query", "string", 0, "me (the caller's cases), none (unassigned), or a clerk's login"},
    {"due_before", "query", "string", 0, "only cases with a deadline on or before this date (YYYY-MM-DD)"},
    {"limit", "query", "integer", 0, "at most this many cases, 1 to 1000 (default 200)"},
    HTTP_DOC_END,
};

const struct http_route svc_cases_routes[] = {
    {"GET", "/{t}/me", me_get, "cases",
     "The signed-in resident's cases in this gmina: status, deadline, fee, documents, and the fees due", NULL, p_tenant,
     HTTP_ACCOUNT},
    {"GET", "/{t}/me/cases/{id}", me_case_get, "cases",
     "One of the signed-in resident's cases with its history (another's case is a 404)", NULL, p_id, HTTP_ACCOUNT},
    {"GET", "/{t}/me/cases/{id}/receipt.pdf", me_case_receipt, "cases",
     "The sealed receipt of one of the signed-in resident's submissions (another's case is a 404)", "application/pdf",
     p_id, HTTP_ACCOUNT},
    {"GET", "/{t}/cases", cases_list, "cases",
     "The clerk's queue: cases filtered by status, module and deadline; open cases with the nearest deadline "
     "first",
     NULL, p_queue, HTTP_STAFF_PERSONAL("clerk", "cases:read")},
    {"GET", "/{t}/cases/{id}", case_get, "cases", "A case with its applicant and history", NULL, p_id,
     HTTP_STAFF_PERSONAL("clerk", "cases:read")},
    {"GET", "/{t}/cases/{id}/receipt.pdf", case_receipt, "cases",
     "The sealed receipt (potwierdzenie złożenia) of a case's submission", "application/pdf", p_id,
     HTTP_STAFF_PERSONAL("clerk", "cases:read")},
    {"POST", "/{t}/cases/{id}/assign", case_assign, "cases",
     "Assign the case to a clerk: JSON {login} (without it, to oneself); złożony becomes w toku", NULL, p_id_op,
     HTTP_STAFF("clerk", "cases:write")},
    {"POST", "/{t}/cases/{id}/status", case_status, "cases",
     "Change the status of an open case: JSON {status: w toku | do uzupełnienia | wycofany, note}", NULL, p_id_op,
     HTTP_STAFF("clerk", "cases:write")},
    {"POST", "/{t}/cases/{id}/fee", case_fee, "cases",
     "Book the fee as paid or waived: JSON {status: paid | exempt, note}; where the gmina issues extracts on "
     "payment (extract_issue = on_payment) the extract is issued. Stands in for the payments core",
     NULL, p_id_op, HTTP_STAFF("clerk", "cases:write")},
    {"POST", "/{t}/cases/{id}/decision", case_decision, "cases",
     "The clerk's decision on an extract request: JSON {decision: issue | refuse, reason} (a refusal needs its "
     "reason)",
     NULL, p_id_op, HTTP_STAFF("clerk", "cases:write")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
