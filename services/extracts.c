/* Extracts API: issue a wypis i wyrys (POST /{t}/extracts), fetch the record, the stored PDF and the wyrys
 * as PNG, and verify an issued document by its code (GET /verify/{code}) without personal data.
 *
 * Absolute URLs (on the document, in its QR code, in the records' links and Location) come only from the
 * gmina's configured public_url, never from the request's Host or X-Forwarded-* headers: a document printed
 * with an address the requester chose would vouch for that address. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "gis/cases.h"
#include "gis/extract.h"
#include "gis/extract_store.h"
#include "services/auth.h"
#include "services/cases.h"
#include "services/issue_order.h"
#include "services/payments.h"
#include "services/routes.h"
#include "services/server.h"
#include "services/web_page.h"
#include "util/log.h"
#include "util/text.h"
#include "util/sha256.h"

static struct gis_store *reader(struct svc_tenant *t, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(t, e);
    if (!s && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", t->cfg->name);
    return s;
}

/* The gmina's public base URL ("https://gis.example.pl"), or "" (links then stay relative) when it has
 * none, which config_load allows only when the gmina issues no extracts. */
static const char *public_base(const struct svc_tenant *t)
{
    return t->cfg->public_url;
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The record of an issued extract as JSON (personal data included: the id is the secret), with its case
 * (c may be NULL for an extract issued before cases were kept). */
static json_t *record_json(struct http_req *req, const struct gis_extract_stored *r, const struct gis_case *c,
                           struct err *e)
{
    const char *base =
        arena_printf(req->arena, "%s/%s/extracts/%s", public_base(req->tenant), req->tenant->cfg->slug, r->id);
    const char *code = r->verification_code;
    int sheets = r->wyrys_sheets;
    json_t *fee = json_object();
    json_object_set_new(fee, "total_pln", json_integer(r->fee_total));
    json_object_set_new(fee, "currency", json_string("PLN"));
    json_object_set_new(fee, "status", jstr(c ? c->fee_status : NULL));
    json_t *items = json_loads(r->fee_items_json, 0, NULL);
    json_object_set_new(fee, "items", items ? items : json_array());
    if (c)
        svc_pay_fee_fields(req->arena, fee, c);
    json_t *links = json_object();
    json_object_set_new(links, "self", json_string(base));
    json_object_set_new(links, "pdf", json_string(arena_printf(req->arena, "%s.pdf", base)));
    json_object_set_new(links, "receipt", json_string(arena_printf(req->arena, "%s/receipt.pdf", base)));
    json_object_set_new(links, "wyrys_png",
                        sheets > 0 ? json_string(arena_printf(req->arena, "%s/wyrys.png", base)) : json_null());
    json_object_set_new(links, "verify",
                        json_string(arena_printf(req->arena, "%s/verify/%s", public_base(req->tenant), code)));
    json_t *parcels = json_loads(r->parcels_json, 0, NULL);
    json_t *docs = json_loads(r->documents_json, 0, NULL);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:i, s:i, s:i, s:s, s:s, "
        "s:I, s:o}",
        "id", r->id, "case_number", r->case_number, "status", "issued", "date", jstr(r->issue_date), "created_at",
        r->created_at, "verification_code", code, "parcels", parcels ? parcels : json_array(), "documents",
        docs ? docs : json_array(), "applicant", "name", jstr(r->applicant_name), "address", jstr(r->applicant_address),
        "purpose", jstr(r->purpose), "fee", fee, "pages", r->pages, "wypis_pages", r->wypis_pages, "wyrys_sheets",
        sheets, "sha256", r->sha256, "media_type", "application/pdf", "bytes", (json_int_t)r->pdf_len, "links", links);
    if (j && sheets > 0)
        json_object_set_new(j, "sheet", jstr(r->sheet));
    if (j)
        json_object_set_new(j, "as_of", jstr(r->as_of));
    if (j && c) {
        json_t *cj = svc_case_json(req, c, false, NULL, 0);
        if (!cj || json_object_set_new(j, "case", cj)) {
            json_decref(j);
            j = NULL;
        }
    }
    if (!j)
        err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return j;
}

/* The record of an extract request not (yet) issued: its case, what was asked for, the fee, and where to
 * look again. status is "pending", or "refused" / "withdrawn" when the case ended without a document. */
static json_t *pending_json(struct http_req *req, const struct gis_case *c, struct err *e)
{
    const char *base =
        arena_printf(req->arena, "%s/%s/extracts/%s", public_base(req->tenant), req->tenant->cfg->slug, c->id);
    const char *status = !strcmp(c->status, GIS_CASE_REFUSED)     ? "refused"
                         : !strcmp(c->status, GIS_CASE_WITHDRAWN) ? "withdrawn"
                                                                  : "pending";
    json_t *rq = c->request_json ? json_loads(c->request_json, 0, NULL) : NULL;
    json_t *cj = svc_case_json(req, c, false, NULL, 0);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:i, s:s, s:s}, s:o, s:{s:s, s:s, s:s}}", "id", c->id,
                          "case_number", c->case_number, "status", status, "created_at", c->created_at,
                          "verification_code", c->verification_code ? c->verification_code : "", "request",
                          rq ? rq : json_null(), "fee", "total_pln", c->fee_pln, "currency", "PLN", "status",
                          c->fee_status ? c->fee_status : "due", "case", cj ? cj : json_null(), "links", "self", base,
                          "receipt", arena_printf(req->arena, "%s/receipt.pdf", base), "verify",
                          arena_printf(req->arena, "%s/verify/%s", public_base(req->tenant),
                                       c->verification_code ? c->verification_code : ""));
    if (j)
        svc_pay_fee_fields(req->arena, json_object_get(j, "fee"), c);
    if (!j)
        err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return j;
}

/* "inline" or "attachment" with the file name of an issued document: its case number with everything but
 * letters, digits, dots and dashes made an underscore. */
