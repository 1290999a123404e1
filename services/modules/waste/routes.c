/* e-Odpady (module "waste"): collection zones and schedules (JSON and iCalendar), declarations, fees,
 * charges, payments and balances, and its /locate answer. The logic is in waste.c, the SQL in store.c, the demo
 * data in demo.c. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/case_store.h"
#include "gis/receipt.h"
#include "gis/cases.h"
#include "gis/extract.h"
#include "gis/places.h"
#include "services/modules/waste/waste.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/server.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"

#define WASTE_TITLE "Odpady komunalne"

/* ---- helpers ---- */

static json_t *jdate(int day)
{
    char b[11];
    gis_cal_format_date(day, b);
    return json_string(b);
}

static json_t *jmonth(int month)
{
    char b[8];
    gis_cal_format_month(month, b);
    return json_string(b);
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

/* "59.00" for 5900 grosze. */
static json_t *jpln(long gr)
{
    char b[32];
    snprintf(b, sizeof b, "%s%ld.%02ld", gr < 0 ? "-" : "", labs(gr) / 100, labs(gr) % 100);
    return json_string(b);
}

static struct gis_store *reader(struct http_req *req, struct err *e)
{
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", req->tenant->cfg->name);
    return r;
}

static json_t *parse_body(struct http_req *req, struct err *e)
{
    if (!req->body || !req->body_len) {
        err_set(e, ERR_INVALID, "a JSON body is required");
        return NULL;
    }
    const char *ct = http_header(req, "Content-Type");
    if (ct && strncmp(ct, "application/json", 16) != 0) {
        err_set(e, ERR_MEDIA_TYPE, "send the body as application/json");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        err_set(e, ERR_INVALID, "the body is not a JSON object: %s", j ? "not an object" : je.text);
        return NULL;
    }
    return j;
}

/* An integer member within [lo, hi]; absent gives def (or an error when required). */
static bool body_int(json_t *j, const char *name, long lo, long hi, bool required, long def, long *out, struct err *e)
{
    json_t *v = json_object_get(j, name);
    *out = def;
    if (!v || json_is_null(v)) {
        if (required)
            err_param(e, name, "%s is required", name);
        return !required;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        err_at(e, ERR_UNPROCESSABLE, name, "%s must be an integer from %ld to %ld", name, lo, hi);
        return false;
    }
    *out = (long)json_integer_value(v);
    return true;
}

static bool body_bool(json_t *j, const char *name, bool def, bool *out, struct err *e)
{
    json_t *v = json_object_get(j, name);
    *out = def;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v)) {
        err_at(e, ERR_UNPROCESSABLE, name, "%s must be true or false", name);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static bool body_str(json_t *j, const char *name, size_t max, const char **out, struct err *e)
{
    json_t *v = json_object_get(j, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        err_at(e, ERR_UNPROCESSABLE, name, "%s must be a non-empty text of at most %zu bytes", name, max);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

/* Money given as "59.00"/"59,5" text, a number of zł, or amount_gr as integer grosze. */
static bool body_amount(json_t *j, long *gr, struct err *e)
{
    json_t *g = json_object_get(j, "amount_gr"), *v = json_object_get(j, "amount");
    if (g && json_is_integer(g)) {
        *gr = (long)json_integer_value(g);
    } else if (v && json_is_string(v)) {
        const char *s = json_string_value(v);
        long zl = 0, frac = 0;
        int digits = 0, fd = 0;
        for (; *s >= '0' && *s <= '9' && digits < 9; s++, digits++)
            zl = zl * 10 + (*s - '0');
        if (*s == '.' || *s == ',')
            for (s++; *s >= '0' && *s <= '9' && fd < 2; s++, fd++)
                frac = frac * 10 + (*s - '0');
        if (!digits || *s) {
            err_at(e, ERR_UNPROCESSABLE, "amount", "amount must look like 59.00");
            return false;
        }
        *gr = zl * 100 + (fd == 1 ? frac * 10 : frac);
    } else if (v && json_is_number(v)) {
        double d = json_number_value(v);
        if (!(d > 0 && d < 1e7)) {
            err_at(e, ERR_UNPROCESSABLE, "amount", "amount out of range");
            return false;
        }
        *gr = (long)(d * 100 + 0.5);
    } else {
        err_param(e, "amount", "amount is required (\"59.00\", or amount_gr in grosze)");
        return false;
    }
    if (*gr <= 0 || *gr > 100000000) {
        err_at(e, ERR_UNPROCESSABLE, "amount", "amount must be more than 0 and at most 1000000.00 zł");
        return false;
    }
    return true;
}

/* ---- GET /{t}/waste/schedule ---- */

struct schedule {
    struct svc_place place;
    struct waste_zone zone;
    struct waste_fraction_dates *f;
    int nf;
    int from, to;
    int building; /* enum waste_building: 0 all rules */
    bool alarm;   /* iCalendar: a reminder (VALARM) the evening before each collection */
};

static enum err_code schedule_get(struct http_req *req, struct gis_store *r, struct schedule *sc, struct err *e)
{
    if (svc_place_resolve(req, r, http_query(req, "parcel"), http_query(req, "address"), &sc->place, e))
        return e->code;
    if (waste_zone_at(r, req->arena, sc->place.x, sc->place.y, &sc->zone, e))
        return e->code;
    sc->from = waste_today();
    const char *from = http_query(req, "from");
    if (from && !gis_cal_parse_date(from, &sc->from))
        return err_param(e, "from", "from must be a date YYYY-MM-DD");
    int y, m, d;
    gis_cal_ymd(sc->from, &y, &m, &d);
    sc->to = gis_cal_day(y + 1, 12, 31); /* the schedule covers this year and the next */
    return waste_schedule(r, req->arena, sc->zone.id, sc->from, sc->to, 0, sc->building, &sc->f, &sc->nf, e);
}

/* Appends one content line, escaped text already, folded at 75 octets without splitting a UTF-8
 * sequence (RFC 5545 3.1), ended by CRLF. */
static void ics_line(struct buf *b, const char *line)
{
    size_t len = strlen(line), col = 0;
    for (size_t i = 0; i < len;) {
        size_t n = 1;
        unsigned char c = (unsigned char)line[i];
        if (c >= 0xF0)
            n = 4;
        else if (c >= 0xE0)
            n = 3;
        else if (c >= 0xC0)
            n = 2;
        if (col + n > 75) {
            buf_append(b, "\r\n ", 3);
            col = 1;
        }
        buf_append(b, line + i, n);
        col += n;
        i += n;
    }
    buf_append(b, "\r\n", 2);
}

/* TEXT value escaping (RFC 5545 3.3.11). */
static char *ics_text(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    char *o = arena_alloc(a, 2 * n + 1), *p = o;
    if (!o)
        return NULL;
    for (; *s; s++) {
        if (*s == '\\' || *s == ';' || *s == ',') {
            *p++ = '\\';
            *p++ = *s;
        } else if (*s == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else if (*s != '\r') {
            *p++ = *s;
        }
    }
    *p = 0;
    return o;
}

static void free_ptr(void *p)
{
    free(p);
}

static enum err_code schedule_ics(struct http_req *req, struct http_resp *resp, const struct schedule *sc,
                                  struct err *e)
{
    struct arena *a = req->arena;
    struct buf b = {0};
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char zone_uid[64];
    size_t k = 0;
    for (const char *c = sc->zone.code; c && *c && k < sizeof zone_uid - 1; c++)
        zone_uid[k++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')) ? *c : '-';
    zone_uid[k] = 0;
    const char *gmina = req->tenant->cfg->name;
    ics_line(&b, "BEGIN:VCALENDAR");
    ics_line(&b, "VERSION:2.0");
    ics_line(&b, "PRODID:-//odra//e-Odpady//PL");
    ics_line(&b, "CALSCALE:GREGORIAN");
    ics_line(&b, "METHOD:PUBLISH");
    ics_line(&b,
             arena_printf(a, "X-WR-CALNAME:%s", ics_text(a, arena_printf(a, "Odpady – %s, %s", gmina, sc->zone.name))));
    for (int i = 0; i < sc->nf; i++) {
        const struct waste_fraction_dates *f = &sc->f[i];
        const char *summary = ics_text(a, arena_printf(a, "Odbiór odpadów: %s", f->name));
        const char *desc =
            ics_text(a, arena_printf(a, "%s. Rejon %s (%s). Harmonogram: %s. Wystaw pojemnik do 6:00.", f->name,
                                     sc->zone.code, sc->zone.name, *f->rules ? f->rules : "brak"));
        for (int j = 0; j < f->n; j++) {
            int y, m, d, y2, m2, d2;
            gis_cal_ymd(f->dates[j], &y, &m, &d);
            gis_cal_ymd(f->dates[j] + 1, &y2, &m2, &d2);
            ics_line(&b, "BEGIN:VEVENT");
            ics_line(&b, arena_printf(a, "UID:%04d%02d%02d-%s-%s-%s@odra", y, m, d, f->code, zone_uid,
                                      req->tenant->cfg->slug));
            ics_line(&b, arena_printf(a, "DTSTAMP:%s", stamp));
            ics_line(&b, arena_printf(a, "DTSTART;VALUE=DATE:%04d%02d%02d", y, m, d));
            ics_line(&b, arena_printf(a, "DTEND;VALUE=DATE:%04d%02d%02d", y2, m2, d2));
            ics_line(&b, arena_printf(a, "SUMMARY:%s", summary));
            ics_line(&b, arena_printf(a, "DESCRIPTION:%s", desc));
            ics_line(&b, arena_printf(a, "CATEGORIES:%s", f->code));
            ics_line(&b, "TRANSP:TRANSPARENT");
            if (sc->alarm) { /* the evening before: 18:00 is 6 hours before the all-day event starts */
                ics_line(&b, "BEGIN:VALARM");
                ics_line(&b, "ACTION:DISPLAY");
                ics_line(&b, "TRIGGER;RELATED=START:-PT6H");
                ics_line(&b, arena_printf(a, "DESCRIPTION:%s",
                                          ics_text(a, arena_printf(a,
                                                                   "Jutro odbiór: %s. Wystaw "
                                                                   "pojemnik do 6:00.",
                                                                   f->name))));
                ics_line(&b, "END:VALARM");
            }
            ics_line(&b, "END:VEVENT");
        }
    }
    ics_line(&b, "END:VCALENDAR");
    if (b.failed || !b.data || arena_defer(a, free_ptr, b.data) != 0) {
        if (b.failed)
            buf_free(&b);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    http_resp_body(resp, 200, "text/calendar; charset=utf-8", b.data, b.len);
    http_resp_header(resp, "Content-Disposition",
                     arena_printf(a, "attachment; filename=\"odpady-%s-%s.ics\"", req->tenant->cfg->slug, zone_uid));
    return ERR_OK;
}

static json_t *zone_json(const struct waste_zone *z)
{
    return json_pack("{s:I, s:o, s:o}", "id", (json_int_t)z->id, "code", jstr(z->code), "name", jstr(z->name));
}

static enum err_code get_schedule(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *format = http_query(req, "format");
    bool ics = false;
    if (format) {
        if (!strcmp(format, "ics"))
            ics = true;
        else if (strcmp(format, "json"))
            return err_param(e, "format", "format must be json or ics");
    } else {
        const char *accept = http_header(req, "Accept");
        ics = accept && strstr(accept, "text/calendar") && !strstr(accept, "application/json");
    }
    struct schedule sc = {0};
    const char *bt = http_query(req, "building"), *al = http_query(req, "alarm");
    if (bt && (sc.building = waste_building_parse(bt)) < 0)
        return err_param(e, "building", "building must be single_family or multi_family");
    if (al && strcmp(al, "1") && strcmp(al, "0"))
        return err_param(e, "alarm", "alarm must be 1 (a reminder the evening before) or 0");
    sc.alarm = al && !strcmp(al, "1");
    long limit = 0;
    const char *lv = http_query(req, "limit");
    if (lv && !text_parse_long(lv, 1, 1000, &limit))
        return err_param(e, "limit", "limit must be an integer from 1 to 1000");
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    if (schedule_get(req, r, &sc, e))
        return e->code;
    if (limit)
        for (int i = 0; i < sc.nf; i++)
            if (sc.f[i].n > limit)
                sc.f[i].n = (int)limit;
    if (ics)
        return schedule_ics(req, resp, &sc, e);
    json_t *fr = json_array();
    for (int i = 0; i < sc.nf; i++) {
        json_t *dates = json_array();
        for (int j = 0; j < sc.f[i].n; j++)
            json_array_append_new(dates, jdate(sc.f[i].dates[j]));
        json_array_append_new(fr, json_pack("{s:s, s:s, s:s, s:o, s:o}", "code", sc.f[i].code, "name", sc.f[i].name,
                                            "rules", sc.f[i].rules, "next",
                                            sc.f[i].n ? jdate(sc.f[i].dates[0]) : json_null(), "dates", dates));
    }
    json_t *j = json_pack("{s:s, s:s, s:o, s:{s:o, s:o, s:I}, s:o, s:o, s:o, s:o}", "tenant", req->tenant->cfg->slug,
                          "gmina", req->tenant->cfg->name, "zone", zone_json(&sc.zone), "place", "parcel_id",
                          jstr(sc.place.parcel_id), "address", jstr(sc.place.address_label), "address_id",
                          (json_int_t)sc.place.address_id, "from", jdate(sc.from), "to", jdate(sc.to), "holiday_shift",
                          jstr(waste_setting(r, req->arena, "holiday_shift", "next_working_day")), "fractions", fr);
    http_resp_header(resp, "Cache-Control", "public, max-age=3600");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- /locate ---- */

static enum err_code waste_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p, json_t *out,
                                  struct err *e)
{
    struct arena *a = arena_new(8192);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct waste_zone z;
    enum err_code rc = waste_zone_at(r, a, p->x, p->y, &z, e);
    if (rc == ERR_NOT_FOUND) {
        json_object_set_new(out, "title", json_string(WASTE_TITLE));
        json_object_set_new(out, "zone", json_null());
        json_object_set_new(out, "message", json_string("żaden rejon odbioru odpadów nie obejmuje tego miejsca"));
        arena_free(a);
        err_clear(e);
        return ERR_OK;
    }
    int today = waste_today();
    struct waste_fraction_dates *f = NULL;
    int nf = 0;
    /* the next date of each fraction: the first day of each rule within a year (seasonal ones included) */
    if (!rc)
        rc = waste_schedule_next(r, a, z.id, today, &f, &nf, e);
    if (!rc) {
        json_t *next = json_array();
        for (int i = 0; i < nf; i++)
            json_array_append_new(next, json_pack("{s:s, s:s, s:o}", "fraction", f[i].code, "name", f[i].name, "date",
                                                  f[i].n ? jdate(f[i].dates[0]) : json_null()));
        json_object_set_new(out, "title", json_string(WASTE_TITLE));
        json_object_set_new(out, "zone", zone_json(&z));
        json_object_set_new(out, "next", next);
        const char *q = p->parcel_id ? arena_printf(a, "parcel=%s", p->parcel_id)
                                     : arena_printf(a, "x=%.2f&y=%.2f&crs=EPSG:2180", p->x, p->y);
        json_object_set_new(out, "links",
                            json_pack("{s:s, s:s}", "schedule",
                                      arena_printf(a, "/%s/waste/schedule?%s", t->cfg->slug, q), "ics",
                                      arena_printf(a, "/%s/waste/schedule?%s&format=ics", t->cfg->slug, q)));
    }
    arena_free(a);
    return rc;
}

/* ---- GET /{t}/waste/rates ---- */

static enum err_code get_rates(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    int today = waste_today(), y, m, d;
    gis_cal_ymd(today, &y, &m, &d);
    long income = atol(waste_setting(r, req->arena, "disposable_income_gr", "0"));
    json_t *list = json_array();
    for (int k = 0; k < WASTE_METHODS; k++) {
        struct waste_rate rate;
        struct err le = {0};
        if (waste_rate_load(r, (enum waste_method)k, y * 12 + m - 1, &rate, &le))
            continue;
        json_t *items = json_array();
        for (int i = 0; i < rate.nitems; i++)
            json_array_append_new(items, json_pack("{s:i, s:o, s:I}", "key", rate.items[i].key, "amount",
                                                   jpln(rate.items[i].amount_gr), "amount_gr",
                                                   (json_int_t)rate.items[i].amount_gr));
        long cap = income > 0 ? waste_rate_cap(rate.method, income) : -1;
        json_array_append_new(list,
                              json_pack("{s:s, s:o, s:f, s:o, s:b, s:o, s:o}", "method", waste_method_name(rate.method),
                                        "valid_from", jmonth(rate.valid_from), "nonsort_multiplier",
                                        rate.nonsort_multiplier, "compost_discount", jpln(rate.compost_discount_gr),
                                        "compost_per_resident", rate.compost_per_resident, "items", items,
                                        "statutory_cap", cap >= 0 ? jpln(cap) : json_null()));
    }
    json_t *j =
        json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:o, s:o}}", "tenant", req->tenant->cfg->slug, "residential_method",
                  jstr(waste_setting(r, req->arena, "residential_method", "household")), "nonresidential_method",
                  jstr(waste_setting(r, req->arena, "nonresidential_method", "container")), "change_effective",
                  jstr(waste_setting(r, req->arena, "change_effective", "same_month")), "rates", list,
                  "disposable_income", "amount", income > 0 ? jpln(income) : json_null(), "year",
                  jstr(waste_setting(r, req->arena, "disposable_income_year", NULL)));
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- POST /{t}/waste/rates (module admin): a rate table, within the statutory caps ---- */

struct rate_job {
    struct arena *arena;
    struct waste_rate rate;
};

static enum err_code rate_run(struct gis_store *w, void *user, struct err *e)
{
    struct rate_job *j = user;
    return waste_rate_set(w, j->arena, &j->rate, e);
}

/* The items of a rate table: [{key, amount}] (amount as in payments: "59.00" or amount_gr). */
static bool body_rate_items(json_t *b, struct waste_rate *r, struct err *e)
{
    json_t *items = json_object_get(b, "items");
    if (!json_is_array(items) || !json_array_size(items) || json_array_size(items) > WASTE_MAX_ITEMS) {
        err_at(e, ERR_UNPROCESSABLE, "items", "items must be a list of 1 to %d {key, amount}", WASTE_MAX_ITEMS);
        return false;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        long key = 0;
        if (!json_is_object(it) || !body_int(it, "key", 0, 100000, true, 0, &key, e) ||
            !body_amount(it, &r->items[i].amount_gr, e)) {
            if (!e->code)
                err_at(e, ERR_UNPROCESSABLE, "items", "items[%zu] must be {\"key\": n, \"amount\": \"59.00\"}", i);
            return false;
        }
        r->items[i].key = (int)key;
        r->nitems = (int)i + 1;
    }
    return true;
}

static enum err_code post_rates(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    json_t *b = parse_body(req, e);
    if (!b)
        return e->code;
    struct rate_job job = {.arena = req->arena, .rate = {.nonsort_multiplier = 2}};
    struct waste_rate *r = &job.rate;
    const char *method = NULL, *from = NULL;
    long discount = 0;
    json_t *mult = json_object_get(b, "nonsort_multiplier");
    bool ok = body_str(b, "method", 16, &method, e) && body_str(b, "valid_from", 7, &from, e) &&
              body_int(b, "compost_discount_gr", 0, 100000, false, 0, &discount, e) &&
              body_bool(b, "compost_per_resident", false, &r->compost_per_resident, e) && body_rate_items(b, r, e);
    int m = ok && method ? waste_method_parse(method) : -1;
    if (ok && m < 0)
        ok = !err_at(e, ERR_UNPROCESSABLE, "method",
                     "method must be household, resident, water_m3, container, "
                     "area_m2 or summer_lump");
    if (ok && (!from || !gis_cal_parse_month(from, &r->valid_from)))
        ok = !err_param(e, "valid_from", "valid_from must be the first month, YYYY-MM");
    if (ok && mult && !json_is_number(mult))
        ok = !err_at(e, ERR_UNPROCESSABLE, "nonsort_multiplier", "nonsort_multiplier must be a number from 2 to 4");
    r->method = (enum waste_method)(m < 0 ? 0 : m);
    r->compost_discount_gr = discount;
    if (mult && json_is_number(mult))
        r->nonsort_multiplier = json_number_value(mult);
    json_decref(b);
    if (!ok || svc_tenant_write(req->tenant, rate_run, &job, e))
        return e->code;
    return http_resp_json(req, resp, 201,
                          json_pack("{s:s, s:o, s:f, s:i}", "method", waste_method_name(r->method), "valid_from",
                                    jmonth(r->valid_from), "nonsort_multiplier", r->nonsort_multiplier, "items",
                                    r->nitems),
                          e);
}

/* ---- POST /{t}/waste/declarations (a resident for themselves, staff for anyone) ---- */

/* A declaration is a case (module "waste") registered in the same transaction as its row: the case number
 * from the gmina's case_format setting and the year's sequence shared by all cases (gis/cases.h). */
struct declare_job {
    struct http_req *req;
    const char *teryt;
    int today;
    long long account; /* the resident filing online (their payers only); 0 for staff and API clients */
    struct waste_declaration d;
};

/* A declaration as JSON; its PESEL masked ("850314*****") unless full_pesel (the person's own export, or a
 * clerk who asked for it, audited). */
static json_t *household_json(const struct waste_declaration *d, bool full_pesel)
{
    json_t *c = json_array();
    for (int i = 0; i < d->h.ncontainers; i++)
        json_array_append_new(
            c, json_pack("{s:i, s:i}", "litres", d->h.containers[i].litres, "per_month", d->h.containers[i].per_month));
    json_t *j =
        json_pack("{s:I, s:I, s:s, s:o, s:o, s:I, s:i, s:b, s:b, s:o, s:s, s:o, s:I, s:o, s:o, s:o, s:s, s:o}", "id",
                  (json_int_t)d->id, "payer_id", (json_int_t)d->payer_id, "kind",
                  d->nonresidential ? "nonresidential" : "residential", "address", jstr(d->address_label), "parcel_id",
                  jstr(d->parcel_id), "address_id", (json_int_t)d->address_id, "residents", d->h.residents,
                  "composting", d->h.composting, "sorting", d->h.sorting, "containers", c, "method",
                  waste_method_name(d->method), "monthly_fee", jpln(d->fee_gr), "monthly_fee_gr", (json_int_t)d->fee_gr,
                  "change_date", jdate(d->change_day), "valid_from", jmonth(d->valid_from), "filed_at",
                  jstr(d->filed_at), "filing", waste_filing_name(d->filing), "reason", jstr(d->reason));
    if (d->method == WASTE_WATER)
        json_object_set_new(j, "water_m3", json_real(d->h.water_m3));
    if (d->method == WASTE_AREA)
        json_object_set_new(j, "area_m2", json_real(d->h.area_m2));
    if (d->summer) /* the yearly lump sum: monthly_fee is the year's amount, charged once a year */
        json_object_set_new(j, "kind", json_string("summer_house"));
    char masked[12] = "";
    if (d->pesel && !full_pesel)
        gis_pesel_mask(d->pesel, masked);
    json_object_set_new(j, "pesel", d->pesel ? json_string(full_pesel ? d->pesel : masked) : json_null());
    json_object_set_new(j, "nip", jstr(d->nip));
    json_object_set_new(j, "legal_title", jstr(waste_title_name(d->title)));
    json_object_set_new(j, "building_type", jstr(waste_building_name(d->building)));
    json_object_set_new(j, "cause", d->cause == WASTE_CAUSE_DEATH ? json_string("death") : json_null());
    if (d->requested_from) /* a late lowering declaration: it applies from the month of filing */
        json_object_set_new(j, "backdating",
                            json_pack("{s:o, s:s}", "requested_from", jmonth(d->requested_from), "note",
                                      "Deklaracja zmniejszająca opłatę nie działa wstecz (art. 6m ust. 2b ustawy): "
                                      "obowiązuje od miesiąca jej złożenia."));
    json_object_set_new(j, "legal_title_pl", d->title ? json_string(waste_title_polish(d->title)) : json_null());
    json_object_set_new(j, "case",
                        d->case_id ? json_pack("{s:s, s:o, s:o}", "id", d->case_id, "case_number", jstr(d->case_number),
                                               "status", jstr(d->case_status))
                                   : json_null());
    return j;
}

static enum err_code declare_run(struct gis_store *w, void *user, struct err *e)
{
    struct declare_job *j = user;
    struct http_req *req = j->req;
    struct arena *a = req->arena;
    struct waste_declaration *d = &j->d;
    long days = 30;
    if (!text_parse_long(waste_setting(w, a, "case_days", "30"), 1, 366, &days))
        days = 30;
    struct gis_case_stamp st;
    if (gis_case_stamp_new(w, (int)days, &st, e))
        return e->code;
    d->case_id = arena_strdup(a, st.id);
    d->filed_at = arena_strdup(a, st.created);
    if (waste_declare(w, a, j->teryt, j->today, j->account, d, e))
        return e->code;
    d->case_number = gis_case_number(a, waste_setting(w, a, "case_format", "{seq}/{year}"), st.seq, st.year);
    d->case_status = GIS_CASE_FILED;
    json_t *rj = household_json(d, false); /* the case keeps the request with the PESEL masked */
    if (rj && d->nonresidential && d->nip) /* a business's declaration: its cases list it (gis_case_filter) */
        json_object_set_new(rj, GIS_CASE_PARTY_NIP, json_string(d->nip));
    char *rs = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
    json_decref(rj);
    const char *request = rs ? arena_strdup(a, rs) : NULL;
    free(rs);
    if (!d->case_number || !request)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const struct auth_principal *p = req->principal;
    struct gis_case c = {
        .id = d->case_id,
        .case_number = d->case_number,
        .module = "waste",
        .seq = st.seq,
        .year = st.year,
        .applicant_account = j->account,
        .applicant_login = j->account ? p->account.login : NULL,
        .applicant_name = d->payer_name,
        .status = GIS_CASE_FILED,
        .created_at = st.created,
        .deadline = st.deadline,
        .fee_pln = 0,
        .fee_status = "exempt", /* a declaration bears no fee (no opłata skarbowa) */
        .request_json = request,
        .documents_json = "[]",
    };
    const char *actor = p ? p->account.login : "system";
    const char *note =
        d->filing == WASTE_FILING_CORRECTION
            ? arena_printf(a, "korekta deklaracji: %s", d->reason)
            : (d->filing == WASTE_FILING_CHANGE ? "nowa deklaracja (zmiana danych)" : "pierwsza deklaracja");
    if (gis_case_insert(w, &c, actor, e) || gis_case_event_add(w, c.id, actor, GIS_CASE_FILED, note, e))
        return e->code;
    /* the sealed receipt of the declaration as the case keeps it (gis/receipt.h), in the same transaction */
    const struct gis_receipt r = {.case_id = c.id,
                                  .case_number = c.case_number,
                                  .organ = req->tenant->cfg->organ,
                                  .gmina = req->tenant->cfg->name,
                                  .subject = "Deklaracja o wysokości opłaty za gospodarowanie odpadami komunalnymi",
                                  .applicant = d->payer_name,
                                  .received_at = st.created,
                                  .submission = request,
                                  .submission_len = strlen(request)};
    return gis_receipt_issue(w, &r, req->tenant->seal, e);
}

/* The containers of a non-residential declaration: [{litres, per_month}, ...]. */
static bool body_containers(json_t *b, struct waste_household *h, struct err *e)
{
    json_t *cs = json_object_get(b, "containers");
    if (!cs)
        return true;
    if (!json_is_array(cs) || json_array_size(cs) > WASTE_MAX_CONTAINERS) {
        err_at(e, ERR_UNPROCESSABLE, "containers", "containers must be a list of at most %d {litres, per_month}",
               WASTE_MAX_CONTAINERS);
        return false;
    }
    for (size_t i = 0; i < json_array_size(cs); i++) {
        long l = 0, pm = 0;
        json_t *c = json_array_get(cs, i);
        if (!json_is_object(c) || !body_int(c, "litres", 1, 100000, true, 0, &l, e) ||
            !body_int(c, "per_month", 1, 31, true, 0, &pm, e)) {
            if (!e->code)
                err_at(e, ERR_UNPROCESSABLE, "containers", "containers[%zu] must be {\"litres\": n, \"per_month\": n}",
                       i);
            return false;
        }
        h->containers[i].litres = (int)l;
        h->containers[i].per_month = (int)pm;
        h->ncontainers = (int)i + 1;
    }
    return true;
}

/* A NIP as its 10 digits: "PL 123-456-32-18" and "1234563218" are the same. */
static const char *nip_digits(struct arena *a, const char *s)
{
    char out[16];
    size_t n = 0;
    for (; *s && n < sizeof out - 1; s++)
        if (*s >= '0' && *s <= '9')
            out[n++] = *s;
        else if (*s != ' ' && *s != '-' && *s != 'P' && *s != 'L')
            return arena_strdup(a, "x"); /* not a NIP: refused by its check */
    out[n] = 0;
    return arena_strdup(a, out);
}

/* Reads the declaration in body b into job->d; the place's texts (address, parcel) into *address, *parcel. Every
 * string is copied into the request's arena. */
static enum err_code declaration_read(struct http_req *req, json_t *b, struct declare_job *job, const char **address,
                                      const char **parcel, struct err *e)
{
    struct waste_declaration *d = &job->d;
    long payer_id = 0, residents = 0, address_id = 0;
    const char *kind = NULL, *name = NULL, *change = NULL, *filing = NULL, *reason = NULL, *pesel = NULL, *nip = NULL,
               *title = NULL, *building = NULL, *cause = NULL;
    bool ok = body_int(b, "payer_id", 1, 99999999, false, 0, &payer_id, e) &&
              body_int(b, "residents", 0, WASTE_MAX_RESIDENTS, false, -1, &residents, e) &&
              body_str(b, "pesel", 11, &pesel, e) && body_str(b, "nip", 20, &nip, e) &&
              body_str(b, "legal_title", 32, &title, e) && body_str(b, "building_type", 32, &building, e) &&
              body_str(b, "cause", 16, &cause, e) && body_int(b, "address_id", 1, 1L << 40, false, 0, &address_id, e) &&
              body_str(b, "kind", 32, &kind, e) && body_str(b, "name", 200, &name, e) &&
              body_str(b, "address", 200, address, e) && body_str(b, "parcel", GIS_PARCEL_ID_MAX, parcel, e) &&
              body_str(b, "change_date", 10, &change, e) && body_str(b, "filing", 16, &filing, e) &&
              body_str(b, "reason", 1000, &reason, e) && body_bool(b, "composting", false, &d->h.composting, e) &&
              body_bool(b, "sorting", true, &d->h.sorting, e) && body_containers(b, &d->h, e);
    if (!ok)
        return e->code;
    if (kind && strcmp(kind, "residential") && strcmp(kind, "nonresidential") && strcmp(kind, "summer_house"))
        return err_at(e, ERR_UNPROCESSABLE, "kind", "kind must be residential, nonresidential or summer_house");
    int f = filing ? waste_filing_parse(filing) : (payer_id ? WASTE_FILING_CHANGE : WASTE_FILING_FIRST);
    if (f < 0)
        return err_at(e, ERR_UNPROCESSABLE, "filing", "filing must be first, change or correction");
    d->filing = (enum waste_filing)f;
    d->reason = reason ? gis_extract_clean(req->arena, reason, 1000) : NULL;
    d->summer = kind && !strcmp(kind, "summer_house");
    d->nonresidential = d->summer || (kind && !strcmp(kind, "nonresidential"));
    /* who lives there is asked only where people live: a non-residential property has no residents */
    if (residents < 0 && !d->nonresidential)
        return err_param(e, "residents", "residents is required for a residential declaration");
    d->h.residents = residents < 0 ? 0 : (int)residents;
    int t = title ? waste_title_parse(title) : WASTE_TITLE_NONE;
    if (t < 0)
        return err_at(e, ERR_UNPROCESSABLE, "legal_title",
                      "legal_title must be ownership, co_ownership, perpetual_usufruct, lease, management or other");
    d->title = (enum waste_title)t;
    int bt = building ? waste_building_parse(building) : WASTE_BUILDING_NONE;
    if (bt < 0)
        return err_at(e, ERR_UNPROCESSABLE, "building_type", "building_type must be single_family or multi_family");
    d->building = (enum waste_building)bt;
    if (cause && strcmp(cause, "death") != 0)
        return err_at(e, ERR_UNPROCESSABLE, "cause", "cause may only be death (art. 6m ust. 2b)");
    d->cause = cause ? WASTE_CAUSE_DEATH : WASTE_CAUSE_NONE;
    d->pesel = pesel ? arena_strdup(req->arena, pesel) : NULL;
    d->nip = nip ? nip_digits(req->arena, nip) : NULL;
    d->payer_id = payer_id;
    d->payer_name = name ? arena_strdup(req->arena, name) : NULL;
    d->change_day = job->today;
    if (change && !gis_cal_parse_date(change, &d->change_day))
        return err_param(e, "change_date", "change_date must be a date YYYY-MM-DD");
    json_t *area = json_object_get(b, "area_m2");
    if (area) {
        if (!json_is_number(area) || json_number_value(area) <= 0 || json_number_value(area) > 100000)
            return err_at(e, ERR_UNPROCESSABLE, "area_m2", "area_m2 must be a number above 0 and at most 100000");
        d->h.area_m2 = json_number_value(area);
    }
    json_t *wm = json_object_get(b, "water_m3");
    if (wm) {
        if (!json_is_number(wm) || json_number_value(wm) < 0 || json_number_value(wm) > 10000)
            return err_at(e, ERR_UNPROCESSABLE, "water_m3", "water_m3 must be a number from 0 to 10000");
        d->h.water_m3 = json_number_value(wm);
    }
    *address = *address ? arena_strdup(req->arena, *address) : NULL;
    *parcel = *parcel ? arena_strdup(req->arena, *parcel) : NULL;
    return ERR_OK;
}

/* A resident's declaration as login.gov.pl verified them: their PESEL (another one is refused) and, for a
 * first declaration without a name, their name. A resident signed in with a password gives both. */
static enum err_code resident_identity(struct http_req *req, struct waste_declaration *d, struct err *e)
{
    struct gis_resident r;
    struct err re = {0};
    struct gis_identity *id = svc_auth_identity();
    if (!id || gis_resident_get(id, req->principal->account.id, &r, &re) != ERR_OK)
        return ERR_OK;
    enum err_code rc = ERR_OK;
    if (d->pesel && strcmp(d->pesel, r.pesel) != 0)
        rc = err_at(e, ERR_UNPROCESSABLE, "pesel",
                    "PESEL nie jest Twoim numerem z logowania przez login.gov.pl (not the PESEL you signed in with)");
    else if (!d->nip || d->pesel)
        d->pesel = arena_strdup(req->arena, r.pesel), d->pesel_verified = true;
    if (!rc && !d->payer_id && !d->payer_name)
        d->payer_name = arena_printf(req->arena, "%s %s", r.given_name, r.surname);
    sodium_memzero(r.pesel, sizeof r.pesel);
    return rc;
}

static enum err_code post_declaration(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!req->principal)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    json_t *b = parse_body(req, e);
    if (!b)
        return e->code;
    struct declare_job job = {.req = req, .teryt = req->tenant->cfg->teryt, .today = waste_today()};
    /* staff file for anyone; anyone else (a resident) only for themselves */
    if (!svc_is_staff(req, "clerk"))
        job.account = req->principal->account.id;
    struct waste_declaration *d = &job.d;
    const char *address = NULL, *parcel = NULL;
    enum err_code rc = declaration_read(req, b, &job, &address, &parcel, e);
    json_decref(b);
    if (rc)
        return rc;
    if (job.account && resident_identity(req, d, e))
        return e->code;
    if (!d->payer_id && !d->payer_name)
        return err_param(e, "name", "name is required for a new payer (or give payer_id)");
    /* The place must be an address (or parcel) of this gmina. */
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    struct svc_place place;
    if (!address && !parcel)
        return err_param(e, "address", "address (or parcel) of the property is required");
    if (address && parcel)
        return err_param(e, "address", "give address or parcel, not both");
    struct err pe = {0};
    if (svc_place_resolve(req, r, parcel, address, &place, &pe)) {
        /* a place that does not exist is unprocessable content of the declaration, naming its field */
        if (pe.code == ERR_NOT_FOUND)
            snprintf(pe.param, sizeof pe.param, "%s", address ? "address" : "parcel");
        return err_recast(e, pe.code == ERR_NOT_FOUND ? ERR_UNPROCESSABLE : pe.code, &pe);
    }
    d->address_id = place.address_id;
    d->address_label = place.address_label;
    d->parcel_id = place.parcel_id;
    struct err we = {0};
    if (svc_tenant_write(req->tenant, declare_run, &job, &we))
        return err_recast(e, we.code == ERR_INVALID ? ERR_UNPROCESSABLE : we.code, &we);
    svc_auth_audit(req, "waste.declaration", d->case_number,
                   arena_printf(req->arena, "payer %ld, %s", d->payer_id, waste_filing_name(d->filing)));
    json_t *j = household_json(d, false);
    json_object_set_new(j, "account", jstr(d->account));
    /* the sealed receipt: the filer's own copy, or the clerk's */
    json_object_set_new(j, "receipt",
                        json_string(arena_printf(req->arena, "/%s/%s/%s/receipt.pdf", req->tenant->cfg->slug,
                                                 job.account ? "me/cases" : "cases", d->case_id)));
    http_resp_header(resp, "Location",
                     job.account
                         ? arena_printf(req->arena, "/%s/waste/me/declarations", req->tenant->cfg->slug)
                         : arena_printf(req->arena, "/%s/waste/payers/%ld", req->tenant->cfg->slug, d->payer_id));
    return http_resp_json(req, resp, 201, j, e);
}

/* ---- decisions of art. 6ka as JSON ---- */

static json_t *nonsort_json(const struct waste_nonsort *n)
{
    return json_pack("{s:I, s:o, s:o, s:i, s:f, s:o, s:{s:o, s:o}, s:o}", "id", (json_int_t)n->id, "from",
                     jmonth(n->from), "to", jmonth(n->to), "months", n->to - n->from + 1, "multiplier", n->multiplier,
                     "reason", jstr(n->reason), "case", "id", jstr(n->case_id), "case_number", jstr(n->case_number),
                     "decided_at", jstr(n->decided_at));
}

/* The payer's decisions of art. 6ka as a JSON array (empty when it cannot be read). */
static json_t *nonsort_list_json(struct gis_store *r, struct arena *a, long payer_id)
{
    struct waste_nonsort *ns;
    int n;
    struct err e = {0};
    json_t *list = json_array();
    if (!waste_nonsort_list(r, a, payer_id, &ns, &n, &e))
        for (int i = 0; list && i < n; i++)
            json_array_append_new(list, nonsort_json(&ns[i]));
    return list;
}

/* ---- the resident's own payers: GET /{t}/waste/me/declarations, GET /{t}/me, RODO ---- */

#define MAX_OWN_PAYERS 50

/* A line of the account: a month's charge, a cost of an upomnienie or a reopened return. */
static json_t *period_json(const struct waste_period *p)
{
    json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "kind",
                          p->cost       ? "reminder_cost"
                          : p->returned ? "returned_payment"
                                        : "charge",
                          "due_date", jdate(p->due_day), "amount", jpln(p->amount_gr), "paid", jpln(p->paid_gr),
                          "interest_paid", jpln(p->interest_paid_gr), "rest", jpln(p->rest_gr), "interest_due",
                          jpln(p->interest_gr), "overdue", p->overdue);
    if (j && p->month)
        json_object_set_new(j, "month", jmonth(p->month));
    if (j && p->cost)
        json_object_set_new(j, "reminder_id", json_integer(p->reminder_id));
    return j;
}

/* The account as of today: the sums, and with periods the lines (arrears per period, interest, costs). */
static json_t *balance_json(const struct waste_balance *bal)
{
    json_t *j =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "monthly_fee", jpln(bal->monthly_fee_gr), "charged",
                  jpln(bal->charged_gr), "due", jpln(bal->due_gr), "paid", jpln(bal->paid_gr), "arrears",
                  jpln(bal->arrears_gr), "balance", jpln(bal->balance_gr), "charged_gr", (json_int_t)bal->charged_gr,
                  "paid_gr", (json_int_t)bal->paid_gr, "arrears_gr", (json_int_t)bal->arrears_gr);
    json_t *more = json_pack("{s:o, s:I, s:o, s:o, s:I, s:o, s:I, s:o, s:I}", "interest", jpln(bal->interest_gr),
                             "interest_gr", (json_int_t)bal->interest_gr, "reminder_costs", jpln(bal->costs_gr),
                             "credit", jpln(bal->credit_gr), "credit_gr", (json_int_t)bal->credit_gr, "to_pay",
                             jpln(bal->to_pay_gr), "to_pay_gr", (json_int_t)bal->to_pay_gr, "interest_threshold",
                             jpln(bal->threshold_gr), "interest_threshold_gr", (json_int_t)bal->threshold_gr);
    json_object_update(j, more);
    json_decref(more);
    json_object_set_new(j, "rate_table_until", bal->rate_table_until ? jdate(bal->rate_table_until) : json_null());
    if (bal->rate_table_until)
        json_object_set_new(j, "warning",
                            json_string("Odsetki naliczono tylko do ostatniego dnia znanej tabeli stawek "
                                        "(rate_table_until); za dalsze dni nie są jeszcze policzone."));
    json_t *lines = json_array();
    for (int i = 0; i < bal->n_periods; i++)
        json_array_append_new(lines, period_json(&bal->periods[i]));
    json_object_set_new(j, "periods", lines);
    return j;
}

static json_t *reminder_json(struct arena *a, const char *slug, const struct waste_reminder *r, bool own)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s}", "id", (json_int_t)r->id, "case_id",
                          r->case_id ? r->case_id : "", "case_number", r->case_number ? r->case_number : "",
                          "issued_on", jdate(r->issued_on), "interest_to", jdate(r->interest_to), "principal",
                          jpln(r->principal_gr), "interest", jpln(r->interest_gr), "cost", jpln(r->cost_gr), "total",
                          jpln(r->total_gr), "sealed", r->sealed, "sha256", r->sha256 ? r->sha256 : "");
    json_object_set_new(j, "pdf",
                        json_string(arena_printf(a,
                                                 own ? "/%s/waste/me/reminders/%ld/upomnienie.pdf"
                                                     : "/%s/waste/reminders/%ld/upomnienie.pdf",
                                                 slug, r->id)));
    return j;
}

