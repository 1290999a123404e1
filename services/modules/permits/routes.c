/* e-Zezwolenia (module "permits"): the public answers (the check, the register, the council's rules, the
 * OGC collection and tileset `alcohol-outlets`, /locate) and the clerk's routes (applications as cases,
 * the GKRPA opinion, the limit check, the sealed decision, the annual statements and fees, expiry and
 * revocation). The logic is in permits.c and check.c, the pedestrian paths in path.c, the SQL in store.c,
 * the demo data in demo.c. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "gis/cases.h"
#include "gis/changes.h"
#include "gis/pay.h"
#include "gis/receipt.h"
#include "services/auth.h"
#include "services/cases.h"
#include "services/module.h"
#include "services/modules/permits/permits.h"
#include "services/modules/permits/store.h"
#include "services/server.h"
#include "util/text.h"
#include "util/sha256.h"

#define CASE_FORMAT "ZA.7340.{seq}.{year}" /* JRWA 7340: zezwolenia na sprzedaż napojów alkoholowych */
#define CASE_DAYS   30                     /* art. 35 § 3 KPA */

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static struct gis_store *reader(struct http_req *req, struct err *e)
{
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", req->tenant->cfg->name);
    return r;
}

static const char *actor(struct http_req *req)
{
    return req->principal ? req->principal->account.login : "system";
}

static json_t *money(long gr)
{
    return json_real((double)gr / 100.0);
}

/* ---- GET /{t}/permits/check ---- */

static enum err_code get_check(struct http_req *req, struct http_resp *resp, struct err *e)
{
    char cat = permits_category_parse(http_query(req, "category"));
    const char *sale;
    if (!cat)
        return err_param(e, "category", "category must be A, B or C");
    if (!permits_sale_parse(http_query(req, "sale"), &sale))
        return err_param(e, "sale", "sale must be on (w miejscu sprzedaży) or off (poza miejscem sprzedaży)");
    struct gis_store *r = reader(req, e);
    struct svc_place p;
    if (!r || svc_place_resolve(req, r, http_query(req, "parcel"), http_query(req, "address"), &p, e))
        return e->code;
    json_t *j;
    const char *hours = http_query(req, "hours");
    if (hours && (strlen(hours) > 200 || !text_utf8_valid(hours, strlen(hours))))
        return err_param(e, "hours", "hours must be UTF-8 text of at most 200 bytes, e.g. 6:00–22:00");
    if (permits_check(r, req->arena, &p, cat, sale, &j, e))
        return e->code;
    permits_check_hours(j, req->arena, hours);
    json_object_set_new(j, "place",
                        json_pack("{s:o, s:I, s:o, s:f, s:f}", "parcel_id", jstr(p.parcel_id), "address_id",
                                  (json_int_t)p.address_id, "address", jstr(p.address_label), "x", p.x, "y", p.y));
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- GET /{t}/permits/register, GET /{t}/permits/rules ---- */

static json_t *permit_json(const struct permits_permit *p)
{
    char cat[2] = {p->category, 0};
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)p->id,
                     "number", p->number, "category", cat, "sale", p->sale, "one_off", p->one_off, "event",
                     jstr(p->event), "outlet", jstr(p->outlet_name), "address", jstr(p->address_text), "parcel_id",
                     jstr(p->parcel_id), "valid_from", p->valid_from, "valid_to", p->valid_to, "status", p->status,
                     "status_on", jstr(p->status_on), "status_reason", jstr(p->status_reason));
}

static bool register_add(void *ctx, const struct permits_permit *p)
{
    json_array_append_new(ctx, permit_json(p));
    return true;
}

static enum err_code get_register(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct permits_filter f = {.limit = 1000};
    const char *cat = http_query(req, "category"), *status = http_query(req, "status");
    if (cat && !(f.category = permits_category_parse(cat)))
        return err_param(e, "category", "category must be A, B or C");
    if (status && strcmp(status, "wydane") && strcmp(status, "wygaszone") && strcmp(status, "cofnięte"))
        return err_param(e, "status", "status must be wydane, wygaszone or cofnięte");
    f.status = status;
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    json_t *list = json_array();
    if (permits_store_permits_each(r, req->arena, &f, register_add, list, e)) {
        json_decref(list);
        return e->code;
    }
    return http_resp_json(req, resp, 200,
                          json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(list), "permits", list), e);
}

static enum err_code get_rules(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    char today[11];
    permits_today(today);
    json_t *lim = json_array(), *dist = json_array(), *night = json_array();
    json_t *j = json_pack("{s:o, s:o, s:o}", "limits", lim, "distance_rules", dist, "night_bans", night);
    static const char cats[] = "ABC";
    static const char *const sales[] = {"on", "off"};
    for (int c = 0; c < 3; c++)
        for (int s = 0; s < 2; s++) {
            struct permits_limit l[32];
            int n;
            if (permits_store_limits(r, req->arena, cats[c], sales[s], "*", today, l, 32, &n, e))
                goto fail;
            for (int i = 0; i < n; i++)
                json_array_append_new(lim,
                                      json_pack("{s:s#, s:s, s:o, s:I, s:I, s:s}", "category", &cats[c], (int)1, "sale",
                                                sales[s], "unit", jstr(l[i].unit), "max", (json_int_t)l[i].max, "count",
                                                (json_int_t)l[i].count, "resolution", l[i].resolution));
        }
    struct permits_rule ru[32];
    struct permits_night_ban b[8];
    int n;
    if (permits_store_rules(r, req->arena, 0, NULL, ru, 32, &n, e))
        goto fail;
    for (int i = 0; i < n; i++)
        json_array_append_new(dist, json_pack("{s:s, s:f, s:s, s:s, s:o, s:s}", "object_kind", ru[i].kind, "min_m",
                                              ru[i].min_m, "method", ru[i].method, "categories", ru[i].categories,
                                              "sale", jstr(ru[i].sale), "resolution", ru[i].resolution));
    if (permits_store_night_bans(r, req->arena, NULL, b, 8, &n, e))
        goto fail;
    for (int i = 0; i < n; i++)
        json_array_append_new(night, json_pack("{s:s, s:s, s:s, s:s}", "from", b[i].from, "to", b[i].to, "sale", "off",
                                               "resolution", b[i].resolution));
    return http_resp_json(req, resp, 200, j, e);
fail:
    json_decref(j);
    return e->code;
}

/* ---- POST /{t}/permits/applications (staff): a case ---- */