static const char *pdf_disposition(struct arena *a, const char *kind, const char *case_number)
{
    char fname[96];
    size_t o = 0;
    for (const char *p = case_number ? case_number : "extract"; *p && o + 1 < sizeof fname; p++)
        fname[o++] = (char)((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                                    *p == '.' || *p == '-'
                                ? *p
                                : '_');
    fname[o] = 0;
    return arena_printf(a, "%s; filename=\"wypis-wyrys-%s.pdf\"", kind, fname);
}

/* ---- POST /{t}/extracts ---- */

static enum err_code extract_request_read(struct http_req *req, json_t *body, struct gis_extract_issue *is,
                                          const char **email, struct err *e);

/* A registration on the tenant's writer (svc_tenant_write): the case with its number, and, where the gmina
 * issues at once, the extract; the answer (the record as JSON) is read back in the same transaction, so
 * that it shows what is committed. Issued at once (issue_at_once), the receipt and the document are
 * rendered before, outside the transaction, for the number foreseen (services/issue_order.h). */
struct issue_job {
    struct http_req *req;
    struct gis_store *rd;
    const struct gis_extract_issue *is;
    const char *email;
    struct gis_extract_fee fee; /* quoted at registration when not issued at once */
    bool exempt;                /* the request claims an exemption from the fee */
    const char *case_number;    /* out */
    bool issued;                /* out */
    json_t *j;                  /* the record; the caller's once set */
    /* issued at once: the case as numbered, its receipt and document rendered for that number */
    struct gis_case_stamp st;
    struct gis_case c;
    struct gis_receipt receipt;
    const void *receipt_pdf;
    size_t receipt_len;
    bool receipt_sealed;
    struct gis_extract_rendered doc;
    const struct gis_extract_doc *model; /* the document model, built before the ticket */
};

static const char *actor_of(struct http_req *req)
{
    return req->principal ? req->principal->account.login : "anonim";
}

/* Reads again the request case c keeps, as the document is issued from it, with what the payments core
 * knows of the fee and when the application came. */
static enum err_code case_request(struct http_req *req, const struct gis_case *c, struct gis_extract_issue *is,
                                  struct err *e)
{
    json_t *body = c->request_json ? json_loads(c->request_json, 0, NULL) : NULL;
    if (!body || arena_defer(req->arena, (void (*)(void *))json_decref, body)) {
        json_decref(body);
        return err_set(e, ERR_INTERNAL, "the stored request of case %s is unreadable", c->case_number);
    }
    const char *email = NULL;
    struct err re = {0};
    if (extract_request_read(req, body, is, &email, &re)) /* valid at registration: a refusal now is ours */
        return err_recast(e, re.code == ERR_UNPROCESSABLE ? ERR_INTERNAL : re.code, &re);
    is->case_number = c->case_number, is->seq = c->seq, is->year = c->year;
    is->tmpl.fee_status = c->fee_status;
    is->tmpl.fee_method = c->pay_nrb && c->pay_paid_gr > 0 ? "account" : "clerk";
    is->tmpl.received_date = c->created_at ? arena_strndup(req->arena, c->created_at, 10) : NULL;
    is->tmpl.received_mode = c->applicant_account ? "elektronicznie, przez konto w serwisie gminy"
                                                  : "elektronicznie, przez formularz serwisu gminy (bez konta)";
    is->code = c->verification_code, is->id = c->id;
    return ERR_OK;
}

/* Records on case c the extract rec issued for it: its documents, status done, and the history. */
static enum err_code case_issued(struct http_req *req, struct gis_store *w, struct gis_case *c,
                                 const struct gis_extract_record *rec, const char *note, struct err *e)
{
    json_t *docs = json_loads(c->documents_json ? c->documents_json : "[]", 0, NULL);
    if (!json_is_array(docs)) {
        json_decref(docs);
        docs = json_array();
    }
    json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:s}", "kind", "wypis i wyrys", "id", rec->id, "issued_at",
                                          rec->created_at, "verification_code", rec->verification_code));
    char *dj = json_dumps(docs, JSON_COMPACT);
    json_decref(docs);
    c->documents_json = dj ? arena_strdup(req->arena, dj) : NULL;
    free(dj);
    if (!c->documents_json)
        return err_set(e, ERR_INTERNAL, "out of memory");
    c->status = GIS_CASE_DONE;
    c->request_json = NULL; /* the extract row holds what was issued now */
    if (gis_case_update(w, c, e) || gis_case_event_add(w, c->id, actor_of(req), GIS_CASE_DONE, note, e))
        return e->code;
    return ERR_OK;
}

enum err_code svc_extract_issue_case(struct http_req *req, struct gis_store *w, struct gis_case *c, const char *note,
                                     struct err *e)
{
    if (strcmp(c->module, "extracts") != 0)
        return err_set(e, ERR_CONFLICT, "case %s is not an extract request", c->case_number);
    if (!gis_case_status_open(c->status))
        return err_set(e, ERR_CONFLICT, "sprawa %s jest zakończona (%s)", c->case_number, c->status);
    struct gis_store *rd = reader(req->tenant, e);
    if (!rd)
        return e->code;
    struct gis_extract_issue is;
    struct gis_extract_record rec;
    if (case_request(req, c, &is, e) || gis_extract_issue_write(w, rd, req->arena, &is, &rec, e))
        return e->code;
    return case_issued(req, w, c, &rec, note, e);
}

/* Whether job's extract is issued at registration: where the gmina issues at once, and, where it issues on
 * payment, for an exempt request (it has nothing to pay). */
static bool issues_now(const struct issue_job *job)
{
    const struct config_tenant *cfg = job->req->tenant->cfg;
    return cfg->extract_issue == CONFIG_ISSUE_IMMEDIATE ||
           (cfg->extract_issue == CONFIG_ISSUE_ON_PAYMENT && job->exempt);
}

static const char *issue_note(const struct issue_job *job)
{
    return job->exempt && job->req->tenant->cfg->extract_issue != CONFIG_ISSUE_IMMEDIATE
               ? "wydany od razu: wniosek zwolniony z opłaty skarbowej"
               : "wydany od razu (extract_issue = immediate)";
}

/* The case of job's registration stamped st (art. 217 par. 3 KPA: a zaświadczenie, and so a wypis i wyrys,
 * within 7 days). */
static enum err_code case_of(struct issue_job *job, const struct gis_case_stamp *st, struct gis_case *c, struct err *e)
{
    struct http_req *req = job->req;
    const struct config_tenant *cfg = req->tenant->cfg;
    const struct auth_principal *p = req->principal;
    *c = (struct gis_case){
        .id = st->id,
        .case_number = gis_case_number(req->arena, cfg->case_format, st->seq, st->year),
        .module = "extracts",
        .seq = st->seq,
        .year = st->year,
        .applicant_account = p ? p->account.id : 0,
        .applicant_login = p ? p->account.login : NULL,
        .applicant_email = job->email,
        .applicant_name = gis_extract_clean(req->arena, job->is->applicant_name, GIS_EXTRACT_MAX_TEXT),
        .status = GIS_CASE_FILED,
        .created_at = st->created,
        .deadline = st->deadline,
        .fee_pln = job->fee.due_pln,
        .fee_status = job->exempt ? "exempt" : "due",
        .verification_code = st->code,
        .request_json = gis_extract_request_json(req->arena, job->is),
        .documents_json = "[]",
    };
    if (!c->case_number || !c->request_json)
        return err_set(e, ERR_INTERNAL, "out of memory");
    return ERR_OK;
}

/* The answer to an extract issued at registration as case c, in the issuing transaction: the fee of the
 * document as rendered, left due, the case's payment account, and the record as committed. */
static enum err_code issued_answer(struct issue_job *job, struct gis_store *w, struct gis_case *c, struct err *e)
{
    struct http_req *req = job->req;
    struct gis_extract_stored r;
    if (gis_extract_stored_find(w, req->arena, GIS_EXTRACT_BY_ID, c->id, false, &r, e))
        return e->code;
    c->fee_pln = r.fee_total;
    if (gis_case_fee_set(w, c->id, r.fee_total, c->fee_status, e) ||
        svc_pay_case_account(req->tenant->cfg, w, req->arena, c, e))
        return e->code;
    job->j = record_json(req, &r, c, e);
    return job->j ? ERR_OK : e->code;
}

static enum err_code issue_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct issue_job *job = ctx;
    struct http_req *req = job->req;
    struct gis_case_stamp st;
    struct gis_case c;
    if (gis_case_stamp_new(w, 7, &st, e) || case_of(job, &st, &c, e))
        return e->code;
    job->case_number = c.case_number;
    if (gis_case_insert(w, &c, actor_of(req), e) ||
        gis_extract_receipt(w, job->is, c.id, c.case_number, c.created_at, c.request_json, req->arena, e))
        return e->code;
    if (issues_now(job)) {
        if (svc_extract_issue_case(req, w, &c, issue_note(job), e))
            return e->code;
        job->issued = true;
        return issued_answer(job, w, &c, e);
    }
    if (svc_pay_case_account(req->tenant->cfg, w, req->arena, &c, e))
        return e->code;
    job->j = pending_json(req, &c, e);
    return job->j ? ERR_OK : e->code;
}

/* The receipt of an issue, rendered and sealed on another job thread while the document renders: its own
 * buffer and error, nothing of the request's arena. */
struct receipt_render {
    struct svc_task task;
    const struct gis_receipt *r;
    const struct gis_seal *seal;
    struct buf pdf;
    bool sealed;
    enum err_code rc;
    struct err e;
};

