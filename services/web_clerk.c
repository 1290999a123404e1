/* The clerks' pages, server-rendered and complete without JavaScript: the queue of cases (filters, taking a
 * case or assigning it to a colleague), a case (the request, attachments, documents, fee, messages, and the
 * actions: issue, refuse with a reason, ask for completion, waive the fee with a reason, send a message),
 * the unmatched payments with matching by hand, and the bank statement import. Every read and action asks
 * the staff API in-process (web_api), so its checks, history entries and audit rows are the API's. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "services/auth.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"
#include "services/tmpl.h"
#include "services/web_page.h"
#include "util/buf.h"
#include "util/multipart.h"

#define CLERK_ROLE   "clerk"
#define PLANNER_ROLE "planner"

static const char *slug(struct web_page *pg)
{
    return pg->req->tenant->cfg->slug;
}

static json_t *jstr(const char *s)
{
    return json_string(s ? s : "");
}

static const char *jget(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The page's start for a clerk: anonymous callers go to the log-in page (and back here), a caller without
 * the role gets the 403 page. *done is set when the answer is already made. */
static enum err_code clerk_begin(struct http_req *req, struct http_resp *resp, const char *title_key, const char *role,
                                 struct web_page *pg, bool *done, struct err *e)
{
    *done = true;
    if (web_page_begin(req, resp, title_key, pg, e))
        return e->code;
    if (!pg->who)
        return web_page_redirect(pg, web_href(pg, "/signin?return=%s", web_return_here(pg)));
    if (!svc_auth_has_role(pg->who, slug(pg), role)) {
        struct err fe = {0};
        err_set(&fe, ERR_FORBIDDEN, "%s", web_msg(pg, "clerk.no_role"));
        return web_page_error(pg, &fe, e);
    }
    json_object_set_new(pg->data, "is_planner", json_boolean(svc_auth_has_role(pg->who, slug(pg), PLANNER_ROLE)));
    *done = false;
    return ERR_OK;
}

/* A form's POST: the staff check (the dispatcher made it for the route), the CSRF token; *done when answered. */
static enum err_code clerk_post(struct http_req *req, struct http_resp *resp, const char *title_key, const char *role,
                                struct web_page *pg, bool *done, struct err *e)
{
    if (clerk_begin(req, resp, title_key, role, pg, done, e) || *done)
        return e->code;
    struct err le = {0};
    if (web_form_check(pg, &le)) {
        *done = true;
        return web_page_error(pg, &le, e);
    }
    return ERR_OK;
}

/* A JSON body of key/value pairs (NULL-ended), for the API; values NULL are left out. */
static const char *json_body(struct web_page *pg, const char *const *kv)
{
    json_t *j = json_object();
    for (; kv[0]; kv += 2)
        if (kv[1])
            json_object_set_new(j, kv[0], json_string(kv[1]));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const char *out = s ? arena_strdup(pg->req->arena, s) : "{}";
    free(s);
    return out;
}

static const char *const JSON_HEADERS[] = {"Content-Type", "application/json", NULL, NULL};

/* A form field, trimmed of nothing; "" when absent. */
static const char *field(struct web_page *pg, const char *name)
{
    const char *v = web_form(pg, name);
    return v ? v : "";
}

/* ---- the queue ---- */

static const char *today_plus(struct web_page *pg, int days)
{
    time_t now = time(NULL) + (time_t)days * 86400;
    struct tm lt;
    localtime_r(&now, &lt);
    return arena_printf(pg->req->arena, "%04d-%02d-%02d", lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
}

/* The module filter's options: extracts (the core's) and every module enabled in the gmina. */
static json_t *module_options(struct web_page *pg, const char *chosen)
{
    json_t *out = json_array();
    const char *names[64];
    int n = 0;
    names[n++] = "extracts";
    for (int i = 0; svc_modules[i] && n < 64; i++)
        if (svc_module_enabled(pg->req->tenant->cfg, svc_modules[i]))
            names[n++] = svc_modules[i]->name;
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "module.%s", names[i]);
        const char *label = web_msg(pg, key);
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", names[i], "label", *label ? label : names[i],
                                             "selected", chosen && !strcmp(chosen, names[i])));
    }
    return out;
}

static json_t *status_options(struct web_page *pg, const char *chosen)
{
    static const char *const values[] = {"open",     "złożony", "w toku", "do uzupełnienia", "załatwiony", "odmowa",
                                         "wycofany", "",        NULL};
    json_t *out = json_array();
    for (int i = 0; values[i]; i++) {
        char key[64];
        snprintf(key, sizeof key, "clerk.status.%s", *values[i] ? "open" : "all");
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", values[i], "label",
                                             *values[i] && strcmp(values[i], "open")
                                                 ? web_status(pg, "case_status", values[i])
                                                 : web_msg(pg, key),
                                             "selected", !strcmp(chosen, values[i])));
    }
    return out;
}

