/* Online payment (services/pay_online.h): the Przelewy24-style provider and the routes
 * POST /{t}/payments/online (start) and POST /{t}/payments/online/p24/notify (the provider's notification:
 * signature, amount and session checked, confirmed with transaction/verify, then booked once). */
#include "services/pay_online.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/case_store.h"
#include "gis/pay.h"
#include "services/auth.h"
#include "services/payments.h"
#include "services/server.h"
#include "util/cpu.h"
#include "util/log.h"

/* ---- signatures ---- */

/* The hex SHA-384 of j serialised as the provider's PHP json_encode(JSON_UNESCAPED_UNICODE |
 * JSON_UNESCAPED_SLASHES) does it; j is released. */
static void sign_json(json_t *j, char out[97])
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    unsigned char md[48];
    unsigned int n = 0;
    out[0] = 0;
    if (s && EVP_Digest(s, strlen(s), md, &n, EVP_sha384(), NULL) && n == sizeof md)
        sodium_bin2hex(out, 97, md, sizeof md);
    free(s);
    json_decref(j);
}

void svc_p24_sign_register(const char *session_id, long merchant_id, long amount, const char *currency, const char *crc,
                           char out[97])
{
    sign_json(json_pack("{s:s, s:I, s:I, s:s, s:s}", "sessionId", session_id, "merchantId", (json_int_t)merchant_id,
                        "amount", (json_int_t)amount, "currency", currency, "crc", crc),
              out);
}

void svc_p24_sign_notice(long merchant_id, long pos_id, const struct svc_pay_notice *n, long method_id, const char *crc,
                         char out[97])
{
    sign_json(json_pack("{s:I, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:s, s:s}", "merchantId", (json_int_t)merchant_id,
                        "posId", (json_int_t)pos_id, "sessionId", n->session_id, "amount", (json_int_t)n->amount_gr,
                        "originAmount", (json_int_t)n->origin_amount_gr, "currency", n->currency, "orderId",
                        (json_int_t)strtoll(n->order_id, NULL, 10), "methodId", (json_int_t)method_id, "statement",
                        n->statement, "crc", crc),
              out);
}

void svc_p24_sign_verify(const char *session_id, const char *order_id, long amount, const char *currency,
                         const char *crc, char out[97])
{
    sign_json(json_pack("{s:s, s:I, s:I, s:s, s:s}", "sessionId", session_id, "orderId",
                        (json_int_t)strtoll(order_id, NULL, 10), "amount", (json_int_t)amount, "currency", currency,
                        "crc", crc),
              out);
}

/* ---- the provider's REST API ---- */

struct answer {
    char *data;
    size_t len;
};

static size_t answer_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct answer *a = user;
    size_t n = size * nmemb;
    if (a->len + n > 65536)
        return 0;
    char *d = realloc(a->data, a->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + a->len, ptr, n);
    a->data = d, a->len += n;
    d[a->len] = 0;
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Calls method path of t's provider with the JSON body j (released), Basic auth posId:apiKey; the answer's
 * JSON in *out (the caller's). ERR_UNAVAILABLE when the provider cannot be reached or refuses. */
static enum err_code p24_call(const struct config_tenant *t, const char *method, const char *path, json_t *j,
                              json_t **out, struct err *e)
{
    pthread_once(&curl_once, curl_init);
    char *body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    CURL *c = body ? curl_easy_init() : NULL;
    if (!c) {
        free(body);
        return err_set(e, ERR_INTERNAL, "payment provider: out of memory");
    }
    char url[512], user[160];
    snprintf(url, sizeof url, "%s%s", t->p24_url, path);
    snprintf(user, sizeof user, "%ld:%s", t->p24_pos_id, t->p24_api_key);
    struct answer a = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, user);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    cpu_yield(); /* the provider's round trip */
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(body);
    json_t *r = a.data ? json_loads(a.data, 0, NULL) : NULL;
    free(a.data);
    if (rc != CURLE_OK || status != 200 || !r) {
        json_decref(r);
        return err_set(e, ERR_UNAVAILABLE, "payment provider: %s %s answered %s (HTTP %ld)", method, path,
                       rc != CURLE_OK ? curl_easy_strerror(rc) : "an error", status);
    }
    *out = r;
    return ERR_OK;
}

