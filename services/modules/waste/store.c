/* The waste module's tables in SQLite (see store.h): the module's only SQL. */
#include "gis/store_sql.h"
#include "services/modules/waste/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/calendar.h"

/* A failed step of st: ERR_IO with the connection's message, read before st is finalized. */
static enum err_code step_err(sqlite3_stmt *st, struct err *e, const char *what)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(sqlite3_db_handle(st)));
}

static const char *col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_strdup(a, (const char *)t) : NULL;
}

static const char *col_raw(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Runs a prepared write to its end; finalizes it. */
static enum err_code write_run(sqlite3_stmt *st, const char *what, struct err *e)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        step_err(st, e, what);
    sqlite3_finalize(st);
    return e->code;
}

/* ---- settings ---- */

static const char setting_sql[] = "SELECT value FROM waste_settings WHERE key = ?";

char *waste_store_setting(struct gis_store *s, const char *key)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, setting_sql, &e);
    char *v = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup(col_raw(st, 0));
    gis_store_release(st);
    return v;
}

/* ---- zones ---- */

static const char zones_sql[] = "SELECT id, code, name, AsBinary(geom) FROM waste_zones ORDER BY id";

enum err_code waste_store_zones_each(struct gis_store *s,
                                     bool (*fn)(void *ctx, const struct waste_store_zone *z, struct err *e), void *ctx,
                                     struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(s, zones_sql, e);
    if (!st)
        return e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int len = sqlite3_column_bytes(st, 3);
        struct waste_store_zone z = {.id = sqlite3_column_int64(st, 0),
                                     .code = col_raw(st, 1),
                                     .name = col_raw(st, 2),
                                     .wkb = sqlite3_column_blob(st, 3),
                                     .wkb_len = len > 0 ? (size_t)len : 0};
        if (!fn(ctx, &z, e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "waste zones");
    gis_store_release(st);
    return e->code;
}

enum err_code waste_store_zones_from_obreby(struct gis_store *w, int nz, struct err *e)
{
    sqlite3_stmt *st = NULL;
    enum err_code rc = gis_store_prepare(
        w,
        "INSERT INTO waste_zones (code, name, description, geom) "
        "SELECT 'R' || (?1 + 1), 'Rejon ' || (?1 + 1) || ': ' || group_concat(name, ', '), "
        "'obręby: ' || group_concat(number, ', '), "
        "CastToMultiPolygon(ST_Union(geom)) FROM (SELECT name, number, geom, row_number() OVER (ORDER BY id) - 1 "
        "AS rn FROM obreby) WHERE rn % ?2 = ?1",
        &st, e);
    for (int k = 0; !rc && k < nz; k++) {
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, k);
        sqlite3_bind_int(st, 2, nz);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = step_err(st, e, "waste zones");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- fractions and collection rules ---- */

static const char fractions_sql[] = "SELECT code, name FROM waste_fractions ORDER BY ord, code";
static const char rules_sql[] = "SELECT zone_id, fraction, kind, weekday, interval_weeks, anchor, nth, "
                                "months, building FROM waste_rules ORDER BY zone_id, fraction, id";

enum err_code waste_store_fractions_each(struct gis_store *s,
                                         bool (*fn)(void *ctx, const char *code, const char *name, struct err *e),
                                         void *ctx, struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(s, fractions_sql, e);
    if (!st)
        return e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!fn(ctx, col_raw(st, 0), col_raw(st, 1), e))
            break;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "waste rules");
    gis_store_release(st);
    return e->code;
}

static const char *const rule_kinds[] = {
    [WASTE_WEEKLY] = "weekly", [WASTE_EVERY_N_WEEKS] = "every_n_weeks", [WASTE_MONTHLY] = "monthly"};

