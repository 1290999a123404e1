/* The waste payer's account on the payments core (waste.h, "the payer's account"): its virtual account, and
 * its balance as the payments booked to it (gis/pay.h) replayed over its charges and the costs of its
 * upomnienia by the Ordynacja podatkowa's rules (gis/arrears.h). Nothing is stored of the allocation: it is
 * computed again from the books, so a late statement, a return or a corrected charge is always reflected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/arrears.h"
#include "services/modules/waste/store.h"
#include "services/modules/waste/waste.h"

#define MAX_CHARGES   600 /* 50 years of months */
#define MAX_REMINDERS 100
#define MAX_RETURNS   64
#define MAX_EXAMINED  20000 /* payers with charges due that the arrears list looks at */

enum err_code waste_account_open(struct gis_store *w, struct arena *a, const char *teryt, long payer_id, char nrb[27],
                                 struct err *e)
{
    const char *sort = waste_setting(w, a, "bank_sort_code", "");
    if (strlen(sort) != 8 || strspn(sort, "0123456789") != 8 || !teryt || strlen(teryt) != 7 ||
        strspn(teryt, "0123456789") != 7)
        return err_set(e, ERR_INVALID, "the bank sort code (8 digits) and TERYT (7) make the payer's account");
    char prefix[17];
    snprintf(prefix, sizeof prefix, "%s%s0", sort, teryt);
    char record[24];
    snprintf(record, sizeof record, "%ld", payer_id);
    const char *title = arena_printf(a, "opłata za gospodarowanie odpadami komunalnymi, płatnik nr %ld", payer_id);
    if (gis_pay_nrb(prefix, payer_id, nrb, e))
        return e->code;
    return gis_pay_account_own(w, nrb, "waste", record, title, 0, e);
}

bool waste_payer_linked(struct gis_store *s, long payer_id, long long account)
{
    return account > 0 && waste_store_payer_linked(s, payer_id, account);
}

enum err_code waste_accounts_due(struct gis_store *w, long payer_id, struct err *e)
{
    return waste_store_accounts_due(w, payer_id, e);
}

/* The obligations of the payer: its charges (tag: the month) and the costs of its upomnienia (tag: the
 * upomnienie's id), with room left for returns. */
static enum err_code obligations(struct gis_store *s, struct arena *a, long payer_id, struct gis_oblig **out, int *n,
                                 struct err *e)
{
    struct waste_store_charge *c = arena_alloc(a, sizeof *c * MAX_CHARGES);
    struct gis_oblig *v = arena_alloc(a, sizeof *v * (MAX_CHARGES + MAX_REMINDERS + MAX_RETURNS));
    int nc = 0, nr = 0;
    struct waste_reminder *r;
    if (!c || !v)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (waste_store_charges_of(s, payer_id, c, MAX_CHARGES, &nc, e) ||
        waste_store_reminders(s, a, payer_id, MAX_REMINDERS, &r, &nr, e))
        return e->code;
    for (int i = 0; i < nc; i++)
        v[i] = (struct gis_oblig){.due_day = c[i].due_day, .amount_gr = c[i].amount_gr, .tag = c[i].month};
    for (int i = 0; i < nr; i++)
        v[nc + i] =
            (struct gis_oblig){.due_day = r[i].issued_on, .amount_gr = r[i].cost_gr, .cost = true, .tag = r[i].id};
    *out = v, *n = nc + nr;
    return ERR_OK;
}

/* The booked transactions of the payer's virtual account, up to today. */
static enum err_code moneys(struct gis_store *s, struct arena *a, const char *nrb, int today, struct gis_money **out,
                            int *n, long *paid, struct err *e)
{
    struct gis_pay_row *rows;
    int nr;
    *n = 0, *paid = 0;
    if (gis_pay_tx_of(s, a, nrb, &rows, &nr, e))
        return e->code;
    struct gis_money *m = arena_alloc(a, sizeof *m * (size_t)(nr ? nr : 1));
    if (!m)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < nr; i++) {
        int day;
        if (!rows[i].booked_on || !gis_cal_parse_date(rows[i].booked_on, &day) || day > today)
            continue;
        m[(*n)++] = (struct gis_money){day, rows[i].amount_gr};
        *paid += rows[i].amount_gr;
    }
    *out = m;
    return ERR_OK;
}

