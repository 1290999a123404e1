/* e-Odpady below HTTP: collection rules, the holiday shift, fees and the waste tables (see waste.h). */
#include "services/modules/waste/waste.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/changes.h"
#include "gis/places.h"

/* The index of s in names (n of them), or -1: the enum values of the setting and method names. */
static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

#define NAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const shift_names[] = {"none", "next_day", "next_working_day", "previous_working_day", "skip"};

int waste_shift_parse(const char *s)
{
    return name_index(shift_names, NAMES(shift_names), s);
}

const char *waste_shift_name(enum waste_shift s)
{
    return (unsigned)s < (unsigned)NAMES(shift_names) ? shift_names[s] : "?";
}

static bool day_off(int day)
{
    return gis_cal_weekday(day) == 7 || gis_cal_holiday(day);
}

/* The day a collection planned on day actually happens, or -1 when it is dropped. */
static int shift_day(int day, enum waste_shift shift)
{
    if (shift == WASTE_SHIFT_NONE || !day_off(day))
        return day;
    switch (shift) {
    case WASTE_SHIFT_NEXT_DAY:
        while (day_off(day))
            day++;
        return day;
    case WASTE_SHIFT_NEXT_WORKING:
        while (!gis_cal_working_day(day))
            day++;
        return day;
    case WASTE_SHIFT_PREV_WORKING:
        while (!gis_cal_working_day(day))
            day--;
        return day;
    default: return -1;
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The nth (or last, nth = -1) weekday w of month m of year y. */
static int nth_weekday(int y, int m, int w, int nth)
{
    if (nth > 0) {
        int first = gis_cal_day(y, m, 1);
        return first + (w - gis_cal_weekday(first) + 7) % 7 + 7 * (nth - 1);
    }
    int last = gis_cal_day(y, m, gis_cal_days_in_month(y, m));
    return last - (gis_cal_weekday(last) - w + 7) % 7;
}

int waste_rule_dates(const struct waste_rule *r, int from, int to, enum waste_shift shift, int *out, int cap)
{
    if (r->weekday < 1 || r->weekday > 7 || from > to || cap <= 0)
        return 0;
    /* A shift moves a day by at most a few days; look a little beyond both ends. */
    int lo = from - 10, hi = to + 10, n = 0;
    int y, m, d;
    if (r->kind == WASTE_MONTHLY) {
        if (r->nth != -1 && (r->nth < 1 || r->nth > 4))
            return 0;
        gis_cal_ymd(lo, &y, &m, &d);
        for (int mi = y * 12 + m - 1;; mi++) {
            int day = nth_weekday(mi / 12, mi % 12 + 1, r->weekday, r->nth);
            if (day > hi)
                break;
            if (day < lo || !(r->months & (1 << (mi % 12))))
                continue;
            int s = shift_day(day, shift);
            if (s >= from && s <= to && n < cap)
                out[n++] = s;
            if (n == cap)
                break;
        }
    } else {
        int step = 7 * (r->kind == WASTE_EVERY_N_WEEKS ? r->interval : 1);
        if (step < 7 || step > 7 * 52)
            return 0;
        int anchor = r->kind == WASTE_EVERY_N_WEEKS ? r->anchor : lo;
        anchor += (r->weekday - gis_cal_weekday(anchor) + 7) % 7; /* onto the rule's weekday */
        long k = ((long)lo - anchor) / step;
        int day = anchor + (int)(k * step);
        while (day < lo)
            day += step;
        for (; day <= hi; day += step) {
            gis_cal_ymd(day, &y, &m, &d);
            if (!(r->months & (1 << (m - 1))))
                continue;
            int s = shift_day(day, shift);
            if (s >= from && s <= to && n < cap)
                out[n++] = s;
            if (n == cap)
                break;
        }
    }
    qsort(out, (size_t)n, sizeof *out, cmp_int);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || out[u - 1] != out[i])
            out[u++] = out[i];
    return u;
}

/* ---- fees ---- */

static const char *const method_names[] = {"household", "resident", "water_m3", "container"};

int waste_method_parse(const char *s)
{
    return name_index(method_names, NAMES(method_names), s);
}

const char *waste_method_name(enum waste_method m)
{
    return (unsigned)m < (unsigned)NAMES(method_names) ? method_names[m] : "?";
}

enum err_code waste_fee(const struct waste_rate *r, const struct waste_household *h, long *fee_gr, struct err *e)
{
    *fee_gr = 0;
    if (h->residents < 0 || h->residents > WASTE_MAX_RESIDENTS)
        return err_param(e, "residents", "residents must be from 0 to %d", WASTE_MAX_RESIDENTS);
    double base = 0;
    switch (r->method) {
    case WASTE_HOUSEHOLD: {
        if (h->residents < 1)
            return err_param(e, "residents", "a household declaration needs at least one resident");
        int best = -1;
        for (int i = 0; i < r->nitems; i++)
            if (r->items[i].key <= h->residents && (best < 0 || r->items[i].key > r->items[best].key))
                best = i;
        if (best < 0)
            return err_set(e, ERR_UNPROCESSABLE, "the rate table has no amount for a household of %d", h->residents);
        base = (double)r->items[best].amount_gr;
        break;
    }
    case WASTE_RESIDENT:
    case WASTE_WATER: {
        int idx = -1;
        for (int i = 0; i < r->nitems; i++)
            if (r->items[i].key == 0)
                idx = i;
        if (idx < 0)
            return err_set(e, ERR_UNPROCESSABLE, "the rate table for %s has no amount", waste_method_name(r->method));
        if (r->method == WASTE_RESIDENT) {
            if (h->residents < 1)
                return err_param(e, "residents", "a per-resident declaration needs at least one resident");
            base = (double)r->items[idx].amount_gr * h->residents;
        } else {
            if (!(h->water_m3 >= 0 && h->water_m3 <= 10000))
                return err_param(e, "water_m3", "water_m3 must be from 0 to 10000");
            base = round((double)r->items[idx].amount_gr * h->water_m3);
        }
        break;
    }
    case WASTE_CONTAINER:
        if (h->ncontainers < 1 || h->ncontainers > WASTE_MAX_CONTAINERS)
            return err_param(e, "containers", "give 1 to %d containers", WASTE_MAX_CONTAINERS);
        for (int c = 0; c < h->ncontainers; c++) {
            int idx = -1;
            for (int i = 0; i < r->nitems; i++)
                if (r->items[i].key == h->containers[c].litres)
                    idx = i;
            if (idx < 0)
                return err_param(e, "containers", "no rate for a %d L container", h->containers[c].litres);
            if (h->containers[c].per_month < 1 || h->containers[c].per_month > 31)
                return err_param(e, "containers", "emptyings a month must be from 1 to 31");
            base += (double)r->items[idx].amount_gr * h->containers[c].per_month;
        }
        break;
    default: return err_set(e, ERR_INTERNAL, "unknown fee method");
    }
    if (!h->sorting)
        base = round(base * r->nonsort_multiplier);
    if (h->composting)
        base -= (double)r->compost_discount_gr * (r->compost_per_resident ? h->residents : 1);
    *fee_gr = base > 0 ? (long)base : 0;
    return ERR_OK;
}

/* ---- store helpers ---- */

const struct gis_ledger waste_ledger = {"waste_payers", "waste_payments", "waste_statements"};

static enum err_code db_err(struct gis_store *s, struct err *e, const char *what)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(s)));
}

