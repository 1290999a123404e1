/* Interest for late payment, the upomnienie cost and the allocation of payments to arrears (gis/arrears.h). */
#include "gis/arrears.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum err_code gis_rates_interest(struct gis_rate_table *t, struct err *e)
{
    return rates_embedded("data/codelists/odsetki_za_zwloke.tsv", t, e);
}

enum err_code gis_rates_reminder_cost(struct gis_rate_table *t, struct err *e)
{
    return rates_embedded("data/codelists/koszty_upomnienia.tsv", t, e);
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
