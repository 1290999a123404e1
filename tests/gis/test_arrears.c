/* Unit tests for gis/arrears.h on worked examples computed by hand (the arithmetic is in the comments): interest
 * for late payment across rate changes with the art. 63 § 1 rounding, the art. 54 § 1 pkt 5 threshold, the
 * upomnienie cost by date, a reminder, and a payment allocated to the oldest arrear first with the art. 55 § 2
 * proportional split. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/arrears.h"
#include "gis/calendar.h"
#include "tests/test.h"
#include "util/embed.h"

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

/* ---- a payer's account replayed (gis_ledger_replay) ---- */

#define T 870 /* the threshold of art. 54 § 1 pkt 5 used here: 3 × 2,90 zł */

/* Four charges of 1000 zł of a payer (a business's containers): three in arrears by June 2025, one current. */
static int four_charges(struct gis_oblig *v)
{
    const char *due[] = {"2025-03-15", "2025-04-15", "2025-05-15", "2025-06-15"};
    for (int i = 0; i < 4; i++)
        v[i] = (struct gis_oblig){.due_day = day(due[i]), .amount_gr = 100000, .tag = i + 1};
    return 4;
}

static const struct gis_oblig *by_tag(const struct gis_oblig *v, int n, long tag)
{
    for (int i = 0; i < n; i++)
        if (v[i].tag == tag)
            return &v[i];
    return NULL;
}

/* 2600 zł paid on 10.06.2025 over A (15.03), B (15.04), C (15.05) in arrears and D (15.06) current:
 *   A: 16.03–7.05 = 53 days at 14.50 %, 8.05–10.06 = 34 days at 13.50 %:
 *      1000 × (53 × 14.5 + 34 × 13.5) / 36500 = 1227.5 / 36.5 = 33.63 zł → 34 zł; A takes 1034, 1566 left.
 *   B: 16.04–7.05 = 22 days at 14.50 %, 34 days at 13.50 %: (319 + 459) / 36.5 = 21.32 → 21 zł; 1021, 545 left.
 *   C: 16.05–10.06 = 26 days at 13.50 %: 351 / 36.5 = 9.62 → 10 zł (over 8.70); owed 1010 > 545, so art. 55 § 2:
 *      principal 545 × 1000 / 1010 = 539.60 zł, interest 5.40 zł; 460.40 zł and 4.60 zł of interest stay.
 *   D: nothing. No credit. */
static void allocation_over_three_arrears_and_the_current_charge(void)
{
    struct gis_oblig v[8];
    int n = four_charges(v), nall;
    struct gis_money pay[] = {{day("2025-06-10"), 260000}};
    struct gis_ledger_result res;
    struct err e = {0};
    CHECK(!gis_ledger_replay(&rates, T, v, n, 4, &nall, pay, 1, day("2025-06-10"), &res, &e) && nall == 4);
    const struct gis_oblig *a = by_tag(v, n, 1), *b = by_tag(v, n, 2), *c = by_tag(v, n, 3), *d = by_tag(v, n, 4);
    CHECK(a->paid_gr == 100000 && a->interest_paid_gr == 3400 && a->interest_open_gr == 0);
    CHECK(b->paid_gr == 100000 && b->interest_paid_gr == 2100);
    CHECK(c->paid_gr == 53960 && c->interest_paid_gr == 540 && c->interest_open_gr == 460);
    CHECK(d->paid_gr == 0 && res.credit_gr == 0 && !res.capped);
}

/* Then 2000 zł on 10.07.2025:
 *   C: 460.40 zł from 11.06: 22 days at 13.50 % to 2.07, 8 days at 13.00 % to 10.07:
 *      460.40 × (22 × 13.5 + 8 × 13) / 36500 = 460.40 × 401 / 36500 = 5.06 → 5 zł, not over 8.70: none charged
 *      (art. 54 § 1 pkt 5); the 4.60 zł fixed on 10.06 stays owed: C takes 465.00, 1535 left.
 *   D: 16.06–2.07 = 17 days at 13.50 %, 8 at 13.00 %: (229.5 + 104) / 36.5 = 9.14 → 9 zł; D takes 1009, 526 left:
 *      credit (nadpłata). A charge E of 500 zł due 15.07 generated later is paid from it: 26 zł credit remain. */
