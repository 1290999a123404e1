/* Interest for late payment, the upomnienie cost and the allocation of payments to arrears (gis/arrears.h). */
#include "gis/arrears.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "gis/calendar.h"
#include "util/embed.h"

/* "16.50" or "11,6" into hundredths; false otherwise. */
static bool hundredths(const char *s, size_t n, long *out)
{
    long v = 0;
    int frac = -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (frac >= 2 || v > 100000000)
                return false;
            v = v * 10 + (s[i] - '0');
            if (frac >= 0)
                frac++;
        } else if ((s[i] == '.' || s[i] == ',') && frac < 0 && i > 0) {
            frac = 0;
        } else {
            return false;
        }
    }
    if (n == 0 || frac == 0)
        return false;
    for (int i = frac < 0 ? 0 : frac; i < 2; i++)
        v *= 10;
    *out = v;
    return true;
}

/* One data line "date<TAB>value..." into row i of t. */
static bool rates_row(const char *line, size_t len, struct gis_rate_table *t)
{
    const char *tab = memchr(line, '\t', len);
    char date[11];
    if (!tab || tab - line != 10)
        return false;
    memcpy(date, line, 10);
    date[10] = 0;
    const char *v = tab + 1, *end = memchr(v, '\t', len - (size_t)(v - line));
    size_t vn = end ? (size_t)(end - v) : len - (size_t)(v - line);
    int day;
    long value;
    if (!gis_cal_parse_date(date, &day) || !hundredths(v, vn, &value) || t->n == GIS_RATES_MAX ||
        (t->n && day <= t->from[t->n - 1]))
        return false;
    t->from[t->n] = day, t->value[t->n] = value, t->n++;
    return true;
}

enum err_code gis_rates_parse(const char *text, struct gis_rate_table *t, struct err *e)
{
    memset(t, 0, sizeof *t);
    bool header = false;
    int lineno = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        if (len && p[len - 1] == '\r')
            len--;
        if (len && p[0] != '#') {
            char date[11];
            if (len > 11 && !strncmp(p, "checked_to\t", 11)) {
                snprintf(date, sizeof date, "%.*s", (int)(len - 11 > 10 ? 10 : len - 11), p + 11);
                if (!gis_cal_parse_date(date, &t->checked_to))
                    return err_set(e, ERR_INVALID, "rate table line %d: checked_to is not a date", lineno);
            } else if (!header) {
                header = true;
            } else if (!rates_row(p, len, t)) {
                return err_set(e, ERR_INVALID,
                               "rate table line %d: not 'YYYY-MM-DD<TAB>value' after the previous row's date", lineno);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return t->n ? ERR_OK : err_set(e, ERR_INVALID, "the rate table has no rows");
}

static enum err_code rates_embedded(const char *name, struct gis_rate_table *t, struct err *e)
{
    const char *text = embed_find(name, NULL);
    if (!text)
        return err_set(e, ERR_INTERNAL, "%s is not compiled in", name);
    return gis_rates_parse(text, t, e);
}

static struct gis_rate_table loaded_interest; /* set once at start by gis_rates_interest_load */

enum err_code gis_rates_interest(struct gis_rate_table *t, struct err *e)
{
    if (loaded_interest.n) {
        *t = loaded_interest;
        return ERR_OK;
    }
    return rates_embedded("data/codelists/odsetki_za_zwloke.tsv", t, e);
}

enum err_code gis_rates_reminder_cost(struct gis_rate_table *t, struct err *e)
{
    return rates_embedded("data/codelists/koszty_upomnienia.tsv", t, e);
}

enum err_code gis_rates_interest_load(const char *path, struct err *e)
{
    struct gis_rate_table base, *t = &base;
    if (!path || !*path)
        return ERR_OK;
    if (rates_embedded("data/codelists/odsetki_za_zwloke.tsv", t, e))
        return e->code;
    gchar *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, NULL, &ge)) {
        err_set(e, ERR_INVALID, "interest_rates %s: %s", path, ge ? ge->message : "cannot be read");
        g_clear_error(&ge);
        return e->code;
    }
    struct gis_rate_table mine;
    struct err pe = {0};
    enum err_code rc = gis_rates_parse(text, &mine, &pe);
    g_free(text);
    if (rc)
        return err_set(e, ERR_INVALID, "interest_rates %s: %s", path, pe.msg);
    if (mine.n < t->n || (t->checked_to && (!mine.checked_to || mine.checked_to < t->checked_to)))
        return err_set(e, ERR_INVALID,
                       "interest_rates %s: it must keep every row of odra's table and be checked at "
                       "least as far",
                       path);
    for (int i = 0; i < t->n; i++)
        if (mine.from[i] != t->from[i] || mine.value[i] != t->value[i]) {
            char d[11];
            gis_cal_format_date(t->from[i], d);
            return err_set(e, ERR_INVALID, "interest_rates %s: row %d differs from odra's table (%s)", path, i + 1, d);
        }
    loaded_interest = mine;
    return ERR_OK;
}

