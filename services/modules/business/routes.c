/* e-Przedsiębiorca (module "business"): the import of CEIDG exports and CSV files, the queue of unmatched
 * addresses and matching by hand, the public answers for other systems (businesses at an address, the OGC
 * collection `businesses`, counts per PKD section per zone), the zoning check and the /locate answer. The
 * logic is in business.c, the SQL in store.c, the demo data in demo.c. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "gis/changes.h"
#include "gis/identity.h"
#include "services/modules/business/business.h"
#include "services/modules/business/store.h"
#include "services/auth.h"
#include "services/cases.h"
#include "services/module.h"
#include "services/server.h"
#include "services/tmpl.h"
#include "services/web_page.h"
#include "util/embed.h"
#include "util/buf.h"
#include "util/text.h"

#define BUSINESS_MAX_RECORDS 5000

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

/* ---- POST /{t}/business/imports (staff) ---- */

/* One record as it will be booked: the business and its places, checked. */
struct import_rec {
    const struct business_record *in;
    struct business_row row;
    struct business_place_row places[BUSINESS_MAX_PLACES];
    int nplaces;
    enum business_change change;
};

struct import_job {
    struct import_rec *recs;
    int n;
    int booked, updated, unchanged, places_new, places_updated;
};

static void fault(json_t *faults, const struct business_record *r, const char *code, const char *field,
                  const char *desc)
{
    json_array_append_new(faults,
                          json_pack("{s:i, s:o, s:o, s:s, s:o, s:s}", "record", r->line, "nip", jstr(r->nip_text),
                                    "name", jstr(r->name), "code", code, "field", jstr(field), "description", desc));
}

/* PKD code of the record in PKD 2025, into out; false (and a fault) when it cannot be read. */
static bool record_pkd(struct gis_store *r, const struct business_record *rec, const char *text, char out[8],
                       json_t *faults, const char *field)
{
    struct err le = {0};
    char code[8];
    if (!business_pkd_parse(text, code)) {
        fault(faults, rec, "invalid_pkd", field, "not a PKD code like 47.11.Z");
        return false;
    }
    if (rec->pkd2007 && !business_pkd2007_section(code)) {
        fault(faults, rec, "invalid_pkd", field, "no such PKD 2007 division");
        return false;
    }
    if (rec->pkd2007 && !business_store_pkd_2007(r, code, out, &le))
        memcpy(out, code, 8); /* not listed: its meaning did not move (see README) */
    else if (!rec->pkd2007)
        memcpy(out, code, 8);
    if (!business_pkd2025_section(out)) {
        fault(faults, rec, "invalid_pkd", field, "no such PKD 2025 division");
        return false;
    }
    return true;
}

/* Checks the business part of one record into ir->row; false (with faults named) when it is rejected. */
static bool check_business(struct http_req *req, struct gis_store *r, const struct business_record *rec,
                           struct import_rec *ir, const char *now, json_t *faults)
{
    struct arena *a = req->arena;
    struct business_row *b = &ir->row;
    bool ok = true;
    char nip[11], regon[15];
    if (!business_nip_valid(rec->nip_text, nip)) {
        fault(faults, rec, "invalid_nip", "nip", "NIP is missing or its check digit is wrong");
        ok = false;
    }
    if (rec->regon_text && !business_regon_valid(rec->regon_text, regon)) {
        fault(faults, rec, "invalid_regon", "regon", "REGON must be 9 or 14 digits with a valid check digit");
        ok = false;
    }
    if (!rec->name || strlen(rec->name) > 500 || !text_utf8_valid(rec->name, strlen(rec->name))) {
        fault(faults, rec, "missing_name", "name", "the firm's name is missing or longer than 500 bytes");
        ok = false;
    }
    char main[8] = "";
    if (rec->pkd_main_text && !record_pkd(r, rec, rec->pkd_main_text, main, faults, "pkd_main"))
        ok = false;
    const char *other = "";
    for (int i = 0; i < rec->npkd; i++) {
        char c[8];
        if (!record_pkd(r, rec, rec->pkd_text[i], c, faults, "pkd"))
            ok = false;
        else if (strcmp(c, main) && !strstr(other, c))
            other = *other ? arena_printf(a, "%s %s", other, c) : arena_strdup(a, c);
    }
    if (!ok)
        return false;
    b->nip = arena_strdup(a, nip);
    b->regon = rec->regon_text ? arena_strdup(a, regon) : NULL;
    b->name = rec->name;
    b->pkd_main = *main ? arena_strdup(a, main) : NULL;
    b->pkd_section[0] = *main ? business_pkd2025_section(main) : 0;
    b->pkd_other = other;
    b->from_2007 = rec->pkd2007;
    b->source_id = rec->source_id;
    b->imported_at = now;
    return true;
}

/* The dates and status of a place: its own (a CSV row's), else its record's. False (with a fault) when
 * one cannot be read. */
static bool place_dates(const struct business_record *rec, const struct business_place_in *in,
                        struct business_place_row *p, json_t *faults)
{
    int d;
    p->start = in->start ? in->start : rec->start;
    p->end = in->end ? in->end : rec->end;
    const char *status = in->status_text ? in->status_text : rec->status_text;
    if ((p->start && !gis_cal_parse_date(p->start, &d)) || (p->end && !gis_cal_parse_date(p->end, &d))) {
        fault(faults, rec, "invalid_date", p->start && !gis_cal_parse_date(p->start, &d) ? "start" : "end",
              "dates must be YYYY-MM-DD");
        return false;
    }
    p->status = p->end ? BUSINESS_CLOSED : BUSINESS_ACTIVE;
    if (status && !business_status_parse(status, &p->status)) {
        fault(faults, rec, "invalid_status", "status", "status must be active, suspended or closed");
        return false;
    }
    return true;
}

/* Checks each place of the record and resolves its address with the geocoder. False when the record is
 * rejected (faults named), or when the store failed (e set). */