/* A text member of the body: absent is NULL; present it must be a string of 1..max bytes of UTF-8. */
static bool body_text(json_t *b, const char *key, size_t max, const char **out, struct err *e)
{
    json_t *v = json_object_get(b, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (!s || !n || n > max || !text_utf8_valid(s, n)) {
        err_at(e, ERR_UNPROCESSABLE, key, "%s must be a text of 1 to %zu bytes", key, max);
        return false;
    }
    *out = s;
    return true;
}

/* NIP: ten digits (dashes and spaces allowed) whose check digit holds, into out. */
static bool nip_valid(const char *s, char out[11])
{
    static const int w[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    int n = 0;
    for (; s && *s && n <= 10; s++)
        if (*s >= '0' && *s <= '9')
            out[n++] = *s;
        else if (*s != '-' && *s != ' ')
            return false;
    if (n != 10)
        return false;
    out[10] = 0;
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (out[i] - '0') * w[i];
    return sum % 11 != 10 && sum % 11 == out[9] - '0';
}

struct apply_job {
    struct http_req *req;
    struct permits_outlet o;
    struct permits_app app;
    const char *sale, *request, *case_number;
    char case_id[33];
};

static enum err_code apply_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct apply_job *j = ctx;
    struct http_req *req = j->req;
    if (!j->o.id && permits_store_outlet_add(w, &j->o, e))
        return e->code;
    struct gis_case_stamp st;
    if (gis_case_stamp_new(w, CASE_DAYS, &st, e))
        return e->code;
    memcpy(j->case_id, st.id, sizeof j->case_id);
    j->case_number = gis_case_number(req->arena, CASE_FORMAT, st.seq, st.year);
    if (!j->case_number)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_case c = {.id = st.id,
                         .case_number = j->case_number,
                         .module = "permits",
                         .seq = st.seq,
                         .year = st.year,
                         .applicant_name = j->o.operator_name,
                         .status = GIS_CASE_FILED,
                         .created_at = st.created,
                         .deadline = st.deadline,
                         .fee_status = "exempt", /* the permit's own fee is art. 11¹'s, paid before issue */
                         .verification_code = st.code,
                         .request_json = j->request,
                         .documents_json = "[]"};
    j->app.case_id = st.id;
    j->app.outlet_id = j->o.id;
    if (gis_case_insert(w, &c, actor(req), e) ||
        gis_case_event_add(w, c.id, actor(req), GIS_CASE_FILED, "wniosek o zezwolenie na sprzedaż napojów alkoholowych",
                           e) ||
        permits_store_app_add(w, &j->app, e))
        return e->code;
    const struct gis_receipt r = {.case_id = c.id,
                                  .case_number = c.case_number,
                                  .organ = req->tenant->cfg->organ,
                                  .gmina = req->tenant->cfg->name,
                                  .subject = "Wniosek o wydanie zezwolenia na sprzedaż napojów alkoholowych",
                                  .applicant = j->o.operator_name,
                                  .received_at = st.created,
                                  .submission = j->request,
                                  .submission_len = strlen(j->request)};
    return gis_receipt_issue(w, &r, req->tenant->seal, e);
}

static enum err_code apply_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "permits_outlets", apply_write, ctx, e);
}

/* The validity asked for: at least 4 years (2 for C) for a permit, at most 2 days for a one-off one. */
static enum err_code apply_validity(json_t *b, struct apply_job *j, struct err *e)
{
    const char *from, *to;
    int f, t;
    if (!body_text(b, "valid_from", 10, &from, e) || !body_text(b, "valid_to", 10, &to, e))
        return e->code;
    if (!from || !gis_cal_parse_date(from, &f))
        return err_at(e, ERR_UNPROCESSABLE, "valid_from", "valid_from must be a date YYYY-MM-DD");
    if (!to || !gis_cal_parse_date(to, &t) || t < f)
        return err_at(e, ERR_UNPROCESSABLE, "valid_to", "valid_to must be a date YYYY-MM-DD not before valid_from");
    int fy, fm, fd;
    gis_cal_ymd(f, &fy, &fm, &fd);
    int years = j->app.category == 'C' ? 2 : 4;
    if (j->app.one_off && t - f > 1)
        return err_at(e, ERR_UNPROCESSABLE, "valid_to", "a one-off permit is for at most 2 days (art. 18¹)");
    if (!j->app.one_off && t < gis_cal_day(fy + years, fm, fm == 2 && fd == 29 ? 28 : fd) - 1)
        return err_at(e, ERR_UNPROCESSABLE, "valid_to", "a permit of category %c is for at least %d years (art. 18)",
                      j->app.category, years);
    j->app.valid_from = from;
    j->app.valid_to = to;
    return ERR_OK;
}

/* The outlet: an existing one (outlet_id), or a new one at address or parcel with its operator. */
static enum err_code apply_outlet(struct http_req *req, struct gis_store *r, json_t *b, struct apply_job *j,
                                  struct err *e)
{
    json_t *oid = json_object_get(b, "outlet_id");
    if (oid) {
        if (!json_is_integer(oid) || json_integer_value(oid) < 1)
            return err_at(e, ERR_UNPROCESSABLE, "outlet_id", "outlet_id must be an outlet's id");
        enum err_code rc = permits_store_outlet_get(r, req->arena, (long)json_integer_value(oid), &j->o, e);
        if (rc == ERR_NOT_FOUND)
            e->code = ERR_UNPROCESSABLE;
        return e->code;
    }
    const char *addr, *parcel, *name, *hours, *nip, *op;
    json_t *o = json_object_get(b, "outlet"), *p = json_object_get(b, "operator");
    if (!json_is_object(o) || !json_is_object(p))
        return err_at(e, ERR_UNPROCESSABLE, "outlet",
                      "give outlet_id, or outlet {name, hours} and operator {nip, name}");
    if (!body_text(b, "address", 300, &addr, e) || !body_text(b, "parcel", 64, &parcel, e) ||
        !body_text(o, "name", 200, &name, e) || !body_text(o, "hours", 200, &hours, e) ||
        !body_text(p, "nip", 20, &nip, e) || !body_text(p, "name", 300, &op, e))
        return e->code;
    if (!name || !op)
        return err_at(e, ERR_UNPROCESSABLE, name ? "operator.name" : "outlet.name", "the name is required");
    char nipd[11];
    if (!nip || !nip_valid(nip, nipd))
        return err_at(e, ERR_UNPROCESSABLE, "operator.nip", "NIP is missing or its check digit is wrong");
    if (!addr && !parcel)
        return err_at(e, ERR_UNPROCESSABLE, "address", "give the outlet's address or parcel");
    struct svc_place pl;
    if (svc_place_resolve(req, r, parcel, parcel ? NULL : addr, &pl, e)) {
        if (e->code == ERR_NOT_FOUND || e->code == ERR_INVALID)
            e->code = ERR_UNPROCESSABLE;
        return e->code;
    }
    char today[11];
    permits_today(today);
    j->o = (struct permits_outlet){.name = name,
                                   .sale = j->sale,
                                   .nip = arena_strdup(req->arena, nipd),
                                   .operator_name = op,
                                   .hours = hours,
                                   .address_id = pl.address_id,
                                   .address_text = pl.address_label,
                                   .parcel_id = pl.parcel_id,
                                   .unit = permits_store_unit(r, req->arena, pl.parcel_id),
                                   .created_at = arena_strdup(req->arena, today),
                                   .x = pl.x,
                                   .y = pl.y};
    return ERR_OK;
}

