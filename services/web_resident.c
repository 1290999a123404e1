/* The residents' pages, server-rendered and complete without JavaScript: the gmina's home, search, the
 * property card, ordering a wypis i wyrys (parcels, documents and purpose, quote, applicant, confirmation,
 * status and download), "my matters", the waste declaration, log-in and log-out. Each page asks the API
 * in-process (web_api) and renders a template of web/templates/ with messages of web/messages/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/extract.h"
#include "services/auth.h"
#include "services/routes.h"
#include "services/server.h"
#include "services/tmpl.h"
#include "services/web_page.h"

static const char *slug(struct web_page *pg)
{
    return pg->req->tenant->cfg->slug;
}

/* "/{t}/rest" with printf arguments, in the arena. */
static const char *href(struct web_page *pg, const char *fmt, const char *arg)
{
    return web_href(pg, fmt, arg);
}

static json_t *jstr(const char *s)
{
    return json_string(s ? s : "");
}

/* A number as the page shows it: whole when it is, else with two decimals. */
static const char *num(struct web_page *pg, json_t *v)
{
    double d = json_number_value(v);
    return web_num(pg, d, d == (double)(long long)d ? 0 : 2);
}

static const char *pay_origin(struct web_page *pg);

/* The signed-in caller, else a 303 to the log-in page that returns here. */
static bool must_sign_in(struct web_page *pg)
{
    if (pg->who)
        return false;
    web_page_redirect(pg, href(pg, "/signin?return=%s", web_return_here(pg)));
    return true;
}

/* ---- home and search ---- */

static enum err_code page_home(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "home.title", &pg, e))
        return e->code;
    return web_page_send(&pg, 200, "home", e);
}

static json_t *search_hit(struct web_page *pg, json_t *f)
{
    json_t *p = json_object_get(f, "properties");
    const char *kind = json_string_value(json_object_get(p, "kind"));
    const char *label = json_string_value(json_object_get(p, "label"));
    bool parcel = kind && !strcmp(kind, "parcel");
    const char *link = parcel ? href(pg, "/card?parcel=%s", json_string_value(json_object_get(p, "parcel_id")))
                              : href(pg, "/card?address=%s", label);
    json_t *h = json_pack("{s:o, s:s, s:b}", "label", jstr(label), "href", link, "parcel", parcel);
    if (parcel)
        json_object_set_new(h, "area", json_string(num(pg, json_object_get(p, "area_m2"))));
    return h;
}

static enum err_code page_find(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "find.title", &pg, e))
        return e->code;
    const char *q = http_query(req, "q");
    json_object_set_new(pg.data, "q", jstr(q));
    if (!q || !*q)
        return web_page_send(&pg, 200, "find", e);
    const char *query[] = {"q", q, "limit", "30", NULL, NULL};
    json_t *j;
    int status;
    struct err le = {0};
    if (web_api(&pg, "GET", href(&pg, "/search", NULL), query, NULL, NULL, &j, &status, &le)) {
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        return web_page_send(&pg, status, "find", e);
    }
    json_t *hits = json_array(), *f;
    size_t i;
    json_array_foreach(json_object_get(j, "features"), i, f)
    {
        json_array_append_new(hits, search_hit(&pg, f));
    }
    json_object_set_new(pg.data, "count", json_integer((json_int_t)json_array_size(hits)));
    json_object_set_new(pg.data, "searched", json_true());
    json_object_set_new(pg.data, "hits", hits);
    return web_page_send(&pg, 200, "find", e);
}

/* ---- the property card ---- */

/* The parameters a zone sets, as {label, value} with units, in the catalogue's words. */
static json_t *zone_params(struct web_page *pg, json_t *params)
{
    json_t *out = json_array(), *v;
    const char *k;
    json_object_foreach(params, k, v)
    {
        char key[64];
        snprintf(key, sizeof key, "param.%s", k);
        const char *label = web_msg(pg, key);
        const char *val = json_is_string(v) ? json_string_value(v) : num(pg, v);
        const char *unit = strstr(k, "_pct") ? " %" : strstr(k, "_m2") ? " m²" : strstr(k, "_m") ? " m" : "";
        json_array_append_new(out, json_pack("{s:s, s:s}", "label", *label ? label : k, "value",
                                             arena_printf(pg->req->arena, "%s%s", val, unit)));
    }
    return out;
}

static json_t *card_zones(struct web_page *pg, json_t *zones, bool pog)
{
    json_t *out = json_array(), *z;
    size_t i;
    json_array_foreach(zones, i, z)
    {
        const char *kind = json_string_value(json_object_get(z, "kind"));
        if (!kind || (!strcmp(kind, "pog")) != pog)
            continue;
        json_t *plan = json_object_get(z, "plan");
        json_array_append_new(
            out,
            json_pack("{s:o, s:o, s:b, s:o, s:o, s:s, s:s, s:o}", "label", json_incref(json_object_get(z, "label")),
                      "name", json_incref(json_object_get(z, "name")), "overlay", !strcmp(kind, "overlay"), "plan",
                      jstr(json_string_value(json_object_get(plan, "title"))), "resolution",
                      jstr(json_string_value(json_object_get(plan, "resolution"))), "area",
                      num(pg, json_object_get(z, "area_m2")), "share", num(pg, json_object_get(z, "share_pct")),
                      "params", zone_params(pg, json_object_get(z, "parameters"))));
    }
    return out;
}

static json_t *card_plans(struct web_page *pg, json_t *plans)
{
    json_t *out = json_array(), *p;
    size_t i;
    json_array_foreach(plans, i, p)
    {
        char key[32];
        snprintf(key, sizeof key, "plan.kind.%s", json_string_value(json_object_get(p, "kind")) ?: "mpzp");
        json_t *o = json_deep_copy(p);
        json_object_set_new(o, "kind_label", json_string(web_msg(pg, key)));
        json_object_set_new(
            o, "status", json_string(web_status(pg, "plan_status", json_string_value(json_object_get(p, "status")))));
        json_object_set_new(o, "share", json_string(num(pg, json_object_get(p, "share_pct"))));
        json_array_append_new(out, o);
    }
    return out;
}