static const char *col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_strdup(a, (const char *)t) : NULL;
}

/* The setting's value as a malloc'd string, or NULL when unset. */
static const char *waste_setting_raw(struct gis_store *s, const char *key)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, "SELECT value FROM waste_settings WHERE key = ?", &e);
    char *v = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    gis_store_release(st);
    return v;
}

const char *waste_setting(struct gis_store *s, struct arena *a, const char *key, const char *def)
{
    struct err e = {0};
    const char *v = def;
    sqlite3_stmt *st = gis_store_cached(s, "SELECT value FROM waste_settings WHERE key = ?", &e);
    if (!st)
        return def;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = col_text(a, st, 0);
    gis_store_release(st);
    return v ? v : def;
}

/* The connection's zones in memory, each with its banded point-in-polygon index: a point lookup (every
 * /locate) then costs no query and no geometry decoding. Rebuilt when the store's state changes (every
 * change to waste_zones adds a `changes` row). */
struct zone_index {
    long long state;
    int n;
    struct zone_entry {
        long id;
        char *code, *name;
        double bb[4];
        struct gis_pip *pip;
    } * z;
};

static const char zone_index_key = 0;

static void zone_index_free(void *p)
{
    struct zone_index *zi = p;
    for (int i = 0; zi && i < zi->n; i++) {
        free(zi->z[i].code);
        free(zi->z[i].name);
        gis_pip_free(zi->z[i].pip);
    }
    if (zi)
        free(zi->z);
    free(zi);
}