/* The six-month bar after an expiry for a missed statement or instalment (art. 18 ust. 14, README): a
 * conflict naming the first day the operator with this NIP may apply again. */
static enum err_code lapse_bar(struct http_req *req, struct gis_store *r, const char *nip, struct err *e)
{
    static const char *const pkt5[] = {PERMITS_LAPSE_STATEMENT, PERMITS_LAPSE_FEE, NULL};
    const char *on = permits_store_lapsed_on(r, req->arena, nip, pkt5, e);
    int d;
    if (e->code || !on || !gis_cal_parse_date(on, &d))
        return e->code;
    int until = permits_bar_until(d);
    if (gis_cal_today() >= until)
        return ERR_OK;
    char u[11];
    gis_cal_format_date(until, u);
    return err_at(
        e, ERR_CONFLICT, "operator.nip",
        "Zezwolenie tego przedsiębiorcy wygasło %s z powodu niezłożenia oświadczenia lub nieuiszczenia "
        "opłaty; o nowe może wystąpić od %s (art. 18 ust. 14) (a new permit only 6 months after such an expiry)",
        on, u);
}

static enum err_code post_application(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    if (svc_require_staff(req, e) || svc_case_body_object(req, &b, e))
        return e->code;
    struct apply_job j = {.req = req};
    json_t *oneoff = json_object_get(b, "one_off");
    if (oneoff && !json_is_boolean(oneoff))
        return err_at(e, ERR_UNPROCESSABLE, "one_off", "one_off must be true or false");
    j.app.one_off = json_is_true(oneoff);
    if (!(j.app.category = permits_category_parse(json_string_value(json_object_get(b, "category")))))
        return err_at(e, ERR_UNPROCESSABLE, "category", "category must be A, B or C");
    if (!permits_sale_parse(json_string_value(json_object_get(b, "sale")), &j.sale))
        return err_at(e, ERR_UNPROCESSABLE, "sale", "sale must be on or off");
    if (!body_text(b, "event", 300, &j.app.event, e) || apply_validity(b, &j, e))
        return e->code;
    if (j.app.one_off && !j.app.event)
        return err_at(e, ERR_UNPROCESSABLE, "event", "a one-off permit names its event");
    struct gis_store *r = reader(req, e);
    if (!r || apply_outlet(req, r, b, &j, e))
        return e->code;
    if (strcmp(j.o.sale, j.sale))
        return err_at(e, ERR_UNPROCESSABLE, "sale", "the outlet sells %s", permits_sale_text(j.o.sale));
    if (lapse_bar(req, r, j.o.nip, e))
        return e->code;
    if (j.o.nip) /* the operator is the case's party: its business's cases list it (gis_case_filter) */
        json_object_set_new(b, GIS_CASE_PARTY_NIP, json_string(j.o.nip));
    char *dump = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    j.request = dump ? arena_strdup(req->arena, dump) : NULL;
    free(dump);
    if (!j.request)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (svc_tenant_write(req->tenant, apply_run, &j, e))
        return e->code;
    svc_auth_audit(req, "permits.application", j.case_number, arena_printf(req->arena, "outlet %ld", j.o.id));
    return http_resp_json(
        req, resp, 201,
        json_pack("{s:s, s:s, s:s, s:I, s:s}", "case_id", j.case_id, "case_number", j.case_number, "status",
                  GIS_CASE_FILED, "outlet_id", (json_int_t)j.o.id, "receipt",
                  arena_printf(req->arena, "/%s/cases/%s/receipt.pdf", req->tenant->cfg->slug, j.case_id)),
        e);
}

/* ---- the clerk's steps on an application ---- */

/* The application's case and its record, read on s; ERR_NOT_FOUND when the id is no permits case. */
static enum err_code app_load(struct http_req *req, struct gis_store *s, struct gis_case *c, struct permits_app *app,
                              struct err *e)
{
    const char *id = http_capture(req, "id");
    if (!svc_case_id_ok(id) || gis_case_find(s, req->arena, false, id, c, e) || strcmp(c->module, "permits") ||
        permits_store_app_get(s, req->arena, id, app, e)) {
        if (e->code && e->code != ERR_NOT_FOUND)
            return e->code; /* the store failed: not a 404 */
        err_clear(e);
        return err_set(e, ERR_NOT_FOUND, "no permit application '%.40s'", id);
    }
    return ERR_OK;
}

static json_t *app_json(struct http_req *req, const struct gis_case *c, const struct permits_app *a,
                        const struct permits_outlet *o)
{
    char cat[2] = {a->category, 0};
    json_t *chk = a->check_json ? json_loads(a->check_json, 0, NULL) : NULL;
    const char *base = arena_printf(req->arena, "/%s/permits/applications/%s", req->tenant->cfg->slug, c->id);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:s, s:s, s:{s:I, s:s, s:s, s:s, s:o, s:o, s:o}, "
        "s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s, s:s, s:s}}",
        "case_id", c->id, "case_number", c->case_number, "status", c->status, "category", cat, "sale", o->sale,
        "one_off", a->one_off, "event", jstr(a->event), "valid_from", a->valid_from, "valid_to", a->valid_to, "outlet",
        "id", (json_int_t)o->id, "name", o->name, "operator", o->operator_name, "nip", o->nip, "address",
        jstr(o->address_text), "parcel_id", jstr(o->parcel_id), "hours", jstr(o->hours), "opinion", "opinion",
        jstr(a->opinion), "note", jstr(a->opinion_note), "on", jstr(a->opinion_on), "check", chk ? chk : json_null(),
        "check_ok", a->check_ok < 0 ? json_null() : json_boolean(a->check_ok), "permit_id",
        a->permit_id ? json_integer(a->permit_id) : json_null(), "deadline", jstr(c->deadline), "links", "self", base,
        "opinion", arena_printf(req->arena, "%s/opinion", base), "limit_check",
        arena_printf(req->arena, "%s/limit-check", base), "decision", arena_printf(req->arena, "%s/decision", base),
        "decision_pdf", arena_printf(req->arena, "%s/decision.pdf", base));
}

/* Adds the first-year fee's account to the application's JSON j, read on s. */
static void app_fee_add(struct http_req *req, struct gis_store *s, const char *case_id, json_t *j)
{
    struct gis_pay_account acct;
    struct err le = {0};
    if (gis_pay_account_get(s, req->arena, "permits", case_id, &acct, &le))
        return;
    json_object_set_new(j, "first_year_fee",
                        json_pack("{s:o, s:o, s:s, s:s}", "due", money(acct.due_gr), "paid", money(acct.paid_gr),
                                  "account", gis_pay_nrb_print(req->arena, acct.nrb), "title", acct.title));
}

