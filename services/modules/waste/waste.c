/* e-Odpady below HTTP: collection rules, the holiday shift, fees, and what the module does with its tables
 * (see waste.h); the tables themselves are reached through store.h. */
#include "services/modules/waste/waste.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/changes.h"
#include "gis/identity.h"
#include "gis/places.h"
#include "services/modules/waste/store.h"

int waste_today(void)
{
    return gis_cal_today();
}

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

/* Sorts v ascending and drops repeats; returns how many are left. */
static int sort_unique(int *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_int);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

/* Adds day (-1: dropped) to out when it lies in [from, to] and out has room; false once out is full. */
static bool day_put(int day, int from, int to, int *out, int *n, int cap)
{
    if (day >= from && day <= to && *n < cap)
        out[(*n)++] = day;
    return *n < cap;
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
            if (!day_put(shift_day(day, shift), from, to, out, &n, cap))
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
            if (!day_put(shift_day(day, shift), from, to, out, &n, cap))
                break;
        }
    }
    return sort_unique(out, n);
}

/* ---- fees ---- */

static const char *const method_names[] = {"household", "resident", "water_m3", "container", "area_m2", "summer_lump"};

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
    case WASTE_AREA:
    case WASTE_SUMMER:
    case WASTE_RESIDENT:
    case WASTE_WATER: {
        int idx = -1;
        for (int i = 0; i < r->nitems; i++)
            if (r->items[i].key == 0)
                idx = i;
        if (idx < 0)
            return err_set(e, ERR_UNPROCESSABLE, "the rate table for %s has no amount", waste_method_name(r->method));
        if (r->method == WASTE_SUMMER) {
            base = (double)r->items[idx].amount_gr;
        } else if (r->method == WASTE_AREA) {
            if (!(h->area_m2 > 0 && h->area_m2 <= 100000))
                return err_param(e, "area_m2",
                                 "area_m2 (the dwelling's floor area) must be above 0 and at most 100000");
            base = round((double)r->items[idx].amount_gr * h->area_m2);
        } else if (r->method == WASTE_RESIDENT) {
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

/* ---- settings ---- */

const char *waste_setting(struct gis_store *s, struct arena *a, const char *key, const char *def)
{
    char *raw = waste_store_setting(s, key);
    const char *v = raw ? arena_strdup(a, raw) : NULL;
    free(raw);
    return v ? v : def;
}

/* ---- zones ---- */

/* Data derived from the store and kept with the connection (gis_store_attach) while the state it was built
 * at holds: the kept one, else a new one, zeroed, built and attached. Each such struct begins with its state
 * (a long long), which this sets; free_fn frees it. NULL with e set when it cannot be built or kept. */
static void *derived_get(struct gis_store *s, const void *key, long long state, size_t size,
                         enum err_code (*build)(struct gis_store *s, void *d, struct err *e), void (*free_fn)(void *),
                         const char *what, struct err *e)
{
    long long *d = gis_store_attached(s, key);
    if (d && *d == state && state >= 0)
        return d;
    d = calloc(1, size);
    if (!d) {
        err_set(e, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    *d = state;
    if (build(s, d, e) || !gis_store_attach(s, key, d, free_fn)) {
        free_fn(d);
        err_set(e, ERR_INTERNAL, "no room to keep the %s", what);
        return NULL;
    }
    return d;
}

/* A code and a name copied from the store (NULL as ""); false when out of memory. */
struct names {
    char *code, *name;
};

static bool names_set(struct names *n, const char *code, const char *name)
{
    n->code = strdup(code ? code : "");
    n->name = strdup(name ? name : "");
    return n->code && n->name;
}

static void names_free(struct names *n)
{
    free(n->code);
    free(n->name);
}

/* The connection's zones in memory, each with its banded point-in-polygon index: a point lookup (every
 * /locate) then costs no query and no geometry decoding. Rebuilt when the store's state changes (every
 * change to waste_zones adds a `changes` row). */
struct zone_index {
    long long state;
    int n, cap;
    struct zone_entry {
        long id;
        struct names nm;
        double bb[4];
        struct gis_pip *pip;
    } * z;
};

static const char zone_index_key = 0;

static void zone_index_free(void *p)
{
    struct zone_index *zi = p;
    for (int i = 0; zi && i < zi->n; i++) {
        names_free(&zi->z[i].nm);
        gis_pip_free(zi->z[i].pip);
    }
    if (zi)
        free(zi->z);
    free(zi);
}

static bool zone_index_add(void *ctx, const struct waste_store_zone *row, struct err *e)
{
    struct zone_index *zi = ctx;
    struct gis_pip *pip = row->wkb && row->wkb_len ? gis_pip_build(row->wkb, row->wkb_len) : NULL;
    if (!pip)
        return true; /* an empty or broken geometry holds no point */
    if (zi->n == zi->cap) {
        int cap = zi->cap ? 2 * zi->cap : 32;
        struct zone_entry *z = realloc(zi->z, sizeof *z * (size_t)cap);
        if (!z) {
            gis_pip_free(pip);
            err_set(e, ERR_INTERNAL, "out of memory");
            return false;
        }
        zi->z = z, zi->cap = cap;
    }
    struct zone_entry *z = &zi->z[zi->n++];
    *z = (struct zone_entry){.id = row->id, .pip = pip};
    gis_pip_bbox(pip, z->bb);
    if (!names_set(&z->nm, row->code, row->name)) {
        err_set(e, ERR_INTERNAL, "out of memory");
        return false;
    }
    return true;
}

static enum err_code zone_index_build(struct gis_store *s, void *zi, struct err *e)
{
    return waste_store_zones_each(s, zone_index_add, zi, e);
}

enum err_code waste_zone_at(struct gis_store *s, struct arena *a, double x, double y, struct waste_zone *out,
                            struct err *e)
{
    /* the first zone (by id) whose polygon holds the point or has it on its boundary */
    struct zone_index *zi = derived_get(s, &zone_index_key, gis_store_state(s), sizeof *zi, zone_index_build,
                                        zone_index_free, "waste-zone index", e);
    if (!zi)
        return e->code;
    for (int i = 0; i < zi->n; i++) {
        const struct zone_entry *z = &zi->z[i];
        if (x < z->bb[0] - 1e-3 || x > z->bb[2] + 1e-3 || y < z->bb[1] - 1e-3 || y > z->bb[3] + 1e-3 ||
            !gis_pip_locate(z->pip, x, y))
            continue;
        out->id = z->id;
        out->code = arena_strdup(a, z->nm.code);
        out->name = arena_strdup(a, z->nm.name);
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
    return waste_store_zones_from_obreby(w, *(const int *)ctx, e);
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
    int nf, nr, cap;
    struct names f[BOOK_FRACTIONS];
    struct book_rule {
        long zone;
        int fraction; /* index into f */
        struct waste_rule r;
    } * rules; /* ordered by zone, fraction, id */
    /* the next collection day of each fraction (-1: none within the span) per zone, on day next_day: what
     * /locate shows, worked out once per zone and day (waste_schedule_next) */
    int next_day, nnext;
    struct next_dates {
        long zone;
        int first[BOOK_FRACTIONS];
    } * next;
};

static const char rule_book_key = 0;

static void rule_book_free(void *p)
{
    struct rule_book *b = p;
    for (int i = 0; b && i < b->nf; i++)
        names_free(&b->f[i]);
    if (b) {
        free(b->rules);
        free(b->next);
    }
    free(b);
}

static bool rule_book_fraction(void *ctx, const char *code, const char *name, struct err *e)
{
    struct rule_book *b = ctx;
    if (b->nf == BOOK_FRACTIONS)
        return false; /* more fractions than a schedule shows */
    if (!names_set(&b->f[b->nf++], code, name)) {
        err_set(e, ERR_INTERNAL, "out of memory");
        return false;
    }
    return true;
}

static bool rule_book_rule(void *ctx, long zone_id, const struct waste_rule *r, struct err *e)
{
    struct rule_book *b = ctx;
    int fi = -1;
    for (int i = 0; i < b->nf && r->fraction; i++)
        if (!strcmp(b->f[i].code, r->fraction))
            fi = i;
    if (fi < 0)
        return true;
    if (b->nr == b->cap) {
        int cap = b->cap ? 2 * b->cap : 64;
        struct book_rule *rules = realloc(b->rules, sizeof *rules * (size_t)cap);
        if (!rules) {
            err_set(e, ERR_INTERNAL, "out of memory");
            return false;
        }
        b->rules = rules, b->cap = cap;
    }
    b->rules[b->nr] = (struct book_rule){.zone = zone_id, .fraction = fi, .r = *r};
    b->rules[b->nr++].r.fraction = NULL; /* the row's text; a schedule names the fraction */
    return true;
}

static enum err_code rule_book_build(struct gis_store *s, void *p, struct err *e)
{
    struct rule_book *b = p;
    char *sh = waste_store_setting(s, "holiday_shift");
    b->shift = waste_shift_parse(sh ? sh : "next_working_day");
    free(sh);
    if (waste_store_fractions_each(s, rule_book_fraction, b, e))
        return e->code;
    return waste_store_rules_each(s, rule_book_rule, b, e);
}

enum err_code waste_schedule(struct gis_store *s, struct arena *a, long zone_id, int from, int to, int first,
                             int building, struct waste_fraction_dates **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct rule_book *b = derived_get(s, &rule_book_key, gis_store_data_state(s), sizeof *b, rule_book_build,
                                      rule_book_free, "waste rule book", e);
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
        if (b->rules[k].zone != zone_id || (building && b->rules[k].r.building && b->rules[k].r.building != building))
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
        fd->dates = merged;
        fd->n = sort_unique(merged, total);
        if (first > 0) {
            fd->rules = "+"; /* has a rule; the words are left out */
            continue;
        }
        const char *words = rule_words(a, &r);
        if (!building && r.building) /* all buildings asked for: say whose rule it is */
            words =
                arena_printf(a, "%s (%s)", words,
                             r.building == WASTE_BUILDING_SINGLE ? "zabudowa jednorodzinna" : "zabudowa wielolokalowa");
        fd->rules = *fd->rules ? arena_printf(a, "%s; %s", fd->rules, words) : words;
        if (!fd->rules)
            return err_set(e, ERR_INTERNAL, "out of memory");
    }
    return ERR_OK;
}

/* ---- rates ---- */

#define MAX_RATES 64

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
    enum err_code rc = waste_store_rates(s, all, MAX_RATES, &n, e);
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

static const char *const title_names[] = {NULL,    "ownership",  "co_ownership", "perpetual_usufruct",
                                          "lease", "management", "other"};
static const char *const title_polish[] = {
    "", "własność", "współwłasność", "użytkowanie wieczyste", "najem lub dzierżawa", "zarząd", "inny tytuł prawny"};

int waste_title_parse(const char *s)
{
    for (int i = 1; s && i < 7; i++)
        if (!strcmp(s, title_names[i]))
            return i;
    return -1;
}

const char *waste_title_name(enum waste_title t)
{
    return (unsigned)t < 7 ? title_names[t] : NULL;
}

const char *waste_title_polish(enum waste_title t)
{
    return (unsigned)t < 7 ? title_polish[t] : "";
}

static const char *const building_names[] = {NULL, "single_family", "multi_family"};

int waste_building_parse(const char *s)
{
    for (int i = 1; s && i < 3; i++)
        if (!strcmp(s, building_names[i]))
            return i;
    return -1;
}

const char *waste_building_name(enum waste_building b)
{
    return (unsigned)b < 3 ? building_names[b] : NULL;
}

static bool digits(const char *s, size_t n)
{
    return s && strlen(s) == n && strspn(s, "0123456789") == n;
}

bool waste_pesel_valid(const char *s)
{
    static const int w[10] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    if (!digits(s, 11))
        return false;
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += w[i] * (s[i] - '0');
    if ((10 - sum % 10) % 10 != s[10] - '0')
        return false;
    /* the month carries the century: +80 for 1800s, +0 1900s, +20 2000s, +40 2100s, +60 2200s */
    int yy = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[2] - '0') * 10 + (s[3] - '0'),
        dd = (s[4] - '0') * 10 + (s[5] - '0');
    static const int century[5] = {1900, 2000, 2100, 2200, 1800};
    int y = century[(mm / 20) % 5] + yy, m = mm % 20;
    return m >= 1 && m <= 12 && dd >= 1 && dd <= gis_cal_days_in_month(y, m);
}

bool waste_nip_valid(const char *s)
{
    static const int w[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    if (!digits(s, 10))
        return false;
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += w[i] * (s[i] - '0');
    return sum % 11 != 10 && sum % 11 == s[9] - '0';
}

/* Who declares, by what right and (residential) for which building: a first filing gives them; a later one
 * repeats the payer's latest declaration's where it gives none. Composting only at a single-family house. */
static enum err_code declare_declarant(struct gis_store *w, struct arena *a, struct waste_declaration *d, struct err *e)
{
    if (d->pesel && !(d->pesel_verified ? gis_pesel_valid(d->pesel) : waste_pesel_valid(d->pesel)))
        return err_at(e, ERR_UNPROCESSABLE, "pesel",
                      "PESEL %.11s jest nieprawidłowy (its check digit or date is wrong)", d->pesel);
    if (d->nip && !waste_nip_valid(d->nip))
        return err_at(e, ERR_UNPROCESSABLE, "nip", "NIP %.10s jest nieprawidłowy (its check digit is wrong)", d->nip);
    if (d->nonresidential)
        d->building = WASTE_BUILDING_NONE;
    if (d->payer_id && (!(d->pesel || d->nip) || !d->title || (!d->nonresidential && !d->building))) {
        struct waste_declaration *last;
        int n;
        if (waste_store_declarations(w, a, d->payer_id, 1, &last, &n, e))
            return e->code;
        if (n && !d->pesel && !d->nip)
            d->pesel = last->pesel, d->nip = last->nip;
        if (n && !d->title)
            d->title = last->title;
        if (n && !d->nonresidential && !d->building)
            d->building = last->building;
    }
    if (!d->nonresidential && !d->building)
        return err_at(e, ERR_UNPROCESSABLE, "building_type",
                      "podaj rodzaj zabudowy: single_family (budynek jednorodzinny) albo multi_family "
                      "(wielolokalowy)");
    if (d->h.composting && d->building != WASTE_BUILDING_SINGLE)
        return err_at(e, ERR_UNPROCESSABLE, "composting",
                      "Zwolnienie za kompostowanie bioodpadów w kompostowniku przydomowym przysługuje tylko "
                      "właścicielom nieruchomości zabudowanych budynkami mieszkalnymi jednorodzinnymi (art. 6k ust. "
                      "4a ustawy) (composting only at a single-family house)");
    if (!d->pesel && !d->nip)
        return err_at(e, ERR_UNPROCESSABLE, "pesel",
                      "podaj PESEL (osoba fizyczna) albo NIP składającego deklarację (PESEL or NIP is required)");
    if (!d->title)
        return err_at(e, ERR_UNPROCESSABLE, "legal_title",
                      "podaj tytuł prawny do nieruchomości (legal_title: ownership, co_ownership, "
                      "perpetual_usufruct, lease, management or other)");
    return ERR_OK;
}

static const char *const filing_names[] = {"first", "change", "correction"};

int waste_filing_parse(const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, filing_names[i]))
            return i;
    return -1;
}

const char *waste_filing_name(enum waste_filing f)
{
    return (unsigned)f < 3 ? filing_names[f] : "first";
}

/* The payer of a change or correction: it exists and, for a resident, is theirs (both an unknown and another's
 * payer are ERR_NOT_FOUND, so a resident learns nothing of others' payers). */
static enum err_code declare_payer_check(struct gis_store *w, long long account, const struct waste_declaration *d,
                                         struct err *e)
{
    struct err pe = {0};
    if (waste_store_payer_get(w, NULL, d->payer_id, NULL, NULL, &pe) ||
        (account > 0 && !waste_store_payer_linked(w, d->payer_id, account)))
        return err_at(e, ERR_NOT_FOUND, "payer_id", "nie ma takiego płatnika (no payer %ld of yours)", d->payer_id);
    if (d->filing == WASTE_FILING_FIRST)
        return err_at(e, ERR_UNPROCESSABLE, "filing", "payer %ld has filed already: file a change or a correction",
                      d->payer_id);
    if (d->filing == WASTE_FILING_CORRECTION && (!d->reason || !*d->reason))
        return err_at(e, ERR_UNPROCESSABLE, "reason", "a correction (korekta) needs its reason");
    return ERR_OK;
}

enum err_code waste_account_payers(struct gis_store *s, long long account, long *ids, int cap, int *n, struct err *e)
{
    return waste_store_account_payers(s, account, ids, cap, n, e);
}

enum err_code waste_payer_get(struct gis_store *s, struct arena *a, long payer_id, const char **name, struct err *e)
{
    return waste_store_payer_get(s, a, payer_id, name, NULL, e);
}

enum err_code waste_payer_accounts(struct gis_store *s, long payer_id, long long *ids, int cap, int *n, struct err *e)
{
    return waste_store_payer_accounts(s, payer_id, ids, cap, n, e);
}

enum err_code waste_account_unlink(struct gis_store *w, long long account, int *n, struct err *e)
{
    return waste_store_account_unlink(w, account, n, e);
}

const struct waste_declaration *waste_in_force(const struct waste_declaration *ds, int n, int month)
{
    const struct waste_declaration *in_force = NULL;
    for (int i = 0; i < n; i++) /* newest filing first: the first of the latest valid_from wins */
        if (ds[i].valid_from <= month && (!in_force || ds[i].valid_from > in_force->valid_from))
            in_force = &ds[i];
    return in_force;
}

/* The method of d (the gmina's residential or non-residential one) and its fee at the rate of d->valid_from. */
static enum err_code declare_fee(struct gis_store *w, struct arena *a, struct waste_declaration *d, struct err *e)
{
    const char *mkey = d->nonresidential ? "nonresidential_method" : "residential_method";
    int m = d->summer ? WASTE_SUMMER
                      : waste_method_parse(waste_setting(w, a, mkey, d->nonresidential ? "container" : "household"));
    if (m < 0 || (m == WASTE_SUMMER && !d->summer))
        return err_set(e, ERR_INTERNAL, "waste setting %s has an unknown method", mkey);
    d->nonresidential |= d->summer;
    d->method = (enum waste_method)m;
    struct waste_rate rate;
    if (waste_rate_load(w, d->method, d->valid_from, &rate, e) || waste_fee(&rate, &d->h, &d->fee_gr, e))
        return e->code;
    return ERR_OK;
}

/* The day k months after day (its day of the month, or the month's last when shorter). */
static int add_months(int day, int k)
{
    int y, m, d;
    gis_cal_ymd(day, &y, &m, &d);
    int mm = y * 12 + m - 1 + k, ny = mm / 12, nm = mm % 12 + 1, last = gis_cal_days_in_month(ny, nm);
    return gis_cal_day(ny, nm, d < last ? d : last);
}

/* Art. 6m ust. 2 and 2b: a change is declared by the 10th day of the month after it, the fee in the new amount
 * due for the month of the change; a later declaration that lowers the fee does not reach back, except after a
 * resident's death (within 6 months of it). */
static enum err_code declare_backdating(struct gis_store *w, struct arena *a, int today, struct waste_declaration *d,
                                        struct err *e)
{
    int ty, tm, td, cy, cm, cd;
    gis_cal_ymd(today, &ty, &tm, &td);
    gis_cal_ymd(d->change_day, &cy, &cm, &cd);
    int this_month = ty * 12 + tm - 1, after = cy * 12 + cm; /* the month after the change */
    bool late = today > gis_cal_day(after / 12, after % 12 + 1, 10);
    if (d->cause == WASTE_CAUSE_DEATH && today > add_months(d->change_day, 6))
        return err_at(e, ERR_UNPROCESSABLE, "cause",
                      "po śmierci mieszkańca nową deklarację składa się w ciągu 6 miesięcy (art. 6m ust. 2b); "
                      "this one is later");
    if (!late || d->cause == WASTE_CAUSE_DEATH || d->valid_from >= this_month)
        return ERR_OK;
    struct waste_declaration *ds;
    int n;
    if (waste_store_declarations(w, a, d->payer_id, 500, &ds, &n, e))
        return e->code;
    const struct waste_declaration *in_force = waste_in_force(ds, n, d->valid_from);
    if (!in_force || d->fee_gr >= waste_month_fee(w, in_force, d->valid_from))
        return ERR_OK; /* no lowering: an increase reaches back as declared */
    d->requested_from = d->valid_from;
    d->valid_from = this_month;
    return declare_fee(w, a, d, e);
}

enum err_code waste_declare(struct gis_store *w, struct arena *a, const char *teryt, int today, long long account,
                            struct waste_declaration *d, struct err *e)
{
    if (!d->h.sorting)
        return err_at(e, ERR_UNPROCESSABLE, "sorting",
                      "Segregacja odpadów jest obowiązkowa od 6 września 2019 r. (art. 5 ust. 1 pkt 3b ustawy o "
                      "utrzymaniu czystości i porządku w gminach): nie można zadeklarować, że odpady nie będą "
                      "segregowane. Podwyższoną opłatę ustala tylko decyzja wójta (burmistrza, prezydenta miasta) "
                      "na podstawie art. 6ka (sorting cannot be declared false)");
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
    if (declare_fee(w, a, d, e))
        return e->code;
    if (d->payer_id && declare_payer_check(w, account, d, e))
        return e->code;
    if (declare_declarant(w, a, d, e))
        return e->code;
    if (d->payer_id && declare_backdating(w, a, today, d, e))
        return e->code;
    if (d->payer_id == 0) {
        if (d->filing != WASTE_FILING_FIRST)
            return err_param(e, "payer_id", "a change or correction names the payer (payer_id)");
        if (!d->payer_name || !*d->payer_name)
            return err_param(e, "name", "name of the payer is required for a first declaration");
        char nrb[27];
        if (waste_store_payer_add(w, d->payer_name, &d->payer_id, e) ||
            waste_account_open(w, a, teryt, d->payer_id, nrb, e) ||
            waste_store_payer_set_account(w, d->payer_id, nrb, e) ||
            (account > 0 && waste_store_payer_link(w, d->payer_id, account, e)))
            return e->code;
        d->account = arena_strdup(a, nrb);
    }
    if (waste_store_declaration_add(w, d, &d->id, e))
        return e->code;
    if (!d->account || !d->payer_name) {
        struct err ae = {0};
        if (waste_store_payer_get(w, a, d->payer_id, &d->payer_name, &d->account, &ae) && ae.code != ERR_NOT_FOUND)
            return err_recast(e, ae.code, &ae);
    }
    return ERR_OK;
}

#define MAX_DECLARATIONS 500

enum err_code waste_declarations(struct gis_store *s, struct arena *a, long payer_id, struct waste_declaration **out,
                                 int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct err pe = {0};
    if (waste_store_payer_get(s, NULL, payer_id, NULL, NULL, &pe))
        return pe.code == ERR_NOT_FOUND ? err_set(e, ERR_NOT_FOUND, "no payer %ld", payer_id)
                                        : err_recast(e, pe.code, &pe);
    return waste_store_declarations(s, a, payer_id, MAX_DECLARATIONS, out, n, e);
}

/* ---- charges ---- */

/* Charging walks the declarations by payer, valid_from and id: each one rules from its month until the next
 * one's month of the same payer (a later filing for the same month replaces an earlier one), the last one of
 * a payer through `through`. */
struct charging {
    struct gis_store *w;
    int through, due_day;
    const struct waste_rate *rates;
    int nrates;
    struct waste_declaration cur;
    bool have_cur;
    long changed;
};

/* Whether d is charged in month: every month, but the yearly lump sum of a summer house once a year, in the
 * month of the declaration's valid_from and its anniversaries. */
static bool charged_in(const struct waste_declaration *d, int month)
{
    return d->method != WASTE_SUMMER || (month - d->valid_from) % 12 == 0;
}

/* The fee of d in month m at the rate r in force then (d's own fee without one); under a decision of art. 6ka
 * (multiplier > 0) as if not sorting, at the decision's multiplier. */
static long month_fee(const struct waste_declaration *d, const struct waste_rate *r, double multiplier)
{
    long fee = d->fee_gr;
    struct err fe = {0};
    struct waste_household h = d->h;
    struct waste_rate higher;
    if (r && multiplier > 0) {
        higher = *r;
        higher.nonsort_multiplier = multiplier;
        h.sorting = false;
        r = &higher;
    }
    if (r && waste_fee(r, &h, &fee, &fe))
        fee = d->fee_gr;
    return fee;
}

long waste_month_fee(struct gis_store *s, const struct waste_declaration *d, int month)
{
    if (!charged_in(d, month))
        return 0;
    struct waste_rate rate;
    struct err e = {0};
    bool have = waste_rate_load(s, d->method, month, &rate, &e) == ERR_OK;
    return month_fee(d, have ? &rate : NULL, waste_store_nonsort_multiplier(s, d->payer_id, month));
}

/* Charges c->cur for its months through end, at the rate in force in each month. */
static enum err_code charge_months(struct charging *c, int end, struct err *e)
{
    const struct waste_declaration *d = &c->cur;
    for (int m = d->valid_from; m <= end; m++) {
        if (!charged_in(d, m))
            continue;
        const struct waste_rate *r = rate_pick(c->rates, c->nrates, d->method, m);
        long fee = month_fee(d, r, waste_store_nonsort_multiplier(c->w, d->payer_id, m));
        if (waste_store_charge_put(c->w, d->payer_id, m, fee, d->id, gis_cal_day(m / 12, m % 12 + 1, c->due_day),
                                   &c->changed, e))
            return e->code;
    }
    return ERR_OK;
}

static bool charge_declaration(void *ctx, const struct waste_declaration *next, struct err *e)
{
    struct charging *c = ctx;
    if (c->have_cur) {
        int end = c->through;
        if (next->payer_id == c->cur.payer_id)
            end = next->valid_from - 1 < c->through ? next->valid_from - 1 : c->through;
        if (charge_months(c, end, e))
            return false;
    }
    c->cur = *next;
    c->have_cur = true;
    return true;
}

enum err_code waste_charges_generate(struct gis_store *w, int through, long *changed, struct err *e)
{
    *changed = 0;
    struct arena *a = arena_new(1 << 16);
    struct waste_rate *rates = malloc(sizeof *rates * MAX_RATES);
    struct charging c = {.w = w, .through = through, .rates = rates};
    if (!a || !rates)
        err_set(e, ERR_INTERNAL, "out of memory");
    else {
        c.due_day = atoi(waste_setting(w, a, "due_day", "15"));
        if (c.due_day < 1 || c.due_day > 28)
            c.due_day = 15;
        if (!waste_store_rates(w, rates, MAX_RATES, &c.nrates, e) &&
            !waste_store_declarations_each(w, a, charge_declaration, &c, e) && c.have_cur)
            charge_months(&c, through, e);
        if (!e->code && c.changed)
            waste_store_accounts_due(w, 0, e);
    }
    *changed = c.changed;
    free(rates);
    arena_free(a);
    return e->code;
}

/* ---- rate tables and their statutory caps ---- */

long waste_rate_cap(enum waste_method method, long income_gr)
{
    /* art. 6k ust. 2a: shares of the average monthly disposable income per person, in thousandths (area:
     * ten-thousandths) */
    switch (method) {
    case WASTE_HOUSEHOLD: return income_gr * 78 / 1000; /* 7,8 % a household and month */
    case WASTE_RESIDENT: return income_gr * 20 / 1000;  /* 2 % a resident and month */
    case WASTE_WATER: return income_gr * 7 / 1000;      /* 0,7 % a m³ of water */
    case WASTE_AREA: return income_gr * 8 / 10000;      /* 0,08 % a m² of the dwelling */
    case WASTE_SUMMER: return income_gr * 100 / 1000;   /* 10 % a summer house and year */
    default: return -1;
    }
}

enum err_code waste_rate_check(const struct waste_rate *r, long income_gr, struct err *e)
{
    if (r->nonsort_multiplier < 2 || r->nonsort_multiplier > 4)
        return err_at(e, ERR_UNPROCESSABLE, "nonsort_multiplier",
                      "the higher rate is 2 to 4 times the rate (art. 6k ust. 3), not %.2f", r->nonsort_multiplier);
    long cap = waste_rate_cap(r->method, income_gr);
    for (int i = 0; cap >= 0 && i < r->nitems; i++)
        if (r->items[i].amount_gr > cap)
            return err_at(
                e, ERR_UNPROCESSABLE, "items",
                "stawka %ld.%02ld zł (klucz %d) przekracza ustawowy limit %ld.%02ld zł dla metody %s (art. 6k "
                "ust. 2a, z przeciętnego dochodu rozporządzalnego %ld.%02ld zł)",
                r->items[i].amount_gr / 100, r->items[i].amount_gr % 100, r->items[i].key, cap / 100, cap % 100,
                waste_method_name(r->method), income_gr / 100, income_gr % 100);
    return ERR_OK;
}

enum err_code waste_rate_set(struct gis_store *w, struct arena *a, const struct waste_rate *r, struct err *e)
{
    long income = atol(waste_setting(w, a, "disposable_income_gr", "0"));
    if (income <= 0)
        return err_set(e, ERR_UNAVAILABLE, "the gmina has no disposable_income_gr setting to check the caps with");
    long id;
    if (waste_rate_check(r, income, e))
        return e->code;
    return waste_store_rate_add(w, r, &id, e);
}

/* ---- decisions of art. 6ka ---- */

enum err_code waste_nonsort_decide(struct gis_store *w, struct arena *a, int today, struct waste_nonsort *n,
                                   struct err *e)
{
    int ty, tm, td;
    gis_cal_ymd(today, &ty, &tm, &td);
    if (n->to < n->from || n->to - n->from > 11)
        return err_at(e, ERR_UNPROCESSABLE, "months",
                      "a decision of art. 6ka covers at least 1 and at most 12 months (art. 6ka ust. 3)");
    if (n->to > ty * 12 + tm - 1)
        return err_at(e, ERR_UNPROCESSABLE, "from",
                      "the months must be ones in which the duty to sort was not met: none after this month");
    struct err pe = {0};
    if (waste_store_payer_get(w, NULL, n->payer_id, NULL, NULL, &pe))
        return pe.code == ERR_NOT_FOUND ? err_set(e, ERR_NOT_FOUND, "no payer %ld", n->payer_id)
                                        : err_recast(e, pe.code, &pe);
    if (waste_store_nonsort_overlaps(w, n->payer_id, n->from, n->to))
        return err_set(e, ERR_CONFLICT, "payer %ld already has a decision of art. 6ka for some of these months",
                       n->payer_id);
    struct waste_declaration *ds;
    int nd;
    if (waste_store_declarations(w, a, n->payer_id, 500, &ds, &nd, e))
        return e->code;
    const struct waste_declaration *in_force = waste_in_force(ds, nd, n->from);
    if (!in_force)
        return err_at(e, ERR_UNPROCESSABLE, "from", "payer %ld has no declaration in force in the first month",
                      n->payer_id);
    struct waste_rate rate;
    if (waste_rate_load(w, in_force->method, n->from, &rate, e))
        return e->code;
    if (rate.nonsort_multiplier < 2 || rate.nonsort_multiplier > 4)
        return err_set(e, ERR_UNPROCESSABLE,
                       "the rate table's higher rate must be 2 to 4 times the rate (art. 6k ust. 3), it is %.2f",
                       rate.nonsort_multiplier);
    n->multiplier = rate.nonsort_multiplier;
    return waste_store_nonsort_add(w, n, &n->id, e);
}

enum err_code waste_nonsort_list(struct gis_store *s, struct arena *a, long payer_id, struct waste_nonsort **out,
                                 int *n, struct err *e)
{
    return waste_store_nonsort_list(s, a, payer_id, 100, out, n, e);
}

enum err_code waste_schedule_next(struct gis_store *s, struct arena *a, long zone_id, int today,
                                  struct waste_fraction_dates **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    struct rule_book *b = derived_get(s, &rule_book_key, gis_store_data_state(s), sizeof *b, rule_book_build,
                                      rule_book_free, "waste rule book", e);
    if (!b)
        return e->code;
    if (b->next_day != today)
        b->next_day = today, b->nnext = 0;
    struct next_dates *nd = NULL;
    for (int i = 0; i < b->nnext && !nd; i++)
        if (b->next[i].zone == zone_id)
            nd = &b->next[i];
    if (!nd) {
        struct waste_fraction_dates *f;
        int nf;
        if (waste_schedule(s, a, zone_id, today, today + WASTE_NEXT_SPAN, 1, 0, &f, &nf, e))
            return e->code;
        /* waste_schedule used the same book (the state cannot change within this call's snapshot) */
        struct next_dates *grown = realloc(b->next, sizeof *grown * (size_t)(b->nnext + 1));
        if (!grown)
            return err_set(e, ERR_INTERNAL, "out of memory");
        b->next = grown;
        nd = &b->next[b->nnext++];
        nd->zone = zone_id;
        for (int i = 0; i < BOOK_FRACTIONS; i++)
            nd->first[i] = i < nf && f[i].n ? f[i].dates[0] : -1;
    }
    struct waste_fraction_dates *f = arena_alloc(a, sizeof *f * (size_t)(b->nf ? b->nf : 1));
    if (!f)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < b->nf; i++) {
        f[i] = (struct waste_fraction_dates){.code = arena_strdup(a, b->f[i].code),
                                             .name = arena_strdup(a, b->f[i].name),
                                             .rules = "",
                                             .dates = arena_alloc(a, sizeof(int)),
                                             .n = nd->first[i] >= 0};
        if (!f[i].code || !f[i].name || !f[i].dates)
            return err_set(e, ERR_INTERNAL, "out of memory");
        f[i].dates[0] = nd->first[i];
    }
    *out = f;
    *n = b->nf;
    return ERR_OK;
}