enum err_code waste_store_rules_each(struct gis_store *s,
                                     bool (*fn)(void *ctx, long zone_id, const struct waste_rule *r, struct err *e),
                                     void *ctx, struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(s, rules_sql, e);
    if (!st)
        return e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = col_raw(st, 2);
        if (!kind)
            continue;
        struct waste_rule r = {
            .fraction = col_raw(st, 1),
            .kind = !strcmp(kind, "monthly")         ? WASTE_MONTHLY
                    : !strcmp(kind, "every_n_weeks") ? WASTE_EVERY_N_WEEKS
                                                     : WASTE_WEEKLY,
            .weekday = sqlite3_column_int(st, 3),
            .interval = sqlite3_column_int(st, 4),
            .nth = sqlite3_column_int(st, 6),
            .months = sqlite3_column_int(st, 7),
            .building = waste_building_parse(col_raw(st, 8)) > 0 ? waste_building_parse(col_raw(st, 8)) : 0,
        };
        if (r.kind == WASTE_EVERY_N_WEEKS && !gis_cal_parse_date(col_raw(st, 5), &r.anchor))
            r.anchor = gis_cal_day(2024, 1, 1);
        if (!fn(ctx, (long)sqlite3_column_int64(st, 0), &r, e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "waste rules");
    gis_store_release(st);
    return e->code;
}

static const char rule_add_sql[] =
    "INSERT INTO waste_rules (zone_id, fraction, kind, weekday, interval_weeks, anchor, "
    "nth, months, building) SELECT id, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9 FROM waste_zones WHERE code = ?8";

enum err_code waste_store_rule_add(struct gis_store *w, const char *zone_code, const struct waste_rule *r,
                                   struct err *e)
{
    if ((unsigned)r->kind >= sizeof rule_kinds / sizeof rule_kinds[0])
        return err_set(e, ERR_INTERNAL, "unknown kind of waste rule");
    sqlite3_stmt *st = gis_store_cached(w, rule_add_sql, e);
    if (!st)
        return e->code;
    char anchor[11];
    gis_cal_format_date(r->anchor, anchor);
    sqlite3_bind_text(st, 1, r->fraction, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rule_kinds[r->kind], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->weekday);
    sqlite3_bind_int(st, 4, r->interval);
    if (r->kind == WASTE_EVERY_N_WEEKS)
        sqlite3_bind_text(st, 5, anchor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, r->nth);
    sqlite3_bind_int(st, 7, r->months);
    sqlite3_bind_text(st, 8, zone_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, waste_building_name((enum waste_building)r->building), -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        step_err(st, e, "waste rules");
    gis_store_release(st);
    return e->code;
}

/* ---- rate tables ---- */

enum err_code waste_store_rates(struct gis_store *s, struct waste_rate *out, int cap, int *n, struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT id, method, valid_from, nonsort_multiplier, compost_discount_gr, "
                          "compost_per_resident FROM waste_rates ORDER BY method, valid_from LIMIT ?",
                          &st, e))
        return e->code;
    long *ids = malloc(sizeof *ids * (size_t)(cap > 0 ? cap : 1));
    if (!ids) {
        sqlite3_finalize(st);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    sqlite3_bind_int(st, 1, cap);
    while (sqlite3_step(st) == SQLITE_ROW && *n < cap) {
        struct waste_rate *r = &out[*n];
        memset(r, 0, sizeof *r);
        int m = waste_method_parse(col_raw(st, 1));
        if (m < 0 || !gis_cal_parse_month(col_raw(st, 2), &r->valid_from))
            continue;
        r->method = (enum waste_method)m;
        r->nonsort_multiplier = sqlite3_column_double(st, 3);
        r->compost_discount_gr = sqlite3_column_int64(st, 4);
        r->compost_per_resident = sqlite3_column_int(st, 5) != 0;
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (gis_store_prepare(s, "SELECT key, amount_gr FROM waste_rate_items WHERE rate_id = ? ORDER BY key", &st, e)) {
        free(ids);
        return e->code;
    }
    for (int i = 0; i < *n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        while (sqlite3_step(st) == SQLITE_ROW && out[i].nitems < WASTE_MAX_ITEMS) {
            out[i].items[out[i].nitems].key = sqlite3_column_int(st, 0);
            out[i].items[out[i].nitems].amount_gr = sqlite3_column_int64(st, 1);
            out[i].nitems++;
        }
    }
    sqlite3_finalize(st);
    free(ids);
    return ERR_OK;
}

enum err_code waste_store_rate_add(struct gis_store *w, const struct waste_rate *r, long *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO waste_rates (method, valid_from, nonsort_multiplier, compost_discount_gr, "
                          "compost_per_resident) VALUES (?, ?, ?, ?, ?) ON CONFLICT (method, valid_from) DO NOTHING",
                          &st, e))
        return e->code;
    sqlite3 *db = sqlite3_db_handle(st);
    char month[8];
    gis_cal_format_month(r->valid_from, month);
    sqlite3_bind_text(st, 1, waste_method_name(r->method), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, month, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, r->nonsort_multiplier);
    sqlite3_bind_int64(st, 4, r->compost_discount_gr);
    sqlite3_bind_int(st, 5, r->compost_per_resident);
    if (write_run(st, "rate table", e))
        return e->code;
    if (!sqlite3_changes(db))
        return err_set(e, ERR_CONFLICT, "a %s rate table from %s exists already", waste_method_name(r->method), month);
    *id = (long)sqlite3_last_insert_rowid(db);
    for (int i = 0; i < r->nitems; i++) {
        if (gis_store_prepare(w, "INSERT INTO waste_rate_items (rate_id, key, amount_gr) VALUES (?, ?, ?)", &st, e))
            return e->code;
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int(st, 2, r->items[i].key);
        sqlite3_bind_int64(st, 3, r->items[i].amount_gr);
        if (write_run(st, "rate item", e))
            return e->code;
    }
    return ERR_OK;
}

/* ---- payers ---- */

enum err_code waste_store_payer_add(struct gis_store *w, const char *name, long *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "INSERT INTO waste_payers (name, created_at) VALUES (?, datetime('now'))", &st, e))
        return e->code;
    sqlite3 *db = sqlite3_db_handle(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (write_run(st, "payer", e))
        return e->code;
    *id = (long)sqlite3_last_insert_rowid(db);
    return ERR_OK;
}