static enum err_code p24_start(const struct config_tenant *t, struct arena *a, const struct svc_pay_start *in,
                               const char **redirect, struct err *e)
{
    char sign[97];
    svc_p24_sign_register(in->session_id, t->p24_merchant_id, in->amount_gr, "PLN", t->p24_crc, sign);
    json_t *r = NULL;
    json_t *body = json_pack("{s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "merchantId",
                             (json_int_t)t->p24_merchant_id, "posId", (json_int_t)t->p24_pos_id, "sessionId",
                             in->session_id, "amount", (json_int_t)in->amount_gr, "currency", "PLN", "description",
                             in->description, "email", in->email ? in->email : "", "country", "PL", "language", "pl",
                             "urlReturn", in->url_return, "urlStatus", in->url_status, "sign", sign);
    if (p24_call(t, "POST", "/api/v1/transaction/register", body, &r, e))
        return e->code;
    const char *token = json_string_value(json_object_get(json_object_get(r, "data"), "token"));
    if (token && strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == strlen(token))
        *redirect = arena_printf(a, "%s/trnRequest/%s", t->p24_url, token);
    json_decref(r);
    return token && *redirect ? ERR_OK : err_set(e, ERR_UNAVAILABLE, "payment provider: no usable token");
}

/* An integer member of j as text (orderId is int64), or NULL. */
static const char *int_text(struct arena *a, json_t *j, const char *name)
{
    json_t *v = json_object_get(j, name);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? arena_printf(a, "%lld", (long long)json_integer_value(v))
                                                            : NULL;
}

static enum err_code p24_notice(const struct config_tenant *t, struct arena *a, const char *body, size_t len,
                                struct svc_pay_notice *out, struct err *e)
{
    json_t *j = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!j || arena_defer(a, (void (*)(void *))json_decref, j))
        return err_param(e, "body", "the notification is not JSON");
    json_t *m = json_object_get(j, "merchantId"), *p = json_object_get(j, "posId");
    const char *sign = json_string_value(json_object_get(j, "sign"));
    *out = (struct svc_pay_notice){
        .session_id = json_string_value(json_object_get(j, "sessionId")),
        .order_id = int_text(a, j, "orderId"),
        .currency = json_string_value(json_object_get(j, "currency")),
        .statement = json_string_value(json_object_get(j, "statement")),
        .amount_gr = (long)json_integer_value(json_object_get(j, "amount")),
        .origin_amount_gr = (long)json_integer_value(json_object_get(j, "originAmount")),
    };
    json_t *method = json_object_get(j, "methodId");
    if (!json_is_integer(m) || !json_is_integer(p) || !out->session_id || !out->order_id || !out->currency ||
        !out->statement || !sign || !json_is_integer(json_object_get(j, "amount")) ||
        !json_is_integer(json_object_get(j, "originAmount")) || !json_is_integer(method))
        return err_param(e, "body", "the notification lacks a member or has one of the wrong type");
    if (json_integer_value(m) != t->p24_merchant_id || json_integer_value(p) != t->p24_pos_id)
        return err_set(e, ERR_FORBIDDEN, "the notification is for merchant %lld, not this gmina's",
                       (long long)json_integer_value(m));
    char want[97];
    svc_p24_sign_notice(t->p24_merchant_id, t->p24_pos_id, out, (long)json_integer_value(method), t->p24_crc, want);
    if (strlen(sign) != 96 || sodium_memcmp(sign, want, 96) != 0)
        return err_set(e, ERR_UNAUTHORIZED, "the notification's signature does not match");
    return ERR_OK;
}

