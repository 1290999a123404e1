/* The calendar every module shares: day numbers (days since 1970-01-01, proleptic Gregorian), month
 * numbers (year * 12 + month - 1), ISO dates, and the statutory public holidays in Poland (ustawa z 18
 * stycznia 1951 r. o dniach wolnych od pracy) with the working days they leave. Pure functions: no
 * allocation, no state, safe from any thread. */
#ifndef GIS_CALENDAR_H
#define GIS_CALENDAR_H
#include <stdbool.h>

/* The day number of y-m-d, and back. */
int gis_cal_day(int y, int m, int d);
void gis_cal_ymd(int day, int *y, int *m, int *d);
/* 28..31. */
int gis_cal_days_in_month(int y, int m);
/* 1 = Monday ... 7 = Sunday. */
int gis_cal_weekday(int day);
/* Parses "YYYY-MM-DD" (a real date, years 1900..2999); false on anything else. */
bool gis_cal_parse_date(const char *s, int *day);
/* Parses an RFC 3339 instant, a full-date "YYYY-MM-DD" (that day) or a date-time
 * "YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)" ('t' and 'z' in either case), into the day it falls on in
 * Poland (Europe/Warsaw: CET, and CEST from the last Sunday of March to the last Sunday of October, 01:00
 * UTC); years 1900..2999. False on anything else (no offset, a 25th hour, trailing text). */
bool gis_cal_parse_instant(const char *s, int *day);
/* Parses "YYYY-MM"; false on anything else. */
bool gis_cal_parse_month(const char *s, int *month);
/* Writes "YYYY-MM-DD" into out (11 bytes) / "YYYY-MM" (8 bytes). */
void gis_cal_format_date(int day, char out[11]);
void gis_cal_format_month(int month, char out[8]);

/* Easter Sunday of year (anonymous Gregorian algorithm). */
int gis_cal_easter(int year);

/* The statutory public holidays in Poland (ustawa o dniach wolnych od pracy), with Easter Sunday,
 * Easter Monday, Pentecost Sunday, Corpus Christi, and 24 December from 2025. The name is static Polish text,
 * or NULL for a day that is not a holiday. */
const char *gis_cal_holiday(int day);

/* Today in the gminas' time zone (the server's local time), as a day number: the default date of every
 * question "what applies here" (plans in force) and the waste module's today. ODRA_TODAY=YYYY-MM-DD in the
 * environment overrides it (tests, and a demo frozen on a day). */
int gis_cal_today(void);

/* Monday to Friday and not a holiday: the days an office works (and a deadline can end on). */
bool gis_cal_working_day(int day);

#endif
