/* e-Odpady below HTTP: collection rules and the holiday shift (over gis/calendar.h), fee computation from
 * rate tables, and the module's data in a tenant store (zones, schedules, declarations, charges, payers,
 * balances; payments and statements through gis/payments.h). The logic is waste.c; the tables are reached
 * only through store.h (store.c holds all the module's SQL); the demo data is demo.c.
 *
 * Ownership: everything returned through an arena lives as long as that arena; nothing else is
 * allocated for the caller. Dates are day numbers (days since 1970-01-01, proleptic Gregorian); months
 * are month numbers (year * 12 + month - 1); money is in grosze (1/100 zł). Functions taking a writer
 * store expect the caller to hold the tenant's write lock and an open transaction. */
#ifndef SERVICES_MODULES_WASTE_WASTE_H
#define SERVICES_MODULES_WASTE_WASTE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/calendar.h"
#include "gis/payments.h"
#include "gis/store.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

/* Today as a day number: gis_cal_today (ODRA_TODAY=YYYY-MM-DD overrides it, for tests). */
int waste_today(void);

/* What happens to a collection that falls on a holiday (or a Sunday), set by each gmina as data. */
enum waste_shift {
    WASTE_SHIFT_NONE,         /* collected anyway */
    WASTE_SHIFT_NEXT_DAY,     /* the next day that is neither a holiday nor a Sunday (may be a Saturday) */
    WASTE_SHIFT_NEXT_WORKING, /* the next Monday-Friday that is not a holiday */
    WASTE_SHIFT_PREV_WORKING, /* the previous Monday-Friday that is not a holiday */
    WASTE_SHIFT_SKIP,         /* dropped */
};
/* "none", "next_day", "next_working_day", "previous_working_day", "skip"; -1 for anything else. */
int waste_shift_parse(const char *s);
const char *waste_shift_name(enum waste_shift s);

enum waste_rule_kind { WASTE_WEEKLY, WASTE_EVERY_N_WEEKS, WASTE_MONTHLY };

/* A collection rule: "weekly on Monday", "every 2nd Tuesday from 2026-01-06", "monthly, first Friday". */
struct waste_rule {
    const char *fraction;
    enum waste_rule_kind kind;
    int weekday;  /* 1 = Monday ... 7 = Sunday */
    int interval; /* EVERY_N_WEEKS: 1..52 */
    int anchor;   /* EVERY_N_WEEKS: one day of the series (on weekday) */
    int nth;      /* MONTHLY: 1..4, or -1 for the last such weekday of the month */
    int months;   /* bit (m - 1) set: the rule applies in month m; 0xFFF is all year */
};

/* Writes the collection days of r in [from, to], after the holiday shift, ascending and without repeats,
 * into out: the first cap of them (the search stops there). Returns how many. */
int waste_rule_dates(const struct waste_rule *r, int from, int to, enum waste_shift shift, int *out, int cap);

/* ---- fees ---- */

enum waste_method { WASTE_HOUSEHOLD, WASTE_RESIDENT, WASTE_WATER, WASTE_CONTAINER };
/* "household", "resident", "water_m3", "container"; -1 for anything else. */
int waste_method_parse(const char *s);
const char *waste_method_name(enum waste_method m);

#define WASTE_MAX_ITEMS      16
#define WASTE_MAX_CONTAINERS 8
#define WASTE_MAX_RESIDENTS  200

/* A rate table for one method. Item keys: HOUSEHOLD the smallest household size the amount applies
 * to (1, 2, 3 = "3 and more"); RESIDENT and WATER key 0 (per resident, per m³); CONTAINER litres. */
struct waste_rate {
    enum waste_method method;
    int valid_from;            /* month */
    double nonsort_multiplier; /* applied when the household does not sort (2..4 by law) */
    long compost_discount_gr;  /* taken off when composting; per resident when compost_per_resident */
    bool compost_per_resident;
    int nitems;
    struct {
        int key;
        long amount_gr;
    } items[WASTE_MAX_ITEMS];
};

/* What a declaration says that the fee depends on. */
struct waste_household {
    int residents; /* 0..WASTE_MAX_RESIDENTS; at least 1 for HOUSEHOLD and RESIDENT */
    bool composting, sorting;
    double water_m3; /* average monthly water use, WATER only */
    int ncontainers; /* CONTAINER only */
    struct {
        int litres;
        int per_month; /* emptyings a month, 1..31 */
    } containers[WASTE_MAX_CONTAINERS];
};

/* The monthly fee: the base amount of the method, times the multiplier when not sorting, less the
 * composting discount (never below 0), rounded to the grosz. ERR_UNPROCESSABLE naming what does not
 * fit the table (no rate for this container size, no residents for a household, ...). */