static bool check_places(struct http_req *req, struct gis_store *r, const struct business_record *rec,
                         struct import_rec *ir, const char *now, json_t *faults, int *unmatched, struct err *e)
{
    if (!rec->nplaces) {
        fault(faults, rec, "missing_address", "address", "the record has no place of business with an address");
        return false;
    }
    for (int i = 0; i < rec->nplaces; i++) {
        const struct business_place_in *in = &rec->places[i];
        struct business_place_row *p = &ir->places[ir->nplaces];
        bool dup = false;
        for (int k = 0; k < ir->nplaces; k++)
            dup |= ir->places[k].main == in->main && !strcmp(ir->places[k].address_text, in->address);
        if (dup) {
            fault(faults, rec, "duplicate", "address",
                  arena_printf(req->arena, "place '%s' is given twice", in->address));
            continue;
        }
        *p = (struct business_place_row){
            .main = in->main, .address_text = in->address, .flat = in->flat, .queued_at = now};
        if (!place_dates(rec, in, p, faults))
            return false;
        struct svc_place pl;
        struct err pe = {0};
        if (svc_place_resolve(req, r, NULL, in->address, &pl, &pe) == ERR_OK && pl.address_id > 0) {
            p->address_id = pl.address_id, p->parcel_id = pl.parcel_id, p->x = pl.x, p->y = pl.y;
            p->matched_by = "geocoder";
        } else if (pe.code == ERR_NOT_FOUND || pe.code == ERR_INVALID || pe.code == ERR_OK) {
            p->reason = arena_printf(req->arena, "%s", pe.code ? pe.msg : "no address point matches");
            (*unmatched)++;
        } else {
            err_recast(e, pe.code, &pe);
            return false;
        }
        ir->nplaces++;
    }
    return true;
}

static enum err_code import_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct import_job *j = ctx;
    for (int i = 0; i < j->n; i++) {
        struct import_rec *ir = &j->recs[i];
        if (business_store_business_put(w, &ir->row, &ir->change, e))
            return e->code;
        j->booked += ir->change == BUSINESS_NEW;
        j->updated += ir->change == BUSINESS_UPDATED;
        j->unchanged += ir->change == BUSINESS_UNCHANGED;
        for (int k = 0; k < ir->nplaces; k++) {
            enum business_change ch;
            ir->places[k].business_id = ir->row.id;
            if (business_store_place_put(w, &ir->places[k], &ch, e))
                return e->code;
            j->places_new += ch == BUSINESS_NEW;
            j->places_updated += ch == BUSINESS_UPDATED;
        }
    }
    return ERR_OK;
}

static enum err_code import_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "business_places", import_write, ctx, e);
}

static enum err_code import_parse(struct http_req *req, struct business_file *f, struct err *e)
{
    const char *fmt = http_query(req, "format");
    const char *ct = http_header(req, "Content-Type");
    if (!fmt)
        fmt = ct && !strncmp(ct, "application/json", 16)                              ? "ceidg"
              : ct && (!strncmp(ct, "text/csv", 8) || !strncmp(ct, "text/plain", 10)) ? "csv"
                                                                                      : NULL;
    if (!fmt)
        return err_set(e, ERR_MEDIA_TYPE, "send a CEIDG export as application/json or a CSV file as text/csv");
    if (strcmp(fmt, "ceidg") && strcmp(fmt, "csv"))
        return err_param(e, "format", "format must be ceidg or csv");
    if (!req->body || !req->body_len)
        return err_set(e, ERR_UNPROCESSABLE, "the file is empty");
    if (!text_utf8_valid(req->body, req->body_len))
        return err_set(e, ERR_UNPROCESSABLE, "the file is not UTF-8 text");
    enum err_code rc = !strcmp(fmt, "ceidg")
                           ? business_parse_ceidg(req->body, req->body_len, BUSINESS_MAX_RECORDS, req->arena, f, e)
                           : business_parse_csv(req->body, req->body_len, BUSINESS_MAX_RECORDS, req->arena, f, e);
    if (rc == ERR_INVALID)
        e->code = ERR_UNPROCESSABLE;
    return e->code;
}

static enum err_code post_import(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct business_file f;
    if (import_parse(req, &f, e))
        return e->code;
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    char now[11];
    business_today(now);
    struct import_job job = {.recs = arena_alloc(req->arena, (size_t)(f.n ? f.n : 1) * sizeof *job.recs)};
    if (!job.recs)
        return err_set(e, ERR_INTERNAL, "out of memory");
    json_t *faults = json_array();
    int rejected = 0, unmatched = 0;
    for (int i = 0; i < f.n; i++) {
        const struct business_record *rec = &f.recs[i];
        struct import_rec *ir = &job.recs[job.n];
        memset(ir, 0, sizeof *ir);
        bool dup = false;
        if (!check_business(req, r, rec, ir, now, faults)) {
            rejected++;
            continue;
        }
        ir->row.source = f.format;
        for (int k = 0; k < job.n && !dup; k++)
            dup = !strcmp(job.recs[k].row.nip, ir->row.nip);
        if (dup) {
            fault(faults, rec, "duplicate", "nip", "a business with this NIP is given earlier in the same file");
            rejected++;
            continue;
        }
        if (!check_places(req, r, rec, ir, now, faults, &unmatched, e)) {
            if (e->code) {
                json_decref(faults);
                return e->code;
            }
            rejected++;
            continue;
        }
        for (int k = 0; k < ir->nplaces; k++)
            if (!ir->places[k].address_id)
                fault(faults, rec, "unmatched_address", "address",
                      arena_printf(req->arena, "'%s': %s; queued for matching by hand", ir->places[k].address_text,
                                   ir->places[k].reason));
        ir->in = rec;
        job.n++;
    }
    if (job.n && svc_tenant_write(req->tenant, import_run, &job, e)) {
        json_decref(faults);
        return e->code;
    }
    json_t *j =
        json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "format", f.format, "records", f.n, "accepted",
                  job.n, "new", job.booked, "updated", job.updated, "unchanged", job.unchanged, "rejected", rejected,
                  "places_new", job.places_new, "unmatched_places", unmatched, "faults", faults);
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- `odra business import --tenant T [--format ceidg|csv] FILE` ---- */

