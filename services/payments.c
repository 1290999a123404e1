/* The payments core over HTTP (services/payments.h): statement import, the unmatched queue and a
 * clerk's assignment, the virtual account of a case with a fee, and settling a case once paid. */
#include "services/payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/auth.h"
#include "services/cases.h"
#include "services/server.h"

/* ---- accounts of cases ---- */

enum err_code svc_pay_case_account(const struct config_tenant *t, struct gis_store *w, struct arena *a,
                                   struct gis_case *c, struct err *e)
{
    if (!t->pay_account_prefix[0] || c->fee_pln <= 0)
        return ERR_OK;
    const char *title = arena_printf(a, "%s opłata skarbowa", c->case_number);
    char nrb[27];
    if (!title)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (gis_pay_account_open(w, t->pay_account_prefix, c->module, c->id, title, (long)c->fee_pln * 100, nrb, e))
        return e->code;
    struct gis_pay_account acct;
    if (gis_pay_account_get(w, a, c->module, c->id, &acct, e))
        return e->code;
    c->pay_nrb = acct.nrb, c->pay_title = acct.title;
    c->pay_due_gr = acct.due_gr, c->pay_paid_gr = acct.paid_gr;
    return ERR_OK;
}

void svc_pay_fee_fields(struct arena *a, json_t *fee, const struct gis_case *c)
{
    if (!fee || !c->pay_nrb)
        return;
    long rest = c->pay_due_gr - c->pay_paid_gr;
    json_object_set_new(fee, "account", json_string(c->pay_nrb));
    json_object_set_new(fee, "account_display", json_string(gis_pay_nrb_print(a, c->pay_nrb)));
    json_object_set_new(fee, "title", json_string(c->pay_title ? c->pay_title : ""));
    json_object_set_new(fee, "paid_gr", json_integer(c->pay_paid_gr));
    json_object_set_new(fee, "remaining_gr", json_integer(rest > 0 ? rest : 0));
    json_object_set_new(fee, "credit_gr", json_integer(rest < 0 ? -rest : 0));
}

/* ---- settling ---- */

static const char *zl(struct arena *a, long gr)
{
    return arena_printf(a, "%s%ld,%02ld zł", gr < 0 ? "-" : "", labs(gr) / 100, labs(gr) % 100);
}

enum err_code svc_pay_settle(struct gis_store *w, const struct gis_pay_account *acct, void *ctx, struct err *e)
{
    struct http_req *req = ctx;
    struct arena *a = req->arena;
    if (strcmp(acct->module, "extracts") != 0)
        return ERR_OK; /* no other module keeps its accounts here yet */
    struct gis_case c;
    if (acct->delta_gr == 0) /* a payment and its return in one booking */
        return ERR_OK;
    if (gis_case_find(w, a, false, acct->record, &c, e))
        return e->code;
    const char *actor = req->principal ? req->principal->account.login : "system";
    bool paid_up = acct->paid_gr >= acct->due_gr;
    const char *note =
        arena_printf(a, "%s %s na rachunek %s; wpłacono razem %s z %s", acct->delta_gr < 0 ? "zwrot" : "wpłata",
                     zl(a, acct->delta_gr), acct->nrb, zl(a, acct->paid_gr), zl(a, acct->due_gr));
    if (paid_up && c.fee_status && !strcmp(c.fee_status, "due")) {
        if (gis_case_fee_set(w, c.id, c.fee_pln, "paid", e) ||
            gis_case_event_add(w, c.id, actor, c.status, arena_printf(a, "opłata uiszczona: %s", note), e))
            return e->code;
        c.fee_status = "paid";
        if (req->tenant->cfg->extract_issue == CONFIG_ISSUE_ON_PAYMENT && gis_case_status_open(c.status))
            return svc_extract_issue_case(req, w, &c, "wydany po zaksięgowaniu opłaty (extract_issue = on_payment)", e);
        return ERR_OK;
    }
    if (!paid_up && acct->delta_gr < 0 && c.fee_status && !strcmp(c.fee_status, "paid")) {
        /* a refund of a paid fee: the fee is due again; an issued document stays issued */
        if (gis_case_fee_set(w, c.id, c.fee_pln, "due", e))
            return e->code;
    }
    return gis_case_event_add(w, c.id, actor, c.status, note, e);
}