enum err_code waste_store_payer_set_account(struct gis_store *w, long id, const char *account, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "UPDATE waste_payers SET account = ? WHERE id = ?", &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    return write_run(st, "payer account", e);
}

enum err_code waste_store_payer_get(struct gis_store *s, struct arena *a, long id, const char **name,
                                    const char **account, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT name, account FROM waste_payers WHERE id = ?", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (name)
            *name = col_text(a, st, 0);
        if (account)
            *account = col_text(a, st, 1);
    } else if (rc == SQLITE_DONE) {
        err_set(e, ERR_NOT_FOUND, "no payer %ld", id);
    } else {
        step_err(st, e, "payer");
    }
    sqlite3_finalize(st);
    return e->code;
}

/* ---- payers and accounts ---- */

enum err_code waste_store_payer_link(struct gis_store *w, long payer_id, long long account, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT OR IGNORE INTO waste_payer_accounts (payer_id, account, linked_at) "
                          "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int64(st, 2, account);
    return write_run(st, "payer link", e);
}

bool waste_store_payer_linked(struct gis_store *s, long payer_id, long long account)
{
    struct err e = {0};
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT 1 FROM waste_payer_accounts WHERE payer_id = ? AND account = ?", &st, &e))
        return false;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int64(st, 2, account);
    bool linked = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return linked;
}

enum err_code waste_store_account_payers(struct gis_store *s, long long account, long *ids, int cap, int *n,
                                         struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT payer_id FROM waste_payer_accounts WHERE account = ? ORDER BY payer_id", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, account);
    int rc = SQLITE_DONE;
    while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[(*n)++] = (long)sqlite3_column_int64(st, 0);
    if (*n < cap && rc != SQLITE_DONE)
        step_err(st, e, "payers of an account");
    sqlite3_finalize(st);
    return e->code;
}

enum err_code waste_store_payer_accounts(struct gis_store *s, long payer_id, long long *ids, int cap, int *n,
                                         struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT account FROM waste_payer_accounts WHERE payer_id = ? ORDER BY account", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    while (*n < cap && sqlite3_step(st) == SQLITE_ROW)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ERR_OK;
}

enum err_code waste_store_account_unlink(struct gis_store *w, long long account, int *n, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "DELETE FROM waste_payer_accounts WHERE account = ?", &st, e))
        return e->code;
    sqlite3 *db = sqlite3_db_handle(st);
    sqlite3_bind_int64(st, 1, account);
    if (write_run(st, "payer links", e))
        return e->code;
    *n = sqlite3_changes(db);
    return ERR_OK;
}

/* ---- declarations ---- */

/* A household's containers as "120x2,240x4" (litres x emptyings a month). */
static void containers_text(const struct waste_household *h, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < h->ncontainers && o < size - 24; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%dx%d", i ? "," : "", h->containers[i].litres,
                              h->containers[i].per_month);
}