/* The command line import: the file through POST /{t}/business/imports' own handler (the same checks,
 * geocoder and report), the format from --format or else the file's extension (.json: ceidg). */
static int business_cli(struct http_req *req, int argc, char **argv)
{
    const char *fmt = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            fmt = argv[++i];
        else if (!strncmp(argv[i], "--format=", 9))
            fmt = argv[i] + 9;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (strcmp(argv[0], "import") || !path) {
        fprintf(stderr, "usage: odra business import --tenant T [--format ceidg|csv] FILE\n");
        return 2;
    }
    size_t n = strlen(path);
    if (!fmt)
        fmt = n > 5 && !strcasecmp(path + n - 5, ".json") ? "ceidg" : "csv";
    struct buf b = {0};
    if (!buf_read_file(&b, path)) {
        fprintf(stderr, "odra: %s: cannot read the file\n", path);
        buf_free(&b);
        return 1;
    }
    const char *query[] = {"format", fmt, NULL, NULL};
    req->sub_query = query;
    req->body = b.len ? arena_strndup(req->arena, b.data, b.len) : NULL;
    req->body_len = b.len;
    buf_free(&b);
    struct http_resp resp = {0};
    struct err e = {0};
    if (post_import(req, &resp, &e)) {
        fprintf(stderr, "odra: %s: %s\n", path, e.msg[0] ? e.msg : err_name(e.code));
        return 1;
    }
    fwrite(resp.body, 1, resp.len, stdout);
    putchar('\n');
    return 0;
}

/* ---- GET /{t}/business/unmatched (staff) ---- */

static bool unmatched_add(void *ctx, long id, const char *name, const char *nip, const char *address,
                          const char *reason)
{
    json_array_append_new(ctx, json_pack("{s:I, s:o, s:o, s:o, s:o}", "place_id", (json_int_t)id, "name", jstr(name),
                                         "nip", jstr(nip), "address", jstr(address), "reason", jstr(reason)));
    return true;
}

static enum err_code get_unmatched(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    json_t *list = json_array();
    if (business_store_unmatched_each(r, unmatched_add, list, e)) {
        json_decref(list);
        return e->code;
    }
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200, json_pack("{s:o}", "places", list), e);
}

/* ---- POST /{t}/business/places/{id}/match (staff) ---- */

struct match_job {
    long id;
    struct svc_place place;
};

static enum err_code match_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct match_job *j = ctx;
    return business_store_place_match(w, j->id, j->place.address_id, j->place.parcel_id, j->place.x, j->place.y, e);
}

static enum err_code match_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "business_places", match_write, ctx, e);
}

static enum err_code post_match(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct match_job job;
    if (!text_parse_long(http_capture(req, "id"), 1, 1L << 40, &job.id))
        return err_set(e, ERR_NOT_FOUND, "no place of business '%.20s'", http_capture(req, "id"));
    struct gis_store *r = reader(req, e);
    if (!r || svc_place_resolve(req, r, http_query(req, "parcel"), http_query(req, "address"), &job.place, e))
        return e->code;
    if (svc_tenant_write(req->tenant, match_run, &job, e))
        return e->code;
    return http_resp_json(req, resp, 200,
                          json_pack("{s:I, s:I, s:o, s:o, s:s}", "place_id", (json_int_t)job.id, "address_id",
                                    (json_int_t)job.place.address_id, "address", jstr(job.place.address_label),
                                    "parcel_id", jstr(job.place.parcel_id), "matched_by", "manual"),
                          e);
}

/* ---- GET /{t}/business/at ---- */

static json_t *pkd_list(const char *other)
{
    json_t *a = json_array();
    char buf[8];
    for (const char *s = other; s && *s;) {
        size_t n = strcspn(s, " ");
        if (n == 7) {
            memcpy(buf, s, 7);
            buf[7] = 0;
            json_array_append_new(a, json_string(buf));
        }
        s += n;
        s += *s == ' ';
    }
    return a;
}

static bool at_add(void *ctx, const struct business_at *b)
{
    json_array_append_new(
        ctx, json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "business_id",
                       (json_int_t)b->business_id, "place_id", (json_int_t)b->place_id, "name", jstr(b->name), "nip",
                       jstr(b->nip), "regon", jstr(b->regon), "pkd_main", jstr(b->pkd_main), "pkd_section",
                       jstr(b->pkd_section), "pkd", pkd_list(b->pkd_other), "kind", b->main ? "main" : "additional",
                       "address", jstr(b->address_text), "flat", jstr(b->flat), "parcel_id", jstr(b->parcel_id),
                       "start_date", jstr(b->start), "end_date", jstr(b->end), "status", jstr(b->status)));
    return true;
}

static json_t *place_json(const struct svc_place *p)
{
    return json_pack("{s:o, s:I, s:o}", "parcel_id", jstr(p->parcel_id), "address_id", (json_int_t)p->address_id,
                     "address", jstr(p->address_label));
}

static enum err_code get_at(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    struct svc_place p;
    const char *parcel = http_query(req, "parcel");
    if (!r || svc_place_resolve(req, r, parcel, http_query(req, "address"), &p, e))
        return e->code;
    json_t *list = json_array();
    if (business_store_at_each(r, parcel ? 0 : p.address_id, p.parcel_id, at_add, list, e)) {
        json_decref(list);
        return e->code;
    }
    return http_resp_json(req, resp, 200, json_pack("{s:o, s:o}", "place", place_json(&p), "businesses", list), e);
}

/* ---- GET /{t}/business/stats ---- */

struct stats {
    json_t *zones, *cur, *sections;
    long cur_id;
};

