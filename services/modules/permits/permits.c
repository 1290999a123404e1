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
            *out = (struct permits_lapse){true, last + 1, "niezłożenie oświadczenia o wartości sprzedaży", false, 0};
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
            *out = (struct permits_lapse){true, last + 1, "nieuiszczenie raty opłaty za korzystanie z zezwolenia", true,
                                          k + 1};
            return;
        }
    }
    out->surcharge = late_any;
}