static const char *fee_label(struct web_page *pg, json_t *fee)
{
    char key[40];
    snprintf(key, sizeof key, "fee.%s", jget(fee, "status") ? jget(fee, "status") : "due");
    return web_msg(pg, key);
}

/* One row of the queue as the template shows it. */
static json_t *queue_row(struct web_page *pg, json_t *c)
{
    const char *id = jget(c, "id"), *module = jget(c, "module"), *assigned = jget(c, "assigned_to");
    json_t *days = json_object_get(c, "days_left"), *fee = json_object_get(c, "fee");
    char key[64];
    snprintf(key, sizeof key, "module.%s", module ? module : "");
    json_int_t left = json_integer_value(days);
    json_t *o =
        json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:s}", "href",
                  web_href(pg, "/clerk/cases/%s", id), "case_number", json_incref(json_object_get(c, "case_number")),
                  "module", *web_msg(pg, key) ? web_msg(pg, key) : (module ? module : ""), "status",
                  json_string(web_status(pg, "case_status", jget(c, "status"))), "created_at",
                  json_incref(json_object_get(c, "created_at")), "deadline",
                  json_incref(json_object_get(c, "deadline")), "assigned_to", jstr(assigned), "applicant",
                  jstr(jget(json_object_get(c, "applicant"), "name")), "overdue", json_is_integer(days) && left < 0,
                  "take", web_href(pg, "/clerk/cases/%s/assign", id), "fee", fee_label(pg, fee));
    if (json_is_integer(days))
        json_object_set_new(o, "days_left",
                            json_string(arena_printf(pg->req->arena, "%lld", (long long)(left < 0 ? -left : left))));
    return o;
}

static enum err_code page_queue(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.queue.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    const char *module = http_query(req, "module"), *status = http_query(req, "status");
    const char *assigned = http_query(req, "assigned"), *overdue = http_query(req, "overdue");
    if (!status)
        status = "open";
    bool late = overdue && *overdue;
    const char *query[] = {"status",     late && !*status ? "open" : status,
                           "module",     module && *module ? module : NULL,
                           "assigned",   assigned && *assigned ? assigned : NULL,
                           "due_before", late ? today_plus(&pg, -1) : NULL,
                           NULL,         NULL};
    /* leave out the filters not chosen (a NULL value would end the list) */
    const char *q[12];
    int n = 0;
    for (int i = 0; query[i]; i += 2)
        if (query[i + 1] && *query[i + 1])
            q[n++] = query[i], q[n++] = query[i + 1];
    q[n] = q[n + 1] = NULL;
    json_t *j, *c;
    int st;
    struct err le = {0};
    json_t *d = pg.data;
    json_object_set_new(d, "modules", module_options(&pg, module));
    json_object_set_new(d, "statuses", status_options(&pg, status));
    json_object_set_new(d, "filter",
                        json_pack("{s:b, s:b, s:b, s:b}", "any", !assigned || !*assigned, "me",
                                  assigned && !strcmp(assigned, "me"), "none", assigned && !strcmp(assigned, "none"),
                                  "overdue", late));
    if (web_api(&pg, "GET", web_href(&pg, "/cases", NULL), q, NULL, NULL, &j, &st, &le)) {
        json_object_set_new(d, "problem", json_string(le.msg));
        return web_page_send(&pg, st, "clerk_queue", e);
    }
    json_t *rows = json_array();
    size_t i;
    json_array_foreach(json_object_get(j, "cases"), i, c)
    {
        json_array_append_new(rows, queue_row(&pg, c));
    }
    json_object_set_new(d, "count", json_integer((json_int_t)json_array_size(rows)));
    json_object_set_new(d, "cases", rows);
    return web_page_send(&pg, 200, "clerk_queue", e);
}

/* ---- a case ---- */

/* The extract's request (parcels, purpose, applicant's address) for an extract case. */
static void case_request(struct web_page *pg, const char *id)
{
    json_t *x;
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", web_href(pg, "/extracts/%s", id), NULL, NULL, NULL, &x, &st, &le) || !x)
        return;
    json_t *parcels = json_array(), *p;
    size_t i;
    json_array_foreach(json_object_get(x, "parcels"), i, p)
    {
        const char *pid = json_is_string(p) ? json_string_value(p) : jget(p, "id");
        if (pid)
            json_array_append_new(parcels,
                                  json_pack("{s:s, s:s}", "id", pid, "href", web_href(pg, "/card?parcel=%s", pid)));
    }
    json_object_set_new(pg->data, "request",
                        json_pack("{s:o, s:o, s:s, s:s}", "parcels", parcels, "purpose",
                                  json_incref(json_object_get(x, "purpose")) ?: json_null(), "pdf",
                                  web_href(pg, "/extracts/%s.pdf", id), "receipt",
                                  web_href(pg, "/cases/%s/receipt.pdf", id)));
}

