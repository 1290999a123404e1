/* Unit tests for gis/calendar: day numbers and ISO dates, Easter and the Polish public holidays 2025-2030,
 * working days. */
#include <stdio.h>

#include "gis/calendar.h"
#include "tests/cal_dates.h"
#include "tests/test.h"

static void calendar_roundtrip(void)
{
    CHECK(gis_cal_day(1970, 1, 1) == 0);
    CHECK(gis_cal_weekday(D("2026-11-27")) == 5); /* a Friday */
    CHECK(gis_cal_weekday(D("2024-02-29")) == 4);
    for (int d = D("1999-12-01"); d < D("2031-01-31"); d++)
        CHECK(D(S(d)) == d);
    int x;
    CHECK(!gis_cal_parse_date("2025-02-29", &x));
    CHECK(!gis_cal_parse_date("2025-13-01", &x));
    CHECK(!gis_cal_parse_date("2025-1-01", &x));
    CHECK(!gis_cal_parse_date("2025-01-01x", &x));
    CHECK(gis_cal_parse_month("2026-03", &x) && x == 2026 * 12 + 2);
    CHECK(!gis_cal_parse_month("2026-00", &x));
}

static void easter_2025_2030(void)
{
    const char *known[] = {"2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21"};
    for (int y = 2025; y <= 2030; y++)
        CHECK_STR(S(gis_cal_easter(y)), known[y - 2025]);
    CHECK_STR(S(gis_cal_easter(2024)), "2024-03-31");
    CHECK_STR(S(gis_cal_easter(2000)), "2000-04-23");
}

static void holidays_2025_2030(void)
{
    /* Movable feasts computed by hand from the Easter dates above. */
    const char *movable[] = {
        "2025-04-21", "2025-06-08", "2025-06-19", "2026-04-06", "2026-05-24", "2026-06-04",
        "2027-03-29", "2027-05-16", "2027-05-27", "2028-04-17", "2028-06-04", "2028-06-15",
        "2029-04-02", "2029-05-20", "2029-05-31", "2030-04-22", "2030-06-09", "2030-06-20",
    };
    for (size_t i = 0; i < sizeof movable / sizeof movable[0]; i++)
        CHECK(gis_cal_holiday(D(movable[i])) != NULL);
    CHECK_STR(gis_cal_holiday(D("2026-06-04")), "Boże Ciało");
    CHECK_STR(gis_cal_holiday(D("2026-04-06")), "Poniedziałek Wielkanocny");
    for (int y = 2025; y <= 2030; y++) {
        const char *fixed[] = {"01-01", "01-06", "05-01", "05-03", "08-15",
                               "11-01", "11-11", "12-24", "12-25", "12-26"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            char b[16];
            snprintf(b, sizeof b, "%d-%s", y, fixed[i]);
            CHECK(gis_cal_holiday(D(b)) != NULL);
        }
        /* 14 holidays a year from 2025: 10 fixed (with 24 December) + 4 movable (both Sundays counted). */
        int n = 0;
        for (int d = gis_cal_day(y, 1, 1); d < gis_cal_day(y + 1, 1, 1); d++)
            n += gis_cal_holiday(d) != NULL;
        CHECK(n == 14);
    }
    CHECK(gis_cal_holiday(D("2024-12-24")) == NULL); /* a holiday only from 2025 */
    CHECK(gis_cal_holiday(D("2026-04-07")) == NULL);
    CHECK(gis_cal_holiday(D("2026-11-27")) == NULL);
}

static void working_days(void)
{
    CHECK(gis_cal_working_day(D("2026-11-27")));  /* a Friday */
    CHECK(!gis_cal_working_day(D("2026-11-28"))); /* a Saturday */
    CHECK(!gis_cal_working_day(D("2026-11-29"))); /* a Sunday */
    CHECK(!gis_cal_working_day(D("2026-11-11"))); /* a Wednesday, Independence Day */
    CHECK(!gis_cal_working_day(D("2026-06-04"))); /* Corpus Christi, a Thursday */
    int n = 0;
    for (int d = D("2026-01-01"); d <= D("2026-12-31"); d++)
        n += gis_cal_working_day(d);
    CHECK(n == 253); /* 261 weekdays less the 8 holidays that fall on weekdays in 2026 */
}

/* RFC 3339 instants to the day in Poland: CET (+01:00) in winter, CEST (+02:00) from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC. */
static void instants_in_poland(void)
{
    int x = -1;
    CHECK(gis_cal_parse_instant("2026-05-14", &x) && x == D("2026-05-14"));
    CHECK(gis_cal_parse_instant("2026-05-14T12:00:00Z", &x) && x == D("2026-05-14"));
    CHECK(gis_cal_parse_instant("2026-05-14T21:59:59Z", &x) && x == D("2026-05-14")); /* 23:59:59 CEST */
    CHECK(gis_cal_parse_instant("2026-05-14T22:00:00Z", &x) && x == D("2026-05-15")); /* midnight CEST */
    CHECK(gis_cal_parse_instant("2026-01-14T22:59:59.999Z", &x) && x == D("2026-01-14"));
    CHECK(gis_cal_parse_instant("2026-01-14t23:00:00z", &x) && x == D("2026-01-15")); /* midnight CET */
    CHECK(gis_cal_parse_instant("2026-06-01T23:30:00-02:00", &x) && x == D("2026-06-02"));
    CHECK(gis_cal_parse_instant("2026-06-01T00:30:00+05:00", &x) && x == D("2026-05-31"));
    /* the switches of 2026: 29 March and 25 October, 01:00 UTC */
    CHECK(gis_cal_parse_instant("2026-03-29T00:59:00Z", &x) && x == D("2026-03-29"));
    CHECK(gis_cal_parse_instant("2026-03-28T23:00:00Z", &x) && x == D("2026-03-29"));
    CHECK(gis_cal_parse_instant("2026-10-24T22:00:00Z", &x) && x == D("2026-10-25"));
    CHECK(gis_cal_parse_instant("2026-10-25T22:59:00Z", &x) && x == D("2026-10-25")); /* 23:59 CET */
    CHECK(gis_cal_parse_instant("2026-12-31T23:00:00Z", &x) && x == D("2027-01-01"));
    const char *bad[] = {"",
                         "2026-05-14T12:00:00",
                         "2026-05-14T24:00:00Z",
                         "2026-05-14T12:60:00Z",
                         "2026-05-14T12:00Z",
                         "2026-05-14 12:00:00Z",
                         "2026-05-14T12:00:00.Z",
                         "2026-05-14T12:00:00+0100",
                         "2026-05-14T12:00:00Zx",
                         "2026-02-30",
                         "3000-01-01",
                         "..",
                         "2026-05-14T12:00:00+24:00",
                         NULL};
    for (int i = 0; bad[i]; i++)
        CHECK(!gis_cal_parse_instant(bad[i], &x));
    CHECK(!gis_cal_parse_instant(NULL, &x));
}

int main(void)
{
    RUN(calendar_roundtrip);
    RUN(instants_in_poland);
    RUN(easter_2025_2030);
    RUN(holidays_2025_2030);
    RUN(working_days);
    return test_done();
}