/* Every module's answer but the waste one (shown in full): title, a count and the names it lists. */
static json_t *card_services(json_t *services)
{
    json_t *out = json_array(), *v;
    const char *k;
    json_object_foreach(services, k, v)
    {
        if (!strcmp(k, "waste") || !json_is_object(v))
            continue;
        json_t *names = json_array(), *b;
        size_t i;
        json_array_foreach(json_object_get(v, "businesses"), i, b)
        {
            if (json_is_string(b))
                json_array_append(names, b);
        }
        json_t *s = json_pack("{s:o, s:o, s:o}", "title", json_incref(json_object_get(v, "title")), "count",
                              json_incref(json_object_get(v, "count")), "names", names);
        json_array_append_new(out, s);
    }
    return out;
}

static void card_fill(struct web_page *pg, json_t *j)
{
    json_t *props = json_object_get(json_object_get(j, "parcel"), "properties"), *d = pg->data;
    const char *id = json_string_value(json_object_get(props, "id"));
    json_object_set_new(d, "parcel",
                        json_pack("{s:o, s:o, s:o, s:s, s:o}", "id", jstr(id), "number",
                                  json_incref(json_object_get(props, "number")), "obreb",
                                  json_incref(json_object_get(props, "obreb")), "area",
                                  num(pg, json_object_get(props, "area_m2")), "land_use",
                                  json_incref(json_object_get(props, "land_use"))));
    json_t *addr = json_object_get(json_object_get(j, "address"), "properties");
    if (addr)
        json_object_set_new(d, "address", json_incref(json_object_get(addr, "label")));
    json_object_set_new(d, "date", json_incref(json_object_get(j, "date")));
    json_object_set_new(d, "plans", card_plans(pg, json_object_get(j, "plans")));
    json_object_set_new(d, "zones", card_zones(pg, json_object_get(j, "zones"), false));
    json_object_set_new(d, "pog_zones", card_zones(pg, json_object_get(j, "zones"), true));
    json_t *services = json_object_get(j, "services");
    json_object_set(d, "waste", json_object_get(services, "waste") ?: json_null());
    json_object_set_new(d, "services", card_services(services));
    json_object_set_new(d, "order_href", json_string(href(pg, "/order?parcels=%s", id)));
    json_object_set_new(
        d, "waste_page",
        json_string(addr ? href(pg, "/waste?address=%s", json_string_value(json_object_get(addr, "label")))
                         : href(pg, "/waste?parcel=%s", id)));
}

static enum err_code page_card(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "card.title", &pg, e))
        return e->code;
    const char *parcel = http_query(req, "parcel"), *address = http_query(req, "address");
    const char *query[] = {parcel ? "parcel" : "address", parcel ? parcel : address, NULL, NULL};
    if (!parcel && !address)
        return web_page_redirect(&pg, href(&pg, "/find", NULL));
    json_t *j;
    int status;
    struct err le = {0};
    if (web_api(&pg, "GET", href(&pg, "/locate", NULL), query, NULL, NULL, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    card_fill(&pg, j);
    return web_page_send(&pg, 200, "card", e);
}

/* ---- ordering a wypis i wyrys ---- */

/* What an order asks, from the query (the steps before confirming) or the form (confirming). */
struct order {
    const char *parcels_text, *purpose, *name, *address, *email;
    bool wypis, wyrys;
    const char *ids[GIS_EXTRACT_MAX_PARCELS + 1];
    int n;
};

static const char *order_field(struct web_page *pg, bool form, const char *name)
{
    const char *v = form ? web_form(pg, name) : http_query(pg->req, name);
    return v ? v : "";
}

/* Reads the order; the parcel list is split on white space, commas and semicolons (at most one more than
 * the limit is kept, so the API states it). */
static void order_read(struct web_page *pg, bool form, struct order *o)
{
    memset(o, 0, sizeof *o);
    o->parcels_text = order_field(pg, form, "parcels");
    o->purpose = order_field(pg, form, "purpose");
    o->name = order_field(pg, form, "name");
    o->address = order_field(pg, form, "address");
    o->email = order_field(pg, form, "email");
    o->wypis = *order_field(pg, form, "wypis");
    o->wyrys = *order_field(pg, form, "wyrys");
    if (!form && !http_query(pg->req, "step"))
        o->wypis = o->wyrys = true; /* the first visit: both documents */
    char *copy = arena_strdup(pg->req->arena, o->parcels_text), *save = NULL;
    for (char *t = copy ? strtok_r(copy, " \t\r\n,;", &save) : NULL; t && o->n <= GIS_EXTRACT_MAX_PARCELS;
         t = strtok_r(NULL, " \t\r\n,;", &save))
        o->ids[o->n++] = t;
}

static void order_data(struct web_page *pg, const struct order *o)
{
    json_object_set_new(pg->data, "order",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "parcels", o->parcels_text, "purpose",
                                  o->purpose, "name", o->name, "address", o->address, "email", o->email, "wypis",
                                  o->wypis, "wyrys", o->wyrys));
}

static enum err_code page_order(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "order.title", &pg, e))
        return e->code;
    struct order o;
    order_read(&pg, false, &o);
    order_data(&pg, &o);
    return web_page_send(&pg, 200, "order", e);
}

/* The fee of the order as GET /{t}/extracts/quote answers it (in-process): counted as the extract would be
 * rendered, with the gmina's settings and the applicant's name and address as the confirmation will give
 * them (a long one adds lines), so that the quote shown is the API's and the issued one's. */