static void receipt_render_run(void *arg)
{
    struct receipt_render *rr = arg;
    rr->rc = gis_receipt_pdf(rr->r, rr->seal, &rr->pdf, &rr->sealed, &rr->e);
}

/* Renders job's receipt and extract for its case as numbered now, from reader rd: the two at once, the
 * receipt as a task (services/server.h) beside the document on this thread. */
static enum err_code issue_render(struct issue_job *job, struct gis_store *rd, struct err *e)
{
    struct http_req *req = job->req;
    const struct gis_case *c = &job->c;
    job->receipt = gis_extract_receipt_of(job->is, c->id, c->case_number, c->created_at, c->request_json, req->arena);
    struct receipt_render rr = {.r = &job->receipt, .seal = job->is->seal};
    rr.task.fn = receipt_render_run, rr.task.arg = &rr;
    svc_task_start(&rr.task);
    struct gis_extract_issue is;
    enum err_code rc = case_request(req, c, &is, e);
    if (!rc) {
        is.doc = job->model;
        rc = gis_extract_issue_render(rd, req->arena, &is, &job->doc, e);
    }
    svc_task_wait(&rr.task);
    if (!rc && rr.rc)
        *e = rr.e, rc = rr.rc;
    void *copy = rc ? NULL : arena_alloc(req->arena, rr.pdf.len ? rr.pdf.len : 1);
    if (copy)
        memcpy(copy, rr.pdf.data, rr.pdf.len);
    else if (!rc)
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    job->receipt_pdf = copy, job->receipt_len = rr.pdf.len, job->receipt_sealed = rr.sealed;
    buf_free(&rr.pdf);
    return rc;
}

/* The write of an extract issued at once, in ticket order (svc_issue_commit): the number drawn now, the
 * receipt and document rendered again if it is not the one foreseen, then the case, receipt, extract and
 * answer as issue_run writes them. */
static enum err_code issue_commit_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct issue_job *job = ctx;
    struct http_req *req = job->req;
    json_decref(job->j);
    job->j = NULL;
    long seq;
    if (gis_case_seq_next(w, job->st.year, &seq, e))
        return e->code;
    if (seq != job->st.seq) {
        log_info("extracts: case number %ld of %d foreseen but %ld drawn (another write took one meanwhile): "
                 "rendered again under the writer",
                 job->st.seq, job->st.year, seq);
        struct gis_store *rd = reader(req->tenant, e);
        job->st.seq = seq;
        if (!rd || case_of(job, &job->st, &job->c, e) || issue_render(job, rd, e))
            return e->code;
    }
    struct gis_case c = job->c; /* changed below; a second run starts again from job->c */
    struct gis_extract_record rec;
    if (gis_case_insert(w, &c, actor_of(req), e) ||
        gis_receipt_store(w, &job->receipt, job->receipt_pdf, job->receipt_len, job->receipt_sealed, e) ||
        gis_extract_issue_store(w, &job->doc, &rec, e) || case_issued(req, w, &c, &rec, issue_note(job), e))
        return e->code;
    job->case_number = c.case_number;
    job->issued = true;
    return issued_answer(job, w, &c, e);
}

/* Issues job's extract at once: the number foreseen, the receipt and document rendered outside the writer,
 * then committed in the order of the numbers with whatever else is ready (services/issue_order.h). */
static enum err_code issue_at_once(struct issue_job *job, struct err *e)
{
    struct svc_tenant *t = job->req->tenant;
    unsigned long ticket;
    /* the parcels checked before a number is foreseen: a refused request (422) takes no ticket, which would
     * make every later ticket render again under the writer */
    struct gis_extract_doc *model;
    /* the model and the document read one snapshot, in one read transaction: the same data throughout,
     * and the reader's locks taken once instead of per query */
    bool begun = gis_store_read_begin(job->rd), reserved = false;
    enum err_code rc =
        gis_extract_build(job->rd, job->req->arena, job->is->parcels, job->is->nparcels, job->is->as_of, &model, e);
    if (!rc) {
        job->model = model;
        if (gis_case_stamp_init(7, &job->st, e) || svc_issue_reserve(t, job->st.year, &ticket, &job->st.seq, e))
            rc = e->code;
        else
            reserved = true;
    }
    if (!rc)
        rc = case_of(job, &job->st, &job->c, e);
    if (!rc)
        rc = issue_render(job, job->rd, e);
    gis_store_read_end(job->rd, begun);
    if (!reserved)
        return rc;
    struct err ce = {0};
    enum err_code crc = svc_issue_commit(t, ticket, rc ? NULL : issue_commit_run, job, &ce);
    if (!rc && crc)
        *e = ce;
    return rc ? rc : crc;
}

/* Whether id has the form of an EGiB parcel identifier, "080505_5.0001.12": six digits of the TERYT of
 * its gmina (whose type digit follows '_'), so that another gmina's can be told at once. */
static bool teryt_parcel_id(const char *id)
{
    for (int i = 0; i < 6; i++)
        if (id[i] < '0' || id[i] > '9')
            return false;
    return id[6] == '_';
}

/* The 422 for a parcel of another gmina: the gmina served here that holds it, with the address to ask
 * there (description, "tenant", "href"), or that none of them does. */
static enum err_code wrong_gmina(struct http_req *req, struct http_resp *resp, const char *parcel, struct err *e)
{
    const struct config_tenant *here = req->tenant->cfg;
    struct svc_tenant *other = svc_tenant_with_parcel(req, parcel);
    if (!other)
        return err_at(e, ERR_UNPROCESSABLE, "parcels",
                      "Działka %.64s nie leży w gminie %s ani w innej gminie obsługiwanej tutaj (parcel not in any "
                      "gmina served here)",
                      parcel, here->name);
    const char *href = arena_printf(req->arena, "%s/%s/extracts", public_base(other), other->cfg->slug);
    const char *desc = arena_printf(req->arena,
                                    "Działka %.64s leży w gminie %s, nie w gminie %s: wniosek o wypis i wyrys "
                                    "złóż tam (POST %s)",
                                    parcel, other->cfg->name, here->name, href);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", err_name(ERR_UNPROCESSABLE), "description", desc,
                          "parameter", "parcels", "tenant", other->cfg->slug, "href", href);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory");
    return http_resp_json(req, resp, 422, j, e);
}

static enum err_code extract_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!req->tenant->cfg->extracts)
        return err_set(e, ERR_NOT_FOUND, "gmina %s does not issue extracts here", req->tenant->cfg->name);
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_error_t jerr;
    json_t *body = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!body)
        return err_param(e, "body", "the body is not valid JSON%s%.100s", req->body ? ": " : "",
                         req->body ? jerr.text : "");
    if (arena_defer(req->arena, (void (*)(void *))json_decref, body))
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!json_is_object(body))
        return err_param(e, "body", "the body must be a JSON object");
    struct svc_tenant *t = req->tenant;
    struct gis_extract_issue is;
    const char *email = NULL;
    if (extract_request_read(req, body, &is, &email, e))
        return e->code;
    for (int i = 0; i < is.nparcels; i++)
        if (teryt_parcel_id(is.parcels[i]) && strncmp(is.parcels[i], t->cfg->teryt, 6) != 0)
            return wrong_gmina(req, resp, is.parcels[i], e);
    /* A request without an account that is not answered at once needs an address for the answer. */
    if (!req->principal && !email && t->cfg->extract_issue != CONFIG_ISSUE_IMMEDIATE)
        return err_at(e, ERR_UNPROCESSABLE, "applicant.email",
                      "Podaj adres e-mail do odpowiedzi (applicant.email) albo zaloguj się: gmina %s wydaje wypis "
                      "%s, nie od razu",
                      t->cfg->name,
                      t->cfg->extract_issue == CONFIG_ISSUE_CLERK ? "po decyzji urzędnika" : "po uiszczeniu opłaty");
    struct gis_store *rd = reader(t, e);
    if (!rd)
        return e->code;
    struct issue_job job = {.req = req,
                            .rd = rd,
                            .is = &is,
                            .email = email,
                            .exempt = gis_extract_exemption_for(is.purpose, is.applicant_kind) != GIS_EXEMPT_NONE};
    /* The fee of a request issued later is known at registration: a draft is rendered to count it. */
    if (t->cfg->extract_issue != CONFIG_ISSUE_IMMEDIATE && gis_extract_quote(rd, req->arena, &is, &job.fee, e))
        return e->code;
    enum err_code rc =
        issues_now(&job) && t->issue_order ? issue_at_once(&job, e) : svc_tenant_write(t, issue_run, &job, e);
    if (rc) {
        json_decref(job.j);
        return e->code;
    }
    svc_auth_audit(req, "case.register", job.case_number,
                   arena_printf(req->arena, "extracts, %s", job.issued ? "wydany od razu" : "czeka na wydanie"));
    json_t *j = job.j;
    /* The header must outlive j, which the response serialiser frees. */
    const char *self = json_string_value(json_object_get(json_object_get(j, "links"), "self"));
    http_resp_header(resp, "Location", arena_strdup(req->arena, self ? self : ""));
    return http_resp_json(req, resp, 201, j, e);
}

