/* Unit tests for gis/arrears.h on worked examples computed by hand (the arithmetic is in the comments): interest
 * for late payment across rate changes with the art. 63 § 1 rounding, the art. 54 § 1 pkt 5 threshold, the
 * upomnienie cost by date, a reminder, and a payment allocated to the oldest arrear first with the art. 55 § 2
 * proportional split. */
#include <string.h>

#include "gis/arrears.h"
#include "gis/calendar.h"
#include "tests/test.h"

static int day(const char *iso)
{
    int d = 0;
    gis_cal_parse_date(iso, &d);
    return d;
}

static struct gis_rate_table rates, costs;

static void the_tables_load_with_their_sources(void)
{
    struct err e = {0};
    CHECK(!gis_rates_interest(&rates, &e));
    CHECK(!gis_rates_reminder_cost(&costs, &e));
    long v;
    CHECK(!gis_rate_on(&rates, day("2023-10-05"), &v, &e) && v == 1450); /* M.P. 2023 poz. 1101 */
    CHECK(!gis_rate_on(&rates, day("2023-10-04"), &v, &e) && v == 1500);
    CHECK(!gis_rate_on(&costs, day("2021-10-12"), &v, &e) && v == 1160);
    CHECK(!gis_rate_on(&costs, day("2021-10-13"), &v, &e) && v == 1600);
    CHECK(gis_rate_on(&rates, day("2026-12-04"), &v, &e) == ERR_UNAVAILABLE); /* beyond checked_to */
    struct gis_rate_table t;
    e = (struct err){0};
    CHECK(gis_rates_parse("from\tv\n2024-01-02\t1\n2024-01-01\t2\n", &t, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "line 3") != NULL);
}

static void interest_across_rate_changes_rounded_to_full_zloty(void)
{
    struct err e = {0};
    long in;
    /* 1000 zł due 30.06.2025, paid 10.09.2025: 1-2.07 at 13.50% (2 days), 3.07-3.09 at 13.00% (29+31+3 = 63
     * days), 4-10.09 at 12.50% (7 days): 1000 × (2×0.135 + 63×0.13 + 7×0.125) / 365 = 1000 × 9.335 / 365
     * = 25.58 zł, rounded up to 26 zł */
    CHECK(!gis_interest(&rates, 100000, day("2025-06-30"), day("2025-09-10"), 0, &in, &e) && in == 2600);
    /* 2000 zł due 30.09.2023, paid 10.10.2023: 1-4.10 at 15.00%, 5-10.10 at 14.50%: 2000 × (4×0.15 + 6×0.145)
     * / 365 = 2000 × 1.47 / 365 = 8.05 zł, rounded down to 8 zł */
    CHECK(!gis_interest(&rates, 200000, day("2023-09-30"), day("2023-10-10"), 0, &in, &e) && in == 800);
    /* the same 8 zł does not exceed a threshold of 8.70 zł (art. 54 § 1 pkt 5): none charged */
    CHECK(!gis_interest(&rates, 200000, day("2023-09-30"), day("2023-10-10"), 870, &in, &e) && in == 0);
    /* 500 zł, 16 days at 14.50%: 500 × 16 × 0.145 / 365 = 3.18 zł -> 3 zł; paid on the due day: none */
    CHECK(!gis_interest(&rates, 50000, day("2023-10-04"), day("2023-10-20"), 0, &in, &e) && in == 300);
    CHECK(!gis_interest(&rates, 50000, day("2023-10-04"), day("2023-10-04"), 0, &in, &e) && in == 0);
    /* 10 zł, 1 day at 14.50%: 0.004 zł -> 0 zł; 1750 zł, 1 day: 0.695 zł -> 1 zł (50 gr and more up) */
    CHECK(!gis_interest(&rates, 1000, day("2024-03-01"), day("2024-03-02"), 0, &in, &e) && in == 0);
    CHECK(!gis_interest(&rates, 175000, day("2024-03-01"), day("2024-03-02"), 0, &in, &e) && in == 100);
    CHECK(gis_interest(&rates, 100000, day("2025-06-30"), day("2026-12-04"), 0, &in, &e) == ERR_UNAVAILABLE);
}

