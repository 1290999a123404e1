/* Arrears of public charges (docs/payments.md, "Interest and reminders"): interest for late payment
 * (odsetki za zwłokę, art. 53-56 Ordynacji podatkowej) from a rate table kept as data with its sources
 * (data/codelists/odsetki_za_zwloke.tsv), the cost of an upomnienie (data/codelists/koszty_upomnienia.tsv),
 * and the allocation of a payment to the oldest arrears first (art. 62 § 1) with the proportional split of
 * art. 55 § 2. Pure functions: no store. Money in grosze, days as gis/calendar.h day numbers. */
#ifndef GIS_ARREARS_H
#define GIS_ARREARS_H
#include <stdbool.h>

#include "util/err.h"

#define GIS_RATES_MAX 64

/* A dated table: from each day on, a value (interest rate in basis points a year, or a cost in grosze). */
struct gis_rate_table {
    int from[GIS_RATES_MAX];
    long value[GIS_RATES_MAX];
    int n;
    int checked_to; /* the last day the table is known to be complete; 0: open-ended */
};

/* Reads a table of tab-separated lines "from<TAB>value[<TAB>source]" (value a decimal with up to two
 * places: percent or zł, kept as basis points or grosze), '#' comments, a "checked_to<TAB>date" line and
 * one header line; rows must be in date order. ERR_INVALID naming the line. */
enum err_code gis_rates_parse(const char *text, struct gis_rate_table *t, struct err *e);

/* The embedded tables of odra (odsetki za zwłokę; koszty upomnienia). ERR_INTERNAL when missing. */
enum err_code gis_rates_interest(struct gis_rate_table *t, struct err *e);
enum err_code gis_rates_reminder_cost(struct gis_rate_table *t, struct err *e);

/* The value in force on day; ERR_NOT_FOUND before the first row, ERR_UNAVAILABLE after checked_to. */
enum err_code gis_rate_on(const struct gis_rate_table *t, int day, long *value, struct err *e);

/* Interest for late payment of principal_gr due on due_day and paid on paid_day: for each day from the day
 * after the due date to the payment day inclusive, principal × rate / 365, the periods of each rate summed
 * exactly, and the sum rounded to full złoty as art. 63 § 1 rounds (under 50 gr down, 50 gr and more up);
 * 0 when paid on time, and 0 when it does not exceed threshold_gr (art. 54 § 1 pkt 5: three times the
 * postal operator's registered-letter fee, a value the caller supplies; 0 for none). ERR_UNAVAILABLE
 * when a day lies beyond the table's checked_to. */
enum err_code gis_interest(const struct gis_rate_table *t, long principal_gr, int due_day, int paid_day,
                           long threshold_gr, long *interest_gr, struct err *e);

/* One arrear (or a charge not yet due) of a payer, and what a payment did to it. */
struct gis_arrear {
    int due_day;
    long principal_gr;
    /* out of gis_arrears_allocate: */
    long interest_gr;       /* interest as of the payment day */
    long paid_principal_gr; /* what the payment covered of the principal */
    long paid_interest_gr;  /* and of the interest */
};

/* Allocates amount_gr paid on paid_day to arrears v[0..n) (any order): the earliest due date first
 * (art. 62 § 1); each covered whole with its interest while the money lasts; the first it cannot cover is
 * split in proportion to its principal and interest on the day of payment (art. 55 § 2, the principal's part
 * rounded to the grosz, the interest's the rest); *left gets what remains after all are covered (an
 * overpayment). */
enum err_code gis_arrears_allocate(const struct gis_rate_table *rates, struct gis_arrear *v, int n, long amount_gr,
                                   int paid_day, long threshold_gr, long *left, struct err *e);

/* An upomnienie issued on day for arrears v[0..n): their principal, the interest as of that day and the
 * cost of the upomnienie then in force; the total the payer is asked for. */
struct gis_reminder {
    long principal_gr, interest_gr, cost_gr, total_gr;
};
enum err_code gis_reminder_compute(const struct gis_rate_table *rates, const struct gis_rate_table *costs,
                                   const struct gis_arrear *v, int n, int day, long threshold_gr,
                                   struct gis_reminder *out, struct err *e);

#endif