static enum err_code order_quote(struct web_page *pg, const struct order *o, struct gis_extract_fee *fee, struct err *e)
{
    memset(fee, 0, sizeof *fee);
    if (!o->n)
        return err_at(e, ERR_UNPROCESSABLE, "parcels", "%s", web_msg(pg, "order.no_parcels"));
    if (!o->wypis && !o->wyrys)
        return err_at(e, ERR_UNPROCESSABLE, "documents", "%s", web_msg(pg, "order.no_documents"));
    struct buf ids = {0};
    for (int i = 0; i < o->n; i++)
        buf_printf(&ids, "%s%s", i ? "," : "", o->ids[i]);
    const char *parcels = arena_strdup(pg->req->arena, ids.data ? ids.data : "");
    buf_free(&ids);
    const char *q[16];
    int k = 0;
    q[k++] = "parcels", q[k++] = parcels;
    q[k++] = "documents", q[k++] = o->wypis && o->wyrys ? "wypis,wyrys" : o->wypis ? "wypis" : "wyrys";
    if (*o->purpose)
        q[k++] = "purpose", q[k++] = o->purpose;
    if (*o->name)
        q[k++] = "applicant_name", q[k++] = o->name;
    if (*o->address)
        q[k++] = "applicant_address", q[k++] = o->address;
    q[k++] = NULL, q[k++] = NULL;
    json_t *j;
    int status;
    if (web_api(pg, "GET", href(pg, "/extracts/quote", NULL), q, NULL, NULL, &j, &status, e))
        return e->code;
    json_t *f = json_object_get(j, "fee");
    fee->wypis_pages = (int)json_integer_value(json_object_get(j, "wypis_pages"));
    fee->wyrys_sheets = (int)json_integer_value(json_object_get(j, "wyrys_parts"));
    fee->total_pln = (int)json_integer_value(json_object_get(f, "total_pln"));
    fee->due_pln = (int)json_integer_value(json_object_get(f, "due_pln"));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f, "items"), i, it)
    {
        const char *name = json_string_value(json_object_get(it, "name"));
        int pln = (int)json_integer_value(json_object_get(it, "amount_pln"));
        if (name && !strcmp(name, "wypis"))
            fee->wypis_pln = pln;
        else if (name && !strcmp(name, "wyrys"))
            fee->wyrys_pln = pln;
    }
    return ERR_OK;
}

/* The quote page (also after a refused confirmation, with its problem). */
static enum err_code quote_send(struct web_page *pg, const struct order *o, int status, const char *problem,
                                struct err *e)
{
    order_data(pg, o);
    struct gis_extract_fee fee;
    struct err le = {0};
    if (order_quote(pg, o, &fee, &le)) {
        json_object_set_new(pg->data, "problem", json_string(le.msg));
        return web_page_send(pg, http_status_of(le.code), "order", e);
    }
    json_object_set_new(pg->data, "quote",
                        json_pack("{s:i, s:i, s:s, s:s, s:s}", "wypis_pages", fee.wypis_pages, "wyrys_sheets",
                                  fee.wyrys_sheets, "wypis_pln", web_num(pg, fee.wypis_pln, 2), "wyrys_pln",
                                  web_num(pg, fee.wyrys_pln, 2), "total_pln", web_num(pg, fee.total_pln, 2)));
    const struct config_tenant *c = pg->req->tenant->cfg;
    json_object_set_new(pg->data, "may_order", json_boolean(pg->who || c->anonymous_submissions));
    json_object_set_new(pg->data, "email_required",
                        json_boolean(!pg->who && c->extract_issue != CONFIG_ISSUE_IMMEDIATE));
    if (problem)
        json_object_set_new(pg->data, "problem", json_string(problem));
    return web_page_send(pg, status, "quote", e);
}

static enum err_code page_quote(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "quote.title", &pg, e))
        return e->code;
    struct order o;
    order_read(&pg, false, &o);
    return quote_send(&pg, &o, 200, NULL, e);
}

static const char *order_json(struct web_page *pg, const struct order *o)
{
    json_t *ids = json_array(), *docs = json_array();
    for (int i = 0; i < o->n; i++)
        json_array_append_new(ids, json_string(o->ids[i]));
    if (o->wypis)
        json_array_append_new(docs, json_string("wypis"));
    if (o->wyrys)
        json_array_append_new(docs, json_string("wyrys"));
    json_t *app = json_pack("{s:s, s:s}", "name", o->name, "address", o->address);
    if (*o->email)
        json_object_set_new(app, "email", json_string(o->email));
    json_t *j =
        json_pack("{s:o, s:o, s:s, s:o}", "parcels", ids, "applicant", app, "purpose", o->purpose, "documents", docs);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    const char *out = s ? arena_strdup(pg->req->arena, s) : NULL;
    free(s);
    return out;
}

static enum err_code page_order_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "quote.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    struct order o;
    order_read(&pg, true, &o);
    const char *body = order_json(&pg, &o);
    static const char *const headers[] = {"Content-Type", "application/json", NULL, NULL};
    json_t *j;
    int status;
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (web_api(&pg, "POST", href(&pg, "/extracts", NULL), NULL, headers, body, &j, &status, &le))
        return quote_send(&pg, &o, status, le.msg, e);
    const char *id = json_string_value(json_object_get(j, "id"));
    return web_page_redirect(&pg, href(&pg, "/order/%s", id ? id : ""));
}