static bool stats_add(void *ctx, long zone_id, const char *label, const char *symbol, const char *section, long count)
{
    struct stats *s = ctx;
    if (!s->cur || s->cur_id != zone_id) {
        s->cur = json_pack("{s:I, s:o, s:o, s:i, s:{}}", "id", (json_int_t)zone_id, "label", jstr(label), "symbol",
                           jstr(symbol), "total", 0, "sections");
        s->cur_id = zone_id;
        json_array_append_new(s->zones, s->cur);
    }
    json_object_set_new(json_object_get(s->cur, "sections"), section, json_integer(count));
    json_object_set_new(s->cur, "total",
                        json_integer(json_integer_value(json_object_get(s->cur, "total")) + (json_int_t)count));
    const char *name = section[0] && !section[1] ? business_pkd2025_section_name(section[0]) : NULL;
    if (name)
        json_object_set_new(s->sections, section, json_string(name));
    return true;
}

static enum err_code get_stats(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *kind = http_query(req, "kind");
    if (!kind)
        kind = "mpzp";
    if (strcmp(kind, "mpzp") && strcmp(kind, "pog"))
        return err_param(e, "kind", "kind must be mpzp or pog");
    const char *zone = http_query(req, "zone");
    if (zone && (!*zone || strlen(zone) > 64))
        return err_param(e, "zone", "zone must be a zone label such as 1MN");
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    struct stats s = {.zones = json_array(), .sections = json_object()};
    if (business_store_stats_each(r, kind, zone, stats_add, &s, e)) {
        json_decref(s.zones);
        json_decref(s.sections);
        return e->code;
    }
    if (zone && !json_array_size(s.zones)) {
        json_decref(s.zones);
        json_decref(s.sections);
        return err_set(e, ERR_NOT_FOUND, "no active business lies in a %s zone labelled '%.64s'", kind, zone);
    }
    return http_resp_json(req, resp, 200,
                          json_pack("{s:s, s:o, s:o}", "kind", kind, "zones", s.zones, "section_names", s.sections), e);
}

/* ---- the zoning check ---- */

struct check {
    char code[8];
    char section;
    struct business_category cat;
    bool has_cat, in_mpzp, in_pog;
    struct business_zone zone;
    struct business_rule rule;
    bool has_rule;
};

static int unc_rank(const char *u)
{
    return !u ? 3 : !strcmp(u, "low") ? 0 : !strcmp(u, "medium") ? 1 : 2;
}

/* Finds the category of c->code, the zone at the point (MPZP first, the POG outside any MPZP) and the rule. */
static enum err_code check_run(struct gis_store *r, struct arena *a, double x, double y, struct check *c, struct err *e)
{
    struct err le = {0};
    c->section = business_pkd2025_section(c->code);
    if (business_store_pkd_category(r, a, c->code, &c->cat, &le) == ERR_OK)
        c->has_cat = true;
    else if (le.code != ERR_NOT_FOUND)
        return err_recast(e, le.code, &le);
    err_clear(&le);
    const char *kind = "mpzp";
    enum err_code rc = business_store_zone_at(r, a, kind, x, y, &c->zone, &le);
    if (rc == ERR_NOT_FOUND) {
        err_clear(&le);
        kind = "pog";
        rc = business_store_zone_at(r, a, kind, x, y, &c->zone, &le);
    }
    if (rc && rc != ERR_NOT_FOUND)
        return err_recast(e, rc, &le);
    c->in_mpzp = !rc && !strcmp(kind, "mpzp");
    c->in_pog = !rc && !strcmp(kind, "pog");
    err_clear(&le);
    if (c->has_cat && (c->in_mpzp || c->in_pog)) {
        rc = business_store_zone_rule(r, a, kind, c->zone.symbol, c->cat.category, &c->rule, &le);
        if (rc && rc != ERR_NOT_FOUND)
            return err_recast(e, rc, &le);
        c->has_rule = !rc;
    }
    return ERR_OK;
}

static json_t *check_json(struct arena *a, const struct check *c)
{
    enum business_verdict v = c->has_rule ? c->rule.verdict : BUSINESS_UNKNOWN;
    const char *unc = !c->has_rule                                                   ? "high"
                      : unc_rank(c->cat.uncertainty) > unc_rank(c->rule.uncertainty) ? c->cat.uncertainty
                                                                                     : c->rule.uncertainty;
    json_t *reasons = json_array();
    const char *sname = business_pkd2025_section_name(c->section);
    json_array_append_new(reasons, json_string(arena_printf(a, "PKD %s należy do sekcji %c (%s).", c->code, c->section,
                                                            sname ? sname : "?")));
    if (c->has_cat)
        json_array_append_new(reasons, json_string(arena_printf(a, "Kategoria działalności: %s (według %s: %s).",
                                                                c->cat.category, c->cat.prefix, c->cat.source)));
    else
        json_array_append_new(reasons, json_string("Tabela odwzorowań nie przypisuje temu kodowi kategorii."));
    if (c->in_mpzp || c->in_pog)
        json_array_append_new(
            reasons, json_string(arena_printf(a, "%s %s (%s), %s.",
                                              c->in_mpzp ? "Miejscowy plan: teren" : "Plan ogólny: strefa planistyczna",
                                              c->zone.label, c->zone.name, c->zone.plan)));
    else
        json_array_append_new(reasons, json_string("Miejsce nie leży w żadnym planie miejscowym ani w strefie planu "
                                                   "ogólnego; o dopuszczalności rozstrzyga decyzja o warunkach "
                                                   "zabudowy."));
    if (c->in_pog)
        json_array_append_new(reasons, json_string("Poza planem miejscowym: plan ogólny nie przesądza o "
                                                   "konkretnej działce, ostatecznie rozstrzyga decyzja o warunkach "
                                                   "zabudowy."));
    if (c->has_rule)
        json_array_append_new(reasons, json_string(arena_printf(a, "Reguła: %s.", c->rule.source)));
    else if (c->in_mpzp || c->in_pog)
        json_array_append_new(reasons, json_string("Tabela odwzorowań nie ma reguły dla tej kategorii w tym terenie."));
    json_t *zone = c->in_mpzp || c->in_pog
                       ? json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "kind", c->in_mpzp ? "mpzp" : "pog", "id",
                                   (json_int_t)c->zone.id, "label", jstr(c->zone.label), "symbol", jstr(c->zone.symbol),
                                   "name", jstr(c->zone.name), "plan", jstr(c->zone.plan))
                       : json_null();
    return json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s#, s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o}", "verdict", business_verdict_name(v),
        "answer", arena_printf(a, "Działalność %s w tym miejscu: %s.", c->code, business_verdict_text(v)),
        "uncertainty", unc, "pkd", "code", c->code, "section", &c->section, (int)1, "section_name", jstr(sname),
        "category", jstr(c->has_cat ? c->cat.category : NULL), "mapped_by", jstr(c->has_cat ? c->cat.prefix : NULL),
        "source", jstr(c->has_cat ? c->cat.source : NULL), "uncertainty", jstr(c->has_cat ? c->cat.uncertainty : NULL),
        "zone", zone, "rule_source", jstr(c->has_rule ? c->rule.source : NULL), "reasons", reasons);
}

