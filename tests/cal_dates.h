/* Dates as text in unit tests: D("2026-05-01") is gis/calendar's day number (-1 when invalid), S(day) the
 * ISO date of a day number, in one of four static buffers (so four may appear in one expression). */
#ifndef TESTS_CAL_DATES_H
#define TESTS_CAL_DATES_H
#include "gis/calendar.h"

static inline int D(const char *s)
{
    int d = -1;
    gis_cal_parse_date(s, &d);
    return d;
}

static inline const char *S(int day)
{
    static char b[4][11];
    static int i;
    i = (i + 1) % 4;
    gis_cal_format_date(day, b[i]);
    return b[i];
}
#endif