static void containers_parse(const char *s, struct waste_household *h)
{
    h->ncontainers = 0;
    while (s && *s && h->ncontainers < WASTE_MAX_CONTAINERS) {
        int l, p, used = 0;
        if (sscanf(s, "%dx%d%n", &l, &p, &used) != 2)
            break;
        h->containers[h->ncontainers].litres = l;
        h->containers[h->ncontainers].per_month = p;
        h->ncontainers++;
        s += used;
        if (*s == ',')
            s++;
    }
}

enum err_code waste_store_declaration_add(struct gis_store *w, const struct waste_declaration *d, long *id,
                                          struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO waste_declarations (payer_id, kind, address_id, address_label, parcel_id, "
                          "residents, composting, sorting, water_m3, containers, method, fee_gr, change_date, "
                          "valid_from, filed_at, filing, reason, case_id, pesel, nip, legal_title, building, cause, "
                          "requested_from, area_m2, summer_house) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?, coalesce(?15, "
                          "strftime('%Y-%m-%dT%H:%M:%SZ','now')), ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
                          "?26)",
                          &st, e))
        return e->code;
    sqlite3 *db = sqlite3_db_handle(st);
    char cdate[11], vmonth[8], containers[256];
    gis_cal_format_date(d->change_day, cdate);
    gis_cal_format_month(d->valid_from, vmonth);
    containers_text(&d->h, containers, sizeof containers);
    sqlite3_bind_int64(st, 1, d->payer_id);
    sqlite3_bind_text(st, 2, d->nonresidential ? "nonresidential" : "residential", -1, SQLITE_STATIC);
    if (d->address_id)
        sqlite3_bind_int64(st, 3, d->address_id);
    sqlite3_bind_text(st, 4, d->address_label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->parcel_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, d->h.residents);
    sqlite3_bind_int(st, 7, d->h.composting);
    sqlite3_bind_int(st, 8, d->h.sorting);
    if (d->method == WASTE_WATER)
        sqlite3_bind_double(st, 9, d->h.water_m3);
    sqlite3_bind_text(st, 10, d->h.ncontainers ? containers : NULL, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, waste_method_name(d->method), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, d->fee_gr);
    sqlite3_bind_text(st, 13, cdate, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, vmonth, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 15, d->filed_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, waste_filing_name(d->filing), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, d->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, d->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 19, d->pesel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 20, d->nip, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 21, waste_title_name(d->title), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 22, waste_building_name(d->building), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 23, d->cause == WASTE_CAUSE_DEATH ? "death" : NULL, -1, SQLITE_STATIC);
    char rmonth[8];
    gis_cal_format_month(d->requested_from, rmonth);
    sqlite3_bind_text(st, 24, d->requested_from ? rmonth : NULL, -1, SQLITE_TRANSIENT);
    if (d->method == WASTE_AREA)
        sqlite3_bind_double(st, 25, d->h.area_m2);
    sqlite3_bind_int(st, 26, d->summer);
    if (write_run(st, "declaration", e))
        return e->code;
    *id = (long)sqlite3_last_insert_rowid(db);
    return ERR_OK;
}

#define DECL_COLS                                                                                                      \
    "d.id, d.payer_id, p.name, p.account, d.kind, d.address_id, d.address_label, d.parcel_id, d.residents, "           \
    "d.composting, d.sorting, d.water_m3, d.containers, d.method, d.fee_gr, d.change_date, d.valid_from, d.filed_at, " \
    "d.filing, d.reason, d.case_id, c.case_number, c.status, d.pesel, d.nip, d.legal_title, d.building, d.cause, "     \
    "d.requested_from, d.area_m2, d.summer_house"
/* The declarations with their payer and case (the core table cases, read only). */
#define DECL_FROM                                                                                                      \
    " FROM waste_declarations d JOIN waste_payers p ON p.id = d.payer_id LEFT JOIN cases c ON c.id = d.case_id "