static enum err_code get_check(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct check c = {0};
    const char *pkd = http_query(req, "pkd"), *ver = http_query(req, "pkd_version");
    if (!pkd || !business_pkd_parse(pkd, c.code))
        return err_param(e, "pkd", "pkd must be a PKD subclass such as 47.11.Z");
    if (ver && strcmp(ver, "2025") && strcmp(ver, "2007"))
        return err_param(e, "pkd_version", "pkd_version must be 2025 or 2007");
    struct gis_store *r = reader(req, e);
    struct svc_place p;
    if (!r || svc_place_resolve(req, r, http_query(req, "parcel"), http_query(req, "address"), &p, e))
        return e->code;
    if (ver && !strcmp(ver, "2007")) {
        struct err le = {0};
        char c25[8];
        if (!business_pkd2007_section(c.code))
            return err_at(e, ERR_UNPROCESSABLE, "pkd", "PKD 2007 has no division %.2s", c.code);
        if (business_store_pkd_2007(r, c.code, c25, &le))
            memcpy(c.code, c25, 8);
    }
    if (!business_pkd2025_section(c.code))
        return err_at(e, ERR_UNPROCESSABLE, "pkd", "PKD 2025 has no division %.2s", c.code);
    if (check_run(r, req->arena, p.x, p.y, &c, e))
        return e->code;
    json_t *j = check_json(req->arena, &c);
    json_object_set_new(j, "place", place_json(&p));
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- the owner's page: owners linked by the clerk, the business's cases through the core ---- */

#define LOCAL_TAX_NOTE                                                                                                 \
    "Deklaracje na podatki lokalne (od nieruchomości, od środków transportowych) składa się na razie poza tym "   \
    "systemem: w urzędzie gminy lub przez ePUAP."

/* s percent-encoded, in a. */
static const char *url_part(struct arena *a, const char *s)
{
    struct buf b = {0};
    tmpl_url_encode(&b, s);
    const char *out = arena_strndup(a, b.data ? b.data : "", b.len);
    buf_free(&b);
    return out;
}

static bool path_id(struct http_req *req, const char *name, long *id)
{
    return text_parse_long(http_capture(req, name), 1, 1L << 40, id);
}

struct owner_job {
    long id;
    long long account;
    const char *by;
    bool unlink;
};

static enum err_code owner_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct owner_job *j = ctx;
    return j->unlink ? business_store_owner_unlink(w, j->id, j->account, e)
                     : business_store_owner_link(w, j->id, j->account, j->by, e);
}

/* POST /{t}/business/businesses/{id}/owners (staff): {"login": ...} or {"account": id} */
static enum err_code post_owner(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct owner_job j = {.by = req->principal->account.login};
    if (!path_id(req, "id", &j.id))
        return err_set(e, ERR_NOT_FOUND, "no business '%.20s'", http_capture(req, "id"));
    json_t *b;
    if (svc_case_body_object(req, &b, e))
        return e->code;
    json_t *login = json_object_get(b, "login"), *account = json_object_get(b, "account");
    if ((login != NULL) == (account != NULL))
        return err_at(e, ERR_UNPROCESSABLE, "login", "give the owner's login or account id (one of them)");
    struct gis_account acc;
    struct err le = {0};
    char created[32];
    if (login) {
        if (!json_is_string(login) || gis_account_get(svc_auth_identity(), json_string_value(login), &acc, &le))
            return err_at(e, ERR_UNPROCESSABLE, "login", "no account with this login");
    } else if (!json_is_integer(account) || json_integer_value(account) < 1 ||
               gis_account_by_id(svc_auth_identity(), json_integer_value(account), &acc, created, &le)) {
        return err_at(e, ERR_UNPROCESSABLE, "account", "no account with this id");
    }
    if (strcmp(acc.kind, "resident") && strcmp(acc.kind, "staff"))
        return err_at(e, ERR_UNPROCESSABLE, login ? "login" : "account", "an owner is a person who logs in");
    j.account = acc.id;
    if (svc_tenant_write(req->tenant, owner_write, &j, e))
        return e->code;
    svc_auth_audit(req, "business.owner_link", arena_printf(req->arena, "%ld", j.id), acc.login);
    return http_resp_json(req, resp, 201,
                          json_pack("{s:I, s:I, s:s}", "business_id", (json_int_t)j.id, "account", (json_int_t)acc.id,
                                    "login", acc.login),
                          e);
}

