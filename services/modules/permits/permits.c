/* e-Zezwolenia: the rules of the act that need no store, and the check of a place (permits.h). */
#include "services/modules/permits/permits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gis/calendar.h"
#include "gis/places.h"
#include "services/modules/permits/path.h"
#include "services/modules/permits/store.h"

char permits_category_parse(const char *s)
{
    if (!s || !s[0] || s[1])
        return 0;
    char c = (char)(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 32 : s[0]);
    return c >= 'A' && c <= 'C' ? c : 0;
}

bool permits_sale_parse(const char *s, const char **out)
{
    if (s && !strcmp(s, "on"))
        *out = "on";
    else if (s && !strcmp(s, "off"))
        *out = "off";
    else
        return false;
    return true;
}

const char *permits_category_text(char cat)
{
    switch (cat) {
    case 'A': return "A (do 4,5% zawartości alkoholu oraz piwo)";
    case 'B': return "B (powyżej 4,5% do 18% zawartości alkoholu, z wyjątkiem piwa)";
    case 'C': return "C (powyżej 18% zawartości alkoholu)";
    default: return "?";
    }
}

const char *permits_sale_text(const char *sale)
{
    return sale && !strcmp(sale, "on") ? "w miejscu sprzedaży" : "poza miejscem sprzedaży";
}

const char *permits_kind_text(const char *k)
{
    return !k                         ? "obiekt chroniony"
           : !strcmp(k, "school")     ? "szkoła"
           : !strcmp(k, "church")     ? "kościół"
           : !strcmp(k, "playground") ? "plac zabaw"
                                      : "obiekt chroniony";
}

void permits_today(char out[11])
{
    gis_cal_format_date(gis_cal_today(), out);
}

/* ---- fees ---- */

long permits_fee_base_gr(char cat)
{
    return cat == 'C' ? 210000 : cat == 'A' || cat == 'B' ? 52500 : 0;
}

long permits_fee_annual_gr(char cat, long sales_value_gr)
{
    long threshold = cat == 'C' ? 7700000 : 3750000;
    int permille10 = cat == 'C' ? 270 : 140; /* in hundredths of a per cent: 2.7% = 270 */
    if (sales_value_gr <= threshold)
        return permits_fee_base_gr(cat);
    return (long)((sales_value_gr * (long long)permille10 + 5000) / 10000);
}

long permits_fee_first_gr(char cat, int from, int to)
{
    int y, m, d;
    gis_cal_ymd(from, &y, &m, &d);
    int end = gis_cal_day(y, 12, 31), start = gis_cal_day(y, 1, 1);
    int days = (to < end ? to : end) - from + 1, year_days = end - start + 1;
    if (days <= 0)
        return 0;
    return (long)((permits_fee_base_gr(cat) * (long long)days + year_days / 2) / year_days);
}

long permits_fee_one_off_gr(char cat)
{
    return (permits_fee_base_gr(cat) + 6) / 12;
}

void permits_instalments(int year, long fee_gr, int due[3], long amount[3])
{
    due[0] = gis_cal_day(year, 1, 31);
    due[1] = gis_cal_day(year, 5, 31);
    due[2] = gis_cal_day(year, 9, 30);
    amount[1] = amount[2] = fee_gr / 3;
    amount[0] = fee_gr - 2 * (fee_gr / 3);
}

long permits_surcharge_gr(long fee_gr)
{
    return (fee_gr * 30 + 50) / 100;
}

/* What was paid by day (inclusive). */
static long paid_by(const struct permits_payment *pay, int npay, int day)
{
    long s = 0;
    for (int i = 0; i < npay; i++)
        if (pay[i].day <= day)
            s += pay[i].amount_gr;
    return s;
}

