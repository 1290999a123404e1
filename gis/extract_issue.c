/* Plan extracts: issuing. The case number of the year, the verification code, the PDF and its stored copy,
 * all in one transaction on the writer. */
#include "gis/extract.h"

#include "gis/cases.h"
#include "gis/extract_store.h"
#include "gis/receipt.h"
#include "util/sha256.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- issuing ---- */

struct gis_extract_meta gis_extract_tmpl(const struct config_tenant *t)
{
    return (struct gis_extract_meta){.organ = t->organ,
                                     .place = t->place,
                                     .council = t->council,
                                     .legal_basis = t->legal_basis,
                                     .signatory = t->signatory,
                                     .signatory_role = t->signatory_role,
                                     .signatory_zup = t->signatory_zup,
                                     .organ_address = t->organ_address,
                                     .fee_per_plan = t->extract_fee_per_plan,
                                     .gmina = t->name};
}

static json_t *json_str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

struct gis_receipt gis_extract_receipt_of(const struct gis_extract_issue *is, const char *case_id,
                                          const char *case_number, const char *received_at, const char *request_json,
                                          struct arena *a)
{
    return (struct gis_receipt){
        .case_id = case_id,
        .case_number = case_number,
        .organ = is->tmpl.organ,
        .gmina = is->tmpl.gmina,
        .subject = "Wniosek o wypis i wyrys z planu zagospodarowania przestrzennego",
        .applicant = gis_extract_clean(a, is->applicant_name, GIS_EXTRACT_MAX_TEXT),
        .received_at = received_at,
        .submission = request_json,
        .submission_len = request_json ? strlen(request_json) : 0,
    };
}

enum err_code gis_extract_receipt(struct gis_store *w, const struct gis_extract_issue *is, const char *case_id,
                                  const char *case_number, const char *received_at, const char *request_json,
                                  struct arena *a, struct err *e)
{
    if (!request_json)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const struct gis_receipt r = gis_extract_receipt_of(is, case_id, case_number, received_at, request_json, a);
    return gis_receipt_issue(w, &r, is->seal, e);
}

char *gis_extract_fee_items_json(const struct gis_extract_fee *f)
{
    json_t *items = json_array();
    if (f->wypis_pages > 0) {
        json_t *w = json_pack("{s:s, s:i, s:s, s:i, s:i}", "name", "wypis", "quantity", f->wypis_pages, "unit", "page",
                              "count", f->wypis_count, "amount_pln", f->wypis_pln);
        /* charged per plan: each plan's wypis with its own pages and rate */
        json_t *plans = f->nplan_fees > 0 ? json_array() : NULL;
        for (int i = 0; plans && i < f->nplan_fees; i++)
            json_array_append_new(plans, json_pack("{s:i, s:i, s:i}", "plan", i + 1, "pages", f->plan_fees[i].pages,
                                                   "amount_pln", f->plan_fees[i].pln));
        if (plans)
            json_object_set_new(w, "plans", plans);
        json_array_append_new(items, w);
    }
    if (f->wyrys_sheets > 0)
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:i}", "name", "wyrys", "quantity", f->wyrys_sheets,
                                               "unit", "A4 sheet", "amount_pln", f->wyrys_pln));
    if (f->exemption != GIS_EXEMPT_NONE) {
        const struct gis_extract_exemption_text *x = gis_extract_exemption_text(f->exemption);
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", "exemption", "code", x->code, "article",
                                        x->article, "reason", x->reason, "amount_pln", -f->total_pln));
    }
    char *s = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    return s;
}

/* The document's parcel identifiers as a JSON array (malloc'd), NULL when out of memory. */
static char *parcel_ids_json(const struct gis_extract_doc *doc)
{
    json_t *pj = json_array();
    for (int i = 0; i < doc->nparcels; i++)
        json_array_append_new(pj, json_string(doc->parcels[i].p->parcel_id));
    char *s = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);
    return s;
}

/* The document's metadata from the request (the applicant's text cleaned, the style defaulted) and the
 * document model of its parcels: the one preparation the issue and the quote share, so that what a quote
 * counts is what an issue prints. */