static void partial_payments_threshold_and_credit_then_used(void)
{
    struct gis_oblig v[8];
    int n = four_charges(v), nall;
    struct gis_money pay[] = {{day("2025-06-10"), 260000}, {day("2025-07-10"), 200000}};
    struct gis_ledger_result res;
    struct err e = {0};
    CHECK(!gis_ledger_replay(&rates, T, v, n, 4, &nall, pay, 2, day("2025-07-10"), &res, &e));
    const struct gis_oblig *c = by_tag(v, n, 3), *d = by_tag(v, n, 4);
    CHECK(c->paid_gr == 100000 && c->interest_paid_gr == 1000 && c->interest_open_gr == 0);
    CHECK(d->paid_gr == 100000 && d->interest_paid_gr == 900);
    CHECK(res.credit_gr == 52600);
    /* the same books once E is charged */
    n = four_charges(v);
    v[n++] = (struct gis_oblig){.due_day = day("2025-07-15"), .amount_gr = 50000, .tag = 5};
    struct gis_money pay2[] = {{day("2025-06-10"), 260000}, {day("2025-07-10"), 200000}};
    CHECK(!gis_ledger_replay(&rates, T, v, n, 3, &nall, pay2, 2, day("2025-07-20"), &res, &e));
    CHECK(by_tag(v, n, 5)->paid_gr == 50000 && by_tag(v, n, 5)->interest_paid_gr == 0 && res.credit_gr == 2600);
}

/* A return of 100 zł on 20.07.2025 (the bank sent a payment back): the 26 zł credit goes first, the other 74 zł
 * become a charge due that day. On 20.08.2025 its interest: 74 × 31 days × 13 % / 365 = 0.82 → 1 zł, not over 8.70:
 * none. An upomnienie issued 1.08.2025 costs 16 zł (a cost: no interest); 10 zł paid on 5.08 go to the cost first
 * (art. 62 § 1a), though the returned 74 zł are older; 6 zł of the cost and the 74 zł remain. */
static void a_return_and_an_upomnienie_cost_paid_first(void)
{
    struct gis_oblig v[10];
    int n = four_charges(v), nall;
    v[n++] = (struct gis_oblig){.due_day = day("2025-07-15"), .amount_gr = 50000, .tag = 5};
    v[n++] = (struct gis_oblig){.due_day = day("2025-08-01"), .amount_gr = 1600, .cost = true, .tag = 99};
    struct gis_money pay[] = {{day("2025-06-10"), 260000},
                              {day("2025-07-10"), 200000},
                              {day("2025-07-20"), -10000},
                              {day("2025-08-05"), 1000}};
    struct gis_ledger_result res;
    struct err e = {0};
    CHECK(!gis_ledger_replay(&rates, T, v, n, 3, &nall, pay, 4, day("2025-08-20"), &res, &e) && nall == n + 1);
    CHECK(res.credit_gr == 0 && res.reopened_gr == 7400);
    const struct gis_oblig *cost = by_tag(v, nall, 99), *back = by_tag(v, nall, 0);
    CHECK(cost && cost->paid_gr == 1000 && cost->amount_gr - cost->paid_gr == 600);
    CHECK(back && back->amount_gr == 7400 && back->paid_gr == 0 && back->due_day == day("2025-07-20"));
    long in;
    bool capped = false;
    CHECK(!gis_oblig_interest(&rates, T, back, day("2025-08-20"), &in, &capped, &e) && in == 0 && !capped);
    CHECK(!gis_oblig_interest(&rates, 0, back, day("2025-08-20"), &in, &capped, &e) && in == 100);
}