/* The fields an extract request may have, at the top and in "applicant". */
static const char *const request_fields[] = {"parcels", "applicant", "purpose", "documents", "sheet", "as_of", NULL};
static const char *const applicant_fields[] = {"name", "address", "email", "kind", NULL};

/* A 400 naming the first field of object o (at path prefix, "" or "applicant.") that is not in known: a
 * misspelt field ("asof") must not be silently ignored. */
static enum err_code fields_known(json_t *o, const char *prefix, const char *const *known, struct arena *a,
                                  struct err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int k = 0;
        while (known[k] && strcmp(known[k], key))
            k++;
        if (!known[k])
            return err_param(e, arena_printf(a, "%s%.40s", prefix, key), "unknown field '%s%.40s' in the request",
                             prefix, key);
    }
    return ERR_OK;
}

/* "as_of": the date the plans are taken as in force on (YYYY-MM-DD), NULL when absent (today); a 400
 * naming it when it is not a date. */
static enum err_code as_of_read(json_t *body, const char **as_of, struct err *e)
{
    json_t *j = json_object_get(body, "as_of");
    int day;
    *as_of = NULL;
    if (!j || json_is_null(j))
        return ERR_OK;
    if (!json_is_string(j) || !gis_cal_parse_date(json_string_value(j), &day))
        return err_param(e, "as_of", "as_of must be a date YYYY-MM-DD (1900-2999)");
    *as_of = json_string_value(j);
    return ERR_OK;
}

/* Reads an extract request (the body of POST /{t}/extracts, or the request a registered case keeps) into
 * is; *email is the applicant's e-mail address for the answer, when given. Strings point into body. */
static enum err_code extract_request_read(struct http_req *req, json_t *body, struct gis_extract_issue *is,
                                          const char **email, struct err *e)
{
    const char *as_of;
    if (fields_known(body, "", request_fields, req->arena, e) ||
        (json_is_object(json_object_get(body, "applicant")) &&
         fields_known(json_object_get(body, "applicant"), "applicant.", applicant_fields, req->arena, e)) ||
        as_of_read(body, &as_of, e))
        return e->code;
    json_t *parcels = json_object_get(body, "parcels");
    if (!json_is_array(parcels))
        return err_param(e, "parcels", "parcels must be an array of parcel identifiers");
    size_t n = json_array_size(parcels);
    if (n == 0)
        return err_set(e, ERR_UNPROCESSABLE, "parcels is empty; give 1 to %d parcel identifiers",
                       GIS_EXTRACT_MAX_PARCELS);
    if (n > GIS_EXTRACT_MAX_PARCELS)
        return err_at(e, ERR_UNPROCESSABLE, "parcels", "%zu parcels requested; one extract covers at most %d parcels",
                      n, GIS_EXTRACT_MAX_PARCELS);
    const char **ids = arena_alloc(req->arena, sizeof *ids * n);
    if (!ids)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(parcels, i));
        if (!ids[i]) {
            return err_at(e, ERR_UNPROCESSABLE, "parcels", "parcels[%zu] is not a string", i);
        }
    }
    json_t *app = json_object_get(body, "applicant");
    if (app && !json_is_object(app))
        return err_at(e, ERR_UNPROCESSABLE, "applicant", "applicant must be an object with name and address");
    json_t *jn = json_object_get(app, "name"), *ja = json_object_get(app, "address"),
           *jp = json_object_get(body, "purpose");
    if ((jn && !json_is_string(jn)) || (ja && !json_is_string(ja) && !json_is_null(ja)) ||
        (jp && !json_is_string(jp) && !json_is_null(jp)))
        return err_at(e, ERR_UNPROCESSABLE, "applicant",
                      "applicant.name, applicant.address and purpose must be strings");
    bool wypis = true, wyrys = true;
    json_t *docs = json_object_get(body, "documents");
    if (docs) {
        if (!json_is_array(docs) || json_array_size(docs) == 0)
            return err_at(e, ERR_UNPROCESSABLE, "documents",
                          "documents must be a non-empty array of \"wypis\" and \"wyrys\"");
        wypis = wyrys = false;
        size_t i;
        json_t *v;
        json_array_foreach(docs, i, v)
        {
            const char *s = json_string_value(v);
            if (s && !strcmp(s, "wypis"))
                wypis = true;
            else if (s && !strcmp(s, "wyrys"))
                wyrys = true;
            else
                return err_at(e, ERR_UNPROCESSABLE, "documents", "documents[%zu] must be \"wypis\" or \"wyrys\"", i);
        }
    }
    struct svc_tenant *t = req->tenant;
    const struct config_tenant *c = t->cfg;
    enum gis_extract_sheet sheet = GIS_EXTRACT_A4;
    json_t *js = json_object_get(body, "sheet");
    if (js && !json_is_null(js)) {
        if (!gis_extract_sheet_parse(json_string_value(js), &sheet))
            return err_at(e, ERR_UNPROCESSABLE, "sheet",
                          "sheet must be \"A4\", \"A3\" (landscape), \"A3-landscape\" or \"A3-portrait\"");
        if (sheet != GIS_EXTRACT_A4 && !c->wyrys_allow_a3)
            return err_at(e, ERR_UNPROCESSABLE, "sheet", "gmina %s issues the wyrys on A4 sheets only", c->name);
    }
    json_t *jk = json_object_get(app, "kind");
    const char *kind = jk && !json_is_null(jk) ? json_string_value(jk) : NULL;
    if (jk && !json_is_null(jk) && !gis_extract_applicant_kind_ok(kind))
        return err_at(e, ERR_UNPROCESSABLE, "applicant.kind",
                      "applicant.kind must be person, company, budget_unit, local_government, public_benefit_org or "
                      "social_assistance");
    json_t *jm = json_object_get(app, "email");
    if (jm && !json_is_null(jm)) {
        const char *m = json_string_value(jm);
        size_t ml = m ? strlen(m) : 0;
        const char *at = m ? strchr(m, '@') : NULL;
        bool ok = m && ml >= 3 && ml <= 254 && at && at != m && at[1] && !strchr(at + 1, '@');
        for (size_t i = 0; ok && i < ml; i++)
            ok = (unsigned char)m[i] > ' ' && m[i] != 0x7f && m[i] != '<' && m[i] != '>' && m[i] != '"';
        if (!ok)
            return err_at(e, ERR_UNPROCESSABLE, "applicant.email", "applicant.email must be an e-mail address");
        *email = m;
    }
    *is = (struct gis_extract_issue){
        .parcels = ids,
        .nparcels = (int)n,
        .applicant_name = json_string_value(jn),
        .applicant_address = json_string_value(ja),
        .purpose = json_string_value(jp),
        .applicant_kind = kind,
        .wypis = wypis,
        .wyrys = wyrys,
        .sheet = sheet,
        .as_of = as_of,
        .case_format = c->case_format,
        .verify_base = arena_printf(req->arena, "%s/verify/", public_base(t)),
        .seal = t->seal,
        .tmpl = gis_extract_tmpl(c),
    };
    is->tmpl.received_mode = req->principal ? "elektronicznie, przez konto w serwisie gminy"
                                            : "elektronicznie, przez formularz serwisu gminy (bez konta)";
    return ERR_OK;
}