static void decl_row(struct arena *a, sqlite3_stmt *st, struct waste_declaration *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    d->payer_id = sqlite3_column_int64(st, 1);
    d->payer_name = col_text(a, st, 2);
    d->account = col_text(a, st, 3);
    const char *kind = col_raw(st, 4);
    d->nonresidential = kind && !strcmp(kind, "nonresidential");
    d->address_id = sqlite3_column_int64(st, 5);
    d->address_label = col_text(a, st, 6);
    d->parcel_id = col_text(a, st, 7);
    d->h.residents = sqlite3_column_int(st, 8);
    d->h.composting = sqlite3_column_int(st, 9) != 0;
    d->h.sorting = sqlite3_column_int(st, 10) != 0;
    d->h.water_m3 = sqlite3_column_double(st, 11);
    containers_parse(col_raw(st, 12), &d->h);
    int m = waste_method_parse(col_raw(st, 13));
    d->method = m < 0 ? WASTE_HOUSEHOLD : (enum waste_method)m;
    d->fee_gr = sqlite3_column_int64(st, 14);
    if (!gis_cal_parse_date(col_raw(st, 15), &d->change_day))
        d->change_day = 0;
    if (!gis_cal_parse_month(col_raw(st, 16), &d->valid_from))
        d->valid_from = 0;
    d->filed_at = col_text(a, st, 17);
    int f = waste_filing_parse(col_raw(st, 18));
    d->filing = f < 0 ? WASTE_FILING_FIRST : (enum waste_filing)f;
    d->reason = col_text(a, st, 19);
    d->case_id = col_text(a, st, 20);
    d->case_number = col_text(a, st, 21);
    d->case_status = col_text(a, st, 22);
    d->pesel = col_text(a, st, 23);
    d->nip = col_text(a, st, 24);
    int t = waste_title_parse(col_raw(st, 25));
    d->title = t < 0 ? WASTE_TITLE_NONE : (enum waste_title)t;
    int b = waste_building_parse(col_raw(st, 26));
    d->building = b < 0 ? WASTE_BUILDING_NONE : (enum waste_building)b;
    d->cause = col_raw(st, 27) && !strcmp(col_raw(st, 27), "death") ? WASTE_CAUSE_DEATH : WASTE_CAUSE_NONE;
    if (!gis_cal_parse_month(col_raw(st, 28), &d->requested_from))
        d->requested_from = 0;
    d->h.area_m2 = sqlite3_column_double(st, 29);
    d->summer = sqlite3_column_int(st, 30) != 0;
}

enum err_code waste_store_declarations(struct gis_store *s, struct arena *a, long payer_id, int max,
                                       struct waste_declaration **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT " DECL_COLS DECL_FROM "WHERE d.payer_id = ? ORDER BY d.id DESC LIMIT ?", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int(st, 2, max);
    struct waste_declaration *list = arena_alloc(a, sizeof *list * (size_t)(max > 0 ? max : 1));
    while (list && *n < max && sqlite3_step(st) == SQLITE_ROW)
        decl_row(a, st, &list[(*n)++]);
    sqlite3_finalize(st);
    if (!list)
        return err_set(e, ERR_INTERNAL, "out of memory");
    *out = list;
    return ERR_OK;
}

enum err_code waste_store_declarations_each(struct gis_store *s, struct arena *a,
                                            bool (*fn)(void *ctx, const struct waste_declaration *d, struct err *e),
                                            void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT " DECL_COLS DECL_FROM "ORDER BY d.payer_id, d.valid_from, d.id", &st, e))
        return e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct waste_declaration d;
        decl_row(a, st, &d);
        if (!fn(ctx, &d, e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "declarations");
    sqlite3_finalize(st);
    return e->code;
}

/* ---- decisions of art. 6ka ---- */

enum err_code waste_store_nonsort_add(struct gis_store *w, const struct waste_nonsort *n, long *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO waste_nonsort_decisions (payer_id, from_month, to_month, multiplier, case_id, "
                          "reason, decided_at) VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                          &st, e))
        return e->code;
    sqlite3 *db = sqlite3_db_handle(st);
    char from[8], to[8];
    gis_cal_format_month(n->from, from);
    gis_cal_format_month(n->to, to);
    sqlite3_bind_int64(st, 1, n->payer_id);
    sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, n->multiplier);
    sqlite3_bind_text(st, 5, n->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, n->reason, -1, SQLITE_STATIC);
    if (write_run(st, "decision", e))
        return e->code;
    *id = (long)sqlite3_last_insert_rowid(db);
    return ERR_OK;
}

bool waste_store_nonsort_overlaps(struct gis_store *s, long payer_id, int from, int to)
{
    struct err e = {0};
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT 1 FROM waste_nonsort_decisions WHERE payer_id = ? AND from_month <= ? AND "
                          "to_month >= ?",
                          &st, &e))
        return true; /* unreadable: refuse rather than double a decision */
    char f[8], t[8];
    gis_cal_format_month(from, f);
    gis_cal_format_month(to, t);
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_text(st, 2, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, f, -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static const char nonsort_month_sql[] = "SELECT multiplier FROM waste_nonsort_decisions WHERE payer_id = ? AND "
                                        "from_month <= ?2 AND to_month >= ?2 ORDER BY id DESC LIMIT 1";

double waste_store_nonsort_multiplier(struct gis_store *s, long payer_id, int month)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, nonsort_month_sql, &e);
    if (!st)
        return 0;
    char m[8];
    gis_cal_format_month(month, m);
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_text(st, 2, m, -1, SQLITE_TRANSIENT);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
    gis_store_release(st);
    return v;
}