/* DELETE /{t}/business/businesses/{id}/owners/{account} (staff) */
static enum err_code delete_owner(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct owner_job j = {.unlink = true};
    long account;
    if (!path_id(req, "id", &j.id) || !path_id(req, "account", &account))
        return err_set(e, ERR_NOT_FOUND, "no such owner of a business");
    j.account = account;
    if (svc_tenant_write(req->tenant, owner_write, &j, e))
        return e->code;
    svc_auth_audit(req, "business.owner_unlink", arena_printf(req->arena, "%ld", j.id),
                   arena_printf(req->arena, "account %ld", account));
    return http_resp_json(
        req, resp, 200,
        json_pack("{s:I, s:I, s:b}", "business_id", (json_int_t)j.id, "account", (json_int_t)account, "linked", 0), e);
}

/* GET /{t}/me/businesses: the businesses the signed-in person owns */
static enum err_code get_my_businesses(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    if (!r)
        return e->code;
    json_t *list = json_array();
    if (business_store_owned(r, req->principal->account.id, list, e)) {
        json_decref(list);
        return e->code;
    }
    size_t i;
    json_t *b;
    const char *t = req->tenant->cfg->slug;
    json_array_foreach(list, i, b)
    {
        json_int_t id = json_integer_value(json_object_get(b, "id"));
        json_object_set_new(b, "links",
                            json_pack("{s:s, s:s}", "self", arena_printf(req->arena, "/%s/me/businesses/%lld", t, id),
                                      "page", arena_printf(req->arena, "/%s/my/businesses/%lld", t, id)));
    }
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, json_pack("{s:s, s:o}", "tenant", t, "businesses", list), e);
}

/* Business {id} of the path for its owner or the gmina's staff (or API client): its JSON into *out. Another
 * person's business is a 404, as is one that does not exist (no one learns which businesses have owners). */
static enum err_code owned_business(struct http_req *req, struct gis_store *r, long *id, json_t **out, struct err *e)
{
    bool owns = false;
    *out = NULL;
    if (!path_id(req, "id", id))
        return err_set(e, ERR_NOT_FOUND, "no business '%.20s'", http_capture(req, "id"));
    bool staff = svc_is_staff(req, "clerk");
    if (!staff && (!req->principal || business_store_owns(r, *id, req->principal->account.id, &owns, e) || !owns))
        return e->code ? e->code : err_set(e, ERR_NOT_FOUND, "no business %ld of yours", *id);
    return business_store_entity(r, *id, out, e);
}

static const char *module_title(const char *name)
{
    const struct svc_module *m = name ? svc_module_find(name) : NULL;
    return m ? m->title : NULL;
}

/* GET /{t}/me/businesses/{id}: the business, its places and its cases (through the core, by its NIP) */
static enum err_code get_my_business(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    long id;
    json_t *b;
    if (!r || owned_business(req, r, &id, &b, e))
        return e->code;
    const char *t = req->tenant->cfg->slug;
    json_t *places = json_array();
    if (business_store_places(r, id, places, e)) {
        json_decref(b);
        json_decref(places);
        return e->code;
    }
    size_t i;
    json_t *p;
    json_array_foreach(places, i, p)
    {
        const char *parcel = json_string_value(json_object_get(p, "parcel_id"));
        json_object_set_new(
            p, "links",
            parcel ? json_pack("{s:s}", "card",
                               arena_printf(req->arena, "/%s/card?parcel=%s", t, url_part(req->arena, parcel)))
                   : json_object());
    }
    struct gis_case_filter f = {.party_nip = json_string_value(json_object_get(b, "nip")), .limit = 1000};
    struct gis_case *cs;
    int n;
    if (gis_case_list(r, req->arena, &f, &cs, &n, e)) {
        json_decref(b);
        json_decref(places);
        return e->code;
    }
    json_t *cases = json_array();
    for (int k = 0; k < n; k++)
        json_array_append_new(cases,
                              json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", cs[k].id, "case_number",
                                        cs[k].case_number, "module", cs[k].module, "module_title",
                                        jstr(module_title(cs[k].module)), "status", cs[k].status, "created_at",
                                        cs[k].created_at, "deadline", cs[k].deadline, "link",
                                        arena_printf(req->arena, "/%s/me/businesses/%ld/cases/%s", t, id, cs[k].id)));
    json_object_set_new(b, "places", places);
    json_object_set_new(b, "cases", cases);
    json_object_set_new(
        b, "local_tax",
        json_pack("{s:s, s:o, s:s}", "status", "elsewhere", "declarations", json_array(), "message", LOCAL_TAX_NOTE));
    json_object_set_new(b, "links",
                        json_pack("{s:s, s:s}", "page", arena_printf(req->arena, "/%s/my/businesses/%ld", t, id),
                                  "list", arena_printf(req->arena, "/%s/me/businesses", t)));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, b, e);
}

