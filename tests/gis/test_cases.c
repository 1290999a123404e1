/* Unit tests for gis/cases: case numbers from the office's pattern, and the per-year sequences on a
 * scratch store (numbers run on within a year, start at 1 in the next, and a rollback gives one back). */
#include <stdlib.h>
#include <unistd.h>

#include "gis/cases.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static void case_numbers(void)
{
    struct arena *a = arena_new(4096);
    CHECK_STR(gis_case_number(a, "GP.6727.{seq}.{year}", 15, 2026), "GP.6727.15.2026");
    CHECK_STR(gis_case_number(a, "{year}/{seq}", 3, 2025), "2025/3");
    CHECK_STR(gis_case_number(a, NULL, 7, 2026), "7/2026");
    CHECK_STR(gis_case_number(a, "", 7, 2026), "7/2026");
    CHECK_STR(gis_case_number(a, "OR.0012.{seq}.{year}.{seq", 12, 2027), "OR.0012.12.2027.{seq");
    arena_free(a);
}

static void sequences_per_year(void)
{
    char path[] = "/tmp/odra-test-cases-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    long s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_case_seq_next(w, 2026, &s1, &e) && !gis_case_seq_next(w, 2026, &s2, &e));
    CHECK(!gis_case_seq_next(w, 2027, &s3, &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(s1 == 1 && s2 == 2 && s3 == 1);
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_case_seq_next(w, 2026, &s4, &e) && s4 == 3);
    gis_store_rollback(w);
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_case_seq_next(w, 2026, &s4, &e) && s4 == 3); /* the rolled-back number is given again */
    CHECK(!gis_store_commit(w, &e));
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(case_numbers);
    RUN(sequences_per_year);
    return test_done();
}