static enum err_code extract_prepare(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                     bool quote, struct gis_extract_meta *m, const struct gis_extract_doc **doc,
                                     struct err *e)
{
    *m = req->tmpl;
    m->applicant_name = gis_extract_clean(a, req->applicant_name, GIS_EXTRACT_MAX_TEXT);
    m->applicant_address = gis_extract_clean(a, req->applicant_address, GIS_EXTRACT_MAX_TEXT);
    m->purpose = gis_extract_clean(a, req->purpose, GIS_EXTRACT_MAX_TEXT);
    const struct gis_extract_purpose *pc = gis_extract_purpose_find(req->purpose);
    m->purpose_text = pc ? pc->text : m->purpose;
    m->exemption = gis_extract_exemption_for(req->purpose, req->applicant_kind);
    m->wypis = req->wypis;
    m->wyrys = req->wyrys;
    m->sheet = req->sheet;
    if (!m->style)
        m->style = gis_extract_style();
    if (!quote && (!m->applicant_name || !*m->applicant_name))
        return err_at(e, ERR_UNPROCESSABLE, "applicant.name", "applicant.name is required");
    if (req->doc) {
        *doc = req->doc;
        return ERR_OK;
    }
    struct gis_extract_doc *built;
    if (gis_extract_build(reader, a, req->parcels, req->nparcels, req->as_of, &built, e))
        return e->code;
    *doc = built;
    return ERR_OK;
}