static enum err_code p24_verify(const struct config_tenant *t, struct arena *a, const struct svc_pay_notice *n,
                                struct err *e)
{
    (void)a;
    char sign[97];
    svc_p24_sign_verify(n->session_id, n->order_id, n->amount_gr, n->currency, t->p24_crc, sign);
    json_t *r = NULL;
    json_t *body =
        json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:s}", "merchantId", (json_int_t)t->p24_merchant_id, "posId",
                  (json_int_t)t->p24_pos_id, "sessionId", n->session_id, "amount", (json_int_t)n->amount_gr, "currency",
                  n->currency, "orderId", (json_int_t)strtoll(n->order_id, NULL, 10), "sign", sign);
    if (p24_call(t, "PUT", "/api/v1/transaction/verify", body, &r, e))
        return e->code;
    const char *st = json_string_value(json_object_get(json_object_get(r, "data"), "status"));
    bool ok = st && !strcmp(st, "success");
    json_decref(r);
    return ok ? ERR_OK : err_set(e, ERR_UNAVAILABLE, "payment provider: transaction/verify did not confirm");
}

const struct svc_pay_provider svc_pay_p24 = {"p24", p24_start, p24_notice, p24_verify};

/* ---- POST /{t}/payments/online ---- */

struct start_job {
    struct http_req *req;
    const char *case_id;
    char session[33];
    struct gis_case c;
    long amount_gr;
};

/* Checks the case and records the session, before the provider is called. */
static enum err_code start_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct start_job *job = ctx;
    struct err ce = {0};
    if (gis_case_find(w, job->req->arena, false, job->case_id, &job->c, &ce))
        return err_set(e, ERR_NOT_FOUND, "nie ma takiej sprawy (no such case)");
    if (!job->c.pay_nrb)
        return err_set(e, ERR_CONFLICT, "sprawa %s nie ma opłaty do zapłaty online", job->c.case_number);
    job->amount_gr = job->c.pay_due_gr - job->c.pay_paid_gr;
    if (job->amount_gr <= 0 || !job->c.fee_status || strcmp(job->c.fee_status, "due") != 0)
        return err_set(e, ERR_CONFLICT, "opłata w sprawie %s jest już uregulowana", job->c.case_number);
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(job->session, sizeof job->session, raw, sizeof raw);
    return gis_pay_online_start(w, job->session, job->c.pay_nrb, job->amount_gr, svc_pay_p24.name, e);
}

static enum err_code online_start(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct config_tenant *t = req->tenant->cfg;
    if (!t->p24_url[0])
        return err_set(e, ERR_NOT_FOUND, "gmina %s nie przyjmuje płatności online", t->name);
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_t *b = req->body ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
    if (!b || arena_defer(req->arena, (void (*)(void *))json_decref, b))
        return err_param(e, "body", "the body is not valid JSON");
    struct start_job job = {.req = req, .case_id = json_string_value(json_object_get(b, "case"))};
    if (!job.case_id || strlen(job.case_id) != 32 || strspn(job.case_id, "0123456789abcdef") != 32)
        return err_at(e, ERR_UNPROCESSABLE, "case", "case must be a case id (32 hex characters)");
    /* back to the record (API clients), or with return "page" to the page it was paid from */
    const char *back = json_string_value(json_object_get(b, "return"));
    if (back && strcmp(back, "page") && strcmp(back, "record"))
        return err_at(e, ERR_UNPROCESSABLE, "return", "return must be record (default) or page");
    if (svc_tenant_write(req->tenant, start_run, &job, e))
        return e->code;
    const char *base = arena_printf(req->arena, "%s/%s", t->public_url, t->slug);
    bool page = back && !strcmp(back, "page");
    bool extract = job.c.module && !strcmp(job.c.module, "extracts");
    struct svc_pay_start in = {
        .session_id = job.session,
        .description = arena_printf(req->arena, "%s", job.c.pay_title),
        .email = job.c.applicant_email,
        .url_return = page && extract ? arena_printf(req->arena, "%s/order/%s", base, job.c.id)
                      : page          ? arena_printf(req->arena, "%s/my", base)
                                      : arena_printf(req->arena, "%s/extracts/%s", base, job.c.id),
        .url_status = arena_printf(req->arena, "%s/payments/online/p24/notify", base),
        .amount_gr = job.amount_gr,
    };
    const char *redirect = NULL;
    if (svc_pay_p24.start(t, req->arena, &in, &redirect, e)) {
        log_error("payments: %s: starting session %s: %s", t->slug, job.session, e->msg);
        return e->code;
    }
    svc_auth_audit(req, "payments.online.start", job.c.case_number,
                   arena_printf(req->arena, "session %s, %ld gr", job.session, job.amount_gr));
    json_t *j =
        json_pack("{s:s, s:s, s:I, s:s, s:s}", "session_id", job.session, "provider", svc_pay_p24.name, "amount_gr",
                  (json_int_t)job.amount_gr, "redirect_url", redirect, "case_number", job.c.case_number);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return http_resp_json(req, resp, 201, j, e);
}

