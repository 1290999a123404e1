/* Unit tests for svc_tenant_write (services/server.h): the writer transaction every module writes through
 * commits what fn wrote, rolls everything back when fn or the commit fails and keeps fn's error, and
 * refuses a tenant whose store is unavailable. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "services/server.h"
#include "tests/test.h"

static enum err_code insert_row(struct gis_store *w, void *ctx, struct err *e)
{
    const char *sql = ctx;
    return gis_store_exec(w, sql, e);
}

static enum err_code insert_then_fail(struct gis_store *w, void *ctx, struct err *e)
{
    if (insert_row(w, ctx, e))
        return e->code;
    return err_param(e, "residents", "residents must be 1..200");
}

static long rows(struct gis_store *s)
{
    sqlite3_stmt *st = NULL;
    long n = -1;
    struct err e = {0};
    if (!gis_store_prepare(s, "SELECT count(*) FROM t", &st, &e) && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void commits_and_rolls_back(void)
{
    char path[] = "/tmp/odra-test-write-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);
    struct config_tenant cfg = {.name = "Testowo", .slug = "t"};
    struct svc_tenant t = {.cfg = &cfg};
    pthread_mutex_init(&t.write_lock, NULL);
    struct err e = {0};
    CHECK(!gis_store_open(path, GIS_STORE_CREATE, &t.writer, &e));
    CHECK(!gis_store_exec(t.writer, "CREATE TABLE t (x INTEGER)", &e));
    CHECK(svc_tenant_write(&t, insert_row, "INSERT INTO t VALUES (1)", &e) == ERR_OK && rows(t.writer) == 1);
    CHECK(svc_tenant_write(&t, insert_then_fail, "INSERT INTO t VALUES (2)", &e) == ERR_INVALID);
    CHECK(rows(t.writer) == 1); /* the insert before the failure is gone */
    CHECK(e.code == ERR_INVALID && !strcmp(e.param, "residents"));
    err_clear(&e);
    CHECK(svc_tenant_write(&t, insert_row, "INSERT INTO nowhere VALUES (1)", &e) == ERR_IO);
    err_clear(&e);
    /* the lock is free again and the writer out of any transaction */
    CHECK(svc_tenant_write(&t, insert_row, "INSERT INTO t VALUES (3)", &e) == ERR_OK && rows(t.writer) == 2);
    struct gis_store *r = NULL;
    CHECK(!gis_store_open(path, GIS_STORE_READ, &r, &e) && rows(r) == 2); /* committed, seen by a reader */
    gis_store_close(r);
    gis_store_close(t.writer);
    pthread_mutex_destroy(&t.write_lock);
    unlink(path);
}

static void unavailable_tenant(void)
{
    struct config_tenant cfg = {.name = "Testowo", .slug = "t"};
    struct svc_tenant t = {.cfg = &cfg, .unavailable = true};
    struct err e = {0};
    CHECK(svc_tenant_write(&t, insert_row, "INSERT INTO t VALUES (1)", &e) == ERR_UNAVAILABLE);
}

int main(void)
{
    RUN(commits_and_rolls_back);
    RUN(unavailable_tenant);
    return test_done();
}