/* ---- import ---- */

static json_t *totals_json(const struct gis_pay_statement *st, const struct gis_pay_totals *t)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i}, s:I, s:b}", "statement_id",
                     (json_int_t)t->statement_id, "format", st->format, "bank", st->bank ? st->bank : "", "sha256",
                     st->sha256, "lines", t->lines, "booked", t->booked, "duplicates", t->duplicates, "by_status",
                     "allocated", t->allocated, "credit", t->credit, "refund", t->refund, "unmatched", t->unmatched,
                     "booked_gr", (json_int_t)t->booked_gr, "file_seen_before", t->seen_before);
}

struct import_job {
    struct http_req *req;
    const struct gis_pay_statement *st;
    struct gis_pay_totals t;
};

static enum err_code import_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct import_job *job = ctx;
    struct http_req *req = job->req;
    const char *actor = req->principal ? req->principal->account.login : "system";
    return gis_pay_book(w, req->arena, job->st, actor, svc_pay_settle, req, &job->t, e);
}

enum err_code svc_pay_import(struct http_req *req, const struct config *cfg, const char *data, size_t len,
                             const char *bank, json_t **out, struct err *e)
{
    struct gis_pay_statement st;
    if (gis_pay_parse(req->arena, data, len, cfg, bank, &st, e))
        return e->code;
    struct import_job job = {.req = req, .st = &st};
    if (svc_tenant_write(req->tenant, import_run, &job, e))
        return e->code;
    *out = totals_json(&st, &job.t);
    return *out ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory building JSON");
}

static enum err_code statements_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *bank = http_query(req, "bank");
    if (bank && !config_bank_find(svc_server_config(req->server), bank))
        return err_param(e, "bank", "no bank '%.32s' is configured ([bank.NAME] in the configuration)", bank);
    if (!req->body || !req->body_len)
        return err_param(e, "body", "send the statement file as the request body (MT940 or a bank's CSV)");
    json_t *j;
    if (svc_pay_import(req, svc_server_config(req->server), req->body, req->body_len, bank, &j, e))
        return e->code;
    svc_auth_audit(
        req, "payments.import",
        arena_printf(req->arena, "statement %lld", (long long)json_integer_value(json_object_get(j, "statement_id"))),
        arena_printf(req->arena, "%lld booked, %lld duplicates",
                     (long long)json_integer_value(json_object_get(j, "booked")),
                     (long long)json_integer_value(json_object_get(j, "duplicates"))));
    return http_resp_json(req, resp, 201, j, e);
}

/* ---- the unmatched queue ---- */

static json_t *row_json(struct arena *a, const struct gis_pay_row *r)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s?, s:s?, s:s?, s:s?, s:s}", "id", (json_int_t)r->id, "booked_on",
                          r->booked_on ? r->booked_on : "", "source", r->source ? r->source : "", "amount_gr",
                          (json_int_t)r->amount_gr, "counterparty", r->counterparty, "title", r->title,
                          "counterparty_account", r->cp_nrb, "account", r->nrb, "status", r->status ? r->status : "");
    if (j)
        json_object_set_new(j, "statement_id", r->statement_id ? json_integer(r->statement_id) : json_null());
    (void)a;
    return j;
}

static enum err_code unmatched_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_pay_row *v;
    int n;
    if (gis_pay_tx_list(s, req->arena, "unmatched", 1000, &v, &n, e))
        return e->code;
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, row_json(req->arena, &v[i]))) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *j =
        arr ? json_pack("{s:s, s:i, s:o}", "gmina", req->tenant->cfg->slug, "count", n, "transactions", arr) : NULL;
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

struct assign_job {
    struct http_req *req;
    long id;
    const char *nrb, *case_id;
    struct gis_pay_account acct;
};