/* ---- GET /{t}/extracts/quote ---- */

static const char *const quote_params[] = {
    "parcels", "documents", "as_of", "purpose", "sheet", "applicant_kind", "applicant_name", "applicant_address", NULL};

static enum MHD_Result quote_param_known(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct err *e = cls;
    for (const char *const *k = quote_params; *k; k++)
        if (!strcmp(*k, key)) {
            if (value && (strlen(value) > 8192 || !text_utf8_valid(value, strlen(value)))) {
                err_param(e, key, "%s must be UTF-8 text of at most 8192 bytes", key);
                return MHD_NO;
            }
            return MHD_YES;
        }
    err_param(e, key, "unknown query parameter '%.40s'", key);
    return MHD_NO;
}

/* A comma-separated query value as a JSON array of its non-empty, trimmed items (NULL: absent). */
static json_t *csv_array(const char *v)
{
    if (!v)
        return NULL;
    json_t *arr = json_array();
    const char *p = v;
    while (arr && *p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n)
            json_array_append_new(arr, json_stringn_nocheck(p, n));
        p = c ? c + 1 : p + strlen(p);
    }
    return arr;
}

/* The query of a quote as the body of the POST it stands for, read by the same extract_request_read. */
static json_t *quote_body(struct http_req *req)
{
    json_t *b = json_object();
    json_t *parcels = csv_array(http_query(req, "parcels"));
    json_object_set_new(b, "parcels", parcels ? parcels : json_array());
    json_t *docs = csv_array(http_query(req, "documents"));
    if (docs)
        json_object_set_new(b, "documents", docs);
    static const char *const scalars[] = {"as_of", "purpose", "sheet"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        const char *v = http_query(req, scalars[i]);
        if (v)
            json_object_set_new(b, scalars[i], json_string_nocheck(v));
    }
    /* the applicant's name and address, where given, are set as the issue sets them, so that a long one
     * counts its lines (without them the document reserves two lines each) */
    static const char *const applicant[][2] = {
        {"applicant_kind", "kind"}, {"applicant_name", "name"}, {"applicant_address", "address"}};
    for (size_t i = 0; i < sizeof applicant / sizeof applicant[0]; i++) {
        const char *v = http_query(req, applicant[i][0]);
        if (!v)
            continue;
        json_t *app = json_object_get(b, "applicant");
        if (!app)
            json_object_set_new(b, "applicant", app = json_object());
        json_object_set_new(app, applicant[i][1], json_stringn_nocheck(v, strlen(v)));
    }
    return b;
}

static json_t *quote_json(const struct gis_extract_issue *is, const struct gis_extract_result *r, bool per_plan)
{
    char *items = gis_extract_fee_items_json(&r->fee);
    json_t *ij = items ? json_loads(items, 0, NULL) : NULL;
    free(items);
    const struct gis_extract_exemption_text *x = gis_extract_exemption_text(r->fee.exemption);
    json_t *ex = r->fee.exemption != GIS_EXEMPT_NONE
                     ? json_pack("{s:s, s:s, s:s}", "code", x->code, "article", x->article, "reason", x->reason)
                     : json_null();
    json_t *p = json_array();
    for (int i = 0; i < is->nparcels; i++)
        json_array_append_new(p, json_string(is->parcels[i]));
    json_t *d = json_array();
    if (is->wypis)
        json_array_append_new(d, json_string("wypis"));
    if (is->wyrys && r->wyrys_sheets > 0)
        json_array_append_new(d, json_string("wyrys"));
    return json_pack("{s:o, s:o, s:o, s:s, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:s, s:b, s:i, s:o, s:o}}", "parcels", p,
                     "documents", d, "as_of", is->as_of ? json_string(is->as_of) : json_null(), "sheet",
                     gis_extract_sheet_name(is->sheet), "pages", r->pages, "wypis_pages", r->wypis_pages,
                     "wyrys_sheets", r->wyrys_sheets, "wyrys_parts", r->fee.wyrys_sheets, "fee", "total_pln",
                     r->fee.total_pln, "due_pln", r->fee.due_pln, "currency", "PLN", "per_plan", per_plan,
                     "wypis_count", r->fee.wypis_count, "items", ij ? ij : json_array(), "exemption", ex);
}

/* The page counts and the fee of an extract, before it is asked for: the document rendered in memory by
 * the issue's own code path (gis_extract_quote_full), nothing stored, no case number drawn. */
static enum err_code extract_quote(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct svc_tenant *t = req->tenant;
    if (!t->cfg->extracts)
        return err_set(e, ERR_NOT_FOUND, "gmina %s does not issue extracts here", t->cfg->name);
    if (req->sub_query) /* asked in-process by a page (http_subrequest): its own query, not the page's */
        for (const char *const *q = req->sub_query; q[0] && !e->code; q += 2)
            quote_param_known(e, MHD_GET_ARGUMENT_KIND, q[0], q[1]);
    else
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, quote_param_known, e);
    if (e->code)
        return e->code;
    json_t *body = quote_body(req);
    if (!body || arena_defer(req->arena, (void (*)(void *))json_decref, body)) {
        json_decref(body);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    struct gis_extract_issue is;
    const char *email = NULL;
    if (extract_request_read(req, body, &is, &email, e))
        return e->code;
    for (int i = 0; i < is.nparcels; i++)
        if (teryt_parcel_id(is.parcels[i]) && strncmp(is.parcels[i], t->cfg->teryt, 6) != 0)
            return wrong_gmina(req, resp, is.parcels[i], e);
    struct gis_store *rd = reader(t, e);
    if (!rd)
        return e->code;
    if (http_offload(req)) /* it renders the documents to count their pages: on a job thread */
        return ERR_OK;
    struct gis_extract_result r;
    if (gis_extract_quote_full(rd, req->arena, &is, &r, e))
        return e->code;
    json_t *j = quote_json(&is, &r, t->cfg->extract_fee_per_plan);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- GET /{t}/extracts/{id} and {id}.pdf ---- */

static enum err_code extract_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *cap = http_capture(req, "id");
    size_t len = strlen(cap);
    bool pdf = len > 4 && !strcmp(cap + len - 4, ".pdf");
    char *id = arena_strndup(req->arena, cap, pdf ? len - 4 : len);
    if (!id || !id_ok(id))
        return err_set(e, ERR_NOT_FOUND, "no extract with this id");
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_extract_stored r;
    struct gis_case c;
    struct err ce = {0};
    bool has_case = !gis_case_find(s, req->arena, false, id, &c, &ce);
    if (!has_case && ce.code != ERR_NOT_FOUND)
        return err_recast(e, ce.code, &ce);
    if (gis_extract_stored_find(s, req->arena, GIS_EXTRACT_BY_ID, id, pdf, &r, e)) {
        if (e->code != ERR_NOT_FOUND || !has_case || strcmp(c.module, "extracts") != 0)
            return e->code;
        /* registered, not issued: the record says so; there is no document yet */
        if (pdf)
            return err_set(e, ERR_NOT_FOUND, "sprawa %s: dokument nie został (jeszcze) wydany (status: %s)",
                           c.case_number, c.status);
        err_clear(e);
        json_t *j = pending_json(req, &c, e);
        if (!j)
            return e->code;
        http_resp_header(resp, "Cache-Control", "private, no-store");
        return http_resp_json(req, resp, 200, j, e);
    }
    if (!pdf) {
        json_t *j = record_json(req, &r, has_case ? &c : NULL, e);
        if (!j)
            return e->code;
        http_resp_header(resp, "Cache-Control", "private, no-store");
        return http_resp_json(req, resp, 200, j, e);
    }
    http_resp_body(resp, 200, "application/pdf", (const char *)r.pdf, r.pdf_len);
    http_resp_header(resp, "ETag", arena_printf(req->arena, "\"%s\"", r.sha256 ? r.sha256 : ""));
    http_resp_header(resp, "Cache-Control", "private, max-age=31536000, immutable");
    http_resp_header(resp, "Content-Disposition", pdf_disposition(req->arena, "inline", r.case_number));
    return ERR_OK;
}