static char *dup_text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return strdup(t ? t : "");
}

static struct zone_index *zone_index_get(struct gis_store *s, struct err *e)
{
    long long state = gis_store_state(s);
    struct zone_index *zi = gis_store_attached(s, &zone_index_key);
    if (zi && zi->state == state && state >= 0)
        return zi;
    sqlite3_stmt *st = gis_store_cached(s, "SELECT id, code, name, AsBinary(geom) FROM waste_zones ORDER BY id", e);
    if (!st)
        return NULL;
    zi = calloc(1, sizeof *zi);
    int cap = 0, rc = SQLITE_NOMEM;
    while (zi && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *wkb = sqlite3_column_blob(st, 3);
        int len = sqlite3_column_bytes(st, 3);
        struct gis_pip *pip = wkb && len > 0 ? gis_pip_build(wkb, (size_t)len) : NULL;
        if (!pip)
            continue; /* an empty or broken geometry holds no point */
        if (zi->n == cap) {
            cap = cap ? 2 * cap : 32;
            struct zone_entry *z = realloc(zi->z, sizeof *z * (size_t)cap);
            if (!z) {
                gis_pip_free(pip);
                rc = SQLITE_NOMEM;
                break;
            }
            zi->z = z;
        }
        struct zone_entry *z = &zi->z[zi->n++];
        *z = (struct zone_entry){
            .id = sqlite3_column_int64(st, 0), .code = dup_text(st, 1), .name = dup_text(st, 2), .pip = pip};
        gis_pip_bbox(pip, z->bb);
        if (!z->code || !z->name)
            rc = SQLITE_NOMEM;
    }
    gis_store_release(st);
    if (rc != SQLITE_DONE) {
        zone_index_free(zi);
        if (rc == SQLITE_NOMEM)
            err_set(e, ERR_INTERNAL, "out of memory");
        else
            db_err(s, e, "waste zones");
        return NULL;
    }
    zi->state = state;
    if (!gis_store_attach(s, &zone_index_key, zi, zone_index_free)) {
        zone_index_free(zi);
        err_set(e, ERR_INTERNAL, "no room to keep the waste-zone index");
        return NULL;
    }
    return zi;
}

enum err_code waste_zone_at(struct gis_store *s, struct arena *a, double x, double y, struct waste_zone *out,
                            struct err *e)
{
    /* the first zone (by id) whose polygon holds the point or has it on its boundary */
    struct zone_index *zi = zone_index_get(s, e);
    if (!zi)
        return e->code;
    for (int i = 0; i < zi->n; i++) {
        const struct zone_entry *z = &zi->z[i];
        if (x < z->bb[0] - 1e-3 || x > z->bb[2] + 1e-3 || y < z->bb[1] - 1e-3 || y > z->bb[3] + 1e-3 ||
            !gis_pip_locate(z->pip, x, y))
            continue;
        out->id = z->id;
        out->code = arena_strdup(a, z->code);
        out->name = arena_strdup(a, z->name);
        if (!out->code || !out->name)
            return err_set(e, ERR_INTERNAL, "out of memory");
        return ERR_OK;
    }
    return err_set(e, ERR_NOT_FOUND, "no waste-collection zone covers this place");
}

static const char *const weekday_pl[] = {"",         "poniedziałek", "wtorek", "środa",
                                         "czwartek", "piątek",       "sobota", "niedziela"};

static const char *rule_words(struct arena *a, const struct waste_rule *r)
{
    const char *w = weekday_pl[r->weekday];
    const char *season = r->months == 0xFFF ? "" : " (sezonowo)";
    if (r->kind == WASTE_WEEKLY)
        return arena_printf(a, "co tydzień: %s%s", w, season);
    if (r->kind == WASTE_EVERY_N_WEEKS)
        return arena_printf(a, "co %d tygodnie: %s%s", r->interval, w, season);
    if (r->nth == -1)
        return arena_printf(a, "raz w miesiącu: ostatni dzień tygodnia %s%s", w, season);
    return arena_printf(a, "raz w miesiącu: %d. %s miesiąca%s", r->nth, w, season);
}

/* ---- zone writes: each adds its bbox to `changes` for the tile caches (gis/changes.h) ---- */