/* The colleagues a case can be assigned to (GET /{t}/clerks), the caller left out (the form's empty choice
 * is "me"); none when the list cannot be had (the form then asks for a login). */
static void case_clerks(struct web_page *pg, const char *assigned)
{
    json_t *j, *c;
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", web_href(pg, "/clerks", NULL), NULL, NULL, NULL, &j, &st, &le) || !j)
        return;
    json_t *list = json_array();
    size_t i;
    json_array_foreach(json_object_get(j, "clerks"), i, c)
    {
        const char *login = jget(c, "login");
        if (!login || (pg->who && !strcasecmp(login, pg->who->account.login)))
            continue;
        json_array_append_new(
            list, json_pack("{s:s, s:b}", "login", login, "current", assigned && !strcasecmp(assigned, login)));
    }
    json_object_set_new(pg->data, "clerks", list);
}

static enum err_code case_show(struct web_page *pg, const char *id, int status, const char *problem, struct err *e)
{
    json_t *c;
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", web_href(pg, "/cases/%s", id), NULL, NULL, NULL, &c, &st, &le))
        return web_page_error(pg, &le, e);
    json_t *d = pg->data, *fee = json_object_get(c, "fee");
    const char *module = jget(c, "module"), *cs = jget(c, "status");
    char key[64];
    snprintf(key, sizeof key, "module.%s", module ? module : "");
    json_object_set(d, "c", c);
    json_object_set_new(c, "status_label", json_string(web_status(pg, "case_status", jget(c, "status"))));
    json_t *h;
    size_t hi;
    json_array_foreach(json_object_get(c, "history"), hi, h)
    {
        const char *hs = json_string_value(json_object_get(h, "status"));
        if (hs)
            json_object_set_new(h, "status", json_string(web_status(pg, "case_status", hs)));
    }
    json_object_set_new(c, "module_label", json_string(*web_msg(pg, key) ? web_msg(pg, key) : (module ? module : "")));
    json_object_set_new(c, "fee_label", json_string(fee_label(pg, fee)));
    json_object_set_new(c, "amount",
                        json_string(web_num(pg, json_number_value(json_object_get(fee, "amount_pln")), 2)));
    bool open = cs && (!strcmp(cs, "złożony") || !strcmp(cs, "w toku") || !strcmp(cs, "do uzupełnienia"));
    const char *fs = jget(fee, "status");
    json_object_set_new(d, "open", json_boolean(open));
    json_object_set_new(d, "extract", json_boolean(module && !strcmp(module, "extracts")));
    json_object_set_new(
        d, "fee_due",
        json_boolean(open && (!fs || !strcmp(fs, "due")) && json_number_value(json_object_get(fee, "amount_pln")) > 0));
    json_object_set_new(d, "base", json_string(web_href(pg, "/clerk/cases/%s", id)));
    json_t *days = json_object_get(c, "days_left");
    if (json_is_integer(days) && json_integer_value(days) < 0)
        json_object_set_new(d, "overdue", json_true());
    if (module && !strcmp(module, "extracts"))
        case_request(pg, id);
    case_clerks(pg, jget(c, "assigned_to"));
    if (problem)
        json_object_set_new(d, "problem", json_string(problem));
    return web_page_send(pg, status, "clerk_case", e);
}

static enum err_code page_case(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.case.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    return case_show(&pg, http_capture(req, "id"), 200, NULL, e);
}

/* The actions of the case page: each a form posting here, sent to its API route as JSON. */
enum case_act { ACT_ASSIGN, ACT_ISSUE, ACT_REFUSE, ACT_COMPLETION, ACT_WAIVE, ACT_MESSAGE };