static enum err_code get_application(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    struct gis_case c;
    struct permits_app a;
    struct permits_outlet o;
    if (!r || app_load(req, r, &c, &a, e) || permits_store_outlet_get(r, req->arena, a.outlet_id, &o, e))
        return e->code;
    json_t *j = app_json(req, &c, &a, &o);
    app_fee_add(req, r, c.id, j);
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* One step on the writer: the case and application read again there, the step's own change, the case's
 * status and history. */
struct step {
    struct http_req *req;
    enum { STEP_OPINION, STEP_CHECK, STEP_DECISION } kind;
    const char *value, *note; /* opinion: positive|negative; decision: issue|refuse */
    json_t *check;            /* STEP_CHECK: the check's answer */
    struct gis_case c;
    struct permits_app app;
    struct permits_outlet o;
    long permit_id;
};

static enum err_code step_case_status(struct step *s, struct gis_store *w, const char *status, const char *note,
                                      struct err *e)
{
    s->c.status = status;
    return gis_case_update(w, &s->c, e) || gis_case_event_add(w, s->c.id, actor(s->req), status, note, e) ? e->code
                                                                                                          : ERR_OK;
}

/* The fee paid before the permit is issued: a one-off permit's, or the first year's in proportion. */
static long app_first_fee(const struct permits_app *a)
{
    int f = 0, t = 0;
    gis_cal_parse_date(a->valid_from, &f);
    gis_cal_parse_date(a->valid_to, &t);
    return a->one_off ? permits_fee_one_off_gr(a->category) : permits_fee_first_gr(a->category, f, t);
}

/* STEP_CHECK: records the check; when it allows, opens the account of the first year's fee. */
static enum err_code step_check(struct step *s, struct gis_store *w, const char *today, struct err *e)
{
    struct http_req *req = s->req;
    bool ok = json_is_true(json_object_get(s->check, "allowed"));
    char *dump = json_dumps(s->check, JSON_COMPACT);
    enum err_code rc = permits_store_app_check(w, s->c.id, ok, dump, today, e);
    free(dump);
    if (rc)
        return rc;
    if (ok && req->tenant->cfg->pay_account_prefix[0]) {
        long fee = app_first_fee(&s->app);
        char nrb[27];
        const char *title = arena_printf(req->arena, "Opłata za zezwolenie %s", s->c.case_number);
        if (gis_pay_account_open(w, req->tenant->cfg->pay_account_prefix, "permits", s->c.id, title, fee, nrb, e))
            return e->code;
    }
    return step_case_status(s, w, GIS_CASE_OPEN,
                            ok ? "sprawdzenie zgodności z uchwałami rady gminy: zgodne"
                               : "sprawdzenie zgodności z uchwałami rady gminy: niezgodne",
                            e);
}

/* The reasons printed in the decision: the opinion, the check's reasons, the clerk's note. */
static const char *decision_reasons(struct step *s)
{
    struct arena *a = s->req->arena;
    const char *txt = arena_printf(a, "Gminna komisja rozwiązywania problemów alkoholowych wydała opinię %s%s%s.",
                                   s->app.opinion && !strcmp(s->app.opinion, "positive") ? "pozytywną" : "negatywną",
                                   s->app.opinion_note ? ": " : "", s->app.opinion_note ? s->app.opinion_note : "");
    json_t *chk = s->app.check_json ? json_loads(s->app.check_json, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(chk, "reasons"), i, v) txt = arena_printf(a, "%s %s", txt, json_string_value(v));
    json_decref(chk);
    return s->note ? arena_printf(a, "%s %s", txt, s->note) : txt;
}

/* The decision's PDF, stored with the application. */
static enum err_code step_pdf(struct step *s, struct gis_store *w, const char *today, const struct permits_permit *p,
                              long fee_gr, struct err *e)
{
    struct http_req *req = s->req;
    const struct svc_tenant *t = req->tenant;
    const struct permits_decision d = {
        .issue = p != NULL,
        .one_off = s->app.one_off,
        .organ = t->cfg->organ,
        .place = t->cfg->place[0] ? t->cfg->place : t->cfg->name,
        .date = today,
        .case_number = s->c.case_number,
        .operator_name = s->o.operator_name,
        .nip = s->o.nip,
        .outlet = s->o.name,
        .address = s->o.address_text,
        .number = p ? p->number : NULL,
        .validity = arena_printf(req->arena, "od %s do %s", s->app.valid_from, s->app.valid_to),
        .opinion = s->app.opinion && !strcmp(s->app.opinion, "positive") ? "pozytywna" : "negatywna",
        .fee = p ? arena_printf(req->arena, "%ld,%02ld zł", fee_gr / 100, fee_gr % 100) : "—",
        .reasons = decision_reasons(s),
        .category = s->app.category,
        .sale = s->o.sale,
        .signer = t->seal ? gis_seal_subject(t->seal) : NULL,
    };
    struct buf pdf = {0};
    bool sealed;
    if (permits_decision_pdf(&d, t->seal, &pdf, &sealed, e)) {
        buf_free(&pdf);
        return e->code;
    }
    char sha[65];
    sha256_hex(pdf.data, pdf.len, sha);
    enum err_code rc = permits_store_app_decided(w, s->c.id, p ? p->id : 0, pdf.data, pdf.len, sha, e);
    if (!rc)
        s->c.documents_json =
            arena_printf(req->arena,
                         "[{\"kind\":\"decyzja\",\"sealed\":%s,\"sha256\":\"%s\",\"url\":\"/%s/permits/"
                         "applications/%s/decision.pdf\"}]",
                         sealed ? "true" : "false", sha, t->cfg->slug, s->c.id);
    buf_free(&pdf);
    return rc;
}

/* STEP_DECISION, issue: the opinion positive, the check passed and the first fee paid; the permit. */
static enum err_code step_issue(struct step *s, struct gis_store *w, const char *today, struct err *e)
{
    struct http_req *req = s->req;
    if (!s->app.opinion || strcmp(s->app.opinion, "positive"))
        return err_set(e, ERR_CONFLICT, "the permit needs a positive opinion of the GKRPA first (art. 18 ust. 3a)");
    if (s->app.check_ok != 1)
        return err_set(e, ERR_CONFLICT, "the place must pass the check against the council's resolutions first");
    struct gis_pay_account acct = {0};
    struct err le = {0};
    bool has_acct = !gis_pay_account_get(w, req->arena, "permits", s->c.id, &acct, &le);
    if (has_acct && acct.paid_gr < acct.due_gr)
        return err_set(e, ERR_CONFLICT,
                       "the fee for the first year (%ld,%02ld zł) is paid before the permit is issued "
                       "(art. 11¹); paid %ld,%02ld zł to %s",
                       acct.due_gr / 100, acct.due_gr % 100, acct.paid_gr / 100, acct.paid_gr % 100, acct.nrb);
    struct permits_permit p = {.outlet_id = s->o.id,
                               .number = arena_printf(req->arena, "Z/%s", s->c.case_number),
                               .category = s->app.category,
                               .sale = s->o.sale,
                               .one_off = s->app.one_off,
                               .event = s->app.event,
                               .valid_from = s->app.valid_from,
                               .valid_to = s->app.valid_to,
                               .case_id = s->c.id,
                               .issued_on = today};
    if (permits_store_permit_add(w, &p, e) || permits_store_outlet_touch(w, s->o.id, e))
        return e->code;
    s->permit_id = p.id;
    int y = atoi(s->app.valid_from);
    /* without payments configured (no pay_account_prefix) there is no account: the fee is still stated */
    long fee = has_acct ? acct.due_gr : app_first_fee(&s->app);
    const struct permits_fee f = {.permit_id = p.id,
                                  .year = y,
                                  .kind = s->app.one_off ? "one_off" : "first",
                                  .sales_value_gr = -1,
                                  .fee_gr = fee,
                                  .nrb = has_acct ? acct.nrb : NULL};
    if (permits_store_fee_put(w, &f, e) || step_pdf(s, w, today, &p, fee, e))
        return e->code;
    return step_case_status(s, w, GIS_CASE_DONE, arena_printf(req->arena, "wydano zezwolenie %s", p.number), e);
}

static enum err_code step_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct step *s = ctx;
    struct http_req *req = s->req;
    if (app_load(req, w, &s->c, &s->app, e) || permits_store_outlet_get(w, req->arena, s->app.outlet_id, &s->o, e))
        return e->code;
    if (!gis_case_status_open(s->c.status))
        return err_set(e, ERR_CONFLICT, "case %s is closed (%s)", s->c.case_number, s->c.status);
    char today[11];
    permits_today(today);
    switch (s->kind) {
    case STEP_OPINION:
        if (permits_store_app_opinion(w, s->c.id, s->value, s->note, today, e))
            return e->code;
        return step_case_status(s, w, GIS_CASE_OPEN,
                                !strcmp(s->value, "positive") ? "opinia GKRPA: pozytywna" : "opinia GKRPA: negatywna",
                                e);
    case STEP_CHECK: return step_check(s, w, today, e);
    case STEP_DECISION:
        if (!strcmp(s->value, "issue"))
            return step_issue(s, w, today, e);
        if (step_pdf(s, w, today, NULL, 0, e))
            return e->code;
        return step_case_status(s, w, GIS_CASE_REFUSED, arena_printf(req->arena, "odmowa: %s", s->note), e);
    }
    return ERR_OK;
}