static enum err_code page_order_status(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "status.title", &pg, e))
        return e->code;
    const char *id = http_capture(req, "id");
    json_t *j;
    int status;
    struct err le = {0};
    if (web_api(&pg, "GET", href(&pg, "/extracts/%s", id), NULL, NULL, NULL, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    json_t *fee = json_object_get(j, "fee");
    const char *st = json_string_value(json_object_get(j, "status"));
    char key[40];
    snprintf(key, sizeof key, "status.%s", st ? st : "pending");
    json_object_set_new(pg.data, "x",
                        json_pack("{s:o, s:o, s:s, s:b, s:s, s:o, s:o, s:s, s:s, s:o}", "case_number",
                                  json_incref(json_object_get(j, "case_number")), "created_at",
                                  json_incref(json_object_get(j, "created_at")), "status", web_msg(&pg, key), "issued",
                                  st && !strcmp(st, "issued"), "total",
                                  web_num(&pg, json_number_value(json_object_get(fee, "total_pln")), 2), "account",
                                  json_incref(json_object_get(fee, "account_display")), "transfer_title",
                                  json_incref(json_object_get(fee, "title")), "receipt",
                                  href(&pg, "/extracts/%s/receipt.pdf", id), "pdf", href(&pg, "/extracts/%s.pdf", id),
                                  "code", json_incref(json_object_get(j, "verification_code"))));
    const char *fs = json_string_value(json_object_get(fee, "status"));
    snprintf(key, sizeof key, "fee.%s", fs ? fs : "due");
    json_object_set_new(json_object_get(pg.data, "x"), "fee_status", json_string(web_msg(&pg, key)));
    if (fs && !strcmp(fs, "due") && (pg.form_origin = pay_origin(&pg)))
        json_object_set_new(pg.data, "pay_case", json_string(id));
    return web_page_send(&pg, 200, "status", e);
}

/* ---- my matters ---- */

static json_t *my_case(struct web_page *pg, json_t *c)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *module = json_string_value(json_object_get(c, "module"));
    bool extract = module && !strcmp(module, "extracts");
    char key[40];
    snprintf(key, sizeof key, "module.%s", module ? module : "");
    json_t *fee = json_object_get(c, "fee");
    json_t *o = json_pack(
        "{s:o, s:s, s:o, s:o, s:o, s:s}", "case_number", json_incref(json_object_get(c, "case_number")), "module",
        web_msg(pg, key), "status",
        json_string(web_status(pg, "case_status", json_string_value(json_object_get(c, "status")))), "created_at",
        json_incref(json_object_get(c, "created_at")), "deadline", json_incref(json_object_get(c, "deadline")),
        "receipt", extract ? href(pg, "/extracts/%s/receipt.pdf", id) : href(pg, "/me/cases/%s/receipt.pdf", id));
    if (extract)
        json_object_set_new(o, "page", json_string(href(pg, "/order/%s", id)));
    json_object_set_new(o, "thread", json_string(href(pg, "/my/cases/%s", id)));
    const char *fs = json_string_value(json_object_get(fee, "status"));
    if (fs && !strcmp(fs, "due") && pg->form_origin)
        json_object_set_new(o, "pay_case", json_string(id));
    if (json_is_object(fee))
        json_object_set_new(o, "fee",
                            json_pack("{s:s, s:o}", "amount",
                                      web_num(pg, json_number_value(json_object_get(fee, "amount_pln")), 2), "account",
                                      json_incref(json_object_get(fee, "account_display"))));
    return o;
}

/* An amount the API gives as "105.00" (or a number), in the page's language. */
static const char *money(struct web_page *pg, json_t *v)
{
    return web_num(pg, json_is_string(v) ? atof(json_string_value(v)) : json_number_value(v), 2);
}

/* A waste payer of mine: balance, the next charges, the declarations filed, a link to correct the last. */
static json_t *my_payer(struct web_page *pg, json_t *p)
{
    json_t *bal = json_object_get(p, "balance"), *decls = json_array(), *d;
    size_t i;
    json_array_foreach(json_object_get(p, "declarations"), i, d)
    {
        char key[40];
        snprintf(key, sizeof key, "res.filing.%s", json_string_value(json_object_get(d, "filing")) ?: "first");
        json_array_append_new(decls, json_pack("{s:O?, s:s, s:o, s:O?, s:O?}", "filed_at",
                                               json_object_get(d, "filed_at"), "filing", web_msg(pg, key), "fee",
                                               json_string(money(pg, json_object_get(d, "monthly_fee"))), "valid_from",
                                               json_object_get(d, "valid_from"), "case_number",
                                               json_object_get(json_object_get(d, "case"), "case_number")));
    }
    json_t *upcoming = json_array(), *u;
    json_array_foreach(json_object_get(p, "upcoming"), i, u)
    {
        json_array_append_new(upcoming, json_pack("{s:O?, s:s, s:O?}", "month", json_object_get(u, "month"), "amount",
                                                  money(pg, json_object_get(u, "amount")), "due_date",
                                                  json_object_get(u, "due_date")));
    }
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
    return json_pack(
        "{s:O?, s:O?, s:O?, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "name", json_object_get(p, "name"), "address",
        json_object_get(p, "address"), "account", json_object_get(p, "account"), "fee",
        money(pg, json_object_get(bal, "monthly_fee")), "arrears",
        json_integer_value(json_object_get(bal, "arrears_gr")) > 0 ? money(pg, json_object_get(bal, "arrears")) : "",
        "to_pay", money(pg, json_object_get(bal, "to_pay")), "credit", money(pg, json_object_get(bal, "credit")),
        "upcoming", upcoming, "declarations", decls, "correct", href(pg, "/declaration?payer=%s", id));
}

static json_t *my_payers(struct web_page *pg, json_t *payers)
{
    json_t *out = json_array(), *p;
    size_t i;
    json_array_foreach(payers, i, p)
    {
        json_array_append_new(out, my_payer(pg, p));
    }
    return out;
}