/* GET /{t}/me/businesses/{id}/cases/{case}: one of the business's cases with its history, for its owner */
static enum err_code get_my_business_case(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = reader(req, e);
    long id;
    json_t *b;
    if (!r || owned_business(req, r, &id, &b, e))
        return e->code;
    const char *nip = arena_strdup(req->arena, json_string_value(json_object_get(b, "nip")));
    json_decref(b);
    const char *cid = http_capture(req, "case");
    struct gis_case c;
    struct err le = {0};
    if (!svc_case_id_ok(cid) || gis_case_find(r, req->arena, false, cid, &c, &le))
        return le.code && le.code != ERR_NOT_FOUND ? err_recast(e, le.code, &le)
                                                   : err_set(e, ERR_NOT_FOUND, "no such case of business %ld", id);
    json_t *rq = c.request_json ? json_loads(c.request_json, 0, NULL) : NULL;
    const char *party = json_string_value(json_object_get(rq, GIS_CASE_PARTY_NIP));
    bool ours = party && nip && !strcmp(party, nip);
    json_decref(rq);
    if (!ours)
        return err_set(e, ERR_NOT_FOUND, "no such case of business %ld", id);
    struct gis_case_event *ev;
    int n;
    if (gis_case_events(r, req->arena, c.id, &ev, &n, e))
        return e->code;
    json_t *j = svc_case_json(req, &c, false, ev, n);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory");
    json_object_set_new(j, "module_title", jstr(module_title(c.module)));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- the owner's pages: /{t}/my/businesses and /{t}/my/businesses/{id}, from the JSON above ---- */

/* The module's template (services/modules/business/templates/, embedded) rendered as pg's answer. */
static enum err_code owner_page_send(struct web_page *pg, int status, struct err *e)
{
    static const char path[] = "services/modules/business/templates/business_owner.html";
    size_t len = 0;
    const char *text = embed_find(path, &len);
    if (!text)
        return err_set(e, ERR_UNAVAILABLE, "the business page template is not built in");
    return web_page_send_text(pg, status, "business_owner", arena_strndup(pg->req->arena, text, len), e);
}

static enum err_code page_owner(struct http_req *req, struct http_resp *resp, bool one, struct err *e)
{
    struct web_page pg;
    if (web_page_begin(req, resp, "biz.title", &pg, e))
        return e->code;
    if (!pg.who)
        return web_page_redirect(&pg, web_href(&pg, "/signin?return=%s", req->path));
    json_t *j;
    int status;
    struct err le = {0};
    const char *path =
        one ? web_href(&pg, "/me/businesses/%s", http_capture(req, "id")) : web_href(&pg, "/me/businesses", NULL);
    if (web_api(&pg, "GET", path, NULL, NULL, NULL, &j, &status, &le))
        return web_page_error(&pg, &le, e);
    if (one)
        json_object_set(pg.data, "business", j);
    else
        json_object_set(pg.data, "businesses", json_object_get(j, "businesses"));
    return owner_page_send(&pg, 200, e);
}

static enum err_code page_my_businesses(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return page_owner(req, resp, false, e);
}

static enum err_code page_my_business(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return page_owner(req, resp, true, e);
}

/* svc_module.me: the businesses account owns, with their pages (the resident's page links them). */
static enum err_code business_me(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out,
                                 struct err *e)
{
    json_t *list = json_array();
    if (business_store_owned(r, account, list, e)) {
        json_decref(list);
        return e->code;
    }
    size_t i;
    json_t *b;
    char buf[160];
    json_array_foreach(list, i, b)
    {
        snprintf(buf, sizeof buf, "/%s/my/businesses/%lld", t->cfg->slug,
                 (long long)json_integer_value(json_object_get(b, "id")));
        json_object_set_new(b, "page", json_string(buf));
    }
    snprintf(buf, sizeof buf, "/%s/my/businesses", t->cfg->slug);
    json_object_set_new(out, "businesses", list);
    json_object_set_new(out, "page", json_string(buf));
    return ERR_OK;
}

/* svc_module.personal_data: the businesses account is linked to as an owner. */
static enum err_code business_personal_data(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out,
                                            struct err *e)
{
    (void)t;
    json_t *list = json_array();
    if (business_store_owned(r, account, list, e)) {
        json_decref(list);
        return e->code;
    }
    json_object_set_new(out, "owner_of", list);
    return ERR_OK;
}

/* svc_module.erase: the owner links go; the businesses' register data is public and stays. */
static enum err_code business_erase(struct svc_tenant *t, struct gis_store *w, long long account, struct err *e)
{
    (void)t;
    return business_store_owner_erase(w, account, e);
}

/* ---- /locate ---- */

static enum err_code business_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p, json_t *out,
                                     struct err *e)
{
    struct arena *a = arena_new(2048);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const char *names[3];
    int count = 0, n = 0;
    enum err_code rc = p->address_id > 0 || p->parcel_id
                           ? business_store_locate(r, a, p->address_id, p->parcel_id, &count, names, 3, &n, e)
                           : ERR_OK;
    if (!rc) {
        json_t *list = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(list, jstr(names[i]));
        json_object_set_new(out, "title", json_string(BUSINESS_TITLE));
        json_object_set_new(out, "count", json_integer(count));
        json_object_set_new(out, "businesses", list);
        const char *q = p->parcel_id ? arena_printf(a, "parcel=%s", p->parcel_id)
                                     : arena_printf(a, "x=%.2f&y=%.2f&crs=EPSG:2180", p->x, p->y);
        json_object_set_new(out, "links",
                            json_pack("{s:s, s:s}", "at", arena_printf(a, "/%s/business/at?%s", t->cfg->slug, q),
                                      "check", arena_printf(a, "/%s/business/check?%s&pkd={pkd}", t->cfg->slug, q)));
    }
    arena_free(a);
    return rc;
}

/* ---- the module ---- */

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Only what the registers make public (ustawa o CEIDG art. 38): no owner's PESEL, no home address. */
static const struct gis_prop place_props[] = {
    {"name", "b.name", GIS_PROP_TEXT, false, "the firm's name"},
    {"nip", "b.nip", GIS_PROP_TEXT, true, "NIP"},
    {"regon", "b.regon", GIS_PROP_TEXT, true, "REGON"},
    {"pkd_main", "b.pkd_main", GIS_PROP_TEXT, true, "main PKD 2025 code"},
    {"pkd_section", "b.pkd_section", GIS_PROP_TEXT, true, "PKD 2025 section of the main code"},
    {"pkd", "b.pkd_other", GIS_PROP_TEXT, false, "other PKD 2025 codes, space separated"},
    {"kind", "t.kind", GIS_PROP_TEXT, true, "main or additional place of business"},
    {"address", "t.address_text", GIS_PROP_TEXT, false, "address of the place of business"},
    {"start_date", "t.start_date", GIS_PROP_TEXT, false, "start of business at this place"},
    {"end_date", "t.end_date", GIS_PROP_TEXT, false, "end of business at this place"},
    {"status", "t.status", GIS_PROP_TEXT, true, "active, suspended or closed"},
    {NULL, NULL, 0, false, NULL},
};

#define PLACES_FROM "business_places t JOIN business_entities b ON b.id = t.business_id AND t.geom IS NOT NULL"

