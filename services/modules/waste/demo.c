/* The waste module's demo data for `odra demo`: the obręby of the gmina dealt round-robin into 2 to 4 zones
 * (1 when there is one obręb), so the zones cover the gmina; rules that differ by zone; and a few
 * declarations, charges and payments. Deterministic for a gmina and a day (ODRA_TODAY). */
#include <stdio.h>
#include <stdlib.h>

#include "gis/places.h"
#include "services/modules/waste/store.h"
#include "services/modules/waste/waste.h"
#include "util/text.h"

/* The rules of every zone, with weekdays that move on by zone: zone 1 Monday, zone 2 Tuesday, ... */
static enum err_code demo_rules(struct gis_store *w, int nz, struct arena *a, struct err *e)
{
    for (int k = 0; k < nz; k++) {
        int wd = k % 5 + 1;
        const struct waste_rule rules[] = {
            /* mixed waste: every 2 weeks from houses, every week from blocks of flats */
            {"zmieszane", WASTE_EVERY_N_WEEKS, wd, 2, gis_cal_day(2025, 1, 6), 1, 0xFFF, WASTE_BUILDING_SINGLE},
            {"zmieszane", WASTE_WEEKLY, wd, 1, 0, 1, 0xFFF, WASTE_BUILDING_MULTI},
            {"metale", WASTE_EVERY_N_WEEKS, wd, 2, gis_cal_day(2025, 1, 13), 1, 0xFFF, 0},
            {"bio", WASTE_WEEKLY, (wd + 1) % 5 + 1, 1, 0, 1, 0x3F8, 0},                              /* April-October */
            {"bio", WASTE_EVERY_N_WEEKS, (wd + 1) % 5 + 1, 2, gis_cal_day(2025, 1, 6), 1, 0xC07, 0}, /* the rest */
            {"papier", WASTE_MONTHLY, (wd + 2) % 5 + 1, 1, 0, 1, 0xFFF, 0}, /* e.g. first Wednesday */
            {"szklo", WASTE_MONTHLY, (wd + 3) % 5 + 1, 1, 0, 3, 0xFFF, 0},  /* third Thursday */
            {"gabaryty", WASTE_MONTHLY, 5, 1, 0, -1, 0x208, 0},             /* last Friday of April, October */
        };
        const char *zone = arena_printf(a, "R%d", k + 1);
        for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
            if (waste_store_rule_add(w, zone, &rules[i], e))
                return e->code;
    }
    return ERR_OK;
}

/* Declarations for every 97th address (at most 40 households), every fourth changed later. */
struct demo_declarations {
    struct gis_store *w;
    struct arena *a;
    const char *teryt;
    int today, year;
    struct text_rng rng;
    int seen, n;
};

/* A made-up PESEL with a valid check digit: born 1950-1999 on day 1-28 of a month. */
static const char *demo_pesel(struct arena *a, struct text_rng *rng)
{
    static const int w[10] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    char p[12];
    snprintf(p, sizeof p, "%02d%02d%02d%04d", 50 + (int)text_rng_below(rng, 50), 1 + (int)text_rng_below(rng, 12),
             1 + (int)text_rng_below(rng, 28), (int)text_rng_below(rng, 10000));
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += w[i] * (p[i] - '0');
    p[10] = (char)('0' + (10 - sum % 10) % 10);
    p[11] = 0;
    return arena_strdup(a, p);
}

static bool demo_declare(void *ctx, const struct waste_store_address *ad, struct err *e)
{
    struct demo_declarations *dd = ctx;
    if (dd->n >= 40)
        return false;
    if (dd->seen++ % 97 != 5)
        return true;
    struct arena *a = dd->a;
    struct waste_declaration d = {0};
    d.address_id = ad->id;
    d.address_label =
        gis_place_address_label(a, ad->street_prefix, ad->street, ad->number, ad->postal_code, ad->locality);
    d.parcel_id = ad->parcel_id ? arena_strdup(a, ad->parcel_id) : NULL;
    d.payer_name = arena_printf(a, "Gospodarstwo domowe nr %d", dd->n + 1);
    d.pesel = demo_pesel(a, &dd->rng);
    d.title = dd->n % 5 == 4 ? WASTE_TITLE_CO_OWNERSHIP : WASTE_TITLE_OWNERSHIP;
    d.h.residents = 1 + (int)text_rng_below(&dd->rng, 5);
    d.h.sorting = true; /* compulsory since 2019: the higher rate comes only from a decision (art. 6ka) */
    d.building = dd->n % 3 == 2 ? WASTE_BUILDING_MULTI : WASTE_BUILDING_SINGLE;
    d.h.composting = text_rng_below(&dd->rng, 3) == 0 && d.building == WASTE_BUILDING_SINGLE;
    d.change_day = gis_cal_day(dd->year - 1, 1, 1) + (int)text_rng_below(&dd->rng, 300);
    if (waste_declare(dd->w, a, dd->teryt, dd->today, 0, &d, e))
        return false;
    dd->n++;
    if (dd->n % 4 == 0) { /* a change: one more resident, from a later month */
        d.id = 0;
        d.h.residents++;
        d.change_day += 120;
        d.filing = WASTE_FILING_CHANGE;
        if (waste_declare(dd->w, a, dd->teryt, dd->today, 0, &d, e))
            return false;
    }
    return true;
}

/* Payments: most payers paid every due charge, some half of it, some nothing. */
struct demo_payments {
    struct gis_store *w;
    struct arena *a;
};

static bool demo_pay(void *ctx, long payer, int month, long amount, struct err *e)
{
    struct demo_payments *dp = ctx;
    int kind = (int)(payer % 5); /* 0: pays nothing, 1: pays half, else in full */
    if (kind == 0 || amount <= 0)
        return true;
    char mb[8];
    gis_cal_format_month(month, mb);
    bool dup;
    const char *nrb = NULL;
    struct gis_pay_row row;
    return !waste_store_payer_get(dp->w, dp->a, payer, NULL, &nrb, e) &&
           !gis_pay_desk(dp->w, dp->a, nrb, kind == 1 ? amount / 2 : amount,
                         gis_cal_day(month / 12, month % 12 + 1, 10),
                         arena_printf(dp->a, "waste:clerk:demo-%ld-%s", payer, mb), "opłata za odpady", "demo", NULL,
                         NULL, &row, &dup, e);
}

enum err_code waste_demo(struct gis_store *w, const struct config_tenant *t, struct err *e)
{
    long nobreb = gis_store_count(w, "obreby");
    int nz = nobreb <= 1 ? 1 : nobreb < 4 ? 2 : nobreb < 9 ? 3 : 4;
    struct arena *a = arena_new(1 << 14);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    int today = waste_today(), ty, tm, td;
    gis_cal_ymd(today, &ty, &tm, &td);
    struct demo_declarations dd = {.w = w,
                                   .a = a,
                                   .teryt = t->teryt,
                                   .today = today,
                                   .year = ty,
                                   .rng = {0x0dd5 ^ (unsigned long long)atol(t->teryt)}};
    struct demo_payments dp = {w, arena_new(1 << 14)};
    if (!dp.a) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    long changed;
    if (!waste_zones_from_obreby(w, nz, e) && !demo_rules(w, nz, a, e) &&
        !waste_store_addresses_each(w, demo_declare, &dd, e) &&
        !waste_charges_generate(w, ty * 12 + tm - 1, &changed, e))
        waste_store_charges_due_each(w, today, demo_pay, &dp, e);
    arena_free(dp.a);
    arena_free(a);
    return e->code;
}
