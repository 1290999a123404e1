/* Unit tests for gis/changes: gis_changes_track records one row of `changes` with the bbox of every
 * geometry a write inserted, moved (old and new) or deleted in any table with a geom column, nothing when
 * the write fails or touches no geometry, and leaves no trigger behind; gis_changes_track_at dates the
 * row as its caller says. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/changes.h"
#include "gis/store_sql.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static enum err_code run_sql(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_store_exec(w, ctx, e);
}

static enum err_code sql_then_fail(struct gis_store *w, void *ctx, struct err *e)
{
    if (gis_store_exec(w, ctx, e))
        return e->code;
    return err_set(e, ERR_CONFLICT, "refused after writing");
}

/* The last row of changes: its table and bbox; false when there is none. */
static bool last_change(struct gis_store *s, long *n, char tbl[32], double bb[4])
{
    sqlite3_stmt *st = NULL;
    struct err e = {0};
    bool ok = false;
    if (!gis_store_prepare(s,
                           "SELECT (SELECT count(*) FROM changes), tbl, minx, miny, maxx, maxy FROM changes "
                           "ORDER BY id DESC LIMIT 1",
                           &st, &e) &&
        sqlite3_step(st) == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        snprintf(tbl, 32, "%s", (const char *)sqlite3_column_text(st, 1));
        for (int i = 0; i < 4; i++)
            bb[i] = sqlite3_column_double(st, 2 + i);
        ok = true;
    }
    sqlite3_finalize(st);
    return ok;
}

/* The at of the last row of changes (back = 0), or of the one before it (back = 1); NULL when there is none. */
static const char *last_at(struct gis_store *s, int back)
{
    static char at[40];
    sqlite3_stmt *st = NULL;
    struct err e = {0};
    const char *r = NULL;
    if (!gis_store_prepare(s, "SELECT at FROM changes ORDER BY id DESC LIMIT 1 OFFSET ?", &st, &e)) {
        sqlite3_bind_int(st, 1, back);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            snprintf(at, sizeof at, "%s", (const char *)sqlite3_column_text(st, 0));
            r = at;
        }
    }
    sqlite3_finalize(st);
    return r;
}

static long triggers(struct gis_store *s)
{
    sqlite3_stmt *st = NULL;
    struct err e = {0};
    long n = -1;
    if (!gis_store_prepare(s, "SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'", &st, &e) &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void tracks_any_spatial_table(void)
{
    char path[] = "/tmp/odra-test-changes-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    CHECK(!gis_store_exec(w,
                          "CREATE TABLE toy_sites (id INTEGER PRIMARY KEY, name TEXT);"
                          "SELECT AddGeometryColumn('toy_sites', 'geom', 2180, 'POINT', 'XY');",
                          &e));
    long n0 = 0, n;
    char tbl[32];
    double bb[4];
    if (last_change(w, &n, tbl, bb))
        n0 = n;
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_changes_track(w, "toy_sites", run_sql,
                             "INSERT INTO toy_sites (name, geom) VALUES ('a', MakePoint(100, 200, 2180)), "
                             "('b', MakePoint(300, 50, 2180))",
                             &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 1 && !strcmp(tbl, "toy_sites"));
    CHECK(bb[0] == 100 && bb[1] == 50 && bb[2] == 300 && bb[3] == 200);
    /* a move records the old and the new place */
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_changes_track(w, "toy_sites", run_sql,
                             "UPDATE toy_sites SET geom = MakePoint(1000, 2000, 2180) WHERE name = 'a'", &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 2);
    CHECK(bb[0] == 100 && bb[1] == 200 && bb[2] == 1000 && bb[3] == 2000);
    /* a write of no geometry records nothing */
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_changes_track(w, "toy_sites", run_sql, "UPDATE toy_sites SET name = 'c' WHERE name = 'b'", &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 2);
    /* a failed write records nothing, keeps its error, and the triggers are gone */
    CHECK(!gis_store_begin(w, &e));
    CHECK(gis_changes_track(w, "toy_sites", sql_then_fail, "DELETE FROM toy_sites", &e) == ERR_CONFLICT);
    CHECK(!strcmp(e.msg, "refused after writing"));
    gis_store_rollback(w);
    err_clear(&e);
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 2);
    CHECK(triggers(w) == 0);
    /* a delete records where the deleted geometry was */
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_changes_track(w, "toy_sites", run_sql, "DELETE FROM toy_sites WHERE name = 'c'", &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 3);
    CHECK(bb[0] == 300 && bb[1] == 50 && bb[2] == 300 && bb[3] == 50);
    CHECK(triggers(w) == 0);
    /* the row is dated now, or at the time the writer gives (an import: its start) */
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_changes_track_at(w, "toy_sites", "2020-01-02T03:04:05Z", run_sql,
                                "INSERT INTO toy_sites (name, geom) VALUES ('d', MakePoint(7, 8, 2180))", &e));
    CHECK(!gis_store_commit(w, &e));
    CHECK(last_change(w, &n, tbl, bb) && n == n0 + 4 && bb[0] == 7 && bb[3] == 8);
    CHECK(last_at(w, 0) && !strcmp(last_at(w, 0), "2020-01-02T03:04:05Z"));
    CHECK(last_at(w, 1) && strcmp(last_at(w, 1), "2020-01-02T03:04:05Z") > 0 && last_at(w, 1)[19] == 'Z');
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(tracks_any_spatial_table);
    return test_done();
}