static enum err_code page_my(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "my.title", &pg, e))
        return e->code;
    if (!pg.who)
        return web_page_redirect(&pg, href(&pg, "/signin?return=/%s/my", slug(&pg)));
    json_t *j, *c;
    int status;
    struct err le = {0};
    if (web_api(&pg, "GET", href(&pg, "/me", NULL), NULL, NULL, NULL, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    json_t *cases = json_array();
    size_t i;
    pg.form_origin = pay_origin(&pg);
    json_array_foreach(json_object_get(j, "cases"), i, c)
    {
        json_array_append_new(cases, my_case(&pg, c));
    }
    json_object_set_new(pg.data, "cases", cases);
    json_t *due = json_object_get(j, "fees_due");
    if (json_integer_value(json_object_get(due, "remaining_gr")) > 0)
        json_object_set_new(pg.data, "due",
                            json_string(web_num(&pg, json_number_value(json_object_get(due, "amount_pln")), 2)));
    json_object_set(pg.data, "modules", json_object_get(j, "modules")); /* each module's part of /me */
    json_t *waste = json_object_get(json_object_get(j, "modules"), "waste");
    if (waste)
        json_object_set_new(pg.data, "payers", my_payers(&pg, json_object_get(waste, "payers")));
    return web_page_send(&pg, 200, "my", e);
}

/* ---- the waste declaration ---- */

static const char *const decl_fields[] = {"name",      "address",    "pesel",   "legal_title", "building_type",
                                          "residents", "composting", "sorting", NULL};

/* The form's choices as the template's flags. */
static void decl_flags(json_t *d)
{
    const char *lt = json_string_value(json_object_get(d, "legal_title")) ?: "";
    const char *bt = json_string_value(json_object_get(d, "building_type")) ?: "";
    json_object_set_new(d, "lt_co", json_boolean(!strcmp(lt, "co_ownership")));
    json_object_set_new(d, "lt_usufruct", json_boolean(!strcmp(lt, "perpetual_usufruct")));
    json_object_set_new(d, "lt_lease", json_boolean(!strcmp(lt, "lease")));
    json_object_set_new(d, "lt_other", json_boolean(!strcmp(lt, "other")));
    json_object_set_new(d, "multi", json_boolean(!strcmp(bt, "multi_family")));
}

static void decl_data(struct web_page *pg, bool form)
{
    json_t *d = json_object();
    for (int i = 0; decl_fields[i]; i++)
        json_object_set_new(d, decl_fields[i], jstr(form ? web_form(pg, decl_fields[i]) : NULL));
    if (!form) /* sorting is compulsory (art. 5 ust. 1 pkt 3b): ticked to start with */
        json_object_set_new(d, "sorting", json_string("1"));
    const char *payer = form ? web_form(pg, "payer_id") : NULL;
    if (payer && *payer) {
        json_object_set_new(d, "payer", json_string(payer));
        json_object_set_new(d, "reason", jstr(web_form(pg, "reason")));
    }
    decl_flags(d);
    json_object_set_new(pg->data, "decl", d);
}

/* A correction of payer's last declaration: the form filled with it (GET /{t}/waste/me/declarations). */
static enum err_code decl_correction(struct web_page *pg, const char *payer, struct err *e)
{
    json_t *j, *p, *found = NULL;
    int status;
    struct err le = {0};
    if (web_api(pg, "GET", href(pg, "/waste/me/declarations", NULL), NULL, NULL, NULL, &j, &status, &le))
        return web_page_error(pg, &le, e);
    size_t i;
    json_array_foreach(json_object_get(j, "payers"), i, p)
    {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
        if (!strcmp(id, payer))
            found = p;
    }
    json_t *last = json_array_get(json_object_get(found, "declarations"), 0);
    if (!last) {
        err_at(&le, ERR_NOT_FOUND, "payer", "%s", web_msg(pg, "res.correct.no_payer"));
        return web_page_error(pg, &le, e);
    }
    json_t *d = json_pack(
        "{s:O?, s:O?, s:s, s:O?, s:O?, s:s, s:b, s:b, s:s, s:s}", "name", json_object_get(found, "name"), "address",
        json_object_get(last, "address"), "pesel", "", "legal_title", json_object_get(last, "legal_title"),
        "building_type", json_object_get(last, "building_type"), "residents",
        arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(json_object_get(last, "residents"))),
        "sorting", json_is_true(json_object_get(last, "sorting")), "composting",
        json_is_true(json_object_get(last, "composting")), "payer", payer, "reason", "");
    decl_flags(d);
    json_object_set_new(pg->data, "decl", d);
    json_object_set_new(pg->data, "title", json_string(web_msg(pg, "res.correct.title")));
    return web_page_send(pg, 200, "declaration", e);
}

static enum err_code page_declaration(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "decl.title", &pg, e))
        return e->code;
    const char *payer = http_query(req, "payer");
    if (payer && must_sign_in(&pg))
        return ERR_OK;
    if (payer)
        return decl_correction(&pg, payer, e);
    decl_data(&pg, false);
    return web_page_send(&pg, 200, "declaration", e);
}

static const char *decl_json(struct web_page *pg)
{
    const char *lt = web_form(pg, "legal_title"), *bt = web_form(pg, "building_type");
    const char *res = web_form(pg, "residents");
    char *end = NULL;
    long n = res ? strtol(res, &end, 10) : -1;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "name", web_form(pg, "name") ?: "", "address",
                          web_form(pg, "address") ?: "", "pesel", web_form(pg, "pesel") ?: "", "legal_title", lt ?: "",
                          "kind", "residential", "building_type", bt ?: "", "sorting", web_form(pg, "sorting") != NULL,
                          "composting", web_form(pg, "composting") != NULL);
    /* residents as the resident typed them: a number, or the text, so that the API names what is wrong */
    json_object_set_new(j, "residents", end && !*end && res && *res ? json_integer(n) : jstr(res));
    const char *payer = web_form(pg, "payer_id");
    if (payer && *payer) { /* a correction of that payer's declaration, with its reason */
        long long id = strtoll(payer, &end, 10);
        json_object_set_new(j, "payer_id", *end || id <= 0 ? json_string(payer) : json_integer(id));
        json_object_set_new(j, "filing", json_string("correction"));
        json_object_set_new(j, "reason", jstr(web_form(pg, "reason")));
        if (!*json_string_value(json_object_get(j, "pesel")))
            json_object_del(j, "pesel");
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const char *out = s ? arena_strdup(pg->req->arena, s) : NULL;
    free(s);
    return out;
}

static enum err_code page_declaration_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "decl.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    static const char *const headers[] = {"Content-Type", "application/json", NULL, NULL};
    json_t *j;
    int status;
    const char *body = decl_json(&pg);
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (web_api(&pg, "POST", href(&pg, "/waste/declarations", NULL), NULL, headers, body, &j, &status, &le)) {
        decl_data(&pg, true);
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        return web_page_send(&pg, status, "declaration", e);
    }
    json_t *c = json_object_get(j, "case");
    const char *cid = json_string_value(json_object_get(c, "id"));
    json_object_set_new(pg.data, "done",
                        json_pack("{s:s, s:o, s:o, s:o, s:o, s:s}", "fee",
                                  web_num(&pg, json_integer_value(json_object_get(j, "monthly_fee_gr")) / 100.0, 2),
                                  "valid_from", json_incref(json_object_get(j, "valid_from")), "case_number",
                                  json_incref(json_object_get(c, "case_number")), "account",
                                  json_incref(json_object_get(j, "account")), "address",
                                  json_incref(json_object_get(j, "address")), "receipt",
                                  href(&pg, "/me/cases/%s/receipt.pdf", cid)));
    return web_page_send(&pg, 200, "declaration_done", e);
}

/* ---- the waste schedule: the next dates and the year's calendar ---- */