/* ---- GET /{t}/extracts/{id}/wyrys.png ---- */

static enum err_code extract_png(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *id = http_capture(req, "id");
    if (!id_ok(id))
        return err_set(e, ERR_NOT_FOUND, "no extract with this id");
    long dpi = 150, sheet = 1;
    const char *v = http_query(req, "dpi");
    if (v && !text_parse_long(v, 36, 600, &dpi))
        return err_param(e, "dpi", "dpi must be an integer from 36 to 600");
    v = http_query(req, "sheet");
    if (v && !text_parse_long(v, 1, 1000, &sheet))
        return err_param(e, "sheet", "sheet must be an integer from 1");
    struct svc_tenant *t = req->tenant;
    struct gis_store *s = reader(t, e);
    if (!s)
        return e->code;
    struct gis_extract_stored r;
    if (gis_extract_stored_find(s, req->arena, GIS_EXTRACT_BY_ID, id, false, &r, e))
        return e->code;
    json_t *pj = json_loads(r.parcels_json, 0, NULL);
    const char *case_number = r.case_number;
    const char *date = r.issue_date;
    int sheets = r.wyrys_sheets;
    enum gis_extract_sheet fmt = GIS_EXTRACT_A4;
    gis_extract_sheet_parse(r.sheet, &fmt);
    if (!pj)
        return err_set(e, ERR_INTERNAL, "stored parcel list is unreadable");
    if (sheets == 0) {
        json_decref(pj);
        return err_set(e, ERR_NOT_FOUND, "this extract has no wyrys");
    }
    size_t n = json_array_size(pj);
    const char **ids = arena_alloc(req->arena, sizeof *ids * (n ? n : 1));
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = arena_strdup(req->arena, json_string_value(json_array_get(pj, i)));
    json_decref(pj);
    if (!ids)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_extract_doc *doc;
    struct err be = {0};
    /* the parcels were valid when the extract was issued: a refusal now is a fault of ours */
    if (gis_extract_build(s, req->arena, ids, (int)n, r.as_of, &doc, &be))
        return err_recast(e, be.code == ERR_UNPROCESSABLE ? ERR_INTERNAL : be.code, &be);
    const struct config_tenant *c = t->cfg;
    struct gis_extract_meta m = {.organ = c->organ,
                                 .place = c->place,
                                 .gmina = c->name,
                                 .case_number = case_number,
                                 .date = date,
                                 .wyrys = true,
                                 .sheet = fmt,
                                 .style = gis_extract_style()};
    struct buf out = {0};
    struct err we = {0};
    enum err_code rc = gis_extract_wyrys_png(s, doc, &m, (int)sheet - 1, (double)dpi, &out, &we);
    if (rc) /* a sheet number past the last sheet names nothing: 404, not a malformed request */
        rc = err_recast(e, rc == ERR_INVALID && !strcmp(we.param, "sheet") ? ERR_NOT_FOUND : rc, &we);
    if (!rc) {
        char *body = arena_alloc(req->arena, out.len + 1);
        if (!body)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        else {
            memcpy(body, out.data, out.len);
            http_resp_body(resp, 200, "image/png", body, out.len);
            http_resp_header(resp, "Cache-Control", "private, max-age=86400");
        }
    }
    buf_free(&out);
    return rc;
}

/* ---- GET /verify/{code}, GET /verify/{code}/pdf ---- */

/* An issued document found by its verification code. Strings live in req->arena. */
struct verify_hit {
    struct svc_tenant *t;
    const char *case_number, *date, *sha256;
    json_t *parcels, *docs; /* owned: released with the arena */
    int pages;
    long long bytes;
    /* A registered case whose document is not issued: its status ("złożony", "w toku", ..., "odmowa"); the
     * rest but t and case_number is then empty. NULL for an issued document. */
    const char *case_status;
    /* The stored file checked: its SHA-256 against the stored hash, and its electronic seal */
    bool hash_ok;
    struct gis_seal_report seal;
};

/* The code from the path, upper-cased, with dashes and spaces dropped, into code; false when it is not
 * GIS_EXTRACT_CODE_LEN characters of A-Z and 2-7. */