static json_t *reminders_json(struct gis_store *r, struct arena *a, const char *slug, long payer_id, bool own)
{
    struct waste_reminder *v;
    int n;
    struct err e = {0};
    json_t *list = json_array();
    if (!waste_reminders(r, a, payer_id, &v, &n, &e))
        for (int i = 0; list && i < n; i++)
            json_array_append_new(list, reminder_json(a, slug, &v[i], own));
    return list;
}

/* The charges of the next three months (this one first) as the declarations in force set them: the latest
 * valid_from on or before the month, the later filing winning, at the rate then and under a decision of art.
 * 6ka where one covers the month (as waste_charges_generate charges them). */
static json_t *upcoming_json(struct gis_store *r, struct arena *a, const struct waste_declaration *ds, int n, int today)
{
    long due_day = 15;
    if (!text_parse_long(waste_setting(r, a, "due_day", "15"), 1, 28, &due_day))
        due_day = 15;
    int y, m, dd;
    gis_cal_ymd(today, &y, &m, &dd);
    json_t *list = json_array();
    for (int month = y * 12 + m - 1, k = 0; k < 3; k++, month++) {
        const struct waste_declaration *best = waste_in_force(ds, n, month);
        if (!best || (best->method == WASTE_SUMMER && !waste_month_fee(r, best, month)))
            continue; /* a summer house's lump sum falls in one month a year */
        json_array_append_new(list, json_pack("{s:o, s:o, s:o}", "month", jmonth(month), "amount",
                                              jpln(waste_month_fee(r, best, month)), "due_date",
                                              jdate(gis_cal_day(month / 12, month % 12 + 1, (int)due_day))));
    }
    return list;
}

