/* e-Zezwolenia (module "permits"): alcohol sales permits. The rules of the act (ustawa z dnia 26 października
 * 1982 r. o wychowaniu w trzeźwości i przeciwdziałaniu alkoholizmowi) that need no store: categories,
 * fees (art. 11¹), the instalments and the expiry for a missed statement or instalment (art. 18 ust. 12
 * pkt 5), and the check of a place against the council's rules. The article for each rule is in README.md.
 * Money is in grosze, dates are day numbers (gis/calendar.h). */
#ifndef SERVICES_MODULES_PERMITS_PERMITS_H
#define SERVICES_MODULES_PERMITS_PERMITS_H
#include <jansson.h>
#include <stdbool.h>

#include "gis/store.h"
#include "services/module.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

#define PERMITS_TITLE "Zezwolenia na sprzedaż napojów alkoholowych"

/* 'A', 'B' or 'C' from "A".."C" (either case); 0 otherwise. */
char permits_category_parse(const char *s);

/* Whether s is "on" (w miejscu sprzedaży) or "off" (poza miejscem sprzedaży); out gets the canonical one. */
bool permits_sale_parse(const char *s, const char **out);

/* Polish names: "A (do 4,5% alkoholu oraz piwo)", "w miejscu sprzedaży", ... */
const char *permits_category_text(char cat);
const char *permits_sale_text(const char *sale);
const char *permits_kind_text(const char *object_kind);

/* ---- fees (art. 11¹) ---- */

/* The base annual fee of a category (art. 11¹ ust. 2): 525 zł for A and B, 2100 zł for C. */
long permits_fee_base_gr(char cat);

/* The annual fee from the statement of the past year's sales value (art. 11¹ ust. 5): above the threshold
 * (37 500 zł for A and B, 77 000 zł for C) the percentage (1.4%, 1.4%, 2.7%) of the whole value, rounded to
 * the grosz; else the base fee. */
long permits_fee_annual_gr(char cat, long sales_value_gr);

/* The fee for the first year of a permit valid from day `from` to `to`: the base fee in proportion to the
 * days of that calendar year it is valid. */
long permits_fee_first_gr(char cat, int from, int to);

/* The fee of a one-off permit (art. 18¹): a twelfth of the base fee (see README on its article). */
long permits_fee_one_off_gr(char cat);

/* The three instalments of an annual fee in year y (art. 11¹ ust. 7): due 31 January, 31 May and
 * 30 September, equal, the grosze that do not divide added to the first. */
void permits_instalments(int year, long fee_gr, int due[3], long amount[3]);

/* The statement of the past year's sales value is due by 31 January of the year; the grace after a missed
 * statement or instalment is 30 days, with a surcharge of 30% of the year's fee (art. 18 ust. 12 pkt 5). */
#define PERMITS_GRACE_DAYS 30
long permits_surcharge_gr(long fee_gr);

/* A payment credited to a permit's account for the year. */
struct permits_payment {
    int day;
    long amount_gr;
};

/* What the law says of a permit in year `year` (after its first year) on day `today`. */
struct permits_lapse {
    bool expired;
    int on;             /* the day it expired (the day after the last day of grace) */
    const char *reason; /* Polish, static */
    bool surcharge;     /* a statement or instalment was late but within grace: the 30% is due */
    int instalment;     /* 1..3 when an instalment caused it */
};

/* Decides expiry: statement_day < 0 when no statement was filed; fee_gr the year's fee (0 when unknown,
 * i.e. no statement); payments credited to the year's account (any order). */
void permits_lapse_eval(int year, int today, int statement_day, long fee_gr, const struct permits_payment *pay,
                        int npay, struct permits_lapse *out);

/* The reasons of an expiry for a missed statement or instalment (art. 18 ust. 12 pkt 5), as recorded on
 * the permit; the six-month bar below applies after these only. */
#define PERMITS_LAPSE_STATEMENT "niezłożenie oświadczenia o wartości sprzedaży"
#define PERMITS_LAPSE_FEE       "nieuiszczenie raty opłaty za korzystanie z zezwolenia"

/* After an expiry for a missed statement or instalment the entrepreneur may apply for a new permit only
 * after 6 months from the day of the expiry decision (art. 18 ust. 14 from memory; see README): the first
 * day he may, the same day of the month six months on (the month's last day when it has no such day). */
int permits_bar_until(int lapsed_on);

/* Whether opening hours ("6:00–22:00", several ranges separated by ',' or ';', '-' or '–' between the two
 * times, "24h" for all day) overlap the night ban from..to (e.g. "22:00", "06:00", wrapping midnight):
 * 1 they overlap (*from_min, *to_min the first overlap in minutes after midnight), 0 they do not, -1 the
 * hours cannot be read. */
int permits_hours_overlap(const char *hours, const char *ban_from, const char *ban_to, int *from_min, int *to_min);

/* ---- the check ---- */

/* Runs the check "may a new outlet of category cat, sale on|off, open at p?" on reader r of tenant t:
 * the council limits, every distance rule (with the pedestrian path or straight line as each resolution
 * says) and the plan zone, into a JSON object (the caller owns it) with "allowed" and Polish "reasons". */
enum err_code permits_check(struct gis_store *r, struct arena *a, const struct svc_place *p, char cat, const char *sale,
                            json_t **out, struct err *e);

/* The outlet's opening hours against the night bans in the answer of permits_check (its "night_ban"), for
 * sale off the premises: sets "hours" {hours, verdict: ok | overlaps_ban | unreadable} and adds a reason.
 * It does not refuse: the ban forbids selling alcohol in those hours, not opening (README). */
void permits_check_hours(json_t *answer, struct arena *a, const char *hours);

/* The short answer of /locate under services.permits: for each category and place of sale whether a new
 * outlet could open here (allowed, refused, uncertain) and what stands in the way, the limits, every
 * distance rule with its nearest object, the zone's verdict for a shop and a bar, the night ban, and a
 * Polish summary. Cheaper than six checks: one query per kind of data, and a rule measured along the path
 * builds the street graph only when an object lies nearer than its minimum in a straight line (a path is
 * never shorter); otherwise that rule is "ok" with measured_m null. */
enum err_code permits_summary(struct gis_store *r, struct arena *a, const struct svc_place *p, json_t **out,
                              struct err *e);

/* ---- the decision (decision.c) ---- */

struct gis_seal;
struct buf;

/* What the decision on an application says; every text printed as given (no markup). */
struct permits_decision {
    bool issue, one_off;
    const char *organ, *place, *date, *case_number; /* date: YYYY-MM-DD */
    const char *operator_name, *nip, *outlet, *address, *number, *validity, *opinion, *fee, *reasons;
    char category;
    const char *sale;
    const char *signer; /* the seal's CN, NULL when unsealed */
};

/* The decision's PDF appended to out, sealed with seal (NULL: unsealed, and it says so). */
enum err_code permits_decision_pdf(const struct permits_decision *d, const struct gis_seal *seal, struct buf *out,
                                   bool *sealed, struct err *e);

/* Today as YYYY-MM-DD (ODRA_TODAY honoured, gis_cal_today). */
void permits_today(char out[11]);

/* The module's demo data (demo.c). */
enum err_code permits_demo(struct gis_store *w, const struct config_tenant *t, struct err *e);

#endif
