/* The shared calendar: day numbers, ISO dates, Polish public holidays (see gis/calendar.h). */
#include "gis/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Days from civil (H. Hinnant's algorithm), valid for the proleptic Gregorian calendar. */
int gis_cal_day(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gis_cal_ymd(int day, int *y, int *m, int *d)
{
    day += 719468;
    int era = (day >= 0 ? day : day - 146096) / 146097;
    int doe = day - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int gis_cal_weekday(int day)
{
    /* 1970-01-01 was a Thursday (4). */
    int w = (day % 7 + 7 + 3) % 7;
    return w + 1;
}

int gis_cal_days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static bool parse_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool gis_cal_parse_date(const char *s, int *day)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !parse_digits(s, 4, &y) || !parse_digits(s + 5, 2, &m) ||
        !parse_digits(s + 8, 2, &d))
        return false;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > gis_cal_days_in_month(y, m))
        return false;
    *day = gis_cal_day(y, m, d);
    return true;
}

/* The last Sunday of month m of year y. */
static int last_sunday(int y, int m)
{
    int d = gis_cal_day(y, m, gis_cal_days_in_month(y, m));
    return d - gis_cal_weekday(d) % 7;
}

bool gis_cal_parse_instant(const char *s, int *day)
{
    if (!s || strlen(s) < 10 || strlen(s) > 40)
        return false;
    char date[11];
    memcpy(date, s, 10);
    date[10] = 0;
    int d0, h, mi, sec;
    if (!gis_cal_parse_date(date, &d0))
        return false;
    if (!s[10]) {
        *day = d0;
        return true;
    }
    const char *t = s + 10;
    if ((*t != 'T' && *t != 't') || strlen(t) < 10 || t[3] != ':' || t[6] != ':' || !parse_digits(t + 1, 2, &h) ||
        !parse_digits(t + 4, 2, &mi) || !parse_digits(t + 7, 2, &sec) || h > 23 || mi > 59 || sec > 60)
        return false;
    t += 9;
    if (*t == '.') {
        size_t n = strspn(t + 1, "0123456789");
        if (!n)
            return false;
        t += 1 + n;
    }
    int off = 0; /* minutes east of UTC */
    if ((*t == 'Z' || *t == 'z') && !t[1]) {
        off = 0;
    } else if ((*t == '+' || *t == '-') && strlen(t) == 6 && t[3] == ':') {
        int oh, om;
        if (!parse_digits(t + 1, 2, &oh) || !parse_digits(t + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (*t == '-' ? -1 : 1) * (oh * 60 + om);
    } else
        return false;
    /* UTC minutes since the epoch, then Warsaw's offset on that instant */
    long long utc = (long long)d0 * 1440 + h * 60 + mi - off;
    int y, m, dd;
    gis_cal_ymd((int)(utc / 1440 - (utc % 1440 < 0)), &y, &m, &dd);
    long long dst_on = (long long)last_sunday(y, 3) * 1440 + 60, dst_off = (long long)last_sunday(y, 10) * 1440 + 60;
    long long local = utc + (utc >= dst_on && utc < dst_off ? 120 : 60);
    int day_local = (int)(local >= 0 ? local / 1440 : -((-local + 1439) / 1440));
    int ly, lm, ld;
    gis_cal_ymd(day_local, &ly, &lm, &ld);
    if (ly < 1900 || ly > 2999)
        return false;
    *day = day_local;
    return true;
}

bool gis_cal_parse_month(const char *s, int *month)
{
    int y, m;
    if (!s || strlen(s) != 7 || s[4] != '-' || !parse_digits(s, 4, &y) || !parse_digits(s + 5, 2, &m))
        return false;
    if (y < 1900 || y > 2999 || m < 1 || m > 12)
        return false;
    *month = y * 12 + m - 1;
    return true;
}

void gis_cal_format_date(int day, char out[11])
{
    int y, m, d;
    gis_cal_ymd(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

void gis_cal_format_month(int month, char out[8])
{
    snprintf(out, 8, "%04d-%02d", (month / 12) % 10000, month % 12 + 1);
}

int gis_cal_easter(int year)
{
    int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return gis_cal_day(year, month, day);
}

const char *gis_cal_holiday(int day)
{
    int y, m, d;
    gis_cal_ymd(day, &y, &m, &d);
    static const struct {
        int m, d;
        const char *name;
    } fixed[] = {
        {1, 1, "Nowy Rok"},
        {1, 6, "Święto Trzech Króli"},
        {5, 1, "Święto Pracy"},
        {5, 3, "Święto Konstytucji 3 Maja"},
        {8, 15, "Wniebowzięcie Najświętszej Maryi Panny"},
        {11, 1, "Wszystkich Świętych"},
        {11, 11, "Narodowe Święto Niepodległości"},
        {12, 25, "Boże Narodzenie (pierwszy dzień)"},
        {12, 26, "Boże Narodzenie (drugi dzień)"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i].m == m && fixed[i].d == d)
            return fixed[i].name;
    if (m == 12 && d == 24 && y >= 2025)
        return "Wigilia Bożego Narodzenia";
    int off = day - gis_cal_easter(y);
    switch (off) {
    case 0: return "Wielkanoc";
    case 1: return "Poniedziałek Wielkanocny";
    case 49: return "Zesłanie Ducha Świętego (Zielone Świątki)";
    case 60: return "Boże Ciało";
    default: return NULL;
    }
}

bool gis_cal_working_day(int day)
{
    return gis_cal_weekday(day) <= 5 && !gis_cal_holiday(day);
}

int gis_cal_today(void)
{
    int d;
    const char *env = getenv("ODRA_TODAY");
    if (env && gis_cal_parse_date(env, &d))
        return d;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return gis_cal_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}
