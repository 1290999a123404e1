/* Tests of gis/twin.c: capture into the outbox, frames, application on a replica, terms and fencing. */
#include "gis/twin.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static char path_a[] = "/tmp/odra-twin-a-XXXXXX", path_b[64];
static struct gis_store *A, *B;

static void exec_ok(struct gis_store *s, const char *sql)
{
    struct err e = {0};
    enum err_code rc = gis_store_begin(s, &e);
    if (!rc)
        rc = gis_store_exec(s, sql, &e);
    if (!rc)
        rc = gis_store_commit(s, &e);
    else
        gis_store_rollback(s);
    if (rc)
        printf("  %s: %s\n", sql, e.msg);
    CHECK(rc == ERR_OK);
}

/* ships every outbox frame of A above after through encode and parse, applying them to B */
struct ship {
    struct gis_store *to;
    int applied;
    enum err_code last;
};

static enum err_code ship_one(const struct gis_twin_frame *f, void *ctx, struct err *e)
{
    struct ship *sh = ctx;
    struct buf b = {0};
    gis_twin_frame_encode(f, &b);
    /* ODRA_TWIN_SEEDS=DIR keeps the frames: the seed corpus of tests/fuzz/fuzz_twin.c (tests/fuzz/twin/) */
    const char *seeds = getenv("ODRA_TWIN_SEEDS");
    if (seeds) {
        char p[512];
        snprintf(p, sizeof p, "%s/frame-%lld", seeds, f->id);
        FILE *fp = fopen(p, "wb");
        if (fp) {
            fwrite(b.data, 1, b.len, fp);
            fclose(fp);
        }
    }
    struct gis_twin_frame g;
    size_t used;
    enum err_code rc = gis_twin_frame_parse((const unsigned char *)b.data, b.len, &g, &used, e);
    if (!rc && used != b.len)
        rc = err_set(e, ERR_INTERNAL, "frame length %zu of %zu", used, b.len);
    if (!rc)
        rc = gis_twin_apply(sh->to, "slubice", &g, e);
    buf_free(&b);
    sh->applied += !rc;
    sh->last = rc;
    return rc;
}

static void test_setup_pair(void)
{
    struct err e = {0};
    A = test_store_new(path_a);
    CHECK(A != NULL);
    CHECK(gis_twin_make_primary(A, 1, &e) == ERR_OK);
    exec_ok(A, "INSERT INTO obreby (id, unit, number, name, geom) VALUES (1, '080505_4', '0001', 'Test', "
               "GeomFromText('MULTIPOLYGON(((0 0,100 0,100 100,0 100,0 0)))', 2180))");
    /* the twin starts from a copy of the primary's store: here its file, checkpointed */
    CHECK(gis_store_checkpoint(A, &e) == ERR_OK);
    snprintf(path_b, sizeof path_b, "%s-b", path_a);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp %s %s", path_a, path_b);
    CHECK(system(cmd) == 0);
    CHECK(gis_store_open(path_b, GIS_STORE_WRITE, &B, &e) == ERR_OK);
    struct gis_twin_status st;
    CHECK(gis_twin_status_read(B, &st, &e) == ERR_OK && st.role == GIS_TWIN_PRIMARY && st.last_id == 1);
    CHECK(gis_twin_make_replica(B, 1, st.last_id, &e) == ERR_OK);
    CHECK(gis_twin_status_read(B, &st, &e) == ERR_OK && st.role == GIS_TWIN_REPLICA && st.pending == 0);
    /* a replica takes no writes of its own */
    struct err we = {0};
    CHECK(gis_store_begin(B, &we) == ERR_UNAVAILABLE);
}

static void test_capture_and_apply(void)
{
    struct err e = {0};
    exec_ok(A, "INSERT INTO parcels (id, parcel_id, obreb_id, number, area_m2, geom) VALUES (7, '080505_4.0001.7', 1, "
               "'7', 100, GeomFromText('MULTIPOLYGON(((10 10,20 10,20 20,10 20,10 10)))', 2180))");
    exec_ok(A, "INSERT INTO case_sequences (year, seq) VALUES (2026, 1)");
    exec_ok(A, "UPDATE case_sequences SET seq = seq + 1 WHERE year = 2026");
    /* a rolled-back transaction makes no frame */
    CHECK(gis_store_begin(A, &e) == ERR_OK);
    CHECK(gis_store_exec(A, "INSERT INTO case_sequences (year, seq) VALUES (2030, 5)", &e) == ERR_OK);
    gis_store_rollback(A);
    CHECK(gis_twin_store_last_id(A) == 4);
    struct gis_twin_status st;
    CHECK(gis_twin_status_read(A, &st, &e) == ERR_OK && st.last_id == 4 && st.pending == 4);
    struct ship sh = {.to = B};
    CHECK(gis_twin_outbox_each(A, "slubice", 1, 100, ship_one, &sh, &e) == ERR_OK);
    CHECK(sh.applied == 3);
    char ha[65], hb[65];
    long long at_a, at_b;
    CHECK(gis_twin_content_hash(A, ha, &at_a, &e) == ERR_OK && gis_twin_content_hash(B, hb, &at_b, &e) == ERR_OK);
    CHECK_STR(ha, hb);
    CHECK(at_a == 4 && at_b == 4);
    /* the replica's SpatiaLite triggers kept its spatial index */
    sqlite3_stmt *q;
    CHECK(gis_store_prepare(B, "SELECT count(*) FROM idx_parcels_geom WHERE xmin <= 15 AND xmax >= 15", &q, &e) == 0);
    CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1);
    sqlite3_finalize(q);
    /* applied again: nothing happens */
    sh.applied = 0;
    CHECK(gis_twin_outbox_each(A, "slubice", 1, 100, ship_one, &sh, &e) == ERR_OK && sh.applied == 3);
    CHECK(gis_twin_ack(A, 4, &e) == ERR_OK);
    CHECK(gis_twin_status_read(A, &st, &e) == ERR_OK && st.acked == 4 && st.pending == 0);
    CHECK(gis_twin_content_hash(A, ha, &at_a, &e) == ERR_OK && !strcmp(ha, hb));
}