/* ---- POST /{t}/payments/online/p24/notify ---- */

struct notice_job {
    struct http_req *req;
    const struct svc_pay_notice *n;
};

static enum err_code notice_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct notice_job *job = ctx;
    return gis_pay_online_settle(w, job->req->arena, job->n->session_id, job->n->order_id, job->n->amount_gr,
                                 svc_pay_settle, job->req, e);
}

/* Whether the notice matches the session it names: same amount (and origin amount), PLN, still open. */
static enum err_code notice_check(struct http_req *req, const struct svc_pay_notice *n, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    struct gis_pay_online o;
    if (!s)
        return e->code;
    if (gis_pay_online_get(s, req->arena, n->session_id, &o, e))
        return e->code;
    if (strcmp(o.status, "started") != 0)
        return err_set(e, ERR_CONFLICT, "session %s is already %s (order %s): a replay", o.session_id, o.status,
                       o.order_id ? o.order_id : "?");
    if (n->amount_gr != o.amount_gr || n->origin_amount_gr != o.amount_gr || strcmp(n->currency, "PLN") != 0)
        return err_at(e, ERR_UNPROCESSABLE, "amount", "the notified amount %ld %s is not the session's %ld PLN",
                      n->amount_gr, n->currency, o.amount_gr);
    return ERR_OK;
}

static enum err_code online_notify(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct config_tenant *t = req->tenant->cfg;
    if (!t->p24_url[0])
        return err_set(e, ERR_NOT_FOUND, "gmina %s nie przyjmuje płatności online", t->name);
    struct svc_pay_notice n = {0};
    enum err_code rc = svc_pay_p24.notice(t, req->arena, req->body, req->body_len, &n, e);
    if (!rc)
        rc = notice_check(req, &n, e);
    if (!rc && !(rc = svc_pay_p24.verify(t, req->arena, &n, e))) {
        struct notice_job job = {req, &n};
        rc = svc_tenant_write(req->tenant, notice_run, &job, e);
    }
    const char *sid = n.session_id ? n.session_id : "?";
    if (rc) {
        log_warn("payments: %s: notification refused (session %s): %s", t->slug, sid, e->msg);
        svc_auth_audit(req, "payments.online.refused", arena_printf(req->arena, "session %s", sid), e->msg);
        return rc;
    }
    svc_auth_audit(req, "payments.online.paid", arena_printf(req->arena, "session %s", n.session_id),
                   arena_printf(req->arena, "order %s, %ld gr", n.order_id, n.amount_gr));
    json_t *j = json_pack("{s:s}", "status", "ok");
    return j ? http_resp_json(req, resp, 200, j, e) : err_set(e, ERR_INTERNAL, "out of memory");
}

static const struct http_param_doc p_tenant[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};

const struct http_route svc_pay_online_routes[] = {
    {"POST", "/{t}/payments/online", online_start, "payments",
     "Start paying a case's fee online: JSON {case: id, return: record | page}; answers the provider's redirect_url "
     "(the case id is the secret, as for extracts); the provider sends the payer back to the record, or with "
     "return page to the order's page (extracts) or my matters",
     NULL, p_tenant, HTTP_SUBMIT},
    {"POST", "/{t}/payments/online/p24/notify", online_notify, "payments",
     "The payment provider's signed notification (Przelewy24 urlStatus): checked, confirmed with "
     "transaction/verify and booked once; a wrong signature, amount or a replay is refused and audited",
     NULL, p_tenant, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