enum err_code waste_store_nonsort_list(struct gis_store *s, struct arena *a, long payer_id, int max,
                                       struct waste_nonsort **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT n.id, n.from_month, n.to_month, n.multiplier, n.case_id, c.case_number, n.reason, "
                          "n.decided_at FROM waste_nonsort_decisions n LEFT JOIN cases c ON c.id = n.case_id "
                          "WHERE n.payer_id = ? ORDER BY n.from_month, n.id LIMIT ?",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int(st, 2, max);
    struct waste_nonsort *list = arena_alloc(a, sizeof *list * (size_t)(max > 0 ? max : 1));
    while (list && *n < max && sqlite3_step(st) == SQLITE_ROW) {
        struct waste_nonsort *x = &list[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = (long)sqlite3_column_int64(st, 0);
        x->payer_id = payer_id;
        if (!gis_cal_parse_month(col_raw(st, 1), &x->from) || !gis_cal_parse_month(col_raw(st, 2), &x->to))
            x->from = x->to = 0;
        x->multiplier = sqlite3_column_double(st, 3);
        x->case_id = col_text(a, st, 4);
        x->case_number = col_text(a, st, 5);
        x->reason = col_text(a, st, 6);
        x->decided_at = col_text(a, st, 7);
    }
    sqlite3_finalize(st);
    if (!list)
        return err_set(e, ERR_INTERNAL, "out of memory");
    *out = list;
    return ERR_OK;
}

/* ---- charges and balances ---- */

static const char charge_put_sql[] = "INSERT INTO waste_charges (payer_id, month, amount_gr, declaration_id, due_date) "
                                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (payer_id, month) DO UPDATE SET "
                                     "amount_gr = excluded.amount_gr, declaration_id = excluded.declaration_id, "
                                     "due_date = excluded.due_date WHERE amount_gr != excluded.amount_gr "
                                     "OR declaration_id != excluded.declaration_id OR due_date != excluded.due_date";

enum err_code waste_store_charge_put(struct gis_store *w, long payer_id, int month, long amount_gr, long declaration_id,
                                     int due_day, long *changed, struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(w, charge_put_sql, e);
    if (!st)
        return e->code;
    char mb[8], due[11];
    gis_cal_format_month(month, mb);
    gis_cal_format_date(due_day, due);
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_text(st, 2, mb, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, amount_gr);
    sqlite3_bind_int64(st, 4, declaration_id);
    sqlite3_bind_text(st, 5, due, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        step_err(st, e, "charges");
    else
        *changed += sqlite3_changes(sqlite3_db_handle(st));
    gis_store_release(st);
    return e->code;
}

enum err_code waste_store_charges_due_each(struct gis_store *s, int day,
                                           bool (*fn)(void *ctx, long payer_id, int month, long amount_gr,
                                                      struct err *e),
                                           void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT payer_id, month, amount_gr FROM waste_charges WHERE due_date <= ? "
                          "ORDER BY payer_id, month",
                          &st, e))
        return e->code;
    char date[11];
    gis_cal_format_date(day, date);
    sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int month;
        if (!gis_cal_parse_month(col_raw(st, 1), &month))
            continue;
        if (!fn(ctx, (long)sqlite3_column_int64(st, 0), month, (long)sqlite3_column_int64(st, 2), e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "charges");
    sqlite3_finalize(st);
    return e->code;
}

/* One sum of the balance: the first column of the query's one row, bound to the payer and, when date is not
 * NULL, to a date or month. */
static long sum_query(struct gis_store *s, const char *sql, long payer_id, const char *date, struct err *e)
{
    sqlite3_stmt *st;
    long v = 0;
    if (e->code || gis_store_prepare(s, sql, &st, e))
        return 0;
    sqlite3_bind_int64(st, 1, payer_id);
    if (date)
        sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        step_err(st, e, "balance");
    sqlite3_finalize(st);
    return v;
}

enum err_code waste_store_balance(struct gis_store *s, struct arena *a, long payer_id, int day,
                                  struct waste_balance *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (waste_store_payer_get(s, a, payer_id, &out->name, &out->account, e))
        return e->code;
    out->payer_id = payer_id;
    char d[11], mb[8];
    gis_cal_format_date(day, d);
    int y, m, dd;
    gis_cal_ymd(day, &y, &m, &dd);
    gis_cal_format_month(y * 12 + m - 1, mb);
    out->charged_gr =
        sum_query(s, "SELECT coalesce(sum(amount_gr), 0) FROM waste_charges WHERE payer_id = ?", payer_id, NULL, e);
    out->due_gr =
        sum_query(s, "SELECT coalesce(sum(amount_gr), 0) FROM waste_charges WHERE payer_id = ? AND due_date <= ?",
                  payer_id, d, e);
    out->paid_gr = sum_query(s,
                             "SELECT coalesce((SELECT paid_gr FROM pay_accounts WHERE module = 'waste' AND "
                             "record = CAST(? AS TEXT)), 0)",
                             payer_id, NULL, e);
    out->monthly_fee_gr = sum_query(s,
                                    "SELECT coalesce((SELECT fee_gr FROM waste_declarations WHERE payer_id = ? AND "
                                    "valid_from <= ? ORDER BY valid_from DESC, id DESC LIMIT 1), 0)",
                                    payer_id, mb, e);
    return e->code;
}

/* ---- the payer's account on the payments core ---- */

enum err_code waste_store_charges_of(struct gis_store *s, long payer_id, struct waste_store_charge *out, int cap,
                                     int *n, struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT month, due_date, amount_gr FROM waste_charges WHERE payer_id = ? ORDER BY month",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct waste_store_charge c = {.amount_gr = (long)sqlite3_column_int64(st, 2)};
        if (!gis_cal_parse_month(col_raw(st, 0), &c.month) || !gis_cal_parse_date(col_raw(st, 1), &c.due_day))
            continue;
        if (*n == cap) {
            sqlite3_finalize(st);
            return err_set(e, ERR_UNAVAILABLE, "payer %ld has more than %d charges", payer_id, cap);
        }
        out[(*n)++] = c;
    }
    if (rc != SQLITE_DONE)
        step_err(st, e, "charges");
    sqlite3_finalize(st);
    return e->code;
}