static enum err_code case_act(struct http_req *req, struct http_resp *resp, enum case_act act, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_post(req, resp, "clerk.case.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    const char *id = http_capture(req, "id"), *text = field(&pg, "text"), *login = field(&pg, "login");
    const char *route = "/cases/%s/decision", *body = NULL;
    switch (act) {
    case ACT_ASSIGN:
        route = "/cases/%s/assign";
        body = json_body(&pg, (const char *const[]){"login", *login ? login : NULL, NULL, NULL});
        break;
    case ACT_ISSUE:
        body = json_body(&pg, (const char *const[]){"decision", "issue", "reason", *text ? text : NULL, NULL, NULL});
        break;
    case ACT_REFUSE:
        if (!*text)
            return case_show(&pg, id, 422, web_msg(&pg, "clerk.case.reason_needed"), e);
        body = json_body(&pg, (const char *const[]){"decision", "refuse", "reason", text, NULL, NULL});
        break;
    case ACT_COMPLETION:
        route = "/cases/%s/messages";
        body = json_body(&pg, (const char *const[]){"body", text, "status", "do uzupełnienia", NULL, NULL});
        break;
    case ACT_WAIVE:
        if (!*text)
            return case_show(&pg, id, 422, web_msg(&pg, "clerk.case.reason_needed"), e);
        route = "/cases/%s/fee";
        body = json_body(&pg, (const char *const[]){"status", "exempt", "note", text, NULL, NULL});
        break;
    case ACT_MESSAGE:
        route = "/cases/%s/messages";
        body = json_body(&pg, (const char *const[]){"body", text, NULL, NULL});
        break;
    }
    json_t *j;
    int st;
    struct err le = {0};
    if (web_api(&pg, "POST", web_href(&pg, route, id), NULL, JSON_HEADERS, body, &j, &st, &le)) {
        if (st == 404)
            return web_page_error(&pg, &le, e);
        return case_show(&pg, id, st, le.msg, e);
    }
    const char *back = field(&pg, "return");
    if (act == ACT_ASSIGN && !strcmp(back, "queue"))
        return web_page_redirect(&pg, web_href(&pg, "/clerk", NULL));
    return web_page_redirect(&pg, web_href(&pg, "/clerk/cases/%s?done=1", id));
}

#define ACTION(name, act)                                                                                              \
    static enum err_code page_##name(struct http_req *req, struct http_resp *resp, struct err *e)                      \
    {                                                                                                                  \
        return case_act(req, resp, act, e);                                                                            \
    }
ACTION(assign, ACT_ASSIGN)
ACTION(issue, ACT_ISSUE)
ACTION(refuse, ACT_REFUSE)
ACTION(completion, ACT_COMPLETION)
ACTION(waive, ACT_WAIVE)
ACTION(message, ACT_MESSAGE)

static enum err_code upload_read(struct web_page *pg, const char *name, const struct multipart_part **file,
                                 const struct multipart_part **parts, int *n, struct err *e);

/* A file attached to the case by the clerk: the page's multipart form (its CSRF token checked here) goes as
 * it is to POST /{t}/cases/{id}/attachments, which checks the size, the content and the count. */
static enum err_code page_attach(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.case.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    const char *id = http_capture(req, "id");
    const struct multipart_part *file = NULL, *parts = NULL;
    int n = 0;
    struct err le = {0};
    if (upload_read(&pg, "file", &file, &parts, &n, &le)) {
        if (le.code == ERR_FORBIDDEN)
            return web_page_error(&pg, &le, e);
        return case_show(&pg, id, http_status_of(le.code), le.msg, e);
    }
    const char *const headers[] = {"Content-Type", http_header(req, "Content-Type"), NULL, NULL};
    json_t *j;
    int st;
    if (web_api_n(&pg, "POST", web_href(&pg, "/cases/%s/attachments", id), NULL, headers, req->body, req->body_len, &j,
                  &st, &le)) {
        if (st == 404)
            return web_page_error(&pg, &le, e);
        return case_show(&pg, id, st, le.msg, e);
    }
    return web_page_redirect(&pg, web_href(&pg, "/clerk/cases/%s?done=1", id));
}

/* ---- payments ---- */

static const char *zl(struct web_page *pg, json_int_t gr)
{
    return web_num(pg, (double)gr / 100.0, 2);
}

/* Open cases with a fee due, as the options of the matching form. */
static json_t *cases_due(struct web_page *pg)
{
    const char *q[] = {"status", "open", "limit", "1000", NULL, NULL};
    json_t *j, *c, *out = json_array();
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", web_href(pg, "/cases", NULL), q, NULL, NULL, &j, &st, &le))
        return out;
    size_t i;
    json_array_foreach(json_object_get(j, "cases"), i, c)
    {
        json_t *fee = json_object_get(c, "fee");
        if (!jget(fee, "account") || strcmp(jget(fee, "status") ?: "", "due"))
            continue;
        json_array_append_new(
            out, json_pack("{s:o, s:s}", "id", json_incref(json_object_get(c, "id")), "label",
                           arena_printf(pg->req->arena, "%s — %s — %s zł", jget(c, "case_number") ?: "",
                                        jget(json_object_get(c, "applicant"), "name") ?: "",
                                        web_num(pg, json_number_value(json_object_get(fee, "amount_pln")), 2))));
    }
    return out;
}

static enum err_code payments_show(struct web_page *pg, int status, const char *problem, struct err *e)
{
    json_t *j, *t;
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", web_href(pg, "/payments/unmatched", NULL), NULL, NULL, NULL, &j, &st, &le))
        return web_page_error(pg, &le, e);
    json_t *rows = json_array();
    size_t i;
    json_array_foreach(json_object_get(j, "transactions"), i, t)
    {
        json_int_t id = json_integer_value(json_object_get(t, "id"));
        json_t *r = json_deep_copy(t);
        json_object_set_new(r, "amount", json_string(zl(pg, json_integer_value(json_object_get(t, "amount_gr")))));
        json_object_set_new(r, "action",
                            json_string(web_href(
                                pg, arena_printf(pg->req->arena, "/clerk/payments/%lld/assign", (long long)id), NULL)));
        json_object_set_new(r, "key", json_string(arena_printf(pg->req->arena, "%lld", (long long)id)));
        json_array_append_new(rows, r);
    }
    json_object_set_new(pg->data, "transactions", rows);
    json_object_set_new(pg->data, "cases_due", cases_due(pg));
    if (problem)
        json_object_set_new(pg->data, "problem", json_string(problem));
    return web_page_send(pg, status, "clerk_payments", e);
}

static enum err_code page_payments(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.pay.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    if (http_query(req, "done"))
        json_object_set_new(pg.data, "matched", json_true());
    return payments_show(&pg, 200, NULL, e);
}

static enum err_code page_payment_assign(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_post(req, resp, "clerk.pay.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    const char *c = field(&pg, "case"), *acct = field(&pg, "account");
    if (!*c && !*acct)
        return payments_show(&pg, 422, web_msg(&pg, "clerk.pay.choose"), e);
    const char *body =
        json_body(&pg, (const char *const[]){"case", *acct ? NULL : c, "account", *acct ? acct : NULL, NULL, NULL});
    json_t *j;
    int st;
    struct err le = {0};
    if (web_api(&pg, "POST", web_href(&pg, "/payments/%s/assign", http_capture(req, "id")), NULL, JSON_HEADERS, body,
                &j, &st, &le))
        return payments_show(&pg, st, le.msg, e);
    return web_page_redirect(&pg, web_href(&pg, "/clerk/payments?done=1", NULL));
}

/* The uploaded file of a multipart form (field name), with the form's csrf field checked like web_form_check.
 * ERR_INVALID (no file, a malformed body) or ERR_FORBIDDEN (CSRF). */
static enum err_code upload_read(struct web_page *pg, const char *name, const struct multipart_part **file,
                                 const struct multipart_part **parts, int *n, struct err *e)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    struct http_req *req = pg->req;
    struct multipart_part *pp;
    if (!multipart_boundary(http_header(req, "Content-Type"), boundary))
        return err_set(e, ERR_MEDIA_TYPE, "%s", web_msg(pg, "clerk.upload.form"));
    if (multipart_parse(req->arena, req->body ? req->body : "", req->body_len, boundary, 16, &pp, n, e))
        return e->code;
    const struct multipart_part *tok = multipart_find(pp, *n, "csrf", NULL);
    size_t want = strlen(pg->form_token);
    if (!tok || tok->filename || tok->len != want || !want || sodium_memcmp(tok->data, pg->form_token, want))
        return err_set(e, ERR_FORBIDDEN, "%s", web_msg(pg, "clerk.upload.csrf"));
    *file = multipart_find(pp, *n, name, NULL);
    *parts = pp;
    if (!*file || !(*file)->filename || !(*file)->len)
        return err_set(e, ERR_INVALID, "%s", web_msg(pg, "clerk.upload.none"));
    return ERR_OK;
}

static enum err_code page_statements(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.stmt.title", CLERK_ROLE, &pg, &done, e) || done)
        return e->code;
    return web_page_send(&pg, 200, "clerk_statement", e);
}

/* The file of a multipart form's POST (at most cap bytes), NUL-ended in the arena, into *data, *len and *name;
 * a refused one (no file, too large, a bad form) is answered with template tmpl and its problem (a CSRF
 * failure with the error page), and *done set. */
static enum err_code upload_take(struct web_page *pg, size_t cap, const char *tmpl, const char **data, size_t *len,
                                 const char **name, bool *done, struct err *e)
{
    const struct multipart_part *file = NULL, *parts = NULL;
    int n = 0;
    struct err le = {0};
    *done = true;
    if (!upload_read(pg, "file", &file, &parts, &n, &le) && file->len > cap)
        err_set(&le, ERR_TOO_LARGE, "%s", web_msg(pg, "clerk.upload.too_large"));
    if (le.code == ERR_FORBIDDEN)
        return web_page_error(pg, &le, e);
    if (le.code) {
        json_object_set_new(pg->data, "problem", json_string(le.msg));
        return web_page_send(pg, http_status_of(le.code), tmpl, e);
    }
    char *copy = arena_alloc(pg->req->arena, file->len + 1);
    if (!copy)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memcpy(copy, file->data, file->len);
    copy[file->len] = 0;
    *data = copy, *len = file->len, *name = file->filename;
    json_object_set_new(pg->data, "file_name", jstr(file->filename));
    *done = false;
    return ERR_OK;
}

static const char *const OCTETS[] = {"Content-Type", "application/octet-stream", NULL, NULL};

static enum err_code page_statements_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    const char *data, *name;
    size_t len;
    if (clerk_begin(req, resp, "clerk.stmt.title", CLERK_ROLE, &pg, &done, e) || done ||
        upload_take(&pg, svc_server_config(req->server)->max_body_bytes, "clerk_statement", &data, &len, &name, &done,
                    e) ||
        done)
        return e->code;
    json_t *j;
    int st;
    struct err le = {0};
    if (web_api_n(&pg, "POST", web_href(&pg, "/payments/statements", NULL), NULL, OCTETS, data, len, &j, &st, &le)) {
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        return web_page_send(&pg, st, "clerk_statement", e);
    }
    json_t *by = json_object_get(j, "by_status");
    json_object_set_new(
        pg.data, "report",
        json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:O}", "format", json_object_get(j, "format"), "lines",
                  json_object_get(j, "lines"), "booked", json_object_get(j, "booked"), "duplicates",
                  json_object_get(j, "duplicates"), "allocated", json_object_get(by, "allocated"), "unmatched",
                  json_object_get(by, "unmatched"), "credit", json_object_get(by, "credit"), "refund",
                  json_object_get(by, "refund"), "amount", zl(&pg, json_integer_value(json_object_get(j, "booked_gr"))),
                  "seen_before", json_object_get(j, "file_seen_before")));
    return web_page_send(&pg, 200, "clerk_statement", e);
}