/* Today as YYYY-MM-DD (the server's local day, as the schedule counts it), and its year. */
static const char *today_iso(struct web_page *pg, int *year)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    *year = tm.tm_year + 1900;
    return arena_printf(pg->req->arena, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* 0 (Sunday) to 6: the day of the week of y-m-d. */
static int weekday(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    timegm(&tm);
    return tm.tm_wday;
}

/* The year's calendar: a month each, with the days of a collection and the fractions collected. */
static json_t *waste_months(struct web_page *pg, json_t *fractions, int year)
{
    json_t *bydate = json_object(), *f, *d;
    size_t i, k;
    json_array_foreach(fractions, i, f)
    {
        json_array_foreach(json_object_get(f, "dates"), k, d)
        {
            const char *iso = json_string_value(d);
            if (!iso || atoi(iso) != year)
                continue;
            json_t *names = json_object_get(bydate, iso);
            if (!names)
                json_object_set_new(bydate, iso, names = json_array());
            json_array_append(names, json_object_get(f, "name"));
        }
    }
    json_t *months = json_array();
    for (int m = 1; m <= 12; m++) {
        char key[24];
        json_t *days = json_array();
        for (int day = 1; day <= 31; day++) {
            const char *iso = arena_printf(pg->req->arena, "%04d-%02d-%02d", year, m, day);
            json_t *names = json_object_get(bydate, iso);
            if (!names)
                continue;
            snprintf(key, sizeof key, "res.wd.%d", weekday(year, m, day));
            json_array_append_new(days, json_pack("{s:s, s:i, s:s, s:O}", "date", iso, "day", day, "weekday",
                                                  web_msg(pg, key), "fractions", names));
        }
        snprintf(key, sizeof key, "res.month.%d", m);
        json_array_append_new(months, json_pack("{s:s, s:s, s:o}", "name", web_msg(pg, key), "id",
                                                arena_printf(pg->req->arena, "m%d", m), "days", days));
    }
    json_decref(bydate);
    return months;
}

/* Each fraction's name, rules and next date from today. */
static json_t *waste_next(json_t *fractions, const char *today)
{
    json_t *out = json_array(), *f, *d;
    size_t i, k;
    json_array_foreach(fractions, i, f)
    {
        const char *next = NULL;
        json_array_foreach(json_object_get(f, "dates"), k, d)
        {
            if (json_string_value(d) && strcmp(json_string_value(d), today) >= 0) {
                next = json_string_value(d);
                break;
            }
        }
        json_array_append_new(out,
                              json_pack("{s:O?, s:O?, s:o}", "name", json_object_get(f, "name"), "rules",
                                        json_object_get(f, "rules"), "next", next ? json_string(next) : json_null()));
    }
    return out;
}

/* The subscription: the .ics address, and the same as webcal:// on the gmina's public address. */
static void waste_links(struct web_page *pg, const char *key, const char *value)
{
    const char *ics = href(pg, arena_printf(pg->req->arena, "/waste/schedule?%s=%%s&format=ics", key), value);
    const char *pub = pg->req->tenant->cfg->public_url, *host = strstr(pub, "://");
    json_object_set_new(pg->data, "ics", json_string(ics));
    if (host)
        json_object_set_new(pg->data, "webcal", json_string(arena_printf(pg->req->arena, "webcal%s%s", host, ics)));
}

static enum err_code page_waste(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.waste.title", &pg, e))
        return e->code;
    const char *parcel = http_query(req, "parcel"), *address = http_query(req, "address");
    const char *key = parcel && *parcel ? "parcel" : "address", *value = parcel && *parcel ? parcel : address;
    json_object_set_new(pg.data, "address", jstr(address));
    if (!value || !*value)
        return web_page_send(&pg, 200, "waste", e);
    int year, now;
    const char *today = today_iso(&pg, &now), *y = http_query(req, "year");
    year = y ? atoi(y) : now;
    struct err le = {0};
    if (year != now && year != now + 1) {
        err_at(&le, ERR_INVALID, "year", "%s", web_msg(&pg, "res.waste.bad_year"));
        return web_page_error(&pg, &le, e);
    }
    const char *query[] = {key, value, "from", arena_printf(req->arena, "%d-01-01", year), NULL, NULL};
    json_t *j;
    int status;
    if (web_api(&pg, "GET", href(&pg, "/waste/schedule", NULL), query, NULL, NULL, &j, &status, &le)) {
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        return web_page_send(&pg, status, "waste", e);
    }
    json_t *fr = json_object_get(j, "fractions"), *place = json_object_get(j, "place");
    json_object_set_new(pg.data, "schedule",
                        json_pack("{s:O?, s:O?, s:i, s:o, s:o}", "place",
                                  json_object_get(place, "address") ?: json_object_get(place, "parcel_id"), "zone",
                                  json_object_get(json_object_get(j, "zone"), "name"), "year", year, "next",
                                  waste_next(fr, today), "months", waste_months(&pg, fr, year)));
    json_object_set_new(
        pg.data, "other_year",
        json_pack(
            "{s:i, s:s}", "year", year == now ? now + 1 : now, "href",
            href(&pg, arena_printf(req->arena, "/waste?%s=%%s&year=%d", key, year == now ? now + 1 : now), value)));
    waste_links(&pg, key, value);
    return web_page_send(&pg, 200, "waste", e);
}

/* ---- a case of mine: its messages, a reply ---- */

static json_t *case_message(struct web_page *pg, json_t *m)
{
    json_t *author = json_object_get(m, "author");
    const char *kind = json_string_value(json_object_get(author, "kind"));
    bool mine = kind && !strcmp(kind, "resident");
    json_t *files = json_array(), *a;
    size_t i;
    json_array_foreach(json_object_get(m, "attachments"), i, a)
    {
        json_array_append_new(files, json_pack("{s:O?, s:O?}", "name", json_object_get(a, "file_name"), "href",
                                               json_object_get(a, "href")));
    }
    return json_pack("{s:O?, s:O?, s:b, s:s, s:o}", "at", json_object_get(m, "at"), "body", json_object_get(m, "body"),
                     "mine", mine, "author", web_msg(pg, mine ? "res.case.from_me" : "res.case.from_clerk"), "files",
                     files);
}

/* The case page's data (the thread as GET /{t}/me/cases/{id}/messages answers it); with the reply typed
 * (after a refused reply) and its problem. */
static enum err_code case_page(struct web_page *pg, const char *id, int status, const char *reply, const char *problem,
                               struct err *e)
{
    json_t *j, *m;
    int st;
    struct err le = {0};
    if (web_api(pg, "GET", href(pg, "/me/cases/%s/messages", id), NULL, NULL, NULL, &j, &st, &le))
        return web_page_error(pg, &le, e);
    json_t *msgs = json_array();
    size_t i;
    json_array_foreach(json_object_get(j, "messages"), i, m)
    {
        json_array_append_new(msgs, case_message(pg, m));
    }
    json_object_set_new(pg->data, "case",
                        json_pack("{s:O?, s:O?, s:o, s:s, s:s, s:s}", "case_number", json_object_get(j, "case_number"),
                                  "status", json_object_get(j, "status"), "messages", msgs, "action",
                                  href(pg, "/my/cases/%s", id), "receipt", href(pg, "/me/cases/%s/receipt.pdf", id),
                                  "reply", reply ? reply : ""));
    if (problem)
        json_object_set_new(pg->data, "problem", json_string(problem));
    return web_page_send(pg, status, "my_case", e);
}

static enum err_code page_my_case(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.case.title", &pg, e))
        return e->code;
    if (must_sign_in(&pg))
        return ERR_OK;
    return case_page(&pg, http_capture(req, "id"), 200, NULL, NULL, e);
}

/* A JSON body {key: value} in the arena. */
static const char *body_of(struct web_page *pg, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    const char *out = s ? arena_strdup(pg->req->arena, s) : NULL;
    free(s);
    return out;
}

static const char *const json_headers[] = {"Content-Type", "application/json", NULL, NULL};

static enum err_code page_my_case_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.case.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    const char *id = http_capture(req, "id"), *text = web_form(&pg, "body");
    const char *body = body_of(&pg, json_pack("{s:s}", "body", text ? text : ""));
    json_t *j;
    int status;
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (web_api(&pg, "POST", href(&pg, "/me/cases/%s/messages", id), NULL, json_headers, body, &j, &status, &le))
        return case_page(&pg, id, status, text, le.msg, e);
    return web_page_redirect(&pg, arena_printf(req->arena, "%s#messages", href(&pg, "/my/cases/%s", id)));
}