static const struct gis_layer business_layers[] = {
    {.table = "business_places",
     .collection = {"businesses", "Przedsiębiorcy",
                    "Places of business matched to address points, with public data only", PLACES_FROM, "Point",
                    place_props},
     .map = {"businesses", PLACES_FROM, LIST("place_id", "name", "pkd_section", "status"),
             LIST("t.id", "b.name", "b.pkd_section", "t.status"), 12, 0},
     .tileset = {"Przedsiębiorcy", "Places of business by PKD section", NULL, "styles/business.json", true}},
    {.table = NULL},
};

static const struct http_param_doc place_doc[] = {
    HTTP_DOC_TENANT,
    {"address", "query", "string", 0, "address text (or parcel, or lon and lat)"},
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},
    {"lat", "query", "number", 0, "latitude (CRS84), with lon"},
    HTTP_DOC_END,
};
static const struct http_param_doc check_doc[] = {
    HTTP_DOC_TENANT,
    {"pkd", "query", "string", 1, "PKD subclass, e.g. 47.11.Z"},
    {"pkd_version", "query", "string", 0, "2025 (default) or 2007"},
    {"address", "query", "string", 0, "address text (or parcel, or lon and lat)"},
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},
    {"lat", "query", "number", 0, "latitude (CRS84), with lon"},
    HTTP_DOC_END,
};
static const struct http_param_doc stats_doc[] = {
    HTTP_DOC_TENANT,
    {"kind", "query", "string", 0, "mpzp (default: MPZP zones) or pog (POG planning zones)"},
    {"zone", "query", "string", 0, "only the zones with this label, e.g. 1MN"},
    HTTP_DOC_END,
};
static const struct http_param_doc import_doc[] = {
    HTTP_DOC_TENANT,
    {"format", "query", "string", 0, "ceidg (JSON) or csv; by default from Content-Type"},
    HTTP_DOC_END,
};
static const struct http_param_doc match_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "place of business id"},
    {"address", "query", "string", 0, "address text (or parcel, or lon and lat)"},
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},
    {"lat", "query", "number", 0, "latitude (CRS84), with lon"},
    HTTP_DOC_END,
};
static const struct http_param_doc staff_doc[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc business_id_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "business id"},
    HTTP_DOC_END,
};
static const struct http_param_doc owner_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "business id"},
    {"account", "path", "integer", 1, "the owner's account id"},
    HTTP_DOC_END,
};
static const struct http_param_doc business_case_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "integer", 1, "business id"},
    {"case", "path", "string", 1, "case id (32 hex digits)"},
    HTTP_DOC_END,
};

static const struct http_route business_routes[] = {
    {"GET", "/{t}/business/at", get_at, "business", "Businesses registered at an address or parcel (public data)", NULL,
     place_doc, HTTP_PUBLIC},
    {"GET", "/{t}/business/check", get_check, "business",
     "May activity with a PKD code be conducted at a place: verdict, reasons and uncertainty from the plan", NULL,
     check_doc, HTTP_PUBLIC},
    {"GET", "/{t}/business/stats", get_stats, "business", "Active places of business per PKD section per plan zone",
     NULL, stats_doc, HTTP_PUBLIC},
    {"POST", "/{t}/business/imports", post_import, "business",
     "Import a CEIDG export (JSON) or a CSV file (staff): books valid records, names each fault", NULL, import_doc,
     HTTP_STAFF("module_admin", "business:write")},
    {"GET", "/{t}/business/unmatched", get_unmatched, "business", "Places whose address did not match (staff)", NULL,
     staff_doc, HTTP_STAFF("clerk", "business:read")},
    {"POST", "/{t}/business/businesses/{id}/owners", post_owner, "business",
     "Link a person (by login or account id) as an owner of a business (staff): JSON {login} or {account}; the "
     "owner then sees the business and its cases on their page",
     NULL, business_id_doc, HTTP_STAFF("clerk", "business:write")},
    {"DELETE", "/{t}/business/businesses/{id}/owners/{account}", delete_owner, "business",
     "Unlink an owner of a business (staff)", NULL, owner_doc, HTTP_STAFF("clerk", "business:write")},
    {"GET", "/{t}/me/businesses", get_my_businesses, "business",
     "The businesses the signed-in person owns (linked by the clerk)", NULL, staff_doc, HTTP_ACCOUNT},
    {"GET", "/{t}/me/businesses/{id}", get_my_business, "business",
     "A business for its owner (or staff, or an API client): its places and its cases (permits applications and "
     "decisions, waste declarations for non-residential property: every case whose party is its NIP) and the "
     "local-tax slot; another person's business is a 404",
     NULL, business_id_doc, HTTP_ACCOUNT_OR_CLIENT("business:read")},
    {"GET", "/{t}/me/businesses/{id}/cases/{case}", get_my_business_case, "business",
     "One case of a business, with its history, for its owner (or staff); a case of another party is a 404", NULL,
     business_case_doc, HTTP_ACCOUNT_OR_CLIENT("business:read")},
    {"GET", "/{t}/my/businesses", page_my_businesses, "pages",
     "The signed-in person's businesses (a page; signs in first)", "text/html", staff_doc, HTTP_PUBLIC},
    {"GET", "/{t}/my/businesses/{id}", page_my_business, "pages",
     "A business for its owner: places of business, its cases and the local-tax slot (a page)", "text/html",
     business_id_doc, HTTP_PUBLIC},
    {"POST", "/{t}/business/places/{id}/match", post_match, "business",
     "Match a place of business to an address point by hand (staff)", NULL, match_doc,
     HTTP_STAFF("clerk", "business:write")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};

const struct svc_module svc_business_module = {
    .name = "business",
    .title = BUSINESS_TITLE,
    .migrations = "services/modules/business/migrations",
    .routes = business_routes,
    .layers = business_layers,
    .locate = business_locate,
    .me = business_me,
    .personal_data = business_personal_data,
    .erase = business_erase,
    .cli = business_cli,
    .demo = business_demo,
};