/* The payers linked to account, each with its account number, balance, declarations and upcoming charges:
 * {"title", "payers": [...]}, added to out. */
static enum err_code own_payers(struct svc_tenant *t, struct gis_store *r, struct arena *a, long long account,
                                bool full_pesel, json_t *out, struct err *e)
{
    long ids[MAX_OWN_PAYERS];
    int n;
    if (waste_account_payers(r, account, ids, MAX_OWN_PAYERS, &n, e))
        return e->code;
    int today = waste_today();
    json_t *payers = json_array();
    for (int i = 0; payers && i < n; i++) {
        struct waste_balance bal;
        struct waste_declaration *ds;
        int nd;
        if (waste_balance_get(r, a, ids[i], today, &bal, e) || waste_declarations(r, a, ids[i], &ds, &nd, e)) {
            json_decref(payers);
            return e->code;
        }
        json_t *hist = json_array();
        for (int k = 0; hist && k < nd; k++)
            json_array_append_new(hist, household_json(&ds[k], full_pesel));
        json_array_append_new(payers,
                              json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)bal.payer_id,
                                        "name", jstr(bal.name), "account", jstr(bal.account), "address",
                                        jstr(nd ? ds[0].address_label : NULL), "balance", balance_json(&bal),
                                        "upcoming", upcoming_json(r, a, ds, nd, today), "declarations", hist,
                                        "nonsorting_decisions", nonsort_list_json(r, a, ids[i]), "reminders",
                                        reminders_json(r, a, t->cfg->slug, ids[i], true)));
    }
    if (!payers)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    json_object_set_new(out, "title", json_string(WASTE_TITLE));
    json_object_set_new(out, "payers", payers);
    json_object_set_new(out, "links",
                        json_pack("{s:s}", "declarations", arena_printf(a, "/%s/waste/me/declarations", t->cfg->slug)));
    return ERR_OK;
}