/* ---- the planning data import (a planner's) ---- */

/* Where an uploaded APP file waits for its confirmation: the data directory's import-pending folder, one file
 * per gmina, person and token (made here, never taken from the request unchecked). */
static const char *pending_path(struct web_page *pg, const char *token)
{
    if (!auth_token_valid(token))
        return NULL;
    return arena_printf(pg->req->arena, "%s/import-pending/%s-%lld-%s.upload",
                        svc_server_config(pg->req->server)->data_dir, slug(pg), pg->who->account.id, token);
}

static enum err_code pending_save(struct web_page *pg, const char *data, size_t len, const char *pending_name,
                                  const char **token, struct err *e)
{
    char *tok = arena_alloc(pg->req->arena, AUTH_TOKEN_LEN + 1);
    if (!tok)
        return err_set(e, ERR_INTERNAL, "out of memory");
    auth_token_new(tok);
    const char *dir = arena_printf(pg->req->arena, "%s/import-pending", svc_server_config(pg->req->server)->data_dir);
    const char *path = pending_path(pg, tok);
    mkdir(dir, 0700);
    FILE *f = path ? fopen(path, "wb") : NULL;
    bool ok = f && fwrite(data, 1, len, f) == len;
    if ((f && fclose(f) != 0) || !ok) {
        if (path)
            unlink(path);
        return err_set(e, ERR_IO, "the upload could not be kept for its confirmation");
    }
    /* the file's name beside it, for the list of uploads waiting (a name is never part of a path here) */
    FILE *nf = fopen(arena_printf(pg->req->arena, "%s.name", path), "wb");
    if (nf) {
        fputs(pending_name ? pending_name : "", nf);
        fclose(nf);
    }
    *token = tok;
    return ERR_OK;
}