/* ---- the erasure request (RODO art. 17) ---- */

static enum err_code page_erasure(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.erase.title", &pg, e))
        return e->code;
    if (must_sign_in(&pg))
        return ERR_OK;
    return web_page_send(&pg, 200, "erasure", e);
}

static enum err_code page_erasure_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.erase.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    const char *confirm = web_form(&pg, "confirm"), *password = web_form(&pg, "password");
    json_t *b = json_pack("{s:s}", "confirm", confirm ? confirm : "");
    if (b && password && *password)
        json_object_set_new(b, "password", json_string(password));
    const char *body = body_of(&pg, b);
    json_t *j;
    int status;
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (web_api(&pg, "POST", "/auth/me/erasure", NULL, json_headers, body, &j, &status, &le)) {
        json_object_set_new(pg.data, "problem", json_string(le.msg));
        json_object_set_new(pg.data, "confirm", jstr(confirm));
        return web_page_send(&pg, status, "erasure", e);
    }
    json_object_del(pg.data, "me"); /* the account is closed and its session ended */
    json_object_set_new(pg.data, "done", json_pack("{s:O?}", "pseudonym", json_object_get(j, "pseudonym")));
    return web_page_send(&pg, 200, "erasure", e);
}

/* ---- paying online (services/pay_online.c), from the order's status page and from my matters ---- */

/* The origin of the gmina's payment provider, or NULL where it takes no payments online. */
static const char *pay_origin(struct web_page *pg)
{
    const char *url = pg->req->tenant->cfg->p24_url, *host = strstr(url, "://");
    if (!url[0] || !host)
        return NULL;
    size_t n = (size_t)(host + 3 - url) + strcspn(host + 3, "/?#");
    return arena_printf(pg->req->arena, "%.*s", (int)n, url);
}

static enum err_code page_pay_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "res.pay.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    const char *id = web_form(&pg, "case");
    const char *body = body_of(&pg, json_pack("{s:s, s:s}", "case", id ? id : "", "return", "page"));
    json_t *j;
    int status;
    if (!body)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (web_api(&pg, "POST", href(&pg, "/payments/online", NULL), NULL, json_headers, body, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    const char *to = json_string_value(json_object_get(j, "redirect_url")), *origin = pay_origin(&pg);
    if (!to || !origin || strncmp(to, origin, strlen(origin)))
        return web_page_error(&pg, &(struct err){.code = ERR_INTERNAL}, e);
    pg.form_origin = origin;
    return web_page_redirect(&pg, to);
}

/* ---- log-in and log-out ---- */

static const char *return_path(struct web_page *pg, const char *r)
{
    return web_local_path(r) ? r : href(pg, "/my", NULL);
}

static enum err_code page_login(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "login.title", &pg, e))
        return e->code;
    const char *ret = return_path(&pg, http_query(req, "return"));
    json_object_set_new(pg.data, "return", json_string(ret));
    struct buf b = {0};
    buf_puts(&b, "/auth/saml/login?return=");
    tmpl_url_encode(&b, ret);
    json_object_set_new(pg.data, "saml_href", json_string(b.data));
    buf_free(&b);
    return web_page_send(&pg, 200, "login", e);
}

static enum err_code page_login_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "login.title", &pg, e))
        return e->code;
    struct err le = {0};
    if (web_form_check(&pg, &le))
        return web_page_error(&pg, &le, e);
    const char *ret = return_path(&pg, web_form(&pg, "return"));
    static const char *const headers[] = {"Content-Type", "application/x-www-form-urlencoded", NULL, NULL};
    json_t *j;
    int status;
    if (!web_api(&pg, "POST", "/auth/login", NULL, headers, req->body, &j, &status, &le))
        return web_page_redirect(&pg, ret);
    json_object_set_new(pg.data, "return", json_string(ret));
    json_object_set_new(pg.data, "problem",
                        json_string(web_msg(&pg, status == 429   ? "login.too_many"
                                                 : status == 401 ? "login.wrong"
                                                                 : "login.missing")));
    json_object_set_new(pg.data, "login", jstr(web_form(&pg, "login")));
    return web_page_send(&pg, status, "login", e);
}