/* own_payers in an arena of its own, for the hooks. */
static enum err_code own_payers_hook(struct svc_tenant *t, struct gis_store *r, long long account, bool full_pesel,
                                     json_t *out, struct err *e)
{
    struct arena *a = arena_new(16384);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    enum err_code rc = own_payers(t, r, a, account, full_pesel, out, e);
    arena_free(a);
    return rc;
}

/* svc_module.me: the resident's payers under "modules": {"waste": ...} of GET /{t}/me (PESEL masked). */
static enum err_code waste_me(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out, struct err *e)
{
    return own_payers_hook(t, r, account, false, out, e);
}

/* svc_module.personal_data: the same payers, with what is kept on erasure and why. */
static enum err_code waste_personal_data(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out,
                                         struct err *e)
{
    if (own_payers_hook(t, r, account, true, out, e)) /* the person's own export: the PESEL in full */
        return e->code;
    json_object_set_new(
        out, "retention",
        json_string("Deklaracje o wysokości opłaty, naliczenia i wpłaty są dokumentacją opłaty "
                    "publicznej (art. 6q ust. 1 ustawy o utrzymaniu czystości i porządku w gminach, "
                    "Ordynacja podatkowa): gmina przechowuje je do przedawnienia zobowiązania (art. 70 "
                    "§ 1 Ordynacji podatkowej) i zgodnie z JRWA. Usunięcie konta odłącza je od konta."));
    return ERR_OK;
}