/* Removes the upload of token (and its name) of this person; whether there was one. */
static bool pending_remove(struct web_page *pg, const char *token)
{
    const char *path = pending_path(pg, token);
    if (!path)
        return false;
    unlink(arena_printf(pg->req->arena, "%s.name", path));
    return unlink(path) == 0;
}

/* This person's uploads in this gmina that wait for their confirmation (or deletion), oldest first, as
 * pending: [{token, name, at, size}]. */
static void pending_list(struct web_page *pg)
{
    const char *dir = arena_printf(pg->req->arena, "%s/import-pending", svc_server_config(pg->req->server)->data_dir);
    const char *prefix = arena_printf(pg->req->arena, "%s-%lld-", slug(pg), pg->who->account.id);
    size_t plen = strlen(prefix);
    DIR *d = opendir(dir);
    json_t *list = json_array();
    for (struct dirent *de = d ? readdir(d) : NULL; de; de = readdir(d)) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, plen) || n != plen + AUTH_TOKEN_LEN + 7 ||
            strcmp(de->d_name + n - 7, ".upload"))
            continue;
        char *token = arena_strndup(pg->req->arena, de->d_name + plen, AUTH_TOKEN_LEN);
        const char *path = token ? pending_path(pg, token) : NULL;
        struct stat st;
        if (!path || stat(path, &st) != 0)
            continue;
        struct buf nb = {0};
        buf_read_file(&nb, arena_printf(pg->req->arena, "%s.name", path));
        struct tm tm;
        char at[32];
        localtime_r(&st.st_mtime, &tm);
        strftime(at, sizeof at, "%Y-%m-%d %H:%M", &tm);
        json_t *item = json_pack("{s:s, s:s%, s:s, s:I}", "token", token, "name", nb.data ? nb.data : "", nb.len, "at",
                                 at, "size", (json_int_t)st.st_size);
        buf_free(&nb);
        if (item)
            json_array_append_new(list, item);
    }
    if (d)
        closedir(d);
    json_object_set_new(pg->data, "pending", list);
}