enum err_code gis_extract_issue_render(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                       struct gis_extract_rendered *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    /* Printed and put in the QR code: only an absolute address can be opened from paper. */
    const char *vb = req->verify_base;
    if (!vb || (strncmp(vb, "https://", 8) != 0 && strncmp(vb, "http://", 7) != 0))
        return err_set(e, ERR_INVALID, "the verification address must be absolute (public_url), got '%.100s'",
                       vb ? vb : "");
    if (!req->case_number || !req->code || strlen(req->code) != GIS_EXTRACT_CODE_LEN || !req->id ||
        strlen(req->id) != 32)
        return err_set(e, ERR_INVALID, "an extract is rendered for a case: its number, verification code and id");
    struct gis_extract_meta m;
    const struct gis_extract_doc *doc;
    if (extract_prepare(reader, a, req, false, &m, &doc, e))
        return e->code;
    time_t now = time(NULL);
    struct tm lt, ut;
    localtime_r(&now, &lt);
    gmtime_r(&now, &ut);
    char date[16], created[32];
    strftime(date, sizeof date, "%Y-%m-%d", &lt);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &ut);
    m.case_number = req->case_number;
    m.date = date;
    if (!m.received_date)
        m.received_date = date;
    m.verification_code = req->code;
    m.verify_url = arena_printf(a, "%s%s", vb, req->code);
    m.seal_signer = req->seal ? gis_seal_subject(req->seal) : NULL;
    struct buf pdf = {0};
    struct gis_extract_result res = {0};
    enum err_code rc = gis_extract_pdf(reader, doc, &m, &pdf, &res, e);
    if (!rc && req->seal) {
        const struct gis_seal_field f = {
            .rect = {res.seal_mark[0], res.seal_mark[1], res.seal_mark[2], res.seal_mark[3]},
            .reason = "Wydanie wypisu i wyrysu z planu zagospodarowania przestrzennego",
            .location = m.place};
        rc = gis_seal_sign(req->seal, &pdf, 0, &f, e);
    }
    char sha[65] = "";
    char *fees = NULL, *parcels_json = NULL;
    unsigned char *copy = NULL;
    if (!rc) {
        sha256_hex(pdf.data, pdf.len, sha);
        fees = gis_extract_fee_items_json(&res.fee);
        parcels_json = parcel_ids_json(doc);
        if ((copy = arena_alloc(a, pdf.len ? pdf.len : 1)))
            memcpy(copy, pdf.data, pdf.len);
        if (!fees || !parcels_json || !copy)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    if (!rc) {
        const char *docs = m.wypis && m.wyrys ? "[\"wypis\",\"wyrys\"]" : m.wypis ? "[\"wypis\"]" : "[\"wyrys\"]";
        out->row = (struct gis_extract_stored){.id = req->id,
                                               .case_number = req->case_number,
                                               .seq = req->seq,
                                               .year = req->year,
                                               .created_at = arena_strdup(a, created),
                                               .issue_date = arena_strdup(a, date),
                                               .parcels_json = arena_strdup(a, parcels_json),
                                               .documents_json = docs,
                                               .applicant_name = m.applicant_name,
                                               .applicant_address = m.applicant_address,
                                               .purpose = m.purpose,
                                               .fee_total = res.fee.due_pln,
                                               .fee_items_json = arena_strdup(a, fees),
                                               .pages = res.pages,
                                               .wypis_pages = res.wypis_pages,
                                               .wyrys_sheets = res.wyrys_sheets,
                                               .verification_code = req->code,
                                               .sha256 = arena_strdup(a, sha),
                                               .pdf = copy,
                                               .pdf_len = pdf.len,
                                               .sheet = gis_extract_sheet_name(m.sheet),
                                               .as_of = doc->as_of};
        out->res = res;
        if (!out->row.created_at || !out->row.parcels_json || !out->row.fee_items_json || !out->row.sha256)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    free(fees);
    free(parcels_json);
    buf_free(&pdf);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

enum err_code gis_extract_issue_store(struct gis_store *writer, const struct gis_extract_rendered *r,
                                      struct gis_extract_record *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (gis_extract_stored_insert(writer, &r->row, e))
        return e->code;
    *out = (struct gis_extract_record){.id = r->row.id,
                                       .case_number = r->row.case_number,
                                       .date = r->row.issue_date,
                                       .created_at = r->row.created_at,
                                       .verification_code = r->row.verification_code,
                                       .sha256 = r->row.sha256,
                                       .res = r->res,
                                       .pdf = r->row.pdf,
                                       .pdf_len = r->row.pdf_len};
    return ERR_OK;
}

enum err_code gis_extract_issue_write(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                      const struct gis_extract_issue *req, struct gis_extract_record *out,
                                      struct err *e)
{
    memset(out, 0, sizeof *out);
    struct gis_extract_issue is = *req;
    char code[GIS_EXTRACT_CODE_LEN + 1], id[33];
    if (!req->case_number) {
        unsigned char rnd[16];
        time_t now = time(NULL);
        struct tm lt;
        localtime_r(&now, &lt);
        is.year = lt.tm_year + 1900;
        if (gis_extract_new_code(code, e) || gis_extract_random(rnd, sizeof rnd, e) ||
            gis_case_seq_next(writer, is.year, &is.seq, e))
            return e->code;
        for (int i = 0; i < 16; i++)
            snprintf(id + 2 * i, 3, "%02x", rnd[i]);
        is.code = code, is.id = id;
        if (!(is.case_number = gis_case_number(a, req->case_format, is.seq, is.year)))
            return err_set(e, ERR_INTERNAL, "out of memory");
    }
    struct gis_extract_rendered r;
    if (gis_extract_issue_render(reader, a, &is, &r, e))
        return e->code;
    /* the id and code may be this frame's: the record keeps its own copies */
    r.row.id = arena_strdup(a, is.id);
    r.row.verification_code = arena_strdup(a, is.code);
    if (!r.row.id || !r.row.verification_code)
        return err_set(e, ERR_INTERNAL, "out of memory");
    return gis_extract_issue_store(writer, &r, out, e);
}

/* ---- the quote's cache ----
 * A quote is the issue's own layout pass (gis_extract_pdf without drawing): some milliseconds of CPU for a
 * parcel, more for many. Its result depends only on the request, the template, the day and the store's
 * data, so the last QUOTE_CACHE results are kept, keyed by a hash of all of them and by the reader
 * connection and its gis_store_data_state (which changes after any commit to the store): a page reloaded,
 * or the same quote asked again, costs a hash. */
#define QUOTE_CACHE 64

static struct {
    unsigned char key[crypto_generichash_BYTES];
    struct gis_extract_result res;
    bool used;
} quote_cache[QUOTE_CACHE];
static unsigned quote_cache_next;
static pthread_mutex_t quote_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static void key_str(crypto_generichash_state *h, const char *s)
{
    /* length-prefixed, so that ("ab", "c") and ("a", "bc") differ; NULL differs from "" */
    long long n = s ? (long long)strlen(s) : -1;
    crypto_generichash_update(h, (const unsigned char *)&n, sizeof n);
    if (s)
        crypto_generichash_update(h, (const unsigned char *)s, (size_t)n);
}

static void key_bytes(crypto_generichash_state *h, const void *p, size_t n)
{
    crypto_generichash_update(h, (const unsigned char *)&n, sizeof n);
    crypto_generichash_update(h, p, n);
}

/* The cache key of req on reader today (false when it must not be cached: a document built by the caller,
 * a test's probe, or a store state that cannot be read). */
static bool quote_key(struct gis_store *reader, const struct gis_extract_issue *req, const char *today,
                      unsigned char key[crypto_generichash_BYTES])
{
    if (req->doc || req->tmpl.probe)
        return false;
    /* the data state alone could repeat on a connection opened anew at the same address: the generation too */
    long long state = gis_store_data_state(reader), gen = gis_store_generation(reader);
    if (state < 0 || gen < 0)
        return false;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, crypto_generichash_BYTES);
    key_bytes(&h, &reader, sizeof reader);
    key_bytes(&h, &state, sizeof state);
    key_bytes(&h, &gen, sizeof gen);
    key_str(&h, today);
    key_bytes(&h, &req->nparcels, sizeof req->nparcels);
    for (int i = 0; i < req->nparcels; i++)
        key_str(&h, req->parcels[i]);
    const char *strs[] = {req->applicant_name,
                          req->applicant_address,
                          req->purpose,
                          req->applicant_kind,
                          req->as_of,
                          req->case_format,
                          req->verify_base,
                          req->case_number,
                          req->seal ? gis_seal_subject(req->seal) : NULL};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        key_str(&h, strs[i]);
    int flags[] = {req->wypis,      req->wyrys,           (int)req->sheet,        req->tmpl.wypis,
                   req->tmpl.wyrys, (int)req->tmpl.sheet, req->tmpl.fee_per_plan, (int)req->tmpl.exemption,
                   req->year};
    key_bytes(&h, flags, sizeof flags);
    const struct gis_extract_meta *t = &req->tmpl;
    const char *ts[] = {t->organ,
                        t->place,
                        t->council,
                        t->legal_basis,
                        t->signatory,
                        t->signatory_role,
                        t->gmina,
                        t->case_number,
                        t->date,
                        t->applicant_name,
                        t->applicant_address,
                        t->purpose,
                        t->verification_code,
                        t->verify_url,
                        t->seal_signer,
                        t->organ_address,
                        t->signatory_zup,
                        t->received_date,
                        t->received_mode,
                        t->purpose_text,
                        t->fee_status,
                        t->fee_method};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        key_str(&h, ts[i]);
    key_bytes(&h, &t->style, sizeof t->style);
    if (t->rates)
        key_bytes(&h, t->rates, sizeof *t->rates);
    crypto_generichash_final(&h, key, crypto_generichash_BYTES);
    return true;
}

static bool quote_cached(const unsigned char *key, struct gis_extract_result *res)
{
    bool hit = false;
    pthread_mutex_lock(&quote_cache_mu);
    for (int i = 0; i < QUOTE_CACHE && !hit; i++)
        if (quote_cache[i].used && !memcmp(quote_cache[i].key, key, crypto_generichash_BYTES)) {
            *res = quote_cache[i].res;
            hit = true;
        }
    pthread_mutex_unlock(&quote_cache_mu);
    return hit;
}

static void quote_keep(const unsigned char *key, const struct gis_extract_result *res)
{
    pthread_mutex_lock(&quote_cache_mu);
    unsigned i = quote_cache_next++ % QUOTE_CACHE;
    memcpy(quote_cache[i].key, key, crypto_generichash_BYTES);
    quote_cache[i].res = *res;
    quote_cache[i].used = true;
    pthread_mutex_unlock(&quote_cache_mu);
}

static enum err_code quote_render(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                  struct gis_extract_result *res, struct err *e);

enum err_code gis_extract_quote_full(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                     struct gis_extract_result *res, struct err *e)
{
    char today[16];
    time_t now = time(NULL);
    struct tm lt;
    localtime_r(&now, &lt);
    strftime(today, sizeof today, "%Y-%m-%d", &lt);
    unsigned char key[crypto_generichash_BYTES];
    bool cacheable = quote_key(reader, req, today, key);
    if (cacheable && quote_cached(key, res))
        return ERR_OK;
    enum err_code rc = quote_render(reader, a, req, res, e);
    if (!rc && cacheable)
        quote_keep(key, res);
    return rc;
}

/* The quote as the issue lays it out (the uncached gis_extract_quote_full). */
static enum err_code quote_render(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                  struct gis_extract_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    struct gis_extract_meta m;
    const struct gis_extract_doc *doc;
    if (extract_prepare(reader, a, req, true, &m, &doc, e))
        return e->code;
    /* stand-ins of the issued document's own lengths: a case number, today, a code and its address */
    char today[16], code[GIS_EXTRACT_CODE_LEN + 1];
    time_t now = time(NULL);
    struct tm lt;
    localtime_r(&now, &lt);
    strftime(today, sizeof today, "%Y-%m-%d", &lt);
    memset(code, 'W', GIS_EXTRACT_CODE_LEN);
    code[GIS_EXTRACT_CODE_LEN] = 0;
    m.case_number = req->case_number
                        ? req->case_number
                        : gis_case_number(a, req->case_format ? req->case_format : "", 9999, lt.tm_year + 1900);
    m.date = today;
    if (!m.received_date)
        m.received_date = today;
    m.verification_code = code;
    m.verify_url = arena_printf(a, "%s%s", req->verify_base ? req->verify_base : "", code);
    m.seal_signer = req->seal ? gis_seal_subject(req->seal) : NULL;
    return gis_extract_pdf(reader, doc, &m, NULL, res, e);
}

enum err_code gis_extract_quote(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                struct gis_extract_fee *fee, struct err *e)
{
    struct gis_extract_result res;
    memset(fee, 0, sizeof *fee);
    if (gis_extract_quote_full(reader, a, req, &res, e))
        return e->code;
    *fee = res.fee;
    return ERR_OK;
}

enum err_code gis_extract_issue(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                const struct gis_extract_issue *req, struct gis_extract_record *out, struct err *e)
{
    if (gis_store_begin(writer, e))
        return e->code;
    enum err_code rc = gis_extract_issue_write(writer, reader, a, req, out, e);
    if (!rc)
        rc = gis_store_commit(writer, e);
    if (rc) {
        gis_store_rollback(writer);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

const char *gis_extract_request_json(struct arena *a, const struct gis_extract_issue *is)
{
    json_t *p = json_array();
    for (int i = 0; i < is->nparcels; i++)
        json_array_append_new(p, json_string(is->parcels[i]));
    json_t *docs = json_array();
    if (is->wypis)
        json_array_append_new(docs, json_string("wypis"));
    if (is->wyrys)
        json_array_append_new(docs, json_string("wyrys"));
    json_t *j =
        json_pack("{s:o, s:{s:o, s:o}, s:o, s:o, s:s}", "parcels", p, "applicant", "name",
                  json_str_or_null(is->applicant_name), "address", json_str_or_null(is->applicant_address), "purpose",
                  json_str_or_null(is->purpose), "documents", docs, "sheet", gis_extract_sheet_name(is->sheet));
    if (j && is->applicant_kind)
        json_object_set_new(json_object_get(j, "applicant"), "kind", json_string(is->applicant_kind));
    /* kept as asked: an extract issued later still states the date the applicant asked for */
    if (j && is->as_of)
        json_object_set_new(j, "as_of", json_string(is->as_of));
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    const char *r = t ? arena_strdup(a, t) : NULL;
    free(t);
    return r;
}