enum err_code waste_fee(const struct waste_rate *r, const struct waste_household *h, long *fee_gr, struct err *e);

/* ---- the store ---- */

/* A setting from waste_settings, copied into the arena, or def. */
const char *waste_setting(struct gis_store *s, struct arena *a, const char *key, const char *def);

struct waste_zone {
    long id;
    const char *code, *name;
};

/* The zone containing (x, y) (EPSG:2180). ERR_NOT_FOUND when none does. */
enum err_code waste_zone_at(struct gis_store *s, struct arena *a, double x, double y, struct waste_zone *out,
                            struct err *e);

/* Writes the demo zones: the obręby of the store dealt round-robin into nz zones R1..Rnz ("Rejon k: names
 * of its obręby"). Like every write of waste_zones, it adds to `changes` (core migration 002, through
 * gis_changes_track) one row with the bbox of every zone geometry it wrote (old and new), in the caller's transaction,
 * so the tile caches of the waste-zones tileset drop exactly the tiles it touched. */
enum err_code waste_zones_from_obreby(struct gis_store *w, int nz, struct err *e);

struct waste_fraction_dates {
    const char *code, *name;
    const char *rules; /* the rules in words, "co 2 tygodnie, wtorek; ..." */
    int *dates;
    int n;
};

/* The collection days of zone_id in [from, to] per fraction (every fraction, in their order, even those
 * without dates), after the gmina's holiday shift, with each fraction's rules in Polish words. first > 0
 * asks only for the earliest `first` days of each rule (the next collections) and leaves the words out
 * (rules is then "+" for a fraction with rules). */
enum err_code waste_schedule(struct gis_store *s, struct arena *a, long zone_id, int from, int to, int first,
                             struct waste_fraction_dates **out, int *n, struct err *e);

/* The rate table of method in force in month. ERR_UNAVAILABLE when the store has none. */
enum err_code waste_rate_load(struct gis_store *s, enum waste_method method, int month, struct waste_rate *out,
                              struct err *e);

/* A declaration (deklaracja o wysokości opłaty). */
struct waste_declaration {
    long id, payer_id;
    const char *payer_name;
    const char *account; /* the payer's NRB */
    bool nonresidential;
    long address_id;
    const char *address_label, *parcel_id;
    struct waste_household h;
    enum waste_method method;
    long fee_gr;
    int change_day; /* the day the declared data changed (or first applied) */
    int valid_from; /* month the fee applies from */
    const char *filed_at;
};

/* Files d on the writer: a payer_id of 0 creates the payer (its NRB from the bank_sort_code setting and
 * teryt). Computes the method (the gmina's residential or non-residential one), the fee from the rate
 * table and valid_from from change_day by the change_effective setting, and fills them and the ids into d.
 * today bounds change_day: at most two years back and not after the end of the next month. */
enum err_code waste_declare(struct gis_store *w, struct arena *a, const char *teryt, int today,
                            struct waste_declaration *d, struct err *e);

/* The declarations of payer_id, newest first (history). ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_declarations(struct gis_store *s, struct arena *a, long payer_id, struct waste_declaration **out,
                                 int *n, struct err *e);

/* Charges every payer for every month from their first declaration through `through`, with the amount of
 * the declaration in force in that month (the latest valid_from <= month; the later filing wins).
 * Idempotent: rows are inserted or corrected, never doubled. *changed counts rows written. */
enum err_code waste_charges_generate(struct gis_store *w, int through, long *changed, struct err *e);

/* The waste ledger (waste_payers, waste_payments, waste_statements) for gis/payments.h; defined in store.c. */
extern const struct gis_ledger waste_ledger;

struct waste_balance {
    long payer_id;
    const char *name, *account;
    long charged_gr; /* all charges generated so far */
    long due_gr;     /* charges whose due date has come (<= today) */
    long paid_gr;
    long arrears_gr;     /* max(0, due - paid) */
    long balance_gr;     /* paid - charged: > 0 is an overpayment */
    long monthly_fee_gr; /* of the declaration in force this month, 0 when none */
};

/* The payer's account as of today. ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_balance_get(struct gis_store *s, struct arena *a, long payer_id, int today,
                                struct waste_balance *out, struct err *e);

/* ---- demo data (demo.c) ---- */

/* The module's demo data for `odra demo`, on the writer inside the demo's transaction: zones from the obręby,
 * collection rules that differ by zone, and a few declarations, charges and payments (svc_module.demo). */
enum err_code waste_demo(struct gis_store *w, const struct config_tenant *t, struct err *e);

#endif