static enum err_code step_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "permits_outlets", step_write, ctx, e);
}

static enum err_code step_answer(struct http_req *req, struct http_resp *resp, struct step *s, struct err *e)
{
    if (svc_tenant_write(req->tenant, step_run, s, e))
        return e->code;
    static const char *const names[] = {"permits.opinion", "permits.limit_check", "permits.decision"};
    svc_auth_audit(req, names[s->kind], s->c.case_number, s->value);
    struct gis_store *r = reader(req, e);
    struct gis_case c;
    struct permits_app a;
    struct permits_outlet o;
    if (!r || app_load(req, r, &c, &a, e) || permits_store_outlet_get(r, req->arena, a.outlet_id, &o, e))
        return e->code;
    json_t *j = app_json(req, &c, &a, &o);
    app_fee_add(req, r, c.id, j);
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code post_opinion(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    struct step s = {.req = req, .kind = STEP_OPINION};
    if (svc_require_staff(req, e) || svc_case_body_object(req, &b, e) || !body_text(b, "note", 2000, &s.note, e))
        return e->code;
    s.value = json_string_value(json_object_get(b, "opinion"));
    if (!s.value || (strcmp(s.value, "positive") && strcmp(s.value, "negative")))
        return err_at(e, ERR_UNPROCESSABLE, "opinion", "opinion must be positive or negative");
    return step_answer(req, resp, &s, e);
}

static enum err_code post_limit_check(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct gis_store *r = reader(req, e);
    struct step s = {.req = req, .kind = STEP_CHECK, .value = "check"};
    if (!r || app_load(req, r, &s.c, &s.app, e) || permits_store_outlet_get(r, req->arena, s.app.outlet_id, &s.o, e))
        return e->code;
    const struct svc_place p = {.parcel_id = s.o.parcel_id,
                                .address_id = s.o.address_id,
                                .address_label = s.o.address_text,
                                .x = s.o.x,
                                .y = s.o.y};
    if (permits_check(r, req->arena, &p, s.app.category, s.o.sale, &s.check, e))
        return e->code;
    permits_check_hours(s.check, req->arena, s.o.hours);
    /* a one-off permit is not counted against the limits, nor bound by the place rules of a new outlet */
    if (s.app.one_off)
        json_object_set_new(s.check, "allowed", json_true());
    enum err_code rc = step_answer(req, resp, &s, e);
    json_decref(s.check);
    return rc;
}

static enum err_code post_decision(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    struct step s = {.req = req, .kind = STEP_DECISION};
    if (svc_require_staff(req, e) || svc_case_body_object(req, &b, e) || !body_text(b, "reason", 2000, &s.note, e))
        return e->code;
    s.value = json_string_value(json_object_get(b, "decision"));
    if (!s.value || (strcmp(s.value, "issue") && strcmp(s.value, "refuse")))
        return err_at(e, ERR_UNPROCESSABLE, "decision", "decision must be issue or refuse");
    if (!strcmp(s.value, "refuse") && !s.note)
        return err_at(e, ERR_UNPROCESSABLE, "reason", "a refusal needs its reason");
    return step_answer(req, resp, &s, e);
}

static enum err_code get_decision_pdf(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    struct gis_case c;
    struct permits_app a;
    const void *pdf;
    size_t len;
    const char *sha;
    if (!r || app_load(req, r, &c, &a, e) || permits_store_app_pdf(r, req->arena, c.id, &pdf, &len, &sha, e))
        return e->code;
    http_resp_body(resp, 200, "application/pdf", pdf, len);
    http_resp_header(resp, "ETag", arena_printf(req->arena, "\"%s\"", sha ? sha : ""));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return ERR_OK;
}

/* ---- permits: the fees of a year, statements, expiry, revocation ---- */

static bool permit_id(struct http_req *req, long *id, struct err *e)
{
    if (text_parse_long(http_capture(req, "id"), 1, 1L << 40, id))
        return true;
    err_set(e, ERR_NOT_FOUND, "no permit '%.20s'", http_capture(req, "id"));
    return false;
}

/* The payments credited to nrb, as the lapse rules read them. */
static int payments_of(struct http_req *req, struct gis_store *s, const char *nrb, struct permits_payment *out, int max)
{
    struct gis_pay_row *rows;
    int n = 0, k = 0;
    struct err le = {0};
    if (!nrb || gis_pay_tx_of(s, req->arena, nrb, &rows, &n, &le))
        return 0;
    for (int i = 0; i < n && k < max; i++) {
        int d;
        if (rows[i].booked_on && gis_cal_parse_date(rows[i].booked_on, &d))
            out[k++] = (struct permits_payment){d, rows[i].amount_gr};
    }
    return k;
}

#define MAX_PAYMENTS 64

/* What the law says of permit p in the year of day `today` (its first year and one-off permits: nothing). */
static void permit_lapse(struct http_req *req, struct gis_store *s, const struct permits_permit *p, int today,
                         struct permits_fee *fee, bool *has_fee, struct permits_lapse *out)
{
    int y, m, d;
    gis_cal_ymd(today, &y, &m, &d);
    struct err le = {0};
    *has_fee = !permits_store_fee_get(s, req->arena, p->id, y, fee, &le);
    *out = (struct permits_lapse){0};
    if (p->one_off || atoi(p->valid_from) >= y)
        return;
    struct permits_payment pay[MAX_PAYMENTS];
    int npay = *has_fee ? payments_of(req, s, fee->nrb, pay, MAX_PAYMENTS) : 0, st = -1;
    if (*has_fee && fee->statement_on)
        gis_cal_parse_date(fee->statement_on, &st);
    permits_lapse_eval(y, today, st, *has_fee ? fee->fee_gr : 0, pay, npay, out);
}

static enum err_code get_permit(struct http_req *req, struct http_resp *resp, struct err *e)
{
    long id;
    struct gis_store *r = reader(req, e);
    struct permits_permit p;
    if (!permit_id(req, &id, e) || !r || permits_store_permit_get(r, req->arena, id, &p, e))
        return e->code;
    json_t *j = permit_json(&p);
    struct permits_fee f;
    bool has;
    struct permits_lapse l;
    int today = gis_cal_today(), y, m, d;
    gis_cal_ymd(today, &y, &m, &d);
    permit_lapse(req, r, &p, today, &f, &has, &l);
    if (has) {
        int due[3];
        long amt[3];
        permits_instalments(y, f.fee_gr, due, amt);
        json_t *inst = json_array();
        for (int k = 0; k < 3 && !strcmp(f.kind, "annual"); k++) {
            char ds[11];
            gis_cal_format_date(due[k], ds);
            json_array_append_new(inst, json_pack("{s:s, s:o}", "due", ds, "amount", money(amt[k])));
        }
        struct gis_pay_account acct;
        struct err le = {0};
        bool a = f.nrb && !gis_pay_account_get(r, req->arena, NULL, f.nrb, &acct, &le);
        json_object_set_new(j, "fee",
                            json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "year", f.year, "kind", f.kind,
                                      "sales_value", f.sales_value_gr >= 0 ? money(f.sales_value_gr) : json_null(),
                                      "statement_on", jstr(f.statement_on), "fee", money(f.fee_gr), "surcharge",
                                      money(f.surcharge_gr), "instalments", inst, "account",
                                      jstr(f.nrb ? gis_pay_nrb_print(req->arena, f.nrb) : NULL), "paid",
                                      a ? money(acct.paid_gr) : json_null()));
    }
    char on[11];
    gis_cal_format_date(l.on, on);
    json_object_set_new(j, "lapse",
                        json_pack("{s:b, s:o, s:o, s:b}", "expired", l.expired, "on",
                                  l.expired ? json_string(on) : json_null(), "reason", jstr(l.reason), "surcharge_due",
                                  l.surcharge));
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, j, e);
}