static enum err_code zones_from_obreby(struct gis_store *w, void *ctx, struct err *e)
{
    int nz = *(const int *)ctx;
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
            rc = err_set(e, ERR_IO, "waste zones: %s", sqlite3_errmsg(gis_store_db(w)));
    }
    sqlite3_finalize(st);
    return rc;
}

enum err_code waste_zones_from_obreby(struct gis_store *w, int nz, struct err *e)
{
    return gis_changes_track(w, "waste_zones", zones_from_obreby, &nz, e);
}

/* The gmina's fractions, rules and holiday shift, read once per connection and kept until anything is
 * committed (rules are not spatial, so any commit counts): a schedule then costs no query. */
#define BOOK_FRACTIONS 16

struct rule_book {
    long long state;
    int shift; /* -1: the setting has an unknown value */
    int nf, nr;
    struct {
        char *code, *name;
    } f[BOOK_FRACTIONS];
    struct book_rule {
        long zone;
        int fraction; /* index into f */
        struct waste_rule r;
    } * rules; /* ordered by zone, fraction, id */
};

static const char rule_book_key = 0;

static void rule_book_free(void *p)
{
    struct rule_book *b = p;
    for (int i = 0; b && i < b->nf; i++) {
        free(b->f[i].code);
        free(b->f[i].name);
    }
    if (b)
        free(b->rules);
    free(b);
}

static struct rule_book *rule_book_get(struct gis_store *s, struct err *e)
{
    long long state = gis_store_data_state(s);
    struct rule_book *b = gis_store_attached(s, &rule_book_key);
    if (b && b->state == state && state >= 0)
        return b;
    b = calloc(1, sizeof *b);
    if (!b) {
        err_set(e, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    b->state = state;
    const char *sh = waste_setting_raw(s, "holiday_shift");
    b->shift = waste_shift_parse(sh ? sh : "next_working_day");
    free((char *)sh);
    sqlite3_stmt *st = gis_store_cached(s, "SELECT code, name FROM waste_fractions ORDER BY ord, code", e);
    int rc = st ? SQLITE_DONE : SQLITE_ERROR;
    while (st && b->nf < BOOK_FRACTIONS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        b->f[b->nf].code = dup_text(st, 0);
        b->f[b->nf].name = dup_text(st, 1);
        if (!b->f[b->nf++].code || !b->f[b->nf - 1].name)
            rc = SQLITE_NOMEM;
    }
    gis_store_release(st);
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE; /* more fractions than a schedule shows */
    st = rc == SQLITE_DONE ? gis_store_cached(s,
                                              "SELECT zone_id, fraction, kind, weekday, interval_weeks, anchor, nth, "
                                              "months FROM waste_rules ORDER BY zone_id, fraction, id",
                                              e)
                           : NULL;
    if (rc == SQLITE_DONE && !st)
        rc = SQLITE_ERROR;
    int cap = 0;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *frac = (const char *)sqlite3_column_text(st, 1);
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        int fi = -1;
        for (int i = 0; i < b->nf && frac; i++)
            if (!strcmp(b->f[i].code, frac))
                fi = i;
        if (fi < 0 || !kind)
            continue;
        if (b->nr == cap) {
            cap = cap ? 2 * cap : 64;
            struct book_rule *r = realloc(b->rules, sizeof *r * (size_t)cap);
            if (!r) {
                rc = SQLITE_NOMEM;
                break;
            }
            b->rules = r;
        }
        struct waste_rule r = {
            .kind = !strcmp(kind, "monthly")         ? WASTE_MONTHLY
                    : !strcmp(kind, "every_n_weeks") ? WASTE_EVERY_N_WEEKS
                                                     : WASTE_WEEKLY,
            .weekday = sqlite3_column_int(st, 3),
            .interval = sqlite3_column_int(st, 4),
            .nth = sqlite3_column_int(st, 6),
            .months = sqlite3_column_int(st, 7),
        };
        if (r.kind == WASTE_EVERY_N_WEEKS && !gis_cal_parse_date((const char *)sqlite3_column_text(st, 5), &r.anchor))
            r.anchor = gis_cal_day(2024, 1, 1);
        b->rules[b->nr++] = (struct book_rule){.zone = sqlite3_column_int64(st, 0), .fraction = fi, .r = r};
    }
    gis_store_release(st);
    if (rc != SQLITE_DONE || !gis_store_attach(s, &rule_book_key, b, rule_book_free)) {
        rule_book_free(b);
        if (rc == SQLITE_NOMEM || rc == SQLITE_DONE)
            err_set(e, ERR_INTERNAL, "out of memory");
        else if (!e->code)
            db_err(s, e, "waste rules");
        return NULL;
    }
    return b;
}

enum err_code waste_schedule(struct gis_store *s, struct arena *a, long zone_id, int from, int to, int first,
                             struct waste_fraction_dates **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct rule_book *b = rule_book_get(s, e);
    if (!b)
        return e->code;
    if (b->shift < 0)
        return err_set(e, ERR_INTERNAL, "waste setting holiday_shift has an unknown value");
    int span = to - from + 1;
    struct waste_fraction_dates *f = arena_alloc(a, sizeof *f * (size_t)(b->nf ? b->nf : 1));
    int *tmp = arena_alloc(a, sizeof(int) * (size_t)(span + 1));
    if (!f || !tmp)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < b->nf; i++) {
        f[i] = (struct waste_fraction_dates){
            .code = arena_strdup(a, b->f[i].code), .name = arena_strdup(a, b->f[i].name), .rules = ""};
        if (!f[i].code || !f[i].name)
            return err_set(e, ERR_INTERNAL, "out of memory");
    }
    *out = f;
    *n = b->nf;
    for (int k = 0; k < b->nr; k++) {
        if (b->rules[k].zone != zone_id)
            continue;
        struct waste_fraction_dates *fd = &f[b->rules[k].fraction];
        struct waste_rule r = b->rules[k].r;
        r.fraction = fd->code;
        int got = waste_rule_dates(&r, from, to, (enum waste_shift)b->shift, tmp, first > 0 ? first : span);
        int *merged = arena_alloc(a, sizeof(int) * (size_t)(fd->n + got + 1));
        if (!merged)
            return err_set(e, ERR_INTERNAL, "out of memory");
        if (fd->n)
            memcpy(merged, fd->dates, sizeof(int) * (size_t)fd->n);
        memcpy(merged + fd->n, tmp, sizeof(int) * (size_t)got);
        int total = fd->n + got;
        qsort(merged, (size_t)total, sizeof *merged, cmp_int);
        int u = 0;
        for (int i = 0; i < total; i++)
            if (u == 0 || merged[u - 1] != merged[i])
                merged[u++] = merged[i];
        fd->dates = merged;
        fd->n = u;
        if (first > 0) {
            fd->rules = "+"; /* has a rule; the words are left out */
            continue;
        }
        const char *words = rule_words(a, &r);
        fd->rules = *fd->rules ? arena_printf(a, "%s; %s", fd->rules, words) : words;
        if (!fd->rules)
            return err_set(e, ERR_INTERNAL, "out of memory");
    }
    return ERR_OK;
}