static void test_refusals(void)
{
    struct err e = {0};
    exec_ok(A, "UPDATE parcels SET area_m2 = 101 WHERE id = 7");
    exec_ok(A, "UPDATE parcels SET area_m2 = 102 WHERE id = 7");
    struct buf b = {0};
    struct gis_twin_frame f = {.tenant = "slubice",
                               .term = 1,
                               .id = 6,
                               .schema = gis_store_version(A),
                               .changeset = (const unsigned char *)"x",
                               .len = 1};
    /* a gap (6 before 5) */
    struct err ge = {0};
    CHECK(gis_twin_apply(B, "slubice", &f, &ge) == ERR_CONFLICT);
    /* another tenant, another schema */
    f.id = 5;
    struct err te = {0};
    CHECK(gis_twin_apply(B, "rzepin", &f, &te) == ERR_INVALID);
    f.schema = 999;
    struct err se = {0};
    CHECK(gis_twin_apply(B, "slubice", &f, &se) == ERR_INVALID);
    /* a changeset that does not apply: an update of a row the replica does not have */
    f.schema = gis_store_version(A);
    struct err ce = {0};
    CHECK(gis_twin_apply(B, "slubice", &f, &ce) != ERR_OK);
    /* tampered frames */
    gis_twin_frame_encode(&f, &b);
    struct gis_twin_frame g;
    size_t used;
    struct err pe = {0};
    CHECK(gis_twin_frame_parse((unsigned char *)b.data, b.len, &g, &used, &pe) == ERR_OK);
    b.data[40] ^= 1;
    struct err pe2 = {0};
    CHECK(gis_twin_frame_parse((unsigned char *)b.data, b.len, &g, &used, &pe2) == ERR_INVALID);
    struct err pe3 = {0};
    CHECK(gis_twin_frame_parse((unsigned char *)b.data, b.len - 1, &g, &used, &pe3) == ERR_INVALID);
    buf_free(&b);
    struct ship sh = {.to = B};
    CHECK(gis_twin_outbox_each(A, "slubice", 4, 100, ship_one, &sh, &e) == ERR_OK && sh.applied == 2);
}

static void test_promote_and_fence(void)
{
    struct err e = {0};
    long long term = 0;
    CHECK(gis_twin_promote(B, &term, &e) == ERR_OK && term == 2);
    struct gis_twin_status st;
    CHECK(gis_twin_status_read(B, &st, &e) == ERR_OK && st.role == GIS_TWIN_PRIMARY && st.last_id == 6);
    CHECK(st.solo); /* no twin follows it yet: kept in the store across restarts */
    /* the new primary's frames continue the ids with the new term */
    exec_ok(B, "UPDATE parcels SET area_m2 = 103 WHERE id = 7");
    CHECK(gis_twin_store_last_id(B) == 7);
    CHECK(gis_twin_ack(B, 7, &e) == ERR_OK);
    CHECK(gis_twin_status_read(B, &st, &e) == ERR_OK && !st.solo && st.acked == 7);
    /* the old primary writes on (it does not know yet), then learns of term 2 and is fenced */
    exec_ok(A, "UPDATE parcels SET area_m2 = 999 WHERE id = 7");
    CHECK(gis_twin_fence(A, 2, &e) == ERR_OK);
    struct err fe = {0};
    CHECK(gis_store_begin(A, &fe) == ERR_UNAVAILABLE);
    CHECK(strstr(fe.msg, "fenced") != NULL);
    /* reopened, it stays fenced */
    gis_store_close(A);
    CHECK(gis_store_open(path_a, GIS_STORE_WRITE, &A, &e) == ERR_OK);
    struct err fe2 = {0};
    CHECK(gis_store_begin(A, &fe2) == ERR_UNAVAILABLE);
    /* a replica of term 2 refuses a frame of term 1 */
    CHECK(gis_twin_make_replica(A, 2, 7, &e) == ERR_OK);
    struct gis_twin_frame f = {.tenant = "slubice",
                               .term = 1,
                               .id = 8,
                               .schema = gis_store_version(A),
                               .changeset = (const unsigned char *)"",
                               .len = 0};
    struct err oe = {0};
    CHECK(gis_twin_apply(A, "slubice", &f, &oe) == ERR_CONFLICT);
}

int main(void)
{
    RUN(test_setup_pair);
    RUN(test_capture_and_apply);
    RUN(test_refusals);
    RUN(test_promote_and_fence);
    gis_store_close(A);
    gis_store_close(B);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s %s %s-wal %s-shm %s-wal %s-shm", path_a, path_b, path_a, path_a, path_b,
             path_b);
    if (system(cmd)) {
    }
    return test_done();
}