struct statement_job {
    struct http_req *req;
    long id;
    int year;
    long sales_gr;
    struct permits_fee fee;
    struct permits_permit p;
};

static enum err_code statement_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct statement_job *j = ctx;
    struct http_req *req = j->req;
    if (permits_store_permit_get(w, req->arena, j->id, &j->p, e))
        return e->code;
    if (strcmp(j->p.status, "wydane"))
        return err_set(e, ERR_CONFLICT, "permit %s is %s", j->p.number, j->p.status);
    if (j->p.one_off || j->year <= atoi(j->p.valid_from) || j->year > atoi(j->p.valid_to))
        return err_at(e, ERR_UNPROCESSABLE, "year", "the statement is for a later year of the permit's validity");
    char today[11];
    permits_today(today);
    int t, y, m, d;
    gis_cal_parse_date(today, &t);
    gis_cal_ymd(t, &y, &m, &d);
    if (j->year > y)
        return err_at(e, ERR_UNPROCESSABLE, "year", "the statement for %d is filed in January %d", j->year, j->year);
    long fee = permits_fee_annual_gr(j->p.category, j->sales_gr);
    long surcharge = t > gis_cal_day(j->year, 1, 31) ? permits_surcharge_gr(fee) : 0;
    j->fee = (struct permits_fee){.permit_id = j->id,
                                  .year = j->year,
                                  .kind = "annual",
                                  .sales_value_gr = j->sales_gr,
                                  .statement_on = arena_strdup(req->arena, today),
                                  .fee_gr = fee,
                                  .surcharge_gr = surcharge};
    char nrb[27];
    if (req->tenant->cfg->pay_account_prefix[0]) {
        const char *rec = arena_printf(req->arena, "%ld/%d", j->id, j->year);
        const char *title = arena_printf(req->arena, "Opłata %d za zezwolenie %s", j->year, j->p.number);
        if (gis_pay_account_open(w, req->tenant->cfg->pay_account_prefix, "permits", rec, title, fee + surcharge, nrb,
                                 e))
            return e->code;
        j->fee.nrb = arena_strdup(req->arena, nrb);
    }
    return permits_store_fee_put(w, &j->fee, e);
}