/* ---- rates ---- */

#define MAX_RATES 64

/* Every rate table of the store, ordered by method and valid_from. */
static enum err_code rates_load_all(struct gis_store *s, struct waste_rate *out, int *n, struct err *e)
{
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT id, method, valid_from, nonsort_multiplier, compost_discount_gr, "
                          "compost_per_resident FROM waste_rates ORDER BY method, valid_from LIMIT 64",
                          &st, e))
        return e->code;
    long ids[MAX_RATES];
    while (sqlite3_step(st) == SQLITE_ROW && *n < MAX_RATES) {
        struct waste_rate *r = &out[*n];
        memset(r, 0, sizeof *r);
        int m = waste_method_parse((const char *)sqlite3_column_text(st, 1));
        if (m < 0 || !gis_cal_parse_month((const char *)sqlite3_column_text(st, 2), &r->valid_from))
            continue;
        r->method = (enum waste_method)m;
        r->nonsort_multiplier = sqlite3_column_double(st, 3);
        r->compost_discount_gr = sqlite3_column_int64(st, 4);
        r->compost_per_resident = sqlite3_column_int(st, 5) != 0;
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (gis_store_prepare(s, "SELECT key, amount_gr FROM waste_rate_items WHERE rate_id = ? ORDER BY key", &st, e))
        return e->code;
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
    return ERR_OK;
}

static const struct waste_rate *rate_pick(const struct waste_rate *rates, int n, enum waste_method m, int month)
{
    const struct waste_rate *best = NULL;
    for (int i = 0; i < n; i++)
        if (rates[i].method == m && rates[i].valid_from <= month && (!best || rates[i].valid_from > best->valid_from))
            best = &rates[i];
    return best;
}