/* Beyond the table's checked_to (14.01.2026) interest is counted to that day and the replay says so. 1000 zł due
 * 15.12.2025, paid 16.02.2026: 16.12.2025–14.01.2026 = 30 days at 11.00 %: 1000 × 30 × 11 / 36500 = 9.04 → 9 zł
 * (the days after are not counted: no rate is known for them). */
static void past_the_rate_table_interest_stops_and_says_so(void)
{
    struct gis_oblig v[2] = {{.due_day = day("2025-12-15"), .amount_gr = 100000, .tag = 1}};
    struct gis_money pay[] = {{day("2026-02-16"), 100900}};
    struct gis_ledger_result res;
    struct err e = {0};
    int nall;
    CHECK(!gis_ledger_replay(&rates, T, v, 1, 1, &nall, pay, 1, day("2026-02-16"), &res, &e));
    CHECK(res.capped && v[0].paid_gr == 100000 && v[0].interest_paid_gr == 900 && res.credit_gr == 0);
}

/* An administrator's newer table (config interest_rates): it must keep odra's rows and may only add; then it is
 * what gis_rates_interest gives. Run last: it changes the process's table. */
static void an_administrators_table_extends_the_embedded_one(void)
{
    struct err e = {0};
    char path[] = "/tmp/odra-test-rates-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *base = embed_find("data/codelists/odsetki_za_zwloke.tsv", NULL);
    CHECK(base != NULL);
    if (fd < 0 || !base)
        return;
    /* a table that drops odra's rows, or changes one, is refused and changes nothing */
    FILE *f = fdopen(fd, "w");
    fprintf(f, "checked_to\t2026-03-31\nfrom\trate_percent\tsource\n2022-09-08\t16.00\tx\n");
    fclose(f);
    CHECK(gis_rates_interest_load(path, &e) == ERR_INVALID && strstr(e.msg, "keep every row") != NULL);
    e = (struct err){0};
    const char *body = strstr(base, "\nfrom\t"), *old = strstr(base, "16.50");
    f = fopen(path, "w");
    fprintf(f, "checked_to\t2026-03-31%.*s16.00%s", (int)(old - body), body, old + 5);
    fclose(f);
    CHECK(gis_rates_interest_load(path, &e) == ERR_INVALID && strstr(e.msg, "row 1 differs") != NULL);
    e = (struct err){0};
    struct gis_rate_table t;
    long v;
    CHECK(!gis_rates_interest(&t, &e) && t.checked_to == day("2026-01-14"));
    /* odra's table with one test row added and checked to 31.03.2026 */
    f = fopen(path, "w");
    fprintf(f, "checked_to\t2026-03-31%s2026-03-05\t10.50\ttest row, not a real obligation\n", body);
    fclose(f);
    CHECK(!gis_rates_interest_load(path, &e));
    CHECK(!gis_rates_interest(&t, &e) && !gis_rate_on(&t, day("2026-03-10"), &v, &e) && v == 1050);
    CHECK(gis_rate_on(&t, day("2026-04-01"), &v, &e) == ERR_UNAVAILABLE);
    unlink(path);
}

int main(void)
{
    RUN(the_tables_load_with_their_sources);
    RUN(interest_across_rate_changes_rounded_to_full_zloty);
    RUN(payments_go_to_the_oldest_arrear_first_then_proportionally);
    RUN(a_reminder_names_principal_interest_and_its_cost);
    RUN(allocation_over_three_arrears_and_the_current_charge);
    RUN(partial_payments_threshold_and_credit_then_used);
    RUN(a_return_and_an_upomnienie_cost_paid_first);
    RUN(past_the_rate_table_interest_stops_and_says_so);
    RUN(an_administrators_table_extends_the_embedded_one);
    return test_done();
}