static enum err_code assign_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct assign_job *job = ctx;
    struct http_req *req = job->req;
    if (job->case_id) {
        struct gis_case c;
        struct err ce = {0};
        if (gis_case_find(w, req->arena, false, job->case_id, &c, &ce) || !c.pay_nrb)
            return err_at(e, ERR_UNPROCESSABLE, "case", "no case with a virtual account has this id");
        job->nrb = c.pay_nrb;
    }
    return gis_pay_assign(w, req->arena, job->id, job->nrb, req->principal ? req->principal->account.login : "system",
                          svc_pay_settle, req, &job->acct, e);
}

static enum err_code assign_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *ids = http_capture(req, "id");
    char *end;
    long id = ids ? strtol(ids, &end, 10) : 0;
    if (!ids || *end || id < 1)
        return err_set(e, ERR_NOT_FOUND, "no transaction with this id");
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_t *b = req->body ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
    if (!b || arena_defer(req->arena, (void (*)(void *))json_decref, b) || !json_is_object(b)) {
        if (b && !json_is_object(b))
            return err_param(e, "body", "the body must be a JSON object");
        return err_param(e, "body", "the body is not valid JSON");
    }
    struct assign_job job = {.req = req, .id = id};
    const char *acc = json_string_value(json_object_get(b, "account"));
    job.case_id = json_string_value(json_object_get(b, "case"));
    if (acc) {
        char *d = arena_strdup(req->arena, acc), *o = d;
        for (const char *p = acc; d && *p; p++)
            if (*p >= '0' && *p <= '9')
                *o++ = *p;
        if (d)
            *o = 0;
        job.nrb = d;
    }
    if (!job.nrb && !job.case_id)
        return err_at(e, ERR_UNPROCESSABLE, "account", "name the virtual account (account) or the case (case)");
    if (job.nrb && strlen(job.nrb) != 26)
        return err_at(e, ERR_UNPROCESSABLE, "account", "account must be an NRB of 26 digits");
    if (job.case_id && (strlen(job.case_id) != 32 || strspn(job.case_id, "0123456789abcdef") != 32))
        return err_at(e, ERR_UNPROCESSABLE, "case", "case must be a case id (32 hex characters)");
    if (svc_tenant_write(req->tenant, assign_run, &job, e))
        return e->code;
    svc_auth_audit(req, "payments.assign", arena_printf(req->arena, "transaction %ld", id),
                   arena_printf(req->arena, "to %s (%s %s)", job.acct.nrb, job.acct.module, job.acct.record));
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "id", (json_int_t)id, "account", job.acct.nrb, "module",
                          job.acct.module, "record", job.acct.record, "due_gr", (json_int_t)job.acct.due_gr, "paid_gr",
                          (json_int_t)job.acct.paid_gr);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return http_resp_json(req, resp, 200, j, e);
}

static const struct http_param_doc p_tenant[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};
static const struct http_param_doc p_import[] = {
    HTTP_DOC_TENANT,
    {"bank", "query", "string", 0, "the [bank.NAME] column mapping of a CSV (default: found by its header line)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_id[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "transaction id (from /{t}/payments/unmatched)"},
    HTTP_DOC_END,
};

const struct http_route svc_payments_routes[] = {
    {"POST", "/{t}/payments/statements", statements_post, "payments",
     "Import a bank statement (the file as the body: MT940, or a configured bank's CSV) in one transaction; "
     "idempotent per transaction; credits to virtual accounts settle their cases",
     NULL, p_import, HTTP_STAFF("clerk", "payments:write")},
    {"GET", "/{t}/payments/unmatched", unmatched_get, "payments",
     "The clerk's queue of booked transactions to no known virtual account", NULL, p_tenant,
     HTTP_STAFF("clerk", "payments:read")},
    {"POST", "/{t}/payments/{id}/assign", assign_post, "payments",
     "Assign an unmatched transaction: JSON {account: NRB} or {case: case id}; settles the owner", NULL, p_id,
     HTTP_STAFF("clerk", "payments:write")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
