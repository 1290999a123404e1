/* Unit tests for the tile caches' storage (gis/mbtiles.h) and the change log's reader
 * (gis_changes_each): tiles go in and out in XYZ numbering and lie in the file with MBTiles rows counted
 * from the south (read back with plain SQLite as the oracle), range deletes take exactly the tiles in the
 * range, a read-only connection sees committed tiles and cannot write, a rolled-back put leaves nothing, and
 * the change log is read in id order within (after, upto] with empty bboxes given as NULL. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/changes.h"
#include "gis/mbtiles.h"
#include "gis/store_sql.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static char path[] = "/tmp/odra-test-mbtiles-XXXXXX";

/* The tile_row the file holds for z/x, or -1: read with SQLite itself, not through gis/mbtiles. */
static long raw_row(int z, long x)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long row = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT tile_row FROM tiles WHERE zoom_level = ? AND tile_column = ?", -1, &st, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_int(st, 1, z);
        sqlite3_bind_int64(st, 2, x);
        if (sqlite3_step(st) == SQLITE_ROW)
            row = (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return row;
}

static void put_get_in_xyz(void)
{
    struct err e = {0};
    struct gis_mbtiles *m = NULL;
    CHECK(gis_mbtiles_open(path, GIS_MBTILES_WRITE, &m, &e) == ERR_OK);
    if (!m)
        return;
    CHECK(gis_mbtiles_put(m, 3, 2, 1, "abc", 3, 7, &e) == ERR_OK);
    CHECK(raw_row(3, 2) == 6); /* 2^3 - 1 - 1 */
    struct buf b = {0};
    buf_append(&b, "x", 1);
    bool found = false;
    CHECK(gis_mbtiles_get(m, 3, 2, 1, &b, &found, &e) == ERR_OK && found);
    CHECK(b.len == 4 && !memcmp(b.data, "xabc", 4)); /* appended to what was there */
    found = false;
    CHECK(gis_mbtiles_get(m, 3, 2, 6, &b, &found, &e) == ERR_OK && !found && b.len == 4);
    CHECK(gis_mbtiles_has(m, 3, 2, 1) && !gis_mbtiles_has(m, 3, 2, 6));
    CHECK(gis_mbtiles_put(m, 3, 2, 1, "", 0, 8, &e) == ERR_OK); /* replaced by an empty tile */
    b.len = 0;
    CHECK(gis_mbtiles_get(m, 3, 2, 1, &b, &found, &e) == ERR_OK && found && b.len == 0);
    CHECK(gis_mbtiles_count(m) == 1);
    CHECK(gis_mbtiles_meta_set(m, "odra:change_id", "42", &e) == ERR_OK);
    CHECK(gis_mbtiles_meta_ll(m, "odra:change_id", -1) == 42 && gis_mbtiles_meta_ll(m, "absent", -5) == -5);
    CHECK(e.code == ERR_OK);
    buf_free(&b);
    gis_mbtiles_close(m);
}

static void delete_takes_the_range(void)
{
    struct err e = {0};
    struct gis_mbtiles *m = NULL;
    CHECK(gis_mbtiles_open(path, GIS_MBTILES_WRITE, &m, &e) == ERR_OK);
    if (!m)
        return;
    CHECK(gis_mbtiles_clear(m, &e) == ERR_OK && gis_mbtiles_count(m) == 0);
    CHECK(gis_mbtiles_begin(m, &e) == ERR_OK);
    for (long x = 0; x < 4; x++)
        for (long y = 0; y < 4; y++)
            CHECK(gis_mbtiles_put(m, 4, x, y, "t", 1, 1, &e) == ERR_OK);
    CHECK(gis_mbtiles_commit(m, &e) == ERR_OK && gis_mbtiles_count(m) == 16);
    CHECK(gis_mbtiles_delete(m, 4, 1, 1, 2, 3, &e) == ERR_OK); /* x 1..2, y 1..3: six tiles */
    CHECK(gis_mbtiles_count(m) == 10);
    for (long x = 0; x < 4; x++)
        for (long y = 0; y < 4; y++)
            CHECK(gis_mbtiles_has(m, 4, x, y) == !(x >= 1 && x <= 2 && y >= 1));
    gis_mbtiles_close(m);
}