enum err_code waste_rate_load(struct gis_store *s, enum waste_method method, int month, struct waste_rate *out,
                              struct err *e)
{
    struct waste_rate *all = malloc(sizeof *all * MAX_RATES);
    if (!all)
        return err_set(e, ERR_INTERNAL, "out of memory");
    int n;
    enum err_code rc = rates_load_all(s, all, &n, e);
    const struct waste_rate *r = rc ? NULL : rate_pick(all, n, method, month);
    if (r)
        *out = *r;
    else if (!rc) {
        char mb[8];
        gis_cal_format_month(month, mb);
        rc =
            err_set(e, ERR_UNAVAILABLE, "the gmina has no %s rate table in force in %s", waste_method_name(method), mb);
    }
    free(all);
    return rc;
}

/* ---- declarations ---- */

static char *containers_text(struct arena *a, const struct waste_household *h)
{
    char buf[256] = "";
    size_t o = 0;
    for (int i = 0; i < h->ncontainers && o < sizeof buf - 24; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%dx%d", i ? "," : "", h->containers[i].litres,
                              h->containers[i].per_month);
    return arena_strdup(a, buf);
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

enum err_code waste_declare(struct gis_store *w, struct arena *a, const char *teryt, int today,
                            struct waste_declaration *d, struct err *e)
{
    if (d->h.residents < 0 || d->h.residents > WASTE_MAX_RESIDENTS)
        return err_param(e, "residents", "residents must be from 0 to %d", WASTE_MAX_RESIDENTS);
    if (d->change_day < today - 731)
        return err_param(e, "change_date",
                         "change_date is more than two years back; correct older periods in the office");
    int ty, tm, td;
    gis_cal_ymd(today, &ty, &tm, &td);
    int this_month = ty * 12 + tm - 1;
    int cy, cm, cd;
    gis_cal_ymd(d->change_day, &cy, &cm, &cd);
    int change_month = cy * 12 + cm - 1;
    if (change_month > this_month + 1)
        return err_param(e, "change_date", "change_date may be at most in the next month");
    const char *eff = waste_setting(w, a, "change_effective", "same_month");
    d->valid_from = change_month + (strcmp(eff, "next_month") == 0);
    const char *mkey = d->nonresidential ? "nonresidential_method" : "residential_method";
    int m = waste_method_parse(waste_setting(w, a, mkey, d->nonresidential ? "container" : "household"));
    if (m < 0)
        return err_set(e, ERR_INTERNAL, "waste setting %s has an unknown method", mkey);
    d->method = (enum waste_method)m;
    struct waste_rate rate;
    if (waste_rate_load(w, d->method, d->valid_from, &rate, e) || waste_fee(&rate, &d->h, &d->fee_gr, e))
        return e->code;
    sqlite3_stmt *st;
    if (d->payer_id == 0) {
        if (!d->payer_name || !*d->payer_name)
            return err_param(e, "name", "name of the payer is required for a first declaration");
        if (gis_store_prepare(w, "INSERT INTO waste_payers (name, created_at) VALUES (?, datetime('now'))", &st, e))
            return e->code;
        sqlite3_bind_text(st, 1, d->payer_name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_err(w, e, "payer");
        d->payer_id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
        char nrb[27];
        if (gis_nrb_make(waste_setting(w, a, "bank_sort_code", ""), teryt, d->payer_id, nrb, e))
            return e->code;
        if (gis_store_prepare(w, "UPDATE waste_payers SET account = ? WHERE id = ?", &st, e))
            return e->code;
        sqlite3_bind_text(st, 1, nrb, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, d->payer_id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_err(w, e, "payer account");
        d->account = arena_strdup(a, nrb);
    } else if (!gis_payer_find(w, &waste_ledger, d->payer_id, NULL)) {
        return err_param(e, "payer_id", "no payer %ld", d->payer_id);
    }
    if (gis_store_prepare(
            w,
            "INSERT INTO waste_declarations (payer_id, kind, address_id, address_label, parcel_id, "
            "residents, composting, sorting, water_m3, containers, method, fee_gr, change_date, "
            "valid_from, filed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
            &st, e))
        return e->code;
    char cdate[11], vmonth[8];
    gis_cal_format_date(d->change_day, cdate);
    gis_cal_format_month(d->valid_from, vmonth);
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
    sqlite3_bind_text(st, 10, d->h.ncontainers ? containers_text(a, &d->h) : NULL, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, waste_method_name(d->method), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, d->fee_gr);
    sqlite3_bind_text(st, 13, cdate, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, vmonth, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(w, e, "declaration");
    d->id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    if (!d->account) {
        if (gis_store_prepare(w, "SELECT account FROM waste_payers WHERE id = ?", &st, e))
            return e->code;
        sqlite3_bind_int64(st, 1, d->payer_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            d->account = col_text(a, st, 0);
        sqlite3_finalize(st);
    }
    return ERR_OK;
}

#define DECL_COLS                                                                                                      \
    "d.id, d.payer_id, p.name, p.account, d.kind, d.address_id, d.address_label, d.parcel_id, d.residents, "           \
    "d.composting, d.sorting, d.water_m3, d.containers, d.method, d.fee_gr, d.change_date, d.valid_from, d.filed_at"

static void decl_row(struct arena *a, sqlite3_stmt *st, struct waste_declaration *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    d->payer_id = sqlite3_column_int64(st, 1);
    d->payer_name = col_text(a, st, 2);
    d->account = col_text(a, st, 3);
    const char *kind = (const char *)sqlite3_column_text(st, 4);
    d->nonresidential = kind && !strcmp(kind, "nonresidential");
    d->address_id = sqlite3_column_int64(st, 5);
    d->address_label = col_text(a, st, 6);
    d->parcel_id = col_text(a, st, 7);
    d->h.residents = sqlite3_column_int(st, 8);
    d->h.composting = sqlite3_column_int(st, 9) != 0;
    d->h.sorting = sqlite3_column_int(st, 10) != 0;
    d->h.water_m3 = sqlite3_column_double(st, 11);
    containers_parse((const char *)sqlite3_column_text(st, 12), &d->h);
    int m = waste_method_parse((const char *)sqlite3_column_text(st, 13));
    d->method = m < 0 ? WASTE_HOUSEHOLD : (enum waste_method)m;
    d->fee_gr = sqlite3_column_int64(st, 14);
    if (!gis_cal_parse_date((const char *)sqlite3_column_text(st, 15), &d->change_day))
        d->change_day = 0;
    if (!gis_cal_parse_month((const char *)sqlite3_column_text(st, 16), &d->valid_from))
        d->valid_from = 0;
    d->filed_at = col_text(a, st, 17);
}

enum err_code waste_declarations(struct gis_store *s, struct arena *a, long payer_id, struct waste_declaration **out,
                                 int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    if (!gis_payer_find(s, &waste_ledger, payer_id, NULL))
        return err_set(e, ERR_NOT_FOUND, "no payer %ld", payer_id);
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT " DECL_COLS " FROM waste_declarations d JOIN waste_payers p ON p.id = d.payer_id "
                          "WHERE d.payer_id = ? ORDER BY d.id DESC LIMIT 500",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    struct waste_declaration *list = arena_alloc(a, sizeof *list * 500);
    while (list && sqlite3_step(st) == SQLITE_ROW)
        decl_row(a, st, &list[(*n)++]);
    sqlite3_finalize(st);
    if (!list)
        return err_set(e, ERR_INTERNAL, "out of memory");
    *out = list;
    return ERR_OK;
}

/* ---- charges ---- */

enum err_code waste_charges_generate(struct gis_store *w, int through, long *changed, struct err *e)
{
    *changed = 0;
    struct arena *a = arena_new(1 << 16);
    struct waste_rate *rates = malloc(sizeof *rates * MAX_RATES);
    sqlite3_stmt *sel = NULL, *up = NULL;
    enum err_code rc = ERR_OK;
    int nrates = 0;
    if (!a || !rates) {
        rc = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    int due_day = atoi(waste_setting(w, a, "due_day", "15"));
    if (due_day < 1 || due_day > 28)
        due_day = 15;
    if (rates_load_all(w, rates, &nrates, e) ||
        gis_store_prepare(w,
                          "SELECT " DECL_COLS " FROM waste_declarations d JOIN waste_payers p ON p.id = d.payer_id "
                          "ORDER BY d.payer_id, d.valid_from, d.id",
                          &sel, e) ||
        gis_store_prepare(w,
                          "INSERT INTO waste_charges (payer_id, month, amount_gr, declaration_id, due_date) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (payer_id, month) DO UPDATE SET "
                          "amount_gr = excluded.amount_gr, declaration_id = excluded.declaration_id, "
                          "due_date = excluded.due_date WHERE amount_gr != excluded.amount_gr "
                          "OR declaration_id != excluded.declaration_id OR due_date != excluded.due_date",
                          &up, e)) {
        rc = e->code;
        goto done;
    }
    /* Declarations of one payer come in valid_from, id order: each one rules from its month until the
     * next one's month (a later filing for the same month replaces an earlier one). */
    struct waste_declaration cur, next;
    bool have_cur = false, have_next = false, eof = false;
    for (;;) {
        if (!have_next && !eof) {
            int step = sqlite3_step(sel);
            if (step == SQLITE_ROW) {
                decl_row(a, sel, &next);
                have_next = true;
            } else if (step == SQLITE_DONE) {
                eof = true;
            } else {
                rc = db_err(w, e, "declarations");
                goto done;
            }
        }
        if (!have_cur) {
            if (!have_next)
                break;
            cur = next;
            have_cur = true;
            have_next = false;
            continue;
        }
        int end = through;
        if (have_next && next.payer_id == cur.payer_id)
            end = next.valid_from - 1 < through ? next.valid_from - 1 : through;
        for (int m = cur.valid_from; m <= end; m++) {
            const struct waste_rate *r = rate_pick(rates, nrates, cur.method, m);
            long fee = cur.fee_gr;
            struct err fe = {0};
            if (r && waste_fee(r, &cur.h, &fee, &fe))
                fee = cur.fee_gr;
            char mb[8], due[11];
            gis_cal_format_month(m, mb);
            gis_cal_format_date(gis_cal_day(m / 12, m % 12 + 1, due_day), due);
            sqlite3_reset(up);
            sqlite3_bind_int64(up, 1, cur.payer_id);
            sqlite3_bind_text(up, 2, mb, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(up, 3, fee);
            sqlite3_bind_int64(up, 4, cur.id);
            sqlite3_bind_text(up, 5, due, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(up) != SQLITE_DONE) {
                rc = db_err(w, e, "charges");
                goto done;
            }
            *changed += sqlite3_changes(gis_store_db(w));
        }
        have_cur = false;
        if (have_next) {
            cur = next;
            have_cur = true;
            have_next = false;
        }
    }
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(up);
    free(rates);
    arena_free(a);
    return rc;
}

/* ---- balance ---- */

static long sum_query(struct gis_store *s, const char *sql, long payer_id, const char *date, bool *ok)
{
    sqlite3_stmt *st;
    long v = 0;
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        *ok = false;
        return 0;
    }
    sqlite3_bind_int64(st, 1, payer_id);
    if (date)
        sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        *ok = false;
    sqlite3_finalize(st);
    return v;
}

enum err_code waste_balance_get(struct gis_store *s, struct arena *a, long payer_id, int today,
                                struct waste_balance *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT id, name, account FROM waste_payers WHERE id = ?", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, payer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->payer_id = sqlite3_column_int64(st, 0);
        out->name = col_text(a, st, 1);
        out->account = col_text(a, st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no payer %ld", payer_id) : db_err(s, e, "payer");
    char d[11], mb[8];
    gis_cal_format_date(today, d);
    int y, m, dd;
    gis_cal_ymd(today, &y, &m, &dd);
    gis_cal_format_month(y * 12 + m - 1, mb);
    bool ok = true;
    out->charged_gr =
        sum_query(s, "SELECT coalesce(sum(amount_gr), 0) FROM waste_charges WHERE payer_id = ?", payer_id, NULL, &ok);
    out->due_gr =
        sum_query(s, "SELECT coalesce(sum(amount_gr), 0) FROM waste_charges WHERE payer_id = ? AND due_date <= ?",
                  payer_id, d, &ok);
    out->paid_gr =
        sum_query(s, "SELECT coalesce(sum(amount_gr), 0) FROM waste_payments WHERE payer_id = ?", payer_id, NULL, &ok);
    out->monthly_fee_gr = sum_query(s,
                                    "SELECT coalesce((SELECT fee_gr FROM waste_declarations WHERE payer_id = ? AND "
                                    "valid_from <= ? ORDER BY valid_from DESC, id DESC LIMIT 1), 0)",
                                    payer_id, mb, &ok);
    if (!ok)
        return db_err(s, e, "balance");
    out->arrears_gr = out->due_gr > out->paid_gr ? out->due_gr - out->paid_gr : 0;
    out->balance_gr = out->paid_gr - out->charged_gr;
    return ERR_OK;
}