/* svc_module.erase: the declarations, charges and payments are kept (retention above); the links between the
 * account and its payers are deleted, so nothing of them stays reachable through the erased account. */
static enum err_code waste_erase(struct svc_tenant *t, struct gis_store *w, long long account, struct err *e)
{
    (void)t;
    int n;
    return waste_account_unlink(w, account, &n, e);
}

static enum err_code get_my_declarations(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    json_t *j = json_pack("{s:s}", "gmina", req->tenant->cfg->slug);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    if (own_payers(req->tenant, r, req->arena, p->account.id, false, j, e)) {
        json_decref(j);
        return e->code;
    }
    svc_auth_audit(req, "waste.me.read", p->account.login,
                   arena_printf(req->arena, "%zu payers", json_array_size(json_object_get(j, "payers"))));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- POST /{t}/waste/charges?through=YYYY-MM (staff) ---- */

struct charges_job {
    int through;
    long changed;
};

static enum err_code charges_run(struct gis_store *w, void *user, struct err *e)
{
    struct charges_job *j = user;
    return waste_charges_generate(w, j->through, &j->changed, e);
}

static enum err_code post_charges(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    int today = waste_today(), y, m, d;
    gis_cal_ymd(today, &y, &m, &d);
    struct charges_job job = {.through = y * 12 + m - 1};
    const char *th = http_query(req, "through");
    if (th && !gis_cal_parse_month(th, &job.through))
        return err_param(e, "through", "through must be a month YYYY-MM");
    if (job.through > y * 12 + m - 1 + 12)
        return err_param(e, "through", "through may be at most 12 months ahead");
    if (svc_tenant_write(req->tenant, charges_run, &job, e))
        return e->code;
    return http_resp_json(
        req, resp, 200, json_pack("{s:o, s:I}", "through", jmonth(job.through), "changed", (json_int_t)job.changed), e);
}

/* ---- POST /{t}/waste/payments (staff): a payment at the desk, booked on the payments core ---- */

struct payment_job {
    struct http_req *req;
    long payer_id;
    const char *account, *key, *title;
    long amount_gr;
    int paid_on;
    struct gis_pay_row booked;
    bool duplicate;
};

/* The payer's virtual account: by payer_id, or the waste account the NRB is. */
static enum err_code payment_account(struct gis_store *w, struct arena *a, struct payment_job *j, struct err *e)
{
    struct gis_pay_account ac;
    struct err ae = {0};
    if (j->payer_id) {
        char rec[24];
        snprintf(rec, sizeof rec, "%ld", j->payer_id);
        if (gis_pay_account_get(w, a, "waste", rec, &ac, &ae))
            return ae.code == ERR_NOT_FOUND ? err_at(e, ERR_UNPROCESSABLE, "payer_id", "no payer %ld", j->payer_id)
                                            : err_recast(e, ae.code, &ae);
        if (j->account && strcmp(j->account, ac.nrb) != 0)
            return err_at(e, ERR_UNPROCESSABLE, "account", "account is not payer %ld's", j->payer_id);
    } else if (gis_pay_account_get(w, a, NULL, j->account, &ac, &ae) || strcmp(ac.module, "waste") != 0) {
        return ae.code && ae.code != ERR_NOT_FOUND
                   ? err_recast(e, ae.code, &ae)
                   : err_at(e, ERR_UNPROCESSABLE, "account", "no payer has account %s", j->account);
    }
    j->account = ac.nrb;
    j->payer_id = atol(ac.record);
    return ERR_OK;
}

static enum err_code payment_run(struct gis_store *w, void *user, struct err *e)
{
    struct payment_job *j = user;
    struct arena *a = j->req->arena;
    if (payment_account(w, a, j, e))
        return e->code;
    if (!j->key) /* no reference: a payment of its own (never a replay) */
        j->key = arena_printf(a, "waste:clerk:#%ld:%ld", j->payer_id, (long)time(NULL) * 1000 + rand() % 1000);
    const char *actor = j->req->principal ? j->req->principal->account.login : "system";
    enum err_code rc = gis_pay_desk(w, a, j->account, j->amount_gr, j->paid_on, j->key, j->title, actor, NULL, NULL,
                                    &j->booked, &j->duplicate, e);
    if (rc == ERR_CONFLICT) /* what the reference booked, in the waste API's words */
        return err_at(e, ERR_CONFLICT, "reference", "reference already booked: %ld.%02ld zł to account %s on %s",
                      j->booked.amount_gr / 100, j->booked.amount_gr % 100, j->booked.nrb ? j->booked.nrb : "?",
                      j->booked.booked_on ? j->booked.booked_on : "?");
    return rc;
}

static enum err_code post_payment(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    json_t *b = parse_body(req, e);
    if (!b)
        return e->code;
    struct payment_job job = {.req = req, .paid_on = waste_today()};
    const char *ref = NULL, *date = NULL, *account = NULL, *title = NULL;
    bool ok = body_int(b, "payer_id", 1, 99999999, false, 0, &job.payer_id, e) &&
              body_str(b, "account", 40, &account, e) && body_str(b, "reference", 100, &ref, e) &&
              body_str(b, "paid_on", 10, &date, e) && body_str(b, "title", 200, &title, e) &&
              body_amount(b, &job.amount_gr, e);
    if (ok && !job.payer_id && !account)
        ok = !err_param(e, "payer_id", "payer_id or account is required");
    if (ok && date && !gis_cal_parse_date(date, &job.paid_on))
        ok = !err_param(e, "paid_on", "paid_on must be a date YYYY-MM-DD");
    char acc[32] = "";
    if (ok && account) {
        size_t n = 0;
        for (const char *c = account; *c && n < sizeof acc - 1; c++)
            if (*c != ' ')
                acc[n++] = *c;
        acc[n] = 0;
        if (!gis_nrb_valid(acc))
            ok = !err_set(e, ERR_UNPROCESSABLE, "account '%.40s' is not a valid NRB (26 digits, mod 97)", account);
        job.account = acc;
    }
    if (ok) {
        job.key = ref ? arena_printf(req->arena, "waste:clerk:%s", ref) : NULL;
        job.title = title ? arena_strdup(req->arena, title) : NULL;
    }
    json_decref(b);
    if (!ok || svc_tenant_write(req->tenant, payment_run, &job, e))
        return e->code;
    /* What is in the books, never the request's figures: a replay answers the payment its reference booked
     * (a replay with other figures is the 409 above). */
    const struct gis_pay_row *p = &job.booked;
    svc_auth_audit(req, "waste.payment", arena_printf(req->arena, "payer %ld", job.payer_id),
                   arena_printf(req->arena, "%ld gr%s", p->amount_gr, job.duplicate ? " (replay)" : ""));
    return http_resp_json(req, resp, job.duplicate ? 200 : 201,
                          json_pack("{s:I, s:I, s:o, s:s, s:b}", "id", (json_int_t)p->id, "payer_id",
                                    (json_int_t)job.payer_id, "amount", jpln(p->amount_gr), "paid_on",
                                    p->booked_on ? p->booked_on : "", "duplicate", job.duplicate),
                          e);
}

/* ---- GET /{t}/waste/arrears (staff): payers in arrears ---- */

#define MAX_ARREARS 1000

static enum err_code get_arrears(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct gis_store *r = reader(req, e);
    struct waste_balance *v = arena_alloc(req->arena, sizeof *v * MAX_ARREARS);
    int n;
    if (!r || !v)
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
    int today = waste_today();
    if (waste_arrears_list(r, req->arena, today, v, MAX_ARREARS, &n, e))
        return e->code;
    json_t *list = json_array();
    long sum = 0;
    int until = 0;
    for (int i = 0; i < n; i++) {
        json_t *bj = balance_json(&v[i]);
        json_object_del(bj, "periods");
        json_array_append_new(list, json_pack("{s:I, s:o, s:o, s:o}", "payer_id", (json_int_t)v[i].payer_id, "name",
                                              jstr(v[i].name), "account", jstr(v[i].account), "balance", bj));
        sum += v[i].to_pay_gr;
        until = v[i].rate_table_until ? v[i].rate_table_until : until;
    }
    json_t *j = json_pack("{s:o, s:i, s:o, s:o, s:o}", "date", jdate(today), "count", n, "to_pay", jpln(sum), "payers",
                          list, "rate_table_until", until ? jdate(until) : json_null());
    svc_auth_audit(req, "waste.arrears.read", req->tenant->cfg->slug, arena_printf(req->arena, "%d payers", n));
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* Registers a case of the payer dealt with at once (a decision, an upomnienie) in the caller's transaction: its
 * id and number from st, the payer its applicant (a resident linked to the payer sees it in /me), note its
 * reason. */
static enum err_code payer_case_done(struct gis_store *w, struct http_req *req, const struct gis_case_stamp *st,
                                     long payer_id, const char *number, const char *note, struct err *e)
{
    const char *name = NULL;
    long long linked = 0;
    int nl;
    if (waste_payer_get(w, req->arena, payer_id, &name, e) || waste_payer_accounts(w, payer_id, &linked, 1, &nl, e))
        return e->code;
    struct gis_case c = {
        .id = st->id,
        .case_number = number,
        .module = "waste",
        .seq = st->seq,
        .year = st->year,
        .applicant_account = nl ? linked : 0,
        .applicant_name = name,
        .status = GIS_CASE_DONE,
        .created_at = st->created,
        .deadline = st->deadline,
        .fee_status = "exempt",
        .request_json = "{}",
        .documents_json = "[]",
        .reason = note,
    };
    if (!number || !note)
        return err_set(e, ERR_INTERNAL, "out of memory");
    return gis_case_insert(w, &c, req->principal ? req->principal->account.login : "system", e);
}

/* ---- POST /{t}/waste/payers/{id}/reminders (staff): an upomnienie ---- */

struct reminder_job {
    struct http_req *req;
    long payer_id;
    struct waste_reminder r;
};

/* The upomnienie is a case of its own, registered and dealt with at once, its sealed PDF the document; the
 * payer is its applicant (a resident linked to the payer sees it in /me). */
static enum err_code reminder_run(struct gis_store *w, void *user, struct err *e)
{
    struct reminder_job *j = user;
    struct http_req *req = j->req;
    struct arena *a = req->arena;
    struct gis_case_stamp st;
    if (gis_case_stamp_new(w, 30, &st, e))
        return e->code;
    const char *actor = req->principal ? req->principal->account.login : "system";
    struct waste_reminder_doc d = {
        .organ = req->tenant->cfg->organ[0] ? req->tenant->cfg->organ : req->tenant->cfg->name,
        .gmina = req->tenant->cfg->name,
        .case_number = gis_case_number(a, waste_setting(w, a, "case_format", "{seq}/{year}"), st.seq, st.year),
        .issued_by = actor};
    struct waste_declaration *ds;
    int nd;
    if (!waste_declarations(w, a, j->payer_id, &ds, &nd, e) && nd)
        d.address = ds[0].address_label;
    if (e->code)
        return e->code;
    j->r.case_id = arena_strdup(a, st.id);
    if (!d.case_number)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (waste_reminder_issue(w, a, j->payer_id, waste_today(), &d, req->tenant->seal, &j->r, e))
        return e->code;
    const char *note = arena_printf(a,
                                    "upomnienie (art. 15 § 1 u.p.e.a.): zaległość %ld,%02ld zł, odsetki %ld,%02ld zł, "
                                    "koszty upomnienia %ld,%02ld zł",
                                    j->r.principal_gr / 100, j->r.principal_gr % 100, j->r.interest_gr / 100,
                                    j->r.interest_gr % 100, j->r.cost_gr / 100, j->r.cost_gr % 100);
    return payer_case_done(w, req, &st, j->payer_id, d.case_number, note, e);
}

static enum err_code post_reminder(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    long id;
    if (!text_parse_long(http_capture(req, "id"), 1, 99999999, &id))
        return err_set(e, ERR_NOT_FOUND, "no payer '%.20s'", http_capture(req, "id"));
    struct reminder_job job = {.req = req, .payer_id = id};
    if (svc_tenant_write(req->tenant, reminder_run, &job, e))
        return e->code;
    svc_auth_audit(req, "waste.reminder", job.r.case_number, arena_printf(req->arena, "payer %ld", id));
    json_t *j = reminder_json(req->arena, req->tenant->cfg->slug, &job.r, false);
    json_object_set_new(j, "payer_id", json_integer(id));
    if (job.r.interest_to < job.r.issued_on)
        json_object_set_new(j, "rate_table_until", jdate(job.r.interest_to));
    return http_resp_json(req, resp, 201, j, e);
}

/* GET /{t}/waste/reminders/{id}/upomnienie.pdf (staff) and /{t}/waste/me/reminders/{id}/upomnienie.pdf (the
 * resident linked to the payer; another's is a 404). */
static enum err_code reminder_pdf(struct http_req *req, struct http_resp *resp, bool own, struct err *e)
{
    long id;
    if (!text_parse_long(http_capture(req, "id"), 1, 999999999, &id))
        return err_set(e, ERR_NOT_FOUND, "no upomnienie '%.20s'", http_capture(req, "id"));
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    struct waste_reminder rem;
    if (waste_reminder_get(r, req->arena, id, true, &rem, e))
        return e->code;
    if (own && !waste_payer_linked(r, rem.payer_id, req->principal->account.id))
        return err_set(e, ERR_NOT_FOUND, "no upomnienie %ld of yours", id);
    http_resp_header(resp, "Cache-Control", "private, no-store");
    http_resp_header(resp, "Content-Disposition",
                     arena_printf(req->arena, "inline; filename=\"upomnienie-%ld.pdf\"", rem.id));
    http_resp_body(resp, 200, "application/pdf", (const char *)rem.pdf, rem.pdf_len);
    return ERR_OK;
}

static enum err_code get_reminder_pdf(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    return reminder_pdf(req, resp, false, e);
}

static enum err_code get_my_reminder_pdf(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (!req->principal)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    return reminder_pdf(req, resp, true, e);
}

/* ---- POST /{t}/waste/payers/{id}/nonsorting (staff): a decision of art. 6ka ---- */

struct nonsort_job {
    struct http_req *req;
    struct waste_nonsort n;
};

/* The decision is a case of its own, registered and decided (załatwiony) at once, in the transaction that
 * records it; its applicant is the payer (and the resident linked to it sees it in /me). */
static enum err_code nonsort_run(struct gis_store *w, void *user, struct err *e)
{
    struct nonsort_job *j = user;
    struct http_req *req = j->req;
    struct arena *a = req->arena;
    struct gis_case_stamp st;
    if (gis_case_stamp_new(w, 30, &st, e))
        return e->code;
    j->n.case_id = arena_strdup(a, st.id);
    if (waste_nonsort_decide(w, a, waste_today(), &j->n, e))
        return e->code;
    char from[8], to[8];
    gis_cal_format_month(j->n.from, from);
    gis_cal_format_month(j->n.to, to);
    const char *note = arena_printf(a,
                                    "decyzja (art. 6ka): podwyższona opłata, stawka ×%.2g, za %s–%s; niedopełnienie "
                                    "obowiązku selektywnego zbierania: %s",
                                    j->n.multiplier, from, to, j->n.reason);
    j->n.case_number = gis_case_number(a, waste_setting(w, a, "case_format", "{seq}/{year}"), st.seq, st.year);
    return payer_case_done(w, req, &st, j->n.payer_id, j->n.case_number, note, e);
}

static enum err_code post_nonsorting(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    long id, months = 0;
    if (!text_parse_long(http_capture(req, "id"), 1, 99999999, &id))
        return err_set(e, ERR_NOT_FOUND, "no payer '%.20s'", http_capture(req, "id"));
    json_t *b = parse_body(req, e);
    if (!b)
        return e->code;
    struct nonsort_job job = {.req = req, .n = {.payer_id = id}};
    const char *from = NULL, *reason = NULL;
    bool ok = body_str(b, "from", 7, &from, e) && body_int(b, "months", 1, 12, true, 0, &months, e) &&
              body_str(b, "reason", 1000, &reason, e);
    if (ok && (!from || !gis_cal_parse_month(from, &job.n.from)))
        ok = !err_param(e, "from", "from must be the first month, YYYY-MM");
    if (ok && !reason)
        ok = !err_param(e, "reason", "reason: what the collector reported (art. 6ka ust. 1)");
    job.n.to = job.n.from + (int)months - 1;
    job.n.reason = reason ? gis_extract_clean(req->arena, reason, 1000) : NULL;
    json_decref(b);
    if (!ok || svc_tenant_write(req->tenant, nonsort_run, &job, e))
        return e->code;
    svc_auth_audit(req, "waste.nonsorting", job.n.case_number, arena_printf(req->arena, "payer %ld", id));
    return http_resp_json(req, resp, 201, nonsort_json(&job.n), e);
}

/* ---- GET /{t}/waste/payers/{id} (staff) ---- */

static enum err_code get_payer(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    long id;
    if (!text_parse_long(http_capture(req, "id"), 1, 99999999, &id))
        return err_set(e, ERR_NOT_FOUND, "no payer '%.20s'", http_capture(req, "id"));
    /* The PESEL is shown masked; a clerk who needs it (an enforcement title, a notice) asks with
     * reveal=pesel, and the read is in the audit log. API clients never get it whole. */
    const char *reveal = http_query(req, "reveal");
    if (reveal && strcmp(reveal, "pesel") != 0)
        return err_param(e, "reveal", "reveal must be pesel");
    bool full = reveal && req->principal->via == AUTH_VIA_SESSION;
    if (reveal && !full)
        return err_set(e, ERR_FORBIDDEN, "API clients see the PESEL masked only");
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    struct waste_balance bal;
    struct waste_declaration *ds;
    int n;
    if (waste_balance_get(r, req->arena, id, waste_today(), &bal, e) ||
        waste_declarations(r, req->arena, id, &ds, &n, e))
        return e->code;
    json_t *hist = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(hist, household_json(&ds[i], full));
    json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)bal.payer_id, "name", jstr(bal.name),
                          "account", jstr(bal.account), "balance", balance_json(&bal), "declarations", hist,
                          "nonsorting_decisions", nonsort_list_json(r, req->arena, id), "reminders",
                          reminders_json(r, req->arena, req->tenant->cfg->slug, id, false));
    if (full)
        svc_auth_audit(req, "waste.pesel.read", arena_printf(req->arena, "payer %ld", id), "PESEL shown in full");
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- the module ---- */

static const struct gis_prop zone_props[] = {
    {"code", "t.code", GIS_PROP_TEXT, true, "zone code, e.g. R1"},
    {"name", "t.name", GIS_PROP_TEXT, false, "zone name"},
    {"description", "t.description", GIS_PROP_TEXT, false, "what the zone covers"},
    {NULL, NULL, 0, false, NULL},
};

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The zones: an OGC API collection, the map layer waste-zones (what styles/waste.json reads) and its own
 * tileset, whose rasters that style draws. */
static const struct gis_layer waste_layers[] = {
    {.table = "waste_zones",
     .collection = {"waste-zones", "Rejony odbioru odpadów", "Waste-collection zones; each has a schedule per fraction",
                    "waste_zones t", "MultiPolygon", zone_props},
     .map = {"waste-zones", "waste_zones t", LIST("zone_id", "code", "name", "label", "shade"),
             LIST("t.id", "t.code", "t.name",
                  "CASE WHEN instr(t.name, ':') > 1 THEN substr(t.name, 1, instr(t.name, ':') - 1) ELSE t.name END",
                  "(t.id - 1) % 6"),
             0, 0},
     .tileset = {"Rejony odbioru odpadów", "Waste-collection zones coloured by zone, with their names", NULL,
                 "styles/waste.json", true}},
    {.table = NULL},
};

static const struct http_param_doc schedule_doc[] = {
    HTTP_DOC_TENANT,
    {"address", "query", "string", 0, "address text (or parcel, or lon and lat)"},
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},
    {"lat", "query", "number", 0, "latitude (CRS84), with lon"},
    {"format", "query", "string", 0, "json (default) or ics; Accept: text/calendar also gives ics"},
    {"from", "query", "string", 0, "first day, YYYY-MM-DD (default today); the schedule runs to the end of next year"},
    {"limit", "query", "integer", 0, "most dates per fraction"},
    {"building", "query", "string", 0,
     "single_family or multi_family: the rules for that building type (and those for all); default all rules"},
    {"alarm", "query", "string", 0, "1: iCalendar events carry a reminder (VALARM) at 18:00 the evening before"},
    HTTP_DOC_END,
};