/* The balance's lines and sums from the replayed obligations v[0..n), as of today. */
static enum err_code balance_lines(const struct gis_rate_table *rates, struct arena *a, const struct gis_oblig *v,
                                   int n, int today, struct waste_balance *b, bool *capped, struct err *e)
{
    b->periods = arena_alloc(a, sizeof *b->periods * (size_t)(n ? n : 1));
    if (!b->periods)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        const struct gis_oblig *o = &v[i];
        struct waste_period *p = &b->periods[b->n_periods++];
        *p = (struct waste_period){.month = o->cost ? 0 : (int)o->tag,
                                   .due_day = o->due_day,
                                   .cost = o->cost,
                                   .returned = !o->cost && !o->tag,
                                   .reminder_id = o->cost ? o->tag : 0,
                                   .amount_gr = o->amount_gr,
                                   .paid_gr = o->paid_gr,
                                   .interest_paid_gr = o->interest_paid_gr,
                                   .rest_gr = o->amount_gr - o->paid_gr};
        p->overdue = p->rest_gr > 0 && o->due_day < today;
        if ((p->overdue || o->interest_open_gr) &&
            gis_oblig_interest(rates, b->threshold_gr, o, today, &p->interest_gr, capped, e))
            return e->code;
        if (o->cost) {
            b->costs_gr += p->rest_gr;
            continue;
        }
        if (p->overdue)
            b->arrears_gr += p->rest_gr;
        b->interest_gr += p->interest_gr;
    }
    return ERR_OK;
}

enum err_code waste_balance_get(struct gis_store *s, struct arena *a, long payer_id, int today,
                                struct waste_balance *out, struct err *e)
{
    if (waste_store_balance(s, a, payer_id, today, out, e))
        return e->code;
    out->balance_gr = out->paid_gr - out->charged_gr;
    out->threshold_gr = atol(waste_setting(s, a, "interest_threshold_gr", "0"));
    struct gis_rate_table rates;
    struct gis_oblig *v = NULL;
    struct gis_money *m = NULL;
    int n = 0, nm = 0, nall = 0;
    long paid = 0;
    if (gis_rates_interest(&rates, e) || obligations(s, a, payer_id, &v, &n, e))
        return e->code;
    if (!out->account || moneys(s, a, out->account, today, &m, &nm, &paid, e))
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "payer %ld has no account", payer_id);
    struct gis_ledger_result res;
    if (gis_ledger_replay(&rates, out->threshold_gr, v, n, MAX_RETURNS, &nall, m, nm, today, &res, e))
        return e->code;
    bool capped = res.capped;
    if (balance_lines(&rates, a, v, nall, today, out, &capped, e))
        return e->code;
    out->credit_gr = res.credit_gr;
    out->to_pay_gr = out->arrears_gr + out->interest_gr + out->costs_gr;
    out->rate_table_until = capped ? rates.checked_to : 0;
    return ERR_OK;
}

enum err_code waste_arrears_list(struct gis_store *s, struct arena *a, int today, struct waste_balance *out, int cap,
                                 int *n, struct err *e)
{
    *n = 0;
    long *ids = arena_alloc(a, sizeof *ids * MAX_EXAMINED);
    int nid;
    if (!ids)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (waste_store_payers_due(s, today, ids, MAX_EXAMINED, &nid, e))
        return e->code;
    for (int i = 0; i < nid && *n < cap && !e->code; i++) {
        /* each payer's replay in a scratch arena: only the sums and the names are kept (no periods) */
        struct arena *scratch = arena_new(1 << 16);
        struct waste_balance b;
        if (!scratch)
            return err_set(e, ERR_INTERNAL, "out of memory");
        if (!waste_balance_get(s, scratch, ids[i], today, &b, e) && (b.arrears_gr > 0 || b.costs_gr > 0)) {
            b.name = b.name ? arena_strdup(a, b.name) : NULL;
            b.account = b.account ? arena_strdup(a, b.account) : NULL;
            b.periods = NULL, b.n_periods = 0;
            out[(*n)++] = b;
        }
        arena_free(scratch);
    }
    return e->code;
}