/* A: 1000 zł due 30.06.2025 (26 zł interest on 10.09.2025, above); B: 300 zł due 31.08.2025: 1-3.09 at 13%,
 * 4-10.09 at 12.5%: 300 × (3×0.13 + 7×0.125) / 365 = 300 × 1.265 / 365 = 1.04 -> 1 zł; C: the current charge
 * of 200 zł due 30.09.2025, not yet due on 10.09.2025. */
static void arrears(struct gis_arrear v[3])
{
    v[0] = (struct gis_arrear){.due_day = day("2025-09-30"), .principal_gr = 20000}; /* out of order on purpose */
    v[1] = (struct gis_arrear){.due_day = day("2025-06-30"), .principal_gr = 100000};
    v[2] = (struct gis_arrear){.due_day = day("2025-08-31"), .principal_gr = 30000};
}

static void payments_go_to_the_oldest_arrear_first_then_proportionally(void)
{
    struct err e = {0};
    struct gis_arrear v[3];
    long left;
    /* 1539 zł: A whole (1026), B whole (301), C whole (200), 12 zł left as overpayment */
    arrears(v);
    CHECK(!gis_arrears_allocate(&rates, v, 3, 153900, day("2025-09-10"), 0, &left, &e));
    CHECK(v[0].due_day == day("2025-06-30") && v[0].interest_gr == 2600 && v[0].paid_principal_gr == 100000 &&
          v[0].paid_interest_gr == 2600);
    CHECK(v[1].interest_gr == 100 && v[1].paid_principal_gr == 30000 && v[1].paid_interest_gr == 100);
    CHECK(v[2].interest_gr == 0 && v[2].paid_principal_gr == 20000);
    CHECK(left == 1200);
    /* 513 zł covers not even A with its interest: split 1000 : 26 (art. 55 § 2): 513 × 1000 / 1026 = 500 zł to
     * the principal, 513 × 26 / 1026 = 13 zł to the interest; B and C untouched */
    arrears(v);
    CHECK(!gis_arrears_allocate(&rates, v, 3, 51300, day("2025-09-10"), 0, &left, &e));
    CHECK(v[0].paid_principal_gr == 50000 && v[0].paid_interest_gr == 1300 && left == 0);
    CHECK(v[1].paid_principal_gr == 0 && v[2].paid_principal_gr == 0);
    /* 1100 zł: A whole (1026), then 74 zł to B (owed 301): 74 × 300 / 301 = 73.75 zł principal, 0.25 zł interest */
    arrears(v);
    CHECK(!gis_arrears_allocate(&rates, v, 3, 110000, day("2025-09-10"), 0, &left, &e));
    CHECK(v[1].paid_principal_gr == 7375 && v[1].paid_interest_gr == 25 && v[2].paid_principal_gr == 0);
}

static void a_reminder_names_principal_interest_and_its_cost(void)
{
    struct err e = {0};
    struct gis_arrear v[3];
    struct gis_reminder r;
    arrears(v);
    /* on 10.09.2025: A and B are arrears (1300 zł), interest 26 + 1 zł, the upomnienie costs 16 zł (Dz.U. 2021
     * poz. 67); C is not yet due */
    CHECK(!gis_reminder_compute(&rates, &costs, v, 3, day("2025-09-10"), 0, &r, &e));
    CHECK(r.principal_gr == 130000 && r.interest_gr == 2700 && r.cost_gr == 1600 && r.total_gr == 134300);
}

int main(void)
{
    RUN(the_tables_load_with_their_sources);
    RUN(interest_across_rate_changes_rounded_to_full_zloty);
    RUN(payments_go_to_the_oldest_arrear_first_then_proportionally);
    RUN(a_reminder_names_principal_interest_and_its_cost);
    return test_done();
}
