/* Tests of gis/twin.c: capture into the outbox, frames, application on a replica, terms and fencing. */
#include "gis/twin.h"

#include "gis/audit.h"
#include "gis/identity.h"
#include "gis/twin_identity.h"

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

/* Copies one identity store's rows of a gmina into the (primary) store w in one write; whether it made a frame. */
static bool ident_copy(struct gis_identity *id, struct gis_store *w, long long after)
{
    struct err e = {0};
    struct gis_twin_ident *x = NULL;
    long long before = gis_twin_store_last_id(w);
    CHECK(gis_twin_ident_read(id, "slubice", true, after, &x, &e) == ERR_OK);
    CHECK(gis_store_begin(w, &e) == ERR_OK);
    CHECK(gis_twin_ident_write(w, x, &e) == ERR_OK);
    CHECK(gis_store_commit(w, &e) == ERR_OK);
    gis_twin_ident_free(x);
    return gis_twin_store_last_id(w) > before;
}

static long long count(struct gis_store *s, const char *sql)
{
    struct err e = {0};
    sqlite3_stmt *q;
    long long n = -1;
    if (gis_store_prepare(s, sql, &q, &e) == ERR_OK && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

static void test_identity_rows(void)
{
    struct err e = {0};
    char pa[] = "/tmp/odra-twin-ida-XXXXXX", pb[] = "/tmp/odra-twin-idb-XXXXXX";
    close(mkstemp(pa));
    close(mkstemp(pb));
    struct gis_identity *IA = NULL, *IB = NULL;
    CHECK(gis_identity_open(pa, &IA, &e) == ERR_OK && gis_identity_open(pb, &IB, &e) == ERR_OK);
    CHECK(gis_twin_ident_prepare(IA, &e) == ERR_OK && gis_twin_ident_prepare(IB, &e) == ERR_OK);
    long long own, root, jan, api, other;
    unsigned char key[32] = {7};
    CHECK(gis_account_add(IB, "staff", "own", "$pw-own-b", NULL, NULL, &own, &e) == ERR_OK);
    CHECK(gis_account_add(IA, "admin", "root", "$pw-root", NULL, NULL, &root, &e) == ERR_OK);
    CHECK(gis_account_add(IA, "staff", "jan", "$pw-jan", NULL, NULL, &jan, &e) == ERR_OK);
    CHECK(gis_grant_add(IA, jan, "slubice", "clerk", &e) == ERR_OK);
    CHECK(gis_grant_add(IA, jan, "rzepin", "planner", &e) == ERR_OK);
    CHECK(gis_account_add(IA, "client", "api", NULL, key, "slubice", &api, &e) == ERR_OK);
    CHECK(gis_client_scope_add(IA, api, "cases:read", &e) == ERR_OK);
    CHECK(gis_account_add(IA, "staff", "own", "$pw-own-a", NULL, NULL, &other, &e) == ERR_OK);
    CHECK(gis_grant_add(IA, other, "slubice", "clerk", &e) == ERR_OK);
    CHECK(gis_audit_append(IA, &(struct gis_audit_entry){"jan", "case.register", "slubice", "S/1", NULL, NULL}, &e) ==
          ERR_OK);
    CHECK(gis_audit_append(IA, &(struct gis_audit_entry){"ola", "case.register", "rzepin", "R/1", NULL, NULL}, &e) ==
          ERR_OK);
    CHECK(gis_audit_append(IA, &(struct gis_audit_entry){"jan", "login", NULL, "jan", NULL, NULL}, &e) == ERR_OK);
    /* B is a primary by now (test_promote_and_fence): the rows of gmina slubice go into its store, one frame */
    CHECK(ident_copy(IA, B, 0));
    CHECK(count(B, "SELECT count(*) FROM ident_accounts") == 3); /* jan, api, own: not root */
    CHECK(count(B, "SELECT count(*) FROM ident_accounts WHERE login = 'jan' AND grants = 'clerk'") == 1);
    CHECK(count(B, "SELECT count(*) FROM ident_audit") == 2); /* slubice's and the server-wide one */
    CHECK(!ident_copy(IA, B, 3));                             /* nothing changed: no frame */
    CHECK(gis_account_set_disabled(IA, api, true, &e) == ERR_OK);
    CHECK(ident_copy(IA, B, 3));
    CHECK(gis_account_set_disabled(IA, api, false, &e) == ERR_OK);
    CHECK(ident_copy(IA, B, 3));
    /* the takeover at site B: jan and the client come over, B's own "own" is untouched, root stays out */
    struct gis_twin_ident_report rep;
    CHECK(gis_twin_ident_import(IB, B, "slubice", &rep, &e) == ERR_OK);
    CHECK(rep.added == 2 && rep.merged == 0 && rep.skipped == 1 && rep.audit == 2);
    CHECK_STR(rep.skipped_logins, "own");
    struct gis_account a;
    char pw[128];
    CHECK(gis_account_find_login(IB, "jan", &a, pw, sizeof pw, &e) == ERR_OK);
    CHECK_STR(pw, "$pw-jan");
    CHECK(gis_grant_has(IB, a.id, "slubice", "clerk") && !gis_grant_has(IB, a.id, "rzepin", "planner"));
    CHECK(gis_client_find(IB, key, &a, &e) == ERR_OK && gis_client_has_scope(IB, a.id, "cases:read"));
    CHECK(gis_account_find_login(IB, "own", &a, pw, sizeof pw, &e) == ERR_OK);
    CHECK_STR(pw, "$pw-own-b");
    struct err ne = {0};
    CHECK(gis_account_get(IB, "root", &a, &ne) == ERR_NOT_FOUND);
    long long rows = 0, bad = -1;
    CHECK(gis_audit_verify(IB, &rows, &bad, &e) == ERR_OK && rows == 2 && bad == 0);
    /* again: the same accounts, the audit rows once */
    CHECK(gis_twin_ident_import(IB, B, "slubice", &rep, &e) == ERR_OK);
    CHECK(rep.added == 0 && rep.merged == 2 && rep.skipped == 1 && rep.audit == 0);
    /* the imported rows are not copied back */
    struct gis_twin_ident *x = NULL;
    CHECK(gis_twin_ident_read(IB, "slubice", false, 0, &x, &e) == ERR_OK && gis_twin_ident_empty(x));
    gis_twin_ident_free(x);
    gis_identity_close(IA);
    gis_identity_close(IB);
    unlink(pa);
    unlink(pb);
}

/* The takeover with identity rows is one transaction on the gmina's store (the new term and the renumbered
 * account ids): a failure inside it, here in the renumbering, leaves a replica of the old term with nothing
 * renumbered, as a crash between the two halves would; the identity store's half, already committed, is
 * found again by the repeated promotion, which gives the same ids. */
static void test_takeover_one_transaction(void)
{
    struct err e = {0};
    char pp[] = "/tmp/odra-twin-tp-XXXXXX", pr[64], ia[] = "/tmp/odra-twin-tia-XXXXXX",
         iq[] = "/tmp/odra-twin-tiq-XXXXXX";
    struct gis_store *P = test_store_new(pp), *R = NULL;
    CHECK(P != NULL);
    if (!P)
        return;
    CHECK(gis_twin_make_primary(P, 1, &e) == ERR_OK);
    close(mkstemp(ia));
    close(mkstemp(iq));
    struct gis_identity *IA = NULL, *IQ = NULL;
    CHECK(gis_identity_open(ia, &IA, &e) == ERR_OK && gis_identity_open(iq, &IQ, &e) == ERR_OK);
    CHECK(gis_twin_ident_prepare(IA, &e) == ERR_OK && gis_twin_ident_prepare(IQ, &e) == ERR_OK);
    long long ewa, q1, q2;
    /* at the twin's site ids 1 and 2 are taken: ewa (id 1 at the old site) gets another id there */
    CHECK(gis_account_add(IQ, "staff", "q1", "$pw-q1", NULL, NULL, &q1, &e) == ERR_OK);
    CHECK(gis_account_add(IQ, "staff", "q2", "$pw-q2", NULL, NULL, &q2, &e) == ERR_OK);
    CHECK(gis_account_add(IA, "staff", "ewa", "$pw-ewa", NULL, NULL, &ewa, &e) == ERR_OK);
    CHECK(gis_grant_add(IA, ewa, "slubice", "clerk", &e) == ERR_OK);
    CHECK(ident_copy(IA, P, 0));
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO cases (id, case_number, seq, year, module, applicant_account, status, created_at, "
             "deadline) VALUES ('c1', 'T/1', 1, 2026, 'extracts', %lld, 'złożony', '2026-01-01T00:00:00Z', "
             "'2026-02-01')",
             ewa);
    exec_ok(P, sql);
    CHECK(gis_store_checkpoint(P, &e) == ERR_OK);
    snprintf(pr, sizeof pr, "%s-r", pp);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cp %s %s", pp, pr);
    CHECK(system(cmd) == 0);
    CHECK(gis_store_open(pr, GIS_STORE_WRITE, &R, &e) == ERR_OK);
    struct gis_twin_status st;
    CHECK(gis_twin_status_read(R, &st, &e) == ERR_OK);
    CHECK(gis_twin_make_replica(R, 1, st.last_id, &e) == ERR_OK);
    /* the failure: a trigger that refuses the renumbering, inside the takeover's transaction */
    CHECK(gis_store_exec(R,
                         "CREATE TRIGGER fail_remap BEFORE UPDATE OF applicant_account ON cases "
                         "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                         &e) == ERR_OK);
    long long term = 0;
    struct gis_twin_ident_report rep;
    struct err fe = {0};
    CHECK(gis_twin_ident_promote(IQ, R, "slubice", &term, &rep, &fe) != ERR_OK);
    CHECK(strstr(fe.msg, "injected failure") != NULL);
    CHECK(gis_twin_status_read(R, &st, &e) == ERR_OK && st.role == GIS_TWIN_REPLICA && st.term == 1);
    CHECK(count(R, "SELECT applicant_account FROM cases WHERE id = 'c1'") == ewa);
    struct gis_account a;
    char pw[128];
    CHECK(gis_account_find_login(IQ, "ewa", &a, pw, sizeof pw, &e) == ERR_OK && a.id != ewa);
    long long there = a.id;
    /* the repeated promotion: the same account (not a second one), renumbered with the new term */
    CHECK(gis_store_exec(R, "DROP TRIGGER fail_remap", &e) == ERR_OK);
    CHECK(gis_twin_ident_promote(IQ, R, "slubice", &term, &rep, &e) == ERR_OK && term == 2);
    CHECK(rep.added == 0 && rep.merged == 1 && rep.remapped == 1);
    CHECK(gis_twin_status_read(R, &st, &e) == ERR_OK && st.role == GIS_TWIN_PRIMARY && st.term == 2);
    CHECK(count(R, "SELECT applicant_account FROM cases WHERE id = 'c1'") == there);
    CHECK(gis_account_find_login(IQ, "ewa", &a, pw, sizeof pw, &e) == ERR_OK && a.id == there);
    /* a primary is not promoted again, and the identity store is not touched for it */
    struct err ce = {0};
    CHECK(gis_twin_ident_promote(IQ, R, "slubice", &term, &rep, &ce) == ERR_CONFLICT);
    gis_store_close(P);
    gis_store_close(R);
    gis_identity_close(IA);
    gis_identity_close(IQ);
    snprintf(cmd, sizeof cmd, "rm -f %s %s %s-wal %s-shm %s-wal %s-shm %s %s %s-wal %s-shm %s-wal %s-shm", pp, pr, pp,
             pp, pr, pr, ia, iq, ia, ia, iq, iq);
    if (system(cmd)) {
    }
}

/* A transaction whose changes exceed one frame (GIS_TWIN_MAX_FRAME) is refused at its commit, nothing written
 * and nothing put in the outbox, instead of a frame the twin would refuse at every try; one just under goes. */
static void test_frame_too_large(void)
{
    struct err e = {0};
    char pp[] = "/tmp/odra-twin-big-XXXXXX";
    struct gis_store *P = test_store_new(pp);
    CHECK(P != NULL);
    if (!P)
        return;
    CHECK(gis_twin_make_primary(P, 1, &e) == ERR_OK);
    long long before = gis_twin_store_last_id(P);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO cases (id, case_number, seq, year, module, status, created_at, deadline, request) VALUES "
             "('big', 'B/1', 1, 2026, 'extracts', 'złożony', '2026-01-01T00:00:00Z', '2026-02-01', zeroblob(%u))",
             (unsigned)GIS_TWIN_MAX_FRAME + 1);
    CHECK(gis_store_begin(P, &e) == ERR_OK);
    CHECK(gis_store_exec(P, sql, &e) == ERR_OK);
    struct err ce = {0};
    CHECK(gis_store_commit(P, &ce) == ERR_TOO_LARGE);
    CHECK(strstr(ce.msg, "more than one twin frame carries") != NULL);
    gis_store_rollback(P);
    CHECK(count(P, "SELECT count(*) FROM cases") == 0);
    CHECK(count(P, "SELECT count(*) FROM twin_outbox") == 0 && gis_twin_store_last_id(P) == before);
    snprintf(sql, sizeof sql,
             "INSERT INTO cases (id, case_number, seq, year, module, status, created_at, deadline, request) VALUES "
             "('big', 'B/1', 1, 2026, 'extracts', 'złożony', '2026-01-01T00:00:00Z', '2026-02-01', zeroblob(%u))",
             (unsigned)GIS_TWIN_MAX_FRAME - 4096);
    exec_ok(P, sql);
    CHECK(count(P, "SELECT count(*) FROM twin_outbox") == 1 && gis_twin_store_last_id(P) == before + 1);
    gis_store_close(P);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", pp, pp, pp);
    if (system(cmd)) {
    }
}

int main(void)
{
    RUN(test_setup_pair);
    RUN(test_capture_and_apply);
    RUN(test_refusals);
    RUN(test_promote_and_fence);
    RUN(test_identity_rows);
    RUN(test_takeover_one_transaction);
    RUN(test_frame_too_large);
    gis_store_close(A);
    gis_store_close(B);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s %s %s-wal %s-shm %s-wal %s-shm", path_a, path_b, path_a, path_a, path_b,
             path_b);
    if (system(cmd)) {
    }
    return test_done();
}