static enum err_code post_statement(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    struct statement_job j = {.req = req};
    if (svc_require_staff(req, e) || !permit_id(req, &j.id, e) || svc_case_body_object(req, &b, e))
        return e->code;
    json_t *y = json_object_get(b, "year"), *v = json_object_get(b, "sales_value_gr");
    if (!json_is_integer(y) || json_integer_value(y) < 2000 || json_integer_value(y) > 2200)
        return err_at(e, ERR_UNPROCESSABLE, "year", "year must be the calendar year the fee is for");
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000000000LL)
        return err_at(e, ERR_UNPROCESSABLE, "sales_value_gr",
                      "sales_value_gr must be the past year's gross sales value of this category in grosze");
    j.year = (int)json_integer_value(y);
    j.sales_gr = (long)json_integer_value(v);
    if (svc_tenant_write(req->tenant, statement_write, &j, e))
        return e->code;
    svc_auth_audit(req, "permits.statement", j.p.number, arena_printf(req->arena, "%d", j.year));
    int due[3];
    long amt[3];
    permits_instalments(j.year, j.fee.fee_gr, due, amt);
    json_t *inst = json_array();
    for (int k = 0; k < 3; k++) {
        char ds[11];
        gis_cal_format_date(due[k], ds);
        json_array_append_new(inst, json_pack("{s:s, s:o}", "due", ds, "amount", money(amt[k])));
    }
    return http_resp_json(req, resp, 200,
                          json_pack("{s:I, s:i, s:o, s:o, s:o, s:o, s:o}", "permit_id", (json_int_t)j.id, "year",
                                    j.year, "sales_value", money(j.sales_gr), "fee", money(j.fee.fee_gr), "surcharge",
                                    money(j.fee.surcharge_gr), "instalments", inst, "account",
                                    jstr(j.fee.nrb ? gis_pay_nrb_print(req->arena, j.fee.nrb) : NULL)),
                          e);
}

struct lapse_job {
    struct http_req *req;
    struct permits_permit *list;
    int n, cap;
    json_t *changed;
};

static bool lapse_collect(void *ctx, const struct permits_permit *p)
{
    struct lapse_job *j = ctx;
    if (j->n == j->cap)
        return false;
    j->list[j->n++] = *p;
    return true;
}

static enum err_code lapse_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct lapse_job *j = ctx;
    struct http_req *req = j->req;
    const struct permits_filter f = {.status = "wydane", .limit = j->cap};
    if (permits_store_permits_each(w, req->arena, &f, lapse_collect, j, e))
        return e->code;
    int today = gis_cal_today();
    char ts[11];
    gis_cal_format_date(today, ts);
    for (int i = 0; i < j->n; i++) {
        const struct permits_permit *p = &j->list[i];
        struct permits_fee fee;
        bool has;
        struct permits_lapse l;
        const char *reason = NULL;
        int to;
        if (gis_cal_parse_date(p->valid_to, &to) && to < today)
            reason = "upływ terminu ważności zezwolenia";
        else {
            permit_lapse(req, w, p, today, &fee, &has, &l);
            if (l.expired)
                reason = l.instalment ? arena_printf(req->arena, "%s (rata %d)", l.reason, l.instalment) : l.reason;
        }
        if (!reason)
            continue;
        if (permits_store_permit_status(w, p->id, "wygaszone", ts, reason, e) ||
            permits_store_outlet_touch(w, p->outlet_id, e))
            return e->code;
        json_array_append_new(j->changed, json_pack("{s:I, s:s, s:s}", "permit_id", (json_int_t)p->id, "number",
                                                    p->number, "reason", reason));
    }
    return ERR_OK;
}

static enum err_code lapse_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "permits_outlets", lapse_write, ctx, e);
}

static enum err_code post_lapse(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct lapse_job j = {.req = req, .cap = 5000, .changed = json_array()};
    j.list = arena_alloc(req->arena, (size_t)j.cap * sizeof *j.list);
    if (!j.list || svc_tenant_write(req->tenant, lapse_run, &j, e)) {
        json_decref(j.changed);
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
    }
    svc_auth_audit(req, "permits.lapse", NULL,
                   arena_printf(req->arena, "%zu permits expired", json_array_size(j.changed)));
    char ts[11];
    permits_today(ts);
    return http_resp_json(req, resp, 200,
                          json_pack("{s:s, s:i, s:o}", "date", ts, "checked", j.n, "expired", j.changed), e);
}

struct revoke_job {
    struct http_req *req;
    long id;
    const char *reason;
    struct permits_permit p;
};

static enum err_code revoke_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct revoke_job *j = ctx;
    if (permits_store_permit_get(w, j->req->arena, j->id, &j->p, e))
        return e->code;
    if (strcmp(j->p.status, "wydane"))
        return err_set(e, ERR_CONFLICT, "permit %s is already %s", j->p.number, j->p.status);
    char ts[11];
    permits_today(ts);
    return permits_store_permit_status(w, j->id, "cofnięte", ts, j->reason, e) ||
                   permits_store_outlet_touch(w, j->p.outlet_id, e)
               ? e->code
               : ERR_OK;
}

static enum err_code revoke_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "permits_outlets", revoke_write, ctx, e);
}

static enum err_code post_revoke(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    struct revoke_job j = {.req = req};
    if (svc_require_staff(req, e) || !permit_id(req, &j.id, e) || svc_case_body_object(req, &b, e) ||
        !body_text(b, "reason", 2000, &j.reason, e))
        return e->code;
    if (!j.reason)
        return err_at(e, ERR_UNPROCESSABLE, "reason", "a revocation names its ground (art. 18 ust. 10)");
    if (svc_tenant_write(req->tenant, revoke_run, &j, e))
        return e->code;
    svc_auth_audit(req, "permits.revoke", j.p.number, j.reason);
    j.p.status = "cofnięte";
    j.p.status_reason = j.reason;
    return http_resp_json(req, resp, 200, permit_json(&j.p), e);
}

/* ---- /locate ---- */

static enum err_code permits_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p, json_t *out,
                                    struct err *e)
{
    struct arena *a = arena_new(16384);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const char *names[3];
    int count = 0, n = 0;
    enum err_code rc = p->address_id > 0 || p->parcel_id
                           ? permits_store_locate(r, a, p->address_id, p->parcel_id, &count, names, 3, &n, e)
                           : ERR_OK;
    if (!rc) {
        json_t *list = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(list, jstr(names[i]));
        json_object_set_new(out, "title", json_string(PERMITS_TITLE));
        json_object_set_new(out, "outlets", json_integer(count));
        json_object_set_new(out, "names", list);
    }
    json_t *check = NULL;
    if (!rc && !(rc = permits_summary(r, a, p, &check, e))) {
        json_object_set_new(out, "check", check);
        const char *q = p->parcel_id ? arena_printf(a, "parcel=%s", p->parcel_id)
                                     : arena_printf(a, "x=%.2f&y=%.2f&crs=EPSG:2180", p->x, p->y);
        json_object_set_new(
            out, "links",
            json_pack("{s:s, s:s}", "check",
                      arena_printf(a, "/%s/permits/check?%s&category={A|B|C}&sale={on|off}", t->cfg->slug, q),
                      "register", arena_printf(a, "/%s/permits/register", t->cfg->slug)));
    }
    arena_free(a);
    return rc;
}

/* ---- the module ---- */

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