static bool verify_code_parse(const char *raw, char code[GIS_EXTRACT_CODE_LEN + 1])
{
    size_t o = 0;
    for (const char *p = raw ? raw : ""; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        char ch = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (o >= GIS_EXTRACT_CODE_LEN || !((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')))
            return false;
        code[o++] = ch;
    }
    code[o] = 0;
    return o == GIS_EXTRACT_CODE_LEN;
}

static void json_release(void *j)
{
    json_decref(j);
}

/* Looks the code up in every gmina's store: ERR_OK with h filled, or ERR_NOT_FOUND. */
static enum err_code verify_find(struct http_req *req, const char *code, struct verify_hit *h, struct err *e)
{
    struct svc_server *srv = req->server;
    for (int i = 0; i < svc_server_tenant_count(srv); i++) {
        struct svc_tenant *t = svc_server_tenant(srv, i);
        struct err le = {0};
        struct gis_store *s = svc_tenant_reader(t, &le);
        struct gis_extract_stored r;
        if (!s)
            continue;
        if (gis_extract_stored_find(s, req->arena, GIS_EXTRACT_BY_CODE, code, true, &r, &le)) {
            struct gis_case c;
            struct err ce = {0};
            if (le.code != ERR_NOT_FOUND || gis_case_find(s, req->arena, true, code, &c, &ce))
                continue;
            *h = (struct verify_hit){.t = t, .case_number = c.case_number, .case_status = c.status};
            return ERR_OK;
        }
        *h = (struct verify_hit){
            .t = t,
            .case_number = r.case_number,
            .date = r.issue_date,
            .sha256 = r.sha256,
            .parcels = json_loads(r.parcels_json, 0, NULL),
            .docs = json_loads(r.documents_json, 0, NULL),
            .pages = r.pages,
            .bytes = (long long)r.pdf_len,
        };
        char sha[65];
        sha256_hex(r.pdf, r.pdf_len, sha);
        h->hash_ok = r.sha256 && !strcmp(sha, r.sha256);
        if (gis_seal_check(r.pdf, r.pdf_len, t->seal, &h->seal, e))
            return e->code;
        if (!h->parcels)
            h->parcels = json_array();
        if (!h->docs)
            h->docs = json_array();
        bool parcels_kept = !arena_defer(req->arena, json_release, h->parcels);
        if (!parcels_kept || arena_defer(req->arena, json_release, h->docs)) {
            if (!parcels_kept)
                json_decref(h->parcels);
            json_decref(h->docs);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        return ERR_OK;
    }
    return err_set(e, ERR_NOT_FOUND, "no document with verification code %s was issued", code);
}

/* The q value of one media range in an Accept header for `type`: exact match, "type/ *" or "* / *" (the
 * most specific listed wins), or -1 when none applies. */
static double accept_q(const char *accept, const char *type)
{
    double best = -1;
    int best_spec = -1;
    const char *slash = strchr(type, '/');
    size_t major = slash ? (size_t)(slash - type) : strlen(type);
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        size_t mlen = strcspn(p, ";,");
        while (mlen && p[mlen - 1] == ' ')
            mlen--;
        int spec = -1;
        if (mlen == strlen(type) && !strncasecmp(p, type, mlen))
            spec = 2;
        else if (mlen == major + 2 && !strncasecmp(p, type, major) && !strncmp(p + major, "/*", 2))
            spec = 1;
        else if (mlen == 3 && !strncmp(p, "*/*", 3))
            spec = 0;
        if (spec > best_spec) {
            double q = 1;
            for (const char *k = p + mlen; k < end; k++)
                if (*k == ';') {
                    const char *v = k + 1;
                    while (*v == ' ')
                        v++;
                    if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
                        q = strtod(v + 2, NULL);
                }
            best_spec = spec;
            best = q < 0 ? 0 : q > 1 ? 1 : q;
        }
        p = end;
    }
    return best;
}

/* A browser gets HTML: `?f=html`, or an Accept header that prefers text/html over JSON. Everything else
 * (no Accept, * / *, application/json, `?f=json`) gets JSON. */
static bool verify_wants_html(struct http_req *req)
{
    const char *f = http_query(req, "f");
    if (f)
        return !strcmp(f, "html");
    const char *accept = http_header(req, "Accept");
    if (!accept)
        return false;
    double html = accept_q(accept, "text/html"), xhtml = accept_q(accept, "application/xhtml+xml");
    if (xhtml > html)
        html = xhtml;
    return html > 0 && html > accept_q(accept, "application/json");
}

/* What the check of a document's electronic seal found, as JSON. */
static json_t *seal_json(const struct gis_seal_report *r)
{
    if (!r->present)
        return json_pack("{s:b, s:b, s:s}", "present", 0, "valid", 0, "problem", r->problem);
    return json_pack("{s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:b, s:s}", "present", 1, "valid", r->valid, "whole_file",
                     r->whole_file, "signer", r->signer, "issuer", r->issuer, "signed_at", r->signed_at, "level",
                     r->timestamped ? "PAdES-B-T" : "PAdES-B-B", "own_seal", r->own_seal, "problem", r->problem);
}

/* "14 maja 2026 r." from "2026-05-14" on a Polish page, "14 May 2026" on an English one; the input itself
 * when it is not such a date. */
static const char *date_text(struct web_page *pg, const char *iso)
{
    int y, mo, d;
    if (!iso || sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) != 3 || mo < 1 || mo > 12)
        return iso ? iso : "";
    char key[32];
    snprintf(key, sizeof key, "res.verify.month.%d", mo);
    return arena_printf(pg->req->arena, "%d %s %d%s", d, web_msg(pg, key), y, !strcmp(pg->lang, "pl") ? " r." : "");
}

/* "ABCD-EFGH-..." as printed on the document. */
static const char *code_grouped(struct arena *a, const char *code)
{
    char g[GIS_EXTRACT_CODE_LEN + GIS_EXTRACT_CODE_LEN / 4 + 1];
    size_t o = 0;
    for (int i = 0; code[i] && o + 2 < sizeof g; i++) {
        if (i && i % 4 == 0)
            g[o++] = '-';
        g[o++] = code[i];
    }
    g[o] = 0;
    return arena_strdup(a, g);
}

/* What the page says of an issued document h. */
static json_t *verify_issued(struct web_page *pg, const struct verify_hit *h, const char *code)
{
    struct arena *a = pg->req->arena;
    const struct config_tenant *c = h->t->cfg;
    bool wypis = false, wyrys = false;
    size_t i;
    json_t *v;
    json_array_foreach(h->docs, i, v)
    {
        wypis |= json_string_value(v) && !strcmp(json_string_value(v), "wypis");
        wyrys |= json_string_value(v) && !strcmp(json_string_value(v), "wyrys");
    }
    const char *kind = wypis && wyrys ? "res.verify.kind.both"
                       : wyrys        ? "res.verify.kind.wyrys"
                                      : "res.verify.kind.wypis";
    const struct gis_seal_report *r = &h->seal;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:O, s:s, s:b}", "date", h->date ? h->date : "", "date_text",
                          date_text(pg, h->date), "kind", web_msg(pg, kind), "sha256", h->sha256 ? h->sha256 : "",
                          "pages", h->pages, "parcels", h->parcels, "organ", c->organ, "hash_bad", !h->hash_ok);
    if (r->present)
        json_object_set_new(j, "seal",
                            json_pack("{s:b, s:s, s:s, s:b}", "valid", r->valid, "signer", r->signer, "signed_at",
                                      r->signed_at, "timestamped", r->timestamped));
    if (c->verify_pdf)
        json_object_set_new(j, "pdf",
                            json_pack("{s:s, s:I}", "href",
                                      arena_printf(a, "%s/verify/%s/pdf", public_base(h->t), code), "kb",
                                      (json_int_t)((h->bytes + 1023) / 1024)));
    return j;
}

/* The verification page (web/templates/verify.html). h is NULL when nothing was found; code is then the
 * text the visitor gave (escaped by the template). status is 200, 404 or 400. */
static enum err_code verify_html(struct http_req *req, struct http_resp *resp, int status, const char *code,
                                 const struct verify_hit *h, struct err *e)
{
    struct web_page pg;
    const char *state = !h                                     ? "missing"
                        : !h->case_status                      ? "issued"
                        : gis_case_status_open(h->case_status) ? "pending"
                                                               : "ended";
    char key[40];
    snprintf(key, sizeof key, "res.verify.title.%s", state);
    if (web_page_begin(req, resp, key, &pg, e))
        return e->code;
    json_t *d = pg.data;
    json_object_set_new(d, "noindex", json_true());
    json_object_set_new(d, "state", json_string(state));
    json_object_set_new(d, state, json_true());
    json_object_set_new(d, "code", json_string(status == 400 ? code : code_grouped(req->arena, code)));
    if (h) {
        const struct config_tenant *c = h->t->cfg;
        json_object_set_new(d, "doc", h->case_status ? json_object() : verify_issued(&pg, h, code));
        json_t *doc = json_object_get(d, "doc");
        json_object_set_new(doc, "gmina", json_string(c->name));
        json_object_set_new(doc, "organ", json_string(c->organ));
        json_object_set_new(doc, "case_number", json_string(h->case_number ? h->case_number : ""));
        json_object_set_new(doc, "case_status", json_string(h->case_status ? h->case_status : ""));
    }
    pg.vary = "Accept, Accept-Language, Cookie";
    http_resp_header(resp, "X-Robots-Tag", "noindex");
    return web_page_send(&pg, status, "verify", e);
}