static const struct http_param_doc staff_doc[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc charges_doc[] = {
    HTTP_DOC_TENANT,
    {"through", "query", "string", 0, "last month to charge, YYYY-MM (default this month)"},
    HTTP_DOC_END};
static const struct http_param_doc payer_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "payer id"},
    {"reveal", "query", "string", 0, "pesel: the PESEL in full (a clerk's session only; audited), else masked"},
    HTTP_DOC_END};
static const struct http_param_doc rates_doc[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc reminder_doc[] = {
    HTTP_DOC_TENANT, {"id", "path", "integer", 1, "upomnienie id"}, HTTP_DOC_END};

static const struct http_route waste_routes[] = {
    {"GET", "/{t}/waste/schedule", get_schedule, "waste",
     "Collection zone and upcoming dates per fraction for an address, parcel or point (JSON or iCalendar)", NULL,
     schedule_doc, HTTP_PUBLIC},
    {"GET", "/{t}/waste/rates", get_rates, "waste", "The fee rate tables in force", NULL, rates_doc, HTTP_PUBLIC},
    {"POST", "/{t}/waste/rates", post_rates, "waste",
     "Set a rate table from a month (module admin): JSON {method, valid_from, nonsort_multiplier (2..4), "
     "compost_discount_gr, compost_per_resident, items: [{key, amount}]}; every amount within the statutory cap "
     "(art. 6k ust. 2a) of the gmina's disposable income setting, else 422",
     NULL, staff_doc, HTTP_STAFF("module_admin", "waste:write")},
    {"POST", "/{t}/waste/declarations", post_declaration, "waste",
     "File a declaration, registered as a case (module waste): a signed-in resident for their own payer (a new one, "
     "or payer_id of theirs), staff and API clients for any; JSON {name, address | parcel, kind, residents, "
     "composting, sorting, containers, change_date, payer_id, filing: first | change | correction, reason}; answers "
     "the monthly fee, account and case",
     NULL, staff_doc, HTTP_ACCOUNT_OR_CLIENT("waste:write")},
    {"GET", "/{t}/waste/me/declarations", get_my_declarations, "waste",
     "The signed-in resident's own payers: balance, declarations (with their cases) and the next charges", NULL,
     staff_doc, HTTP_ACCOUNT},
    {"POST", "/{t}/waste/charges", post_charges, "waste", "Generate monthly charges through a month (staff)", NULL,
     charges_doc, HTTP_STAFF("module_admin", "waste:write")},
    {"POST", "/{t}/waste/payments", post_payment, "waste", "Record a payment at the desk (staff)", NULL, staff_doc,
     HTTP_STAFF("clerk", "waste:write")},
    {"GET", "/{t}/waste/arrears", get_arrears, "waste",
     "Payers in arrears as of today (staff): each with its arrears, interest to date, costs of upomnienia and "
     "credit; bank statements are imported through POST /{t}/payments/statements",
     NULL, staff_doc, HTTP_STAFF_PERSONAL("clerk", "waste:read")},
    {"POST", "/{t}/waste/payers/{id}/reminders", post_reminder, "waste",
     "Issue an upomnienie to a payer in arrears (staff): a sealed PDF with the arrears per period, interest to "
     "the day, the cost of the upomnienie (which becomes a charge), the account and the 7-day term; registered as "
     "a case; 409 when the payer has no arrears",
     NULL, payer_doc, HTTP_STAFF("clerk", "waste:write")},
    {"GET", "/{t}/waste/reminders/{id}/upomnienie.pdf", get_reminder_pdf, "waste",
     "The sealed PDF of an upomnienie (staff)", "application/pdf", reminder_doc,
     HTTP_STAFF_PERSONAL("clerk", "waste:read")},
    {"GET", "/{t}/waste/me/reminders/{id}/upomnienie.pdf", get_my_reminder_pdf, "waste",
     "The sealed PDF of an upomnienie to one of the signed-in resident's payers (another's is a 404)",
     "application/pdf", reminder_doc, HTTP_ACCOUNT},
    {"POST", "/{t}/waste/payers/{id}/nonsorting", post_nonsorting, "waste",
     "A decision of art. 6ka (staff): the payer did not sort; JSON {from: YYYY-MM, months: 1..12, reason}; the "
     "months' charges use the higher rate of the rate table; registered as a decided case",
     NULL, payer_doc, HTTP_STAFF("clerk", "waste:write")},
    {"GET", "/{t}/waste/payers/{id}", get_payer, "waste", "A payer's balance and declaration history (staff)", NULL,
     payer_doc, HTTP_STAFF_PERSONAL("clerk", "waste:read")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};

const struct svc_module svc_waste_module = {
    .name = "waste",
    .title = WASTE_TITLE,
    .migrations = "services/modules/waste/migrations",
    .routes = waste_routes,
    .layers = waste_layers,
    .locate = waste_locate,
    .demo = waste_demo,
    .me = waste_me,
    .personal_data = waste_personal_data,
    .erase = waste_erase,
};