/* The one write of the module to a core table: the due of its payers' virtual accounts (pay_accounts.due_gr),
 * which the core compares with what was paid when it books a line (allocated or credit). */
enum err_code waste_store_accounts_due(struct gis_store *w, long payer_id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "UPDATE pay_accounts SET due_gr = "
                          "coalesce((SELECT sum(amount_gr) FROM waste_charges c WHERE c.payer_id = "
                          "CAST(pay_accounts.record AS INTEGER)), 0) + "
                          "coalesce((SELECT sum(cost_gr) FROM waste_reminders r WHERE r.payer_id = "
                          "CAST(pay_accounts.record AS INTEGER)), 0) "
                          "WHERE module = 'waste' AND (?1 = 0 OR record = CAST(?1 AS TEXT))",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    return write_run(st, "accounts' due", e);
}

enum err_code waste_store_payers_due(struct gis_store *s, int day, long *ids, int cap, int *n, struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT DISTINCT payer_id FROM waste_charges WHERE due_date < ? ORDER BY payer_id", &st,
                          e))
        return e->code;
    char d[11];
    gis_cal_format_date(day, d);
    sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap)
        ids[(*n)++] = (long)sqlite3_column_int64(st, 0);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        step_err(st, e, "payers");
    sqlite3_finalize(st);
    return e->code;
}