static void reader_and_rollback(void)
{
    struct err e = {0};
    struct gis_mbtiles *w = NULL, *r = NULL;
    CHECK(gis_mbtiles_open(path, GIS_MBTILES_WRITE, &w, &e) == ERR_OK);
    CHECK(gis_mbtiles_open(path, GIS_MBTILES_READ, &r, &e) == ERR_OK);
    if (!w || !r) {
        gis_mbtiles_close(w);
        gis_mbtiles_close(r);
        return;
    }
    CHECK(gis_mbtiles_put(w, 5, 10, 11, "committed", 9, 1, &e) == ERR_OK);
    CHECK(gis_mbtiles_begin(w, &e) == ERR_OK);
    CHECK(gis_mbtiles_put(w, 5, 12, 13, "rolled back", 11, 1, &e) == ERR_OK);
    gis_mbtiles_rollback(w);
    struct buf b = {0};
    bool found = false;
    CHECK(gis_mbtiles_get(r, 5, 10, 11, &b, &found, &e) == ERR_OK && found && b.len == 9);
    found = false;
    CHECK(gis_mbtiles_get(r, 5, 12, 13, &b, &found, &e) == ERR_OK && !found);
    CHECK(e.code == ERR_OK);
    struct err re = {0};
    CHECK(gis_mbtiles_put(r, 5, 1, 1, "x", 1, 1, &re) != ERR_OK && re.code != ERR_OK);
    buf_free(&b);
    gis_mbtiles_close(r);
    gis_mbtiles_close(w);
}

struct seen {
    long long ids[8];
    bool null[8];
    int n;
};

static enum err_code note_change(long long id, const double *bbox, void *ctx, struct err *e)
{
    (void)e;
    struct seen *s = ctx;
    if (s->n < 8)
        s->ids[s->n] = id, s->null[s->n] = bbox == NULL, s->n++;
    return ERR_OK;
}

static enum err_code stop_at_first(long long id, const double *bbox, void *ctx, struct err *e)
{
    (void)id, (void)bbox, (void)ctx;
    return err_set(e, ERR_CONFLICT, "stop");
}

static void change_log_in_order(void)
{
    char tmpl[] = "/tmp/odra-test-changes-log-XXXXXX";
    struct gis_store *w = test_store_new(tmpl);
    CHECK(w != NULL);
    if (!w)
        return;
    struct err e = {0};
    CHECK(gis_store_exec(w,
                         "INSERT INTO changes (id, tbl, minx, miny, maxx, maxy, at) VALUES "
                         "(1, 'a', 0, 0, 10, 10, 'x'), (2, 'b', NULL, NULL, NULL, NULL, 'x'), "
                         "(3, 'c', 5, 5, 1, 1, 'x'), (4, 'd', 1, 2, 3, 4, 'x'), (5, 'e', 1, 2, 3, 4, 'x')",
                         &e) == ERR_OK);
    struct seen s = {0};
    CHECK(gis_changes_each(w, 1, 4, note_change, &s, &e) == ERR_OK);
    CHECK(s.n == 3 && s.ids[0] == 2 && s.ids[1] == 3 && s.ids[2] == 4);
    CHECK(s.null[0] && s.null[1] && !s.null[2]); /* no bbox, an empty one, a real one */
    struct err se = {0};
    CHECK(gis_changes_each(w, 0, 5, stop_at_first, NULL, &se) == ERR_CONFLICT && se.code == ERR_CONFLICT);
    gis_store_close(w);
    unlink(tmpl);
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd), unlink(path);
    RUN(put_get_in_xyz);
    RUN(delete_takes_the_range);
    RUN(reader_and_rollback);
    RUN(change_log_in_order);
    unlink(path);
    char side[1100];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return test_done();
}