/* The import's report (the API's answer j) on the page. */
static void import_report(struct web_page *pg, json_t *j)
{
    json_object_set_new(pg->data, "report",
                        json_pack("{s:O, s:b, s:b}", "text", json_object_get(j, "text") ?: json_string(""), "valid",
                                  json_is_true(json_object_get(j, "valid")), "written",
                                  json_is_true(json_object_get(j, "written"))));
}

static enum err_code page_import(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_begin(req, resp, "clerk.import.title", PLANNER_ROLE, &pg, &done, e) || done)
        return e->code;
    pending_list(&pg);
    if (http_query(req, "discarded"))
        json_object_set_new(pg.data, "discarded", json_true());
    return web_page_send(&pg, 200, "clerk_import", e);
}

/* An upload that waits for its confirmation, deleted without importing it. */
static enum err_code page_import_discard(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_post(req, resp, "clerk.import.title", PLANNER_ROLE, &pg, &done, e) || done)
        return e->code;
    if (!pending_remove(&pg, field(&pg, "token"))) {
        struct err le = {0};
        err_set(&le, ERR_NOT_FOUND, "%s", web_msg(&pg, "clerk.import.gone"));
        return web_page_error(&pg, &le, e);
    }
    return web_page_redirect(&pg, web_href(&pg, "/clerk/import?discarded=1", NULL));
}

/* Step 1: the upload, validated as `odra import --check`; when valid, kept and a confirming form shown. */
static enum err_code page_import_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    const char *data, *name;
    size_t len;
    if (clerk_begin(req, resp, "clerk.import.title", PLANNER_ROLE, &pg, &done, e) || done ||
        upload_take(&pg, svc_server_config(req->server)->cases.attachment_max_bytes, "clerk_import", &data, &len, &name,
                    &done, e) ||
        done)
        return e->code;
    json_t *j;
    int st;
    struct err le = {0};
    const char *query[] = {"check", "1", "name", name, NULL, NULL};
    enum err_code rc =
        web_api_n(&pg, "POST", web_href(&pg, "/plans/import", NULL), query, OCTETS, data, len, &j, &st, &le);
    if (j)
        import_report(&pg, j);
    if (rc) {
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        return web_page_send(&pg, st, "clerk_import", e);
    }
    const char *token = NULL;
    if (pending_save(&pg, data, len, name, &token, &le))
        return web_page_error(&pg, &le, e);
    json_object_set_new(pg.data, "token", json_string(token));
    return web_page_send(&pg, 200, "clerk_import", e);
}

/* Step 2: the confirmation imports the kept file. */
static enum err_code page_import_confirm(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    bool done;
    if (clerk_post(req, resp, "clerk.import.title", PLANNER_ROLE, &pg, &done, e) || done)
        return e->code;
    const char *path = pending_path(&pg, field(&pg, "token")), *name = field(&pg, "file_name");
    struct buf b = {0};
    struct err le = {0};
    if (!path || !buf_read_file(&b, path)) {
        buf_free(&b);
        err_set(&le, ERR_NOT_FOUND, "%s", web_msg(&pg, "clerk.import.gone"));
        return web_page_error(&pg, &le, e);
    }
    json_t *j;
    int st;
    const char *query[] = {"name", name, NULL, NULL};
    json_object_set_new(pg.data, "file_name", json_string(name));
    enum err_code rc = web_api_n(&pg, "POST", web_href(&pg, "/plans/import", NULL), query, OCTETS, b.data ? b.data : "",
                                 b.len, &j, &st, &le);
    buf_free(&b);
    pending_remove(&pg, field(&pg, "token"));
    if (j)
        import_report(&pg, j);
    if (rc)
        json_object_set_new(pg.data, "problem", json_string(le.msg));
    return web_page_send(&pg, rc ? st : 200, "clerk_import", e);
}

/* ---- routes ---- */

static const struct http_param_doc p_t[] = {HTTP_DOC_TENANT, HTTP_DOC_STATUS("303", "not signed in: the log-in page"),
                                            HTTP_DOC_END};