static enum err_code extract_verify(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *raw = http_capture(req, "code");
    bool html = verify_wants_html(req);
    char code[GIS_EXTRACT_CODE_LEN + 1];
    if (!verify_code_parse(raw, code)) {
        if (html)
            return verify_html(req, resp, 400, raw, NULL, e);
        return err_param(e, "code", "a verification code is 24 characters A-Z and 2-7");
    }
    struct verify_hit h;
    if (verify_find(req, code, &h, e)) {
        if (html && e->code == ERR_NOT_FOUND) {
            err_clear(e);
            return verify_html(req, resp, 404, code, NULL, e);
        }
        return e->code;
    }
    if (html)
        return verify_html(req, resp, 200, code, &h, e);
    const struct config_tenant *c = h.t->cfg;
    if (h.case_status) {
        /* registered, not issued: not valid; "w toku" while the case is open */
        const char *st = gis_case_status_open(h.case_status) ? "w toku" : h.case_status;
        json_t *pj = json_pack("{s:b, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:{s:s}}", "valid", 0, "status", st,
                               "case_status", h.case_status, "code", code, "gmina", "slug", c->slug, "name", c->name,
                               "organ", c->organ, "case_number", h.case_number ? h.case_number : "", "links", "self",
                               arena_printf(req->arena, "%s/verify/%s", public_base(h.t), code));
        if (!pj)
            return err_set(e, ERR_INTERNAL, "out of memory building JSON");
        http_resp_header(resp, "Vary", "Accept");
        http_resp_header(resp, "Cache-Control", "no-cache");
        return http_resp_json(req, resp, 200, pj, e);
    }
    const char *base = public_base(h.t);
    json_t *links = json_pack("{s:s}", "self", arena_printf(req->arena, "%s/verify/%s", base, code));
    if (links && c->verify_pdf)
        json_object_set_new(links, "pdf", json_string(arena_printf(req->arena, "%s/verify/%s/pdf", base, code)));
    /* valid: issued, the stored file still has its recorded hash, and its seal (where it has one) holds */
    bool valid = h.hash_ok && (!h.seal.present || h.seal.valid);
    json_t *j =
        json_pack("{s:b, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:O, s:O, s:{s:s, s:s, s:b}, s:o, s:i, s:o}", "valid",
                  valid, "status", "wydany", "code", code, "gmina", "slug", c->slug, "name", c->name, "organ", c->organ,
                  "case_number", h.case_number ? h.case_number : "", "date", h.date ? h.date : "", "parcels", h.parcels,
                  "documents", h.docs, "pdf", "algorithm", "SHA-256", "hash", h.sha256 ? h.sha256 : "", "hash_matches",
                  h.hash_ok, "seal", seal_json(&h.seal), "pages", h.pages, "links", links);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    http_resp_header(resp, "Vary", "Accept");
    return http_resp_json(req, resp, 200, j, e);
}

/* The issued PDF by its verification code, only where the gmina allows it (verify_pdf): the document
 * carries the applicant's name, and the code is printed on it, so whoever holds the document or its code
 * can fetch it. Elsewhere this is a 404, the same as for a code that was never issued. */
static enum err_code extract_verify_pdf(struct http_req *req, struct http_resp *resp, struct err *e)
{
    char code[GIS_EXTRACT_CODE_LEN + 1];
    if (!verify_code_parse(http_capture(req, "code"), code))
        return err_param(e, "code", "a verification code is 24 characters A-Z and 2-7");
    struct verify_hit h;
    if (verify_find(req, code, &h, e))
        return e->code;
    if (h.case_status)
        return err_set(e, ERR_NOT_FOUND, "no document with verification code %s was issued", code);
    if (!h.t->cfg->verify_pdf)
        return err_set(e, ERR_NOT_FOUND, "gmina %s does not offer issued documents for download", h.t->cfg->name);
    struct gis_store *s = reader(h.t, e);
    struct gis_extract_stored r;
    if (!s || gis_extract_stored_find(s, req->arena, GIS_EXTRACT_BY_CODE, code, true, &r, e))
        return e->code;
    http_resp_body(resp, 200, "application/pdf", (const char *)r.pdf, r.pdf_len);
    http_resp_header(resp, "ETag", arena_printf(req->arena, "\"%s\"", h.sha256 ? h.sha256 : ""));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    http_resp_header(resp, "X-Robots-Tag", "noindex");
    http_resp_header(resp, "Content-Disposition", pdf_disposition(req->arena, "attachment", h.case_number));
    return ERR_OK;
}

/* GET /{t}/extracts/{id}/receipt.pdf: the receipt of an extract request, to whoever holds the case id (the
 * secret of the POST answer, as for the document itself); the applicant's account sees it in /me/cases. */
static enum err_code extract_receipt(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return svc_case_receipt_send(req, resp, http_capture(req, "id"), e);
}

static const struct http_param_doc p_tenant[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};
static const struct http_param_doc p_id[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "extract id (32 hex characters); append .pdf for the document"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_quote[] = {
    HTTP_DOC_TENANT,
    {"parcels", "query", "string", 1, "parcel identifiers, comma-separated (1 to 100)"},
    {"documents", "query", "string", 0, "wypis, wyrys or both, comma-separated (default both)"},
    {"as_of", "query", "string", 0, "the plans as in force on this day, YYYY-MM-DD (default today)"},
    {"purpose", "query", "string", 0,
     "the purpose: a code (budownictwo_mieszkaniowe claims the art. 2 ust. 1 pkt 1 lit. h exemption; budowa, "
     "sprzedaz, podzial, kredyt, spadek, inny) or free text"},
    {"sheet", "query", "string", 0, "wyrys sheet: A4 (default), A3, A3-landscape, A3-portrait"},
    {"applicant_kind", "query", "string", 0,
     "person (default), company, budget_unit, local_government, public_benefit_org, social_assistance"},
    {"applicant_name", "query", "string", 0,
     "the applicant's name as the POST will give it: the quote then sets it as the document does (a long name "
     "can add lines)"},
    {"applicant_address", "query", "string", 0, "the applicant's address, likewise"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_png[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "extract id"},
    {"dpi", "query", "integer", 0, "resolution, 36 to 600 (default 150)"},
    {"sheet", "query", "integer", 0, "wyrys sheet, from 1 (default 1)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_code[] = {
    {"code", "path", "string", 1, "verification code printed on the document (24 characters, dashes ignored)"},
    {"f", "query", "string", 0, "html or json; without it, Accept decides (a browser gets the HTML page)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_code_pdf[] = {
    {"code", "path", "string", 1, "verification code printed on the document"},
    HTTP_DOC_END,
};

const struct http_route svc_extracts_routes[] = {
    {"POST", "/{t}/extracts", extract_post, "extracts",
     "Issue a wypis i wyrys for parcels: JSON {parcels, applicant{name,address,email}, purpose, documents, sheet, "
     "as_of} (as_of: the plans as in force on that day, YYYY-MM-DD, default today; an unknown field is a 400)",
     NULL, p_tenant, HTTP_SUBMIT},
    {"GET", "/{t}/extracts/quote", extract_quote, "extracts",
     "The page counts and the fee (broken down, with any exemption) of the extract a POST would issue, rendered in "
     "memory by the same code; nothing is stored and no case number is drawn",
     NULL, p_quote, HTTP_PUBLIC},
    {"GET", "/{t}/extracts/{id}", extract_get, "extracts", "An issued extract's record, or with .pdf its document",
     NULL, p_id, HTTP_PUBLIC},
    {"GET", "/{t}/extracts/{id}/receipt.pdf", extract_receipt, "extracts",
     "The sealed receipt (potwierdzenie złożenia) of the request, at once after POST", "application/pdf", p_id,
     HTTP_PUBLIC},
    {"GET", "/{t}/extracts/{id}/wyrys.png", extract_png, "extracts", "The wyrys as a PNG image", "image/png", p_png,
     HTTP_PUBLIC},
    {"GET", "/verify/{code}", extract_verify, "extracts",
     "Whether a document with this verification code was issued (no personal data): JSON, or for a browser "
     "a Polish page",
     NULL, p_code, HTTP_PUBLIC},
    {"GET", "/verify/{code}/pdf", extract_verify_pdf, "extracts",
     "The issued PDF by its verification code, where the gmina allows it (verify_pdf); else 404", "application/pdf",
     p_code_pdf, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