#define IN_FORCE_CATS                                                                                                  \
    "(SELECT group_concat(category, '') FROM (SELECT DISTINCT p.category FROM permits_permits p WHERE p.outlet_id = "  \
    "t.id AND p.status = 'wydane' AND p.one_off = 0 ORDER BY p.category))"
#define VALID_TO                                                                                                       \
    "(SELECT max(p.valid_to) FROM permits_permits p WHERE p.outlet_id = t.id AND p.status = 'wydane' AND p.one_off = " \
    "0)"

/* The register's public data: the outlet, its place of sale, the categories in force and their validity. */
static const struct gis_prop outlet_props[] = {
    {"name", "t.name", GIS_PROP_TEXT, false, "the outlet's name"},
    {"sale", "t.sale", GIS_PROP_TEXT, true, "on (w miejscu sprzedaży) or off (poza miejscem sprzedaży)"},
    {"categories", IN_FORCE_CATS, GIS_PROP_TEXT, false, "categories of the permits in force, e.g. ABC"},
    {"valid_to", VALID_TO, GIS_PROP_TEXT, false, "the latest end of validity of its permits in force"},
    {"address", "t.address_text", GIS_PROP_TEXT, false, "address"},
    {"parcel_id", "t.parcel_id", GIS_PROP_TEXT, true, "EGiB parcel identifier"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_layer permits_layers[] = {
    {.table = "permits_outlets",
     .collection = {"alcohol-outlets", "Punkty sprzedaży napojów alkoholowych",
                    "Outlets selling alcoholic beverages with their permits in force (public register)",
                    "permits_outlets t", "Point", outlet_props},
     .map = {"alcohol-outlets", "permits_outlets t", LIST("outlet_id", "name", "sale", "categories"),
             LIST("t.id", "t.name", "t.sale", "coalesce(" IN_FORCE_CATS ", '')"), 12, 0},
     .tileset = {"Punkty sprzedaży alkoholu", "Alcohol outlets by place of sale and permits in force", NULL,
                 "styles/permits.json", true}},
    {.table = NULL},
};

static const struct http_param_doc check_doc[] = {
    HTTP_DOC_TENANT,
    {"category", "query", "string", 1, "A (up to 4.5% and beer), B (over 4.5% to 18%, except beer), C (over 18%)"},
    {"sale", "query", "string", 1, "on (w miejscu sprzedaży) or off (poza miejscem sprzedaży)"},
    {"address", "query", "string", 0, "address text (or parcel, or lon and lat)"},
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},
    {"lat", "query", "number", 0, "latitude (CRS84), with lon"},
    {"hours", "query", "string", 0,
     "opening hours, e.g. 6:00–22:00, checked against the night ban for sale off the premises (answer: hours)"},
    HTTP_DOC_END,
};
static const struct http_param_doc register_doc[] = {
    HTTP_DOC_TENANT,
    {"category", "query", "string", 0, "only permits of this category (A, B or C)"},
    {"status", "query", "string", 0, "only permits with this status: wydane, wygaszone, cofnięte"},
    HTTP_DOC_END,
};
static const struct http_param_doc tenant_doc[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc app_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "the application's case id (32 hex characters)"},
    HTTP_DOC_STATUS("409", "The case is closed, or a step before this one is missing (opinion, check, first fee)"),
    HTTP_DOC_END,
};
static const struct http_param_doc permit_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "permit id"},
    HTTP_DOC_STATUS("409", "The permit is no longer in force"),
    HTTP_DOC_END,
};

#define W HTTP_STAFF("clerk", "permits:write")
#define R HTTP_STAFF("clerk", "permits:read")

static const struct http_route permits_routes[] = {
    {"GET", "/{t}/permits/check", get_check, "permits",
     "May a new outlet of a category, on or off the premises, open at a place: the council's limits, each distance "
     "rule with the measured distance, method and nearest protected object, the plan zone, with reasons",
     NULL, check_doc, HTTP_PUBLIC},
    {"GET", "/{t}/permits/register", get_register, "permits",
     "The public register of permits: category, place of sale, outlet, address, validity, status", NULL, register_doc,
     HTTP_PUBLIC},
    {"GET", "/{t}/permits/rules", get_rules, "permits",
     "The council's rules: limits per category and place of sale (with the permits counted), distance rules, night "
     "ban, each with its resolution",
     NULL, tenant_doc, HTTP_PUBLIC},
    {"POST", "/{t}/permits/applications", post_application, "permits",
     "Register a permit application as a case (staff): JSON {address | parcel, outlet {name, hours}, operator {nip, "
     "name} | outlet_id, category, sale, valid_from, valid_to, one_off, event}; answers the case and its receipt",
     NULL, tenant_doc, W},
    {"GET", "/{t}/permits/applications/{id}", get_application, "permits",
     "A permit application: the case, the outlet, the GKRPA opinion, the check, the first year's fee", NULL, app_doc,
     R},
    {"POST", "/{t}/permits/applications/{id}/opinion", post_opinion, "permits",
     "Record the GKRPA opinion: JSON {opinion: positive | negative, note}", NULL, app_doc, W},
    {"POST", "/{t}/permits/applications/{id}/limit-check", post_limit_check, "permits",
     "Check the outlet against the council's resolutions and record it; when it passes, open the first year's fee "
     "account",
     NULL, app_doc, W},
    {"POST", "/{t}/permits/applications/{id}/decision", post_decision, "permits",
     "Decide: JSON {decision: issue | refuse, reason}; issue needs a positive opinion, a passed check and the first "
     "fee paid; the decision is a sealed PDF",
     NULL, app_doc, W},
    {"GET", "/{t}/permits/applications/{id}/decision.pdf", get_decision_pdf, "permits",
     "The sealed decision on an application", "application/pdf", app_doc, R},
    {"GET", "/{t}/permits/permits/{id}", get_permit, "permits",
     "A permit with this year's fee, instalments, payments and whether it has expired", NULL, permit_doc, R},
    {"POST", "/{t}/permits/permits/{id}/statement", post_statement, "permits",
     "Record the statement of the past year's sales value: JSON {year, sales_value_gr}; sets the year's fee and its "
     "three instalments",
     NULL, permit_doc, W},
    {"POST", "/{t}/permits/permits/{id}/revoke", post_revoke, "permits",
     "Revoke a permit (cofnięcie, art. 18 ust. 10): JSON {reason}", NULL, permit_doc, W},
    {"POST", "/{t}/permits/lapse", post_lapse, "permits",
     "Expire the permits whose validity ended, or whose statement or instalment was missed beyond the grace "
     "(art. 18 ust. 12)",
     NULL, tenant_doc, W},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};

const struct svc_module svc_permits_module = {
    .name = "permits",
    .title = PERMITS_TITLE,
    .migrations = "services/modules/permits/migrations",
    .routes = permits_routes,
    .layers = permits_layers,
    .locate = permits_locate,
    .demo = permits_demo,
};