static enum err_code page_logout(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "logout.title", &pg, e))
        return e->code;
    return web_page_send(&pg, 200, "logout", e);
}

static enum err_code page_logout_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "logout.title", &pg, e))
        return e->code;
    json_t *j;
    int status;
    struct err le = {0};
    if (web_api(&pg, "POST", "/auth/logout", NULL, NULL, NULL, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    return web_page_redirect(&pg, href(&pg, "/home", NULL));
}

/* ---- routes ---- */

static const struct http_param_doc p_t[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc p_find[] = {
    HTTP_DOC_TENANT, {"q", "query", "string", 0, "address, parcel number or identifier"}, HTTP_DOC_END};
static const struct http_param_doc p_card[] = {HTTP_DOC_TENANT,
                                               {"parcel", "query", "string", 0, "parcel identifier"},
                                               {"address", "query", "string", 0, "address"},
                                               HTTP_DOC_END};
static const struct http_param_doc p_order[] = {
    HTTP_DOC_TENANT,
    {"parcels", "query", "string", 0, "parcel identifiers, separated by spaces, commas or new lines"},
    {"wypis", "query", "string", 0, "1: a wypis"},
    {"wyrys", "query", "string", 0, "1: a wyrys"},
    {"purpose", "query", "string", 0, "the purpose of the request"},
    HTTP_DOC_END};
static const struct http_param_doc p_form[] = {
    HTTP_DOC_TENANT, HTTP_DOC_STATUS("303", "done: Location names the next page"), HTTP_DOC_END};
static const struct http_param_doc p_id[] = {
    HTTP_DOC_TENANT, {"id", "path", "string", 1, "the extract's id (32 hex characters)"}, HTTP_DOC_END};
static const struct http_param_doc p_login[] = {
    HTTP_DOC_TENANT, {"return", "query", "string", 0, "the path to go to after logging in"}, HTTP_DOC_END};
static const struct http_param_doc p_waste[] = {
    HTTP_DOC_TENANT,
    {"address", "query", "string", 0, "address (or parcel)"},
    {"parcel", "query", "string", 0, "parcel identifier"},
    {"year", "query", "integer", 0, "the calendar's year: this year (default) or the next"},
    HTTP_DOC_END};
static const struct http_param_doc p_case[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "the case's id (32 hex characters)"},
    HTTP_DOC_STATUS("303", "not signed in: Location is the log-in page; a reply sent: back to the case"),
    HTTP_DOC_END};
static const struct http_param_doc p_my[] = {
    HTTP_DOC_TENANT, HTTP_DOC_STATUS("303", "not signed in: Location is the log-in page"), HTTP_DOC_END};

#define PAGE "text/html"
const struct http_route svc_web_pages_routes[] = {
    {"GET", "/{t}/home", page_home, "pages", "Residents' home page of the gmina", PAGE, p_t, HTTP_PUBLIC},
    {"GET", "/{t}/find", page_find, "pages", "Search page: addresses and parcels", PAGE, p_find, HTTP_PUBLIC},
    {"GET", "/{t}/card", page_card, "pages", "The property card page", PAGE, p_card, HTTP_PUBLIC},
    {"GET", "/{t}/order", page_order, "pages", "Ordering a wypis i wyrys: parcels, documents, purpose", PAGE, p_order,
     HTTP_PUBLIC},
    {"GET", "/{t}/order/quote", page_quote, "pages", "Ordering a wypis i wyrys: the quote and the applicant", PAGE,
     p_order, HTTP_PUBLIC},
    {"POST", "/{t}/order", page_order_post, "pages", "Ordering a wypis i wyrys: confirm (a form)", PAGE, p_form,
     HTTP_SUBMIT},
    {"GET", "/{t}/order/{id}", page_order_status, "pages", "An ordered extract: receipt, payment, status, download",
     PAGE, p_id, HTTP_PUBLIC},
    {"GET", "/{t}/my", page_my, "pages", "My matters: cases, fees, receipts, waste", PAGE, p_my, HTTP_PUBLIC},
    {"GET", "/{t}/declaration", page_declaration, "pages", "The waste declaration form", PAGE, p_t, HTTP_PUBLIC},
    {"POST", "/{t}/declaration", page_declaration_post, "pages", "File the waste declaration (a form)", PAGE, p_t,
     HTTP_ACCOUNT},
    {"GET", "/{t}/waste", page_waste, "pages",
     "The waste collection schedule for an address: the next dates, the year's calendar (printable), the .ics and "
     "webcal subscription",
     PAGE, p_waste, HTTP_PUBLIC},
    {"GET", "/{t}/my/cases/{id}", page_my_case, "pages", "A case of mine: messages from the clerk and the reply form",
     PAGE, p_case, HTTP_PUBLIC},
    {"POST", "/{t}/my/cases/{id}", page_my_case_post, "pages", "Reply to the clerk in a case (a form)", PAGE, p_case,
     HTTP_ACCOUNT},
    {"GET", "/{t}/my/erasure", page_erasure, "pages", "The request to erase my personal data (RODO art. 17)", PAGE,
     p_my, HTTP_PUBLIC},
    {"POST", "/{t}/my/erasure", page_erasure_post, "pages", "Erase my personal data (a form)", PAGE, p_form,
     HTTP_ACCOUNT},
    {"POST", "/{t}/pay", page_pay_post, "pages",
     "Pay a case's fee online (a form with the case id): 303 to the payment provider, which returns to the order's "
     "page or to my matters",
     PAGE, p_form, HTTP_SUBMIT},
    {"GET", "/{t}/signin", page_login, "pages", "Log-in page", PAGE, p_login, HTTP_PUBLIC},
    {"POST", "/{t}/signin", page_login_post, "pages", "Log in (a form)", PAGE, p_form, HTTP_PUBLIC},
    {"GET", "/{t}/signout", page_logout, "pages", "Log-out page", PAGE, p_t, HTTP_PUBLIC},
    {"POST", "/{t}/signout", page_logout_post, "pages", "Log out (a form)", PAGE, p_form, HTTP_ACCOUNT},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