static enum err_code beyond(const struct gis_rate_table *t, int day, struct err *e)
{
    char d[11], c[11];
    gis_cal_format_date(day, d);
    gis_cal_format_date(t->checked_to, c);
    return err_set(e, ERR_UNAVAILABLE,
                   "no rate is known for %s: the table is complete to %s only (add the newer obwieszczenie)", d, c);
}

enum err_code gis_rate_on(const struct gis_rate_table *t, int day, long *value, struct err *e)
{
    if (t->checked_to && day > t->checked_to)
        return beyond(t, day, e);
    for (int i = t->n - 1; i >= 0; i--)
        if (t->from[i] <= day) {
            *value = t->value[i];
            return ERR_OK;
        }
    return err_set(e, ERR_NOT_FOUND, "the table starts after the day asked for");
}

enum err_code gis_interest(const struct gis_rate_table *t, long principal_gr, int due_day, int paid_day,
                           long threshold_gr, long *interest_gr, struct err *e)
{
    *interest_gr = 0;
    if (paid_day <= due_day || principal_gr <= 0)
        return ERR_OK;
    if (t->checked_to && paid_day > t->checked_to)
        return beyond(t, paid_day, e);
    /* sum of principal × days × rate(bp): /(365 × 10000) gives grosze */
    long long num = 0;
    for (int day = due_day + 1; day <= paid_day;) {
        long bp;
        if (gis_rate_on(t, day, &bp, e))
            return e->code;
        int i = t->n - 1;
        while (t->from[i] > day)
            i--;
        int end = i + 1 < t->n && t->from[i + 1] - 1 < paid_day ? t->from[i + 1] - 1 : paid_day;
        num += (long long)principal_gr * (end - day + 1) * bp;
        day = end + 1;
    }
    const long long den = 365LL * 10000;
    long zl = (long)((num + 50 * den) / (100 * den)); /* under 50 gr down, 50 gr and more up */
    *interest_gr = zl * 100 > threshold_gr ? zl * 100 : 0;
    return ERR_OK;
}

enum err_code gis_interest_capped(const struct gis_rate_table *t, long principal_gr, int due_day, int paid_day,
                                  long threshold_gr, long *interest_gr, bool *capped, struct err *e)
{
    if (t->checked_to && paid_day > t->checked_to) {
        if (capped && due_day < paid_day && principal_gr > 0)
            *capped = true;
        paid_day = t->checked_to;
    }
    return gis_interest(t, principal_gr, due_day, paid_day, threshold_gr, interest_gr, e);
}

static int by_due(const void *a, const void *b)
{
    const struct gis_arrear *x = a, *y = b;
    return (x->due_day > y->due_day) - (x->due_day < y->due_day);
}

enum err_code gis_arrears_allocate(const struct gis_rate_table *rates, struct gis_arrear *v, int n, long amount_gr,
                                   int paid_day, long threshold_gr, long *left, struct err *e)
{
    qsort(v, (size_t)n, sizeof *v, by_due);
    long money = amount_gr;
    for (int i = 0; i < n; i++) {
        struct gis_arrear *a = &v[i];
        a->paid_principal_gr = a->paid_interest_gr = 0;
        if (gis_interest(rates, a->principal_gr, a->due_day, paid_day, threshold_gr, &a->interest_gr, e))
            return e->code;
        long owed = a->principal_gr + a->interest_gr;
        if (money <= 0)
            continue;
        if (money >= owed) {
            a->paid_principal_gr = a->principal_gr, a->paid_interest_gr = a->interest_gr;
            money -= owed;
        } else {
            /* art. 55 § 2: in the ratio of the principal to the interest on the day of payment */
            a->paid_principal_gr = (long)(((long long)money * a->principal_gr * 2 + owed) / (2LL * owed));
            a->paid_interest_gr = money - a->paid_principal_gr;
            money = 0;
        }
    }
    *left = money;
    return ERR_OK;
}

enum err_code gis_reminder_compute(const struct gis_rate_table *rates, const struct gis_rate_table *costs,
                                   const struct gis_arrear *v, int n, int day, long threshold_gr,
                                   struct gis_reminder *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        long in;
        if (v[i].due_day >= day)
            continue; /* not yet due: not an arrear */
        if (gis_interest(rates, v[i].principal_gr, v[i].due_day, day, threshold_gr, &in, e))
            return e->code;
        out->principal_gr += v[i].principal_gr;
        out->interest_gr += in;
    }
    if (out->principal_gr && gis_rate_on(costs, day, &out->cost_gr, e))
        return e->code;
    out->total_gr = out->principal_gr + out->interest_gr + out->cost_gr;
    return ERR_OK;
}

/* ---- the replay ---- */

static int oblig_order(const void *a, const void *b)
{
    const struct gis_oblig *x = a, *y = b;
    if (x->due_day != y->due_day)
        return (x->due_day > y->due_day) - (x->due_day < y->due_day);
    return (int)y->cost - (int)x->cost;
}