enum err_code waste_store_reminder_add(struct gis_store *w, const struct waste_reminder *r, long *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO waste_reminders (payer_id, case_id, case_number, issued_on, principal_gr, "
                          "interest_gr, cost_gr, total_gr, interest_to, sha256, sealed, pdf, issued_by) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          &st, e))
        return e->code;
    char on[11], to[11];
    gis_cal_format_date(r->issued_on, on);
    gis_cal_format_date(r->interest_to, to);
    sqlite3_bind_int64(st, 1, r->payer_id);
    sqlite3_bind_text(st, 2, r->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->case_number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, on, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->principal_gr);
    sqlite3_bind_int64(st, 6, r->interest_gr);
    sqlite3_bind_int64(st, 7, r->cost_gr);
    sqlite3_bind_int64(st, 8, r->total_gr);
    sqlite3_bind_text(st, 9, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, r->sealed);
    sqlite3_bind_blob64(st, 12, r->pdf, r->pdf_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, r->issued_by, -1, SQLITE_STATIC);
    if (write_run(st, "upomnienie", e))
        return e->code;
    *id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    return ERR_OK;
}

#define REMINDER_COLS                                                                                                  \
    "SELECT id, payer_id, case_id, case_number, issued_on, principal_gr, interest_gr, cost_gr, total_gr, "             \
    "interest_to, sha256, sealed, issued_by, length(pdf), CASE WHEN ?2 THEN pdf END FROM waste_reminders "

static void reminder_row(struct arena *a, sqlite3_stmt *st, struct waste_reminder *r)
{
    *r = (struct waste_reminder){.id = (long)sqlite3_column_int64(st, 0),
                                 .payer_id = (long)sqlite3_column_int64(st, 1),
                                 .case_id = col_text(a, st, 2),
                                 .case_number = col_text(a, st, 3),
                                 .principal_gr = (long)sqlite3_column_int64(st, 5),
                                 .interest_gr = (long)sqlite3_column_int64(st, 6),
                                 .cost_gr = (long)sqlite3_column_int64(st, 7),
                                 .total_gr = (long)sqlite3_column_int64(st, 8),
                                 .sha256 = col_text(a, st, 10),
                                 .sealed = sqlite3_column_int(st, 11) != 0,
                                 .issued_by = col_text(a, st, 12),
                                 .pdf_len = (size_t)sqlite3_column_int64(st, 13)};
    gis_cal_parse_date(col_raw(st, 4), &r->issued_on);
    gis_cal_parse_date(col_raw(st, 9), &r->interest_to);
    const void *blob = sqlite3_column_blob(st, 14);
    if (blob) {
        unsigned char *p = arena_alloc(a, r->pdf_len + 1);
        if (p)
            memcpy(p, blob, r->pdf_len);
        r->pdf = p;
    }
}

enum err_code waste_store_reminders(struct gis_store *s, struct arena *a, long payer_id, int max,
                                    struct waste_reminder **out, int *n, struct err *e)
{
    *n = 0;
    *out = arena_alloc(a, sizeof **out * (size_t)max);
    sqlite3_stmt *st;
    if (!*out)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (gis_store_prepare(s, REMINDER_COLS "WHERE payer_id = ?1 ORDER BY id", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int(st, 2, 0);
    int rc = SQLITE_DONE;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        reminder_row(a, st, &(*out)[(*n)++]);
    if (*n < max && rc != SQLITE_DONE)
        step_err(st, e, "upomnienia");
    sqlite3_finalize(st);
    return e->code;
}

enum err_code waste_store_reminder_get(struct gis_store *s, struct arena *a, long id, bool with_pdf,
                                       struct waste_reminder *out, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, REMINDER_COLS "WHERE id = ?1", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, with_pdf);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        reminder_row(a, st, out);
    else if (rc == SQLITE_DONE)
        err_set(e, ERR_NOT_FOUND, "no upomnienie %ld", id);
    else
        step_err(st, e, "upomnienie");
    sqlite3_finalize(st);
    return e->code;
}

/* ---- the core tables the demo data reads ---- */

enum err_code waste_store_addresses_each(struct gis_store *s,
                                         bool (*fn)(void *ctx, const struct waste_store_address *ad, struct err *e),
                                         void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT a.id, s.prefix, s.name, a.number, coalesce(a.postal_code, l.postal_code), "
                          "l.name, a.parcel_id FROM addresses a JOIN localities l ON l.id = a.locality_id "
                          "LEFT JOIN streets s ON s.id = a.street_id ORDER BY a.id",
                          &st, e))
        return e->code;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct waste_store_address ad = {(long)sqlite3_column_int64(st, 0),
                                         col_raw(st, 1),
                                         col_raw(st, 2),
                                         col_raw(st, 3),
                                         col_raw(st, 4),
                                         col_raw(st, 5),
                                         col_raw(st, 6)};
        if (!fn(ctx, &ad, e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        step_err(st, e, "addresses");
    sqlite3_finalize(st);
    return e->code;
}