static const struct http_param_doc p_queue[] = {
    HTTP_DOC_TENANT,
    {"module", "query", "string", 0, "only cases of this module"},
    {"status", "query", "string", 0, "open (default), a case status, or empty for all"},
    {"assigned", "query", "string", 0, "me, none, or empty for all"},
    {"overdue", "query", "string", 0, "1: only open cases past their deadline"},
    HTTP_DOC_STATUS("303", "not signed in: the log-in page"),
    HTTP_DOC_END};
static const struct http_param_doc p_case[] = {
    HTTP_DOC_TENANT, {"id", "path", "string", 1, "the case id (32 hex characters)"}, HTTP_DOC_END};
static const struct http_param_doc p_case_form[] = {HTTP_DOC_TENANT,
                                                    {"id", "path", "string", 1, "the case id (32 hex characters)"},
                                                    HTTP_DOC_STATUS("303", "done: Location is the case page"),
                                                    HTTP_DOC_END};
static const struct http_param_doc p_pay_form[] = {HTTP_DOC_TENANT,
                                                   {"id", "path", "integer", 1, "the transaction id"},
                                                   HTTP_DOC_STATUS("303", "done: Location is the payments page"),
                                                   HTTP_DOC_END};

#define PAGE  "text/html"
#define CLERK HTTP_STAFF(CLERK_ROLE, NULL)
const struct http_route svc_web_clerk_routes[] = {
    {"GET", "/{t}/clerk", page_queue, "pages", "Clerk: the queue of cases with filters", PAGE, p_queue, HTTP_PUBLIC},
    {"GET", "/{t}/clerk/cases/{id}", page_case, "pages", "Clerk: a case with its request, messages and actions", PAGE,
     p_case, HTTP_PUBLIC},
    {"POST", "/{t}/clerk/cases/{id}/assign", page_assign, "pages",
     "Clerk: take a case or assign it to a colleague (a form: login)", PAGE, p_case_form, CLERK},
    {"POST", "/{t}/clerk/cases/{id}/issue", page_issue, "pages", "Clerk: issue the extract (a form)", PAGE, p_case_form,
     CLERK},
    {"POST", "/{t}/clerk/cases/{id}/refuse", page_refuse, "pages", "Clerk: refuse with a reason (a form: text)", PAGE,
     p_case_form, CLERK},
    {"POST", "/{t}/clerk/cases/{id}/completion", page_completion, "pages",
     "Clerk: ask the applicant to complete the request (a form: text)", PAGE, p_case_form, CLERK},
    {"POST", "/{t}/clerk/cases/{id}/waive", page_waive, "pages", "Clerk: waive the fee with a reason (a form: text)",
     PAGE, p_case_form, CLERK},
    {"POST", "/{t}/clerk/cases/{id}/attach", page_attach, "pages",
     "Clerk: attach a file to a case (a multipart form: file; checked as POST /{t}/cases/{id}/attachments)", PAGE,
     p_case_form, HTTP_STAFF_UPLOAD(CLERK_ROLE, NULL)},
    {"POST", "/{t}/clerk/cases/{id}/message", page_message, "pages",
     "Clerk: send a message to the applicant (a form: text)", PAGE, p_case_form, CLERK},
    {"GET", "/{t}/clerk/payments", page_payments, "pages", "Clerk: unmatched payments, to match by hand", PAGE, p_t,
     HTTP_PUBLIC},
    {"POST", "/{t}/clerk/payments/{id}/assign", page_payment_assign, "pages",
     "Clerk: match a payment to a case or virtual account (a form: case or account)", PAGE, p_pay_form, CLERK},
    {"GET", "/{t}/clerk/statements", page_statements, "pages", "Clerk: the bank statement import form", PAGE, p_t,
     HTTP_PUBLIC},
    {"POST", "/{t}/clerk/statements", page_statements_post, "pages",
     "Clerk: import a bank statement (a multipart form: file) and show its report", PAGE, p_t,
     HTTP_STAFF_UPLOAD(CLERK_ROLE, NULL)},
    {"GET", "/{t}/clerk/import", page_import, "pages", "Planner: the planning data (APP) import form", PAGE, p_t,
     HTTP_PUBLIC},
    {"POST", "/{t}/clerk/import", page_import_post, "pages",
     "Planner: upload an APP file (a multipart form: file) and see its validation report", PAGE, p_t,
     HTTP_STAFF_UPLOAD(PLANNER_ROLE, NULL)},
    {"POST", "/{t}/clerk/import/discard", page_import_discard, "pages",
     "Planner: delete an uploaded APP file that waits for its confirmation, without importing it (a form: token)", PAGE,
     p_t, HTTP_STAFF(PLANNER_ROLE, NULL)},
    {"POST", "/{t}/clerk/import/confirm", page_import_confirm, "pages",
     "Planner: import the checked APP file (a form: token)", PAGE, p_t, HTTP_STAFF(PLANNER_ROLE, NULL)},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