static int money_order(const void *a, const void *b)
{
    const struct gis_money *x = a, *y = b;
    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return (x > y) - (x < y); /* stable: booking order */
}

enum err_code gis_oblig_interest(const struct gis_rate_table *rates, long threshold_gr, const struct gis_oblig *o,
                                 int day, long *interest_gr, bool *capped, struct err *e)
{
    *interest_gr = 0;
    if (o->cost)
        return ERR_OK;
    long fresh;
    if (gis_interest_capped(rates, o->amount_gr - o->paid_gr, o->accrued_to, day, threshold_gr, &fresh, capped, e))
        return e->code;
    *interest_gr = o->interest_open_gr + fresh;
    return ERR_OK;
}

/* Pays what money covers of o on day (with its interest when it is in arrears); returns what is left. */
static long pay_one(const struct gis_rate_table *rates, long threshold_gr, struct gis_oblig *o, long money, int day,
                    bool *capped, struct err *e)
{
    long rest = o->amount_gr - o->paid_gr, interest = o->interest_open_gr;
    if (rest <= 0 && interest <= 0)
        return money;
    if (!o->cost && day > o->accrued_to) {
        if (gis_oblig_interest(rates, threshold_gr, o, day, &interest, capped, e))
            return -1;
        o->interest_open_gr = interest;
        o->accrued_to = day;
    }
    long owed = rest + interest;
    if (money >= owed) {
        o->paid_gr += rest, o->interest_paid_gr += interest, o->interest_open_gr = 0;
        return money - owed;
    }
    /* art. 55 § 2: in the ratio of the principal to the interest on the day of payment */
    long p = (long)(((long long)money * rest * 2 + owed) / (2LL * owed));
    o->paid_gr += p, o->interest_paid_gr += money - p, o->interest_open_gr -= money - p;
    return 0;
}

/* Applies money on day: costs due by then, then charges by due date. Returns what is left (credit). */
static long apply_money(const struct gis_rate_table *rates, long threshold_gr, struct gis_oblig *v, int n, long money,
                        int day, bool *capped, struct err *e)
{
    for (int pass = 0; pass < 2 && money > 0; pass++)
        for (int i = 0; i < n && money > 0; i++) {
            if (v[i].cost != (pass == 0) || (v[i].cost && v[i].due_day > day))
                continue;
            if ((money = pay_one(rates, threshold_gr, &v[i], money, day, capped, e)) < 0)
                return -1;
        }
    return money;
}

/* Credit pays the costs that fell due by day, on their own due day (so no interest arises). */
static long use_credit(const struct gis_rate_table *rates, long threshold_gr, struct gis_oblig *v, int n, long credit,
                       int day, bool *capped, struct err *e)
{
    for (int i = 0; i < n && credit > 0; i++)
        if (v[i].due_day <= day && (credit = pay_one(rates, threshold_gr, &v[i], credit, v[i].due_day, capped, e)) < 0)
            return -1;
    return credit;
}

enum err_code gis_ledger_replay(const struct gis_rate_table *rates, long threshold_gr, struct gis_oblig *v, int n,
                                int max_extra, int *n_out, struct gis_money *pay, int np, int today,
                                struct gis_ledger_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        v[i].paid_gr = v[i].interest_paid_gr = v[i].interest_open_gr = 0, v[i].accrued_to = v[i].due_day;
    qsort(v, (size_t)n, sizeof *v, oblig_order);
    qsort(pay, (size_t)np, sizeof *pay, money_order);
    int extra = 0;
    for (int k = 0; k < np; k++) {
        int m = n + extra;
        if ((out->credit_gr = use_credit(rates, threshold_gr, v, m, out->credit_gr, pay[k].day, &out->capped, e)) < 0)
            return e->code;
        if (pay[k].amount_gr >= 0) {
            long left = apply_money(rates, threshold_gr, v, m, pay[k].amount_gr, pay[k].day, &out->capped, e);
            if (left < 0)
                return e->code;
            out->credit_gr += left;
            continue;
        }
        long back = -pay[k].amount_gr, take = back < out->credit_gr ? back : out->credit_gr;
        out->credit_gr -= take, back -= take;
        if (back == 0)
            continue;
        if (extra == max_extra)
            return err_set(e, ERR_UNPROCESSABLE, "more returns than the account can show");
        v[m] = (struct gis_oblig){.due_day = pay[k].day, .amount_gr = back, .accrued_to = pay[k].day};
        extra++;
        out->reopened_gr += back;
        qsort(v, (size_t)(n + extra), sizeof *v, oblig_order);
    }
    if ((out->credit_gr = use_credit(rates, threshold_gr, v, n + extra, out->credit_gr, today, &out->capped, e)) < 0)
        return e->code;
    *n_out = n + extra;
    return ERR_OK;
}