void permits_lapse_eval(int year, int today, int statement_day, long fee_gr, const struct permits_payment *pay,
                        int npay, struct permits_lapse *out)
{
    *out = (struct permits_lapse){0};
    int jan31 = gis_cal_day(year, 1, 31);
    /* the statement: due 31 January; within 30 days more with the 30% surcharge (art. 18 ust. 12 pkt 5 lit. a) */
    if (statement_day < 0 || statement_day > jan31 + PERMITS_GRACE_DAYS) {
        int last = jan31 + PERMITS_GRACE_DAYS;
        if (today > last) {
            *out = (struct permits_lapse){true, last + 1, PERMITS_LAPSE_STATEMENT, false, 0};
            return;
        }
        out->surcharge = today > jan31;
        return; /* no fee is known before the statement: the instalments cannot be judged yet */
    }
    bool late_statement = statement_day > jan31;
    int due[3];
    long amount[3], owed = 0;
    permits_instalments(year, fee_gr, due, amount);
    long surcharge = permits_surcharge_gr(fee_gr);
    bool late_any = late_statement;
    for (int k = 0; k < 3; k++) {
        owed += amount[k];
        if (today <= due[k])
            break;
        if (paid_by(pay, npay, due[k]) >= owed + (late_any ? surcharge : 0))
            continue;
        /* late: within 30 days the instalment with the 30% surcharge (art. 18 ust. 12 pkt 5 lit. b) */
        late_any = true;
        int last = due[k] + PERMITS_GRACE_DAYS;
        if (today > last && paid_by(pay, npay, last) < owed + surcharge) {
            *out = (struct permits_lapse){true, last + 1, PERMITS_LAPSE_FEE, true, k + 1};
            return;
        }
    }
    out->surcharge = late_any;
}

int permits_bar_until(int lapsed_on)
{
    int y, m, d;
    gis_cal_ymd(lapsed_on, &y, &m, &d);
    m += 6;
    if (m > 12)
        m -= 12, y++;
    int last = gis_cal_days_in_month(y, m);
    return gis_cal_day(y, m, d < last ? d : last);
}

/* "H:MM" or "HH:MM" at *s into minutes after midnight (24:00 is 1440), advancing *s; -1 when it is not. */
static int read_hm(const char **s)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    int h = 0, m = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 2)
        h = h * 10 + (*p++ - '0'), nd++;
    if (!nd || *p != ':' || !(p[1] >= '0' && p[1] <= '5') || !(p[2] >= '0' && p[2] <= '9'))
        return -1;
    m = (p[1] - '0') * 10 + (p[2] - '0');
    if (h > 24 || (h == 24 && m))
        return -1;
    *s = p + 3;
    return h * 60 + m;
}

/* Whether [a0, a1) and [b0, b1) (minutes, neither wrapping) overlap; the overlap into *f, *t. */
static bool overlap(int a0, int a1, int b0, int b1, int *f, int *t)
{
    int lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    if (lo >= hi)
        return false;
    *f = lo, *t = hi;
    return true;
}

/* Whether the range [o0, o1) (which may wrap midnight) overlaps the ban [b0, b1) (which may wrap). */
static bool range_overlap(int o0, int o1, int b0, int b1, int *f, int *t)
{
    int on[2][2] = {{o0, o1}, {0, 0}}, ban[2][2] = {{b0, b1}, {0, 0}};
    int no = 1, nb = 1;
    if (o1 <= o0) /* wraps: two pieces */
        on[0][1] = 1440, on[1][0] = 0, on[1][1] = o1, no = 2;
    if (b1 <= b0)
        ban[0][1] = 1440, ban[1][0] = 0, ban[1][1] = b1, nb = 2;
    for (int i = 0; i < no; i++)
        for (int k = 0; k < nb; k++)
            if (overlap(on[i][0], on[i][1], ban[k][0], ban[k][1], f, t))
                return true;
    return false;
}

int permits_hours_overlap(const char *hours, const char *ban_from, const char *ban_to, int *from_min, int *to_min)
{
    const char *bf = ban_from, *bt = ban_to;
    int b0 = bf ? read_hm(&bf) : -1, b1 = bt ? read_hm(&bt) : -1;
    if (!hours || b0 < 0 || b1 < 0)
        return -1;
    if (!strcmp(hours, "24h") || !strcmp(hours, "całodobowo"))
        return range_overlap(0, 1440, b0, b1, from_min, to_min) ? 1 : 0;
    const char *s = hours;
    bool any = false;
    while (*s) {
        int o0 = read_hm(&s);
        while (*s == ' ')
            s++;
        if (!strncmp(s, "–", strlen("–")))
            s += strlen("–");
        else if (*s == '-')
            s++;
        else
            return -1;
        int o1 = read_hm(&s);
        if (o0 < 0 || o1 < 0)
            return -1;
        if (range_overlap(o0, o1 == 0 ? 1440 : o1, b0, b1, from_min, to_min))
            return 1;
        any = true;
        while (*s == ' ')
            s++;
        if (*s == ',' || *s == ';')
            s++;
        else if (*s)
            return -1;
    }
    return any ? 0 : -1;
}
