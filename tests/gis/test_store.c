/* Tests for gis/store: creation, migrations, WAL mode, read-only connections. */
#include "gis/store.h"

#include <stdlib.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-test-store-XXXXXX";
static char path[256];

static void create_and_migrate(void)
{
    struct err e = {0};
    struct gis_store *w = NULL;
    CHECK(gis_store_open(path, GIS_STORE_CREATE, &w, &e) == ERR_OK);
    if (!w) {
        printf("  %s\n", e.msg);
        return;
    }
    CHECK(gis_store_version(w) == gis_store_latest_version());
    CHECK(gis_store_latest_version() >= 1);
    CHECK(gis_store_count(w, "parcels") == 0);
    CHECK(gis_store_count(w, "no_such_table; DROP TABLE parcels") == -1);
    sqlite3_stmt *st;
    CHECK(gis_store_prepare(w, "PRAGMA journal_mode", &st, &e) == ERR_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal"));
    sqlite3_finalize(st);
    CHECK(gis_store_prepare(w, "SELECT srid FROM geometry_columns WHERE f_table_name = 'parcels'", &st, &e) == ERR_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2180);
    sqlite3_finalize(st);
    CHECK(gis_store_meta_set(w, "tenant", "slubice", &e) == ERR_OK);
    char *v = gis_store_meta_get(w, "tenant");
    CHECK_STR(v, "slubice");
    free(v);
    gis_store_close(w);
}

static void reopen_is_idempotent(void)
{
    struct err e = {0};
    struct gis_store *w = NULL;
    CHECK(gis_store_open(path, GIS_STORE_WRITE, &w, &e) == ERR_OK);
    CHECK(w && gis_store_version(w) == gis_store_latest_version());
    gis_store_close(w);
}

static void reader_cannot_write(void)
{
    struct err e = {0};
    struct gis_store *r = NULL;
    CHECK(gis_store_open(path, GIS_STORE_READ, &r, &e) == ERR_OK);
    if (!r)
        return;
    CHECK(!gis_store_writable(r));
    CHECK(gis_store_exec(r, "INSERT INTO meta VALUES ('x', 'y')", &e) == ERR_IO);
    char *v = gis_store_meta_get(r, "tenant");
    CHECK_STR(v, "slubice");
    free(v);
    gis_store_close(r);
}

static int freed;

static void count_free(void *p)
{
    freed++;
    free(p);
}

/* Derived data kept with a connection: gis_store_state holds while no spatial change is recorded elsewhere
 * and the connection does not write (an unrelated commit, such as an issued extract, keeps it);
 * gis_store_data_state moves with any commit. Attachments are replaced and freed. Cached statements are
 * prepared once and survive reuse. */
static void derived_state_follows_changes_not_other_commits(void)
{
    struct err e = {0};
    struct gis_store *w = NULL, *r = NULL;
    CHECK(gis_store_open(path, GIS_STORE_WRITE, &w, &e) == ERR_OK);
    CHECK(gis_store_open(path, GIS_STORE_READ, &r, &e) == ERR_OK);
    if (!w || !r) {
        gis_store_close(w);
        gis_store_close(r);
        return;
    }
    static const char q[] = "SELECT count(*) FROM meta";
    sqlite3_stmt *a = gis_store_cached(r, q, &e), *b = gis_store_cached(r, q, &e);
    CHECK(a && a == b);
    CHECK(a && sqlite3_step(a) == SQLITE_ROW); /* a is mid-way: a nested use gets its own statement */
    sqlite3_stmt *c = gis_store_cached(r, q, &e);
    CHECK(c && c != a && sqlite3_step(c) == SQLITE_ROW);
    gis_store_release(c);
    gis_store_release(a);
    CHECK(gis_store_cached(r, q, &e) == a);

    long long g0 = gis_store_generation(r), s0 = gis_store_state(r), d0 = gis_store_data_state(r);
    CHECK(g0 >= 0 && s0 >= 0 && d0 >= 0);
    CHECK(gis_store_meta_set(w, "unrelated", "commit", &e) == ERR_OK);
    CHECK(gis_store_state(r) == s0);      /* not a spatial change */
    CHECK(gis_store_data_state(r) != d0); /* but a commit */
    CHECK(gis_store_exec(w, "INSERT INTO changes (tbl, minx, miny, maxx, maxy, at) VALUES ('parcels', 0, 0, 1, 1, 'now')",
                         &e) == ERR_OK);
    CHECK(gis_store_generation(r) == g0 + 1);
    CHECK(gis_store_state(r) != s0);
    long long ws = gis_store_state(w);
    CHECK(gis_store_meta_set(w, "own", "write", &e) == ERR_OK);
    CHECK(gis_store_state(w) != ws); /* this connection wrote */

    static const char key = 0;
    int *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    CHECK(gis_store_attached(r, &key) == NULL);
    CHECK(gis_store_attach(r, &key, x, count_free) && gis_store_attached(r, &key) == x);
    CHECK(gis_store_attach(r, &key, y, count_free) && gis_store_attached(r, &key) == y && freed == 1);
    gis_store_close(r); /* frees y */
    CHECK(freed == 2);
    gis_store_close(w);
}

static void missing_store_is_not_found(void)
{
    struct err e = {0};
    struct gis_store *r = NULL;
    char p[300];
    snprintf(p, sizeof p, "%s/none.sqlite", dir);
    CHECK(gis_store_open(p, GIS_STORE_READ, &r, &e) == ERR_NOT_FOUND);
    CHECK(r == NULL);
    CHECK(strstr(e.msg, "none.sqlite") != NULL);
    CHECK(access(p, F_OK) != 0);
}

static void not_a_database(void)
{
    char p[300];
    snprintf(p, sizeof p, "%s/junk.sqlite", dir);
    FILE *f = fopen(p, "w");
    fputs("this is not an SQLite file, just text that is long enough to have a header......", f);
    fclose(f);
    struct err e = {0};
    struct gis_store *w = NULL;
    CHECK(gis_store_open(p, GIS_STORE_WRITE, &w, &e) != ERR_OK);
    CHECK(w == NULL && e.msg[0]);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/t.sqlite", dir);
    RUN(create_and_migrate);
    RUN(reopen_is_idempotent);
    RUN(reader_cannot_write);
    RUN(derived_state_follows_changes_not_other_commits);
    RUN(missing_store_is_not_found);
    RUN(not_a_database);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 2;
    return test_done();
}
