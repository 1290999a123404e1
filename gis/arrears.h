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

/* The tables of odra (odsetki za zwłokę: the one loaded by gis_rates_interest_load, else the embedded one;
 * koszty upomnienia: embedded). ERR_INTERNAL when missing. */
enum err_code gis_rates_interest(struct gis_rate_table *t, struct err *e);
enum err_code gis_rates_reminder_cost(struct gis_rate_table *t, struct err *e);

/* Loads the interest table an administrator keeps (config [server] interest_rates = PATH, the same format as
 * the embedded one) for gis_rates_interest to give from then on; call once at start, before threads. The file
 * must keep every row of the embedded table as it is and be checked at least as far (it may only add newer
 * rows and extend checked_to): ERR_INVALID naming the file and what is wrong, and nothing changes. */
enum err_code gis_rates_interest_load(const char *path, struct err *e);

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

/* As gis_interest, but a payment day beyond the table's checked_to counts interest only through checked_to and
 * sets *capped (may be NULL) instead of failing: the caller must say so (rate_table_until). */
enum err_code gis_interest_capped(const struct gis_rate_table *t, long principal_gr, int due_day, int paid_day,
                                  long threshold_gr, long *interest_gr, bool *capped, struct err *e);

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

/* ---- a payer's account replayed (the ledger of a public charge) ---- */

/* An obligation on a payer's account: a charge (principal, bearing interest from the day after due_day) or
 * a cost (koszty upomnienia: no interest, paid first, art. 62 § 1a). */
struct gis_oblig {
    int due_day;
    long amount_gr;
    bool cost;
    long tag; /* the caller's (kept through the sorting); 0 for the charges a replay adds for returns */
    /* out of gis_ledger_replay: */
    long paid_gr;          /* of the amount */
    long interest_paid_gr; /* interest paid with it (art. 55 § 2) */
    long interest_open_gr; /* interest fixed at a payment and not paid */
    int accrued_to;        /* interest on what is left is counted from the day after this one */
};

/* A booked payment (amount > 0) or a return or refund (< 0), on day. */
struct gis_money {
    int day;
    long amount_gr;
};

struct gis_ledger_result {
    long credit_gr;   /* nadpłata: paid beyond every obligation, kept and used for the next */
    long reopened_gr; /* returns beyond the credit, become obligations (see below) */
    bool capped;      /* some interest was counted only to the rate table's checked_to */
};

/* Replays payments pay[0..np) (in booking order; sorted here by day, stable) over obligations v[0..n) (any
 * order, sorted here by due day, costs before charges of the same day): each payment goes first to the costs
 * of delivered upomnienia due by its day (art. 62 § 1a), then to the charges in arrears, oldest due date first
 * (art. 62 § 1), each with the interest due on the payment day and, when the money does not cover both, split
 * in the ratio of the principal to that interest (art. 55 § 2), then to the charges not yet due, oldest first;
 * what remains is credit. Credit pays a cost when it falls due (through today, on its due day). A return (negative)
 * takes back credit first; what it takes beyond the credit is added to *extra as a new charge due on the return's day
 * (at most max_extra, which v must have room for after n; *n_out is n plus those). Interest per payment is
 * gis_interest_capped (art. 63 § 1 rounding, the art. 54 § 1 pkt 5 threshold). */
enum err_code gis_ledger_replay(const struct gis_rate_table *rates, long threshold_gr, struct gis_oblig *v, int n,
                                int max_extra, int *n_out, struct gis_money *pay, int np, int today,
                                struct gis_ledger_result *out, struct err *e);

/* The interest due on what is left of o on day (the interest fixed and not paid, plus that of the rest from
 * o->accrued_to); *capped as in gis_interest_capped. 0 for a cost. */
enum err_code gis_oblig_interest(const struct gis_rate_table *rates, long threshold_gr, const struct gis_oblig *o,
                                 int day, long *interest_gr, bool *capped, struct err *e);

#endif
