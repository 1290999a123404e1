/* Snapshots of the stores and their rotation (gis/backup.h). */
#include "gis/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- hashing ---- */

enum err_code gis_backup_sha256(const char *path, char out[65], struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&h, buf, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad)
        return err_set(e, ERR_IO, "%s: read error", path);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, 65, d, sizeof d);
    return ERR_OK;
}

/* ---- the copy ---- */

static enum err_code db_err(sqlite3 *db, const char *path, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* "ok" from PRAGMA integrity_check on db, else ERR_INVALID with its first complaint. */
static enum err_code integrity(sqlite3 *db, const char *path, struct err *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK)
        return err_set(e, ERR_INVALID, "%s: not a SQLite store (%s)", path, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    const char *r = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    enum err_code out = ERR_OK;
    if (!r || strcmp(r, "ok") != 0)
        out = err_set(e, ERR_INVALID, "%s: integrity check failed: %.200s", path, r ? r : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

/* One integer from sql on db, or 0 when it gives none (a missing table is 0 too). */
static long long one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The copy's versions and last change id, read from the copy. */
static void describe(sqlite3 *db, struct gis_backup_info *out)
{
    out->schema_version = (int)one_int(db, "PRAGMA user_version");
    out->last_change = one_int(db, "SELECT max(id) FROM changes");
    if (!out->last_change)
        out->last_change = one_int(db, "SELECT max(id) FROM audit");
    out->modules[0] = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT module, version FROM module_versions ORDER BY module", -1, &st, NULL) !=
        SQLITE_OK)
        return;
    size_t o = 0;
    while (sqlite3_step(st) == SQLITE_ROW && o < sizeof out->modules) {
        int n = snprintf(out->modules + o, sizeof out->modules - o, "%s%s=%d", o ? "," : "",
                         (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
        o += n > 0 ? (size_t)n : 0;
    }
    sqlite3_finalize(st);
}

/* Copies every page of src into dst in one step (one read transaction on src), retrying while a
 * rollback-journal writer holds src for up to busy_ms. */
static enum err_code copy_pages(sqlite3 *s, sqlite3 *d, const char *src, int busy_ms, struct err *e)
{
    for (int waited = 0;; waited += 20) {
        sqlite3_backup *b = sqlite3_backup_init(d, "main", s, "main");
        if (!b)
            return db_err(d, src, "backup", e);
        int rc = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);
        if (rc == SQLITE_DONE)
            return ERR_OK;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= busy_ms)
            return err_set(e, ERR_IO, "%s: backup: %s", src, sqlite3_errstr(rc));
        sqlite3_sleep(20);
    }
}

static enum err_code fsync_path(const char *path, struct err *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int en = errno;
        if (fd >= 0)
            close(fd);
        return err_set(e, ERR_IO, "%s: fsync: %s", path, strerror(en));
    }
    close(fd);
    return ERR_OK;
}

enum err_code gis_backup_store(const char *src, const char *dst, int busy_ms, struct gis_backup_info *out,
                               struct err *e)
{
    memset(out, 0, sizeof *out);
    if (access(dst, F_OK) == 0)
        return err_set(e, ERR_IO, "%s already exists", dst);
    sqlite3 *s = NULL, *d = NULL;
    enum err_code rc = ERR_OK;
    if (sqlite3_open_v2(src, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        rc = db_err(s, src, "open", e);
    else if (sqlite3_open_v2(dst, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE, NULL) !=
             SQLITE_OK)
        rc = db_err(d, dst, "create", e);
    else if (!(rc = copy_pages(s, d, src, busy_ms, e))) {
        /* one self-contained file: the copy leaves WAL mode (its header would say WAL) */
        if (sqlite3_exec(d, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
            rc = db_err(d, dst, "journal mode", e);
        else if (!(rc = integrity(d, dst, e)))
            describe(d, out);
    }
    sqlite3_close(s);
    if (sqlite3_close(d) != SQLITE_OK && !rc)
        rc = err_set(e, ERR_IO, "%s: close failed", dst);
    if (!rc && chmod(dst, 0600) != 0) /* the stores hold personal data */
        rc = err_set(e, ERR_IO, "%s: chmod: %s", dst, strerror(errno));
    if (!rc && !(rc = fsync_path(dst, e)) && !(rc = gis_backup_sha256(dst, out->sha256, e))) {
        FILE *f = fopen(dst, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0)
            out->bytes = ftell(f);
        if (f)
            fclose(f);
    }
    if (rc)
        unlink(dst);
    return rc;
}

enum err_code gis_backup_check(const char *path, const char *sha256, struct err *e)
{
    char got[65];
    if (gis_backup_sha256(path, got, e))
        return e->code;
    if (!sha256 || strcmp(got, sha256) != 0)
        return err_set(e, ERR_INVALID, "%s: SHA-256 %s does not match the manifest's %.64s", path, got,
                       sha256 ? sha256 : "(none)");
    sqlite3 *db = NULL;
    /* immutable: read as it is, without journals or locks, and without writing anything beside it */
    char uri[1200];
    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    enum err_code rc = ERR_OK;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_INVALID, "%s: not a SQLite store (%s)", path, db ? sqlite3_errmsg(db) : "?");
    else
        rc = integrity(db, path, e);
    sqlite3_close(db);
    return rc;
}

/* ---- rotation ---- */

static int by_time_desc(const void *a, const void *b, void *ctx)
{
    const time_t *t = ctx;
    time_t x = t[*(const int *)a], y = t[*(const int *)b];
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The period of t: its hour, day or month (UTC) as a number. */
static long long period(time_t t, int kind)
{
    if (kind == 0)
        return (long long)(t / 3600);
    if (kind == 1)
        return (long long)(t / 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (long long)tm.tm_year * 12 + tm.tm_mon;
}

void gis_backup_rotate(const time_t *times, int n, const struct gis_backup_keep *k, bool *keep)
{
    if (n <= 0)
        return;
    int *order = malloc(sizeof *order * (size_t)n);
    for (int i = 0; i < n; i++)
        keep[i] = false;
    if (!order) { /* keep everything rather than delete by mistake */
        for (int i = 0; i < n; i++)
            keep[i] = true;
        return;
    }
    for (int i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, (size_t)n, sizeof *order, by_time_desc, (void *)times);
    keep[order[0]] = true;
    const int counts[3] = {k->hourly, k->daily, k->monthly};
    for (int kind = 0; kind < 3; kind++) {
        int seen = 0;
        long long last = 0;
        for (int j = 0; j < n && seen < counts[kind]; j++) {
            long long p = period(times[order[j]], kind);
            if (seen && p == last)
                continue; /* an older snapshot of a period already kept */
            keep[order[j]] = true;
            last = p;
            seen++;
        }
    }
    free(order);
}
