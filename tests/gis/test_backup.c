/* Unit tests for gis/backup: the rotation rule on worked series (the newest snapshot of each of the last N
 * hours, days and months, always the newest of all) and a store copy checked against its hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/backup.h"
#include "tests/test.h"

#define H 3600
#define D 86400

/* Which of the n snapshots at times t are kept under k, as a string of 'k' and '.' in input order. */
static const char *kept(const time_t *t, int n, struct gis_backup_keep k)
{
    static char out[64];
    bool keep[64];
    gis_backup_rotate(t, n, &k, keep);
    for (int i = 0; i < n; i++)
        out[i] = keep[i] ? 'k' : '.';
    out[n] = 0;
    return out;
}

static void rotation(void)
{
    const time_t base = 1764547200; /* 2025-12-01T00:00:00Z, a Monday */
    /* hourly snapshots for two days (oldest first), at 10 minutes past each hour */
    time_t t[48];
    for (int i = 0; i < 48; i++)
        t[i] = base + i * H + 600;
    /* 24 hourly: the last 24 hours */
    CHECK_STR(kept(t, 48, (struct gis_backup_keep){24, 0, 0}), "........................kkkkkkkkkkkkkkkkkkkkkkkk");
    /* 2 daily: the newest of each day (23:10 of day 1 and of day 2) */
    CHECK_STR(kept(t, 48, (struct gis_backup_keep){0, 2, 0}), ".......................k.......................k");
    /* 3 hourly + 2 daily overlap: the day's newest is also the newest hour */
    CHECK_STR(kept(t, 48, (struct gis_backup_keep){3, 2, 0}), ".......................k.....................kkk");
    /* nothing asked for: the newest still stays */
    CHECK_STR(kept(t, 48, (struct gis_backup_keep){0, 0, 0}), "...............................................k");
    /* several in one hour: only the newest of that hour counts for it */
    time_t same[4] = {base + 60, base + 120, base + 180, base + H + 60};
    CHECK_STR(kept(same, 4, (struct gis_backup_keep){2, 0, 0}), "..kk");
    /* monthly across a year boundary, given in any order: Dec 2025 (two), Jan 2026, Feb 2026 */
    time_t months[4] = {base + 40 * D, base + 5 * D, base + 70 * D, base + 20 * D};
    CHECK_STR(kept(months, 4, (struct gis_backup_keep){0, 0, 2}), "k.k.");
    CHECK_STR(kept(months, 4, (struct gis_backup_keep){0, 0, 12}), "k.kk");
    /* none at all */
    bool none[1] = {true};
    gis_backup_rotate(months, 0, &(struct gis_backup_keep){1, 1, 1}, none);
    CHECK(none[0]);
}

static void copy_and_check(void)
{
    char dir[] = "/tmp/odra-test-backup-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[256], dst[256], cmd[600];
    snprintf(src, sizeof src, "%s/a.sqlite", dir);
    snprintf(dst, sizeof dst, "%s/b.sqlite", dir);
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s 'PRAGMA journal_mode=WAL; CREATE TABLE changes (id INTEGER PRIMARY KEY); "
             "INSERT INTO changes VALUES (7), (42); PRAGMA user_version = 3' >/dev/null",
             src);
    CHECK(system(cmd) == 0);
    struct gis_backup_info in;
    struct err e = {0};
    CHECK(gis_backup_store(src, dst, 1000, &in, &e) == ERR_OK);
    CHECK(in.last_change == 42 && in.schema_version == 3 && in.bytes > 0 && strlen(in.sha256) == 64);
    CHECK(gis_backup_check(dst, in.sha256, &e) == ERR_OK);
    /* the copy is one file: no WAL beside it after checking it */
    snprintf(cmd, sizeof cmd, "%s-wal", dst);
    CHECK(access(cmd, F_OK) != 0);
    e = (struct err){0};
    CHECK(gis_backup_check(dst, "0000000000000000000000000000000000000000000000000000000000000000", &e) == ERR_INVALID);
    e = (struct err){0};
    CHECK(gis_backup_store(src, dst, 1000, &in, &e) == ERR_IO); /* never over an existing file */
    e = (struct err){0};
    snprintf(cmd, sizeof cmd, "%s/missing.sqlite", dir);
    snprintf(src, sizeof src, "%s/c.sqlite", dir);
    CHECK(gis_backup_store(cmd, src, 100, &in, &e) == ERR_IO && access(src, F_OK) != 0);
    /* a file that is not a store */
    FILE *f = fopen(src, "w");
    fputs("not a database, just text long enough to be read as a header of one..............", f);
    fclose(f);
    char sha[65];
    e = (struct err){0};
    CHECK(gis_backup_sha256(src, sha, &e) == ERR_OK);
    e = (struct err){0};
    CHECK(gis_backup_check(src, sha, &e) == ERR_INVALID);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    RUN(rotation);
    RUN(copy_and_check);
    return test_done();
}
